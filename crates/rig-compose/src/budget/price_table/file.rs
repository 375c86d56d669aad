//! Reading and writing price files (JSON, and TOML with the `toml`
//! feature); the format is described on [`PriceTable`].
//!
//! Deserialization threads the model name (and tier index) down to every
//! field through seeds, so each error says which entry it is about; the
//! format's own parser adds the line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    LongContextTier, MAX_LONG_CONTEXT_TIERS, ModelPrice, ModelPricing, PRICE_CURRENCY, PRICE_UNIT,
    PriceError, PriceFormat, PriceTable,
};
use crate::budget::money::{MicroUsd, deserialize_amount};

impl PriceTable {
    /// Reads a table in the JSON price-file format described on [`PriceTable`].
    pub fn from_json_str(text: &str) -> Result<Self, PriceError> {
        serde_json::from_str(text).map_err(|error| json_error(&error))
    }

    /// Reads a table in the TOML price-file format described on [`PriceTable`].
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Self, PriceError> {
        toml::from_str(text).map_err(|error| toml_error(text, &error))
    }

    /// Reads a price file, choosing the format by extension (`.json`, or
    /// `.toml` with the `toml` feature; case-insensitive).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, PriceError> {
        let path = path.as_ref();
        let format = PriceFormat::from_path(path).ok_or_else(|| PriceError::UnsupportedFile {
            path: path.to_path_buf(),
            reason: "the file name must end in `.json` or `.toml`".to_owned(),
        })?;
        #[cfg(not(feature = "toml"))]
        if format == PriceFormat::Toml {
            return Err(toml_not_compiled(path));
        }
        let text = std::fs::read_to_string(path).map_err(|error| PriceError::Io {
            path: path.to_path_buf(),
            kind: error.kind(),
            message: error.to_string(),
        })?;
        let parsed = match format {
            PriceFormat::Json => Self::from_json_str(&text),
            #[cfg(feature = "toml")]
            PriceFormat::Toml => Self::from_toml_str(&text),
            #[cfg(not(feature = "toml"))]
            PriceFormat::Toml => Err(toml_not_compiled(path)),
        };
        parsed.map_err(|error| match error {
            PriceError::Parse {
                format,
                path: None,
                line,
                column,
                message,
            } => PriceError::Parse {
                format,
                path: Some(path.to_path_buf()),
                line,
                column,
                message,
            },
            other => other,
        })
    }
}

#[cfg(not(feature = "toml"))]
fn toml_not_compiled(path: &Path) -> PriceError {
    PriceError::FeatureDisabled {
        path: path.to_path_buf(),
        format: PriceFormat::Toml,
        feature: "toml",
    }
}

fn json_error(error: &serde_json::Error) -> PriceError {
    let full = error.to_string();
    let (line, column, message) = if error.line() == 0 {
        (None, None, full)
    } else {
        // serde_json appends the position to the message; it is kept in
        // separate fields instead.
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let message = full
            .strip_suffix(&suffix)
            .map_or(full.clone(), str::to_owned);
        (Some(error.line()), Some(error.column()), message)
    };
    PriceError::Parse {
        format: PriceFormat::Json,
        path: None,
        line,
        column,
        message,
    }
}

#[cfg(feature = "toml")]
fn toml_error(text: &str, error: &toml::de::Error) -> PriceError {
    let (line, column) = error
        .span()
        .map(|span| line_and_column(text, span.start))
        .unzip();
    PriceError::Parse {
        format: PriceFormat::Toml,
        path: None,
        line,
        column,
        message: error.message().trim_end().to_owned(),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
#[cfg(feature = "toml")]
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    let partial = before.get(line_start..).unwrap_or_default();
    let column = String::from_utf8_lossy(partial).chars().count() + 1;
    (line, column)
}

// ---------------------------------------------------------------------------
// Serialization: the price-file shape, amounts as dollar strings.

impl Serialize for ModelPrice {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        self.serialize_rates(&mut map)?;
        map.end()
    }
}

impl Serialize for LongContextTier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("above_prompt_tokens", &self.above_prompt_tokens)?;
        self.price.serialize_rates(&mut map)?;
        map.end()
    }
}

impl Serialize for ModelPricing {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let has_tiers = !self.long_context.is_empty();
        let mut map = serializer.serialize_map(Some(4 + usize::from(has_tiers)))?;
        self.base.serialize_rates(&mut map)?;
        if has_tiers {
            map.serialize_entry("long_context", &self.long_context)?;
        }
        map.end()
    }
}

impl Serialize for PriceTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("currency", PRICE_CURRENCY)?;
        map.serialize_entry("unit", PRICE_UNIT)?;
        map.serialize_entry("models", &self.models)?;
        map.serialize_entry("aliases", &self.aliases)?;
        map.end()
    }
}

// ---------------------------------------------------------------------------
// Deserialization. Seeds carry the model name (and tier index) down to each
// field so every error says where it is; the format adds line and column.

/// Where in a price file a value sits, for error messages.
#[derive(Clone, Copy, Default)]
struct Where<'a> {
    model: Option<&'a str>,
    tier: Option<usize>,
    field: Option<&'static str>,
}

impl Where<'_> {
    fn field(self, field: &'static str) -> Self {
        Self {
            field: Some(field),
            ..self
        }
    }
}

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::with_capacity(3);
        if let Some(model) = self.model {
            parts.push(format!("model `{model}`"));
        }
        if let Some(tier) = self.tier {
            parts.push(format!("long_context[{tier}]"));
        }
        if let Some(field) = self.field {
            parts.push(format!("field `{field}`"));
        }
        if parts.is_empty() {
            f.write_str("price entry")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// Which keys an entry may have besides the four prices.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    /// Just prices ([`ModelPrice`]).
    Price,
    /// Prices plus `above_prompt_tokens` ([`LongContextTier`]).
    Tier,
    /// Prices plus `long_context` ([`ModelPricing`]).
    Model,
}

impl EntryKind {
    fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Price => &["input", "output", "cached_input", "cache_write"],
            Self::Tier => &[
                "above_prompt_tokens",
                "input",
                "output",
                "cached_input",
                "cache_write",
            ],
            Self::Model => &[
                "input",
                "output",
                "cached_input",
                "cache_write",
                "long_context",
            ],
        }
    }
}

/// What an entry contained; only the parts its kind allows are filled.
struct Entry {
    price: ModelPrice,
    above_prompt_tokens: u64,
    long_context: Vec<LongContextTier>,
}

impl Entry {
    fn into_pricing<E: de::Error>(self, at: Where<'_>) -> Result<ModelPricing, E> {
        self.long_context
            .into_iter()
            .try_fold(
                ModelPricing::new(self.price),
                ModelPricing::with_long_context,
            )
            .map_err(|error| E::custom(format_args!("{at}: {error}")))
    }
}

fn custom<E: de::Error>(at: Where<'_>, what: impl fmt::Display) -> E {
    E::custom(format_args!("{at}: {what}"))
}

fn refuse_duplicate<T, E: de::Error>(slot: &Option<T>, at: Where<'_>) -> Result<(), E> {
    match slot {
        Some(_) => Err(custom(at, "the field appears twice")),
        None => Ok(()),
    }
}

struct EntrySeed<'a> {
    at: Where<'a>,
    kind: EntryKind,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = Entry;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Entry, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a table of per-million-token prices for {}", self.at)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let at = self.at;
        let mut input = None;
        let mut output = None;
        let mut cached_input = None;
        let mut cache_write = None;
        let mut above = None;
        let mut tiers = None;
        while let Some(key) = map.next_key::<String>()? {
            let (field, slot) = match key.as_str() {
                "input" => ("input", &mut input),
                "output" => ("output", &mut output),
                "cached_input" => ("cached_input", &mut cached_input),
                "cache_write" => ("cache_write", &mut cache_write),
                "above_prompt_tokens" if self.kind == EntryKind::Tier => {
                    let at = at.field("above_prompt_tokens");
                    refuse_duplicate(&above, at)?;
                    above = Some(map.next_value_seed(TokenCountSeed { at })?);
                    continue;
                }
                "long_context" if self.kind == EntryKind::Model => {
                    refuse_duplicate(&tiers, at.field("long_context"))?;
                    tiers = Some(map.next_value_seed(TiersSeed { model: at.model })?);
                    continue;
                }
                other => {
                    let expected = self.kind.fields().join("`, `");
                    return Err(custom(
                        at,
                        format_args!("unknown field `{other}`, expected one of `{expected}`"),
                    ));
                }
            };
            let at = at.field(field);
            refuse_duplicate(slot, at)?;
            *slot = Some(map.next_value_seed(AmountSeed { at })?);
        }
        let missing = |field: &'static str| custom(at, format_args!("missing field `{field}`"));
        let input = input.ok_or_else(|| missing("input"))?;
        let output = output.ok_or_else(|| missing("output"))?;
        let above_prompt_tokens = match (self.kind, above) {
            (EntryKind::Tier, None) => return Err(missing("above_prompt_tokens")),
            (_, above) => above.unwrap_or(0),
        };
        Ok(Entry {
            price: ModelPrice {
                input,
                output,
                cached_input: cached_input.unwrap_or(input),
                cache_write: cache_write.unwrap_or(input),
            },
            above_prompt_tokens,
            long_context: tiers.unwrap_or_default(),
        })
    }
}

/// A price field, read as exact micro-dollars per million tokens.
struct AmountSeed<'a> {
    at: Where<'a>,
}

impl<'de> DeserializeSeed<'de> for AmountSeed<'_> {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserialize_amount(deserializer, Some(&self.at)).map(MicroUsd::as_micros)
    }
}

/// A token threshold: a non-negative integer.
struct TokenCountSeed<'a> {
    at: Where<'a>,
}

impl<'de> DeserializeSeed<'de> for TokenCountSeed<'_> {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_u64(self)
    }
}

impl Visitor<'_> for TokenCountSeed<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole, non-negative number of tokens for {}", self.at)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u64, E> {
        Ok(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<u64, E> {
        u64::try_from(value)
            .map_err(|_| custom(self.at, format_args!("token count {value} is negative")))
    }
}

struct TiersSeed<'a> {
    model: Option<&'a str>,
}

impl<'de> DeserializeSeed<'de> for TiersSeed<'_> {
    type Value = Vec<LongContextTier>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TiersSeed<'_> {
    type Value = Vec<LongContextTier>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = Where {
            model: self.model,
            ..Where::default()
        };
        write!(f, "a list of long-context tiers for {at}")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut tiers = Vec::new();
        loop {
            let at = Where {
                model: self.model,
                tier: Some(tiers.len()),
                field: None,
            };
            let seed = EntrySeed {
                at,
                kind: EntryKind::Tier,
            };
            let Some(entry) = seq.next_element_seed(seed)? else {
                return Ok(tiers);
            };
            if tiers.len() >= MAX_LONG_CONTEXT_TIERS {
                return Err(custom(
                    at,
                    format_args!("at most {MAX_LONG_CONTEXT_TIERS} long-context tiers are allowed"),
                ));
            }
            tiers.push(LongContextTier {
                above_prompt_tokens: entry.above_prompt_tokens,
                price: entry.price,
            });
        }
    }
}

/// The `models` table.
struct ModelsVisitor;

impl<'de> Visitor<'de> for ModelsVisitor {
    type Value = BTreeMap<String, ModelPricing>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table from model name to prices")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut models = BTreeMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let at = Where {
                model: Some(&name),
                ..Where::default()
            };
            if name.is_empty() {
                return Err(de::Error::custom("a model name is empty"));
            }
            if models.contains_key(&name) {
                return Err(custom(at, "the model is listed twice"));
            }
            let entry = map.next_value_seed(EntrySeed {
                at,
                kind: EntryKind::Model,
            })?;
            let pricing = entry.into_pricing(at)?;
            models.insert(name, pricing);
        }
        Ok(models)
    }
}

/// The `aliases` table (duplicates are errors, not last-one-wins).
struct AliasesVisitor;

impl<'de> Visitor<'de> for AliasesVisitor {
    type Value = BTreeMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table from alias to model name")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut aliases = BTreeMap::new();
        while let Some(alias) = map.next_key::<String>()? {
            if aliases.contains_key(&alias) {
                return Err(de::Error::custom(format_args!(
                    "alias `{alias}` is listed twice"
                )));
            }
            let model = map.next_value::<String>()?;
            aliases.insert(alias, model);
        }
        Ok(aliases)
    }
}

/// Wraps a visitor so it can be used with `next_value_seed`.
struct MapSeed<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for MapSeed<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_map(self.0)
    }
}

const TABLE_FIELDS: &[&str] = &["currency", "unit", "note", "as_of", "models", "aliases"];

/// The top level of a price file.
struct TableVisitor;

impl<'de> Visitor<'de> for TableVisitor {
    type Value = PriceTable;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a price table with a `models` table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PriceTable, A::Error> {
        let mut seen: Vec<String> = Vec::new();
        let mut models = None;
        let mut aliases = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format_args!(
                    "field `{key}` appears twice"
                )));
            }
            match key.as_str() {
                "currency" => {
                    let currency = map.next_value::<String>()?;
                    if !currency.eq_ignore_ascii_case(PRICE_CURRENCY) {
                        return Err(de::Error::custom(format_args!(
                            "unsupported currency `{currency}`: prices must be in {PRICE_CURRENCY}"
                        )));
                    }
                }
                "unit" => {
                    let unit = map.next_value::<String>()?;
                    if unit != PRICE_UNIT {
                        return Err(de::Error::custom(format_args!(
                            "unsupported unit `{unit}`: prices must be `{PRICE_UNIT}`"
                        )));
                    }
                }
                "note" | "as_of" => {
                    map.next_value::<String>()?;
                }
                "models" => models = Some(map.next_value_seed(MapSeed(ModelsVisitor))?),
                "aliases" => aliases = map.next_value_seed(MapSeed(AliasesVisitor))?,
                other => return Err(de::Error::unknown_field(other, TABLE_FIELDS)),
            }
            seen.push(key);
        }
        let models = models.ok_or_else(|| de::Error::missing_field("models"))?;
        let mut table = PriceTable {
            models,
            aliases: BTreeMap::new(),
        };
        for (alias, model) in aliases {
            table
                .insert_alias(alias, model)
                .map_err(de::Error::custom)?;
        }
        Ok(table)
    }
}

impl<'de> Deserialize<'de> for PriceTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TableVisitor)
    }
}

impl<'de> Deserialize<'de> for ModelPricing {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let at = Where::default();
        EntrySeed {
            at,
            kind: EntryKind::Model,
        }
        .deserialize(deserializer)?
        .into_pricing(at)
    }
}

impl<'de> Deserialize<'de> for ModelPrice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seed = EntrySeed {
            at: Where::default(),
            kind: EntryKind::Price,
        };
        seed.deserialize(deserializer).map(|entry| entry.price)
    }
}

impl<'de> Deserialize<'de> for LongContextTier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seed = EntrySeed {
            at: Where::default(),
            kind: EntryKind::Tier,
        };
        seed.deserialize(deserializer).map(|entry| Self {
            above_prompt_tokens: entry.above_prompt_tokens,
            price: entry.price,
        })
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::price_table::tests::{sonnet, table};

    const DOLLAR: u64 = 1_000_000;

    fn parse_error(json: &str) -> (Option<usize>, String) {
        match PriceTable::from_json_str(json) {
            Err(PriceError::Parse {
                format: PriceFormat::Json,
                line,
                message,
                ..
            }) => (line, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn json_defaults_and_mixed_number_forms() {
        let table = PriceTable::from_json_str(
            r#"{ "models": {
                "a": { "input": "2.50", "output": 10 },
                "b": { "input": 0.15, "output": "$0.60", "cached_input": 0.075, "cache_write": "1e-1" }
            } }"#,
        )
        .unwrap();
        let a = table.pricing("a").unwrap().base();
        assert_eq!(*a, ModelPrice::new(2_500_000, 10_000_000));
        assert_eq!((a.cached_input, a.cache_write), (2_500_000, 2_500_000));
        let b = table.pricing("b").unwrap().base();
        assert_eq!(
            *b,
            ModelPrice {
                input: 150_000,
                output: 600_000,
                cached_input: 75_000,
                cache_write: 100_000
            }
        );
    }

    #[test]
    fn tier_prices_default_to_the_tier_input() {
        let table = PriceTable::from_json_str(
            r#"{ "models": { "m": { "input": 1, "output": 2,
                 "long_context": [{ "above_prompt_tokens": 10, "input": 4, "output": 8 }] } } }"#,
        )
        .unwrap();
        let tier = table.pricing("m").unwrap().long_context()[0];
        assert_eq!(tier.above_prompt_tokens, 10);
        assert_eq!(tier.price, ModelPrice::new(4 * DOLLAR, 8 * DOLLAR));
    }

    #[test]
    fn json_round_trips_through_serialize() {
        let original = table();
        let json = serde_json::to_string_pretty(&original).unwrap();
        assert!(json.contains("\"input\": \"2.500000\""), "{json}");
        assert_eq!(PriceTable::from_json_str(&json).unwrap(), original);
    }

    #[test]
    fn parse_errors_name_model_field_and_line() {
        let (line, message) = parse_error(
            "{\n  \"models\": {\n    \"gpt-4o\": {\n      \"input\": \"2.5x\",\n      \"output\": 10\n    }\n  }\n}",
        );
        assert_eq!(line, Some(4));
        assert!(message.contains("model `gpt-4o`"), "{message}");
        assert!(message.contains("field `input`"), "{message}");
        assert!(message.contains("'x'"), "{message}");
    }

    #[test]
    fn negative_non_numeric_and_too_precise_prices_are_rejected() {
        let cases = [
            (r#"{"models":{"m":{"input":-1,"output":1}}}"#, "negative"),
            (
                r#"{"models":{"m":{"input":"-0.5","output":1}}}"#,
                "negative",
            ),
            (
                r#"{"models":{"m":{"input":"cheap","output":1}}}"#,
                "invalid character",
            ),
            (
                r#"{"models":{"m":{"input":true,"output":1}}}"#,
                "invalid type",
            ),
            (
                r#"{"models":{"m":{"input":null,"output":1}}}"#,
                "invalid type",
            ),
            (
                r#"{"models":{"m":{"input":"0.0000001","output":1}}}"#,
                "decimal places",
            ),
            (
                r#"{"models":{"m":{"input":1,"output":0.1234567}}}"#,
                "decimal places",
            ),
        ];
        for (json, expected) in cases {
            let (line, message) = parse_error(json);
            assert_eq!(line, Some(1), "{json}");
            assert!(message.contains(expected), "{json}: {message}");
            assert!(message.contains("model `m`"), "{json}: {message}");
        }
    }

    #[test]
    fn structural_errors_are_reported() {
        let cases = [
            (
                r#"{"models":{"m":{"output":1}}}"#,
                "model `m`: missing field `input`",
            ),
            (r#"{"models":{"m":{"input":1}}}"#, "missing field `output`"),
            (
                r#"{"models":{"m":{"input":1,"output":1,"cahced_input":1}}}"#,
                "unknown field `cahced_input`",
            ),
            (
                r#"{"models":{"m":{"input":1,"output":1,"input":2}}}"#,
                "field `input`: the field appears twice",
            ),
            (
                r#"{"models":{"m":{"input":1,"output":1}},"models":{}}"#,
                "appears twice",
            ),
            (
                r#"{"models":{"m":{"input":1,"output":1}, "m":{"input":1,"output":1}}}"#,
                "listed twice",
            ),
            (r#"{"models":{}, "extra": 1}"#, "unknown field `extra`"),
            (r#"{"aliases":{}}"#, "missing field `models`"),
            (
                r#"{"currency":"EUR","models":{}}"#,
                "unsupported currency `EUR`",
            ),
            (r#"{"unit":"per_token","models":{}}"#, "unsupported unit"),
            (r#"{"models":{},"aliases":{"a":"m"}}"#, "not a model"),
            (
                r#"{"models":{"m":{"input":1,"output":1,"long_context":[{"input":2,"output":2}]}}}"#,
                "model `m`, long_context[0]: missing field `above_prompt_tokens`",
            ),
            (
                r#"{"models":{"m":{"input":1,"output":1,"long_context":[{"above_prompt_tokens":-5,"input":2,"output":2}]}}}"#,
                "negative",
            ),
            (
                r#"{"models":{"m":{"input":1,"output":1,"long_context":[{"above_prompt_tokens":5,"input":0.5,"output":2}]}}}"#,
                "`input` price is lower",
            ),
            (
                r#"{"models":{"m":{"input":1,"output":1,"above_prompt_tokens":5}}}"#,
                "unknown field `above_prompt_tokens`",
            ),
            (r#"{"models":{"m":{"input":1,"output":1}}"#, "EOF"),
        ];
        for (json, expected) in cases {
            let (line, message) = parse_error(json);
            assert!(line.is_some(), "{json}");
            assert!(message.contains(expected), "{json}: {message}");
        }
    }

    #[test]
    fn standalone_entries_deserialize_with_the_same_rules() {
        let price: ModelPrice = serde_json::from_str(r#"{"input":"1","output":"2"}"#).unwrap();
        assert_eq!(price, ModelPrice::new(DOLLAR, 2 * DOLLAR));
        let tier: LongContextTier =
            serde_json::from_str(r#"{"above_prompt_tokens":7,"input":1,"output":2}"#).unwrap();
        assert_eq!(tier.above_prompt_tokens, 7);
        let err =
            serde_json::from_str::<ModelPrice>(r#"{"input":"1","output":"2","long_context":[]}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("unknown field `long_context`"), "{err}");
        let pricing: ModelPricing =
            serde_json::from_str(&serde_json::to_string(&sonnet()).unwrap()).unwrap();
        assert_eq!(pricing, sonnet());
    }

    #[test]
    fn formats_are_picked_by_extension() {
        assert_eq!(
            PriceFormat::from_path(Path::new("a.JSON")),
            Some(PriceFormat::Json)
        );
        assert_eq!(
            PriceFormat::from_path(Path::new("a/b.toml")),
            Some(PriceFormat::Toml)
        );
        assert_eq!(PriceFormat::from_path(Path::new("a.yaml")), None);
        assert_eq!(PriceFormat::from_path(Path::new("json")), None);
    }

    #[cfg(feature = "toml")]
    #[test]
    fn toml_errors_carry_line_and_column() {
        let text = "[models.m]\ninput = 1\noutput = \"1.2345678\"\n";
        match PriceTable::from_toml_str(text) {
            Err(PriceError::Parse {
                format: PriceFormat::Toml,
                line,
                column,
                message,
                ..
            }) => {
                assert_eq!(line, Some(3), "{message}");
                assert_eq!(column, Some(10), "{message}");
                assert!(message.contains("model `m`, field `output`"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_and_column("ab", 99), (1, 3));
    }

    #[cfg(feature = "toml")]
    #[test]
    fn toml_reads_integers_floats_and_strings() {
        let table = PriceTable::from_toml_str(
            "[models.m]\ninput = 3\noutput = 22.5\ncached_input = \"0.30\"\n\
             [[models.m.long_context]]\nabove_prompt_tokens = 200_000\ninput = 6\noutput = 30\n",
        )
        .unwrap();
        let pricing = table.pricing("m").unwrap();
        assert_eq!(
            *pricing.base(),
            ModelPrice::new(3 * DOLLAR, 22_500_000).with_cached_input(300_000)
        );
        assert_eq!(pricing.long_context()[0].above_prompt_tokens, 200_000);
        assert!(PriceTable::from_toml_str("[models.m]\ninput = -3\noutput = 1\n").is_err());
        assert!(PriceTable::from_toml_str("[models.m]\ninput = nan\noutput = 1\n").is_err());
    }
}
