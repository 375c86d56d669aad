//! Tool-result envelope: deterministic bounding of oversized tool output.
//!
//! [`ToolResultEnvelope::bound`] turns an arbitrary JSON tool result into a
//! payload that respects a [`ToolResultEnvelopeConfig`], and reports every
//! cut as an [`OmittedSegment`] whose opaque page token (see
//! [`ToolResultPageToken`]) tells a pager which part of the original result
//! to serve next. Bounding is deterministic: the same input and config
//! always give the same envelope, byte for byte, including the tokens.
//!
//! Modules: `config` (limits), `redaction` (pointer policies), `omission`
//! (reasons and segments), `page_token` (token wire format), `walk` (the
//! per-value pass), `budget` (the total-size pass), `measure` (encoded
//! lengths), `discard` (stack-safe freeing) and `result` (the envelope).
//!
//! # Example
//!
//! ```
//! use rig_compose::{RedactionPolicy, ToolResultEnvelope, ToolResultEnvelopeConfig};
//! use serde_json::json;
//!
//! let config = ToolResultEnvelopeConfig::new(8)
//!     .with_max_total_bytes(64)
//!     .with_redaction_policy(RedactionPolicy::deny_pointers(["/api_key"]));
//! let envelope = ToolResultEnvelope::bound(
//!     json!({"api_key": "sk-123", "summary": "a long summary", "extra": [1, 2, 3]}),
//!     &config,
//! );
//!
//! assert_eq!(envelope.redacted_values, 1);
//! assert_eq!(envelope.payload["summary"], "a long s");
//! assert_eq!(envelope.omitted_chars, 6);
//! assert!(serde_json::to_string(&envelope.payload).unwrap().len() <= 64);
//! ```

mod budget;
mod config;
mod discard;
mod measure;
mod omission;
mod page_token;
mod redaction;
mod result;
mod walk;

pub use config::{
    DEFAULT_MAX_ARRAY_ITEMS, DEFAULT_MAX_STRING_CHARS, DEFAULT_MAX_TOTAL_BYTES,
    ToolResultEnvelopeConfig,
};
pub use discard::MAX_RECURSIVE_DROP_DEPTH;
pub use omission::{OmittedSegment, ToolResultOmissionReason};
pub use page_token::{ToolResultPageToken, decode_tool_result_page_token};
pub use redaction::{DEFAULT_REDACTION_REPLACEMENT, RedactionPolicy, RedactionRule};
pub use result::{ToolResultEnvelope, bound_tool_result};
