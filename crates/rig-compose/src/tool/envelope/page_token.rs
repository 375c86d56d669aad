//! Continuation tokens that describe an omitted segment.
//!
//! Wire format (stable across releases, so tokens minted by one version can
//! be decoded by another): the literal prefix `v1:` followed by the
//! lowercase hexadecimal encoding of the compact JSON serialization of a
//! [`ToolResultPageToken`] (fields in declaration order). Hex keeps the token
//! free of characters that need quoting in URLs, headers or shell commands.

use serde::{Deserialize, Serialize};

use super::omission::ToolResultOmissionReason;

/// Version tag every token starts with.
const TOKEN_PREFIX: &str = "v1:";

/// What a page token says about one omitted segment.
///
/// # Example
///
/// ```
/// use rig_compose::{ToolResultOmissionReason, ToolResultPageToken, decode_tool_result_page_token};
///
/// let token = ToolResultPageToken {
///     pointer: "/rows".into(),
///     reason: ToolResultOmissionReason::ArrayItems,
///     limit: 64,
/// };
/// let encoded = token.encode();
/// assert!(encoded.starts_with("v1:"));
/// assert_eq!(decode_tool_result_page_token(&encoded), Some(token));
/// assert_eq!(decode_tool_result_page_token("not-a-token"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResultPageToken {
    /// Canonical JSON Pointer of the affected value in the original payload.
    pub pointer: String,
    /// The limit that was exceeded.
    pub reason: ToolResultOmissionReason,
    /// Value of that limit when the envelope was built.
    pub limit: usize,
}

impl ToolResultPageToken {
    /// Encode in the `v1:` wire format described in the module docs.
    #[must_use]
    pub fn encode(&self) -> String {
        // Serializing a plain struct of a string and integers cannot fail;
        // an empty body would simply decode to `None`.
        let body = serde_json::to_vec(self).unwrap_or_default();
        let mut token = String::with_capacity(TOKEN_PREFIX.len() + body.len() * 2);
        token.push_str(TOKEN_PREFIX);
        for byte in body {
            token.push(hex_digit(byte >> 4));
            token.push(hex_digit(byte & 0x0f));
        }
        token
    }

    /// Decode a token produced by [`encode`](Self::encode); `None` if the
    /// text is not a well-formed `v1:` token.
    #[must_use]
    pub fn decode(token: &str) -> Option<Self> {
        let hex = token.strip_prefix(TOKEN_PREFIX)?.as_bytes();
        if !hex.len().is_multiple_of(2) {
            return None;
        }
        let body = hex
            .chunks_exact(2)
            .map(|pair| match pair {
                [high, low] => Some((hex_value(*high)? << 4) | hex_value(*low)?),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()?;
        let text = String::from_utf8(body).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// Decode a page token taken from [`OmittedSegment::page_token`] or
/// [`ToolResultEnvelope::page_token`]; `None` for anything malformed.
///
/// Hex digits are accepted in either case.
///
/// [`OmittedSegment::page_token`]: super::OmittedSegment::page_token
/// [`ToolResultEnvelope::page_token`]: super::ToolResultEnvelope::page_token
#[must_use]
pub fn decode_tool_result_page_token(token: &str) -> Option<ToolResultPageToken> {
    ToolResultPageToken::decode(token)
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).unwrap_or('0')
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // slicing known-good tokens
mod tests {
    // Wire format and rejection of malformed tokens.
    use super::*;

    fn sample() -> ToolResultPageToken {
        ToolResultPageToken {
            pointer: "/body".into(),
            reason: ToolResultOmissionReason::StringChars,
            limit: 3,
        }
    }

    #[test]
    fn encoding_is_prefixed_lowercase_hex_of_compact_json() {
        let json = r#"{"pointer":"/body","reason":"string_chars","limit":3}"#;
        let expected: String = json.bytes().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(sample().encode(), format!("v1:{expected}"));
    }

    #[test]
    fn uppercase_hex_decodes() {
        let upper = sample().encode().to_uppercase().replacen("V1:", "v1:", 1);
        assert_eq!(ToolResultPageToken::decode(&upper), Some(sample()));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        let good = sample().encode();
        let body = good.trim_start_matches("v1:");
        for bad in [
            "",
            "v1:",
            "v2:00",
            body,
            &good[..good.len() - 1],
            &format!("{good}0"),
            &format!("v1:zz{}", &body[2..]),
            "v1:é0",
            // valid hex, but not JSON
            "v1:6869",
            // valid JSON of the wrong shape
            "v1:7b7d",
        ] {
            assert_eq!(ToolResultPageToken::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn invalid_utf8_body_is_rejected() {
        assert_eq!(decode_tool_result_page_token("v1:ff22"), None);
    }

    #[test]
    fn unicode_pointers_survive() {
        let token = ToolResultPageToken {
            pointer: "/naïve/\"quoted\"/~0~1".into(),
            reason: ToolResultOmissionReason::TotalBytes,
            limit: usize::MAX,
        };
        assert_eq!(decode_tool_result_page_token(&token.encode()), Some(token));
    }
}
