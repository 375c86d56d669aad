//! [`CoordinatorAgent`]: rule-table routing to specialists.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::{CoordinatorBuilder, RoutingRule};
use crate::agent::{Agent, AgentId, AgentStepResult};
use crate::context::InvestigationContext;
use crate::registry::KernelError;

/// An [`Agent`] with no skills of its own that hands each step to one
/// specialist chosen by signal.
///
/// Routing tries the rules in insertion order and takes the first rule that
/// fires *and* names a registered specialist; a firing rule whose target is
/// missing is passed over. If no rule leads anywhere, the fallback
/// specialist (if set and registered) is used. With no target at all the
/// step is a no-op that reports the context's current confidence and
/// `concluded = false`.
///
/// ```
/// use std::sync::Arc;
/// use async_trait::async_trait;
/// use rig_compose::{
///     Agent, AgentId, AgentStepResult, CoordinatorAgent, InvestigationContext,
///     KernelError, RoutingRule,
/// };
///
/// /// A stand-in specialist that reports its own name as the skill it ran.
/// struct Specialist(&'static str, AgentId);
///
/// #[async_trait]
/// impl Agent for Specialist {
///     fn id(&self) -> AgentId { self.1 }
///     fn name(&self) -> &str { self.0 }
///     async fn step(&self, ctx: &mut InvestigationContext) -> Result<AgentStepResult, KernelError> {
///         Ok(AgentStepResult {
///             skills_run: vec![self.0.to_owned()],
///             skills_skipped: vec![],
///             confidence: ctx.confidence,
///             concluded: false,
///         })
///     }
/// }
///
/// let coordinator = CoordinatorAgent::builder("overseer")
///     .with_specialist(Arc::new(Specialist("recon", AgentId::new())))
///     .with_specialist(Arc::new(Specialist("general", AgentId::new())))
///     .route(RoutingRule::new("recon", ["fanout.high"]))
///     .fallback("general")
///     .build();
///
/// let mut noisy = InvestigationContext::new("host-1", "lab").with_signal("fanout.high");
/// let step = futures::executor::block_on(coordinator.step(&mut noisy))?;
/// assert_eq!(step.skills_run, ["recon"]);
///
/// let quiet = InvestigationContext::new("host-2", "lab");
/// assert_eq!(coordinator.route(&quiet).map(|a| a.name()), Some("general"));
/// # Ok::<(), KernelError>(())
/// ```
pub struct CoordinatorAgent {
    name: String,
    id: AgentId,
    specialists: HashMap<String, Arc<dyn Agent>>,
    rules: Vec<RoutingRule>,
    fallback: Option<String>,
}

impl CoordinatorAgent {
    /// Start configuring a coordinator called `name`.
    pub fn builder(name: impl Into<String>) -> CoordinatorBuilder {
        CoordinatorBuilder::named(name.into())
    }

    pub(super) fn from_parts(
        name: String,
        rules: Vec<RoutingRule>,
        specialists: HashMap<String, Arc<dyn Agent>>,
        fallback: Option<String>,
    ) -> Self {
        Self {
            id: AgentId::new(),
            name,
            rules,
            specialists,
            fallback,
        }
    }

    /// The specialist that would handle `ctx`, if any (see the type docs
    /// for the order of precedence).
    pub fn route<'a>(&'a self, ctx: &InvestigationContext) -> Option<&'a Arc<dyn Agent>> {
        self.rules
            .iter()
            .filter(|rule| rule.fires_for(ctx))
            .find_map(|rule| self.specialists.get(&rule.agent_name))
            .or_else(|| {
                self.fallback
                    .as_deref()
                    .and_then(|name| self.specialists.get(name))
            })
    }
}

#[async_trait]
impl Agent for CoordinatorAgent {
    fn name(&self) -> &str {
        self.name.as_str()
    }

    fn id(&self) -> AgentId {
        self.id
    }

    async fn step(&self, ctx: &mut InvestigationContext) -> Result<AgentStepResult, KernelError> {
        // Clone the handle so the borrow of `self` ends before `ctx` is
        // lent mutably to the specialist.
        let target = self.route(ctx).map(Arc::clone);
        tracing::debug!(
            coordinator = %self.name,
            entity = %ctx.entity_id,
            signals = ctx.signals.len(),
            target = target.as_ref().map(|agent| agent.name()),
            "coordinator routing decision"
        );
        if let Some(specialist) = target {
            return specialist.step(ctx).await;
        }
        // Nobody to hand the step to: report the context unchanged.
        Ok(AgentStepResult {
            confidence: ctx.confidence,
            concluded: false,
            skills_run: Vec::new(),
            skills_skipped: Vec::new(),
        })
    }
}

impl fmt::Debug for CoordinatorAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.specialists.keys().collect();
        names.sort();
        f.debug_struct("CoordinatorAgent")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("rules", &self.rules)
            .field("specialists", &names)
            .field("fallback", &self.fallback)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::GenericAgent;
    use crate::registry::{SkillRegistry, ToolRegistry};
    use crate::skill::{Skill, SkillOutcome};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Records how often it ran and bumps confidence by a fixed amount.
    struct Probe {
        name: String,
        id: AgentId,
        runs: AtomicUsize,
        bump: f32,
    }

    impl Probe {
        fn new(name: &str, bump: f32) -> Arc<Self> {
            Arc::new(Self {
                name: name.into(),
                id: AgentId::new(),
                runs: AtomicUsize::new(0),
                bump,
            })
        }
    }

    #[async_trait]
    impl Agent for Probe {
        fn name(&self) -> &str {
            &self.name
        }
        fn id(&self) -> AgentId {
            self.id
        }
        async fn step(
            &self,
            ctx: &mut InvestigationContext,
        ) -> Result<AgentStepResult, KernelError> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            ctx.confidence += self.bump;
            Ok(AgentStepResult {
                skills_run: vec![self.name.clone()],
                skills_skipped: vec![],
                confidence: ctx.confidence,
                concluded: true,
            })
        }
    }

    fn ctx(signals: &[&str]) -> InvestigationContext {
        signals
            .iter()
            .fold(InvestigationContext::new("e", "p"), |c, s| {
                c.with_signal(*s)
            })
    }

    #[tokio::test]
    async fn first_firing_rule_wins() {
        let a = Probe::new("a", 0.1);
        let b = Probe::new("b", 0.2);
        let coord = CoordinatorAgent::builder("c")
            .with_specialist(a.clone())
            .with_specialist(b.clone())
            .route(RoutingRule::new("a", ["sig.a"]))
            .route(RoutingRule::new("b", ["sig.b", "sig.a"]))
            .build();

        let mut both = ctx(&["sig.b", "sig.a"]);
        let step = coord.step(&mut both).await.unwrap();
        assert_eq!(step.skills_run, ["a"]);
        assert!(step.concluded);
        assert_eq!(a.runs.load(Ordering::SeqCst), 1);
        assert_eq!(b.runs.load(Ordering::SeqCst), 0);
        assert!((both.confidence - 0.1).abs() < 1e-6);

        let mut only_b = ctx(&["sig.b"]);
        coord.step(&mut only_b).await.unwrap();
        assert_eq!(b.runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn rule_with_unregistered_target_falls_through() {
        let b = Probe::new("b", 0.0);
        let coord = CoordinatorAgent::builder("c")
            .with_specialist(b.clone())
            .route(RoutingRule::new("ghost", ["x"]))
            .route(RoutingRule::new("b", ["x"]))
            .build();
        assert_eq!(coord.route(&ctx(&["x"])).unwrap().name(), "b");
        assert!(coord.route(&ctx(&["y"])).is_none());
    }

    #[tokio::test]
    async fn fallback_only_when_no_rule_routes() {
        let hit = Probe::new("hit", 0.0);
        let general = Probe::new("general", 0.0);
        let coord = CoordinatorAgent::builder("c")
            .with_specialist(hit.clone())
            .with_specialist(general.clone())
            .route(RoutingRule::new("hit", ["x"]))
            .fallback("general")
            .build();
        coord.step(&mut ctx(&["x"])).await.unwrap();
        coord.step(&mut ctx(&[])).await.unwrap();
        coord.step(&mut ctx(&["other"])).await.unwrap();
        assert_eq!(hit.runs.load(Ordering::SeqCst), 1);
        assert_eq!(general.runs.load(Ordering::SeqCst), 2);

        let dangling = CoordinatorAgent::builder("c")
            .with_specialist(hit.clone())
            .fallback("nobody")
            .build();
        assert!(dangling.route(&ctx(&[])).is_none());
    }

    #[tokio::test]
    async fn no_target_is_a_noop_reporting_current_confidence() {
        let coord = CoordinatorAgent::builder("c").build();
        let mut c = ctx(&["x"]);
        c.confidence = 0.42;
        let step = coord.step(&mut c).await.unwrap();
        assert!(step.skills_run.is_empty() && step.skills_skipped.is_empty());
        assert!(!step.concluded);
        assert_eq!(step.confidence, 0.42);
        assert_eq!(c.confidence, 0.42);
        assert_eq!(coord.name(), "c");
        assert_ne!(coord.id(), CoordinatorAgent::builder("c").build().id());
    }

    #[tokio::test]
    async fn later_specialist_with_same_name_replaces_earlier() {
        let first = Probe::new("dup", 0.0);
        let second = Probe::new("dup", 0.0);
        let coord = CoordinatorAgent::builder("c")
            .with_specialist(first.clone())
            .with_specialist(second.clone())
            .fallback("dup")
            .build();
        coord.step(&mut ctx(&[])).await.unwrap();
        assert_eq!(first.runs.load(Ordering::SeqCst), 0);
        assert_eq!(second.runs.load(Ordering::SeqCst), 1);
        assert!(format!("{coord:?}").contains("dup"));
    }

    struct Lift;

    #[async_trait]
    impl Skill for Lift {
        fn id(&self) -> &str {
            "lift"
        }
        fn applies(&self, ctx: &InvestigationContext) -> bool {
            ctx.has_signal("go")
        }
        async fn execute(
            &self,
            _context: &mut InvestigationContext,
            _registry: &ToolRegistry,
        ) -> Result<SkillOutcome, KernelError> {
            Ok(SkillOutcome::noop().with_delta(0.3))
        }
    }

    #[tokio::test]
    async fn routes_into_generic_agents_and_nests() {
        let skills = SkillRegistry::new();
        skills.register(Arc::new(Lift));
        let specialist = GenericAgent::builder("lifter")
            .with_skills(["lift"])
            .build(&skills, &ToolRegistry::new())
            .unwrap();
        let inner = CoordinatorAgent::builder("inner")
            .with_specialist(Arc::new(specialist))
            .route(RoutingRule::new("lifter", ["go"]))
            .build();
        // A coordinator is an agent, so coordinators compose.
        let outer = CoordinatorAgent::builder("outer")
            .with_specialist(Arc::new(inner))
            .fallback("inner")
            .build();
        let mut c = ctx(&["go"]);
        let step = outer.step(&mut c).await.unwrap();
        assert_eq!(step.skills_run, ["lift"]);
        assert!((c.confidence - 0.3).abs() < 1e-6);
    }
}
