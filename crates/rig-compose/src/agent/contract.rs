//! The [`Agent`] trait and the report of one step.

use async_trait::async_trait;

use super::AgentId;
use crate::context::InvestigationContext;
use crate::registry::KernelError;

/// What happened during one [`Agent::step`].
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStepResult {
    /// Ids of the skills that executed, in order.
    pub skills_run: Vec<String>,
    /// Ids of the skills that did not execute, in order: either they did not
    /// apply, or an earlier skill concluded the run and the agent
    /// short-circuits.
    pub skills_skipped: Vec<String>,
    /// The context's confidence when the step finished.
    pub confidence: f32,
    /// Whether a skill asked to conclude or discard the investigation.
    pub concluded: bool,
}

/// Anything that can drive an investigation step over a context.
///
/// Implementations choose their own iteration policy (single pass, repeat
/// until concluded, route to another agent, ...).
#[async_trait]
pub trait Agent: Send + Sync {
    /// This instance's id.
    fn id(&self) -> AgentId;

    /// The configured name, used for routing and logs.
    fn name(&self) -> &str;

    /// Run one step over `ctx`, updating it in place.
    async fn step(&self, ctx: &mut InvestigationContext) -> Result<AgentStepResult, KernelError>;
}
