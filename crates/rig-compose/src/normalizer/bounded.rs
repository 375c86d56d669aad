//! Dispatch results bounded for prompts.

use super::ToolInvocation;
#[cfg(doc)]
use super::ToolInvocationResult;
use crate::tool::ToolResultEnvelope;

/// Like [`ToolInvocationResult`], but with the output bounded into a
/// [`ToolResultEnvelope`] so it can go into a prompt with its truncation
/// metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundedToolInvocationResult {
    /// The call that was dispatched.
    pub invocation: ToolInvocation,
    /// The bounded output.
    pub envelope: ToolResultEnvelope,
}
