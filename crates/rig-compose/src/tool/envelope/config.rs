//! Limits that decide how much of a tool result survives bounding.

use serde::{Deserialize, Serialize};

use super::redaction::RedactionPolicy;

/// Default for [`ToolResultEnvelopeConfig::max_string_chars`].
pub const DEFAULT_MAX_STRING_CHARS: usize = 4_000;
/// Default for [`ToolResultEnvelopeConfig::max_array_items`].
pub const DEFAULT_MAX_ARRAY_ITEMS: usize = 64;
/// Default for [`ToolResultEnvelopeConfig::max_total_bytes`].
pub const DEFAULT_MAX_TOTAL_BYTES: usize = 256_000;

/// Limits (and an optional redaction policy) applied by
/// [`ToolResultEnvelope::bound`](super::ToolResultEnvelope::bound).
///
/// The three limits are applied in a fixed order: redaction first, then the
/// per-string and per-array limits everywhere in the value, and finally the
/// byte budget on the compact JSON encoding of the whole payload.
///
/// # Example
///
/// ```
/// use rig_compose::{RedactionPolicy, ToolResultEnvelopeConfig};
///
/// let config = ToolResultEnvelopeConfig::new(200)
///     .with_max_array_items(10)
///     .with_max_total_bytes(8_192)
///     .with_redaction_policy(RedactionPolicy::deny_pointers(["/auth"]));
///
/// assert_eq!(config.max_string_chars, 200);
/// assert_eq!(config.max_array_items, 10);
/// assert_eq!(config.max_total_bytes, 8_192);
/// assert!(config.redaction.is_some());
///
/// // Defaults: 4 000 chars per string, 64 items per array, 256 000 bytes total.
/// let defaults = ToolResultEnvelopeConfig::default();
/// assert_eq!(
///     (defaults.max_string_chars, defaults.max_array_items, defaults.max_total_bytes),
///     (4_000, 64, 256_000)
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResultEnvelopeConfig {
    /// Longest string kept, counted in Unicode scalar values (`char`s).
    pub max_string_chars: usize,
    /// Most elements kept in any one array; later elements are dropped.
    pub max_array_items: usize,
    /// Byte budget for the compact JSON encoding of the bounded payload.
    pub max_total_bytes: usize,
    /// Pointer-based redaction applied before any size limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redaction: Option<RedactionPolicy>,
}

impl Default for ToolResultEnvelopeConfig {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_STRING_CHARS)
    }
}

impl ToolResultEnvelopeConfig {
    /// Default limits, except that strings keep at most `max_string_chars`
    /// characters.
    #[must_use]
    pub fn new(max_string_chars: usize) -> Self {
        Self {
            max_array_items: DEFAULT_MAX_ARRAY_ITEMS,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            max_string_chars,
            redaction: None,
        }
    }

    /// Replace the per-array element limit.
    #[must_use]
    pub fn with_max_array_items(self, max_array_items: usize) -> Self {
        Self {
            max_array_items,
            ..self
        }
    }

    /// Replace the byte budget for the whole serialized payload.
    #[must_use]
    pub fn with_max_total_bytes(self, max_total_bytes: usize) -> Self {
        Self {
            max_total_bytes,
            ..self
        }
    }

    /// Install `redaction`, replacing any policy set before.
    #[must_use]
    pub fn with_redaction_policy(self, redaction: RedactionPolicy) -> Self {
        Self {
            redaction: Some(redaction),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    // Defaults, builders and the serde shape of the limits.
    use super::*;
    use serde_json::json;

    #[test]
    fn default_limits_match_documented_constants() {
        let config = ToolResultEnvelopeConfig::default();
        assert_eq!(config.max_string_chars, 4_000);
        assert_eq!(config.max_array_items, 64);
        assert_eq!(config.max_total_bytes, 256_000);
        assert_eq!(config.redaction, None);
    }

    #[test]
    fn new_only_changes_the_string_limit() {
        let config = ToolResultEnvelopeConfig::new(7);
        assert_eq!(config.max_string_chars, 7);
        assert_eq!(
            ToolResultEnvelopeConfig {
                max_string_chars: DEFAULT_MAX_STRING_CHARS,
                ..config
            },
            ToolResultEnvelopeConfig::default()
        );
    }

    #[test]
    fn builders_set_each_field() {
        let policy = RedactionPolicy::allow_pointers(["/ok"]);
        let config = ToolResultEnvelopeConfig::new(1)
            .with_max_array_items(2)
            .with_max_total_bytes(3)
            .with_redaction_policy(policy.clone());
        assert_eq!(
            config,
            ToolResultEnvelopeConfig {
                max_string_chars: 1,
                max_array_items: 2,
                max_total_bytes: 3,
                redaction: Some(policy),
            }
        );
    }

    #[test]
    fn serde_omits_absent_policy_and_requires_limits() -> Result<(), serde_json::Error> {
        let encoded = serde_json::to_value(ToolResultEnvelopeConfig::default())?;
        assert_eq!(
            encoded,
            json!({"max_string_chars": 4000, "max_array_items": 64, "max_total_bytes": 256000})
        );
        let decoded: ToolResultEnvelopeConfig = serde_json::from_value(encoded)?;
        assert_eq!(decoded, ToolResultEnvelopeConfig::default());

        let missing_limit =
            serde_json::from_value::<ToolResultEnvelopeConfig>(json!({"max_string_chars": 1}));
        assert!(missing_limit.is_err());
        Ok(())
    }
}
