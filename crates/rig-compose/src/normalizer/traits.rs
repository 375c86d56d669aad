//! The [`ToolCallNormalizer`] trait: model text in, tool calls out.

use super::ToolInvocation;
use crate::registry::KernelError;

/// Turns raw model text into [`ToolInvocation`]s for one in-band tool-call
/// format (a model family that writes calls into its text instead of a
/// structured `tool_calls` field).
///
/// Object safe, so hosts can keep a list of `Arc<dyn ToolCallNormalizer>`
/// and try each in turn.
///
/// # Contract
///
/// * No markers of the format in `raw` means `Ok(vec![])`, never an error.
/// * [`is_applicable`](Self::is_applicable) returns `true` whenever
///   [`normalize`](Self::normalize) could return calls; it is a cheap check
///   for skipping the parse.
/// * Malformed markers are a
///   [`KernelError::NormalizerFailed`] error. Implementations in this crate
///   never panic and bound their work by the
///   [`limits`](super::limits).
///
/// ```
/// use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};
///
/// let normalizers: Vec<Box<dyn ToolCallNormalizer>> = vec![Box::new(LfmNormalizer)];
/// let raw = "Sure. <|tool_call_start|>[ping(host='example.org')]<|tool_call_end|>";
/// let calls: Vec<_> = normalizers
///     .iter()
///     .filter(|n| n.is_applicable(raw))
///     .map(|n| n.normalize(raw))
///     .collect::<Result<Vec<_>, _>>()
///     .unwrap()
///     .concat();
/// assert_eq!(calls.len(), 1);
/// assert_eq!(calls[0].name, "ping");
/// ```
pub trait ToolCallNormalizer: Send + Sync {
    /// Extract every tool call in `raw`, in order of appearance.
    fn normalize(&self, raw: &str) -> Result<Vec<ToolInvocation>, KernelError>;

    /// Whether `raw` contains anything this normalizer would parse.
    fn is_applicable(&self, raw: &str) -> bool;
}
