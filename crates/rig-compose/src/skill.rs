//! [`Skill`]: a stateless unit of reasoning that agents run in sequence.
//!
//! A skill reads and extends an [`InvestigationContext`] and may call tools
//! through the agent's scoped [`ToolRegistry`]. Skills hold no per-run state,
//! which is what lets one registered instance serve many agents at once;
//! everything that changes during a run lives in the context.

use async_trait::async_trait;

use crate::context::{InvestigationContext, NextAction};
use crate::registry::{KernelError, ToolRegistry};

/// The id a skill is registered and referenced under, conventionally
/// `"<area>.<name>"` such as `"recon.high_fanout"`.
pub type SkillId = String;

/// What one skill execution asks the agent to fold into the run.
///
/// Evidence and signals are written to the context directly by the skill;
/// the outcome carries only what the agent itself applies: a confidence
/// adjustment and advisory follow-ups.
///
/// ```
/// use rig_compose::{NextAction, SkillOutcome};
///
/// let outcome = SkillOutcome::noop()
///     .with_delta(0.2)
///     .with_next(NextAction::RunSkill("recon.entropy_check".into()))
///     .with_next(NextAction::Conclude);
/// assert_eq!(outcome.confidence_delta, 0.2);
/// assert_eq!(outcome.next_actions.len(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct SkillOutcome {
    /// Amount added to the running confidence; negative values lower it.
    /// The agent clamps the sum into `[0, 1]`.
    pub confidence_delta: f32,
    /// Advisory follow-ups, in the order the skill suggests them.
    pub next_actions: Vec<NextAction>,
}

impl SkillOutcome {
    /// An outcome that changes nothing.
    pub fn noop() -> Self {
        Self::default()
    }

    /// Replace the confidence delta.
    pub fn with_delta(self, d: f32) -> Self {
        Self {
            confidence_delta: d,
            ..self
        }
    }

    /// Append one follow-up action.
    pub fn with_next(mut self, a: NextAction) -> Self {
        self.next_actions.push(a);
        self
    }
}

/// A stateless, shareable reasoning step.
///
/// Implementations must not keep mutable per-run state: the same instance
/// may execute concurrently for different agents and contexts.
///
/// ```
/// use async_trait::async_trait;
/// use rig_compose::{Evidence, InvestigationContext, KernelError, Skill, SkillOutcome, ToolRegistry};
///
/// struct FlagBurst;
///
/// #[async_trait]
/// impl Skill for FlagBurst {
///     fn id(&self) -> &str {
///         "auth.flag_burst"
///     }
///
///     fn applies(&self, ctx: &InvestigationContext) -> bool {
///         ctx.has_signal("auth.failure.burst")
///     }
///
///     async fn execute(
///         &self,
///         ctx: &mut InvestigationContext,
///         _registry: &ToolRegistry,
///     ) -> Result<SkillOutcome, KernelError> {
///         ctx.evidence.push(Evidence::new(self.id(), "burst of failed logins"));
///         Ok(SkillOutcome::noop().with_delta(0.3))
///     }
/// }
///
/// let quiet = InvestigationContext::new("host-1", "default");
/// assert!(!FlagBurst.applies(&quiet));
/// assert_eq!(FlagBurst.description(), "");
///
/// let mut noisy = quiet.with_signal("auth.failure.burst");
/// let outcome = futures::executor::block_on(FlagBurst.execute(&mut noisy, &ToolRegistry::new())).unwrap();
/// assert_eq!(outcome.confidence_delta, 0.3);
/// assert_eq!(noisy.evidence.len(), 1);
/// ```
#[async_trait]
pub trait Skill: Send + Sync {
    /// The registry id.
    fn id(&self) -> &str;

    /// A human-readable summary for catalogues. Defaults to empty.
    fn description(&self) -> &str {
        ""
    }

    /// Whether the skill wants to run on `ctx` as it stands. Defaults to
    /// `true`; specialist skills usually gate on signals or prior evidence.
    fn applies(&self, _ctx: &InvestigationContext) -> bool {
        true
    }

    /// Run the skill: update `context` with evidence or signals as needed and
    /// report what the agent should fold in.
    async fn execute(
        &self,
        context: &mut InvestigationContext,
        tools: &ToolRegistry,
    ) -> Result<SkillOutcome, KernelError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bare;

    #[async_trait]
    impl Skill for Bare {
        fn id(&self) -> &str {
            "bare"
        }

        async fn execute(
            &self,
            ctx: &mut InvestigationContext,
            _registry: &ToolRegistry,
        ) -> Result<SkillOutcome, KernelError> {
            ctx.signals
                .push(crate::context::Signal::new("seen.by.bare"));
            Ok(SkillOutcome::noop())
        }
    }

    #[test]
    fn builders_accumulate_and_replace() {
        let outcome = SkillOutcome::noop()
            .with_delta(0.5)
            .with_delta(-0.25)
            .with_next(NextAction::Discard)
            .with_next(NextAction::RunSkill("x".into()));
        assert_eq!(outcome.confidence_delta, -0.25);
        assert!(matches!(outcome.next_actions[0], NextAction::Discard));
        assert!(matches!(&outcome.next_actions[1], NextAction::RunSkill(id) if id == "x"));

        let empty = SkillOutcome::noop();
        assert_eq!(empty.confidence_delta, 0.0);
        assert!(empty.next_actions.is_empty());
    }

    #[tokio::test]
    async fn defaults_and_execution() {
        let ctx = InvestigationContext::new("e", "p");
        assert_eq!(Bare.description(), "");
        assert!(Bare.applies(&ctx));

        let mut ctx = ctx;
        let skill: &dyn Skill = &Bare;
        skill.execute(&mut ctx, &ToolRegistry::new()).await.unwrap();
        assert!(ctx.has_signal("seen.by.bare"));
    }
}
