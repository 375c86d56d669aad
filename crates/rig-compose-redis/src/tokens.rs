//! [`RedisTokenBudget`]: the 0.5 [`TokenBudget`] contract on a Redis budget.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use rig_compose::budget::{
    BudgetError, Hold, ReserveError, SpendBudget, TokenBudget, TokenReservation,
};

use crate::budget::RedisBudget;

/// [`TokenBudget`] on a [`RedisBudget`]: each reservation is a hold in
/// Redis, settled with the reported usage.
///
/// Differences from [`AtomicTokenBudget`](rig_compose::budget::AtomicTokenBudget),
/// all following from the hold model: usage beyond the estimate that the
/// budget cannot cover is recorded as debt (not silently floored), a
/// reservation dropped unsettled is released through its hold (and by its
/// lease if no runtime is around), and a failed `record_usage` is logged
/// because the trait cannot return it.
///
/// ```no_run
/// use rig_compose::budget::{TokenBudget, Window};
/// use rig_compose_redis::{RedisBudget, RedisTokenBudget};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let budget = RedisBudget::builder("acme")
///     .level("tokens", 1_000_000, Window::per_day())
///     .connect("redis://127.0.0.1:6379/")?;
/// let tokens = RedisTokenBudget::new(budget);
/// if let Some(reservation) = tokens.try_reserve_tokens(4_000).await? {
///     // ... call the model ...
///     tokens.record_usage(reservation, 2_900, 350).await;
/// }
/// # Ok(())
/// # }
/// ```
pub struct RedisTokenBudget {
    budget: RedisBudget,
    identity: Arc<()>,
    last_consumed: AtomicU64,
}

impl fmt::Debug for RedisTokenBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenBudget")
            .field("budget", &self.budget)
            .field("last_consumed", &self.last_consumed.load(Ordering::Relaxed))
            .finish()
    }
}

// `TokenReservation` only carries a refund callback, and `record_usage`
// must find the hold behind it. The callback is called synchronously, so
// while `CLAIMING` is set on this thread our callbacks park their hold in
// `CLAIMED` instead of releasing it; any other callback refunds as usual.
thread_local! {
    static CLAIMING: Cell<bool> = const { Cell::new(false) };
    static CLAIMED: RefCell<Option<(usize, Hold)>> = const { RefCell::new(None) };
}

/// Resets `CLAIMING` even if a foreign refund callback panics.
struct ClaimScope;

impl ClaimScope {
    fn enter() -> Self {
        CLAIMING.with(|flag| flag.set(true));
        Self
    }
}

impl Drop for ClaimScope {
    fn drop(&mut self) {
        CLAIMING.with(|flag| flag.set(false));
    }
}

impl RedisTokenBudget {
    /// Wrap `budget`.
    pub fn new(budget: RedisBudget) -> Self {
        Self {
            budget,
            identity: Arc::new(()),
            last_consumed: AtomicU64::new(0),
        }
    }

    /// The budget behind the adapter.
    pub fn budget(&self) -> &RedisBudget {
        &self.budget
    }

    fn owner_tag(&self) -> usize {
        Arc::as_ptr(&self.identity) as usize
    }

    fn reservation_for(&self, hold: Hold) -> TokenReservation {
        let estimate = hold.amount();
        let owner = self.owner_tag();
        TokenReservation::new(
            estimate,
            Box::new(move |_refund| {
                if CLAIMING.with(Cell::get) {
                    CLAIMED.with(|slot| *slot.borrow_mut() = Some((owner, hold)));
                }
                // Otherwise the hold drops here and releases itself.
            }),
        )
    }

    /// The hold behind `reservation`, if this adapter issued it. Any other
    /// reservation is refunded to whoever issued it.
    fn claim(&self, mut reservation: TokenReservation) -> Option<Hold> {
        let estimate = reservation.estimate();
        let refund = reservation.disarm()?;
        {
            let _scope = ClaimScope::enter();
            refund(estimate);
        }
        match CLAIMED.with(|slot| slot.borrow_mut().take()) {
            Some((owner, hold)) if owner == self.owner_tag() => Some(hold),
            // Issued by another Redis adapter: dropping releases it there.
            Some(_) | None => None,
        }
    }
}

#[async_trait]
impl TokenBudget for RedisTokenBudget {
    async fn try_reserve_tokens(&self, est: u64) -> Result<Option<TokenReservation>, BudgetError> {
        match self.budget.reserve(est.into()).await {
            Ok(hold) => Ok(Some(self.reservation_for(hold))),
            Err(ReserveError::Denied(denial)) => {
                tracing::trace!(%denial, "token reservation refused");
                Ok(None)
            }
            Err(ReserveError::Backend(err)) => Err(err),
        }
    }

    async fn record_usage(&self, reservation: TokenReservation, prompt: u64, completion: u64) {
        let actual = prompt.saturating_add(completion);
        let result = match self.claim(reservation) {
            Some(hold) => hold.settle(actual).await,
            None => self.budget.charge(actual).await,
        };
        if let Err(err) = result {
            tracing::warn!(tokens = actual, error = %err, "recording token usage failed");
        }
    }

    /// Tokens charged in the leaf's current window. If Redis cannot be
    /// read, the last value read is returned and the failure logged.
    async fn tokens_consumed(&self) -> u64 {
        match self.budget.snapshot().await {
            Ok(leaf) => {
                let consumed = leaf.consumed;
                self.last_consumed.store(consumed, Ordering::Relaxed);
                consumed
            }
            Err(err) => {
                tracing::warn!(error = %err, "reading consumed tokens failed; reporting the last value");
                self.last_consumed.load(Ordering::Relaxed)
            }
        }
    }
}
