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
/// Every level of a chain counts the same amounts, so a chain mixes limit
/// kinds (a daily quota over a tokens-per-minute bucket) but not units:
/// count requests or tool calls in a separate budget.
///
/// A hold leaked with `std::mem::forget` is never closed: with a lease it
/// is reclaimed when the lease ends, without one it stays held.
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
    /// as debt that the limiter pays back over time. In snapshots, `held`
    /// is the sum of live holds, `consumed` the rest of what the limiter
    /// has not refilled yet, and `resets_at_millis` the moment a refilling
    /// bucket is full again (`None` for a rolling window).
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;
    use std::time::Duration;

    use futures::executor::block_on;

    use super::*;
    use crate::budget::{
        CancelPolicy, DENIAL_REAP_LIMIT, Gcra, LAZY_REAP_LIMIT, ManualClock, RollingWindow,
        Settlement, ThresholdEvent, Window,
    };

    fn manual(start: u64) -> ManualClock {
        ManualClock::new(start)
    }

    fn leased(amount: u64, millis: u64) -> ReserveRequest {
        ReserveRequest::new(amount).with_lease(Duration::from_millis(millis))
    }

    fn levels(budget: &Budget) -> (u64, u64, u64, u64) {
        let s = budget.snapshot_now();
        (s.available, s.held, s.consumed, s.debt)
    }

    #[test]
    fn every_close_kind_charges_what_it_says() {
        let budget = Budget::quota("b", 100).build();
        let settle = budget.try_reserve(30).unwrap();
        let release = budget.try_reserve(20).unwrap();
        let cancel = budget.try_reserve(10).unwrap();
        let dropped = budget
            .try_reserve(15)
            .unwrap()
            .with_drop_policy(CancelPolicy::Charge(5));
        assert_eq!(levels(&budget), (25, 75, 0, 0));

        let s = block_on(settle.settle(12)).unwrap();
        assert_eq!(
            s,
            Settlement {
                charged: 12,
                refunded: 18,
                debt_incurred: 0,
                was_reclaimed: false
            }
        );
        assert_eq!(block_on(release.release()).unwrap().refunded, 20);
        let c = block_on(cancel.cancel(CancelPolicy::Charge(4))).unwrap();
        assert_eq!((c.charged, c.refunded), (4, 6));
        drop(dropped);
        assert_eq!(levels(&budget), (79, 0, 21, 0));

        let m = budget.metrics();
        assert_eq!((m.reservations, m.settled, m.released), (4, 1, 1));
        assert_eq!((m.cancelled, m.dropped, m.charged), (1, 1, 21));
        assert_eq!((m.estimated, m.actual, m.open_holds), (30, 12, 0));
    }

    #[test]
    fn a_future_dropped_before_its_first_poll_still_closes_the_hold() {
        let budget = Budget::quota("b", 10).build();
        let hold = budget
            .try_reserve(8)
            .unwrap()
            .with_drop_policy(CancelPolicy::Charge(3));
        drop(hold.settle(8));
        assert_eq!(levels(&budget), (7, 0, 3, 0));
        assert_eq!(budget.metrics().dropped, 1);
    }

    #[test]
    fn debt_blocks_until_refill_or_the_next_window() {
        let clock = manual(0);
        let budget = Budget::quota("b", 10)
            .window(Window::per_minute())
            .clock(clock.clone())
            .build();
        let hold = budget.try_reserve(10).unwrap();
        assert_eq!(block_on(hold.settle(14)).unwrap().debt_incurred, 4);
        assert_eq!(levels(&budget), (0, 0, 14, 4));
        let denial = budget.try_reserve(0).unwrap_err();
        let denial = denial.denial().unwrap();
        assert_eq!(denial.retry_at_millis, Some(60_000));
        assert_eq!(budget.metrics().debt_incurred, 4);

        clock.set_millis(60_000);
        assert_eq!(levels(&budget), (10, 0, 0, 0));
        let hold = budget.try_reserve(10).unwrap();
        block_on(hold.settle(11)).unwrap();
        budget.refill();
        assert_eq!(levels(&budget), (10, 0, 0, 0));
    }

    #[test]
    fn a_hold_that_outlives_its_window_is_charged_to_it() {
        let clock = manual(0);
        let budget = Budget::quota("b", 100)
            .window(Window::per_minute())
            .clock(clock.clone())
            .build();
        let old = budget.try_reserve(70).unwrap();
        clock.advance(Duration::from_secs(61));
        // The new window does not see the old hold...
        assert_eq!(levels(&budget), (100, 0, 0, 0));
        let new = budget.try_reserve(100).unwrap();
        // ...nor its settlement, which goes to the window it came from.
        let s = block_on(old.settle(130)).unwrap();
        assert_eq!((s.charged, s.refunded, s.debt_incurred), (130, 0, 30));
        assert_eq!(levels(&budget), (0, 100, 0, 0));
        let previous = budget.previous_window().unwrap();
        assert_eq!(
            (previous.index, previous.consumed, previous.overrun()),
            (0, 130, 30)
        );
        drop(new);
        assert_eq!(levels(&budget), (100, 0, 0, 0));
    }

    #[test]
    fn calendar_month_quota_resets_on_the_first() {
        // 2024-01-31T23:00:00Z
        let clock = manual(1_706_742_000_000);
        let budget = Budget::quota("monthly", 5)
            .window(Window::CalendarMonthUtc)
            .clock(clock.clone())
            .build();
        let _hold = budget.try_reserve(5).unwrap();
        // 2024-02-01T00:00:00Z
        assert_eq!(
            budget.snapshot_now().resets_at_millis,
            Some(1_706_745_600_000)
        );
        clock.set_millis(1_706_745_600_000);
        assert!(budget.try_reserve(5).is_ok());
    }

    #[test]
    fn leases_are_reclaimed_lazily_with_bounded_work_and_fully_by_reap() {
        let clock = manual(0);
        let budget = Budget::quota("b", 1_000).clock(clock.clone()).build();
        let holds: Vec<_> = (0..20)
            .map(|_| budget.try_reserve_with(leased(10, 100)).unwrap())
            .collect();
        clock.set_millis(100);
        // One operation reclaims at most LAZY_REAP_LIMIT.
        let after_one = budget.snapshot_now().held;
        assert_eq!(after_one, 10 * (20 - LAZY_REAP_LIMIT as u64));
        assert_eq!(budget.reap_now(), 20 - LAZY_REAP_LIMIT);
        assert_eq!(budget.snapshot_now().held, 0);
        let m = budget.metrics();
        assert_eq!((m.reclaimed, m.reclaimed_open, m.open_holds), (20, 20, 0));
        for hold in holds {
            let s = block_on(hold.release()).unwrap();
            assert!(s.was_reclaimed);
        }
        let m = budget.metrics();
        assert_eq!((m.late_closes, m.reclaimed_open, m.charged), (20, 0, 0));
        assert_eq!(levels(&budget), (1_000, 0, 0, 0));
    }

    #[test]
    fn a_refusal_first_reclaims_leases_that_already_expired() {
        let clock = manual(0);
        let budget = Budget::quota("b", 30).clock(clock.clone()).build();
        let _stale: Vec<_> = (0..30)
            .map(|_| budget.try_reserve_with(leased(1, 5)).unwrap())
            .collect();
        clock.set_millis(5);
        const { assert!(30 <= LAZY_REAP_LIMIT + DENIAL_REAP_LIMIT) };
        let hold = budget.try_reserve(30).unwrap();
        assert_eq!(hold.amount(), 30);
        assert_eq!(budget.metrics().reclaimed, 30);
    }

    #[test]
    fn a_late_close_is_plain_usage_and_never_refunds_twice() {
        let clock = manual(0);
        let budget = Budget::quota("b", 10).clock(clock.clone()).build();
        let hold = budget.try_reserve_with(leased(8, 1_000)).unwrap();
        clock.set_millis(1_000);
        // Expired but not yet reaped: the settle itself treats it as reclaimed.
        let s = block_on(hold.settle(12)).unwrap();
        assert_eq!(
            s,
            Settlement {
                charged: 12,
                refunded: 0,
                debt_incurred: 2,
                was_reclaimed: true
            }
        );
        assert_eq!(levels(&budget), (0, 0, 12, 2));
        let m = budget.metrics();
        assert_eq!((m.reclaimed, m.late_closes, m.settled), (1, 1, 1));

        budget.refill();
        let dropped = budget
            .try_reserve_with(leased(6, 10))
            .unwrap()
            .with_drop_policy(CancelPolicy::Charge(2));
        clock.advance_millis(10);
        assert_eq!(budget.reap_now(), 1);
        assert_eq!(levels(&budget), (10, 0, 0, 0));
        drop(dropped);
        assert_eq!(levels(&budget), (8, 0, 2, 0));
    }

    #[test]
    fn renewal_is_explicit_and_fails_once_reclaimed() {
        let clock = manual(0);
        let budget = Budget::quota("b", 10).clock(clock.clone()).build();
        let mut hold = budget.try_reserve_with(leased(4, 100)).unwrap();
        clock.set_millis(90);
        block_on(hold.renew(100)).unwrap();
        assert_eq!(hold.lease_deadline(), Some(190));
        clock.set_millis(150);
        assert_eq!(budget.snapshot_now().held, 4);
        clock.set_millis(190);
        let err = block_on(hold.renew(100)).unwrap_err();
        assert!(err.to_string().contains("reclaimed"), "{err}");
        assert_eq!(budget.snapshot_now().held, 0);
        assert!(block_on(hold.settle(1)).unwrap().was_reclaimed);

        // A hold without a lease can be given one.
        let mut plain = budget.try_reserve(2).unwrap();
        block_on(plain.renew(5)).unwrap();
        clock.advance_millis(5);
        assert_eq!(budget.reap_now(), 1);
        drop(plain);
    }

    #[test]
    fn thresholds_fire_once_per_window_outside_the_lock() {
        let clock = manual(0);
        let events = std::sync::Arc::new(StdMutex::new(Vec::<(u32, u64)>::new()));
        let slot = std::sync::Arc::new(StdMutex::new(None::<Budget>));
        let (log, me) = (events.clone(), slot.clone());
        let budget = Budget::quota("b", 100)
            .window(Window::per_minute())
            .clock(clock.clone())
            .thresholds([50, 80, 100])
            .on_threshold(move |event: &ThresholdEvent| {
                // Re-entering the budget from an observer must not deadlock.
                let available = me
                    .lock()
                    .unwrap()
                    .as_ref()
                    .map(|b: &Budget| b.snapshot_now().available);
                assert_eq!(available, Some(event.snapshot.available));
                log.lock()
                    .unwrap()
                    .push((event.percent, event.snapshot.held));
            })
            .build();
        *slot.lock().unwrap() = Some(budget.clone());

        let a = budget.try_reserve(40).unwrap();
        let b = budget.try_reserve(20).unwrap();
        drop(b);
        let _b = budget.try_reserve(20).unwrap();
        block_on(a.settle(90)).unwrap();
        assert_eq!(*events.lock().unwrap(), [(50, 60), (100, 20)]);

        clock.set_millis(60_000);
        let _c = budget.try_reserve(85).unwrap();
        assert_eq!(events.lock().unwrap().last(), Some(&(80, 85)));
        *slot.lock().unwrap() = None;
    }

    #[test]
    fn rate_budgets_refill_over_time_and_rearm_thresholds() {
        let clock = manual(0);
        let fired = std::sync::Arc::new(StdMutex::new(0));
        let count = fired.clone();
        let budget = Budget::rate("rps", Gcra::per_second(10, 10).unwrap())
            .clock(clock.clone())
            .thresholds([100])
            .on_threshold(move |_| *count.lock().unwrap() += 1)
            .build();
        assert_eq!(budget.limit_kind(), LimitKind::Rate);
        assert_eq!(budget.capacity(), 10);
        let hold = budget.try_reserve(10).unwrap();
        assert_eq!(*fired.lock().unwrap(), 1);
        let refused = budget.try_reserve(1).unwrap_err();
        assert_eq!(refused.denial().unwrap().retry_at_millis, Some(100));
        block_on(hold.settle(10)).unwrap();
        clock.set_millis(1_000);
        assert_eq!(budget.snapshot_now().available, 10);
        let hold = budget.try_reserve(10).unwrap();
        assert_eq!(*fired.lock().unwrap(), 2, "re-armed after refilling");
        // Overage is debt the bucket pays back over time.
        assert_eq!(block_on(hold.settle(15)).unwrap().debt_incurred, 5);
        assert_eq!(budget.snapshot_now().debt, 5);
        clock.set_millis(1_500);
        assert_eq!(budget.snapshot_now().debt, 0);
        assert!(budget.try_reserve(1).is_err());
        clock.set_millis(1_600);
        assert!(budget.try_reserve(1).is_ok());
        assert_eq!(budget.metrics().denials.rate, 2);
    }

    #[test]
    fn rolling_budgets_release_and_reclaim() {
        let clock = manual(0);
        let budget = Budget::rate(
            "rpm",
            RollingWindow::new(3, Duration::from_secs(60)).unwrap(),
        )
        .unit(BudgetUnit::Requests)
        .clock(clock.clone())
        .build();
        assert_eq!(budget.limit_kind(), LimitKind::RollingWindow);
        let a = budget.try_reserve(2).unwrap();
        let _b = budget.try_reserve_with(leased(1, 10)).unwrap();
        assert!(budget.try_reserve(1).is_err());
        block_on(a.release()).unwrap();
        clock.set_millis(10);
        // `_b` expired: its unit is back as well.
        assert_eq!(budget.snapshot_now().available, 3);
        assert_eq!(budget.metrics().denials.rolling_window, 1);
    }

    #[test]
    fn children_inherit_the_clock_and_unit_and_call_quotas_report_call_counts() {
        let clock = manual(5);
        let calls = Budget::quota("calls", 3)
            .unit(BudgetUnit::ToolCalls)
            .clock(clock.clone())
            .build();
        let search = calls.child("search", 1).clock(manual(999)).build();
        assert_eq!(search.unit(), &BudgetUnit::ToolCalls);
        assert_eq!(search.clock().now_millis(), 5);
        assert_eq!(search.depth(), 1);
        assert!(search.parent().unwrap().same_budget(&calls));
        let _first = search.try_reserve(1).unwrap();
        let refused = search.try_reserve(1).unwrap_err();
        let denial = refused.denial().unwrap();
        assert_eq!(
            (denial.limit, denial.budget.as_str()),
            (LimitKind::CallCount, "search")
        );
        assert_eq!(search.metrics().denials.call_count, 1);
        assert_eq!(search.metrics().refused, 1);
        assert_eq!(calls.metrics().refused, 0);
    }

    #[test]
    fn refusals_are_counted_where_they_happen() {
        let root = Budget::quota("root", 5).build();
        let leaf = root.child("leaf", 100).build();
        assert!(leaf.try_reserve(6).is_err());
        assert_eq!(root.metrics().denials.quota, 1);
        assert_eq!(root.metrics().refused, 0);
        assert_eq!(leaf.metrics().denials.total(), 0);
        assert_eq!(leaf.metrics().refused, 1);
    }

    #[test]
    fn snapshot_chain_goes_from_the_budget_to_the_root() {
        let root = Budget::quota("root", 9).build();
        let mid = root.child("mid", 8).build();
        let leaf = mid.child("leaf", 7).build();
        let names: Vec<_> = leaf
            .snapshot_chain()
            .into_iter()
            .map(|s| (s.name, s.capacity))
            .collect();
        assert_eq!(
            names,
            [("leaf".into(), 7), ("mid".into(), 8), ("root".into(), 9)]
        );
        assert!(format!("{leaf:?}").contains("leaf"));
    }

    #[test]
    fn windows_roll_independently_at_each_level() {
        let clock = manual(0);
        let day = Budget::quota("day", 100)
            .window(Window::per_day())
            .clock(clock.clone())
            .build();
        let minute = day.child("minute", 10).window(Window::per_minute()).build();
        let hold = minute.try_reserve(10).unwrap();
        clock.set_millis(60_000);
        // The minute rolled over (the hold stopped counting there); the day
        // did not.
        assert_eq!(minute.snapshot_now().held, 0);
        assert_eq!(day.snapshot_now().held, 10);
        block_on(hold.settle(7)).unwrap();
        assert_eq!(day.snapshot_now().consumed, 7);
        assert_eq!(minute.snapshot_now().consumed, 0);
        assert_eq!(minute.previous_window().unwrap().consumed, 7);
    }

    #[test]
    fn zero_capacity_reports_full_utilization() {
        let budget = Budget::quota("none", 0).build();
        let snapshot = budget.snapshot_now();
        assert_eq!((snapshot.capacity, snapshot.available), (0, 0));
        assert!((snapshot.utilization - 1.0).abs() < f64::EPSILON);
        assert!(budget.try_reserve(1).is_err());
        assert!(budget.try_reserve(0).is_ok());
    }

    #[test]
    fn huge_amounts_saturate_instead_of_overflowing() {
        let budget = Budget::quota("max", u64::MAX).build();
        let a = budget.try_reserve(u64::MAX - 1).unwrap();
        assert!(budget.try_reserve(2).is_err());
        let s = block_on(a.settle(u64::MAX)).unwrap();
        assert_eq!(s.debt_incurred, 0);
        assert_eq!(budget.snapshot_now().available, 0);
        assert!(budget.try_reserve(1).is_err());
        // Full but not in debt: an empty hold still fits; a lease that would
        // end beyond the end of time saturates.
        let empty = budget.try_reserve_with(leased(0, u64::MAX)).unwrap();
        assert_eq!(empty.lease_deadline(), Some(u64::MAX));
    }

    #[test]
    fn async_interface_matches_the_sync_one() {
        let budget = Budget::quota("b", 10).build();
        let shared: std::sync::Arc<dyn SpendBudget> = std::sync::Arc::new(budget.clone());
        block_on(async {
            let hold = shared.reserve(ReserveRequest::new(4)).await.unwrap();
            assert_eq!(shared.snapshot().await.unwrap().held, 4);
            hold.settle(3).await.unwrap();
            assert_eq!(shared.reap().await.unwrap(), 0);
        });
        assert_eq!(levels(&budget), (7, 0, 3, 0));
    }
}
