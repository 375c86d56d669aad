//! Behaviour of `GenericAgent`, its builder and lifecycle hooks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};

use super::*;
use crate::context::{InvestigationContext, NextAction};
use crate::registry::{KernelError, SkillRegistry, ToolRegistry};
use crate::skill::{Skill, SkillOutcome};
use crate::tool::{LocalTool, ToolSchema};

/// Configurable test skill.
struct Scripted {
    id: &'static str,
    applies: bool,
    delta: f32,
    next: Vec<NextAction>,
    fail: bool,
    applies_calls: AtomicUsize,
    exec_calls: AtomicUsize,
}

impl Scripted {
    fn new(id: &'static str) -> Self {
        Self {
            id,
            applies: true,
            delta: 0.0,
            next: Vec::new(),
            fail: false,
            applies_calls: AtomicUsize::new(0),
            exec_calls: AtomicUsize::new(0),
        }
    }
    fn delta(mut self, d: f32) -> Self {
        self.delta = d;
        self
    }
    fn inapplicable(mut self) -> Self {
        self.applies = false;
        self
    }
    fn then(mut self, a: NextAction) -> Self {
        self.next.push(a);
        self
    }
    fn failing(mut self) -> Self {
        self.fail = true;
        self
    }
}

#[async_trait]
impl Skill for Scripted {
    fn id(&self) -> &str {
        self.id
    }
    fn applies(&self, _ctx: &InvestigationContext) -> bool {
        self.applies_calls.fetch_add(1, Ordering::SeqCst);
        self.applies
    }
    async fn execute(
        &self,
        _context: &mut InvestigationContext,
        _registry: &ToolRegistry,
    ) -> Result<SkillOutcome, KernelError> {
        self.exec_calls.fetch_add(1, Ordering::SeqCst);
        if self.fail {
            return Err(KernelError::SkillFailed(format!("{} failed", self.id)));
        }
        let mut out = SkillOutcome::noop().with_delta(self.delta);
        out.next_actions = self.next.clone();
        Ok(out)
    }
}

/// Appends `"<tag>:<event>..."` lines to a shared log; can fail every call.
struct Recorder {
    tag: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    fail: bool,
}

impl Recorder {
    fn push(&self, line: String) -> Result<(), KernelError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{}:{line}", self.tag));
        if self.fail {
            Err(KernelError::ToolFailed(format!("hook {} failed", self.tag)))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl AgentLifecycleHook for Recorder {
    async fn before_step(
        &self,
        agent: &GenericAgent,
        ctx: &InvestigationContext,
    ) -> Result<(), KernelError> {
        self.push(format!("before_step({},{})", agent.name(), ctx.confidence))
    }
    async fn before_skill(
        &self,
        _agent: &GenericAgent,
        skill_id: &str,
        applies: bool,
        confidence: f32,
    ) -> Result<(), KernelError> {
        self.push(format!("before_skill({skill_id},{applies},{confidence})"))
    }
    async fn after_skill(
        &self,
        _agent: &GenericAgent,
        skill_id: &str,
        outcome: &SkillOutcome,
        confidence: f32,
    ) -> Result<(), KernelError> {
        self.push(format!(
            "after_skill({skill_id},{},{confidence})",
            outcome.confidence_delta
        ))
    }
    async fn after_step(
        &self,
        _agent: &GenericAgent,
        result: &AgentStepResult,
    ) -> Result<(), KernelError> {
        self.push(format!(
            "after_step({:?},{:?},{})",
            result.skills_run, result.skills_skipped, result.concluded
        ))
    }
    async fn on_step_error(
        &self,
        _agent: &GenericAgent,
        error: &KernelError,
    ) -> Result<(), KernelError> {
        self.push(format!("on_step_error({error})"))
    }
}

fn registry(skills: Vec<Scripted>) -> (SkillRegistry, Vec<Arc<Scripted>>) {
    let reg = SkillRegistry::new();
    let handles: Vec<Arc<Scripted>> = skills.into_iter().map(Arc::new).collect();
    for h in &handles {
        reg.register(h.clone());
    }
    (reg, handles)
}

fn recorder(tag: &'static str, log: &Arc<Mutex<Vec<String>>>, fail: bool) -> Arc<Recorder> {
    Arc::new(Recorder {
        tag,
        log: log.clone(),
        fail,
    })
}

fn ctx() -> InvestigationContext {
    InvestigationContext::new("e", "p")
}

#[tokio::test]
async fn hooks_see_events_in_order() {
    let (skills, _) = registry(vec![
        Scripted::new("a").delta(0.25),
        Scripted::new("b").inapplicable(),
        Scripted::new("c").delta(0.5).then(NextAction::Conclude),
        Scripted::new("d").delta(0.125),
    ]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let agent = GenericAgent::builder("ordered")
        .with_skills(["a", "b", "c", "d"])
        .with_lifecycle_hook(recorder("h1", &log, false))
        .with_lifecycle_hook(recorder("h2", &log, false))
        .build(&skills, &ToolRegistry::new())
        .unwrap();

    let step = agent.step(&mut ctx()).await.unwrap();
    assert_eq!(step.skills_run, ["a", "c"]);
    assert_eq!(step.skills_skipped, ["b", "d"]);
    assert!(step.concluded);
    assert_eq!(step.confidence, 0.75);

    let expected = [
        "h1:before_step(ordered,0)",
        "h2:before_step(ordered,0)",
        "h1:before_skill(a,true,0)",
        "h2:before_skill(a,true,0)",
        "h1:after_skill(a,0.25,0.25)",
        "h2:after_skill(a,0.25,0.25)",
        "h1:before_skill(b,false,0.25)",
        "h2:before_skill(b,false,0.25)",
        "h1:before_skill(c,true,0.25)",
        "h2:before_skill(c,true,0.25)",
        "h1:after_skill(c,0.5,0.75)",
        "h2:after_skill(c,0.5,0.75)",
        "h1:before_skill(d,false,0.75)",
        "h2:before_skill(d,false,0.75)",
        "h1:after_step([\"a\", \"c\"],[\"b\", \"d\"],true)",
        "h2:after_step([\"a\", \"c\"],[\"b\", \"d\"],true)",
    ];
    assert_eq!(*log.lock().unwrap(), expected);
}

#[tokio::test]
async fn failing_hooks_are_ignored() {
    let (skills, handles) = registry(vec![Scripted::new("a").delta(0.5)]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let agent = GenericAgent::builder("x")
        .with_skills(["a"])
        .with_lifecycle_hook(recorder("bad", &log, true))
        .with_lifecycle_hook(recorder("good", &log, false))
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    let mut c = ctx();
    let step = agent.step(&mut c).await.unwrap();
    assert_eq!(step.skills_run, ["a"]);
    assert_eq!(c.confidence, 0.5);
    assert_eq!(handles[0].exec_calls.load(Ordering::SeqCst), 1);
    // Every event still reaches both hooks, the failing one first.
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 8);
    assert!(log[0].starts_with("bad:before_step") && log[1].starts_with("good:before_step"));
    assert!(log[7].starts_with("good:after_step"));
}

#[tokio::test]
async fn skill_error_stops_the_step_and_notifies() {
    let (skills, handles) = registry(vec![
        Scripted::new("ok")
            .delta(0.3)
            .then(NextAction::RunSkill("boom".into())),
        Scripted::new("boom").failing(),
        Scripted::new("never"),
    ]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let agent = GenericAgent::builder("x")
        .with_skills(["ok", "boom", "never"])
        .with_lifecycle_hook(recorder("h", &log, true))
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    let mut c = ctx();
    let err = agent.step(&mut c).await.unwrap_err();
    // The skill's own error comes back, not the failing hook's.
    assert!(matches!(&err, KernelError::SkillFailed(m) if m == "boom failed"));
    // Work done before the failure stays in the context.
    assert!((c.confidence - 0.3).abs() < 1e-6);
    assert_eq!(c.pending_actions.len(), 1);
    assert_eq!(handles[2].applies_calls.load(Ordering::SeqCst), 0);
    assert_eq!(handles[2].exec_calls.load(Ordering::SeqCst), 0);
    let log = log.lock().unwrap();
    assert_eq!(
        log.last().unwrap(),
        "h:on_step_error(skill execution failed: boom failed)"
    );
    assert!(!log.iter().any(|l| l.contains("after_step")));
    assert!(!log.iter().any(|l| l.contains("after_skill(boom")));
}

#[tokio::test]
async fn confidence_is_clamped_after_each_skill() {
    let (skills, _) = registry(vec![
        Scripted::new("down").delta(-5.0),
        Scripted::new("up").delta(0.4),
        Scripted::new("way_up").delta(10.0),
        Scripted::new("dip").delta(-0.25),
    ]);
    let log = Arc::new(Mutex::new(Vec::new()));
    let agent = GenericAgent::builder("x")
        .with_skills(["down", "up", "way_up", "dip"])
        .with_lifecycle_hook(recorder("h", &log, false))
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    let mut c = ctx();
    c.confidence = 0.5;
    let step = agent.step(&mut c).await.unwrap();
    assert_eq!(step.confidence, 0.75);
    assert_eq!(c.confidence, 0.75);
    let afters: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("after_skill"))
        .cloned()
        .collect();
    assert_eq!(
        afters,
        [
            "h:after_skill(down,-5,0)",
            "h:after_skill(up,0.4,0.4)",
            "h:after_skill(way_up,10,1)",
            "h:after_skill(dip,-0.25,0.75)",
        ]
    );
}

#[tokio::test]
async fn pending_actions_hold_the_last_executed_skills_hints() {
    let (skills, _) = registry(vec![
        Scripted::new("hint").then(NextAction::RunSkill("x".into())),
        Scripted::new("quiet"),
        Scripted::new("skipped")
            .inapplicable()
            .then(NextAction::Conclude),
    ]);
    let agent = GenericAgent::builder("x")
        .with_skills(["hint"])
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    let mut c = ctx();
    c.pending_actions = vec![NextAction::Discard];
    agent.step(&mut c).await.unwrap();
    assert!(matches!(&c.pending_actions[..], [NextAction::RunSkill(s)] if s == "x"));

    // A later skill with no hints clears them; a skipped skill leaves them.
    let agent = GenericAgent::builder("x")
        .with_skills(["hint", "quiet", "skipped"])
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    let step = agent.step(&mut c).await.unwrap();
    assert!(c.pending_actions.is_empty());
    assert!(!step.concluded);

    // Untouched when nothing runs.
    let agent = GenericAgent::builder("x")
        .with_skills(["skipped"])
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    c.pending_actions = vec![NextAction::Discard];
    agent.step(&mut c).await.unwrap();
    assert_eq!(c.pending_actions.len(), 1);
}

#[tokio::test]
async fn short_circuit_skips_without_consulting_applies() {
    let (skills, handles) = registry(vec![
        Scripted::new("discard").then(NextAction::Discard),
        Scripted::new("after").delta(0.5),
    ]);
    let agent = GenericAgent::builder("x")
        .with_skills(["discard", "after"])
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    assert!(agent.short_circuit_on_conclude);
    let step = agent.step(&mut ctx()).await.unwrap();
    assert!(step.concluded);
    assert_eq!(step.skills_skipped, ["after"]);
    assert_eq!(handles[1].applies_calls.load(Ordering::SeqCst), 0);
    assert_eq!(handles[1].exec_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn without_short_circuit_the_chain_continues() {
    let (skills, handles) = registry(vec![
        Scripted::new("conclude").then(NextAction::Conclude),
        Scripted::new("after").delta(0.5),
        Scripted::new("no").inapplicable(),
    ]);
    let mut agent = GenericAgent::builder("x")
        .with_skills(["conclude", "after", "no"])
        .short_circuit_on_conclude(false)
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    let mut c = ctx();
    let step = agent.step(&mut c).await.unwrap();
    assert!(step.concluded, "conclusion is still reported");
    assert_eq!(step.skills_run, ["conclude", "after"]);
    assert_eq!(step.skills_skipped, ["no"]);
    assert_eq!(c.confidence, 0.5);
    assert_eq!(handles[2].applies_calls.load(Ordering::SeqCst), 1);

    // The public field can be flipped after construction.
    agent.short_circuit_on_conclude = true;
    let step = agent.step(&mut ctx()).await.unwrap();
    assert_eq!(step.skills_run, ["conclude"]);
}

#[tokio::test]
async fn empty_chain_reports_current_state() {
    let agent = GenericAgent::builder("empty")
        .build(&SkillRegistry::new(), &ToolRegistry::new())
        .unwrap();
    let mut c = ctx();
    c.confidence = 0.3;
    let step = agent.step(&mut c).await.unwrap();
    assert_eq!(
        step,
        AgentStepResult {
            skills_run: vec![],
            skills_skipped: vec![],
            confidence: 0.3,
            concluded: false
        }
    );
    assert_eq!(agent.name(), "empty");
    assert_ne!(agent.id(), AgentId::default());
}

#[test]
fn builder_accumulates_skills_and_replaces_tools() {
    let (skills, _) = registry(vec![Scripted::new("a"), Scripted::new("b")]);
    let tools = ToolRegistry::new();
    for name in ["t1", "t2", "t3"] {
        tools.register(Arc::new(LocalTool::new(
            ToolSchema {
                name: name.into(),
                description: String::new(),
                args_schema: json!({}),
                result_schema: json!({}),
            },
            |v: Value| async move { Ok(v) },
        )));
    }
    let builder = GenericAgent::builder("b")
        .with_skills(["b"])
        .with_skills(vec![String::from("a"), String::from("b")])
        .with_tools(["t1", "t2"])
        .with_tools(["t3"]);
    assert!(format!("{builder:?}").contains("t3"));
    let agent = builder.build(&skills, &tools).unwrap();
    let ids: Vec<&str> = agent.skills().iter().map(|s| s.id()).collect();
    assert_eq!(ids, ["b", "a", "b"]);
    assert!(agent.tools().is_scoped());
    assert_eq!(agent.tools().len(), 1);
    assert!(matches!(
        agent.tools().get("t1"),
        Err(KernelError::ToolNotAuthorised(_))
    ));
    assert!(format!("{agent:?}").contains("\"b\""));

    let open = GenericAgent::builder("open")
        .build(&skills, &tools)
        .unwrap();
    assert!(!open.tools().is_scoped());
    assert_eq!(open.tools().len(), 3);

    let err = GenericAgent::builder("bad")
        .with_skills(["a", "missing", "also_missing"])
        .build(&skills, &tools)
        .unwrap_err();
    assert!(matches!(err, KernelError::SkillNotFound(id) if id == "missing"));
}

/// A skill that calls a tool through whatever registry the agent gives it.
struct UsesTool(&'static str);

#[async_trait]
impl Skill for UsesTool {
    fn id(&self) -> &str {
        "uses_tool"
    }
    async fn execute(
        &self,
        ctx: &mut InvestigationContext,
        tools: &ToolRegistry,
    ) -> Result<SkillOutcome, KernelError> {
        let v = tools.invoke(self.0, json!({})).await?;
        ctx.signals
            .push(crate::context::Signal::new(v.as_str().unwrap_or("?")));
        Ok(SkillOutcome::noop())
    }
}

#[tokio::test]
async fn skills_only_reach_scoped_tools() {
    let tools = ToolRegistry::new();
    for name in ["allowed", "hidden"] {
        tools.register(Arc::new(LocalTool::new(
            ToolSchema {
                name: name.into(),
                description: String::new(),
                args_schema: json!({}),
                result_schema: json!({}),
            },
            move |_| async move { Ok(json!(name)) },
        )));
    }
    let skills = SkillRegistry::new();
    skills.register(Arc::new(UsesTool("hidden")));
    let agent = GenericAgent::builder("x")
        .with_skills(["uses_tool"])
        .with_tools(["allowed"])
        .build(&skills, &tools)
        .unwrap();
    let err = agent.step(&mut ctx()).await.unwrap_err();
    assert!(matches!(err, KernelError::ToolNotAuthorised(n) if n == "hidden"));

    let skills = SkillRegistry::new();
    skills.register(Arc::new(UsesTool("allowed")));
    let agent = GenericAgent::builder("x")
        .with_skills(["uses_tool"])
        .with_tools(["allowed"])
        .build(&skills, &tools)
        .unwrap();
    let mut c = ctx();
    agent.step(&mut c).await.unwrap();
    assert!(c.has_signal("allowed"));
}

/// A hook that overrides nothing must still compile and be callable.
struct Silent;
impl AgentLifecycleHook for Silent {}

#[tokio::test]
async fn default_hook_methods_succeed() {
    let agent = GenericAgent::builder("x")
        .with_lifecycle_hook(Arc::new(Silent))
        .build(&SkillRegistry::new(), &ToolRegistry::new())
        .unwrap();
    let hook = Silent;
    let c = ctx();
    let result = agent.step(&mut ctx()).await.unwrap();
    let err = KernelError::SkillFailed("x".into());
    assert!(hook.before_step(&agent, &c).await.is_ok());
    assert!(hook.before_skill(&agent, "s", true, 0.0).await.is_ok());
    assert!(
        hook.after_skill(&agent, "s", &SkillOutcome::noop(), 0.0)
            .await
            .is_ok()
    );
    assert!(hook.after_step(&agent, &result).await.is_ok());
    assert!(hook.on_step_error(&agent, &err).await.is_ok());
}
