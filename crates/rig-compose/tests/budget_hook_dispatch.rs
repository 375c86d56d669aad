//! One `DispatchBudgetHook` shared by concurrent dispatch loops, driven
//! through the real dispatcher: a loop that is denied, skipped by another
//! hook, or failed by another hook must never release a reservation that a
//! different loop still holds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rig_compose::{
    AtomicBudget, DispatchBudgetHook, KernelError, LocalTool, ToolDispatchAction, ToolDispatchHook,
    ToolInvocation, ToolRegistry, ToolSchema, dispatch_tool_invocations_with_hooks,
};
use serde_json::json;
use tokio::sync::Semaphore;

fn schema(name: &str) -> ToolSchema {
    ToolSchema {
        name: name.into(),
        description: String::new(),
        args_schema: json!({}),
        result_schema: json!({}),
    }
}

/// `gated` blocks until the test adds a permit; `quick` returns at once.
fn registry(gate: Arc<Semaphore>) -> ToolRegistry {
    let tools = ToolRegistry::new();
    tools.register(Arc::new(LocalTool::new(schema("gated"), move |_| {
        let gate = gate.clone();
        async move {
            gate.acquire().await.unwrap().forget();
            Ok(json!("released"))
        }
    })));
    tools.register(Arc::new(LocalTool::new(schema("quick"), |_| async {
        Ok(json!("done"))
    })));
    tools
}

struct SkipAll;

#[async_trait]
impl ToolDispatchHook for SkipAll {
    async fn before_invocation(
        &self,
        _invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        Ok(ToolDispatchAction::Skip {
            output: json!("skipped"),
            reason: Some("policy".into()),
        })
    }
}

struct FailBefore;

#[async_trait]
impl ToolDispatchHook for FailBefore {
    async fn before_invocation(
        &self,
        _invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        Err(KernelError::InvalidArgument("policy engine down".into()))
    }
}

fn call(name: &str) -> Vec<ToolInvocation> {
    vec![ToolInvocation::new(name, json!({})).unwrap()]
}

/// Wait until `held` units are reserved (the gated loops reached their tool).
async fn until_held(budget: &AtomicBudget, held: u64) {
    for _ in 0..2_000 {
        if budget.capacity() - budget.available() == held {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!(
        "expected {held} held, budget shows {}",
        budget.capacity() - budget.available()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_loops_sharing_one_hook_keep_each_others_reservations() {
    let budget = Arc::new(AtomicBudget::new(3));
    let hook = Arc::new(DispatchBudgetHook::new(budget.clone(), 1));
    let gate = Arc::new(Semaphore::new(0));
    let tools = registry(gate.clone());

    // Two loops reserve and park inside their tool.
    let mut parked = Vec::new();
    for _ in 0..2 {
        let (tools, hook) = (tools.clone(), hook.clone());
        parked.push(tokio::spawn(async move {
            let hooks: [&dyn ToolDispatchHook; 1] = [hook.as_ref()];
            dispatch_tool_invocations_with_hooks(&tools, &call("gated"), &hooks).await
        }));
    }
    until_held(&budget, 2).await;
    assert_eq!(hook.outstanding_reservations(), 2);

    // Skipped by an earlier hook: the budget hook never reserved, yet it is
    // told about the recorded result. It must not release a parked loop's.
    let skip: [&dyn ToolDispatchHook; 2] = [&SkipAll, hook.as_ref()];
    let skipped = dispatch_tool_invocations_with_hooks(&tools, &call("quick"), &skip)
        .await
        .unwrap();
    assert_eq!(skipped[0].output, json!("skipped"));
    assert_eq!(budget.available(), 1, "a skip released someone else's hold");

    // Failed by a later hook: the budget hook reserved, then must release
    // exactly its own reservation.
    let fail: [&dyn ToolDispatchHook; 2] = [hook.as_ref(), &FailBefore];
    let failed = dispatch_tool_invocations_with_hooks(&tools, &call("quick"), &fail).await;
    assert!(matches!(failed, Err(KernelError::InvalidArgument(_))));
    assert_eq!(budget.available(), 1, "a failure leaked or over-released");

    // A third loop takes the last unit and parks.
    {
        let (tools, hook) = (tools.clone(), hook.clone());
        parked.push(tokio::spawn(async move {
            let hooks: [&dyn ToolDispatchHook; 1] = [hook.as_ref()];
            dispatch_tool_invocations_with_hooks(&tools, &call("gated"), &hooks).await
        }));
    }
    until_held(&budget, 3).await;

    // Denied: the hook's own Terminate leads the dispatcher to call its
    // cleanup. Nothing was reserved, so nothing may be released.
    let only: [&dyn ToolDispatchHook; 1] = [hook.as_ref()];
    let denied = dispatch_tool_invocations_with_hooks(&tools, &call("quick"), &only).await;
    assert!(matches!(
        denied,
        Err(KernelError::ToolDispatchTerminated(_))
    ));
    assert_eq!(
        budget.available(),
        0,
        "a denial released someone else's hold"
    );
    assert_eq!(hook.outstanding_reservations(), 3);

    // Let the parked loops finish: everything returns.
    gate.add_permits(3);
    for loop_handle in parked {
        assert_eq!(
            loop_handle.await.unwrap().unwrap()[0].output,
            json!("released")
        );
    }
    assert_eq!(budget.available(), budget.capacity());
    assert_eq!(hook.outstanding_reservations(), 0);
}

/// The same sequence against the published 0.5.0 hook releases a parked
/// loop's reservation, which is what the test above guards against.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn published_hook_over_releases_on_denial() {
    use rig_compose_published as published;
    let budget = Arc::new(published::AtomicBudget::new(1));
    let hook = Arc::new(published::DispatchBudgetHook::new(budget.clone(), 1));
    let gate = Arc::new(Semaphore::new(0));
    let tools = published::ToolRegistry::new();
    {
        let gate = gate.clone();
        tools.register(Arc::new(published::LocalTool::new(
            published::ToolSchema {
                name: "gated".into(),
                description: String::new(),
                args_schema: json!({}),
                result_schema: json!({}),
            },
            move |_| {
                let gate = gate.clone();
                async move {
                    gate.acquire().await.unwrap().forget();
                    Ok(json!("released"))
                }
            },
        )));
    }
    let parked = {
        let (tools, hook) = (tools.clone(), hook.clone());
        tokio::spawn(async move {
            let calls = vec![published::ToolInvocation::new("gated", json!({})).unwrap()];
            let hooks: [&dyn published::ToolDispatchHook; 1] = [hook.as_ref()];
            published::dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks).await
        })
    };
    for _ in 0..2_000 {
        if budget.available() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(budget.available(), 0);
    let calls = vec![published::ToolInvocation::new("gated", json!({})).unwrap()];
    let hooks: [&dyn published::ToolDispatchHook; 1] = [hook.as_ref()];
    let denied = published::dispatch_tool_invocations_with_hooks(&tools, &calls, &hooks).await;
    assert!(denied.is_err());
    // The parked loop still runs, but its unit is already back in the pool.
    assert_eq!(budget.available(), 1);
    gate.add_permits(1);
    parked.await.unwrap().unwrap();
}
