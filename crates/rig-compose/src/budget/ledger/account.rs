//! The state of one budget node, as protected by its lock: the meter, the
//! holds it knows about, its counters and its thresholds.

use super::hold_table::{DENIAL_REAP_LIMIT, HoldTable, LAZY_REAP_LIMIT, LiveHold};
use super::meter::{Levels, Meter, Shortfall, WindowTotals};
use super::metrics::BudgetMetrics;
use super::now::Now;
use super::observer::Thresholds;
use crate::budget::{HoldClose, HoldId, LimitKind};

/// What closing a hold did at one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NodeClose {
    pub(super) charged: u64,
    pub(super) refunded: u64,
    pub(super) debt_incurred: u64,
}

#[derive(Debug)]
pub(super) struct Account {
    meter: Meter,
    holds: HoldTable,
    metrics: BudgetMetrics,
    thresholds: Thresholds,
}

fn bump(counter: &mut u64, by: u64) {
    *counter = counter.saturating_add(by);
}

impl Account {
    pub(super) fn new(meter: Meter, thresholds: Thresholds) -> Self {
        Self {
            meter,
            holds: HoldTable::default(),
            metrics: BudgetMetrics::default(),
            thresholds,
        }
    }

    /// Brings the node up to `now`: starts a new window if one began, and
    /// reclaims at most [`LAZY_REAP_LIMIT`] expired leases.
    pub(super) fn catch_up(&mut self, now: &Now<'_>) {
        self.advance(now);
        self.reap(now, LAZY_REAP_LIMIT, |_| {});
    }

    /// Starts a new window if one began at or before `now` (re-arming the
    /// thresholds); a rate limit, which has no windows, re-arms the
    /// thresholds its level has fallen back under.
    pub(super) fn advance(&mut self, now: &Now<'_>) {
        if self.meter.roll(now) {
            self.thresholds.rearm();
        } else if self.thresholds.is_active() && !self.meter.is_windowed() {
            let levels = self.meter.levels(now);
            self.thresholds
                .rearm_below(levels.committed(), levels.capacity);
        }
    }

    /// Reclaims up to `limit` expired leases, reporting each id to `seen`.
    pub(super) fn reap(
        &mut self,
        now: &Now<'_>,
        limit: usize,
        mut seen: impl FnMut(HoldId),
    ) -> usize {
        let mut reclaimed = 0;
        if !self.holds.has_leases() {
            // Nothing can expire: no need to know the time.
            return reclaimed;
        }
        let millis = now.get();
        while reclaimed < limit {
            let Some((id, hold)) = self.holds.expire_next(millis) else {
                break;
            };
            self.meter.reclaim(hold.window, hold.amount, now);
            bump(&mut self.metrics.reclaimed, 1);
            seen(id);
            reclaimed += 1;
        }
        reclaimed
    }

    /// Whether `amount` more can be held. Before refusing, reclaims up to
    /// [`DENIAL_REAP_LIMIT`] more expired leases, so a refusal is never
    /// caused by holds that have already lapsed (up to that bound).
    pub(super) fn check(&mut self, amount: u64, now: &Now<'_>) -> Result<(), Shortfall> {
        match self.meter.check(amount, now) {
            Err(_) if self.holds.has_leases() && self.holds.has_expired(now.get()) => {
                self.reap(now, DENIAL_REAP_LIMIT, |_| {});
                self.meter.check(amount, now)
            }
            outcome => outcome,
        }
    }

    pub(super) fn admit(&mut self, id: HoldId, amount: u64, deadline: Option<u64>, now: &Now<'_>) {
        self.meter.hold(amount, now);
        self.holds.insert(
            id,
            LiveHold {
                amount,
                window: self.meter.current_window(),
                deadline,
            },
        );
        bump(&mut self.metrics.reservations, 1);
    }

    pub(super) fn record_denial(&mut self, kind: LimitKind) {
        self.metrics.denials.record(kind);
    }

    pub(super) fn record_refusal(&mut self) {
        bump(&mut self.metrics.refused, 1);
    }

    /// Whether hold `id` has lapsed here: already reclaimed, or live with a
    /// lease that ended at or before `now`.
    pub(super) fn has_lapsed(&self, id: HoldId, now: &Now<'_>) -> bool {
        self.holds.is_reclaimed(id)
            || self
                .holds
                .deadline(id)
                .is_some_and(|deadline| deadline <= now.get())
    }

    /// Reclaims hold `id` if it is live here.
    pub(super) fn expire(&mut self, id: HoldId, now: &Now<'_>) {
        if let Some(hold) = self.holds.expire(id) {
            self.meter.reclaim(hold.window, hold.amount, now);
            bump(&mut self.metrics.reclaimed, 1);
        }
    }

    /// Moves the lease of a live hold; `false` if it is not live here.
    pub(super) fn renew(&mut self, id: HoldId, deadline: u64) -> bool {
        self.holds.set_deadline(id, deadline)
    }

    /// Closes hold `id` here. With `lapsed`, the hold is treated as
    /// reclaimed: whatever is still live is reclaimed first, and the charge
    /// is booked as plain usage with nothing refunded. `None` when this node
    /// has nothing open under that id (already closed: closing is
    /// idempotent).
    pub(super) fn close(
        &mut self,
        id: HoldId,
        close: HoldClose,
        lapsed: bool,
        now: &Now<'_>,
    ) -> Option<NodeClose> {
        let charge = close.charge();
        let (amount, outcome) = if lapsed {
            self.expire(id, now);
            let hold = self.holds.take_reclaimed(id)?;
            bump(&mut self.metrics.late_closes, 1);
            let debt_incurred = self.meter.charge_unheld(hold.window, charge, now);
            let outcome = NodeClose {
                charged: charge,
                refunded: 0,
                debt_incurred,
            };
            (hold.amount, outcome)
        } else {
            let hold = self.holds.remove(id)?;
            let closed = self.meter.close(hold.window, hold.amount, charge, now);
            let outcome = NodeClose {
                charged: charge,
                refunded: closed.refunded,
                debt_incurred: closed.debt_incurred,
            };
            (hold.amount, outcome)
        };
        let metrics = &mut self.metrics;
        match close {
            HoldClose::Settle(actual) => {
                bump(&mut metrics.settled, 1);
                bump(&mut metrics.estimated, amount);
                bump(&mut metrics.actual, actual);
            }
            HoldClose::Release => bump(&mut metrics.released, 1),
            HoldClose::Cancel(_) => bump(&mut metrics.cancelled, 1),
            HoldClose::Dropped(_) => bump(&mut metrics.dropped, 1),
        }
        bump(&mut metrics.charged, charge);
        bump(&mut metrics.debt_incurred, outcome.debt_incurred);
        Some(outcome)
    }

    /// Forgives usage and debt (live holds keep counting).
    pub(super) fn refill(&mut self, now: &Now<'_>) {
        self.meter.refill(now);
        self.thresholds.rearm();
    }

    pub(super) fn levels(&self, now: &Now<'_>) -> Levels {
        self.meter.levels(now)
    }

    /// The highest threshold newly crossed since the last call, with the
    /// levels that crossed it.
    pub(super) fn crossed_threshold(&mut self, now: &Now<'_>) -> Option<(u32, Levels)> {
        if !self.thresholds.is_active() {
            return None;
        }
        let levels = self.meter.levels(now);
        self.thresholds
            .crossed(levels.committed(), levels.capacity)
            .map(|percent| (percent, levels))
    }

    pub(super) fn metrics(&self) -> BudgetMetrics {
        BudgetMetrics {
            open_holds: u64::try_from(self.holds.live_count()).unwrap_or(u64::MAX),
            reclaimed_open: u64::try_from(self.holds.reclaimed_count()).unwrap_or(u64::MAX),
            ..self.metrics
        }
    }

    pub(super) fn previous_window(&self) -> Option<WindowTotals> {
        self.meter.previous_window()
    }
}
