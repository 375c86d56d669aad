//! Model price lists and the exact cost of a model call.
//!
//! Prices are integers of micro-dollars per million tokens (which is the
//! same number as pico-dollars per token), so a cost is an exact integer
//! product that is rounded up to a whole micro-dollar once per billed
//! component. Nothing here ever falls back to a zero price: a model that is
//! not in the table is an error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use super::money::MicroUsd;

mod file;

/// The only `currency` a price file may declare.
pub const PRICE_CURRENCY: &str = "USD";
/// The only `unit` a price file may declare: dollars per million tokens.
pub const PRICE_UNIT: &str = "per_million_tokens";
/// Most long-context tiers a single model may have.
pub const MAX_LONG_CONTEXT_TIERS: usize = 16;

/// Tokens one price applies to.
const TOKENS_PER_PRICE: u128 = 1_000_000;

/// `tokens` at `rate` micro-dollars per million tokens, rounded up to a whole
/// micro-dollar and clamped at [`MicroUsd::MAX`].
fn component_cost(tokens: u64, rate: u64) -> MicroUsd {
    // u64 × u64 always fits in u128, so the product is exact.
    let exact = u128::from(tokens) * u128::from(rate);
    let micros = exact.div_ceil(TOKENS_PER_PRICE);
    MicroUsd::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
}

/// Tokens of one model call, split the way providers bill them.
///
/// Convention: `input` holds only the prompt tokens billed at the full input
/// price, i.e. *excluding* `cached_input` and `cache_write`. Anthropic reports
/// usage this way; for OpenAI-style usage, where `prompt_tokens` already
/// includes `cached_tokens`, set `input = prompt_tokens - cached_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenUsage {
    /// Uncached prompt tokens, billed at the input price.
    pub input: u64,
    /// Generated tokens, billed at the output price.
    pub output: u64,
    /// Prompt tokens read from the provider's cache.
    pub cached_input: u64,
    /// Prompt tokens written to the provider's cache.
    pub cache_write: u64,
}

impl TokenUsage {
    /// Usage with no cache activity.
    pub const fn new(input: u64, output: u64) -> Self {
        Self {
            input,
            output,
            cached_input: 0,
            cache_write: 0,
        }
    }

    /// Sets the cache-read token count.
    pub const fn with_cached_input(mut self, tokens: u64) -> Self {
        self.cached_input = tokens;
        self
    }

    /// Sets the cache-write token count.
    pub const fn with_cache_write(mut self, tokens: u64) -> Self {
        self.cache_write = tokens;
        self
    }

    /// The whole prompt: `input + cached_input + cache_write` (saturating).
    /// This is the size long-context tiers are selected by.
    pub const fn prompt_tokens(&self) -> u64 {
        self.input
            .saturating_add(self.cached_input)
            .saturating_add(self.cache_write)
    }

    /// Prompt plus output tokens (saturating).
    pub const fn total_tokens(&self) -> u64 {
        self.prompt_tokens().saturating_add(self.output)
    }
}

/// Prices of one model (or of one long-context tier), in micro-dollars per
/// million tokens.
///
/// `ModelPrice::new(2_500_000, 10_000_000)` is $2.50 / $10.00 per million
/// input / output tokens. Serde uses the price-file entry shape with dollar
/// strings: `{"input": "2.500000", "output": "10.000000", ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModelPrice {
    /// Uncached prompt tokens.
    pub input: u64,
    /// Generated tokens.
    pub output: u64,
    /// Prompt tokens read from the cache.
    pub cached_input: u64,
    /// Prompt tokens written to the cache.
    pub cache_write: u64,
}

impl ModelPrice {
    /// Input and output prices; cache reads and writes cost the input price
    /// until set otherwise.
    pub const fn new(input: u64, output: u64) -> Self {
        Self {
            input,
            output,
            cached_input: input,
            cache_write: input,
        }
    }

    /// Sets the cache-read price.
    pub const fn with_cached_input(mut self, price: u64) -> Self {
        self.cached_input = price;
        self
    }

    /// Sets the cache-write price.
    pub const fn with_cache_write(mut self, price: u64) -> Self {
        self.cache_write = price;
        self
    }

    /// Cost of `usage` at these prices, each component rounded up to a whole
    /// micro-dollar, the total clamped at [`MicroUsd::MAX`]. No tier is
    /// selected here; see [`ModelPricing::cost`].
    pub fn cost(&self, usage: &TokenUsage) -> MicroUsd {
        component_cost(usage.input, self.input)
            .saturating_add(component_cost(usage.output, self.output))
            .saturating_add(component_cost(usage.cached_input, self.cached_input))
            .saturating_add(component_cost(usage.cache_write, self.cache_write))
    }

    /// The dearest price any prompt token can be billed at.
    fn max_prompt_rate(&self) -> u64 {
        self.input.max(self.cached_input).max(self.cache_write)
    }

    fn named_rates(&self) -> [(&'static str, u64); 4] {
        [
            ("input", self.input),
            ("output", self.output),
            ("cached_input", self.cached_input),
            ("cache_write", self.cache_write),
        ]
    }

    /// The first price of `self` that is lower than the same price of `other`.
    fn first_cheaper_than(&self, other: &Self) -> Option<&'static str> {
        self.named_rates()
            .into_iter()
            .zip(other.named_rates())
            .find(|((_, mine), (_, theirs))| mine < theirs)
            .map(|((name, _), _)| name)
    }

    fn serialize_rates<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        for (name, rate) in self.named_rates() {
            map.serialize_entry(name, &MicroUsd::from_micros(rate))?;
        }
        Ok(())
    }
}

/// Alternative prices once a prompt is larger than `above_prompt_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LongContextTier {
    /// The tier applies to prompts of strictly more tokens than this.
    pub above_prompt_tokens: u64,
    /// Prices within the tier.
    pub price: ModelPrice,
}

/// Everything needed to price one model: base prices plus optional
/// long-context tiers, kept sorted by threshold and never getting cheaper as
/// the prompt grows.
///
/// ```
/// use rig_compose::budget::{LongContextTier, ModelPrice, ModelPricing, TokenUsage};
///
/// let pricing = ModelPricing::new(ModelPrice::new(1_250_000, 10_000_000))
///     .with_long_context(LongContextTier {
///         above_prompt_tokens: 200_000,
///         price: ModelPrice::new(2_500_000, 15_000_000),
///     })
///     .unwrap();
///
/// // 200 000 prompt tokens is not *above* the threshold: base prices.
/// assert_eq!(pricing.cost(&TokenUsage::new(200_000, 0)).as_micros(), 250_000);
/// // One more token switches the whole call to the tier.
/// assert_eq!(pricing.cost(&TokenUsage::new(200_001, 0)).as_micros(), 500_003);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ModelPricing {
    base: ModelPrice,
    /// Sorted by ascending threshold, thresholds unique.
    long_context: Vec<LongContextTier>,
}

impl ModelPricing {
    /// Pricing with only base prices.
    pub fn new(base: ModelPrice) -> Self {
        Self {
            base,
            long_context: Vec::new(),
        }
    }

    /// Adds a long-context tier.
    ///
    /// Fails if a tier with the same threshold exists, if the model already
    /// has [`MAX_LONG_CONTEXT_TIERS`] tiers, or if any price of the new tier
    /// is lower than the tier (or base) below it or higher than the tier
    /// above it.
    pub fn with_long_context(mut self, tier: LongContextTier) -> Result<Self, PriceError> {
        let invalid = |reason: String| PriceError::InvalidTier {
            above_prompt_tokens: tier.above_prompt_tokens,
            reason,
        };
        if self.long_context.len() >= MAX_LONG_CONTEXT_TIERS {
            return Err(invalid(format!(
                "a model may have at most {MAX_LONG_CONTEXT_TIERS} long-context tiers"
            )));
        }
        let at = self
            .long_context
            .partition_point(|t| t.above_prompt_tokens < tier.above_prompt_tokens);
        let next = self.long_context.get(at);
        if next.is_some_and(|t| t.above_prompt_tokens == tier.above_prompt_tokens) {
            return Err(invalid("another tier has the same threshold".to_owned()));
        }
        let below = match at.checked_sub(1).and_then(|i| self.long_context.get(i)) {
            Some(lower) => &lower.price,
            None => &self.base,
        };
        if let Some(field) = tier.price.first_cheaper_than(below) {
            return Err(invalid(format!(
                "its `{field}` price is lower than below the threshold; prices may only rise with the prompt size"
            )));
        }
        if let Some(upper) = next
            && let Some(field) = upper.price.first_cheaper_than(&tier.price)
        {
            return Err(invalid(format!(
                "its `{field}` price is higher than in the tier above {} tokens; prices may only rise with the prompt size",
                upper.above_prompt_tokens
            )));
        }
        self.long_context.insert(at, tier);
        Ok(self)
    }

    /// Prices for prompts that match no tier.
    pub fn base(&self) -> &ModelPrice {
        &self.base
    }

    /// The tiers, by ascending threshold.
    pub fn long_context(&self) -> &[LongContextTier] {
        &self.long_context
    }

    /// Prices that apply to a prompt of `prompt_tokens`: those of the highest
    /// tier whose threshold the prompt strictly exceeds, else the base.
    pub fn price_for_prompt(&self, prompt_tokens: u64) -> &ModelPrice {
        self.long_context
            .iter()
            .rev()
            .find(|tier| prompt_tokens > tier.above_prompt_tokens)
            .map_or(&self.base, |tier| &tier.price)
    }

    /// Exact cost of a reported usage: the tier is picked by
    /// [`TokenUsage::prompt_tokens`], then each of the four components is
    /// rounded up to a whole micro-dollar; the sum saturates.
    pub fn cost(&self, usage: &TokenUsage) -> MicroUsd {
        self.price_for_prompt(usage.prompt_tokens()).cost(usage)
    }

    /// The reservation for a model call, as the budget contract defines it:
    /// `prompt_tokens` × input price + min(`max_output_tokens`,
    /// `per_request_output_cap`) × output price, each part rounded up to a
    /// whole micro-dollar. The tier is picked by `prompt_tokens`.
    ///
    /// Cache writes can cost more than input, so a call that writes the
    /// cache may cost more than this estimate; the excess is charged as
    /// overage when the hold settles. Use
    /// [`estimate_upper_bound`](Self::estimate_upper_bound) to reserve enough
    /// for any such usage.
    pub fn estimate(
        &self,
        prompt_tokens: u64,
        max_output_tokens: u64,
        per_request_output_cap: Option<u64>,
    ) -> MicroUsd {
        let price = self.price_for_prompt(prompt_tokens);
        let output_tokens =
            per_request_output_cap.map_or(max_output_tokens, |cap| max_output_tokens.min(cap));
        component_cost(prompt_tokens, price.input)
            .saturating_add(component_cost(output_tokens, price.output))
    }

    /// Upper bound of the cost of a call, for reserving budget up front.
    ///
    /// Output is bounded by `max_output_tokens`, lowered to
    /// `per_request_output_cap` when given. The tier is picked by
    /// `prompt_tokens`; every prompt token is priced at that tier's dearest
    /// prompt price (input, cache read or cache write), and up to 2
    /// micro-dollars are added because [`cost`](Self::cost) rounds the three
    /// prompt components up separately. The result is therefore never below
    /// the cost of any usage with at most `prompt_tokens` prompt tokens and at
    /// most the bounded output.
    pub fn estimate_upper_bound(
        &self,
        prompt_tokens: u64,
        max_output_tokens: u64,
        per_request_output_cap: Option<u64>,
    ) -> MicroUsd {
        let price = self.price_for_prompt(prompt_tokens);
        let output_tokens =
            per_request_output_cap.map_or(max_output_tokens, |cap| max_output_tokens.min(cap));
        let prompt_rate = price.max_prompt_rate();
        let rounding_slack = if prompt_rate == 0 {
            0
        } else {
            prompt_tokens.min(3).saturating_sub(1)
        };
        component_cost(prompt_tokens, prompt_rate)
            .saturating_add(component_cost(output_tokens, price.output))
            .saturating_add(MicroUsd::from_micros(rounding_slack))
    }
}

impl From<ModelPrice> for ModelPricing {
    fn from(base: ModelPrice) -> Self {
        Self::new(base)
    }
}

/// Prices of many models, looked up by name or alias.
///
/// # Price files
///
/// JSON and TOML files share one shape (TOML needs the `toml` feature):
///
/// ```json
/// {
///   "currency": "USD",
///   "unit": "per_million_tokens",
///   "note": "free text, ignored",
///   "as_of": "2025-06",
///   "models": {
///     "gpt-4o": { "input": "2.50", "output": "10.00", "cached_input": "1.25" },
///     "claude-sonnet-4": {
///       "input": 3, "output": 15, "cache_write": 3.75, "cached_input": 0.3,
///       "long_context": [
///         { "above_prompt_tokens": 200000, "input": 6, "output": 22.5,
///           "cache_write": 7.5, "cached_input": 0.6 }
///       ]
///     }
///   },
///   "aliases": { "claude-sonnet-4-20250514": "claude-sonnet-4" }
/// }
/// ```
///
/// * `currency` (optional) must be `"USD"`; `unit` (optional) must be
///   `"per_million_tokens"`; `note` and `as_of` are optional free text.
/// * Prices are dollars per million tokens, as decimal strings or numbers
///   (see [`MicroUsd`] for the exact rules: at most six decimal places, no
///   negative values, no rounding).
/// * `input` and `output` are required. A missing `cached_input` or
///   `cache_write` defaults to the `input` price of the same entry (tier
///   entries default to the tier's own `input`), which never under-charges a
///   provider that bills those tokens at the normal rate.
/// * `long_context` tiers apply when the prompt (`input + cached_input +
///   cache_write` tokens) is strictly larger than `above_prompt_tokens`; the
///   highest matching threshold wins. A tier may not be cheaper than the tier
///   below it in any price, which keeps costs monotonic in every token count.
/// * `aliases` map another name (a dated snapshot, say) to a model of the
///   table. Lookups are exact and case-sensitive: there is no prefix
///   matching, because `gpt-4o-mini` silently billed as `gpt-4o` is worse
///   than an error.
/// * Unknown fields are errors, so a misspelt `cahced_input` cannot quietly
///   fall back to a default.
///
/// # Example
///
/// ```
/// use rig_compose::budget::{MicroUsd, PriceError, PriceTable, TokenUsage};
///
/// let table = PriceTable::from_json_str(r#"{
///     "currency": "USD",
///     "unit": "per_million_tokens",
///     "models": {
///         "gpt-4o": { "input": "2.50", "output": "10.00", "cached_input": "1.25" }
///     },
///     "aliases": { "gpt-4o-2024-08-06": "gpt-4o" }
/// }"#).unwrap();
///
/// // 1 000 uncached + 2 000 cached prompt tokens, 500 output tokens:
/// // 2500 + 2500 + 5000 micro-dollars.
/// let usage = TokenUsage::new(1_000, 500).with_cached_input(2_000);
/// assert_eq!(table.cost("gpt-4o-2024-08-06", &usage).unwrap(), MicroUsd::from_micros(10_000));
///
/// // Reserve for 3 000 prompt tokens and up to 4 096 output tokens,
/// // capped at 1 000 per request.
/// let estimate = table.estimate("gpt-4o", 3_000, 4_096, Some(1_000)).unwrap();
/// assert_eq!(estimate.to_string(), "$0.017500"); // 3 000 × $2.50/M + 1 000 × $10/M
///
/// assert_eq!(
///     table.cost("gpt-5-turbo", &usage),
///     Err(PriceError::UnknownModel { model: "gpt-5-turbo".into() })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceTable {
    models: BTreeMap<String, ModelPricing>,
    /// Alias → name of a model in `models` (never another alias).
    aliases: BTreeMap<String, String>,
}

impl PriceTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `model` with the given prices and returns its previous pricing.
    /// If `model` was an alias, the alias is dropped in favour of the model.
    pub fn insert(
        &mut self,
        model: impl Into<String>,
        pricing: impl Into<ModelPricing>,
    ) -> Option<ModelPricing> {
        let model = model.into();
        self.aliases.remove(&model);
        self.models.insert(model, pricing.into())
    }

    /// Builder form of [`insert`](Self::insert).
    pub fn with_model(
        mut self,
        model: impl Into<String>,
        pricing: impl Into<ModelPricing>,
    ) -> Self {
        self.insert(model, pricing);
        self
    }

    /// Makes `alias` another name for `model`, replacing any previous target.
    ///
    /// Fails if `alias` is empty or already a model name, or if `model` is not
    /// a model of the table (aliases of aliases are refused too).
    pub fn insert_alias(
        &mut self,
        alias: impl Into<String>,
        model: impl Into<String>,
    ) -> Result<(), PriceError> {
        let alias = alias.into();
        let model = model.into();
        let reason = if alias.is_empty() {
            Some("the alias is empty")
        } else if self.models.contains_key(&alias) {
            Some("the alias is already the name of a priced model")
        } else if self.models.contains_key(&model) {
            None
        } else if self.aliases.contains_key(&model) {
            Some("the target is itself an alias; point to the model directly")
        } else {
            Some("the target is not a model of the table")
        };
        match reason {
            Some(reason) => Err(PriceError::InvalidAlias {
                alias,
                model,
                reason: reason.to_owned(),
            }),
            None => {
                self.aliases.insert(alias, model);
                Ok(())
            }
        }
    }

    /// The model name `model` resolves to (itself, or an alias's target).
    pub fn canonical_name(&self, model: &str) -> Option<&str> {
        self.resolve(model).map(|(name, _)| name)
    }

    /// `true` if `model` is a model or alias of the table.
    pub fn contains(&self, model: &str) -> bool {
        self.resolve(model).is_some()
    }

    /// Pricing of `model` (a model name or alias).
    pub fn pricing(&self, model: &str) -> Result<&ModelPricing, PriceError> {
        self.resolve(model)
            .map(|(_, pricing)| pricing)
            .ok_or_else(|| PriceError::UnknownModel {
                model: model.to_owned(),
            })
    }

    /// Upper bound of a call's cost; see [`ModelPricing::estimate`].
    pub fn estimate(
        &self,
        model: &str,
        prompt_tokens: u64,
        max_output_tokens: u64,
        per_request_output_cap: Option<u64>,
    ) -> Result<MicroUsd, PriceError> {
        Ok(self
            .pricing(model)?
            .estimate(prompt_tokens, max_output_tokens, per_request_output_cap))
    }

    /// Never-undercutting reservation for a call to `model`; see
    /// [`ModelPricing::estimate_upper_bound`].
    pub fn estimate_upper_bound(
        &self,
        model: &str,
        prompt_tokens: u64,
        max_output_tokens: u64,
        per_request_output_cap: Option<u64>,
    ) -> Result<MicroUsd, PriceError> {
        Ok(self.pricing(model)?.estimate_upper_bound(
            prompt_tokens,
            max_output_tokens,
            per_request_output_cap,
        ))
    }

    /// Exact cost of a reported usage; see [`ModelPricing::cost`].
    pub fn cost(&self, model: &str, usage: &TokenUsage) -> Result<MicroUsd, PriceError> {
        Ok(self.pricing(model)?.cost(usage))
    }

    /// Models by name, in name order (aliases not included).
    pub fn models(&self) -> impl Iterator<Item = (&str, &ModelPricing)> {
        self.models
            .iter()
            .map(|(name, pricing)| (name.as_str(), pricing))
    }

    /// Aliases and their target models, in alias order.
    pub fn aliases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.aliases
            .iter()
            .map(|(alias, model)| (alias.as_str(), model.as_str()))
    }

    /// Number of models (aliases not counted).
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// `true` if the table has no models.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    fn resolve(&self, model: &str) -> Option<(&str, &ModelPricing)> {
        let name = self.aliases.get(model).map_or(model, String::as_str);
        self.models
            .get_key_value(name)
            .map(|(name, pricing)| (name.as_str(), pricing))
    }
}

/// A price-file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriceFormat {
    /// JSON (`.json`).
    Json,
    /// TOML (`.toml`, needs the `toml` feature to be read).
    Toml,
}

impl PriceFormat {
    /// The format a file name's extension stands for, if any.
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?;
        if extension.eq_ignore_ascii_case("json") {
            Some(Self::Json)
        } else if extension.eq_ignore_ascii_case("toml") {
            Some(Self::Toml)
        } else {
            None
        }
    }
}

impl fmt::Display for PriceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "JSON",
            Self::Toml => "TOML",
        })
    }
}

/// Why a price could not be found or a price table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// The model is neither a model nor an alias of the table.
    #[error("no price is known for model `{model}`")]
    UnknownModel {
        /// The name that was looked up.
        model: String,
    },
    /// A price file is malformed. The message names the model and field
    /// where that applies.
    #[error("invalid {format} price table{}: {message}", location(.path, .line, .column))]
    Parse {
        /// Format being read.
        format: PriceFormat,
        /// File being read, when loaded through [`PriceTable::from_path`].
        path: Option<PathBuf>,
        /// 1-based line of the problem, when the parser reports one.
        line: Option<usize>,
        /// 1-based column of the problem, when the parser reports one.
        column: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A long-context tier would break the tier rules.
    #[error("invalid long-context tier above {above_prompt_tokens} prompt tokens: {reason}")]
    InvalidTier {
        /// Threshold of the rejected tier.
        above_prompt_tokens: u64,
        /// What is wrong.
        reason: String,
    },
    /// An alias could not be added.
    #[error("invalid alias `{alias}` for `{model}`: {reason}")]
    InvalidAlias {
        /// The alias.
        alias: String,
        /// The model it should point to.
        model: String,
        /// What is wrong.
        reason: String,
    },
    /// A price file could not be read.
    #[error("cannot read price table {}: {message}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Kind of I/O failure.
        kind: std::io::ErrorKind,
        /// The I/O error's message.
        message: String,
    },
    /// The file's format is unknown.
    #[error("cannot load price table {}: {reason}", .path.display())]
    UnsupportedFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file's format needs a crate feature that is not compiled in.
    #[error(
        "cannot load price table {}: {format} price tables need the `{feature}` feature of rig-compose",
        .path.display()
    )]
    FeatureDisabled {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: PriceFormat,
        /// The feature to enable.
        feature: &'static str,
    },
}

fn location(path: &Option<PathBuf>, line: &Option<usize>, column: &Option<usize>) -> String {
    let mut text = String::new();
    if let Some(path) = path {
        text.push(' ');
        text.push_str(&path.display().to_string());
    }
    match (line, column) {
        (Some(line), Some(column)) => text.push_str(&format!(" at line {line}, column {column}")),
        (Some(line), None) => text.push_str(&format!(" at line {line}")),
        _ => {}
    }
    text
}
#[cfg(test)]
mod tests {
    use super::*;

    const DOLLAR: u64 = 1_000_000;

    pub(super) fn sonnet() -> ModelPricing {
        ModelPricing::new(
            ModelPrice::new(3 * DOLLAR, 15 * DOLLAR)
                .with_cached_input(300_000)
                .with_cache_write(3_750_000),
        )
        .with_long_context(LongContextTier {
            above_prompt_tokens: 200_000,
            price: ModelPrice::new(6 * DOLLAR, 22_500_000)
                .with_cached_input(600_000)
                .with_cache_write(7_500_000),
        })
        .unwrap()
    }

    pub(super) fn table() -> PriceTable {
        let mut table = PriceTable::new()
            .with_model(
                "gpt-4o",
                ModelPrice::new(2_500_000, 10 * DOLLAR).with_cached_input(1_250_000),
            )
            .with_model("claude-sonnet-4", sonnet());
        table
            .insert_alias("claude-sonnet-4-20250514", "claude-sonnet-4")
            .unwrap();
        table
    }

    #[test]
    fn cost_prices_cached_and_cache_write_tokens_separately() {
        // Anthropic-style usage: 1 200 fresh, 50 000 cache reads, 8 000 cache
        // writes, 700 output tokens.
        let usage = TokenUsage::new(1_200, 700)
            .with_cached_input(50_000)
            .with_cache_write(8_000);
        // 1200×3 + 50000×0.3 + 8000×3.75 + 700×15 micro-dollars.
        let expected = 3_600 + 15_000 + 30_000 + 10_500;
        assert_eq!(
            table().cost("claude-sonnet-4", &usage).unwrap().as_micros(),
            expected
        );
    }

    #[test]
    fn each_component_is_rounded_up_separately() {
        // 1 token at $0.30/M is 0.3 µ$, billed as 1 µ$; same for the input.
        let pricing = ModelPricing::new(ModelPrice::new(300_000, 300_000));
        let usage = TokenUsage::new(1, 1)
            .with_cached_input(1)
            .with_cache_write(1);
        assert_eq!(pricing.cost(&usage).as_micros(), 4);
        // The upper bound's 2 µ$ slack is exactly what this worst case needs;
        // the contract estimate (3 prompt tokens at input price) is 1 + 1.
        assert_eq!(pricing.estimate_upper_bound(3, 1, None).as_micros(), 4);
        assert_eq!(pricing.estimate(3, 1, None).as_micros(), 2);
        assert_eq!(pricing.cost(&TokenUsage::default()).as_micros(), 0);
    }

    #[test]
    fn cost_saturates_instead_of_overflowing() {
        let pricing = ModelPricing::new(ModelPrice::new(u64::MAX, u64::MAX));
        let usage = TokenUsage::new(u64::MAX, u64::MAX);
        assert_eq!(pricing.cost(&usage), MicroUsd::MAX);
        assert_eq!(pricing.estimate(u64::MAX, u64::MAX, None), MicroUsd::MAX);
        assert_eq!(
            pricing.estimate_upper_bound(u64::MAX, u64::MAX, None),
            MicroUsd::MAX
        );
    }

    #[test]
    fn estimate_honours_the_per_request_output_cap() {
        let table = table();
        // 10 000 prompt tokens at $2.50/M = 25 000 µ$; output at $10/M.
        let uncapped = table.estimate("gpt-4o", 10_000, 16_384, None).unwrap();
        assert_eq!(uncapped.as_micros(), 25_000 + 163_840);
        let capped = table
            .estimate("gpt-4o", 10_000, 16_384, Some(4_096))
            .unwrap();
        assert_eq!(capped.as_micros(), 25_000 + 40_960);
        let bound = table
            .estimate_upper_bound("gpt-4o", 10_000, 16_384, Some(4_096))
            .unwrap();
        assert_eq!(bound.as_micros(), 25_002 + 40_960);
        // A cap above the requested maximum changes nothing.
        let loose = table
            .estimate("gpt-4o", 10_000, 16_384, Some(100_000))
            .unwrap();
        assert_eq!(loose, uncapped);
    }

    #[test]
    fn estimate_uses_the_dearest_prompt_rate() {
        // Cache writes ($3.75/M) cost more than input ($3/M) for this model.
        let bound = sonnet().estimate_upper_bound(100_000, 0, None);
        assert_eq!(bound.as_micros(), 375_000 + 2);
        // The contract estimate prices the prompt at the input price only.
        assert_eq!(sonnet().estimate(100_000, 0, None).as_micros(), 300_000);
    }

    #[test]
    fn long_context_tier_applies_strictly_above_the_threshold() {
        let pricing = sonnet();
        let at = TokenUsage::new(150_000, 1_000).with_cached_input(50_000);
        assert_eq!(at.prompt_tokens(), 200_000);
        assert_eq!(pricing.cost(&at).as_micros(), 450_000 + 15_000 + 15_000);
        let above = at.with_cache_write(1);
        // Every component is billed at the tier: 150k×6 + 50k×0.6 + 1×7.5 + 1k×22.5.
        assert_eq!(
            pricing.cost(&above).as_micros(),
            900_000 + 30_000 + 8 + 22_500
        );
        assert_eq!(pricing.price_for_prompt(0), pricing.base());
        assert_eq!(
            pricing.estimate_upper_bound(200_000, 0, None).as_micros(),
            750_000 + 2
        );
        assert_eq!(
            pricing.estimate_upper_bound(200_001, 0, None).as_micros(),
            1_500_008 + 2
        );
        assert_eq!(pricing.estimate(200_000, 0, None).as_micros(), 600_000);
        assert_eq!(pricing.estimate(200_001, 0, None).as_micros(), 1_200_006);
    }

    #[test]
    fn the_highest_matching_tier_wins() {
        let tier = |above, input| LongContextTier {
            above_prompt_tokens: above,
            price: ModelPrice::new(input, input),
        };
        // Added out of order on purpose: they are kept sorted.
        let pricing = ModelPricing::new(ModelPrice::new(DOLLAR, DOLLAR))
            .with_long_context(tier(500, 3 * DOLLAR))
            .unwrap()
            .with_long_context(tier(100, 2 * DOLLAR))
            .unwrap();
        assert_eq!(pricing.price_for_prompt(100).input, DOLLAR);
        assert_eq!(pricing.price_for_prompt(101).input, 2 * DOLLAR);
        assert_eq!(pricing.price_for_prompt(500).input, 2 * DOLLAR);
        assert_eq!(pricing.price_for_prompt(501).input, 3 * DOLLAR);
        let thresholds: Vec<u64> = pricing
            .long_context()
            .iter()
            .map(|t| t.above_prompt_tokens)
            .collect();
        assert_eq!(thresholds, [100, 500]);
    }

    #[test]
    fn tiers_that_get_cheaper_or_repeat_are_rejected() {
        let base = ModelPricing::new(ModelPrice::new(3 * DOLLAR, 15 * DOLLAR));
        let cheaper = base.clone().with_long_context(LongContextTier {
            above_prompt_tokens: 1_000,
            price: ModelPrice::new(3 * DOLLAR, 14 * DOLLAR),
        });
        match cheaper {
            Err(PriceError::InvalidTier {
                above_prompt_tokens: 1_000,
                reason,
            }) => assert!(reason.contains("`output`"), "{reason}"),
            other => panic!("unexpected {other:?}"),
        }
        let high = LongContextTier {
            above_prompt_tokens: 1_000,
            price: ModelPrice::new(9 * DOLLAR, 30 * DOLLAR),
        };
        let with_high = base.with_long_context(high).unwrap();
        assert!(with_high.clone().with_long_context(high).is_err());
        // Between base and the $9 tier, a $10 input would break the order.
        let middle = with_high.with_long_context(LongContextTier {
            above_prompt_tokens: 500,
            price: ModelPrice::new(10 * DOLLAR, 20 * DOLLAR),
        });
        assert!(
            matches!(&middle, Err(PriceError::InvalidTier { reason, .. }) if reason.contains("tier above 1000")),
            "{middle:?}"
        );
    }

    #[test]
    fn too_many_tiers_are_rejected() {
        let mut pricing = ModelPricing::new(ModelPrice::new(DOLLAR, DOLLAR));
        for i in 0..MAX_LONG_CONTEXT_TIERS as u64 {
            pricing = pricing
                .with_long_context(LongContextTier {
                    above_prompt_tokens: i * 1_000,
                    price: ModelPrice::new(DOLLAR + i, DOLLAR + i),
                })
                .unwrap();
        }
        let extra = pricing.with_long_context(LongContextTier {
            above_prompt_tokens: u64::MAX,
            price: ModelPrice::new(u64::MAX, u64::MAX),
        });
        assert!(matches!(extra, Err(PriceError::InvalidTier { .. })));
    }

    #[test]
    fn aliases_resolve_to_their_model() {
        let table = table();
        let usage = TokenUsage::new(1_000, 1_000);
        assert_eq!(
            table.cost("claude-sonnet-4-20250514", &usage),
            table.cost("claude-sonnet-4", &usage)
        );
        assert_eq!(
            table.canonical_name("claude-sonnet-4-20250514"),
            Some("claude-sonnet-4")
        );
        assert_eq!(table.canonical_name("gpt-4o"), Some("gpt-4o"));
        assert!(table.contains("claude-sonnet-4-20250514"));
        assert!(!table.contains("GPT-4O"));
        assert_eq!(table.len(), 2);
        assert_eq!(table.aliases().count(), 1);
    }

    #[test]
    fn bad_aliases_are_rejected() {
        let mut table = table();
        let reason_of = |result: Result<(), PriceError>| match result {
            Err(PriceError::InvalidAlias { reason, .. }) => reason,
            other => panic!("unexpected {other:?}"),
        };
        assert!(reason_of(table.insert_alias("gpt-4o", "claude-sonnet-4")).contains("already"));
        assert!(reason_of(table.insert_alias("x", "nope")).contains("not a model"));
        assert!(
            reason_of(table.insert_alias("x", "claude-sonnet-4-20250514"))
                .contains("itself an alias")
        );
        assert!(reason_of(table.insert_alias("", "gpt-4o")).contains("empty"));
        assert!(!table.contains("x"));
    }

    #[test]
    fn inserting_a_model_replaces_an_alias_of_the_same_name() {
        let mut table = table();
        table.insert("claude-sonnet-4-20250514", ModelPrice::new(1, 1));
        assert_eq!(
            table.canonical_name("claude-sonnet-4-20250514"),
            Some("claude-sonnet-4-20250514")
        );
        assert_eq!(table.aliases().count(), 0);
    }

    #[test]
    fn unknown_models_are_errors_not_free() {
        let table = table();
        assert_eq!(
            table.estimate("gpt-4o-mini", 1, 1, None),
            Err(PriceError::UnknownModel {
                model: "gpt-4o-mini".into()
            })
        );
        assert!(
            table
                .cost("unknown", &TokenUsage::default())
                .unwrap_err()
                .to_string()
                .contains("`unknown`")
        );
    }

    #[test]
    fn error_display_includes_position_and_path() {
        let error = PriceError::Parse {
            format: PriceFormat::Json,
            path: Some(PathBuf::from("prices.json")),
            line: Some(3),
            column: Some(7),
            message: "boom".into(),
        };
        assert_eq!(
            error.to_string(),
            "invalid JSON price table prices.json at line 3, column 7: boom"
        );
    }

    #[test]
    fn token_usage_totals_saturate() {
        let usage = TokenUsage::new(u64::MAX, 1).with_cached_input(1);
        assert_eq!(usage.prompt_tokens(), u64::MAX);
        assert_eq!(usage.total_tokens(), u64::MAX);
        let parsed: TokenUsage = serde_json::from_str(r#"{"input":5}"#).unwrap();
        assert_eq!(parsed, TokenUsage::new(5, 0));
    }
}
