//! Counters a budget node keeps about its own traffic.

use serde::{Deserialize, Serialize};

use crate::budget::LimitKind;

/// Refusals by the kind of limit that refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DenialCounts {
    /// Refused by a quota.
    pub quota: u64,
    /// Refused by a refilling-bucket rate limit.
    pub rate: u64,
    /// Refused by a rolling-window limit.
    pub rolling_window: u64,
    /// Refused by a call-count quota.
    pub call_count: u64,
}

impl DenialCounts {
    /// The count for one kind of limit.
    pub const fn get(&self, kind: LimitKind) -> u64 {
        match kind {
            LimitKind::Quota => self.quota,
            LimitKind::Rate => self.rate,
            LimitKind::RollingWindow => self.rolling_window,
            LimitKind::CallCount => self.call_count,
        }
    }

    /// All refusals.
    pub const fn total(&self) -> u64 {
        self.quota
            .saturating_add(self.rate)
            .saturating_add(self.rolling_window)
            .saturating_add(self.call_count)
    }

    pub(super) fn record(&mut self, kind: LimitKind) {
        let slot = match kind {
            LimitKind::Quota => &mut self.quota,
            LimitKind::Rate => &mut self.rate,
            LimitKind::RollingWindow => &mut self.rolling_window,
            LimitKind::CallCount => &mut self.call_count,
        };
        *slot = slot.saturating_add(1);
    }
}

/// What one budget node has seen since it was built. Counters saturate at
/// `u64::MAX`; they are never reset (not by windows, not by refills).
///
/// In a hierarchy every node counts the holds that pass through it, so a
/// reservation at a leaf shows up in the leaf and in each ancestor. A
/// denial is counted in `denials` at the node whose limit refused, and in
/// `refused` at the node the request was made on.
///
/// ```
/// use rig_compose::budget::{Budget, LimitKind};
///
/// # futures::executor::block_on(async {
/// let budget = Budget::quota("tokens", 1_000).build();
/// let hold = budget.try_reserve(400).unwrap();
/// hold.settle(460).await.unwrap();
/// assert!(budget.try_reserve(600).is_err());
///
/// let metrics = budget.metrics();
/// assert_eq!(metrics.reservations, 1);
/// assert_eq!(metrics.denials.get(LimitKind::Quota), 1);
/// assert_eq!((metrics.estimated, metrics.actual), (400, 460));
/// assert_eq!(metrics.drift(), 60);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BudgetMetrics {
    /// Holds admitted.
    pub reservations: u64,
    /// Requests made on this node that were refused, by it or an ancestor.
    pub refused: u64,
    /// Refusals by this node's own limit.
    pub denials: DenialCounts,
    /// Holds closed with `settle`.
    pub settled: u64,
    /// Holds closed with `release`.
    pub released: u64,
    /// Holds closed with `cancel`.
    pub cancelled: u64,
    /// Holds dropped unsettled.
    pub dropped: u64,
    /// Holds whose lease expired and whose amount was reclaimed.
    pub reclaimed: u64,
    /// Closes of holds that had already been reclaimed (charged as plain
    /// usage, nothing refunded).
    pub late_closes: u64,
    /// Sum of the estimates (hold amounts) of settled holds.
    pub estimated: u64,
    /// Sum of the actual usage reported by settled holds.
    pub actual: u64,
    /// All units charged, by every kind of close.
    pub charged: u64,
    /// Units charged beyond what the budget could cover.
    pub debt_incurred: u64,
    /// Live holds right now.
    pub open_holds: u64,
    /// Reclaimed holds whose owner has not closed them yet.
    pub reclaimed_open: u64,
}

impl BudgetMetrics {
    /// Estimate-vs-actual drift of settled holds: positive when usage ran
    /// over the estimates.
    pub fn drift(&self) -> i128 {
        i128::from(self.actual) - i128::from(self.estimated)
    }

    /// Holds closed by any means.
    pub const fn closed(&self) -> u64 {
        self.settled
            .saturating_add(self.released)
            .saturating_add(self.cancelled)
            .saturating_add(self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denial_counts_by_kind() {
        let mut counts = DenialCounts::default();
        counts.record(LimitKind::Rate);
        counts.record(LimitKind::Rate);
        counts.record(LimitKind::CallCount);
        assert_eq!(counts.get(LimitKind::Rate), 2);
        assert_eq!(counts.get(LimitKind::CallCount), 1);
        assert_eq!(counts.get(LimitKind::Quota), 0);
        assert_eq!(counts.total(), 3);
    }

    #[test]
    fn drift_and_closed_totals() {
        let metrics = BudgetMetrics {
            estimated: 100,
            actual: 70,
            settled: 2,
            dropped: 1,
            ..BudgetMetrics::default()
        };
        assert_eq!(metrics.drift(), -30);
        assert_eq!(metrics.closed(), 3);
    }
}
