//! The [`Budget`] handle.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::Limit;
use super::builder::BudgetBuilder;
use super::meter::WindowTotals;
use super::metrics::BudgetMetrics;
use super::node::Node;
use crate::budget::{
    BudgetError, BudgetSnapshot, BudgetUnit, Clock, Hold, LimitKind, ReserveError, ReserveRequest,
    SpendBudget,
};

/// An in-process spend budget: one node of a budget hierarchy, handing out
/// [`Hold`]s.
///
/// A `Budget` is a cheap handle (one `Arc`); clones share the same budget.
/// Each node enforces one [`Limit`] — a quota per window, a refilling
/// bucket or a rolling window — and may have a parent. A hold taken on a
/// node is taken on the node and every ancestor at once, or on none of
/// them, and its settlement applies to all of them.
///
/// Guarantees, for every node:
///
/// * **No over-admission.** A quota admits a hold only if consumed + held +
///   the hold fit in the capacity, and a rate limit only if its limiter has
///   room, checked and applied under the locks of the whole chain. The
///   level rises above capacity only through usage reported beyond a hold's
///   estimate, and by exactly the [`Settlement::debt_incurred`] it reports.
/// * **Debt, not forgiveness.** Usage beyond the estimate is always
///   charged. While consumed + held exceeds the capacity the excess is
///   reported as `debt`, and every new hold (even an empty one) is refused
///   until the window resets or [`refill`](Self::refill) is called.
/// * **Everything returns.** Settling, releasing, cancelling or dropping a
///   hold returns whatever it does not charge; a hold with a lease is
///   reclaimed once its deadline passes. Closing is idempotent per hold.
///
/// All methods are synchronous and cheap (one short critical section per
/// level); the [`SpendBudget`] methods are the same operations behind
/// futures that complete on their first poll. Share a budget as
/// `Arc<dyn SpendBudget>` to make code independent of the backend.
///
/// [`Settlement::debt_incurred`]: crate::budget::Settlement::debt_incurred
///
/// ```
/// use std::sync::Arc;
/// use rig_compose::budget::{Budget, BudgetUnit, ReserveRequest, SpendBudget};
///
/// futures::executor::block_on(async {
///     let budget = Budget::quota("run", 10_000).unit(BudgetUnit::Tokens).build();
///
///     // Reserve an estimate, then settle with the real usage.
///     let hold = budget.try_reserve(3_000).unwrap();
///     let settlement = hold.settle(2_400).await.unwrap();
///     assert_eq!((settlement.charged, settlement.refunded), (2_400, 600));
///     assert_eq!(budget.snapshot_now().render(), "7,600 of 10,000 tokens left");
///
///     // Usage beyond the estimate is charged anyway and becomes debt...
///     let hold = budget.try_reserve(7_000).unwrap();
///     assert_eq!(hold.settle(8_000).await.unwrap().debt_incurred, 400);
///     let snapshot = budget.snapshot_now();
///     assert_eq!((snapshot.consumed, snapshot.debt, snapshot.available), (10_400, 400, 0));
///     // ...which refuses every new hold until the budget is refilled.
///     assert!(budget.try_reserve(0).is_err());
///     budget.refill();
///
///     // The same budget behind the backend-neutral interface.
///     let shared: Arc<dyn SpendBudget> = Arc::new(budget.clone());
///     let hold = shared.reserve(ReserveRequest::new(500)).await.unwrap();
///     drop(hold); // dropped unsettled: released
///     assert_eq!(shared.snapshot().await.unwrap().available, 10_000);
/// });
/// ```
#[derive(Clone)]
pub struct Budget {
    pub(super) node: Arc<Node>,
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

impl Budget {
    /// A quota of `capacity` units (per window, once [`window`] is set).
    ///
    /// [`window`]: BudgetBuilder::window
    pub fn quota(name: impl Into<String>, capacity: u64) -> BudgetBuilder {
        BudgetBuilder::new(name.into(), Limit::quota(capacity, Default::default()))
    }

    /// A rate-limited budget: a [`Gcra`](crate::budget::Gcra) refilling
    /// bucket or a [`RollingWindow`](crate::budget::RollingWindow).
    ///
    /// Usage is charged to the limiter when a hold is taken; settling below
    /// the estimate gives the difference back, and usage above it is taken
    /// as debt that the limiter pays back over time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rig_compose::budget::{Budget, BudgetUnit, Gcra, LimitKind, ManualClock, RollingWindow};
    ///
    /// let clock = ManualClock::new(0);
    ///
    /// // 60 000 tokens per minute (1 000 per second), bursts of 10 000.
    /// let tpm = Budget::rate("tpm", Gcra::per_minute(60_000, 10_000)?)
    ///     .clock(clock.clone())
    ///     .build();
    /// let hold = tpm.try_reserve(10_000).unwrap();
    /// let refused = tpm.try_reserve(1_000).unwrap_err();
    /// let denial = refused.denial().unwrap();
    /// assert_eq!(denial.limit, LimitKind::Rate);
    /// assert_eq!(denial.retry_at_millis, Some(1_000));
    /// futures::executor::block_on(hold.settle(4_000)).unwrap(); // 6 000 come back
    /// assert_eq!(tpm.snapshot_now().available, 6_000);
    ///
    /// // At most 2 requests in any trailing minute.
    /// let rpm = Budget::rate("rpm", RollingWindow::new(2, Duration::from_secs(60))?)
    ///     .unit(BudgetUnit::Requests)
    ///     .clock(clock.clone())
    ///     .build();
    /// let _a = rpm.try_reserve(1).unwrap();
    /// let _b = rpm.try_reserve(1).unwrap();
    /// assert_eq!(
    ///     rpm.try_reserve(1).unwrap_err().denial().unwrap().limit,
    ///     LimitKind::RollingWindow
    /// );
    /// # Ok::<(), rig_compose::budget::LimitConfigError>(())
    /// ```
    pub fn rate(name: impl Into<String>, limiter: impl Into<Limit>) -> BudgetBuilder {
        BudgetBuilder::new(name.into(), limiter.into())
    }

    /// A budget enforcing any [`Limit`].
    pub fn builder(name: impl Into<String>, limit: impl Into<Limit>) -> BudgetBuilder {
        BudgetBuilder::new(name.into(), limit.into())
    }

    /// A child quota of `capacity` units under this budget. It shares this
    /// budget's clock and (by default) its unit.
    ///
    /// Every hold on the child is also a hold on this budget and its
    /// ancestors, taken atomically: if any level refuses, no level changes.
    /// Giving sub-agents children of the agent's budget makes them draw
    /// from the same chain.
    ///
    /// ```
    /// use rig_compose::budget::Budget;
    ///
    /// let org = Budget::quota("org", 1_000).build();
    /// let research = org.child("research", 800).build();
    /// let agent = research.child("agent", 600).build();
    /// let support = org.child("support", 800).build();
    ///
    /// let hold = agent.try_reserve(600).unwrap();
    /// for level in agent.snapshot_chain() {
    ///     assert_eq!(level.held, 600, "{} holds it too", level.name);
    /// }
    ///
    /// // `support` has room, but the org has only 400 left: refused, and
    /// // nothing is held anywhere for the refused request.
    /// let refused = support.try_reserve(500).unwrap_err();
    /// assert_eq!(refused.denial().unwrap().budget, "org");
    /// assert_eq!(support.snapshot_now().held, 0);
    /// assert_eq!(org.snapshot_now().held, 600);
    ///
    /// // Settling applies to the whole chain.
    /// futures::executor::block_on(hold.settle(100)).unwrap();
    /// assert_eq!(org.snapshot_now().consumed, 100);
    /// assert_eq!(research.snapshot_now().available, 700);
    /// ```
    pub fn child(&self, name: impl Into<String>, capacity: u64) -> BudgetBuilder {
        Self::quota(name, capacity).parent(self)
    }

    /// The budget's name.
    pub fn name(&self) -> &str {
        self.node.name()
    }

    /// What the budget counts.
    pub fn unit(&self) -> &BudgetUnit {
        self.node.unit()
    }

    /// How this budget's refusals are reported in a
    /// [`Denial`](crate::budget::Denial).
    pub fn limit_kind(&self) -> LimitKind {
        self.node.denial_kind()
    }

    /// The quota capacity, the bucket's burst, or the rolling maximum.
    pub fn capacity(&self) -> u64 {
        self.node.capacity()
    }

    /// The parent budget, if any.
    pub fn parent(&self) -> Option<Budget> {
        self.node.ancestors().last().map(|node| Budget {
            node: Arc::clone(node),
        })
    }

    /// Number of ancestors (0 for a root).
    pub fn depth(&self) -> usize {
        self.node.ancestors().len()
    }

    /// The clock the budget (and its whole chain) reads.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(self.node.clock())
    }

    /// Whether two handles refer to the same budget.
    pub fn same_budget(&self, other: &Budget) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }

    /// Takes a hold of `amount` units on this budget and its ancestors.
    ///
    /// # Errors
    ///
    /// [`ReserveError::Denied`] naming the level (nearest to this budget)
    /// that refused; nothing is held anywhere then. In-process budgets
    /// never return [`ReserveError::Backend`].
    pub fn try_reserve(&self, amount: u64) -> Result<Hold, ReserveError> {
        self.node.reserve(ReserveRequest::new(amount))
    }

    /// Like [`try_reserve`](Self::try_reserve), with the options of a
    /// [`ReserveRequest`], such as a lease.
    ///
    /// A hold with a lease is reclaimed once the budget's clock reaches its
    /// deadline: its amount returns to every level and the reclaim is
    /// counted in [`metrics`](Self::metrics). Reclaiming happens lazily,
    /// during later operations (a bounded amount per operation, see
    /// [`LAZY_REAP_LIMIT`](super::LAZY_REAP_LIMIT)), or all at once with
    /// [`reap_now`](Self::reap_now). Closing a reclaimed hold later charges
    /// its usage as plain usage, refunds nothing, and reports
    /// `was_reclaimed`. Only [`Hold::renew`] extends a lease.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rig_compose::budget::{Budget, ManualClock, ReserveRequest};
    ///
    /// futures::executor::block_on(async {
    ///     let clock = ManualClock::new(0);
    ///     let budget = Budget::quota("workers", 10).clock(clock.clone()).build();
    ///
    ///     let lease = Duration::from_secs(30);
    ///     let mut renewed = budget.try_reserve_with(ReserveRequest::new(3).with_lease(lease)).unwrap();
    ///     let forgotten = budget.try_reserve_with(ReserveRequest::new(6).with_lease(lease)).unwrap();
    ///     assert_eq!(forgotten.lease_deadline(), Some(30_000));
    ///
    ///     clock.advance(Duration::from_secs(20));
    ///     renewed.renew(30_000).await.unwrap(); // now due at 50 s
    ///     clock.advance(Duration::from_secs(15));
    ///
    ///     // The forgotten hold's lease ran out: its 6 units are back.
    ///     assert_eq!(budget.snapshot_now().held, 3);
    ///     assert_eq!(budget.metrics().reclaimed, 1);
    ///
    ///     // Its late settlement is still charged, but refunds nothing.
    ///     let late = forgotten.settle(4).await.unwrap();
    ///     assert!(late.was_reclaimed);
    ///     assert_eq!((late.charged, late.refunded), (4, 0));
    ///     assert!(!renewed.settle(2).await.unwrap().was_reclaimed);
    ///     assert_eq!(budget.snapshot_now().consumed, 6);
    /// });
    /// ```
    ///
    /// # Errors
    ///
    /// As [`try_reserve`](Self::try_reserve).
    pub fn try_reserve_with(&self, request: ReserveRequest) -> Result<Hold, ReserveError> {
        self.node.reserve(request)
    }

    /// This budget's current state.
    pub fn snapshot_now(&self) -> BudgetSnapshot {
        self.node.snapshot()
    }

    /// Snapshots of this budget and each ancestor, this budget first. Each
    /// level is read separately, so with concurrent activity the levels
    /// may reflect slightly different instants.
    ///
    /// [`render_budget_line`](crate::budget::render_budget_line) turns the
    /// result into one prompt line.
    pub fn snapshot_chain(&self) -> Vec<BudgetSnapshot> {
        std::iter::once(self.snapshot_now())
            .chain(
                self.node
                    .ancestors()
                    .iter()
                    .rev()
                    .map(|node| node.snapshot()),
            )
            .collect()
    }

    /// Forgives this budget's usage and debt in the current window (or,
    /// for a rate limit, refills its limiter). Live holds keep their share;
    /// ancestors are not touched. Re-arms the thresholds.
    pub fn refill(&self) {
        self.node.with_account(|account, now| account.refill(now));
    }

    /// Reclaims every expired lease on this budget and its ancestors, now.
    /// Returns how many distinct holds were reclaimed.
    pub fn reap_now(&self) -> usize {
        self.node.reap()
    }

    /// This budget's counters.
    pub fn metrics(&self) -> BudgetMetrics {
        self.node.with_account(|account, _| account.metrics())
    }

    /// Totals of the window before the current one, for windowed quotas
    /// that have rolled over at least once.
    pub fn previous_window(&self) -> Option<WindowTotals> {
        self.node
            .with_account(|account, _| account.previous_window())
    }
}

#[async_trait]
impl SpendBudget for Budget {
    async fn reserve(&self, request: ReserveRequest) -> Result<Hold, ReserveError> {
        self.try_reserve_with(request)
    }

    async fn snapshot(&self) -> Result<BudgetSnapshot, BudgetError> {
        Ok(self.snapshot_now())
    }

    async fn reap(&self) -> Result<usize, BudgetError> {
        Ok(self.reap_now())
    }
}
