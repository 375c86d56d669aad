//! End-to-end use of the agent surface through the crate's public paths,
//! the way downstream crates use it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rig_compose::{
    Agent, AgentLifecycleHook, CoordinatorAgent, DelegateRegistry, DelegateTool, Evidence,
    GenericAgent, InProcessAgentDelegate, InvestigationContext, KernelError, NextAction,
    RoutingRule, Skill, SkillOutcome, SkillRegistry, ToolRegistry,
};
use serde_json::json;

/// Lifts confidence when its trigger signal is present and records why.
struct Trigger {
    id: &'static str,
    signal: &'static str,
    lift: f32,
}

#[async_trait]
impl Skill for Trigger {
    fn id(&self) -> &str {
        self.id
    }
    fn description(&self) -> &str {
        "lifts confidence on a signal"
    }
    fn applies(&self, context: &InvestigationContext) -> bool {
        context.has_signal(self.signal)
    }
    async fn execute(
        &self,
        context: &mut InvestigationContext,
        _toolbox: &ToolRegistry,
    ) -> Result<SkillOutcome, KernelError> {
        context
            .evidence
            .push(Evidence::new(self.id, format!("saw {}", self.signal)));
        Ok(SkillOutcome::noop()
            .with_delta(self.lift)
            .with_next(NextAction::Conclude))
    }
}

fn catalogue() -> SkillRegistry {
    let skills = SkillRegistry::new();
    skills.register(Arc::new(Trigger {
        id: "recon.fanout",
        signal: "fanout.high",
        lift: 0.3,
    }));
    skills.register(Arc::new(Trigger {
        id: "auth.spray",
        signal: "auth.failure.burst",
        lift: 0.6,
    }));
    skills
}

#[derive(Default)]
struct Steps(Mutex<Vec<String>>);

#[async_trait]
impl AgentLifecycleHook for Steps {
    async fn after_step(
        &self,
        agent: &GenericAgent,
        step: &rig_compose::AgentStepResult,
    ) -> Result<(), KernelError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("{}:{:?}", agent.name(), step.skills_run));
        Ok(())
    }
}

#[tokio::test]
async fn coordinator_routes_to_registry_built_specialists() {
    let skills = catalogue();
    let tools = ToolRegistry::new();
    let steps = Arc::new(Steps::default());
    let recon = GenericAgent::builder("recon")
        .with_skills(["recon.fanout"])
        .with_lifecycle_hook(steps.clone())
        .build(&skills, &tools)
        .unwrap();
    let credential = GenericAgent::builder("credential")
        .with_skills(["auth.spray"])
        .with_lifecycle_hook(steps.clone())
        .build(&skills, &tools)
        .unwrap();
    let overseer = CoordinatorAgent::builder("overseer")
        .with_specialist(Arc::new(recon))
        .with_specialist(Arc::new(credential))
        .route(RoutingRule::new("recon", ["fanout.high"]))
        .route(RoutingRule::new("credential", ["auth.failure.burst"]))
        .build();

    let mut ctx = InvestigationContext::new("host-1", "prod").with_signal("auth.failure.burst");
    let step = overseer.step(&mut ctx).await.unwrap();
    assert_eq!(step.skills_run, ["auth.spray"]);
    assert!(step.concluded);
    assert!((ctx.confidence - 0.6).abs() < 1e-6);
    assert_eq!(ctx.evidence.len(), 1);
    assert_eq!(
        *steps.0.lock().unwrap(),
        ["credential:[\"auth.spray\"]".to_owned()]
    );
    let descriptors = skills.descriptors();
    assert_eq!(descriptors[0].id, "auth.spray");
    assert_eq!(descriptors[0].description, "lifts confidence on a signal");
}

#[tokio::test]
async fn child_agent_answers_through_a_delegate_tool() {
    let skills = catalogue();
    let child = GenericAgent::builder("child")
        .with_skills(["recon.fanout", "auth.spray"])
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    let executors = DelegateRegistry::new();
    executors.register("child", InProcessAgentDelegate::arc(Arc::new(child)));

    let parent_tools = ToolRegistry::new();
    parent_tools.register(Arc::new(DelegateTool::new(
        "ask_child",
        "ask the child agent",
        executors.get("child").unwrap(),
    )));
    let reply = parent_tools
        .invoke(
            "ask_child",
            json!({"entity_id": "h", "signals": ["fanout.high", "auth.failure.burst"]}),
        )
        .await
        .unwrap();
    // The first skill concludes, so the second is short-circuited.
    assert_eq!(reply["result"]["skills_run"], json!(["recon.fanout"]));
    assert_eq!(reply["result"]["skills_skipped"], json!(["auth.spray"]));
    assert_eq!(reply["result"]["concluded"], json!(true));
    assert_eq!(reply["context"]["evidence"][0]["label"], "saw fanout.high");
}

#[cfg(feature = "manifest")]
#[tokio::test]
async fn manifest_file_wires_delegates() {
    use rig_compose::{AgentManifest, materialize_local_and_delegate_tools_with_delegates};

    let path =
        std::env::temp_dir().join(format!("rig-compose-agents-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(
        &path,
        "name: parent\ndelegates:\n  - name: ask_child\n    description: ask\n    kind: in_process\n    agent: child\n",
    )
    .unwrap();
    let manifest = AgentManifest::from_path(&path);
    std::fs::remove_file(&path).unwrap();
    let manifest = manifest.unwrap();

    let child = GenericAgent::builder("child")
        .build(&catalogue(), &ToolRegistry::new())
        .unwrap();
    let executors = DelegateRegistry::new();
    executors.register("child", InProcessAgentDelegate::arc(Arc::new(child)));
    let tools = materialize_local_and_delegate_tools_with_delegates(
        &manifest.tools,
        &manifest.delegates,
        &ToolRegistry::new(),
        &executors,
    )
    .unwrap();
    let reply = tools.invoke("ask_child", json!({})).await.unwrap();
    assert_eq!(reply["agent"], "child");
    assert_eq!(reply["context"]["entity_id"], "delegate");
}
