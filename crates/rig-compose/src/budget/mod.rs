//! Budgets that bound what an agent may spend, and the time primitives
//! (clocks, accounting windows, rate limiters) they are built on.
//!
//! Two independent contracts cover the two kinds of cost the kernel meets:
//!
//! * [`BudgetGuard`] — work whose cost is known before it starts (tool calls,
//!   rows, queue slots). Reserve, do the work, release.
//! * [`TokenBudget`] — model calls, whose cost is only known afterwards.
//!   Reserve an estimate, receive a [`TokenReservation`], and settle it with
//!   the provider's reported usage through [`TokenBudget::record_usage`].
//!
//! Both are small traits so a host can plug in its own backend (a shared
//! store, a rate-limit service) or stack several budgets side by side.
//! Running out of budget is a normal answer (`Ok(false)` / `Ok(None)`);
//! [`BudgetError`] is only for a backend that failed.
//!
//! The in-memory implementations, [`AtomicBudget`] and [`AtomicTokenBudget`],
//! are lock-free compare-and-swap counters that never admit more than they
//! hold under any amount of contention. [`DispatchBudgetHook`] wires a
//! [`BudgetGuard`] into tool dispatch so each call pays before it runs.
//!
//! For limits that depend on time, [`Clock`] abstracts the time source,
//! [`Window`] describes accounting periods, and [`Gcra`] / [`RollingWindow`]
//! are rate limiters written as pure state machines.
//!
//! [`Budget`] builds on them: an in-process spend budget that hands out
//! [`Hold`]s, nests into hierarchies (org → team → agent → run) reserved
//! all-or-nothing, and adds windows, rate limits, debt, leases, snapshots,
//! metrics and threshold observers. [`SpendBudget`] is its backend-neutral
//! interface.
//!
//! ```
//! use rig_compose::budget::{AtomicBudget, AtomicTokenBudget, BudgetGuard, TokenBudget};
//!
//! futures::executor::block_on(async {
//!     let calls = AtomicBudget::new(3);
//!     let tokens = AtomicTokenBudget::new(10_000);
//!
//!     if calls.try_reserve(1).await.unwrap() {
//!         if let Some(reservation) = tokens.try_reserve_tokens(2_000).await.unwrap() {
//!             // ... send the prompt; the provider reports its usage ...
//!             tokens.record_usage(reservation, 1_200, 300).await;
//!         }
//!         calls.release(1).await;
//!     }
//!     assert_eq!(calls.available(), 3);
//!     assert_eq!(tokens.available(), 8_500);
//! });
//! ```

mod calendar;
mod clock;
mod dispatch_hook;
mod error;
mod guard;
mod hold;
mod ledger;
mod limit_config;
mod model_call;
mod money;
mod price_table;
mod rate;
mod reservoir;
mod snapshot;
mod spend;
mod sync;
mod tokens;
mod tool_limits;
mod window;

pub use clock::{Clock, ManualClock, SystemClock};
pub use dispatch_hook::DispatchBudgetHook;
pub use error::BudgetError;
pub use guard::{AtomicBudget, BudgetGuard};
pub use hold::{CancelPolicy, Hold, HoldBackend, HoldClose, HoldId, HoldTicket, Settlement};
pub use ledger::{
    Budget, BudgetBuilder, BudgetMetrics, DEFAULT_THRESHOLDS, DENIAL_REAP_LIMIT, DenialCounts,
    LAZY_REAP_LIMIT, Limit, ThresholdEvent, ThresholdObserver, WindowTotals,
};
pub use limit_config::{LimitConfigError, LimitParameter};
pub use model_call::{ModelCallError, ModelCallGuard, ModelCallOutput, guard_model_call};
pub use money::{MicroUsd, ParseMoneyError};
pub use price_table::{
    LongContextTier, MAX_LONG_CONTEXT_TIERS, ModelPrice, ModelPricing, PRICE_CURRENCY, PRICE_UNIT,
    PriceError, PriceFormat, PriceTable, TokenUsage,
};
pub use rate::{DEFAULT_ROLLING_BUCKETS, Gcra, MAX_ROLLING_BUCKETS, RateLimitError, RollingWindow};
pub use snapshot::{BudgetSnapshot, BudgetUnit, render_budget_line};
pub use spend::{Denial, LimitKind, ReserveError, ReserveRequest, SpendBudget};
pub use tokens::{AtomicTokenBudget, TokenBudget, TokenRefund, TokenReservation};
pub use tool_limits::{DenialMode, ToolBudgetHook, ToolCostTable, ToolLimitHit};
pub use window::Window;
