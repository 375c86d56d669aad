//! Model-token budgets: the [`TokenBudget`] contract, the
//! [`TokenReservation`] handle and the lock-free [`AtomicTokenBudget`].

use std::fmt;
use std::sync::{Arc, Weak};

use async_trait::async_trait;

use super::BudgetError;
use super::reservoir::{Reservoir, saturating_increment};
use super::sync::{AtomicU64, Ordering};

/// Callback that returns a reservation's estimate to the budget it came from.
///
/// A [`TokenReservation`] calls it exactly once, with its estimate, when it is
/// dropped while still armed. Custom [`TokenBudget`] implementations supply
/// one through [`TokenReservation::new`].
pub type TokenRefund = Box<dyn FnOnce(u64) + Send + Sync>;

/// Tokens set aside for one model call.
///
/// Returned by [`TokenBudget::try_reserve_tokens`] and handed back to
/// [`TokenBudget::record_usage`] once the provider reports what the call
/// really cost, which lets every in-flight call be reconciled against its own
/// estimate.
///
/// # Dropping without reporting usage
///
/// A reservation that is dropped while still *armed* counts as a cancelled
/// call: it gives its whole estimate back through its refund callback. A
/// [`TokenBudget::record_usage`] implementation therefore has to
/// [`disarm`](Self::disarm) the reservation before settling it itself,
/// otherwise the estimate would be returned twice.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use rig_compose::budget::TokenReservation;
///
/// let refunded = Arc::new(AtomicU64::new(0));
/// let sink = Arc::clone(&refunded);
/// let reservation = TokenReservation::new(
///     120,
///     Box::new(move |tokens| {
///         sink.fetch_add(tokens, Ordering::SeqCst);
///     }),
/// );
/// assert_eq!(reservation.estimate(), 120);
/// drop(reservation); // cancelled: the estimate goes back
/// assert_eq!(refunded.load(Ordering::SeqCst), 120);
///
/// let mut settled = TokenReservation::new(80, Box::new(|_| unreachable!()));
/// assert!(settled.disarm().is_some());
/// assert!(settled.disarm().is_none(), "a second disarm finds nothing");
/// drop(settled); // disarmed: no refund
/// ```
pub struct TokenReservation {
    estimate: u64,
    refund: Refund,
}

/// What a reservation does with its estimate if it is dropped while armed.
enum Refund {
    /// Already disarmed; dropping does nothing.
    Spent,
    /// Caller-supplied callback (custom [`TokenBudget`] implementations).
    Callback(TokenRefund),
    /// Issued by an [`AtomicTokenBudget`]. Holding the pool directly instead
    /// of a boxed closure saves an allocation per reservation and lets the
    /// issuing budget recognise its own reservations. `Weak` so an
    /// outstanding reservation neither keeps a dropped budget alive nor
    /// touches it after it is gone.
    Pool(Weak<TokenPool>),
}

impl TokenReservation {
    /// Wraps an `estimate` that a [`TokenBudget`] has already deducted, with
    /// the callback that gives it back if the reservation is dropped unused.
    ///
    /// Meant for [`TokenBudget`] implementations; callers obtain reservations
    /// from [`TokenBudget::try_reserve_tokens`].
    pub fn new(estimate: u64, refund: TokenRefund) -> Self {
        Self {
            estimate,
            refund: Refund::Callback(refund),
        }
    }

    fn issued_by(estimate: u64, pool: &Arc<TokenPool>) -> Self {
        Self {
            estimate,
            refund: Refund::Pool(Arc::downgrade(pool)),
        }
    }

    /// Number of tokens this reservation set aside.
    pub fn estimate(&self) -> u64 {
        self.estimate
    }

    /// Removes and returns the refund callback so that dropping the
    /// reservation no longer gives the estimate back.
    ///
    /// [`TokenBudget::record_usage`] implementations call this before they
    /// settle the reservation themselves. Returns `None` when the reservation
    /// was already disarmed, which points to a double settlement.
    pub fn disarm(&mut self) -> Option<TokenRefund> {
        match std::mem::replace(&mut self.refund, Refund::Spent) {
            Refund::Spent => None,
            Refund::Callback(refund) => Some(refund),
            Refund::Pool(pool) => Some(Box::new(move |tokens| refund_to(&pool, tokens))),
        }
    }

    /// Disarms the reservation if `pool` issued it and it is still armed,
    /// returning its estimate. Anything else is left untouched.
    fn claim_for(&mut self, pool: &Arc<TokenPool>) -> Option<u64> {
        match &self.refund {
            Refund::Pool(issuer) if std::ptr::eq(issuer.as_ptr(), Arc::as_ptr(pool)) => {
                self.refund = Refund::Spent;
                Some(self.estimate)
            }
            _ => None,
        }
    }

    fn is_armed(&self) -> bool {
        !matches!(self.refund, Refund::Spent)
    }
}

impl Drop for TokenReservation {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.refund, Refund::Spent) {
            Refund::Spent => {}
            Refund::Callback(refund) => refund(self.estimate),
            Refund::Pool(pool) => refund_to(&pool, self.estimate),
        }
    }
}

impl fmt::Debug for TokenReservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenReservation")
            .field("estimate", &self.estimate)
            .field("armed", &self.is_armed())
            .finish()
    }
}

/// Gives `tokens` back to the pool if the budget still exists.
fn refund_to(pool: &Weak<TokenPool>, tokens: u64) {
    if let Some(pool) = pool.upgrade() {
        pool.tokens.put_back(tokens);
    }
}

/// A ceiling on the tokens spent by model calls.
///
/// The real cost of a call is only known after the provider answers, so the
/// protocol is optimistic: [`try_reserve_tokens`](Self::try_reserve_tokens)
/// sets an estimate aside before the prompt is sent, and
/// [`record_usage`](Self::record_usage) settles that reservation against the
/// prompt and completion counts the provider reported. Implementations should
/// keep both calls cheap; they run around every model request.
///
/// See [`AtomicTokenBudget`] for the in-memory implementation and a usage
/// example.
#[async_trait]
pub trait TokenBudget: Send + Sync {
    /// Sets aside `est` tokens for an upcoming call. `Ok(None)` means the
    /// budget cannot cover the estimate and nothing was taken.
    async fn try_reserve_tokens(&self, est: u64) -> Result<Option<TokenReservation>, BudgetError>;

    /// Settles `reservation` against what the call actually used: `prompt`
    /// plus `completion` tokens.
    async fn record_usage(&self, reservation: TokenReservation, prompt: u64, completion: u64);

    /// Tokens reported through [`record_usage`](Self::record_usage) so far,
    /// prompt and completion combined.
    async fn tokens_consumed(&self) -> u64;
}

/// In-memory, lock-free [`TokenBudget`].
///
/// * Reserving deducts the estimate up front with a compare-and-swap, so
///   concurrent calls can never jointly reserve more than is available.
/// * [`record_usage`](TokenBudget::record_usage) returns the unused part of
///   the estimate, or charges an overrun against what is left (bottoming out
///   at zero rather than wrapping).
/// * A reservation dropped without being recorded gives its estimate back, so
///   an aborted call does not leak tokens. Refunds never lift availability
///   above the capacity, and dropping a reservation after the budget itself
///   is gone is a no-op.
/// * The consumed-token total saturates at `u64::MAX` instead of wrapping.
///
/// ```
/// use rig_compose::budget::{AtomicTokenBudget, TokenBudget};
///
/// futures::executor::block_on(async {
///     let budget = AtomicTokenBudget::new(1_000);
///
///     let call = budget.try_reserve_tokens(300).await.unwrap().expect("fits");
///     assert_eq!(budget.available(), 700);
///     // The provider reports 180 prompt + 70 completion tokens:
///     // the 50 over-estimated tokens flow back.
///     budget.record_usage(call, 180, 70).await;
///     assert_eq!(budget.available(), 750);
///     assert_eq!(budget.tokens_consumed().await, 250);
///
///     // Too large for what is left: refused, nothing taken.
///     assert!(budget.try_reserve_tokens(751).await.unwrap().is_none());
///
///     // An abandoned call refunds its estimate when dropped.
///     let aborted = budget.try_reserve_tokens(400).await.unwrap();
///     assert_eq!(budget.available(), 350);
///     drop(aborted);
///     assert_eq!(budget.available(), 750);
/// });
/// ```
pub struct AtomicTokenBudget {
    pool: Arc<TokenPool>,
}

/// State shared between a budget and the reservations it issued.
struct TokenPool {
    tokens: Reservoir,
    consumed: AtomicU64,
}

impl AtomicTokenBudget {
    /// Creates a budget of `capacity` tokens, all of them available.
    pub fn new(capacity: u64) -> Self {
        Self {
            pool: Arc::new(TokenPool {
                tokens: Reservoir::full(capacity),
                consumed: AtomicU64::new(0),
            }),
        }
    }

    /// The number of tokens the budget was created with.
    pub fn capacity(&self) -> u64 {
        self.pool.tokens.capacity()
    }

    /// Tokens that can currently be reserved.
    pub fn available(&self) -> u64 {
        self.pool.tokens.level()
    }

    fn consumed(&self) -> u64 {
        self.pool.consumed.load(Ordering::Acquire)
    }
}

impl fmt::Debug for AtomicTokenBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicTokenBudget")
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .field("consumed", &self.consumed())
            .finish()
    }
}

#[async_trait]
impl TokenBudget for AtomicTokenBudget {
    async fn try_reserve_tokens(&self, est: u64) -> Result<Option<TokenReservation>, BudgetError> {
        if self.pool.tokens.take(est) {
            Ok(Some(TokenReservation::issued_by(est, &self.pool)))
        } else {
            tracing::trace!(
                estimate = est,
                available = self.available(),
                "token reservation refused"
            );
            Ok(None)
        }
    }

    /// Settles a reservation.
    ///
    /// For a reservation issued by this budget, the difference between its
    /// estimate and `prompt + completion` is refunded (capped at the
    /// capacity) or, for an overrun, charged (floored at zero).
    ///
    /// A reservation this budget did not issue, or one that was already
    /// disarmed, has no estimate held here: the full usage is charged, and a
    /// still-armed foreign reservation is then dropped, returning its estimate
    /// to the budget that issued it.
    async fn record_usage(&self, mut reservation: TokenReservation, prompt: u64, completion: u64) {
        let actual = prompt.saturating_add(completion);
        saturating_increment(&self.pool.consumed, actual);
        let held = reservation.claim_for(&self.pool).unwrap_or(0);
        if held >= actual {
            self.pool.tokens.put_back(held - actual);
        } else {
            self.pool.tokens.drain(actual - held);
        }
    }

    async fn tokens_consumed(&self) -> u64 {
        self.consumed()
    }
}

#[cfg(test)]
#[cfg(not(loom))]
mod tests {
    use std::sync::atomic::AtomicU64 as StdAtomicU64;

    use super::*;

    async fn reserve(budget: &AtomicTokenBudget, est: u64) -> TokenReservation {
        budget
            .try_reserve_tokens(est)
            .await
            .unwrap()
            .expect("reservation should fit")
    }

    #[tokio::test]
    async fn underrun_refunds_the_difference() {
        let budget = AtomicTokenBudget::new(1_000);
        let call = reserve(&budget, 500).await;
        assert_eq!(budget.available(), 500);
        budget.record_usage(call, 100, 50).await;
        assert_eq!(budget.available(), 850);
        assert_eq!(budget.tokens_consumed().await, 150);
    }

    #[tokio::test]
    async fn overrun_is_charged_against_the_remainder() {
        let budget = AtomicTokenBudget::new(1_000);
        let call = reserve(&budget, 100).await;
        budget.record_usage(call, 250, 50).await;
        assert_eq!(budget.available(), 700);
        assert_eq!(budget.tokens_consumed().await, 300);
    }

    #[tokio::test]
    async fn overrun_larger_than_remainder_floors_at_zero() {
        let budget = AtomicTokenBudget::new(100);
        let call = reserve(&budget, 10).await;
        budget.record_usage(call, u64::MAX, u64::MAX).await;
        assert_eq!(budget.available(), 0);
        assert_eq!(budget.tokens_consumed().await, u64::MAX);
    }

    #[tokio::test]
    async fn consumed_total_saturates() {
        let budget = AtomicTokenBudget::new(u64::MAX);
        for _ in 0..3 {
            let call = reserve(&budget, 0).await;
            budget.record_usage(call, u64::MAX / 2, 1).await;
        }
        assert_eq!(budget.tokens_consumed().await, u64::MAX);
    }

    #[tokio::test]
    async fn each_reservation_is_settled_on_its_own() {
        let budget = AtomicTokenBudget::new(1_000);
        let small = reserve(&budget, 300).await;
        let large = reserve(&budget, 600).await;
        assert_eq!(budget.available(), 100);
        budget.record_usage(large, 300, 0).await; // 300 back
        assert_eq!(budget.available(), 400);
        budget.record_usage(small, 400, 0).await; // 100 over
        assert_eq!(budget.available(), 300);
        assert_eq!(budget.tokens_consumed().await, 700);
    }

    #[tokio::test]
    async fn refusal_takes_nothing() {
        let budget = AtomicTokenBudget::new(50);
        let _held = reserve(&budget, 40).await;
        assert!(budget.try_reserve_tokens(11).await.unwrap().is_none());
        assert_eq!(budget.available(), 10);
    }

    #[tokio::test]
    async fn dropping_an_unrecorded_reservation_refunds_it() {
        let budget = AtomicTokenBudget::new(1_000);
        let call = reserve(&budget, 400).await;
        assert_eq!(call.estimate(), 400);
        assert_eq!(budget.available(), 600);
        drop(call);
        assert_eq!(budget.available(), 1_000);
        assert_eq!(budget.tokens_consumed().await, 0);
    }

    #[tokio::test]
    async fn overrun_below_zero_is_floored_then_refunds_restore() {
        let budget = AtomicTokenBudget::new(100);
        let first = reserve(&budget, 60).await;
        let second = reserve(&budget, 40).await;
        // 30 over the estimate with nothing left: the level stays at zero
        // instead of wrapping to a huge value.
        budget.record_usage(second, 70, 0).await;
        assert_eq!(budget.available(), 0);
        drop(first);
        assert_eq!(budget.available(), 60);
        assert_eq!(budget.tokens_consumed().await, 70);
    }

    #[tokio::test]
    async fn refunds_never_exceed_capacity() {
        let budget = AtomicTokenBudget::new(100);
        let mut call = reserve(&budget, 30).await;
        let refund = call.disarm().unwrap();
        // A refund callback re-wrapped with an inflated estimate is still
        // clamped to the capacity.
        let inflated = TokenReservation::new(1_000, refund);
        drop(inflated);
        assert_eq!(budget.available(), 100);
        let other = reserve(&budget, 100).await;
        drop(other);
        assert_eq!(budget.available(), 100);
    }

    #[tokio::test]
    async fn reservation_outliving_its_budget_is_harmless() {
        let budget = AtomicTokenBudget::new(10);
        let call = reserve(&budget, 4).await;
        let mut disarmed = reserve(&budget, 4).await;
        let refund = disarmed.disarm().unwrap();
        drop(budget);
        drop(call);
        refund(4);
        assert_eq!(
            format!("{disarmed:?}"),
            "TokenReservation { estimate: 4, armed: false }"
        );
    }

    #[tokio::test]
    async fn disarmed_reservation_is_charged_in_full() {
        let budget = AtomicTokenBudget::new(100);
        let mut call = reserve(&budget, 50).await;
        let refund = call.disarm().unwrap();
        // The refund callback now owns the estimate; recording usage must not
        // hand the estimate back a second time.
        budget.record_usage(call, 20, 0).await;
        assert_eq!(budget.available(), 30);
        refund(50);
        assert_eq!(budget.available(), 80);
        assert_eq!(budget.tokens_consumed().await, 20);
    }

    #[tokio::test]
    async fn foreign_reservation_is_charged_here_and_refunded_to_its_issuer() {
        let ours = AtomicTokenBudget::new(100);
        let theirs = AtomicTokenBudget::new(100);
        let call = reserve(&theirs, 40).await;
        ours.record_usage(call, 10, 5).await;
        assert_eq!(ours.available(), 85);
        assert_eq!(ours.tokens_consumed().await, 15);
        assert_eq!(theirs.available(), 100, "issuer sees a cancelled call");
        assert_eq!(theirs.tokens_consumed().await, 0);
    }

    #[tokio::test]
    async fn custom_reservation_refunds_through_its_callback() {
        let budget = AtomicTokenBudget::new(100);
        let refunded = Arc::new(StdAtomicU64::new(0));
        let sink = Arc::clone(&refunded);
        let custom = TokenReservation::new(
            7,
            Box::new(move |tokens| {
                sink.fetch_add(tokens, std::sync::atomic::Ordering::SeqCst);
            }),
        );
        assert_eq!(
            format!("{custom:?}"),
            "TokenReservation { estimate: 7, armed: true }"
        );
        budget.record_usage(custom, 3, 0).await;
        assert_eq!(refunded.load(std::sync::atomic::Ordering::SeqCst), 7);
        assert_eq!(budget.available(), 97);
    }

    #[test]
    fn debug_shows_counters() {
        let budget = AtomicTokenBudget::new(12);
        assert_eq!(
            format!("{budget:?}"),
            "AtomicTokenBudget { capacity: 12, available: 12, consumed: 0 }"
        );
    }

    #[test]
    fn types_are_thread_safe() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TokenReservation>();
        assert_send_sync::<AtomicTokenBudget>();
    }
}
