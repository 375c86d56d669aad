//! Client-side counters of one budget handle.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// What one [`RedisBudget`](crate::RedisBudget) handle (and its clones) has
/// seen, counted in this process. Field names follow the in-process
/// engine's metrics where the meaning is the same; the tree-wide counters
/// kept in Redis (reclaimed leases, late settles of every process) are in
/// [`TreeStatus`](crate::TreeStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RedisBudgetMetrics {
    /// Holds admitted by Redis.
    pub reservations: u64,
    /// Requests refused by a limit (of any level).
    pub refused: u64,
    /// Holds closed with `settle`.
    pub settled: u64,
    /// Holds closed with `release`.
    pub released: u64,
    /// Holds closed with `cancel`.
    pub cancelled: u64,
    /// Holds dropped unsettled (closed per their drop policy).
    pub dropped: u64,
    /// Closes of holds whose lease had run out: charged as plain usage,
    /// nothing refunded.
    pub late_closes: u64,
    /// Sum of the estimates (hold amounts) of settled holds.
    pub estimated: u64,
    /// Sum of the actual usage reported by settled holds.
    pub actual: u64,
    /// All units charged, by every kind of close and by
    /// [`RedisBudget::charge`](crate::RedisBudget::charge).
    pub charged: u64,
    /// Units charged beyond what the budget could cover.
    pub debt_incurred: u64,
    /// Closes that repeated an earlier close of the same hold id and
    /// charged nothing more.
    pub repeated_closes: u64,
    /// Operations that failed because Redis was unreachable, slow or
    /// answered with an error (timeouts included).
    pub backend_errors: u64,
    /// Of those, operations that ran out of time.
    pub timeouts: u64,
    /// Reservations admitted without Redis under the fail-open policy.
    pub fail_open_admissions: u64,
    /// Closes that failed (the hold's lease returns it eventually).
    pub close_errors: u64,
    /// Holds dropped unsettled whose close was spawned on the runtime.
    pub drop_closes_spawned: u64,
    /// Of those, closes that have finished (successfully or not).
    pub drop_closes_finished: u64,
    /// Holds dropped outside a Tokio runtime, left to their lease.
    pub drops_left_to_lease: u64,
}

impl RedisBudgetMetrics {
    /// Estimate-vs-actual drift of settled holds: positive when usage ran
    /// over the estimates.
    pub fn drift(&self) -> i128 {
        i128::from(self.actual) - i128::from(self.estimated)
    }

    /// Holds closed (for the first time) by any means.
    pub fn closed(&self) -> u64 {
        self.settled
            .saturating_add(self.released)
            .saturating_add(self.cancelled)
            .saturating_add(self.dropped)
    }
}

macro_rules! counters {
    ($($field:ident),* $(,)?) => {
        #[derive(Debug, Default)]
        pub(crate) struct Counters {
            $(pub(crate) $field: AtomicU64,)*
        }

        impl Counters {
            pub(crate) fn read(&self) -> RedisBudgetMetrics {
                RedisBudgetMetrics {
                    $($field: self.$field.load(Ordering::Relaxed),)*
                }
            }
        }
    };
}

counters!(
    reservations,
    refused,
    settled,
    released,
    cancelled,
    dropped,
    late_closes,
    estimated,
    actual,
    charged,
    debt_incurred,
    repeated_closes,
    backend_errors,
    timeouts,
    fail_open_admissions,
    close_errors,
    drop_closes_spawned,
    drop_closes_finished,
    drops_left_to_lease,
);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_saturate_and_read_back() {
        let counters = Counters::default();
        bump(&counters.reservations);
        add(&counters.actual, u64::MAX - 1);
        add(&counters.actual, 5);
        add(&counters.estimated, 10);
        bump(&counters.settled);
        bump(&counters.dropped);
        let read = counters.read();
        assert_eq!(read.reservations, 1);
        assert_eq!(read.actual, u64::MAX);
        assert_eq!(read.drift(), i128::from(u64::MAX) - 10);
        assert_eq!(read.closed(), 2);
        assert_eq!(RedisBudgetMetrics::default().drift(), 0);
    }
}
