//! What the envelope left out, and why.

use serde::{Deserialize, Serialize};

use super::page_token::ToolResultPageToken;

/// Which limit caused a segment of a tool result to be left out.
///
/// Serialized in `snake_case` (`"string_chars"`, `"array_items"`,
/// `"total_bytes"`).
///
/// # Example
///
/// ```
/// use rig_compose::ToolResultOmissionReason;
///
/// let text = serde_json::to_string(&ToolResultOmissionReason::TotalBytes).unwrap();
/// assert_eq!(text, r#""total_bytes""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolResultOmissionReason {
    /// A string was longer than `max_string_chars`, or (for a top-level
    /// string) its characters did not fit `max_total_bytes`.
    StringChars,
    /// An array had more than `max_array_items` elements.
    ArrayItems,
    /// A value did not fit `max_total_bytes`: a top-level object member or
    /// array element that was dropped, a top-level string that lost
    /// characters, or a top-level scalar that is too large on its own.
    TotalBytes,
}

/// One place in the original payload where content was left out.
///
/// # Example
///
/// ```
/// use rig_compose::{ToolResultEnvelope, ToolResultEnvelopeConfig, ToolResultOmissionReason};
/// use serde_json::json;
///
/// let config = ToolResultEnvelopeConfig::default().with_max_array_items(1);
/// let envelope = ToolResultEnvelope::bound(json!({"rows": [1, 2, 3]}), &config);
///
/// let segment = &envelope.omitted_segments[0];
/// assert_eq!(segment.pointer, "/rows");
/// assert_eq!(segment.reason, ToolResultOmissionReason::ArrayItems);
/// assert_eq!(segment.decode_page_token().map(|token| token.limit), Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OmittedSegment {
    /// Canonical JSON Pointer of the affected value in the original payload.
    pub pointer: String,
    /// The limit that was exceeded.
    pub reason: ToolResultOmissionReason,
    /// Opaque token a pager can hand back to fetch the missing content;
    /// see [`decode_tool_result_page_token`](super::decode_tool_result_page_token).
    pub page_token: String,
}

impl OmittedSegment {
    /// Build a segment whose token encodes `pointer`, `reason` and `limit`.
    #[must_use]
    pub fn new(pointer: impl Into<String>, reason: ToolResultOmissionReason, limit: usize) -> Self {
        let token = ToolResultPageToken {
            pointer: pointer.into(),
            reason,
            limit,
        };
        let page_token = token.encode();
        Self {
            pointer: token.pointer,
            reason,
            page_token,
        }
    }

    /// Decode this segment's [`page_token`](Self::page_token).
    #[must_use]
    pub fn decode_page_token(&self) -> Option<ToolResultPageToken> {
        ToolResultPageToken::decode(&self.page_token)
    }
}

/// Running totals of everything one `bound` call leaves out.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) omitted_chars: usize,
    pub(super) omitted_items: usize,
    pub(super) omitted_values: usize,
    pub(super) redacted_values: usize,
    pub(super) segments: Vec<OmittedSegment>,
}

impl Tally {
    /// Note that the value at `pointer` was cut because it exceeded `limit`.
    pub(super) fn record(&mut self, pointer: &str, reason: ToolResultOmissionReason, limit: usize) {
        self.segments
            .push(OmittedSegment::new(pointer, reason, limit));
    }

    pub(super) fn add_chars(&mut self, count: usize) {
        self.omitted_chars = self.omitted_chars.saturating_add(count);
    }

    pub(super) fn add_items(&mut self, count: usize) {
        self.omitted_items = self.omitted_items.saturating_add(count);
    }

    pub(super) fn add_values(&mut self, count: usize) {
        self.omitted_values = self.omitted_values.saturating_add(count);
    }

    pub(super) fn add_redaction(&mut self) {
        self.redacted_values = self.redacted_values.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    // Reason spelling on the wire and segment construction.
    use super::*;
    use serde_json::json;

    #[test]
    fn reasons_serialize_in_snake_case() -> Result<(), serde_json::Error> {
        let all = [
            ToolResultOmissionReason::StringChars,
            ToolResultOmissionReason::ArrayItems,
            ToolResultOmissionReason::TotalBytes,
        ];
        assert_eq!(
            serde_json::to_value(all)?,
            json!(["string_chars", "array_items", "total_bytes"])
        );
        let back: Vec<ToolResultOmissionReason> =
            serde_json::from_value(json!(["total_bytes", "array_items"]))?;
        assert_eq!(
            back,
            [
                ToolResultOmissionReason::TotalBytes,
                ToolResultOmissionReason::ArrayItems
            ]
        );
        assert!(serde_json::from_value::<ToolResultOmissionReason>(json!("TotalBytes")).is_err());
        Ok(())
    }

    #[test]
    fn new_segment_token_round_trips() {
        let segment = OmittedSegment::new("/a~1b", ToolResultOmissionReason::StringChars, 12);
        assert_eq!(segment.pointer, "/a~1b");
        assert!(segment.page_token.starts_with("v1:"));
        assert_eq!(
            segment.decode_page_token(),
            Some(ToolResultPageToken {
                pointer: "/a~1b".into(),
                reason: ToolResultOmissionReason::StringChars,
                limit: 12,
            })
        );
    }
}
