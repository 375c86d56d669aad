//! Budgets that control cost: exact money amounts and model price tables.

mod money;
mod price_table;

pub use money::{MicroUsd, ParseMoneyError};
pub use price_table::{
    LongContextTier, MAX_LONG_CONTEXT_TIERS, ModelPrice, ModelPricing, PRICE_CURRENCY, PRICE_UNIT,
    PriceError, PriceFormat, PriceTable, TokenUsage,
};
