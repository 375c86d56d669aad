//! One `DispatchBudgetHook` shared by several dispatch loops running at the
//! same time. Every loop must get back exactly the units it reserved: a loop
//! the hook refused, or one that another hook skipped, terminated or failed,
//! must never hand back a reservation owned by a different loop.
//!
//! The loops drive the hooks by hand, the way this crate's dispatchers do:
//! `before_invocation` in hook order (stopping at the first non-`Continue` or
//! error), then `after_invocation_with_outcome` on every hook for a recorded
//! result, `on_invocation_error` on every hook when dispatch stops, or only on
//! the hooks that already ran when a later hook's `before_invocation` failed.
//! The same `ToolInvocation` object is passed to all of them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use rig_compose::budget::{AtomicBudget, DispatchBudgetHook};
use rig_compose::normalizer::{
    ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
    ToolInvocationResult,
};
use rig_compose::registry::KernelError;

/// Hook that skips every call.
struct Skipper;

#[async_trait]
impl ToolDispatchHook for Skipper {
    async fn before_invocation(
        &self,
        _invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        Ok(ToolDispatchAction::Skip {
            output: json!("cached"),
            reason: Some("served from cache".into()),
        })
    }
}

/// Hook that stops dispatch.
struct Stopper;

#[async_trait]
impl ToolDispatchHook for Stopper {
    async fn before_invocation(
        &self,
        _invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        Ok(ToolDispatchAction::Terminate {
            reason: "policy says no".into(),
        })
    }
}

/// Hook whose own check fails.
struct Failing;

#[async_trait]
impl ToolDispatchHook for Failing {
    async fn before_invocation(
        &self,
        _invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        Err(KernelError::InvalidArgument("approval service down".into()))
    }
}

#[derive(Clone, Copy)]
enum ToolBehaviour {
    Succeeds,
    Fails,
}

/// Runs the first half of a dispatch (all `before_invocation` calls); the
/// second half (completion or cleanup notifications) is run by [`finish`].
struct Begun {
    action: ToolDispatchAction,
    /// Decision of each hook that answered, in hook order.
    decisions: Vec<ToolDispatchAction>,
    before_error: Option<KernelError>,
}

async fn begin(hooks: &[Arc<dyn ToolDispatchHook>], invocation: &ToolInvocation) -> Begun {
    let mut begun = Begun {
        action: ToolDispatchAction::Continue,
        decisions: Vec::new(),
        before_error: None,
    };
    for hook in hooks {
        match hook.before_invocation(invocation).await {
            Ok(action) => {
                begun.decisions.push(action.clone());
                let stop = action != ToolDispatchAction::Continue;
                begun.action = action;
                if stop {
                    break;
                }
            }
            Err(error) => {
                begun.before_error = Some(error);
                break;
            }
        }
    }
    begun
}

impl Begun {
    /// Whether the hook at `index` answered `Continue`, i.e. holds units if
    /// it is the budget hook.
    fn continued_at(&self, index: usize) -> bool {
        self.decisions.get(index) == Some(&ToolDispatchAction::Continue)
    }
}

async fn finish(
    hooks: &[Arc<dyn ToolDispatchHook>],
    result: &ToolInvocationResult,
    begun: Begun,
    tool: ToolBehaviour,
) {
    let invocation = &result.invocation;
    if let Some(error) = begun.before_error {
        for hook in hooks.iter().take(begun.decisions.len()) {
            hook.on_invocation_error(invocation, &error).await.unwrap();
        }
        return;
    }
    let outcome = match (begun.action, tool) {
        (ToolDispatchAction::Continue, ToolBehaviour::Succeeds) => ToolInvocationOutcome::Completed,
        (ToolDispatchAction::Skip { reason, .. }, _) => ToolInvocationOutcome::Skipped { reason },
        (ToolDispatchAction::Continue, ToolBehaviour::Fails) => {
            let error = KernelError::ToolFailed("tool crashed".into());
            for hook in hooks {
                hook.on_invocation_error(invocation, &error).await.unwrap();
            }
            return;
        }
        (ToolDispatchAction::Terminate { reason }, _) => {
            let error = KernelError::ToolDispatchTerminated(reason);
            for hook in hooks {
                hook.on_invocation_error(invocation, &error).await.unwrap();
            }
            return;
        }
    };
    for hook in hooks {
        hook.after_invocation_with_outcome(result, &outcome)
            .await
            .unwrap();
    }
}

/// A dispatch loop running as its own task, advanced one half at a time.
struct Loop {
    go: Option<oneshot::Sender<()>>,
    begun: Option<oneshot::Receiver<bool>>,
    resume: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Loop {
    /// `budget_at` is where the shared budget hook sits in `hooks`; the loop
    /// reports whether that hook admitted the call.
    fn spawn(
        name: &'static str,
        hooks: Vec<Arc<dyn ToolDispatchHook>>,
        budget_at: usize,
        tool: ToolBehaviour,
    ) -> Self {
        let (go_tx, go_rx) = oneshot::channel();
        let (begun_tx, begun_rx) = oneshot::channel();
        let (resume_tx, resume_rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            // Built inside the task, so every loop owns its own invocation.
            let result = ToolInvocationResult {
                invocation: ToolInvocation::new(name, json!({ "loop": name })).unwrap(),
                output: Value::Null,
            };
            go_rx.await.unwrap();
            let begun = begin(&hooks, &result.invocation).await;
            begun_tx.send(begun.continued_at(budget_at)).unwrap();
            resume_rx.await.unwrap();
            finish(&hooks, &result, begun, tool).await;
        });
        Self {
            go: Some(go_tx),
            begun: Some(begun_rx),
            resume: Some(resume_tx),
            task,
        }
    }

    async fn start(&mut self) -> bool {
        self.go.take().unwrap().send(()).unwrap();
        self.begun.take().unwrap().await.unwrap()
    }

    async fn finish(mut self) {
        self.resume.take().unwrap().send(()).unwrap();
        self.task.await.unwrap();
    }
}

const CAPACITY: u64 = 6;
const COST: u64 = 2;

fn check(budget: &AtomicBudget, hook: &DispatchBudgetHook<AtomicBudget>, held: u64, step: &str) {
    assert_eq!(
        budget.available(),
        CAPACITY - COST * held,
        "available units after {step}"
    );
    assert_eq!(
        hook.outstanding_reservations() as u64,
        held,
        "hook ledger after {step}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shared_hook_releases_only_what_each_loop_reserved() {
    let budget = Arc::new(AtomicBudget::new(CAPACITY));
    let hook = Arc::new(DispatchBudgetHook::new(Arc::clone(&budget), COST));
    let shared: Arc<dyn ToolDispatchHook> = hook.clone();
    let skipper: Arc<dyn ToolDispatchHook> = Arc::new(Skipper);
    let stopper: Arc<dyn ToolDispatchHook> = Arc::new(Stopper);
    let failing: Arc<dyn ToolDispatchHook> = Arc::new(Failing);

    use ToolBehaviour::{Fails, Succeeds};
    let mut completes = Loop::spawn("completes", vec![shared.clone()], 0, Succeeds);
    let mut later_fails = Loop::spawn(
        "later_hook_fails",
        vec![shared.clone(), failing.clone()],
        0,
        Succeeds,
    );
    let mut skipped = Loop::spawn(
        "skipped_earlier",
        vec![skipper.clone(), shared.clone()],
        1,
        Succeeds,
    );
    let mut terminated = Loop::spawn(
        "terminated_earlier",
        vec![stopper.clone(), shared.clone()],
        1,
        Succeeds,
    );
    let mut tool_fails = Loop::spawn("tool_fails", vec![shared.clone()], 0, Fails);
    let mut denied = Loop::spawn("denied", vec![shared.clone()], 0, Succeeds);
    let mut skipped_later = Loop::spawn(
        "skipped_later",
        vec![shared.clone(), skipper.clone()],
        0,
        Succeeds,
    );

    check(&budget, &hook, 0, "setup");
    assert!(completes.start().await);
    check(&budget, &hook, 1, "`completes` reserved");
    assert!(later_fails.start().await);
    check(&budget, &hook, 2, "`later_hook_fails` reserved");
    assert!(!skipped.start().await);
    check(&budget, &hook, 2, "`skipped_earlier` began");
    assert!(!terminated.start().await);
    check(&budget, &hook, 2, "`terminated_earlier` began");
    assert!(tool_fails.start().await);
    check(&budget, &hook, 3, "`tool_fails` reserved");
    assert!(!denied.start().await, "budget is exhausted");
    check(&budget, &hook, 3, "`denied` was refused");

    // The refused loop reports its termination to the shared hook.
    denied.finish().await;
    check(&budget, &hook, 3, "`denied` finished");
    // The skipped loop records a result on every hook, the budget hook too.
    skipped.finish().await;
    check(&budget, &hook, 3, "`skipped_earlier` finished");
    // The terminated loop notifies every hook of the error.
    terminated.finish().await;
    check(&budget, &hook, 3, "`terminated_earlier` finished");

    later_fails.finish().await;
    check(&budget, &hook, 2, "`later_hook_fails` cleaned up");
    assert!(skipped_later.start().await);
    check(&budget, &hook, 3, "`skipped_later` reserved");
    tool_fails.finish().await;
    check(&budget, &hook, 2, "`tool_fails` cleaned up");
    skipped_later.finish().await;
    check(&budget, &hook, 1, "`skipped_later` recorded its skip");
    completes.finish().await;
    check(&budget, &hook, 0, "`completes` finished");
}

/// Free-running variant: many loops of every kind at once. Whatever the
/// interleaving, no more loops may hold units than the budget can cover
/// (a stray release would let extra loops in) and everything is returned at
/// the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shared_hook_under_contention_never_over_admits() {
    const LOOPS: u64 = 16;
    const ROUNDS: u64 = 200;
    let budget = Arc::new(AtomicBudget::new(CAPACITY));
    let hook = Arc::new(DispatchBudgetHook::new(Arc::clone(&budget), COST));
    let holding = Arc::new(AtomicU64::new(0));

    let mut tasks = Vec::new();
    for id in 0..LOOPS {
        let shared: Arc<dyn ToolDispatchHook> = hook.clone();
        let holding = Arc::clone(&holding);
        tasks.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                use ToolBehaviour::{Fails, Succeeds};
                let (hooks, budget_at, tool): (Vec<Arc<dyn ToolDispatchHook>>, _, _) =
                    match (id + round) % 6 {
                        0 => (vec![shared.clone()], 0, Succeeds),
                        1 => (vec![shared.clone()], 0, Fails),
                        2 => (vec![Arc::new(Skipper), shared.clone()], 1, Succeeds),
                        3 => (vec![Arc::new(Stopper), shared.clone()], 1, Succeeds),
                        4 => (vec![shared.clone(), Arc::new(Failing)], 0, Succeeds),
                        _ => (vec![shared.clone(), Arc::new(Skipper)], 0, Succeeds),
                    };
                let result = ToolInvocationResult {
                    invocation: ToolInvocation::new("t", json!({ "round": round })).unwrap(),
                    output: Value::Null,
                };
                let begun = begin(&hooks, &result.invocation).await;
                let budget_admitted = begun.continued_at(budget_at);
                if budget_admitted {
                    let before = holding.fetch_add(1, Ordering::SeqCst);
                    assert!((before + 1) * COST <= CAPACITY, "over-admitted");
                }
                tokio::task::yield_now().await;
                if budget_admitted {
                    holding.fetch_sub(1, Ordering::SeqCst);
                }
                finish(&hooks, &result, begun, tool).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(budget.available(), CAPACITY);
    assert_eq!(hook.outstanding_reservations(), 0);
}

/// For contrast: the published 0.5.0 hook keeps a bare counter, so a refused
/// loop's cleanup hands back a reservation that another loop still holds.
#[tokio::test]
async fn published_hook_releases_another_loops_reservation() {
    use rig_compose_published::budget::{AtomicBudget as OldBudget, DispatchBudgetHook as OldHook};
    use rig_compose_published::normalizer::{
        ToolDispatchAction as OldAction, ToolDispatchHook as _, ToolInvocation as OldInvocation,
    };
    use rig_compose_published::registry::KernelError as OldError;

    let old_budget = Arc::new(OldBudget::new(COST));
    let old_hook = OldHook::new(Arc::clone(&old_budget), COST);
    let holder = OldInvocation::new("holder", json!({})).unwrap();
    let refused = OldInvocation::new("refused", json!({})).unwrap();
    assert_eq!(
        old_hook.before_invocation(&holder).await.unwrap(),
        OldAction::Continue
    );
    assert!(matches!(
        old_hook.before_invocation(&refused).await.unwrap(),
        OldAction::Terminate { .. }
    ));
    let stop = OldError::ToolDispatchTerminated("refused".into());
    old_hook.on_invocation_error(&refused, &stop).await.unwrap();
    assert_eq!(
        old_budget.available(),
        COST,
        "published: `holder`'s units were handed back while it still runs"
    );

    // Same sequence with this crate's hook.
    let budget = Arc::new(AtomicBudget::new(COST));
    let hook = DispatchBudgetHook::new(Arc::clone(&budget), COST);
    let holder = ToolInvocation::new("holder", json!({})).unwrap();
    let refused = ToolInvocation::new("refused", json!({})).unwrap();
    assert_eq!(
        hook.before_invocation(&holder).await.unwrap(),
        ToolDispatchAction::Continue
    );
    assert!(matches!(
        hook.before_invocation(&refused).await.unwrap(),
        ToolDispatchAction::Terminate { .. }
    ));
    let stop = KernelError::ToolDispatchTerminated("refused".into());
    hook.on_invocation_error(&refused, &stop).await.unwrap();
    assert_eq!(budget.available(), 0, "`holder` still holds its units");
    assert_eq!(hook.outstanding_reservations(), 1);
}
