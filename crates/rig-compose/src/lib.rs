//! # rig-compose
//!
//! Composable, cost-bounded agent kernel.
#![forbid(unsafe_code)]

pub mod instructions;
pub mod normalizer;
pub mod registry;
pub mod tool;
pub mod trace;
pub mod workflow;

pub use instructions::Instructions;
pub use normalizer::{
    LfmNormalizer, StructuredToolCallNormalizer, ToolCallNormalizer, ToolDispatchAction,
    ToolDispatchHook, ToolInvocation, ToolInvocationOutcome, ToolInvocationResult,
    dispatch_tool_invocations, dispatch_tool_invocations_with_hooks,
    dispatch_tool_invocations_with_trace,
};
pub use registry::{KernelError, ToolRegistry};
pub use tool::{LocalTool, Tool, ToolName, ToolSchema};
pub use trace::{DispatchTrace, DispatchTraceEvent, TracedAction, TracedOutcome};
pub use workflow::Workflow;
