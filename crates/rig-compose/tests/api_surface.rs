//! Compile-level check of the rig-compose 0.5.0 public API, used the way a
//! downstream crate uses it.
//!
//! Every public trait is implemented on a user type with `#[async_trait]`,
//! every public struct with public fields is built with a struct literal (so
//! an added field fails to compile), and every public enum is matched
//! exhaustively (so an added variant fails to compile). The assertions check
//! the behaviour users rely on at each touch point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::default_constructed_unit_structs,
    missing_docs
)]

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use rig_compose::budget::{
    AtomicBudget, AtomicTokenBudget, BudgetError, BudgetGuard, DispatchBudgetHook, TokenBudget,
    TokenRefund, TokenReservation,
};
use rig_compose::context::{
    ContextItem, ContextOmissionReason, ContextPack, ContextPackConfig, ContextProjectionState,
    ContextProvenance, ContextSourceKind, Evidence, InvestigationContext, NextAction,
    OmittedContextItem, Signal,
};
use rig_compose::coordinator::{CoordinatorAgent, CoordinatorBuilder, RoutingRule};
use rig_compose::delegate::{
    DelegateDescriptor, DelegateExecutor, DelegateName, DelegateRegistry, DelegateTool,
    InProcessAgentDelegate,
};
use rig_compose::instructions::Instructions;
use rig_compose::normalizer::{
    BoundedToolInvocationResult, LfmNormalizer, StructuredToolCallNormalizer, ToolCallNormalizer,
    ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
    ToolInvocationResult, dispatch_tool_invocations, dispatch_tool_invocations_bounded,
    dispatch_tool_invocations_with_hooks, dispatch_tool_invocations_with_hooks_bounded,
    dispatch_tool_invocations_with_trace,
};
use rig_compose::registry::{KernelError, SkillDescriptor, SkillRegistry, ToolRegistry};
use rig_compose::reliability::{
    DefaultRetryClassifier, HistoryEntry, RetryClass, RetryClassifier, ToolCallFingerprint,
    repair_history,
};
use rig_compose::skill::{Skill, SkillId, SkillOutcome};
use rig_compose::tool::{
    LocalTool, OmittedSegment, RedactionPolicy, RedactionRule, Tool, ToolName, ToolResultEnvelope,
    ToolResultEnvelopeConfig, ToolResultOmissionReason, ToolResultPageToken, ToolSchema,
    bound_tool_result, decode_tool_result_page_token,
};
use rig_compose::trace::{DispatchTrace, DispatchTraceEvent, TracedAction, TracedOutcome};
use rig_compose::workflow::Workflow;
use rig_compose::{
    Agent, AgentId, AgentLifecycleHook, AgentStepResult, GenericAgent, GenericAgentBuilder,
};
use serde_json::{Value, json};

// ---------------------------------------------------------------- helpers

fn schema(name: &str) -> ToolSchema {
    ToolSchema {
        name: name.to_owned(),
        description: format!("{name} tool"),
        args_schema: json!({"type": "object"}),
        result_schema: json!({"type": "object"}),
    }
}

fn assert_send_sync<T: Send + Sync>() {}
fn assert_clone_debug<T: Clone + std::fmt::Debug>() {}
fn assert_serde<T: serde::Serialize + serde::de::DeserializeOwned>() {}

// ------------------------------------------------------ user trait impls

struct Doubler;

#[async_trait]
impl Tool for Doubler {
    fn schema(&self) -> ToolSchema {
        schema("double")
    }

    async fn invoke(&self, args: Value) -> Result<Value, KernelError> {
        let n = args["n"]
            .as_i64()
            .ok_or_else(|| KernelError::InvalidArgument("n".into()))?;
        Ok(json!({"n": n * 2}))
    }
}

struct FlagSkill;

#[async_trait]
impl Skill for FlagSkill {
    fn id(&self) -> &str {
        "flag"
    }

    async fn execute(
        &self,
        ctx: &mut InvestigationContext,
        tools: &ToolRegistry,
    ) -> Result<SkillOutcome, KernelError> {
        let doubled = tools.invoke("double", json!({"n": 21})).await?;
        ctx.evidence
            .push(Evidence::new(self.id(), "doubled").with_detail(doubled));
        Ok(SkillOutcome::noop()
            .with_delta(0.25)
            .with_next(NextAction::Conclude))
    }
}

struct NeverSkill;

#[async_trait]
impl Skill for NeverSkill {
    fn id(&self) -> &str {
        "never"
    }

    fn description(&self) -> &str {
        "does not apply"
    }

    fn applies(&self, _ctx: &InvestigationContext) -> bool {
        false
    }

    async fn execute(
        &self,
        _ctx: &mut InvestigationContext,
        _tools: &ToolRegistry,
    ) -> Result<SkillOutcome, KernelError> {
        Err(KernelError::SkillFailed("must not run".into()))
    }
}

struct EchoAgent {
    id: AgentId,
}

#[async_trait]
impl Agent for EchoAgent {
    fn id(&self) -> AgentId {
        self.id
    }

    fn name(&self) -> &str {
        "echo-agent"
    }

    async fn step(&self, ctx: &mut InvestigationContext) -> Result<AgentStepResult, KernelError> {
        ctx.confidence = 0.5;
        Ok(AgentStepResult {
            skills_run: vec!["echo".into()],
            skills_skipped: Vec::new(),
            confidence: ctx.confidence,
            concluded: true,
        })
    }
}

#[derive(Default)]
struct CountingLifecycle {
    calls: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl AgentLifecycleHook for CountingLifecycle {
    async fn before_step(
        &self,
        agent: &GenericAgent,
        _ctx: &InvestigationContext,
    ) -> Result<(), KernelError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("before_step:{}", agent.name()));
        Ok(())
    }

    async fn before_skill(
        &self,
        _agent: &GenericAgent,
        skill_id: &str,
        applies: bool,
        _confidence: f32,
    ) -> Result<(), KernelError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("before_skill:{skill_id}:{applies}"));
        Ok(())
    }

    async fn after_skill(
        &self,
        _agent: &GenericAgent,
        skill_id: &str,
        _outcome: &SkillOutcome,
        _confidence: f32,
    ) -> Result<(), KernelError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("after_skill:{skill_id}"));
        Ok(())
    }

    async fn after_step(
        &self,
        _agent: &GenericAgent,
        result: &AgentStepResult,
    ) -> Result<(), KernelError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("after_step:{}", result.concluded));
        Ok(())
    }

    async fn on_step_error(
        &self,
        _agent: &GenericAgent,
        _error: &KernelError,
    ) -> Result<(), KernelError> {
        self.calls.lock().unwrap().push("on_step_error".into());
        Ok(())
    }
}

struct DefaultLifecycle;

#[async_trait]
impl AgentLifecycleHook for DefaultLifecycle {}

struct CountWorkflow;

#[async_trait]
impl Workflow for CountWorkflow {
    type Input = Vec<InvestigationContext>;
    type Output = usize;

    fn name(&self) -> &str {
        "count"
    }

    async fn run(&self, input: Self::Input) -> Result<Self::Output, KernelError> {
        Ok(input.len())
    }
}

struct ConstExecutor;

#[async_trait]
impl DelegateExecutor for ConstExecutor {
    async fn invoke(&self, args: Value) -> Result<Value, KernelError> {
        Ok(json!({"delegated": args}))
    }
}

/// Skips one tool by name and counts everything it sees.
#[derive(Default)]
struct SkipHook {
    seen: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl ToolDispatchHook for SkipHook {
    async fn before_invocation(
        &self,
        invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("before:{}", invocation.name));
        if invocation.name == "skip_me" {
            return Ok(ToolDispatchAction::Skip {
                output: json!("skipped"),
                reason: Some("policy".into()),
            });
        }
        Ok(ToolDispatchAction::Continue)
    }

    async fn after_invocation(&self, result: &ToolInvocationResult) -> Result<(), KernelError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("after:{}", result.invocation.name));
        Ok(())
    }

    async fn after_invocation_with_outcome(
        &self,
        result: &ToolInvocationResult,
        outcome: &ToolInvocationOutcome,
    ) -> Result<(), KernelError> {
        let tag = match outcome {
            ToolInvocationOutcome::Completed => "completed".to_owned(),
            ToolInvocationOutcome::Skipped { reason } => format!("skipped({reason:?})"),
        };
        self.seen
            .lock()
            .unwrap()
            .push(format!("outcome:{}:{tag}", result.invocation.name));
        self.after_invocation(result).await
    }

    async fn on_invocation_error(
        &self,
        invocation: &ToolInvocation,
        _error: &KernelError,
    ) -> Result<(), KernelError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("error:{}", invocation.name));
        Ok(())
    }
}

struct DefaultHook;

#[async_trait]
impl ToolDispatchHook for DefaultHook {}

struct UpperNormalizer;

impl ToolCallNormalizer for UpperNormalizer {
    fn normalize(&self, raw: &str) -> Result<Vec<ToolInvocation>, KernelError> {
        Ok(raw
            .split_whitespace()
            .filter(|w| w.starts_with("CALL:"))
            .map(|w| ToolInvocation {
                name: w.trim_start_matches("CALL:").to_owned(),
                args: json!({}),
            })
            .collect())
    }

    fn is_applicable(&self, raw: &str) -> bool {
        raw.contains("CALL:")
    }
}

struct AlwaysPermanent;

impl RetryClassifier for AlwaysPermanent {
    fn classify(&self, _error: &KernelError) -> RetryClass {
        RetryClass::Permanent
    }
}

/// A fixed-size budget with a user-defined backend.
struct FixedGuard {
    left: std::sync::Mutex<u64>,
}

#[async_trait]
impl BudgetGuard for FixedGuard {
    async fn try_reserve(&self, cost: u64) -> Result<bool, BudgetError> {
        let mut left = self.left.lock().unwrap();
        if *left >= cost {
            *left -= cost;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    async fn release(&self, cost: u64) {
        *self.left.lock().unwrap() += cost;
    }
}

struct NullTokens;

#[async_trait]
impl TokenBudget for NullTokens {
    async fn try_reserve_tokens(&self, est: u64) -> Result<Option<TokenReservation>, BudgetError> {
        let refund: TokenRefund = Box::new(|_| {});
        Ok(Some(TokenReservation::new(est, refund)))
    }

    async fn record_usage(
        &self,
        mut reservation: TokenReservation,
        _prompt: u64,
        _completion: u64,
    ) {
        let _ = reservation.disarm();
    }

    async fn tokens_consumed(&self) -> u64 {
        0
    }
}

// ------------------------------------------------------------------ tests

#[test]
fn auto_traits_and_derives() {
    assert_send_sync::<ToolRegistry>();
    assert_send_sync::<SkillRegistry>();
    assert_send_sync::<DelegateRegistry>();
    assert_send_sync::<GenericAgent>();
    assert_send_sync::<CoordinatorAgent>();
    assert_send_sync::<DelegateTool>();
    assert_send_sync::<LocalTool>();
    assert_send_sync::<AtomicBudget>();
    assert_send_sync::<AtomicTokenBudget>();
    assert_send_sync::<DispatchBudgetHook<AtomicBudget>>();
    assert_send_sync::<TokenReservation>();
    assert_send_sync::<DispatchTrace>();
    assert_send_sync::<KernelError>();
    assert_send_sync::<BudgetError>();
    assert_clone_debug::<ToolSchema>();
    assert_clone_debug::<ToolInvocation>();
    assert_clone_debug::<DispatchTrace>();
    assert_clone_debug::<InvestigationContext>();
    assert_clone_debug::<SkillOutcome>();
    assert_clone_debug::<AgentStepResult>();
    assert_clone_debug::<RoutingRule>();
    assert_clone_debug::<ContextPack>();
    assert_clone_debug::<LfmNormalizer>();
    assert_clone_debug::<StructuredToolCallNormalizer>();
    assert_clone_debug::<DefaultRetryClassifier>();
    assert_serde::<ToolSchema>();
    assert_serde::<ToolResultEnvelope>();
    assert_serde::<ToolResultEnvelopeConfig>();
    assert_serde::<RedactionPolicy>();
    assert_serde::<ToolResultPageToken>();
    assert_serde::<ContextItem>();
    assert_serde::<ContextPack>();
    assert_serde::<ContextProvenance>();
    assert_serde::<InvestigationContext>();
    assert_serde::<Instructions>();
    assert_serde::<SkillDescriptor>();
    assert_serde::<DelegateDescriptor>();
    let _: ToolName = String::from("t");
    let _: SkillId = String::from("s");
    let _: DelegateName = String::from("d");
    let _ = AgentId::default();
    let _ = LfmNormalizer::default();
    let _ = StructuredToolCallNormalizer::default();
    let _ = DefaultRetryClassifier::default();
    let _ = ContextProvenance::default();
    let _ = ContextPackConfig::default();
    let _ = ToolResultEnvelopeConfig::default();
    let _ = Instructions::default();
    let _ = SkillOutcome::default();
    let _ = DispatchTrace::default();
    let _ = ToolRegistry::default();
    let _ = SkillRegistry::default();
    let _ = DelegateRegistry::default();
}

#[test]
fn struct_literals() {
    let id = AgentId(uuid::Uuid::nil());
    assert_eq!(id.to_string(), uuid::Uuid::nil().to_string());
    let _ = Signal("s".into());
    let _ = ToolCallFingerprint(7);
    let _ = SkillDescriptor {
        id: "s".into(),
        description: String::new(),
    };
    let _ = SkillOutcome {
        confidence_delta: 0.0,
        next_actions: vec![
            NextAction::RunSkill("x".into()),
            NextAction::InvokeTool {
                tool: "t".into(),
                args: json!({}),
            },
            NextAction::Discard,
        ],
    };
    let _ = Instructions {
        system_prompt: String::new(),
        response_schema: None,
        examples: vec![],
        metadata: Value::Null,
    };
    let _ = RoutingRule {
        agent_name: "a".into(),
        signals: vec!["s".into()],
    };
    let _ = DelegateDescriptor { name: "d".into() };
    let provenance = ContextProvenance {
        source_uri: None,
        principal: None,
        scope: None,
        retention_tier: None,
        recorded_at_millis: None,
        effective_at_millis: None,
        confidence: None,
        version_key: None,
        source_frame_id: None,
        projection_state: Some(ContextProjectionState::Candidate),
        reason: None,
    };
    let item = ContextItem {
        source: ContextSourceKind::Memory,
        source_id: "m".into(),
        rank: 0,
        score: 1.0,
        text: "t".into(),
        estimated_chars: 1,
        provenance: serde_json::to_value(&provenance).unwrap(),
        metadata: Value::Null,
    };
    let config = ContextPackConfig {
        max_chars: 10,
        max_items: 1,
        reserve_chars: 0,
        separator: "\n".into(),
    };
    let _ = ContextPack {
        config,
        selected: vec![item.clone()],
        omitted: vec![OmittedContextItem {
            item: item.clone(),
            reason: ContextOmissionReason::MaxItems,
        }],
        total_estimated_chars: 1,
    };
    let _ = Evidence {
        source_skill: "s".into(),
        label: "l".into(),
        detail: Value::Null,
        recorded_at: SystemTime::UNIX_EPOCH,
    };
    let _ = InvestigationContext {
        entity_id: "e".into(),
        block_id: None,
        partition: "p".into(),
        signals: vec![Signal::new("x")],
        evidence: vec![],
        confidence: 0.0,
        pending_actions: vec![],
    };
    let _ = ToolResultEnvelopeConfig {
        max_string_chars: 1,
        max_array_items: 1,
        max_total_bytes: 1,
        redaction: Some(RedactionPolicy {
            deny: vec![RedactionRule {
                pointer: "/a".into(),
                replacement: None,
            }],
            allow: None,
            default_replacement: "[x]".into(),
        }),
    };
    let _ = ToolResultEnvelope {
        payload: Value::Null,
        truncated: false,
        omitted_chars: 0,
        omitted_items: 0,
        omitted_values: 0,
        redacted_values: 0,
        omitted_segments: vec![OmittedSegment {
            pointer: String::new(),
            reason: ToolResultOmissionReason::TotalBytes,
            page_token: String::new(),
        }],
        page_token: None,
    };
    let _ = ToolResultPageToken {
        pointer: String::new(),
        reason: ToolResultOmissionReason::StringChars,
        limit: 1,
    };
    let invocation = ToolInvocation {
        name: "t".into(),
        args: json!({}),
    };
    let _ = ToolInvocationResult {
        invocation: invocation.clone(),
        output: Value::Null,
    };
    let _ = BoundedToolInvocationResult {
        invocation,
        envelope: bound_tool_result(json!("x")),
    };
}

#[test]
fn exhaustive_enums() {
    fn kernel(e: &KernelError) -> u8 {
        match e {
            KernelError::ToolNotFound(_) => 0,
            KernelError::ToolNotAuthorised(_) => 1,
            KernelError::SkillNotFound(_) => 2,
            KernelError::ToolFailed(_) => 3,
            KernelError::ToolNotApplicable(_) => 4,
            KernelError::SkillFailed(_) => 5,
            KernelError::InvalidArgument(_) => 6,
            KernelError::NormalizerFailed(_) => 7,
            KernelError::ToolDispatchTerminated(_) => 8,
            KernelError::BudgetFailed(_) => 9,
            KernelError::Serde(_) => 10,
        }
    }
    assert_eq!(kernel(&KernelError::BudgetFailed(String::new())), 9);
    let budget = |e: &BudgetError| match e {
        BudgetError::Backend(_) => 0,
    };
    assert_eq!(budget(&BudgetError::Backend("x".into())), 0);
    for kind in [
        ContextSourceKind::Memory,
        ContextSourceKind::ToolResult,
        ContextSourceKind::Resource,
        ContextSourceKind::File,
        ContextSourceKind::Reasoning,
        ContextSourceKind::Instruction,
        ContextSourceKind::UserInput,
        ContextSourceKind::Other("x".into()),
    ] {
        let _ = serde_json::to_value(&kind).unwrap();
    }
    let state = |s: &ContextProjectionState| match s {
        ContextProjectionState::Candidate
        | ContextProjectionState::Expanded
        | ContextProjectionState::Skipped
        | ContextProjectionState::Suppressed
        | ContextProjectionState::Rejected
        | ContextProjectionState::Superseded
        | ContextProjectionState::Stale
        | ContextProjectionState::Conflict
        | ContextProjectionState::Escalated => 0,
        ContextProjectionState::Other(_) => 1,
    };
    assert_eq!(state(&ContextProjectionState::Other("o".into())), 1);
    let omission = |r: &ContextOmissionReason| match r {
        ContextOmissionReason::MaxItems => 0,
        ContextOmissionReason::OverBudget => 1,
    };
    assert_eq!(omission(&ContextOmissionReason::OverBudget), 1);
    let reason = |r: ToolResultOmissionReason| match r {
        ToolResultOmissionReason::StringChars => 0,
        ToolResultOmissionReason::ArrayItems => 1,
        ToolResultOmissionReason::TotalBytes => 2,
    };
    assert_eq!(reason(ToolResultOmissionReason::ArrayItems), 1);
    let traced = |a: &TracedAction| match a {
        TracedAction::Continue => 0,
        TracedAction::Skip { reason: _ } => 1,
        TracedAction::Terminate { reason: _ } => 2,
    };
    assert_eq!(
        traced(&TracedAction::from(&ToolDispatchAction::Continue)),
        0
    );
    let outcome = |o: &TracedOutcome| match o {
        TracedOutcome::Completed => 0,
        TracedOutcome::Skipped { reason: _ } => 1,
        TracedOutcome::Terminated { reason: _ } => 2,
        TracedOutcome::Failed { message: _ } => 3,
    };
    assert_eq!(outcome(&TracedOutcome::Completed), 0);
    let event = |e: &DispatchTraceEvent| match e {
        DispatchTraceEvent::HookBefore {
            invocation_index,
            hook_index,
            decision: _,
        }
        | DispatchTraceEvent::HookBeforeError {
            invocation_index,
            hook_index,
            message: _,
        }
        | DispatchTraceEvent::HookCleanup {
            invocation_index,
            hook_index,
        }
        | DispatchTraceEvent::HookAfter {
            invocation_index,
            hook_index,
        } => invocation_index + hook_index,
        DispatchTraceEvent::InvocationOutcome {
            invocation_index,
            outcome: _,
        } => *invocation_index,
    };
    assert_eq!(
        event(&DispatchTraceEvent::HookAfter {
            invocation_index: 1,
            hook_index: 2
        }),
        3
    );
    let action = |a: &ToolDispatchAction| match a {
        ToolDispatchAction::Continue => 0,
        ToolDispatchAction::Skip {
            output: _,
            reason: _,
        } => 1,
        ToolDispatchAction::Terminate { reason: _ } => 2,
    };
    assert_eq!(action(&ToolDispatchAction::Continue), 0);
    let class = |c: RetryClass| match c {
        RetryClass::Transient => 0,
        RetryClass::Permanent => 1,
    };
    assert_eq!(
        class(DefaultRetryClassifier.classify(&KernelError::ToolFailed("x".into()))),
        0
    );
    assert_eq!(
        class(AlwaysPermanent.classify(&KernelError::ToolFailed("x".into()))),
        1
    );
}

#[tokio::test]
async fn registries_agents_and_delegation() {
    let tools = ToolRegistry::new();
    tools.register(Arc::new(Doubler));
    assert_eq!(Doubler.name(), "double");
    assert_eq!(tools.len(), 1);
    assert!(!tools.is_empty());
    assert_eq!(tools.schemas()[0].name, "double");
    assert_eq!(tools.descriptors().len(), 1);
    assert!(tools.get("double").is_ok());

    let skills = SkillRegistry::new();
    skills.register(Arc::new(FlagSkill));
    skills.register(Arc::new(NeverSkill));
    assert_eq!(skills.len(), 2);
    assert!(!skills.is_empty());
    assert_eq!(skills.resolve_chain(["flag", "never"]).unwrap().len(), 2);
    assert!(matches!(
        skills.get("nope"),
        Err(KernelError::SkillNotFound(_))
    ));
    let descriptors: Vec<SkillDescriptor> = skills.descriptors();
    assert_eq!(descriptors[1].description, "does not apply");

    let lifecycle = Arc::new(CountingLifecycle::default());
    let builder: GenericAgentBuilder = GenericAgent::builder("worker")
        .with_skills(["never", "flag"])
        .with_tools(["double"])
        .short_circuit_on_conclude(true)
        .with_lifecycle_hook(lifecycle.clone())
        .with_lifecycle_hook(Arc::new(DefaultLifecycle));
    let worker = builder.build(&skills, &tools).unwrap();
    assert_eq!(worker.skills().len(), 2);
    assert_eq!(worker.tools().len(), 1);
    assert!(worker.short_circuit_on_conclude);
    let _ = worker.id();

    let mut ctx = InvestigationContext::new("entity", "part")
        .with_signal("hot")
        .with_block(uuid::Uuid::nil());
    assert!(ctx.has_signal("hot"));
    let step = worker.step(&mut ctx).await.unwrap();
    assert_eq!(step.skills_run, ["flag"]);
    assert_eq!(step.skills_skipped, ["never"]);
    assert!(step.concluded);
    assert_eq!(ctx.evidence[0].detail, json!({"n": 42}));
    assert!(!lifecycle.calls.lock().unwrap().is_empty());

    let worker: Arc<dyn Agent> = Arc::new(worker);
    let echo: Arc<dyn Agent> = Arc::new(EchoAgent { id: AgentId::new() });
    let coordinator_builder: CoordinatorBuilder = CoordinatorAgent::builder("router")
        .route(RoutingRule::new("worker", ["hot"]))
        .with_specialist(worker.clone())
        .with_specialist(echo.clone())
        .fallback("echo-agent");
    let coordinator = coordinator_builder.build();
    let cold = InvestigationContext::new("e", "p");
    assert_eq!(coordinator.route(&cold).unwrap().name(), "echo-agent");
    let mut hot = InvestigationContext::new("e", "p").with_signal("hot");
    assert_eq!(coordinator.route(&hot).unwrap().name(), "worker");
    let routed = coordinator.step(&mut hot).await.unwrap();
    assert!(routed.skills_run.contains(&"flag".to_string()));
    let _ = coordinator.id();
    assert_eq!(coordinator.name(), "router");

    let delegates = DelegateRegistry::new();
    delegates.register("const", Arc::new(ConstExecutor));
    delegates.register("echo", InProcessAgentDelegate::arc(echo.clone()));
    assert_eq!(delegates.len(), 2);
    assert!(!delegates.is_empty());
    assert_eq!(delegates.descriptors()[0].name, "const");
    let executor = delegates.get("const").unwrap();
    let tool = DelegateTool::new("ask_const", "delegates", executor);
    assert_eq!(
        tool.invoke(json!({"q": 1})).await.unwrap(),
        json!({"delegated": {"q": 1}})
    );
    let in_process = DelegateTool::with_schema(
        schema("ask_echo"),
        Arc::new(InProcessAgentDelegate::new(echo)),
    );
    assert_eq!(in_process.name(), "ask_echo");
    let reply = in_process
        .invoke(json!({"entity_id": "e", "partition": "p"}))
        .await
        .unwrap();
    assert!(reply.is_object());

    assert_eq!(CountWorkflow.name(), "count");
    assert_eq!(CountWorkflow.run(vec![cold]).await.unwrap(), 1);
}

#[tokio::test]
async fn normalize_dispatch_and_bound() {
    let tools = ToolRegistry::new();
    tools.register(Arc::new(Doubler));
    tools.register(Arc::new(LocalTool::new(schema("skip_me"), |_| async {
        Err(KernelError::ToolFailed("should be skipped".into()))
    })));

    let raw = "<|tool_call_start|>[double(n=2), skip_me()]<|tool_call_end|>";
    assert!(LfmNormalizer.is_applicable(raw));
    let calls = LfmNormalizer.normalize(raw).unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0],
        ToolInvocation::new("double", json!({"n": 2})).unwrap()
    );
    assert!(UpperNormalizer.is_applicable("x CALL:double"));
    assert_eq!(
        UpperNormalizer.normalize("CALL:double").unwrap()[0].name,
        "double"
    );

    let chat = json!({"choices": [{"message": {"tool_calls": [{
        "id": "c1", "type": "function",
        "function": {"name": "double", "arguments": "{\"n\":5}"}}]}}]});
    let from_chat = StructuredToolCallNormalizer::normalize(&chat).unwrap();
    assert_eq!(
        from_chat,
        StructuredToolCallNormalizer::normalize_openai_chat_completions(&chat).unwrap()
    );
    let responses = json!({"output": [{"type": "function_call", "name": "double",
        "arguments": "{\"n\":1}", "call_id": "c"}]});
    assert_eq!(
        StructuredToolCallNormalizer::normalize_openai_responses(&responses).unwrap()[0].args,
        json!({"n": 1})
    );

    let plain = dispatch_tool_invocations(&tools, &from_chat).await.unwrap();
    assert_eq!(plain[0].output, json!({"n": 10}));
    assert_eq!(
        from_chat[0].dispatch(&tools).await.unwrap(),
        json!({"n": 10})
    );

    let skip = SkipHook::default();
    let hooks: [&dyn ToolDispatchHook; 2] = [&DefaultHook, &skip];
    let results = dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks)
        .await
        .unwrap();
    assert_eq!(results[1].output, json!("skipped"));
    assert!(
        skip.seen
            .lock()
            .unwrap()
            .iter()
            .any(|s| s == "outcome:skip_me:skipped(Some(\"policy\"))")
    );

    let config = ToolResultEnvelopeConfig::new(4)
        .with_max_array_items(2)
        .with_max_total_bytes(1024)
        .with_redaction_policy(
            RedactionPolicy::deny_pointers(["/secret"])
                .with_default_replacement("[gone]")
                .with_replacement("/secret", "[hidden]"),
        );
    let _allow = RedactionPolicy::allow_pointers(["/n"]);
    let bounded = dispatch_tool_invocations_bounded(&tools, &from_chat, &config)
        .await
        .unwrap();
    assert_eq!(bounded[0].envelope.payload, json!({"n": 10}));
    let bounded = dispatch_tool_invocations_with_hooks_bounded(&tools, &calls, &hooks, &config)
        .await
        .unwrap();
    assert_eq!(bounded.len(), 2);

    let trace = DispatchTrace::new();
    dispatch_tool_invocations_with_trace(&tools, &calls, &hooks, &trace)
        .await
        .unwrap();
    assert!(!trace.is_empty());
    assert_eq!(trace.len(), trace.events().len());

    let long = ToolResultEnvelope::bound(
        json!({"text": "abcdefghij"}),
        &ToolResultEnvelopeConfig::new(4),
    );
    assert!(long.truncated);
    let token = long.omitted_segments[0].page_token.clone();
    let decoded = decode_tool_result_page_token(&token).unwrap();
    assert_eq!(decoded.reason, ToolResultOmissionReason::StringChars);
    assert!(!bound_tool_result(json!(1)).truncated);
}

#[tokio::test]
async fn budgets_reliability_and_context() {
    let budget = Arc::new(AtomicBudget::new(2));
    assert!(budget.try_reserve(2).await.unwrap());
    assert!(!budget.try_reserve(1).await.unwrap());
    budget.release(2).await;
    assert_eq!(budget.available(), budget.capacity());
    assert_eq!(budget.utilization(), 0.0);
    budget.refill();
    let hook = DispatchBudgetHook::new(budget.clone(), 1);
    assert_eq!(hook.cost_per_invocation(), 1);
    assert_eq!(hook.guard().capacity(), 2);
    let custom = DispatchBudgetHook::new(
        Arc::new(FixedGuard {
            left: std::sync::Mutex::new(1),
        }),
        1,
    );
    let tools = ToolRegistry::new();
    tools.register(Arc::new(Doubler));
    let calls = vec![ToolInvocation::new("double", json!({"n": 1})).unwrap(); 2];
    let hooks: [&dyn ToolDispatchHook; 1] = [&custom];
    let first = dispatch_tool_invocations_with_hooks(&tools, &calls[..1], &hooks).await;
    assert!(first.is_ok());
    let empty = DispatchBudgetHook::new(
        Arc::new(FixedGuard {
            left: std::sync::Mutex::new(0),
        }),
        1,
    );
    let denied = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&empty]).await;
    assert!(matches!(
        denied,
        Err(KernelError::ToolDispatchTerminated(_))
    ));

    let tokens = AtomicTokenBudget::new(100);
    let held = tokens.try_reserve_tokens(60).await.unwrap().unwrap();
    assert_eq!(held.estimate(), 60);
    assert!(tokens.try_reserve_tokens(60).await.unwrap().is_none());
    tokens.record_usage(held, 10, 5).await;
    assert_eq!(tokens.tokens_consumed().await, 15);
    assert_eq!(tokens.available(), 85);
    assert_eq!(tokens.capacity(), 100);
    let null = NullTokens;
    let r = null.try_reserve_tokens(5).await.unwrap().unwrap();
    null.record_usage(r, 1, 1).await;
    assert_eq!(null.tokens_consumed().await, 0);

    let call = ToolInvocation::new("double", json!({"n": 1})).unwrap();
    let fp: ToolCallFingerprint = call.fingerprint();
    let done = HistoryEntry::completed(ToolInvocationResult {
        invocation: call.clone(),
        output: json!(2),
    });
    let failed = HistoryEntry::failed(
        call.clone(),
        &KernelError::ToolFailed("x".into()),
        &DefaultRetryClassifier,
    );
    assert_eq!(done.fingerprint(), fp);
    let repaired = repair_history(&[failed, done]);
    assert_eq!(repaired.len(), 1);
    match &repaired[0] {
        HistoryEntry::Completed { invocation, output } => {
            assert_eq!(invocation, &call);
            assert_eq!(output, &json!(2));
        }
        HistoryEntry::Failed {
            invocation: _,
            class: _,
            message,
        } => panic!("kept the failure: {message}"),
    }

    let provenance = ContextProvenance::new()
        .with_source_uri("mem://1")
        .with_principal("p")
        .with_scope("s")
        .with_retention_tier("hot")
        .with_recorded_at_millis(1)
        .with_effective_at_millis(2)
        .with_confidence(0.5)
        .with_version_key("v")
        .with_source_frame_id("f")
        .with_source_frame_id_value(json!(3))
        .with_projection_state(ContextProjectionState::Expanded)
        .with_reason("r");
    let items: Vec<ContextItem> = (0..5)
        .map(|i| {
            ContextItem::new(
                ContextSourceKind::ToolResult,
                format!("id{i}"),
                "x".repeat(10),
            )
            .with_rank(i)
            .with_score(1.0 / (i as f64 + 1.0))
            .with_estimated_chars(10)
            .with_provenance(json!({}))
            .with_context_provenance(provenance.clone())
            .with_metadata(json!({"i": i}))
        })
        .collect();
    assert_eq!(items[0].context_provenance().unwrap(), provenance);
    let pack = ContextPack::pack(
        items,
        ContextPackConfig::new(35)
            .with_max_items(4)
            .with_reserve_chars(5)
            .with_separator("\n"),
    );
    assert!(!pack.selected.is_empty());
    assert!(!pack.omitted.is_empty());
    assert!(pack.render_text().contains("xxxxxxxxxx"));
    let signal = Signal::new("s");
    assert_eq!(signal.as_str(), "s");
    let instructions = Instructions::new("sys")
        .with_response_schema(json!({}))
        .with_example("u", "a")
        .with_metadata(json!({"m": 1}));
    assert_eq!(instructions.examples.len(), 1);
}

#[cfg(feature = "manifest")]
mod manifest {
    use super::*;
    use rig_compose::manifest::{
        AgentManifest, DelegateKind, DelegateSpec, InstructionsSpec, KnowledgeSpec, ManifestError,
        McpServerSpec, ModelSpec, ToolSpec, delegate_stub, materialize_local_and_delegate_tools,
        materialize_local_and_delegate_tools_with_delegates,
    };

    #[tokio::test]
    async fn manifest_api() {
        let spec = AgentManifest {
            name: Some("a".into()),
            instructions: Some(InstructionsSpec {
                system_prompt: "s".into(),
                response_schema: None,
                examples: vec![["u".into(), "a".into()]],
                metadata: Value::Null,
            }),
            model: Some(ModelSpec::OpenaiCompatible {
                base_url: "http://localhost".into(),
                api_key: String::new(),
                name: "m".into(),
            }),
            tools: vec![ToolSpec::Local {
                name: "double".into(),
            }],
            mcp_servers: vec![McpServerSpec {
                name: "m".into(),
                command: vec!["x".into()],
            }],
            delegates: vec![DelegateSpec {
                name: "child".into(),
                description: "c".into(),
                kind: DelegateKind::Stub,
                agent: None,
                manifest: None,
            }],
            knowledge: Some(KnowledgeSpec {
                patterns_path: None,
                metadata: Value::Null,
            }),
        };
        let _ = ModelSpec::Openai { name: "gpt".into() };
        for kind in [
            DelegateKind::Stub,
            DelegateKind::InProcess,
            DelegateKind::Remote,
            DelegateKind::Mcp,
        ] {
            let _ = serde_json::to_value(kind).unwrap();
        }
        let instructions: Instructions = spec.instructions.clone().unwrap().into();
        assert_eq!(instructions.system_prompt, "s");
        assert_eq!(spec.delegates[0].executor_key(), "child");
        let parsed = AgentManifest::from_yaml("name: x\n").unwrap();
        assert_eq!(parsed.name.as_deref(), Some("x"));
        assert!(matches!(
            AgentManifest::from_yaml("name: [x"),
            Err(ManifestError::Yaml(_))
        ));
        assert!(matches!(
            AgentManifest::from_path("/definitely/not/here.yaml"),
            Err(ManifestError::Io(_))
        ));

        let host = ToolRegistry::new();
        host.register(Arc::new(Doubler));
        let agent_tools =
            materialize_local_and_delegate_tools(&spec.tools, &spec.delegates, &host).unwrap();
        assert_eq!(agent_tools.len(), 2);
        let stub = agent_tools.invoke("child", json!({})).await.unwrap();
        assert_eq!(stub["status"], "delegate_unwired");
        let wired = DelegateRegistry::new();
        wired.register("child", Arc::new(ConstExecutor));
        let agent_tools = materialize_local_and_delegate_tools_with_delegates(
            &spec.tools,
            &spec.delegates,
            &host,
            &wired,
        )
        .unwrap();
        assert_eq!(
            agent_tools.invoke("child", json!(1)).await.unwrap(),
            json!({"delegated": 1})
        );
        assert_eq!(delegate_stub(&spec.delegates[0]).name(), "child");
        let missing = materialize_local_and_delegate_tools(
            &[ToolSpec::Local {
                name: "nope".into(),
            }],
            &[],
            &host,
        );
        let err = missing.err().unwrap();
        assert!(matches!(err, ManifestError::MissingHostTool(_)));
        let err = ManifestError::MissingDelegateExecutor("x".into());
        let kernel: KernelError = err.into();
        assert!(matches!(kernel, KernelError::ToolFailed(_)));
    }
}
