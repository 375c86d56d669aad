//! Guarding one model call with a [`Hold`]: reserve the estimate first,
//! settle with the provider's reported usage afterwards.

use std::future::Future;

use super::{
    BudgetError, CancelPolicy, Denial, Hold, ReserveError, ReserveRequest, Settlement, SpendBudget,
};

/// Why a guarded model call produced no value.
#[derive(Debug, thiserror::Error)]
pub enum ModelCallError<E> {
    /// The budget refused the estimate; the call was not made.
    #[error("model call not made: {0}")]
    Denied(Denial),
    /// The budget's backend failed while reserving; the call was not made.
    #[error("model call not made: {0}")]
    Budget(BudgetError),
    /// The call itself failed; its hold was released.
    #[error("model call failed: {0}")]
    Call(E),
}

/// A finished guarded call.
#[derive(Debug)]
pub struct ModelCallOutput<T> {
    /// What the call returned.
    pub value: T,
    /// The usage the call reported (what was charged).
    pub usage: u64,
    /// How the hold was settled. An error here means the backend could not
    /// record the settlement; the value is still returned because the call
    /// did happen.
    pub settlement: Result<Settlement, BudgetError>,
}

/// An open reservation for one model call. Dropped unsettled (for example
/// because the future owning it was dropped mid-call), it closes with its
/// cancel policy.
#[derive(Debug)]
#[must_use = "a guard dropped unsettled applies its cancel policy at once"]
pub struct ModelCallGuard {
    hold: Hold,
}

impl ModelCallGuard {
    /// Reserve `estimate` on `budget`; `on_cancel` is what a drop before
    /// settling charges.
    pub async fn reserve(
        budget: &dyn SpendBudget,
        estimate: u64,
        on_cancel: CancelPolicy,
    ) -> Result<Self, ReserveError> {
        let hold = budget.reserve(ReserveRequest::new(estimate)).await?;
        Ok(Self {
            hold: hold.with_drop_policy(on_cancel),
        })
    }

    /// Units reserved.
    pub fn estimate(&self) -> u64 {
        self.hold.amount()
    }

    /// Change what a drop charges, e.g. once the prompt has been sent.
    pub fn set_cancel_policy(&mut self, policy: CancelPolicy) {
        self.hold.set_drop_policy(policy);
    }

    /// Charge the reported usage and return the rest of the estimate.
    pub async fn settle(self, usage: u64) -> Result<Settlement, BudgetError> {
        self.hold.settle(usage).await
    }

    /// The call did not run (or failed before using anything).
    pub async fn release(self) -> Result<Settlement, BudgetError> {
        self.hold.release().await
    }
}

/// Run `call` under a hold of `estimate` units of `budget`.
///
/// * The hold is taken first; a refusal returns [`ModelCallError::Denied`]
///   and `call` is never polled.
/// * `call` resolves to `(value, usage)`: the hold is settled with `usage`
///   (usage above the estimate is charged too, as the budget's debt rules
///   say).
/// * `call` fails: the hold is released and the error returned as
///   [`ModelCallError::Call`].
/// * The returned future is dropped while `call` is pending: the hold is
///   closed with `on_cancel` (e.g. `CancelPolicy::Charge(prompt_tokens)`
///   when the provider bills the prompt of an aborted request).
///
/// Works with any executor: it only awaits `budget` and `call`.
///
/// ```
/// use rig_compose::budget::{Budget, CancelPolicy, guard_model_call};
///
/// futures::executor::block_on(async {
///     let tokens = Budget::quota("run", 10_000).build();
///     let out = guard_model_call(&tokens, 2_000, CancelPolicy::ReleaseAll, async {
///         // ... call the provider; it reports 1,250 tokens used ...
///         Ok::<_, std::io::Error>(("the answer", 1_250))
///     })
///     .await
///     .unwrap();
///     assert_eq!(out.value, "the answer");
///     assert_eq!(out.settlement.unwrap().charged, 1_250);
///     assert_eq!(tokens.snapshot_now().available, 8_750);
///
///     // An estimate the budget cannot cover is refused before calling.
///     let refused = guard_model_call(&tokens, 9_000, CancelPolicy::ReleaseAll, async {
///         Ok::<_, std::io::Error>(((), 0))
///     })
///     .await;
///     assert!(refused.is_err());
/// });
/// ```
pub async fn guard_model_call<T, E, F>(
    budget: &dyn SpendBudget,
    estimate: u64,
    on_cancel: CancelPolicy,
    call: F,
) -> Result<ModelCallOutput<T>, ModelCallError<E>>
where
    F: Future<Output = Result<(T, u64), E>>,
{
    let guard = ModelCallGuard::reserve(budget, estimate, on_cancel)
        .await
        .map_err(|error| match error {
            ReserveError::Denied(denial) => ModelCallError::Denied(denial),
            ReserveError::Backend(error) => ModelCallError::Budget(error),
        })?;
    match call.await {
        Ok((value, usage)) => Ok(ModelCallOutput {
            value,
            usage,
            settlement: guard.settle(usage).await,
        }),
        Err(error) => {
            // The call's error is the one worth reporting; a failed release
            // is bounded by the hold's lease, if any.
            let _released = guard.release().await;
            Err(ModelCallError::Call(error))
        }
    }
}

#[cfg(test)]
#[cfg(not(loom))]
mod tests {
    use super::*;
    use crate::budget::Budget;

    #[tokio::test]
    async fn manual_guard_settles_and_reports_estimate() {
        let budget = Budget::quota("m", 100).build();
        let mut guard = ModelCallGuard::reserve(&budget, 40, CancelPolicy::ReleaseAll)
            .await
            .unwrap();
        assert_eq!(guard.estimate(), 40);
        guard.set_cancel_policy(CancelPolicy::Charge(5));
        drop(guard);
        let snapshot = budget.snapshot_now();
        assert_eq!((snapshot.consumed, snapshot.held), (5, 0));
    }

    #[tokio::test]
    async fn error_display_names_the_cause() {
        let budget = Budget::quota("m", 1).build();
        let err = guard_model_call(&budget, 2, CancelPolicy::ReleaseAll, async {
            Ok::<_, std::io::Error>(((), 0))
        })
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "model call not made: budget `m` denied 2 units: quota has 1 available"
        );
    }
}
