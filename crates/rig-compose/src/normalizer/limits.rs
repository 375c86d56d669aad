//! Hard limits the normalizers enforce on untrusted model output.
//!
//! Model output is attacker-influenced text (prompt injection can make a
//! model emit anything), so every parser here is bounded: inputs above
//! [`MAX_INPUT_BYTES`] are rejected before any scanning, and literals or
//! provider payloads nested deeper than [`MAX_NESTING_DEPTH`] are rejected
//! instead of recursing further. Both rejections are
//! [`KernelError::NormalizerFailed`](crate::KernelError::NormalizerFailed)
//! errors that name the limit and where it was hit.

/// Largest input, in bytes, a normalizer accepts: the raw text handed to a
/// text normalizer such as [`LfmNormalizer`](super::LfmNormalizer), or one
/// JSON-encoded `arguments` string inside a structured provider payload.
///
/// 16 MiB is far above any real tool call yet keeps the worst-case parse
/// (nested literals are re-scanned once per nesting level) well under a
/// second.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// Deepest nesting a normalizer follows: list/dict literals inside one
/// argument value, `choices[].message` chains in chat payloads, and the depth
/// of a structured `arguments` value. Matches `serde_json`'s own recursion
/// limit, so anything that came out of `serde_json::from_str` fits.
pub const MAX_NESTING_DEPTH: usize = 128;
