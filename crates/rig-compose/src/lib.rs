//! # rig-compose
//!
//! Composable, cost-bounded agent kernel.
#![forbid(unsafe_code)]

pub mod budget;
pub mod instructions;
pub mod normalizer;
pub mod registry;
pub mod reliability;
pub mod tool;
pub mod workflow;

pub use instructions::Instructions;
pub use normalizer::{
    ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
    ToolInvocationResult,
};
pub use registry::{KernelError, ToolRegistry};
pub use reliability::{
    DefaultRetryClassifier, HistoryEntry, RetryClass, RetryClassifier, ToolCallFingerprint,
    repair_history,
};
pub use tool::{LocalTool, Tool, ToolName, ToolSchema};
pub use workflow::Workflow;
