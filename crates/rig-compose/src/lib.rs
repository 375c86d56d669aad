//! # rig-compose
//!
//! Composable, cost-bounded agent kernel.
#![forbid(unsafe_code)]

pub mod budget;
pub mod context;
pub mod instructions;
pub mod normalizer;
pub mod registry;
pub mod reliability;
pub mod tool;
pub mod workflow;

pub use budget::{
    AtomicBudget, AtomicTokenBudget, BudgetError, BudgetGuard, DispatchBudgetHook, TokenBudget,
    TokenRefund, TokenReservation,
};
pub use context::{
    ContextItem, ContextOmissionReason, ContextPack, ContextPackConfig, ContextProjectionState,
    ContextProvenance, ContextSourceKind, Evidence, InvestigationContext, NextAction,
    OmittedContextItem, Signal,
};
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
pub use tool::{
    LocalTool, OmittedSegment, RedactionPolicy, RedactionRule, Tool, ToolName, ToolResultEnvelope,
    ToolResultEnvelopeConfig, ToolResultOmissionReason, ToolResultPageToken, ToolSchema,
    bound_tool_result, decode_tool_result_page_token,
};
pub use workflow::Workflow;
