//! [`DispatchBudgetHook`]: charging a [`BudgetGuard`] for every dispatched
//! tool call.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Waker};

use async_trait::async_trait;

use super::BudgetGuard;
use crate::normalizer::{
    ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
    ToolInvocationResult,
};
use crate::registry::KernelError;

/// [`ToolDispatchHook`] that makes every tool call pay
/// `cost_per_invocation` units of a [`BudgetGuard`].
///
/// * [`before_invocation`](ToolDispatchHook::before_invocation) reserves the
///   cost. If the guard refuses, the hook answers
///   [`ToolDispatchAction::Terminate`] and the tool does not run; if the guard
///   itself fails, the error surfaces as [`KernelError::BudgetFailed`].
/// * The units are released once the call is over: when its result is
///   recorded (whether the tool ran or another hook skipped it) or when
///   dispatch stops with an error.
///
/// # Which reservation gets released
///
/// One hook may serve many dispatch loops at the same time, and a dispatcher
/// notifies *every* hook when a call ends — including hooks that never
/// reserved anything for it (an earlier hook skipped or terminated the call,
/// or this hook itself refused it). The hook therefore keeps a ledger of the
/// calls it holds units for, keyed by the address of the [`ToolInvocation`]
/// it was shown in `before_invocation`, and releases units only for a call in
/// that ledger. A notification for any other call is ignored, so it can never
/// hand back a reservation that belongs to a different loop.
///
/// This relies on the dispatcher passing the *same* `ToolInvocation` object
/// to `before_invocation`, to `on_invocation_error`, and (as
/// `&result.invocation`) to `after_invocation_with_outcome` /
/// `after_invocation` — the guarantee documented on [`ToolDispatchHook`] and
/// kept by this crate's dispatchers. A dispatcher that clones the invocation
/// into the result breaks that identity and the reservation stays
/// outstanding (visible through
/// [`outstanding_reservations`](Self::outstanding_reservations)).
///
/// # Cancelled dispatch
///
/// When a dispatch future is dropped mid-call, the dispatcher calls
/// [`on_invocation_cancelled`](ToolDispatchHook::on_invocation_cancelled),
/// which removes the call from the ledger and releases its units at once by
/// polling the guard's `release` future a single time (in-memory guards such
/// as [`AtomicBudget`](super::AtomicBudget) complete on the first poll). A
/// guard whose release is still pending after that poll has the units
/// recorded as owed instead; they are released at the start of this hook's
/// next async callback (see
/// [`deferred_release_units`](Self::deferred_release_units)).
///
/// ```
/// use std::sync::Arc;
/// use rig_compose::budget::{AtomicBudget, DispatchBudgetHook};
/// use rig_compose::normalizer::{
///     ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
///     ToolInvocationResult,
/// };
///
/// # fn main() -> Result<(), rig_compose::KernelError> {
/// futures::executor::block_on(async {
///     let budget = Arc::new(AtomicBudget::new(1));
///     let hook = DispatchBudgetHook::new(Arc::clone(&budget), 1);
///
///     // What a dispatcher does for one call that runs to completion.
///     let call = ToolInvocationResult {
///         invocation: ToolInvocation::new("search", serde_json::json!({ "q": "rust" }))?,
///         output: serde_json::Value::Null,
///     };
///     let action = hook.before_invocation(&call.invocation).await?;
///     assert_eq!(action, ToolDispatchAction::Continue);
///     assert_eq!(budget.available(), 0);
///
///     // A second call while the first still holds the only unit is refused.
///     let second = ToolInvocation::new("search", serde_json::json!({}))?;
///     let action = hook.before_invocation(&second).await?;
///     assert!(matches!(action, ToolDispatchAction::Terminate { .. }));
///
///     hook.after_invocation_with_outcome(&call, &ToolInvocationOutcome::Completed).await?;
///     assert_eq!(budget.available(), 1);
///     assert_eq!(hook.outstanding_reservations(), 0);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct DispatchBudgetHook<G: BudgetGuard> {
    cost_per_invocation: u64,
    guard: Arc<G>,
    /// Invocation address -> number of reservations held for it (more than
    /// one only if the same hook is registered twice in one dispatch).
    held: Mutex<HashMap<usize, usize>>,
    /// Units of cancelled calls whose release did not complete synchronously.
    owed: AtomicU64,
}

impl<G: BudgetGuard> DispatchBudgetHook<G> {
    /// Creates a hook that charges `cost_per_invocation` units of `guard` for
    /// each tool call.
    pub fn new(guard: Arc<G>, cost_per_invocation: u64) -> Self {
        Self {
            cost_per_invocation,
            guard,
            held: Mutex::new(HashMap::new()),
            owed: AtomicU64::new(0),
        }
    }

    /// Units reserved for each tool call.
    pub fn cost_per_invocation(&self) -> u64 {
        self.cost_per_invocation
    }

    /// The guard the units are reserved from.
    pub fn guard(&self) -> &Arc<G> {
        &self.guard
    }

    /// Calls this hook currently holds units for: reserved in
    /// `before_invocation` and not yet released.
    pub fn outstanding_reservations(&self) -> usize {
        self.ledger().values().sum()
    }

    /// Units of cancelled calls still waiting to be released because the
    /// guard's `release` did not finish on its first poll.
    pub fn deferred_release_units(&self) -> u64 {
        self.owed.load(Ordering::Acquire)
    }

    /// Release whatever cancelled calls still owe the guard.
    async fn pay_owed(&self) {
        let owed = self.owed.swap(0, Ordering::AcqRel);
        if owed > 0 {
            self.guard.release(owed).await;
        }
    }

    /// Removes one reservation of `invocation` from the ledger; `true` if
    /// there was one.
    fn take_entry(&self, invocation: &ToolInvocation) -> bool {
        let key = identity(invocation);
        let mut ledger = self.ledger();
        match ledger.get_mut(&key) {
            Some(count) if *count > 1 => {
                *count -= 1;
                true
            }
            Some(_) => {
                ledger.remove(&key);
                true
            }
            None => false,
        }
    }

    fn ledger(&self) -> MutexGuard<'_, HashMap<usize, usize>> {
        // The map is consistent after every statement that touches it, so a
        // panic elsewhere while it was locked leaves nothing to repair.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Releases the units held for `invocation`, if any; `true` if it did.
    async fn settle(&self, invocation: &ToolInvocation) -> bool {
        self.pay_owed().await;
        let was_held = self.take_entry(invocation);
        if was_held {
            self.guard.release(self.cost_per_invocation).await;
        }
        was_held
    }
}

/// Identity of a call for the ledger. The address is only compared, never
/// turned back into a reference.
fn identity(invocation: &ToolInvocation) -> usize {
    std::ptr::from_ref(invocation).addr()
}

#[async_trait]
impl<G: BudgetGuard> ToolDispatchHook for DispatchBudgetHook<G> {
    async fn before_invocation(
        &self,
        invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        self.pay_owed().await;
        let admitted = self
            .guard
            .try_reserve(self.cost_per_invocation)
            .await
            .map_err(|err| KernelError::BudgetFailed(err.to_string()))?;
        if !admitted {
            return Ok(ToolDispatchAction::Terminate {
                reason: format!(
                    "budget denied `{}` at cost {}",
                    invocation.name, self.cost_per_invocation
                ),
            });
        }
        // No await between the reservation and this entry, so a cancelled
        // dispatch cannot leave units reserved but unrecorded.
        *self.ledger().entry(identity(invocation)).or_insert(0) += 1;
        Ok(ToolDispatchAction::Continue)
    }

    async fn after_invocation(&self, result: &ToolInvocationResult) -> Result<(), KernelError> {
        self.settle(&result.invocation).await;
        Ok(())
    }

    // Overridden (rather than relying on the default forwarding to
    // `after_invocation`) so the release does not depend on how a dispatcher
    // or a wrapper chooses between the two; the ledger makes a second call
    // for the same result a no-op either way.
    async fn after_invocation_with_outcome(
        &self,
        result: &ToolInvocationResult,
        _outcome: &ToolInvocationOutcome,
    ) -> Result<(), KernelError> {
        self.settle(&result.invocation).await;
        Ok(())
    }

    async fn on_invocation_error(
        &self,
        invocation: &ToolInvocation,
        _error: &KernelError,
    ) -> Result<(), KernelError> {
        self.settle(invocation).await;
        Ok(())
    }

    fn on_invocation_cancelled(&self, invocation: &ToolInvocation) {
        if !self.take_entry(invocation) {
            return;
        }
        // Called from `Drop`: no executor to await on, so poll once. A
        // release still pending is abandoned and its units are owed instead.
        let mut release = std::pin::pin!(self.guard.release(self.cost_per_invocation));
        let mut cx = Context::from_waker(Waker::noop());
        if release.as_mut().poll(&mut cx).is_pending() {
            self.owed
                .fetch_add(self.cost_per_invocation, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
#[cfg(not(loom))]
mod tests {
    use serde_json::{Value, json};

    use std::task::Poll;

    use super::super::{AtomicBudget, BudgetError};
    use super::*;

    fn result_for(name: &str) -> ToolInvocationResult {
        ToolInvocationResult {
            invocation: ToolInvocation::new(name, json!({})).unwrap(),
            output: Value::Null,
        }
    }

    fn hook(capacity: u64, cost: u64) -> (Arc<AtomicBudget>, DispatchBudgetHook<AtomicBudget>) {
        let budget = Arc::new(AtomicBudget::new(capacity));
        let hook = DispatchBudgetHook::new(Arc::clone(&budget), cost);
        (budget, hook)
    }

    #[tokio::test]
    async fn completed_call_releases_its_units() {
        let (budget, hook) = hook(10, 4);
        let call = result_for("lookup");
        let action = hook.before_invocation(&call.invocation).await.unwrap();
        assert_eq!(action, ToolDispatchAction::Continue);
        assert_eq!(budget.available(), 6);
        assert_eq!(hook.outstanding_reservations(), 1);
        hook.after_invocation_with_outcome(&call, &ToolInvocationOutcome::Completed)
            .await
            .unwrap();
        assert_eq!(budget.available(), 10);
        assert_eq!(hook.outstanding_reservations(), 0);
    }

    #[tokio::test]
    async fn refusal_terminates_with_the_tool_name_and_cost() {
        let (budget, hook) = hook(3, 5);
        let call = result_for("expensive_tool");
        let action = hook.before_invocation(&call.invocation).await.unwrap();
        assert_eq!(
            action,
            ToolDispatchAction::Terminate {
                reason: "budget denied `expensive_tool` at cost 5".to_owned()
            }
        );
        assert_eq!(hook.outstanding_reservations(), 0);
        // The dispatcher then reports the termination back to this hook,
        // which must not release anything.
        let err = KernelError::ToolDispatchTerminated("denied".into());
        hook.on_invocation_error(&call.invocation, &err)
            .await
            .unwrap();
        assert_eq!(budget.available(), 3);
    }

    #[tokio::test]
    async fn release_happens_once_whichever_after_callback_is_used() {
        let (budget, hook) = hook(2, 1);
        let call = result_for("t");
        hook.before_invocation(&call.invocation).await.unwrap();
        let other = result_for("t");
        hook.before_invocation(&other.invocation).await.unwrap();
        assert_eq!(budget.available(), 0);

        hook.after_invocation(&call).await.unwrap();
        hook.after_invocation_with_outcome(&call, &ToolInvocationOutcome::Completed)
            .await
            .unwrap();
        let err = KernelError::ToolFailed("late".into());
        hook.on_invocation_error(&call.invocation, &err)
            .await
            .unwrap();
        assert_eq!(budget.available(), 1, "only `call`'s unit comes back");
        assert_eq!(hook.outstanding_reservations(), 1);
    }

    #[tokio::test]
    async fn notification_for_an_unseen_call_releases_nothing() {
        let (budget, hook) = hook(5, 2);
        let mine = result_for("mine");
        hook.before_invocation(&mine.invocation).await.unwrap();
        // Same content, different object: not a call this hook reserved for.
        let lookalike = mine.clone();
        hook.after_invocation(&lookalike).await.unwrap();
        assert_eq!(budget.available(), 3);
        hook.after_invocation(&mine).await.unwrap();
        assert_eq!(budget.available(), 5);
    }

    #[tokio::test]
    async fn hook_registered_twice_holds_two_reservations() {
        let (budget, hook) = hook(5, 2);
        let call = result_for("t");
        hook.before_invocation(&call.invocation).await.unwrap();
        hook.before_invocation(&call.invocation).await.unwrap();
        assert_eq!(budget.available(), 1);
        assert_eq!(hook.outstanding_reservations(), 2);
        let skipped = ToolInvocationOutcome::Skipped { reason: None };
        hook.after_invocation_with_outcome(&call, &skipped)
            .await
            .unwrap();
        hook.after_invocation_with_outcome(&call, &skipped)
            .await
            .unwrap();
        assert_eq!(budget.available(), 5);
        assert_eq!(hook.outstanding_reservations(), 0);
    }

    struct Broken;

    #[async_trait]
    impl BudgetGuard for Broken {
        async fn try_reserve(&self, _cost: u64) -> Result<bool, BudgetError> {
            Err(BudgetError::Backend("store offline".into()))
        }
        async fn release(&self, _cost: u64) {}
    }

    #[tokio::test]
    async fn guard_failure_becomes_budget_failed() {
        let hook = DispatchBudgetHook::new(Arc::new(Broken), 1);
        let call = result_for("t");
        let err = hook.before_invocation(&call.invocation).await.unwrap_err();
        assert!(matches!(err, KernelError::BudgetFailed(_)));
        assert_eq!(
            err.to_string(),
            "budget failed: budget backend error: store offline"
        );
        assert_eq!(hook.outstanding_reservations(), 0);
    }

    #[tokio::test]
    async fn cancelled_call_releases_synchronously() {
        let (budget, hook) = hook(4, 3);
        let call = result_for("t");
        hook.before_invocation(&call.invocation).await.unwrap();
        assert_eq!(budget.available(), 1);
        hook.on_invocation_cancelled(&call.invocation);
        assert_eq!(budget.available(), 4);
        assert_eq!(hook.outstanding_reservations(), 0);
        // A second notification for the same call is ignored.
        hook.on_invocation_cancelled(&call.invocation);
        assert_eq!(budget.available(), 4);
        assert_eq!(hook.deferred_release_units(), 0);
    }

    /// Its release needs two polls, like a remote store would.
    #[derive(Default)]
    struct SlowRelease {
        released: std::sync::atomic::AtomicU64,
    }

    #[async_trait]
    impl BudgetGuard for SlowRelease {
        async fn try_reserve(&self, _cost: u64) -> Result<bool, BudgetError> {
            Ok(true)
        }
        async fn release(&self, cost: u64) {
            let mut yielded = false;
            std::future::poll_fn(|cx| {
                if yielded {
                    Poll::Ready(())
                } else {
                    yielded = true;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
            self.released.fetch_add(cost, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn pending_release_on_cancel_is_paid_on_next_call() {
        let guard = Arc::new(SlowRelease::default());
        let hook = DispatchBudgetHook::new(Arc::clone(&guard), 5);
        let call = result_for("t");
        hook.before_invocation(&call.invocation).await.unwrap();
        hook.on_invocation_cancelled(&call.invocation);
        assert_eq!(hook.deferred_release_units(), 5);
        assert_eq!(guard.released.load(Ordering::SeqCst), 0);
        let next = result_for("t");
        hook.before_invocation(&next.invocation).await.unwrap();
        assert_eq!(hook.deferred_release_units(), 0);
        assert_eq!(guard.released.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn accessors_and_debug() {
        let (budget, hook) = hook(7, 3);
        assert_eq!(hook.cost_per_invocation(), 3);
        assert!(Arc::ptr_eq(hook.guard(), &budget));
        let shown = format!("{hook:?}");
        assert!(shown.starts_with("DispatchBudgetHook {"), "{shown}");
        assert!(shown.contains("cost_per_invocation: 3"), "{shown}");
    }
}
