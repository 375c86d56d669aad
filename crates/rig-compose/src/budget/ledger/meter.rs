//! The arithmetic of one budget node: how holds, charges and time move its
//! levels. No locking and no clock here; the caller passes `now` and owns
//! the exclusive borrow.

use serde::{Deserialize, Serialize};

use super::Limit;
use super::now::Now;
use crate::budget::{Gcra, RollingWindow, Window};

/// Totals of an accounting window that has ended, as kept by a quota budget
/// for the window just before the current one.
///
/// Holds reserved in a window and settled after it ended are charged here,
/// so `consumed` can still grow after the window closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowTotals {
    /// The window's number ([`Window::index_at`]).
    pub index: u64,
    /// First millisecond of the window (ms since the Unix epoch), as far as
    /// the budget observed it (the budget's creation time for its first
    /// window).
    pub started_at_millis: u64,
    /// First millisecond after the window, if it ever ends.
    pub ended_at_millis: Option<u64>,
    /// The window's capacity.
    pub capacity: u64,
    /// Units charged to the window, including late settlements.
    pub consumed: u64,
}

impl WindowTotals {
    /// Units charged beyond the window's capacity.
    pub const fn overrun(&self) -> u64 {
        self.consumed.saturating_sub(self.capacity)
    }
}

/// Why a meter cannot admit a request right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shortfall {
    pub(super) available: u64,
    pub(super) retry_at_millis: Option<u64>,
}

/// A consistent reading of a meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Levels {
    pub(super) capacity: u64,
    pub(super) available: u64,
    pub(super) held: u64,
    pub(super) consumed: u64,
    pub(super) debt: u64,
    pub(super) resets_at_millis: Option<u64>,
}

impl Levels {
    /// Consumed plus held: what thresholds compare against.
    pub(super) fn committed(&self) -> u64 {
        self.consumed.saturating_add(self.held)
    }
}

/// What closing a live hold did to the meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Closed {
    pub(super) refunded: u64,
    pub(super) debt_incurred: u64,
}

/// Per-window accounting of a quota.
#[derive(Debug)]
pub(super) struct QuotaMeter {
    capacity: u64,
    window: Window,
    /// Number of the window the counters below belong to. Only moves
    /// forward, so a clock stepping back never reopens a closed window.
    index: u64,
    started_at: u64,
    consumed: u64,
    /// Sum of the live holds reserved in window `index`; holds from earlier
    /// windows stopped counting at the rollover.
    held: u64,
    previous: Option<WindowTotals>,
}

impl QuotaMeter {
    fn new(capacity: u64, window: Window, now: u64) -> Self {
        Self {
            capacity,
            window,
            index: window.index_at(now),
            started_at: window.starts_at(now),
            consumed: 0,
            held: 0,
            previous: None,
        }
    }

    /// How far consumed + held exceeds the capacity.
    fn excess(&self) -> u64 {
        self.consumed
            .saturating_add(self.held)
            .saturating_sub(self.capacity)
    }

    /// Adds `charge` to the totals of window `window`, returning the debt
    /// it created. Windows older than the previous one are no longer kept;
    /// their charges are only visible in the metrics.
    fn charge(&mut self, window: u64, charge: u64) -> u64 {
        if window == self.index {
            let before = self.excess();
            self.consumed = self.consumed.saturating_add(charge);
            return self.excess().saturating_sub(before);
        }
        match &mut self.previous {
            Some(previous) if previous.index == window => {
                let before = previous.overrun();
                previous.consumed = previous.consumed.saturating_add(charge);
                previous.overrun().saturating_sub(before)
            }
            _ => 0,
        }
    }
}

/// When `window` resets, without reading the clock for a window that
/// never does.
fn resets_at(window: Window, now: &Now<'_>) -> Option<u64> {
    if window.is_unbounded() {
        None
    } else {
        window.resets_at(now.get())
    }
}

/// The state machine behind one budget node.
#[derive(Debug)]
pub(super) enum Meter {
    Quota(QuotaMeter),
    Rate { limiter: Gcra, held: u64 },
    Rolling { limiter: RollingWindow, held: u64 },
}

impl Meter {
    pub(super) fn new(limit: Limit, now: u64) -> Self {
        match limit {
            Limit::Quota { capacity, window } => {
                Self::Quota(QuotaMeter::new(capacity, window, now))
            }
            Limit::Rate(limiter) => Self::Rate { limiter, held: 0 },
            Limit::Rolling(limiter) => Self::Rolling { limiter, held: 0 },
        }
    }

    /// Whether usage resets per window (quota) rather than sliding (rates).
    pub(super) fn is_windowed(&self) -> bool {
        matches!(self, Self::Quota(_))
    }

    /// The window new holds are charged to.
    pub(super) fn current_window(&self) -> u64 {
        match self {
            Self::Quota(quota) => quota.index,
            Self::Rate { .. } | Self::Rolling { .. } => 0,
        }
    }

    pub(super) fn previous_window(&self) -> Option<WindowTotals> {
        match self {
            Self::Quota(quota) => quota.previous,
            Self::Rate { .. } | Self::Rolling { .. } => None,
        }
    }

    /// Moves a quota into the window containing `now`; returns whether a
    /// new window started.
    pub(super) fn roll(&mut self, now: &Now<'_>) -> bool {
        let Self::Quota(quota) = self else {
            return false;
        };
        if quota.window.is_unbounded() {
            return false;
        }
        let now = now.get();
        let index = quota.window.index_at(now);
        if index <= quota.index {
            return false;
        }
        quota.previous = Some(WindowTotals {
            index: quota.index,
            started_at_millis: quota.started_at,
            ended_at_millis: quota.window.resets_at(quota.started_at),
            capacity: quota.capacity,
            consumed: quota.consumed,
        });
        quota.index = index;
        quota.started_at = quota.window.starts_at(now);
        quota.consumed = 0;
        quota.held = 0;
        true
    }

    /// Whether `amount` more units can be held now. Debt refuses every
    /// request, even an empty one.
    pub(super) fn check(&mut self, amount: u64, now: &Now<'_>) -> Result<(), Shortfall> {
        match self {
            Self::Quota(quota) => {
                // With debt, committed alone exceeds the capacity, so even
                // an empty request does not fit.
                let committed = u128::from(quota.consumed) + u128::from(quota.held);
                if committed + u128::from(amount) <= u128::from(quota.capacity) {
                    return Ok(());
                }
                // A fresh window restores the whole capacity, so waiting
                // helps only if the request fits in an empty window.
                let retry_at_millis = if amount <= quota.capacity {
                    resets_at(quota.window, now)
                } else {
                    None
                };
                Err(Shortfall {
                    available: quota
                        .capacity
                        .saturating_sub(quota.consumed.saturating_add(quota.held)),
                    retry_at_millis,
                })
            }
            Self::Rate { limiter, .. } => {
                let now = now.get();
                let available = limiter.available(now);
                if available >= amount && limiter.debt(now) == 0 {
                    return Ok(());
                }
                // `available < amount` means this take fails and changes
                // nothing; it is only asked for the exact retry time.
                let retry = limiter.try_take(amount, now).err();
                Err(Shortfall {
                    available,
                    retry_at_millis: retry
                        .and_then(|err| err.retry_after_millis())
                        .map(|wait| now.saturating_add(wait)),
                })
            }
            Self::Rolling { limiter, .. } => {
                let now = now.get();
                let available = limiter.available(now);
                if available >= amount && limiter.debt(now) == 0 {
                    return Ok(());
                }
                let retry = limiter.try_take(amount, now).err();
                Err(Shortfall {
                    available,
                    retry_at_millis: retry
                        .and_then(|err| err.retry_after_millis())
                        .map(|wait| now.saturating_add(wait)),
                })
            }
        }
    }

    /// Holds `amount` units. Callers have checked that they fit; rate
    /// limiters record them with `force_take`, which equals a successful
    /// `try_take` for an amount that fits and cannot fail halfway through a
    /// chain.
    pub(super) fn hold(&mut self, amount: u64, now: &Now<'_>) {
        match self {
            Self::Quota(quota) => quota.held = quota.held.saturating_add(amount),
            Self::Rate { limiter, held } => {
                let now = now.get();
                limiter.force_take(amount, now);
                *held = held.saturating_add(amount);
            }
            Self::Rolling { limiter, held } => {
                let now = now.get();
                limiter.force_take(amount, now);
                *held = held.saturating_add(amount);
            }
        }
    }

    /// Closes a live hold of `amount` reserved in `window`, charging
    /// `charge`.
    pub(super) fn close(&mut self, window: u64, amount: u64, charge: u64, now: &Now<'_>) -> Closed {
        let refunded = amount.saturating_sub(charge);
        let debt_incurred = match self {
            Self::Quota(quota) => {
                if window == quota.index {
                    let before = quota.excess();
                    quota.held = quota.held.saturating_sub(amount);
                    quota.consumed = quota.consumed.saturating_add(charge);
                    quota.excess().saturating_sub(before)
                } else {
                    // The hold stopped counting at the rollover; only its
                    // charge is left to book, against its own window.
                    quota.charge(window, charge)
                }
            }
            Self::Rate { limiter, held } => {
                let now = now.get();
                *held = held.saturating_sub(amount);
                let before = limiter.debt(now);
                if charge < amount {
                    limiter.give_back(refunded, now);
                } else {
                    limiter.force_take(charge - amount, now);
                }
                limiter.debt(now).saturating_sub(before)
            }
            Self::Rolling { limiter, held } => {
                let now = now.get();
                *held = held.saturating_sub(amount);
                let before = limiter.debt(now);
                if charge < amount {
                    limiter.give_back(refunded, now);
                } else {
                    limiter.force_take(charge - amount, now);
                }
                limiter.debt(now).saturating_sub(before)
            }
        };
        Closed {
            refunded,
            debt_incurred,
        }
    }

    /// Returns a live hold whose lease expired.
    pub(super) fn reclaim(&mut self, window: u64, amount: u64, now: &Now<'_>) {
        match self {
            Self::Quota(quota) => {
                if window == quota.index {
                    quota.held = quota.held.saturating_sub(amount);
                }
            }
            Self::Rate { limiter, held } => {
                let now = now.get();
                *held = held.saturating_sub(amount);
                limiter.give_back(amount, now);
            }
            Self::Rolling { limiter, held } => {
                let now = now.get();
                *held = held.saturating_sub(amount);
                limiter.give_back(amount, now);
            }
        }
    }

    /// Charges usage that has no hold behind it any more (a late close of a
    /// reclaimed hold); returns the debt it created.
    pub(super) fn charge_unheld(&mut self, window: u64, charge: u64, now: &Now<'_>) -> u64 {
        match self {
            Self::Quota(quota) => quota.charge(window, charge),
            Self::Rate { limiter, .. } => {
                let now = now.get();
                let before = limiter.debt(now);
                limiter.force_take(charge, now);
                limiter.debt(now).saturating_sub(before)
            }
            Self::Rolling { limiter, .. } => {
                let now = now.get();
                let before = limiter.debt(now);
                limiter.force_take(charge, now);
                limiter.debt(now).saturating_sub(before)
            }
        }
    }

    /// Forgives all usage and debt; live holds keep their share.
    pub(super) fn refill(&mut self, now: &Now<'_>) {
        match self {
            Self::Quota(quota) => quota.consumed = 0,
            Self::Rate { limiter, held } => {
                let now = now.get();
                limiter.reset();
                limiter.force_take(*held, now);
            }
            Self::Rolling { limiter, held } => {
                let now = now.get();
                limiter.reset();
                limiter.force_take(*held, now);
            }
        }
    }

    pub(super) fn levels(&self, now: &Now<'_>) -> Levels {
        match self {
            Self::Quota(quota) => Levels {
                capacity: quota.capacity,
                available: quota
                    .capacity
                    .saturating_sub(quota.consumed.saturating_add(quota.held)),
                held: quota.held,
                consumed: quota.consumed,
                debt: quota.excess(),
                resets_at_millis: resets_at(quota.window, now),
            },
            Self::Rate { limiter, held } => {
                let now = now.get();
                let capacity = limiter.burst();
                let available = limiter.available(now);
                let debt = limiter.debt(now);
                // What the bucket is missing is the live holds plus the
                // recent usage it has not refilled yet.
                let used = capacity.saturating_sub(available).saturating_add(debt);
                Levels {
                    capacity,
                    available,
                    held: *held,
                    consumed: used.saturating_sub(*held),
                    debt,
                    resets_at_millis: (used > 0).then(|| limiter.full_at(now)),
                }
            }
            Self::Rolling { limiter, held } => {
                let now = now.get();
                let used = limiter.used(now);
                Levels {
                    capacity: limiter.max(),
                    available: limiter.available(now),
                    held: *held,
                    consumed: used.saturating_sub(*held),
                    debt: limiter.debt(now),
                    resets_at_millis: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn quota(capacity: u64, window: Window) -> Meter {
        Meter::new(Limit::quota(capacity, window), 0)
    }

    #[test]
    fn quota_admits_up_to_capacity_and_reports_the_reset() {
        let mut meter = quota(10, Window::per_minute());
        assert_eq!(meter.check(10, &Now::fixed(5)), Ok(()));
        meter.hold(7, &Now::fixed(5));
        assert_eq!(
            meter.check(4, &Now::fixed(5)),
            Err(Shortfall {
                available: 3,
                retry_at_millis: Some(60_000)
            })
        );
        // Larger than the capacity: no window will ever fit it.
        assert_eq!(
            meter.check(11, &Now::fixed(5)).unwrap_err().retry_at_millis,
            None
        );
    }

    #[test]
    fn overage_becomes_debt_that_blocks_even_empty_requests() {
        let mut meter = quota(10, Window::Unbounded);
        meter.hold(4, &Now::fixed(0));
        let closed = meter.close(0, 4, 13, &Now::fixed(0));
        assert_eq!(
            closed,
            Closed {
                refunded: 0,
                debt_incurred: 3
            }
        );
        let levels = meter.levels(&Now::fixed(0));
        assert_eq!((levels.consumed, levels.debt, levels.available), (13, 3, 0));
        assert!(meter.check(0, &Now::fixed(0)).is_err());
        meter.refill(&Now::fixed(0));
        assert_eq!(meter.check(10, &Now::fixed(0)), Ok(()));
    }

    #[test]
    fn debt_counts_live_holds_so_it_can_shrink_when_they_settle_low() {
        let mut meter = quota(10, Window::Unbounded);
        meter.hold(5, &Now::fixed(0));
        meter.hold(5, &Now::fixed(0));
        assert_eq!(meter.close(0, 5, 8, &Now::fixed(0)).debt_incurred, 3);
        assert_eq!(meter.levels(&Now::fixed(0)).debt, 3);
        assert_eq!(meter.close(0, 5, 1, &Now::fixed(0)).debt_incurred, 0);
        assert_eq!(meter.levels(&Now::fixed(0)).debt, 0);
        assert_eq!(meter.levels(&Now::fixed(0)).consumed, 9);
    }

    #[test]
    fn rollover_drops_old_holds_and_charges_late_settles_to_their_window() {
        let mut meter = quota(10, Window::per_minute());
        meter.hold(6, &Now::fixed(1_000));
        assert!(!meter.roll(&Now::fixed(59_999)));
        assert!(meter.roll(&Now::fixed(60_000)));
        let levels = meter.levels(&Now::fixed(60_000));
        assert_eq!((levels.held, levels.consumed, levels.available), (0, 0, 10));
        // Settled in window 1, reserved in window 0: window 0 pays.
        assert_eq!(meter.close(0, 6, 12, &Now::fixed(60_500)).debt_incurred, 2);
        assert_eq!(meter.levels(&Now::fixed(60_500)).consumed, 0);
        let previous = meter.previous_window().unwrap();
        assert_eq!(previous.index, 0);
        assert_eq!(previous.consumed, 12);
        assert_eq!(previous.overrun(), 2);
        assert_eq!(previous.ended_at_millis, Some(60_000));
        // A clock stepping back does not reopen window 0.
        assert!(!meter.roll(&Now::fixed(10)));
        assert_eq!(meter.current_window(), 1);
    }

    #[test]
    fn charges_to_forgotten_windows_are_dropped() {
        let mut meter = quota(10, Window::per_minute());
        meter.hold(5, &Now::fixed(0));
        meter.roll(&Now::fixed(60_000));
        meter.roll(&Now::fixed(120_000));
        assert_eq!(meter.close(0, 5, 50, &Now::fixed(120_000)).debt_incurred, 0);
        assert_eq!(meter.previous_window().unwrap().consumed, 0);
        assert_eq!(meter.levels(&Now::fixed(120_000)).consumed, 0);
    }

    #[test]
    fn rate_meter_gives_back_refunds_and_forces_overage() {
        let mut meter = Meter::new(Gcra::per_second(10, 10).unwrap().into(), 0);
        assert_eq!(meter.check(10, &Now::fixed(0)), Ok(()));
        meter.hold(10, &Now::fixed(0));
        let denied = meter.check(1, &Now::fixed(0)).unwrap_err();
        assert_eq!(denied.available, 0);
        assert_eq!(denied.retry_at_millis, Some(100));
        meter.close(0, 10, 4, &Now::fixed(0));
        assert_eq!(meter.levels(&Now::fixed(0)).available, 6);
        assert_eq!(meter.levels(&Now::fixed(0)).held, 0);
        meter.hold(6, &Now::fixed(0));
        assert_eq!(meter.close(0, 6, 9, &Now::fixed(0)).debt_incurred, 3);
        assert_eq!(meter.levels(&Now::fixed(0)).debt, 3);
        assert!(
            meter.check(0, &Now::fixed(0)).is_err(),
            "debt refuses empty requests"
        );
    }

    #[test]
    fn rolling_meter_reclaims_and_refills() {
        let limiter = RollingWindow::new(5, Duration::from_secs(1)).unwrap();
        let mut meter = Meter::new(limiter.into(), 0);
        meter.hold(5, &Now::fixed(0));
        assert_eq!(meter.levels(&Now::fixed(0)).held, 5);
        meter.reclaim(0, 5, &Now::fixed(0));
        assert_eq!(meter.levels(&Now::fixed(0)).available, 5);
        meter.hold(3, &Now::fixed(0));
        meter.charge_unheld(0, 9, &Now::fixed(0));
        assert_eq!(meter.levels(&Now::fixed(0)).debt, 7);
        meter.refill(&Now::fixed(0));
        let levels = meter.levels(&Now::fixed(0));
        assert_eq!((levels.held, levels.available, levels.debt), (3, 2, 0));
    }
}
