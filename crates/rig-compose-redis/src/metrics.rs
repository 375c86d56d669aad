//! Client-side counters of one budget handle.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// What one [`RedisBudget`](crate::RedisBudget) handle (and its clones) has
/// seen, counted in this process. The tree-wide counters kept in Redis
/// (reclaimed leases, late settles) are in [`TreeStatus`](crate::TreeStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RedisBudgetMetrics {
    /// Reservations admitted by Redis.
    pub admitted: u64,
    /// Reservations refused by a limit.
    pub denied: u64,
    /// Operations that failed because Redis was unreachable, slow or
    /// answered with an error (timeouts included).
    pub backend_errors: u64,
    /// Of those, operations that ran out of time.
    pub timeouts: u64,
    /// Reservations admitted without Redis under the fail-open policy.
    pub fail_open_admissions: u64,
    /// Holds closed (settled, released or cancelled) for the first time.
    pub closes: u64,
    /// Closes that repeated an earlier close of the same hold id and
    /// charged nothing more.
    pub repeated_closes: u64,
    /// Closes of holds whose lease had run out: charged as plain usage.
    pub late_settles: u64,
    /// Closes that failed (the lease returns the hold eventually).
    pub close_errors: u64,
    /// Holds dropped unsettled whose close was spawned on the runtime.
    pub drop_closes_spawned: u64,
    /// Of those, closes that have finished (successfully or not).
    pub drop_closes_finished: u64,
    /// Holds dropped outside a Tokio runtime, left to their lease.
    pub drops_left_to_lease: u64,
    /// Units reserved by the holds closed so far (their estimates).
    pub estimated_units: u64,
    /// Units charged when closing them (the actual usage).
    pub charged_units: u64,
    /// Units charged beyond what the budget could cover.
    pub debt_units: u64,
}

impl RedisBudgetMetrics {
    /// Actual minus estimated units over all closed holds: positive when
    /// estimates run low.
    pub fn drift(&self) -> i128 {
        i128::from(self.charged_units) - i128::from(self.estimated_units)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) admitted: AtomicU64,
    pub(crate) denied: AtomicU64,
    pub(crate) backend_errors: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) fail_open_admissions: AtomicU64,
    pub(crate) closes: AtomicU64,
    pub(crate) repeated_closes: AtomicU64,
    pub(crate) late_settles: AtomicU64,
    pub(crate) close_errors: AtomicU64,
    pub(crate) drop_closes_spawned: AtomicU64,
    pub(crate) drop_closes_finished: AtomicU64,
    pub(crate) drops_left_to_lease: AtomicU64,
    pub(crate) estimated_units: AtomicU64,
    pub(crate) charged_units: AtomicU64,
    pub(crate) debt_units: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64) {
    add(counter, 1);
}

pub(crate) fn add(counter: &AtomicU64, units: u64) {
    // Saturate rather than wrap: a counter pinned at the maximum is still
    // an honest lower bound.
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
        Some(now.saturating_add(units))
    });
}

impl Counters {
    pub(crate) fn read(&self) -> RedisBudgetMetrics {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        RedisBudgetMetrics {
            admitted: get(&self.admitted),
            denied: get(&self.denied),
            backend_errors: get(&self.backend_errors),
            timeouts: get(&self.timeouts),
            fail_open_admissions: get(&self.fail_open_admissions),
            closes: get(&self.closes),
            repeated_closes: get(&self.repeated_closes),
            late_settles: get(&self.late_settles),
            close_errors: get(&self.close_errors),
            drop_closes_spawned: get(&self.drop_closes_spawned),
            drop_closes_finished: get(&self.drop_closes_finished),
            drops_left_to_lease: get(&self.drops_left_to_lease),
            estimated_units: get(&self.estimated_units),
            charged_units: get(&self.charged_units),
            debt_units: get(&self.debt_units),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_saturate_and_read_back() {
        let counters = Counters::default();
        bump(&counters.admitted);
        add(&counters.charged_units, u64::MAX - 1);
        add(&counters.charged_units, 5);
        add(&counters.estimated_units, 10);
        let read = counters.read();
        assert_eq!(read.admitted, 1);
        assert_eq!(read.charged_units, u64::MAX);
        assert_eq!(read.drift(), i128::from(u64::MAX) - 10);
        assert_eq!(RedisBudgetMetrics::default().drift(), 0);
    }
}
