//! # rig-compose
//!
//! A composable, cost-bounded kernel for LLM agents: tools with side
//! effects, stateless skills, agents assembled from registries, deterministic
//! routing, and budgets that keep model and tool spend under control.
//!
//! It is a drop-in implementation of the rig-compose 0.5 API: code written
//! against 0.5.0 compiles and behaves the same, including the downstream
//! crates `rig-mcp` and `rig-resources`.
//!
//! ## How data flows
//!
//! 1. Model output arrives as text or provider JSON.
//! 2. A [`normalizer`] turns it into [`ToolInvocation`]s.
//! 3. The dispatch functions run each invocation through a chain of
//!    [`ToolDispatchHook`]s (budget, policy, trace).
//! 4. A scoped [`ToolRegistry`] hands it to a [`Tool`]: a [`LocalTool`], a
//!    [`DelegateTool`] wrapping another agent, or a remote (MCP) tool.
//! 5. The result is bounded into a [`ToolResultEnvelope`] and packed with
//!    other context into a [`ContextPack`] for the next model turn.
//!
//! ## Composition rules
//!
//! * A [`Skill`] holds no state of its own, so any skill can serve any agent;
//!   per-run state lives in the [`InvestigationContext`] it is handed.
//! * A [`Tool`] is the only way to cause side effects. Local functions and
//!   remote transports implement the same trait and are indistinguishable to
//!   skills.
//! * An [`Agent`] sees a scoped view of the shared registries and refers to
//!   skills and tools by name only.
//! * A [`Workflow`] composes agents.
//!
//! ## Delegating between agents
//!
//! * [`DelegateTool`] exposes an agent as a tool, so the *model* decides when
//!   to call it. This is the default for agents that cooperate on their own;
//!   the same call works in-process ([`InProcessAgentDelegate`]) or across an
//!   MCP boundary.
//! * [`CoordinatorAgent`] routes by signal tags with no model in the loop.
//!   Use it when the topology is fixed up front and a free, deterministic hop
//!   matters.
//!
//! ## Budgets
//!
//! [`budget`] holds the 0.5 primitives ([`BudgetGuard`], [`TokenBudget`] and
//! their lock-free reference implementations, [`DispatchBudgetHook`]) and the
//! spend-budget engine built on holds: money, windows, rate limits,
//! hierarchies and leases.
//!
//! ## Features
//!
//! * `manifest` — load agent manifests (YAML or JSON) and materialize their
//!   tools. Uses `serde_norway`, a maintained fork of the unmaintained
//!   `serde_yaml` that the published crate used.
//! * `toml` — load price tables from TOML as well as JSON.
#![forbid(unsafe_code)]

pub mod agent;
pub mod budget;
pub mod context;
/// Deterministic, model-free routing of a context to a specialist agent by
/// signal tag. Prefer [`delegate::DelegateTool`] when the model should decide
/// which peer to call.
pub mod coordinator;
/// Agents exposed as tools: the default, model-driven way for one agent to
/// hand work to another, in-process or over any tool transport.
pub mod delegate;
pub mod instructions;
#[cfg(feature = "manifest")]
pub mod manifest;
pub mod normalizer;
pub mod registry;
pub mod reliability;
pub mod skill;
pub mod tool;
pub mod trace;
pub mod workflow;

pub use agent::{
    Agent, AgentId, AgentLifecycleHook, AgentStepResult, GenericAgent, GenericAgentBuilder,
};
pub use budget::{
    AtomicBudget, AtomicTokenBudget, BudgetError, BudgetGuard, DispatchBudgetHook, TokenBudget,
    TokenRefund, TokenReservation,
};
pub use context::{
    ContextItem, ContextOmissionReason, ContextPack, ContextPackConfig, ContextProjectionState,
    ContextProvenance, ContextSourceKind, Evidence, InvestigationContext, NextAction,
    OmittedContextItem, Signal,
};
pub use coordinator::{CoordinatorAgent, CoordinatorBuilder, RoutingRule};
pub use delegate::{
    DelegateDescriptor, DelegateExecutor, DelegateName, DelegateRegistry, DelegateTool,
    InProcessAgentDelegate,
};
pub use instructions::Instructions;
#[cfg(feature = "manifest")]
pub use manifest::{
    AgentManifest, DelegateKind, DelegateSpec, InstructionsSpec, KnowledgeSpec, ManifestError,
    McpServerSpec, ModelSpec, ToolSpec, delegate_stub, materialize_local_and_delegate_tools,
    materialize_local_and_delegate_tools_with_delegates,
};
pub use normalizer::{
    BoundedToolInvocationResult, LfmNormalizer, StructuredToolCallNormalizer, ToolCallNormalizer,
    ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
    ToolInvocationResult, dispatch_tool_invocations, dispatch_tool_invocations_bounded,
    dispatch_tool_invocations_with_hooks, dispatch_tool_invocations_with_hooks_bounded,
    dispatch_tool_invocations_with_trace,
};
pub use registry::{KernelError, SkillDescriptor, SkillRegistry, ToolRegistry};
pub use reliability::{
    DefaultRetryClassifier, HistoryEntry, RetryClass, RetryClassifier, ToolCallFingerprint,
    repair_history,
};
pub use skill::{Skill, SkillId, SkillOutcome};
pub use tool::{
    LocalTool, OmittedSegment, RedactionPolicy, RedactionRule, Tool, ToolName, ToolResultEnvelope,
    ToolResultEnvelopeConfig, ToolResultOmissionReason, ToolResultPageToken, ToolSchema,
    bound_tool_result, decode_tool_result_page_token,
};
pub use trace::{DispatchTrace, DispatchTraceEvent, TracedAction, TracedOutcome};
pub use workflow::Workflow;
