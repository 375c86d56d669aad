//! # rig-compose
//!
//! Composable, cost-bounded agent kernel.
#![forbid(unsafe_code)]

pub mod agent;
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
pub mod skill;
pub mod tool;
pub mod workflow;

pub use agent::{
    Agent, AgentId, AgentLifecycleHook, AgentStepResult, GenericAgent, GenericAgentBuilder,
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
    ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
    ToolInvocationResult,
};
pub use registry::{KernelError, SkillDescriptor, SkillRegistry, ToolRegistry};
pub use skill::{Skill, SkillId, SkillOutcome};
pub use tool::{LocalTool, Tool, ToolName, ToolSchema};
pub use workflow::Workflow;
