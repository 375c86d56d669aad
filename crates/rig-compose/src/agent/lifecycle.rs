//! [`AgentLifecycleHook`]: observation points around a [`GenericAgent`] step.

use async_trait::async_trait;

use super::{AgentStepResult, GenericAgent};
use crate::context::InvestigationContext;
use crate::registry::KernelError;
use crate::skill::SkillOutcome;

/// Callbacks a [`GenericAgent`] makes while it steps, for tracing, metrics,
/// test recording or per-skill accounting. Every method defaults to doing
/// nothing, so implementors override only what they need.
///
/// # Order
///
/// For one step the agent calls, with each event sent to every hook in the
/// order the hooks were added:
///
/// 1. [`before_step`](Self::before_step) once;
/// 2. per skill in the chain, [`before_skill`](Self::before_skill) with
///    `applies = false` for a skill that is skipped, or `applies = true`
///    followed (if the skill succeeds) by [`after_skill`](Self::after_skill);
/// 3. [`after_step`](Self::after_step) once when the step succeeds, or
///    [`on_step_error`](Self::on_step_error) once when a skill fails, after
///    which the step stops.
///
/// # Errors
///
/// A hook's error is logged (at `warn`) and otherwise ignored: hooks can
/// neither abort a step nor replace the error a skill returned.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use async_trait::async_trait;
/// use rig_compose::{
///     Agent, AgentLifecycleHook, GenericAgent, InvestigationContext, KernelError,
///     SkillOutcome, SkillRegistry, ToolRegistry,
/// };
///
/// #[derive(Default)]
/// struct Log(Mutex<Vec<String>>);
///
/// #[async_trait]
/// impl AgentLifecycleHook for Log {
///     async fn after_skill(
///         &self,
///         _runner: &GenericAgent,
///         skill_id: &str,
///         _outcome: &SkillOutcome,
///         confidence: f32,
///     ) -> Result<(), KernelError> {
///         self.0.lock().unwrap().push(format!("{skill_id}:{confidence}"));
///         Ok(())
///     }
/// }
///
/// let log = Arc::new(Log::default());
/// let agent = GenericAgent::builder("quiet")
///     .with_lifecycle_hook(log.clone())
///     .build(&SkillRegistry::new(), &ToolRegistry::new())
///     .unwrap();
/// let mut ctx = InvestigationContext::new("e", "p");
/// futures::executor::block_on(agent.step(&mut ctx)).unwrap();
/// assert!(log.0.lock().unwrap().is_empty()); // no skills, no skill events
/// ```
#[async_trait]
pub trait AgentLifecycleHook: Send + Sync {
    /// A step is about to start on `ctx`.
    async fn before_step(
        &self,
        _runner: &GenericAgent,
        _context: &InvestigationContext,
    ) -> Result<(), KernelError> {
        Ok(())
    }

    /// The agent reached `skill` in its chain. `applies` says whether it
    /// will execute; the confidence is the running value before it does.
    async fn before_skill(
        &self,
        _runner: &GenericAgent,
        _skill: &str,
        _applies: bool,
        _confidence_before: f32,
    ) -> Result<(), KernelError> {
        Ok(())
    }

    /// `skill` executed and its `outcome` was folded in; the confidence is
    /// the clamped value afterwards.
    async fn after_skill(
        &self,
        _runner: &GenericAgent,
        _skill: &str,
        _outcome: &SkillOutcome,
        _confidence_after: f32,
    ) -> Result<(), KernelError> {
        Ok(())
    }

    /// The step finished successfully with `step`.
    async fn after_step(
        &self,
        _runner: &GenericAgent,
        _step: &AgentStepResult,
    ) -> Result<(), KernelError> {
        Ok(())
    }

    /// A skill failed with `failure`; the step returns that error next.
    async fn on_step_error(
        &self,
        _runner: &GenericAgent,
        _failure: &KernelError,
    ) -> Result<(), KernelError> {
        Ok(())
    }
}
