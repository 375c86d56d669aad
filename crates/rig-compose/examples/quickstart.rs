//! Quickstart: one model turn, end to end, under budgets.
//!
//! 1. Register tools and a skill, build an agent scoped to its tools.
//! 2. Reserve tokens for the model call against a token budget.
//! 3. Normalize the model's output (LFM2 tool-call markers) into invocations.
//! 4. Dispatch them through a budget hook, with a dispatch trace.
//! 5. Print the results, the trace and the budget state.
//!
//! Run with `cargo run --example quickstart`.

#![allow(clippy::indexing_slicing)] // example code reads JSON with `[]`, which yields Null when absent

use std::sync::Arc;

use async_trait::async_trait;
use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};
use rig_compose::{
    Agent, AtomicBudget, AtomicTokenBudget, DispatchBudgetHook, DispatchTrace, Evidence,
    GenericAgent, InvestigationContext, KernelError, LocalTool, Skill, SkillOutcome, SkillRegistry,
    TokenBudget, ToolDispatchHook, ToolRegistry, ToolResultEnvelopeConfig, ToolSchema,
    dispatch_tool_invocations_with_trace,
};
use serde_json::{Value, json};

/// What the model "said" on its first turn: two parallel tool calls.
const MODEL_OUTPUT: &str = "Let me check both.\
<|tool_call_start|>[get_weather(city=\"Oslo\", unit=\"celsius\"), \
local_time(tz=\"Europe/Oslo\")]<|tool_call_end|>";

fn schema(name: &str, description: &str, args: Value) -> ToolSchema {
    ToolSchema {
        name: name.into(),
        description: description.into(),
        args_schema: args,
        result_schema: json!({"type": "object"}),
    }
}

/// A skill that records which tools its agent may use.
struct InventoryTools;

#[async_trait]
impl Skill for InventoryTools {
    fn id(&self) -> &str {
        "inventory.tools"
    }

    fn description(&self) -> &str {
        "records the agent's visible tools as evidence"
    }

    async fn execute(
        &self,
        ctx: &mut InvestigationContext,
        tools: &ToolRegistry,
    ) -> Result<SkillOutcome, KernelError> {
        let names: Vec<String> = tools.schemas().into_iter().map(|s| s.name).collect();
        ctx.evidence
            .push(Evidence::new(self.id(), "visible tools").with_detail(json!(names)));
        Ok(SkillOutcome::default().with_delta(0.1))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Tools, skills, and an agent that sees only the tools it needs.
    let tools = ToolRegistry::new();
    tools.register(Arc::new(LocalTool::new(
        schema(
            "get_weather",
            "current weather for a city",
            json!({"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}}),
        ),
        |args| async move {
            let city = args["city"].as_str().unwrap_or("somewhere").to_owned();
            Ok(json!({"city": city, "temperature": 4, "sky": "overcast"}))
        },
    )));
    tools.register(Arc::new(LocalTool::new(
        schema(
            "local_time",
            "wall-clock time in a time zone",
            json!({"type": "object", "properties": {"tz": {"type": "string"}}}),
        ),
        |args| async move { Ok(json!({"tz": args["tz"], "time": "09:30"})) },
    )));
    tools.register(Arc::new(LocalTool::new(
        schema("delete_everything", "not for this agent", json!({})),
        |_| async move { Err(KernelError::ToolFailed("refused".into())) },
    )));

    let skills = SkillRegistry::new();
    skills.register(Arc::new(InventoryTools));

    let agent = GenericAgent::builder("travel-assistant")
        .with_skills(["inventory.tools"])
        .with_tools(["get_weather", "local_time"])
        .build(&skills, &tools)?;
    let mut ctx = InvestigationContext::new("trip-42", "travel");
    let step = agent.step(&mut ctx).await?;
    println!("agent `{}` ran skills {:?}", agent.name(), step.skills_run);
    println!("evidence: {}", ctx.evidence[0].detail);

    // 2. Reserve tokens for the completion; settle with the reported usage.
    let tokens = AtomicTokenBudget::new(8_000);
    let reservation = tokens
        .try_reserve_tokens(1_500)
        .await?
        .ok_or("token budget exhausted before the model call")?;
    // ... the model call happens here; the provider reports its usage ...
    tokens.record_usage(reservation, 900, 240).await;

    // 3. Normalize the model's output.
    let invocations = LfmNormalizer.normalize(MODEL_OUTPUT)?;
    println!("\nnormalized {} invocation(s):", invocations.len());
    for call in &invocations {
        println!("  {}({})", call.name, call.args);
    }

    // 4. Dispatch under a budget of 5 tool calls, tracing every decision.
    let dispatch_budget = Arc::new(AtomicBudget::new(5));
    let budget_hook = DispatchBudgetHook::new(dispatch_budget.clone(), 1);
    let hooks: [&dyn ToolDispatchHook; 1] = [&budget_hook];
    let trace = DispatchTrace::new();
    let results =
        dispatch_tool_invocations_with_trace(agent.tools(), &invocations, &hooks, &trace).await?;

    // 5. Report.
    println!("\nresults (bounded for the next prompt):");
    let bound = ToolResultEnvelopeConfig::new(200);
    for result in results {
        let envelope = rig_compose::ToolResultEnvelope::bound(result.output, &bound);
        println!("  {} -> {}", result.invocation.name, envelope.payload);
    }
    println!("\ndispatch trace:");
    for event in trace.events() {
        println!("  {event:?}");
    }
    println!("\nbudget state:");
    println!(
        "  tokens: {} consumed, {} of {} available",
        tokens.tokens_consumed().await,
        tokens.available(),
        tokens.capacity()
    );
    println!(
        "  tool calls: {} of {} available (all reservations released)",
        dispatch_budget.available(),
        dispatch_budget.capacity()
    );
    Ok(())
}
