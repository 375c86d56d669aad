//! The bounded result handed onward, and the entry points that build it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::budget::enforce_total_bytes;
use super::config::ToolResultEnvelopeConfig;
use super::discard::Discard;
use super::omission::{OmittedSegment, Tally};
use super::walk::apply_value_limits;

/// A tool result after bounding, with an account of everything removed.
///
/// Build one with [`ToolResultEnvelope::bound`] or [`bound_tool_result`].
/// Counters that are zero, an empty segment list and an absent page token
/// are left out of the serialized form.
///
/// # Example
///
/// ```
/// use rig_compose::{
///     ToolResultEnvelope, ToolResultEnvelopeConfig, ToolResultOmissionReason,
///     decode_tool_result_page_token,
/// };
/// use serde_json::json;
///
/// let config = ToolResultEnvelopeConfig::new(5).with_max_array_items(2);
/// let envelope = ToolResultEnvelope::bound(
///     json!({"log": "0123456789", "rows": [1, 2, 3, 4]}),
///     &config,
/// );
///
/// assert_eq!(envelope.payload, json!({"log": "01234", "rows": [1, 2]}));
/// assert!(envelope.truncated);
/// assert_eq!((envelope.omitted_chars, envelope.omitted_items), (5, 2));
///
/// // The envelope-level token points at the first omission.
/// let first = decode_tool_result_page_token(envelope.page_token.as_deref().unwrap()).unwrap();
/// assert_eq!(first.pointer, "/log");
/// assert_eq!(first.reason, ToolResultOmissionReason::StringChars);
/// assert_eq!(first.limit, 5);
/// assert_eq!(envelope.omitted_segments.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResultEnvelope {
    /// The bounded payload.
    pub payload: Value,
    /// `true` when any character, item or value was left out (redaction
    /// alone does not set it).
    pub truncated: bool,
    /// Characters removed from strings, by either the string limit or the
    /// byte budget.
    pub omitted_chars: usize,
    /// Array elements removed, by either the array limit or the byte budget.
    pub omitted_items: usize,
    /// Top-level object members dropped, or top-level scalars reported, by
    /// the byte budget.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted_values: usize,
    /// Values replaced by the redaction policy.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redacted_values: usize,
    /// Every omission, in the order it was made: redaction and the string
    /// and array limits in document order, then the byte budget.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted_segments: Vec<OmittedSegment>,
    /// Page token of the first entry of `omitted_segments`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

// serde's `skip_serializing_if` passes the field by reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(count: &usize) -> bool {
    *count == 0
}

impl ToolResultEnvelope {
    /// Bound `payload` according to `config`.
    ///
    /// Steps, in order:
    /// 1. every value whose pointer the redaction policy selects is replaced
    ///    by its replacement string (and not examined further);
    /// 2. every string longer than `max_string_chars` characters is cut to
    ///    that many, and every array longer than `max_array_items` loses its
    ///    tail;
    /// 3. if the compact JSON encoding is still larger than
    ///    `max_total_bytes`, top-level members (or, for a top-level string,
    ///    characters) are kept first-fit in document order and the rest is
    ///    dropped. A top-level scalar that is too large is only reported.
    ///
    /// The walk is iterative, so there is no nesting-depth limit: values of
    /// any depth are bounded exactly like shallow ones without growing the
    /// native stack, and discarded parts are freed the same way. Bounding
    /// never panics.
    #[must_use]
    pub fn bound(mut payload: Value, config: &ToolResultEnvelopeConfig) -> Self {
        let mut tally = Tally::default();
        let mut discard = Discard::default();
        let layout = apply_value_limits(&mut payload, config, &mut tally, &mut discard);
        enforce_total_bytes(
            &mut payload,
            &layout,
            config.max_total_bytes,
            &mut tally,
            &mut discard,
        );
        discard.flush();

        let Tally {
            omitted_chars,
            omitted_items,
            omitted_values,
            redacted_values,
            segments,
        } = tally;
        Self {
            payload,
            truncated: omitted_chars > 0 || omitted_items > 0 || omitted_values > 0,
            omitted_chars,
            omitted_items,
            omitted_values,
            redacted_values,
            page_token: segments.first().map(|segment| segment.page_token.clone()),
            omitted_segments: segments,
        }
    }
}

/// Bound `payload` with [`ToolResultEnvelopeConfig::default`].
///
/// ```
/// use rig_compose::bound_tool_result;
/// use serde_json::json;
///
/// let envelope = bound_tool_result(json!({"status": "ok"}));
/// assert!(!envelope.truncated);
/// assert_eq!(envelope.payload, json!({"status": "ok"}));
/// assert_eq!(
///     serde_json::to_value(&envelope).unwrap(),
///     json!({"payload": {"status": "ok"}, "truncated": false, "omitted_chars": 0, "omitted_items": 0})
/// );
/// ```
#[must_use]
pub fn bound_tool_result(payload: Value) -> ToolResultEnvelope {
    ToolResultEnvelope::bound(payload, &ToolResultEnvelopeConfig::default())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // fixtures with known shapes
mod tests {
    // End-to-end behaviour of `bound` and the envelope's serde shape.
    use super::*;
    use crate::tool::envelope::omission::ToolResultOmissionReason;
    use crate::tool::envelope::page_token::decode_tool_result_page_token;
    use crate::tool::envelope::redaction::RedactionPolicy;
    use serde_json::json;

    fn reasons(envelope: &ToolResultEnvelope) -> Vec<(&str, ToolResultOmissionReason)> {
        envelope
            .omitted_segments
            .iter()
            .map(|segment| (segment.pointer.as_str(), segment.reason))
            .collect()
    }

    #[test]
    fn untouched_payload_reports_nothing() {
        let payload = json!({"a": [1, {"b": "c"}], "d": null});
        let envelope = bound_tool_result(payload.clone());
        assert_eq!(envelope.payload, payload);
        assert!(!envelope.truncated);
        assert_eq!(envelope.omitted_chars + envelope.omitted_items, 0);
        assert_eq!(envelope.omitted_values + envelope.redacted_values, 0);
        assert!(envelope.omitted_segments.is_empty());
        assert_eq!(envelope.page_token, None);
    }

    #[test]
    fn default_limits_apply() {
        let payload = json!({"text": "x".repeat(4_001), "rows": (0..65).collect::<Vec<_>>()});
        let envelope = bound_tool_result(payload);
        assert_eq!(envelope.omitted_chars, 1);
        assert_eq!(envelope.omitted_items, 1);
        assert_eq!(envelope.payload["text"].as_str().map(str::len), Some(4_000));
        assert_eq!(envelope.payload["rows"].as_array().map(Vec::len), Some(64));
        // BTreeMap order: "rows" is visited before "text".
        assert_eq!(
            reasons(&envelope),
            [
                ("/rows", ToolResultOmissionReason::ArrayItems),
                ("/text", ToolResultOmissionReason::StringChars)
            ]
        );
    }

    #[test]
    fn page_token_is_the_first_segments_token() {
        let config = ToolResultEnvelopeConfig::new(1).with_max_total_bytes(10);
        let envelope = ToolResultEnvelope::bound(json!({"a": "long", "b": "long"}), &config);
        assert_eq!(
            reasons(&envelope),
            [
                ("/a", ToolResultOmissionReason::StringChars),
                ("/b", ToolResultOmissionReason::StringChars),
                ("/b", ToolResultOmissionReason::TotalBytes),
            ]
        );
        assert_eq!(envelope.payload, json!({"a": "l"}));
        assert_eq!(
            envelope.page_token.as_deref(),
            Some(envelope.omitted_segments[0].page_token.as_str())
        );
        assert_eq!(
            decode_tool_result_page_token(&envelope.omitted_segments[2].page_token)
                .map(|token| token.limit),
            Some(10)
        );
        assert_eq!(envelope.omitted_values, 1);
    }

    #[test]
    fn redaction_alone_is_not_truncation() {
        let config = ToolResultEnvelopeConfig::default()
            .with_redaction_policy(RedactionPolicy::deny_pointers(["/k"]));
        let envelope = ToolResultEnvelope::bound(json!({"k": "v"}), &config);
        assert_eq!(envelope.payload, json!({"k": "[redacted]"}));
        assert_eq!(envelope.redacted_values, 1);
        assert!(!envelope.truncated);
        assert!(envelope.omitted_segments.is_empty());
    }

    #[test]
    fn redacting_the_root_replaces_everything() {
        let config = ToolResultEnvelopeConfig::default().with_redaction_policy(
            RedactionPolicy::deny_pointers([""]).with_default_replacement("gone"),
        );
        let envelope = ToolResultEnvelope::bound(json!({"a": ["b"]}), &config);
        assert_eq!(envelope.payload, json!("gone"));
        assert_eq!(envelope.redacted_values, 1);
    }

    #[test]
    fn serde_skips_zero_counters_but_keeps_core_fields() -> Result<(), serde_json::Error> {
        let envelope = ToolResultEnvelope::bound(json!(["abc"]), &ToolResultEnvelopeConfig::new(1));
        let encoded = serde_json::to_value(&envelope)?;
        let keys: Vec<&str> = encoded
            .as_object()
            .map(|fields| fields.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "omitted_chars",
                "omitted_items",
                "omitted_segments",
                "page_token",
                "payload",
                "truncated"
            ]
        );
        assert_eq!(
            serde_json::from_value::<ToolResultEnvelope>(encoded)?,
            envelope
        );

        let minimal: ToolResultEnvelope = serde_json::from_value(
            json!({"payload": 1, "truncated": false, "omitted_chars": 0, "omitted_items": 0}),
        )?;
        assert_eq!(minimal, bound_tool_result(json!(1)));
        Ok(())
    }

    #[test]
    fn deep_member_dropped_by_the_budget_is_freed_on_a_small_stack() {
        let outcome = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                // 400 001 encoded bytes: over the default 256 000 budget.
                let mut deep = json!(0);
                for _ in 0..200_000 {
                    deep = Value::Array(vec![deep]);
                }
                let payload = Value::Object(
                    [("deep".to_owned(), deep), ("small".to_owned(), json!(1))]
                        .into_iter()
                        .collect(),
                );
                let envelope = bound_tool_result(payload);
                (envelope.payload, envelope.omitted_values)
            })
            .map(|thread| thread.join());
        let (payload, omitted_values) = outcome.ok().and_then(Result::ok).unwrap_or_default();
        assert_eq!(payload, json!({"small": 1}));
        assert_eq!(omitted_values, 1);
    }

    #[test]
    fn deep_payload_is_bounded_on_a_small_stack() {
        const DEPTH: usize = 100_000;
        let outcome = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                // Object-in-array nesting with an over-long string at the
                // bottom and a deep array element that gets dropped.
                let mut kept = json!("abcdef");
                let mut dropped = json!(null);
                for _ in 0..DEPTH {
                    // Not `json!`: it would re-serialize `kept` recursively.
                    kept = Value::Object(std::iter::once(("n".to_owned(), kept)).collect());
                    dropped = Value::Array(vec![dropped]);
                }
                let payload = Value::Array(vec![kept, dropped]);
                let config = ToolResultEnvelopeConfig::new(3)
                    .with_max_array_items(1)
                    .with_max_total_bytes(usize::MAX);
                let envelope = ToolResultEnvelope::bound(payload, &config);
                let summary = (
                    envelope.omitted_chars,
                    envelope.omitted_items,
                    reasons(&envelope)
                        .iter()
                        .map(|(pointer, _)| pointer.len())
                        .collect::<Vec<_>>(),
                );
                // Dismantle by hand: the payload's drop glue would recurse.
                let mut rest = envelope.payload;
                let mut depth = 0;
                loop {
                    rest = match rest {
                        Value::Array(mut items) => items.pop().unwrap_or(Value::Null),
                        Value::Object(mut fields) => {
                            depth += 1;
                            fields.remove("n").unwrap_or(Value::Null)
                        }
                        leaf => break (summary, depth, leaf),
                    };
                }
            })
            .map(|thread| thread.join());
        let ((chars, items, pointer_lens), depth, leaf) =
            outcome.ok().and_then(Result::ok).unwrap_or_default();
        assert_eq!((chars, items), (3, 1));
        // "" for the outer array, then "/0" + "/n" * DEPTH for the string.
        assert_eq!(pointer_lens, [0, 2 + 2 * DEPTH]);
        assert_eq!(depth, DEPTH);
        assert_eq!(leaf, json!("abc"));
    }
}
