//! Unit-cost budgets: the [`BudgetGuard`] contract and its lock-free
//! implementation [`AtomicBudget`].

use std::fmt;

use async_trait::async_trait;

use super::BudgetError;
use super::reservoir::Reservoir;

/// A pool of interchangeable units that work must reserve before it runs.
///
/// The cost of an operation is known up front (one dispatch slot, N rows,
/// ...), so the protocol is symmetric: [`try_reserve`](Self::try_reserve)
/// before the work, [`release`](Self::release) with the same cost once the
/// units should become available again. `Ok(false)` means "not enough budget
/// right now" and callers are expected to back off or stop; `Err` is reserved
/// for a backend that could not answer (see [`BudgetError`]).
///
/// Implementations must be usable from many tasks at once, hence the
/// `Send + Sync` bound.
///
/// ```
/// use async_trait::async_trait;
/// use rig_compose::budget::{BudgetError, BudgetGuard};
///
/// /// A guard that admits everything; handy in tests.
/// struct Unlimited;
///
/// #[async_trait]
/// impl BudgetGuard for Unlimited {
///     async fn try_reserve(&self, _cost: u64) -> Result<bool, BudgetError> {
///         Ok(true)
///     }
///     async fn release(&self, _cost: u64) {}
/// }
///
/// futures::executor::block_on(async {
///     assert!(Unlimited.try_reserve(u64::MAX).await.unwrap());
/// });
/// ```
#[async_trait]
pub trait BudgetGuard: Send + Sync {
    /// Attempts to set aside `cost` units. `Ok(true)` means they are now held
    /// by the caller; `Ok(false)` means the budget could not cover them and
    /// nothing was taken.
    async fn try_reserve(&self, cost: u64) -> Result<bool, BudgetError>;

    /// Hands `cost` previously reserved units back to the pool.
    async fn release(&self, cost: u64);
}

/// In-memory [`BudgetGuard`] backed by one atomic counter.
///
/// Reservations are compare-and-swap loops, so the budget never admits more
/// than it holds no matter how many threads race on it, and no lock is ever
/// taken. Releases are clamped at [`capacity`](Self::capacity): handing back
/// more than was taken (or releasing units that were reserved before a
/// [`refill`](Self::refill)) cannot inflate the pool.
///
/// ```
/// use rig_compose::budget::{AtomicBudget, BudgetGuard};
///
/// futures::executor::block_on(async {
///     let budget = AtomicBudget::new(10);
///     assert!(budget.try_reserve(6).await.unwrap());
///     assert!(!budget.try_reserve(5).await.unwrap(), "only 4 units are left");
///     assert_eq!(budget.available(), 4);
///     assert!((budget.utilization() - 0.6).abs() < 1e-9);
///
///     budget.release(6).await;
///     assert_eq!(budget.available(), 10);
///
///     assert!(budget.try_reserve(10).await.unwrap());
///     budget.refill(); // start of a new accounting period
///     assert_eq!(budget.available(), 10);
/// });
/// ```
pub struct AtomicBudget {
    units: Reservoir,
}

impl AtomicBudget {
    /// Creates a budget of `capacity` units, all of them available.
    pub fn new(capacity: u64) -> Self {
        Self {
            units: Reservoir::full(capacity),
        }
    }

    /// The number of units the budget was created with.
    pub fn capacity(&self) -> u64 {
        self.units.capacity()
    }

    /// Units that can currently be reserved.
    pub fn available(&self) -> u64 {
        self.units.level()
    }

    /// Fraction of the capacity currently reserved, in `[0.0, 1.0]`.
    ///
    /// A zero-capacity budget reports `0.0` rather than dividing by zero.
    pub fn utilization(&self) -> f64 {
        let capacity = self.capacity();
        if capacity == 0 {
            return 0.0;
        }
        let in_use = capacity.saturating_sub(self.available());
        in_use as f64 / capacity as f64
    }

    /// Makes the whole capacity available again, e.g. when a new accounting
    /// period starts. Units still held by callers are forgotten; releasing
    /// them later is harmless because releases are clamped to the capacity.
    pub fn refill(&self) {
        self.units.reset();
    }
}

impl fmt::Debug for AtomicBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicBudget")
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .finish()
    }
}

#[async_trait]
impl BudgetGuard for AtomicBudget {
    async fn try_reserve(&self, cost: u64) -> Result<bool, BudgetError> {
        // No span here: this sits on every dispatch, and a refusal is the
        // only outcome worth an event.
        let admitted = self.units.take(cost);
        if !admitted {
            tracing::trace!(
                cost,
                available = self.available(),
                "budget reservation refused"
            );
        }
        Ok(admitted)
    }

    async fn release(&self, cost: u64) {
        self.units.put_back(cost);
    }
}

#[cfg(test)]
#[cfg(not(loom))]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    #[tokio::test]
    async fn admits_until_exhausted_and_recovers_on_release() {
        let budget = AtomicBudget::new(100);
        assert!(budget.try_reserve(70).await.unwrap());
        assert!(budget.try_reserve(30).await.unwrap());
        assert_eq!(budget.available(), 0);
        assert!(!budget.try_reserve(1).await.unwrap());
        budget.release(30).await;
        assert_eq!(budget.available(), 30);
        assert!(!budget.try_reserve(31).await.unwrap());
        assert!(budget.try_reserve(30).await.unwrap());
    }

    #[tokio::test]
    async fn refusal_takes_nothing() {
        let budget = AtomicBudget::new(5);
        assert!(!budget.try_reserve(6).await.unwrap());
        assert_eq!(budget.available(), 5);
    }

    #[tokio::test]
    async fn release_never_exceeds_capacity() {
        let budget = AtomicBudget::new(8);
        assert!(budget.try_reserve(3).await.unwrap());
        budget.release(1_000).await;
        assert_eq!(budget.available(), 8);
        budget.release(u64::MAX).await;
        assert_eq!(budget.available(), 8);
    }

    #[tokio::test]
    async fn refill_forgets_outstanding_units() {
        let budget = AtomicBudget::new(50);
        assert!(budget.try_reserve(45).await.unwrap());
        budget.refill();
        assert_eq!(budget.available(), 50);
        // The stale reservation is released after the refill: still capped.
        budget.release(45).await;
        assert_eq!(budget.available(), 50);
    }

    #[tokio::test]
    async fn utilization_follows_reservations() {
        let budget = AtomicBudget::new(200);
        assert_eq!(budget.utilization(), 0.0);
        assert!(budget.try_reserve(50).await.unwrap());
        assert!((budget.utilization() - 0.25).abs() < 1e-12);
        assert!(budget.try_reserve(150).await.unwrap());
        assert!((budget.utilization() - 1.0).abs() < 1e-12);
        assert_eq!(AtomicBudget::new(0).utilization(), 0.0);
    }

    #[test]
    fn debug_shows_capacity_and_availability() {
        let budget = AtomicBudget::new(9);
        assert_eq!(
            format!("{budget:?}"),
            "AtomicBudget { capacity: 9, available: 9 }"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_reservations_never_over_admit() {
        const CAPACITY: u64 = 1_000;
        let budget = Arc::new(AtomicBudget::new(CAPACITY));
        let held = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let budget = Arc::clone(&budget);
            let held = Arc::clone(&held);
            tasks.push(tokio::spawn(async move {
                for round in 0..500_u64 {
                    let cost = 1 + round % 7;
                    if budget.try_reserve(cost).await.unwrap() {
                        let before = held.fetch_add(cost, Ordering::SeqCst);
                        assert!(before + cost <= CAPACITY, "over-admitted");
                        tokio::task::yield_now().await;
                        held.fetch_sub(cost, Ordering::SeqCst);
                        budget.release(cost).await;
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(budget.available(), CAPACITY);
    }
}
