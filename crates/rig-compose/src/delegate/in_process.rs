//! [`InProcessAgentDelegate`]: run a child [`Agent`] behind a delegate tool.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::DelegateExecutor;
use crate::agent::Agent;
use crate::context::{InvestigationContext, Signal};
use crate::registry::KernelError;

/// Entity id used when the arguments do not name one.
const DEFAULT_ENTITY: &str = "delegate";
/// Partition used when the arguments do not name one.
const DEFAULT_PARTITION: &str = "default";

/// A [`DelegateExecutor`] that runs one [`Agent::step`] of a child agent in
/// the current process.
///
/// # Arguments
///
/// The call's JSON arguments become the child's [`InvestigationContext`]:
///
/// 1. If they have a `"context"` member, it must be a serialized
///    `InvestigationContext`; otherwise the call fails with
///    [`KernelError::Serde`].
/// 2. Else, if the whole arguments object is a serialized
///    `InvestigationContext`, it is used as is.
/// 3. Else a fresh context is built from the optional members `entity_id`
///    (string, default `"delegate"`), `partition` (string, default
///    `"default"`), `confidence` (number, clamped into `[0, 1]`) and
///    `signals` (array; string entries become signals, others are ignored).
///    Members of the wrong type fall back to their defaults.
///
/// # Result
///
/// ```json
/// {
///   "delegate_kind": "in_process",
///   "agent": "<child name>",
///   "result": {"skills_run": [..], "skills_skipped": [..], "confidence": 0.5, "concluded": false},
///   "context": { /* the child's context after the step */ }
/// }
/// ```
///
/// A failing child step is returned as the tool's error, unchanged. See
/// [`DelegateTool`](super::DelegateTool) for a complete parent/child example.
pub struct InProcessAgentDelegate {
    agent: Arc<dyn Agent>,
}

impl InProcessAgentDelegate {
    /// Wrap `agent`.
    pub fn new(agent: Arc<dyn Agent>) -> Self {
        Self { agent }
    }

    /// Wrap `agent` and return it ready to register as an executor.
    pub fn arc(agent: Arc<dyn Agent>) -> Arc<dyn DelegateExecutor> {
        Arc::new(Self::new(agent))
    }
}

impl fmt::Debug for InProcessAgentDelegate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProcessAgentDelegate")
            .field("agent", &self.agent.name())
            .finish()
    }
}

#[async_trait]
impl DelegateExecutor for InProcessAgentDelegate {
    async fn invoke(&self, args: Value) -> Result<Value, KernelError> {
        let mut ctx = context_from_arguments(&args)?;
        let step = self.agent.step(&mut ctx).await?;
        // Serialize explicitly so a context that cannot be represented as
        // JSON is an error, not a panic inside `json!`.
        let context = serde_json::to_value(&ctx)?;
        Ok(json!({
            "delegate_kind": "in_process",
            "agent": self.agent.name(),
            "result": {
                "skills_run": step.skills_run,
                "skills_skipped": step.skills_skipped,
                "confidence": step.confidence,
                "concluded": step.concluded,
            },
            "context": context,
        }))
    }
}

/// Decode tool-call arguments into the child's context (rules in the
/// [`InProcessAgentDelegate`] docs).
fn context_from_arguments(args: &Value) -> Result<InvestigationContext, KernelError> {
    if let Some(embedded) = args.get("context") {
        return Ok(InvestigationContext::deserialize(embedded)?);
    }
    if let Ok(whole) = InvestigationContext::deserialize(args) {
        return Ok(whole);
    }

    let text = |key: &str, default: &str| {
        args.get(key)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    let mut ctx = InvestigationContext::new(
        text("entity_id", DEFAULT_ENTITY),
        text("partition", DEFAULT_PARTITION),
    );
    if let Some(requested) = args.get("confidence").and_then(Value::as_f64) {
        ctx.confidence = (requested as f32).clamp(0.0, 1.0);
    }
    let named_signals = args
        .get("signals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(Signal::new);
    ctx.signals.extend(named_signals);
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{AgentId, AgentStepResult, GenericAgent};
    use crate::context::NextAction;
    use crate::delegate::DelegateTool;
    use crate::registry::{SkillRegistry, ToolRegistry};
    use crate::skill::{Skill, SkillOutcome};
    use std::sync::Mutex;

    /// Captures the context it was given and optionally fails.
    struct Capture {
        seen: Mutex<Option<InvestigationContext>>,
        fail: bool,
        id: AgentId,
    }

    impl Capture {
        fn new(fail: bool) -> Arc<Self> {
            Arc::new(Self {
                seen: Mutex::new(None),
                fail,
                id: AgentId::new(),
            })
        }

        fn seen(&self) -> InvestigationContext {
            self.seen.lock().unwrap().clone().unwrap()
        }
    }

    #[async_trait]
    impl Agent for Capture {
        fn id(&self) -> AgentId {
            self.id
        }
        fn name(&self) -> &str {
            "capture"
        }
        async fn step(
            &self,
            ctx: &mut InvestigationContext,
        ) -> Result<AgentStepResult, KernelError> {
            *self.seen.lock().unwrap() = Some(ctx.clone());
            if self.fail {
                return Err(KernelError::SkillFailed("child broke".into()));
            }
            Ok(AgentStepResult {
                skills_run: vec!["r".into()],
                skills_skipped: vec!["s".into()],
                confidence: 0.5,
                concluded: true,
            })
        }
    }

    #[tokio::test]
    async fn loose_arguments_build_a_context() {
        let child = Capture::new(false);
        let exec = InProcessAgentDelegate::new(child.clone());
        exec.invoke(json!({
            "entity_id": "host-a",
            "partition": "lab",
            "confidence": 7.5,
            "signals": ["a", 3, null, "b"],
            "unrelated": true,
        }))
        .await
        .unwrap();
        let ctx = child.seen();
        assert_eq!(ctx.entity_id, "host-a");
        assert_eq!(ctx.partition, "lab");
        assert_eq!(ctx.confidence, 1.0);
        let names: Vec<&str> = ctx.signals.iter().map(Signal::as_str).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[tokio::test]
    async fn missing_or_mistyped_members_use_defaults() {
        for args in [
            json!({}),
            json!(null),
            json!("just text"),
            json!({"entity_id": 5, "partition": [], "confidence": "high", "signals": "x"}),
        ] {
            let child = Capture::new(false);
            InProcessAgentDelegate::new(child.clone())
                .invoke(args.clone())
                .await
                .unwrap();
            let ctx = child.seen();
            assert_eq!(ctx.entity_id, "delegate", "{args}");
            assert_eq!(ctx.partition, "default", "{args}");
            assert_eq!(ctx.confidence, 0.0, "{args}");
            assert!(ctx.signals.is_empty(), "{args}");
        }
        let child = Capture::new(false);
        InProcessAgentDelegate::new(child.clone())
            .invoke(json!({"confidence": -3}))
            .await
            .unwrap();
        assert_eq!(child.seen().confidence, 0.0);
    }

    #[tokio::test]
    async fn embedded_and_whole_contexts_are_used_verbatim() {
        let mut original = InvestigationContext::new("ent", "part").with_signal("s1");
        original.confidence = 0.25;
        original.pending_actions = vec![NextAction::RunSkill("next".into())];
        let wire = serde_json::to_value(&original).unwrap();

        let child = Capture::new(false);
        let exec = InProcessAgentDelegate::new(child.clone());
        exec.invoke(json!({"context": wire.clone(), "entity_id": "ignored"}))
            .await
            .unwrap();
        let got = child.seen();
        assert_eq!(got.entity_id, "ent");
        assert_eq!(got.confidence, 0.25);
        assert!(got.has_signal("s1"));
        assert_eq!(got.pending_actions.len(), 1);

        exec.invoke(wire).await.unwrap();
        assert_eq!(child.seen().partition, "part");
    }

    #[tokio::test]
    async fn malformed_embedded_context_is_a_serde_error() {
        let child = Capture::new(false);
        let exec = InProcessAgentDelegate::new(child.clone());
        for bad in [
            json!({"context": {"entity_id": 1}}),
            json!({"context": null}),
        ] {
            let err = exec.invoke(bad).await.unwrap_err();
            assert!(matches!(err, KernelError::Serde(_)), "{err}");
        }
        assert!(child.seen.lock().unwrap().is_none(), "child must not run");
    }

    #[tokio::test]
    async fn output_shape_and_child_errors() {
        let exec = InProcessAgentDelegate::arc(Capture::new(false));
        let out = exec.invoke(json!({"entity_id": "x"})).await.unwrap();
        assert_eq!(out["delegate_kind"], "in_process");
        assert_eq!(out["agent"], "capture");
        assert_eq!(
            out["result"],
            json!({"skills_run": ["r"], "skills_skipped": ["s"], "confidence": 0.5, "concluded": true})
        );
        assert_eq!(out["context"]["entity_id"], "x");
        assert_eq!(out.as_object().unwrap().len(), 4);

        let failing = InProcessAgentDelegate::new(Capture::new(true));
        let err = failing.invoke(json!({})).await.unwrap_err();
        assert!(matches!(err, KernelError::SkillFailed(m) if m == "child broke"));
        assert!(format!("{failing:?}").contains("capture"));
    }

    // --- round trip: a parent agent whose skill calls a child via a DelegateTool ---

    struct ChildSkill;

    #[async_trait]
    impl Skill for ChildSkill {
        fn id(&self) -> &str {
            "child.raise"
        }
        fn applies(&self, ctx: &InvestigationContext) -> bool {
            ctx.has_signal("escalate")
        }
        async fn execute(
            &self,
            ctx: &mut InvestigationContext,
            _registry: &ToolRegistry,
        ) -> Result<SkillOutcome, KernelError> {
            ctx.signals.push(Signal::new("child.was.here"));
            Ok(SkillOutcome::noop()
                .with_delta(0.4)
                .with_next(NextAction::Conclude))
        }
    }

    /// Parent skill: asks the `ask_child` tool and adopts its verdict.
    struct AskChild;

    #[async_trait]
    impl Skill for AskChild {
        fn id(&self) -> &str {
            "parent.ask"
        }
        async fn execute(
            &self,
            ctx: &mut InvestigationContext,
            tools: &ToolRegistry,
        ) -> Result<SkillOutcome, KernelError> {
            let reply = tools
                .invoke(
                    "ask_child",
                    json!({"context": serde_json::to_value(&*ctx)?}),
                )
                .await?;
            let child_ctx: InvestigationContext = serde_json::from_value(reply["context"].clone())?;
            ctx.signals = child_ctx.signals;
            let child_confidence = reply["result"]["confidence"].as_f64().unwrap_or(0.0) as f32;
            Ok(SkillOutcome::noop().with_delta(child_confidence - ctx.confidence))
        }
    }

    #[tokio::test]
    async fn parent_agent_delegates_to_child_through_tool() {
        let skills = SkillRegistry::new();
        skills.register(Arc::new(ChildSkill));
        skills.register(Arc::new(AskChild));

        let child = GenericAgent::builder("child")
            .with_skills(["child.raise"])
            .build(&skills, &ToolRegistry::new())
            .unwrap();
        let host_tools = ToolRegistry::new();
        host_tools.register(Arc::new(DelegateTool::new(
            "ask_child",
            "delegate to the child agent",
            InProcessAgentDelegate::arc(Arc::new(child)),
        )));
        let parent = GenericAgent::builder("parent")
            .with_skills(["parent.ask"])
            .with_tools(["ask_child"])
            .build(&skills, &host_tools)
            .unwrap();

        let mut ctx = InvestigationContext::new("host-z", "prod").with_signal("escalate");
        ctx.confidence = 0.1;
        let step = parent.step(&mut ctx).await.unwrap();
        assert_eq!(step.skills_run, ["parent.ask"]);
        // The child saw the parent's context (0.1) and raised it by 0.4.
        assert!((ctx.confidence - 0.5).abs() < 1e-6, "{}", ctx.confidence);
        assert!(ctx.has_signal("child.was.here"));
        // The child's conclusion is its own; the parent did not conclude.
        assert!(!step.concluded);

        // The delegate tool is visible only because the parent's scope lists it.
        assert_eq!(parent.tools().len(), 1);
        let schema = parent.tools().get("ask_child").unwrap().schema();
        assert_eq!(schema.args_schema, json!({"type": "object"}));
    }
}
