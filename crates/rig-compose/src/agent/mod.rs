//! Agents: thin drivers that run a chain of skills over a context.
//!
//! An agent holds no detection logic of its own. It picks which of its
//! skills apply, runs them with its scoped tools, and folds their outcomes
//! into the shared [`InvestigationContext`](crate::InvestigationContext).
//! [`GenericAgent`] covers the usual shape, configured entirely by skill
//! ids and tool names; [`Agent`] is the seam for custom drivers such as
//! [`CoordinatorAgent`](crate::CoordinatorAgent).

mod builder;
mod contract;
mod generic;
mod id;
mod lifecycle;

pub use builder::GenericAgentBuilder;
pub use contract::{Agent, AgentStepResult};
pub use generic::GenericAgent;
pub use id::AgentId;
pub use lifecycle::AgentLifecycleHook;

#[cfg(test)]
mod tests;
