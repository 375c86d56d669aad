//! [`GenericAgent`]: the registry-configured agent.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::{Agent, AgentId, AgentLifecycleHook, AgentStepResult, GenericAgentBuilder};
use crate::context::{InvestigationContext, NextAction};
use crate::registry::{KernelError, ToolRegistry};
use crate::skill::{Skill, SkillOutcome};

/// An agent defined by an ordered chain of skills and a scoped tool
/// registry, built with [`GenericAgent::builder`].
///
/// Specialists differ only in configuration, never in code: the same skill
/// instances can back any number of agents.
///
/// # Step semantics
///
/// [`step`](Agent::step) makes one pass over the chain. For each skill:
///
/// * if an earlier skill in this step concluded and
///   [`short_circuit_on_conclude`](Self::short_circuit_on_conclude) is set,
///   or [`Skill::applies`] returns `false`, the skill is recorded in
///   `skills_skipped`;
/// * otherwise it executes; its `confidence_delta` is added to
///   `ctx.confidence` and the sum clamped into `[0, 1]`, its `next_actions`
///   replace `ctx.pending_actions`, and it is recorded in `skills_run`. A
///   [`NextAction::Conclude`] or [`NextAction::Discard`] marks the step as
///   concluded.
///
/// The first skill error ends the step and is returned unchanged. See
/// [`AgentLifecycleHook`] for the callbacks made along the way.
///
/// ```
/// use std::sync::Arc;
/// use async_trait::async_trait;
/// use rig_compose::{
///     Agent, GenericAgent, InvestigationContext, KernelError, NextAction, Skill,
///     SkillOutcome, SkillRegistry, ToolRegistry,
/// };
///
/// struct Raise(&'static str, f32, bool);
///
/// #[async_trait]
/// impl Skill for Raise {
///     fn id(&self) -> &str { self.0 }
///     async fn execute(&self, _: &mut InvestigationContext, _: &ToolRegistry)
///         -> Result<SkillOutcome, KernelError> {
///         let out = SkillOutcome::noop().with_delta(self.1);
///         Ok(if self.2 { out.with_next(NextAction::Conclude) } else { out })
///     }
/// }
///
/// let skills = SkillRegistry::new();
/// skills.register(Arc::new(Raise("first", 0.7, false)));
/// skills.register(Arc::new(Raise("decide", 0.7, true)));
/// skills.register(Arc::new(Raise("never", 0.1, false)));
///
/// let agent = GenericAgent::builder("triage")
///     .with_skills(["first", "decide", "never"])
///     .build(&skills, &ToolRegistry::new())?;
///
/// let mut ctx = InvestigationContext::new("host-7", "default");
/// let step = futures::executor::block_on(agent.step(&mut ctx))?;
/// assert_eq!(step.skills_run, ["first", "decide"]);
/// assert_eq!(step.skills_skipped, ["never"]);
/// assert!(step.concluded);
/// assert_eq!(ctx.confidence, 1.0); // 0.7 + 0.7, clamped
/// # Ok::<(), KernelError>(())
/// ```
pub struct GenericAgent {
    name: String,
    id: AgentId,
    skills: Vec<Arc<dyn Skill>>,
    hooks: Vec<Arc<dyn AgentLifecycleHook>>,
    tools: ToolRegistry,
    /// Skip the rest of the chain once a skill emits
    /// [`NextAction::Conclude`] or [`NextAction::Discard`]. Defaults to
    /// `true`.
    pub short_circuit_on_conclude: bool,
}

/// One lifecycle notification, so every event goes through a single
/// dispatch-and-log path.
#[derive(Clone, Copy)]
enum Event<'a> {
    BeforeStep(&'a InvestigationContext),
    BeforeSkill {
        skill_id: &'a str,
        applies: bool,
        confidence: f32,
    },
    AfterSkill {
        skill_id: &'a str,
        outcome: &'a SkillOutcome,
        confidence: f32,
    },
    AfterStep(&'a AgentStepResult),
    StepError(&'a KernelError),
}

impl Event<'_> {
    fn label(&self) -> &'static str {
        match self {
            Event::BeforeStep(_) => "before_step",
            Event::BeforeSkill { .. } => "before_skill",
            Event::AfterSkill { .. } => "after_skill",
            Event::AfterStep(_) => "after_step",
            Event::StepError(_) => "on_step_error",
        }
    }
}

impl GenericAgent {
    /// Start configuring an agent called `name`. Short-circuiting on
    /// conclude is on by default.
    pub fn builder(name: impl Into<String>) -> GenericAgentBuilder {
        GenericAgentBuilder::named(name.into())
    }

    /// Assemble an agent from already-resolved parts (used by the builder).
    pub(super) fn from_parts(
        name: String,
        skills: Vec<Arc<dyn Skill>>,
        tools: ToolRegistry,
        hooks: Vec<Arc<dyn AgentLifecycleHook>>,
        short_circuit_on_conclude: bool,
    ) -> Self {
        Self {
            id: AgentId::new(),
            name,
            skills,
            tools,
            hooks,
            short_circuit_on_conclude,
        }
    }

    /// The resolved skill chain, in execution order.
    pub fn skills(&self) -> &[Arc<dyn Skill>] {
        &self.skills
    }

    /// The tool registry skills receive (scoped if the builder was given a
    /// tool list).
    pub fn tools(&self) -> &ToolRegistry {
        &self.tools
    }

    /// Send `event` to every hook in order. Failures are logged and
    /// dropped: observability must not change what the step does.
    async fn notify(&self, event: Event<'_>) {
        for hook in &self.hooks {
            let outcome = match event {
                Event::BeforeStep(ctx) => hook.before_step(self, ctx).await,
                Event::BeforeSkill {
                    skill_id,
                    applies,
                    confidence,
                } => hook.before_skill(self, skill_id, applies, confidence).await,
                Event::AfterSkill {
                    skill_id,
                    outcome,
                    confidence,
                } => hook.after_skill(self, skill_id, outcome, confidence).await,
                Event::AfterStep(result) => hook.after_step(self, result).await,
                Event::StepError(error) => hook.on_step_error(self, error).await,
            };
            if let Err(error) = outcome {
                tracing::warn!(
                    agent = %self.name,
                    hook = event.label(),
                    %error,
                    "agent lifecycle hook failed; ignoring"
                );
            }
        }
    }
}

fn ends_investigation(actions: &[NextAction]) -> bool {
    actions
        .iter()
        .any(|action| matches!(action, NextAction::Conclude | NextAction::Discard))
}

#[async_trait]
impl Agent for GenericAgent {
    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn id(&self) -> AgentId {
        self.id
    }

    async fn step(&self, ctx: &mut InvestigationContext) -> Result<AgentStepResult, KernelError> {
        self.notify(Event::BeforeStep(ctx)).await;

        let mut report = AgentStepResult {
            skills_run: Vec::new(),
            skills_skipped: Vec::new(),
            confidence: ctx.confidence,
            concluded: false,
        };

        for skill in &self.skills {
            let skill_id = skill.id();
            // `applies` is not consulted once the chain is short-circuited.
            let runs = !(report.concluded && self.short_circuit_on_conclude) && skill.applies(ctx);
            self.notify(Event::BeforeSkill {
                skill_id,
                applies: runs,
                confidence: ctx.confidence,
            })
            .await;
            if !runs {
                report.skills_skipped.push(skill_id.to_owned());
                continue;
            }

            let outcome = match skill.execute(ctx, &self.tools).await {
                Ok(outcome) => outcome,
                Err(error) => {
                    self.notify(Event::StepError(&error)).await;
                    return Err(error);
                }
            };

            ctx.confidence = (ctx.confidence + outcome.confidence_delta).clamp(0.0, 1.0);
            ctx.pending_actions.clone_from(&outcome.next_actions);
            self.notify(Event::AfterSkill {
                skill_id,
                outcome: &outcome,
                confidence: ctx.confidence,
            })
            .await;

            report.concluded |= ends_investigation(&outcome.next_actions);
            report.skills_run.push(skill_id.to_owned());
        }

        report.confidence = ctx.confidence;
        self.notify(Event::AfterStep(&report)).await;
        Ok(report)
    }
}

impl fmt::Debug for GenericAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let skills: Vec<&str> = self.skills.iter().map(|s| s.id()).collect();
        f.debug_struct("GenericAgent")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("skills", &skills)
            .field("tools", &self.tools)
            .field("lifecycle_hooks", &self.hooks.len())
            .field("short_circuit_on_conclude", &self.short_circuit_on_conclude)
            .finish()
    }
}
