//! Every way a dispatched call can end returns its holds: a dropped dispatch
//! future, a panicking tool, a failing hook, a refusal in the middle of a
//! budget hierarchy. Covers `ToolBudgetHook` and `DispatchBudgetHook`
//! through the real dispatcher, plus the model-call guard.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rig_compose::budget::{
    AtomicBudget, Budget, BudgetError, BudgetGuard, CancelPolicy, DenialMode, DispatchBudgetHook,
    Hold, ModelCallError, SpendBudget, ToolBudgetHook, ToolCostTable, guard_model_call,
};
use rig_compose::{
    KernelError, LocalTool, ToolDispatchAction, ToolDispatchHook, ToolInvocation,
    ToolInvocationResult, ToolRegistry, ToolSchema, dispatch_tool_invocations_with_hooks,
};
use serde_json::{Value, json};

fn schema(name: &str) -> ToolSchema {
    ToolSchema {
        name: name.into(),
        description: String::new(),
        args_schema: json!({}),
        result_schema: json!({}),
    }
}

/// Tools: `ok` answers at once, `slow` never finishes, `boom` panics.
fn registry() -> ToolRegistry {
    let tools = ToolRegistry::new();
    tools.register(Arc::new(LocalTool::new(schema("ok"), |_| async {
        Ok(json!("done"))
    })));
    tools.register(Arc::new(LocalTool::new(schema("slow"), |_| async {
        std::future::pending::<()>().await;
        Ok(json!("never"))
    })));
    tools.register(Arc::new(LocalTool::new(schema("boom"), |_| async {
        explode()
    })));
    for name in ["search", "calc"] {
        tools.register(Arc::new(LocalTool::new(schema(name), |_| async {
            Ok(json!("ran"))
        })));
    }
    tools
}

fn explode() -> Result<Value, KernelError> {
    panic!("kaboom")
}

fn calls(names: &[&str]) -> Vec<ToolInvocation> {
    names
        .iter()
        .map(|name| ToolInvocation::new(*name, json!({})).unwrap())
        .collect()
}

fn spend_hook(budget: &Budget, cost: u64) -> ToolBudgetHook {
    ToolBudgetHook::new(ToolCostTable::new(cost)).with_budget(Arc::new(budget.clone()))
}

/// (consumed, held) of a budget.
fn level(budget: &Budget) -> (u64, u64) {
    let snapshot = budget.snapshot_now();
    (snapshot.consumed, snapshot.held)
}

/// A `BudgetGuard` backed by a `Budget` node, so `DispatchBudgetHook` can
/// draw from a hierarchy: each admitted unit block is one hold.
#[derive(Debug)]
struct ChainGuard {
    node: Budget,
    holds: Mutex<Vec<Hold>>,
}

impl ChainGuard {
    fn new(node: Budget) -> Arc<Self> {
        Arc::new(Self {
            node,
            holds: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl BudgetGuard for ChainGuard {
    async fn try_reserve(&self, cost: u64) -> Result<bool, BudgetError> {
        match self.node.try_reserve(cost) {
            Ok(hold) => {
                self.holds.lock().unwrap().push(hold);
                Ok(true)
            }
            Err(error) if error.denial().is_some() => Ok(false),
            Err(error) => Err(BudgetError::Backend(error.to_string())),
        }
    }

    async fn release(&self, _cost: u64) {
        // Dropping the hold releases it synchronously.
        drop(self.holds.lock().unwrap().pop());
    }
}

struct FailingBefore;

#[async_trait]
impl ToolDispatchHook for FailingBefore {
    async fn before_invocation(
        &self,
        _invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        Err(KernelError::ToolFailed("policy store offline".into()))
    }
}

struct FailingAfter;

#[async_trait]
impl ToolDispatchHook for FailingAfter {
    async fn after_invocation(&self, _result: &ToolInvocationResult) -> Result<(), KernelError> {
        Err(KernelError::ToolFailed("audit log offline".into()))
    }
}

#[tokio::test]
async fn dropped_dispatch_returns_holds_of_both_hooks() {
    let budget = Budget::quota("run", 100).build();
    let tool_hook = spend_hook(&budget, 10);
    let guard = Arc::new(AtomicBudget::new(5));
    let dispatch_hook = DispatchBudgetHook::new(Arc::clone(&guard), 2);
    let tools = registry();
    let calls = calls(&["ok", "slow"]);
    let hooks: [&dyn ToolDispatchHook; 2] = [&tool_hook, &dispatch_hook];

    let outcome = tokio::time::timeout(
        Duration::from_millis(20),
        dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks),
    )
    .await;
    assert!(outcome.is_err(), "the slow tool must still be pending");

    // The completed `ok` call is charged; the abandoned `slow` one is not.
    assert_eq!(level(&budget), (10, 0));
    assert_eq!(tool_hook.outstanding_holds(), 0);
    assert_eq!(guard.available(), 5);
    assert_eq!(dispatch_hook.outstanding_reservations(), 0);
    assert_eq!(dispatch_hook.deferred_release_units(), 0);
}

#[tokio::test]
async fn dropped_dispatch_charges_the_cancel_policy() {
    let budget = Budget::quota("run", 100).build();
    let hook = spend_hook(&budget, 10).cancel_policy(CancelPolicy::Charge(3));
    let tools = registry();
    let calls = calls(&["slow"]);
    let hooks: [&dyn ToolDispatchHook; 1] = [&hook];
    let outcome = tokio::time::timeout(
        Duration::from_millis(20),
        dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks),
    )
    .await;
    assert!(outcome.is_err());
    assert_eq!(level(&budget), (3, 0));
    assert_eq!(hook.outstanding_holds(), 0);
    // The count was consumed when the call was admitted.
    assert_eq!(hook.calls_admitted(), 1);
}

#[tokio::test]
async fn dropped_dispatch_via_select_releases_hierarchy_holds() {
    let org = Budget::quota("org", 1_000).build();
    let run = org.child("run", 100).build();
    let tool_hook = spend_hook(&run, 40);
    let guard = ChainGuard::new(run.clone());
    let dispatch_hook = DispatchBudgetHook::new(Arc::clone(&guard), 7);
    let tools = registry();
    let calls = calls(&["slow"]);
    let hooks: [&dyn ToolDispatchHook; 2] = [&tool_hook, &dispatch_hook];
    let mut dispatch = Box::pin(dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks));
    tokio::select! {
        _ = &mut dispatch => panic!("the slow tool never finishes"),
        () = tokio::time::sleep(Duration::from_millis(20)) => {}
    }
    // Both hooks hold their reservation while the tool is pending.
    assert_eq!(level(&run), (0, 47));
    assert_eq!(level(&org), (0, 47));
    drop(dispatch);
    assert_eq!(level(&run), (0, 0));
    assert_eq!(level(&org), (0, 0));
    assert!(guard.holds.lock().unwrap().is_empty());
}

#[tokio::test]
async fn panicking_tool_fails_the_call_and_returns_holds() {
    let budget = Budget::quota("run", 100).build();
    let tool_hook = spend_hook(&budget, 10);
    let guard = Arc::new(AtomicBudget::new(5));
    let dispatch_hook = DispatchBudgetHook::new(Arc::clone(&guard), 2);
    let tools = registry();
    let calls = calls(&["ok", "boom"]);
    let hooks: [&dyn ToolDispatchHook; 2] = [&tool_hook, &dispatch_hook];

    let error = dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks)
        .await
        .unwrap_err();
    assert!(matches!(error, KernelError::ToolFailed(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "tool invocation failed: tool `boom` panicked: kaboom"
    );
    // `ok` is charged, the panicked call released.
    assert_eq!(level(&budget), (10, 0));
    assert_eq!(tool_hook.outstanding_holds(), 0);
    assert_eq!(guard.available(), 5);
    assert_eq!(dispatch_hook.outstanding_reservations(), 0);
}

#[tokio::test]
async fn failing_hook_after_earlier_reservations_returns_them() {
    let budget = Budget::quota("run", 100).build();
    let tool_hook = spend_hook(&budget, 10);
    let guard = Arc::new(AtomicBudget::new(5));
    let dispatch_hook = DispatchBudgetHook::new(Arc::clone(&guard), 2);
    let tools = registry();
    let calls = calls(&["ok"]);
    let hooks: [&dyn ToolDispatchHook; 3] = [&tool_hook, &dispatch_hook, &FailingBefore];

    let error = dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "tool invocation failed: policy store offline"
    );
    assert_eq!(level(&budget), (0, 0));
    assert_eq!(tool_hook.outstanding_holds(), 0);
    assert_eq!(guard.available(), 5);
    assert_eq!(dispatch_hook.outstanding_reservations(), 0);
}

#[tokio::test]
async fn failing_after_hook_cancels_the_later_hooks_holds() {
    let budget = Budget::quota("run", 100).build();
    let tool_hook = spend_hook(&budget, 10);
    let guard = Arc::new(AtomicBudget::new(5));
    let dispatch_hook = DispatchBudgetHook::new(Arc::clone(&guard), 2);
    let tools = registry();
    let calls = calls(&["ok"]);
    // The failing after-hook runs first, so the budget hooks never learn
    // how the call ended; the dispatcher's guard cancels their holds.
    let hooks: [&dyn ToolDispatchHook; 3] = [&FailingAfter, &tool_hook, &dispatch_hook];

    let error = dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "tool invocation failed: audit log offline"
    );
    assert_eq!(level(&budget), (0, 0));
    assert_eq!(tool_hook.outstanding_holds(), 0);
    assert_eq!(guard.available(), 5);
    assert_eq!(dispatch_hook.outstanding_reservations(), 0);
}

#[tokio::test]
async fn refusal_in_the_middle_of_a_hierarchy_changes_no_level() {
    let org = Budget::quota("org", 1_000).build();
    let team = org.child("team", 50).build();
    let run = team.child("run", 500).build();
    // Exhaust the team from a sibling run.
    let sibling = team.child("sibling", 500).build();
    sibling.try_reserve(50).unwrap().settle(50).await.unwrap();
    let before: Vec<_> = [&org, &team, &run].map(level).to_vec();
    assert_eq!(before, [(50, 0), (50, 0), (0, 0)]);

    let tool_hook = spend_hook(&run, 10);
    let guard = ChainGuard::new(run.clone());
    let dispatch_hook = DispatchBudgetHook::new(Arc::clone(&guard), 10);
    let tools = registry();
    let calls = calls(&["ok"]);

    // ToolBudgetHook: the model is told which level refused.
    let results = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&tool_hook])
        .await
        .unwrap();
    assert_eq!(results[0].output["limit"], "spend");
    assert_eq!(results[0].output["budget"], "team");
    assert_eq!(
        results[0].output["message"],
        "tool `ok` refused: budget `team` denied 10 units: quota has 0 available"
    );
    assert_eq!([&org, &team, &run].map(level).to_vec(), before);

    // DispatchBudgetHook: dispatch terminates, nothing taken anywhere.
    let error = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&dispatch_hook])
        .await
        .unwrap_err();
    assert!(matches!(error, KernelError::ToolDispatchTerminated(_)));
    assert_eq!([&org, &team, &run].map(level).to_vec(), before);
    assert_eq!(tool_hook.outstanding_holds(), 0);
    assert_eq!(dispatch_hook.outstanding_reservations(), 0);
}

#[tokio::test]
async fn child_agent_is_denied_once_the_shared_parent_is_spent() {
    let parent = Budget::quota("parent", 30).build();
    let lead = parent.child("lead", 100).build();
    let delegate = parent.child("delegate", 100).build();
    let lead_hook = spend_hook(&lead, 10).denial_mode(DenialMode::Terminate);
    let delegate_hook = spend_hook(&delegate, 10).denial_mode(DenialMode::Terminate);
    let lead_tools = registry();
    let delegate_tools = registry();

    // The delegate runs one call, the lead spends the rest of the parent.
    dispatch_tool_invocations_with_hooks(&delegate_tools, &calls(&["ok"]), &[&delegate_hook])
        .await
        .unwrap();
    dispatch_tool_invocations_with_hooks(&lead_tools, &calls(&["ok", "ok"]), &[&lead_hook])
        .await
        .unwrap();
    assert_eq!(level(&parent), (30, 0));

    let error =
        dispatch_tool_invocations_with_hooks(&delegate_tools, &calls(&["ok"]), &[&delegate_hook])
            .await
            .unwrap_err();
    let KernelError::ToolDispatchTerminated(reason) = error else {
        panic!("expected termination, got {error:?}");
    };
    assert_eq!(
        reason,
        "tool `ok` refused: budget `parent` denied 10 units: quota has 0 available"
    );
    assert_eq!(level(&delegate), (10, 0));
    assert_eq!(level(&parent), (30, 0));

    // The same with DispatchBudgetHook drawing from the two children.
    let parent = Budget::quota("parent", 2).build();
    let lead_guard = ChainGuard::new(parent.child("lead", 10).build());
    let delegate_guard = ChainGuard::new(parent.child("delegate", 10).build());
    let lead_hook = DispatchBudgetHook::new(Arc::clone(&lead_guard), 2);
    let delegate_hook = DispatchBudgetHook::new(Arc::clone(&delegate_guard), 1);
    // The lead's call is in flight (holding the whole parent) while the
    // delegate dispatches.
    let slow = calls(&["slow"]);
    let lead_hooks: [&dyn ToolDispatchHook; 1] = [&lead_hook];
    let mut lead_run = Box::pin(dispatch_tool_invocations_with_hooks(
        &lead_tools,
        &slow,
        &lead_hooks,
    ));
    let pending = tokio::time::timeout(Duration::from_millis(20), &mut lead_run).await;
    assert!(pending.is_err(), "slow never finishes");
    let error =
        dispatch_tool_invocations_with_hooks(&delegate_tools, &calls(&["ok"]), &[&delegate_hook])
            .await
            .unwrap_err();
    assert!(matches!(error, KernelError::ToolDispatchTerminated(_)));
    assert_eq!(level(&parent), (0, 2));
    drop(lead_run);
    // The lead's dispatch was dropped: the parent is whole again.
    assert_eq!(level(&parent), (0, 0));
    dispatch_tool_invocations_with_hooks(&delegate_tools, &calls(&["ok"]), &[&delegate_hook])
        .await
        .unwrap();
}

#[tokio::test]
async fn max_uses_and_overall_limit_reach_the_model_via_skip() {
    let budget = Budget::quota("run", 1_000).build();
    let hook = ToolBudgetHook::new(ToolCostTable::new(1).with_cost("search", 5))
        .with_budget(Arc::new(budget.clone()) as Arc<dyn SpendBudget>)
        .max_uses("search", 2)
        .max_calls(3);
    let tools = registry();
    let calls = calls(&["search", "search", "search", "calc", "calc"]);
    let results = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&hook])
        .await
        .unwrap();
    let outputs: Vec<_> = results.iter().map(|r| r.output.clone()).collect();
    assert_eq!(
        outputs,
        [
            json!("ran"),
            json!("ran"),
            json!({
                "error": "budget_exceeded",
                "limit": "max_uses",
                "tool": "search",
                "message": "tool `search` reached its limit of 2 uses",
            }),
            json!("ran"),
            json!({
                "error": "budget_exceeded",
                "limit": "max_calls",
                "tool": "calc",
                "message": "tool `calc` refused: the limit of 3 tool calls is reached",
            }),
        ]
    );
    assert_eq!(hook.calls_admitted(), 3);
    assert_eq!(hook.uses_of("search"), 2);
    assert_eq!(level(&budget), (11, 0));
}

#[tokio::test]
async fn model_call_guard_settles_with_reported_usage() {
    let budget = Budget::quota("tokens", 10_000).build();
    let out = guard_model_call(&budget, 3_000, CancelPolicy::ReleaseAll, async {
        Ok::<_, String>(("reply", 3_400))
    })
    .await
    .unwrap();
    assert_eq!(out.value, "reply");
    assert_eq!(out.usage, 3_400);
    let settlement = out.settlement.unwrap();
    assert_eq!((settlement.charged, settlement.refunded), (3_400, 0));
    assert_eq!(level(&budget), (3_400, 0));
}

#[tokio::test]
async fn model_call_guard_releases_on_error() {
    let budget = Budget::quota("tokens", 10_000).build();
    let error = guard_model_call(&budget, 3_000, CancelPolicy::Charge(100), async {
        Err::<((), u64), _>("provider 503".to_owned())
    })
    .await
    .unwrap_err();
    assert!(matches!(&error, ModelCallError::Call(message) if message == "provider 503"));
    assert_eq!(level(&budget), (0, 0));
}

#[tokio::test]
async fn model_call_guard_denial_never_polls_the_call() {
    let budget = Budget::quota("tokens", 100).build();
    let polled = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&polled);
    let error = guard_model_call(&budget, 500, CancelPolicy::ReleaseAll, async move {
        *flag.lock().unwrap() = true;
        Ok::<_, String>(((), 0))
    })
    .await
    .unwrap_err();
    let ModelCallError::Denied(denial) = error else {
        panic!("expected a denial");
    };
    assert_eq!((denial.requested, denial.available), (500, 100));
    assert!(!*polled.lock().unwrap());
    assert_eq!(level(&budget), (0, 0));
}

#[tokio::test]
async fn model_call_guard_dropped_mid_call_applies_cancel_policy() {
    let org = Budget::quota("org", 50_000).build();
    let budget = org.child("run", 10_000).build();
    for (policy, charged) in [
        (CancelPolicy::ReleaseAll, 0),
        (CancelPolicy::Charge(1_200), 1_200),
    ] {
        let before = level(&budget).0;
        let call = guard_model_call(&budget, 4_000, policy, async {
            std::future::pending::<Result<((), u64), String>>().await
        });
        let outcome = tokio::time::timeout(Duration::from_millis(10), call).await;
        assert!(outcome.is_err());
        assert_eq!(level(&budget), (before + charged, 0));
        assert_eq!(level(&org), (before + charged, 0));
    }
}
