//! The arithmetic of one budget node: how holds, charges and time move its
//! levels. No locking here (the caller holds the node's lock), and the time
//! is read through the operation's [`Now`] only where a limit needs it.

use serde::{Deserialize, Serialize};

use super::Limit;
use super::now::Now;
use super::rate_meter::RateMeter;
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

    fn roll(&mut self, now: &Now<'_>) -> bool {
        if self.window.is_unbounded() {
            return false;
        }
        let now = now.get();
        let index = self.window.index_at(now);
        if index <= self.index {
            return false;
        }
        self.previous = Some(WindowTotals {
            index: self.index,
            started_at_millis: self.started_at,
            ended_at_millis: self.window.resets_at(self.started_at),
            capacity: self.capacity,
            consumed: self.consumed,
        });
        self.index = index;
        self.started_at = self.window.starts_at(now);
        self.consumed = 0;
        self.held = 0;
        true
    }

    fn check(&self, amount: u64, now: &Now<'_>) -> Result<(), Shortfall> {
        // With debt, committed alone exceeds the capacity, so even an empty
        // request does not fit.
        let committed = u128::from(self.consumed) + u128::from(self.held);
        if committed + u128::from(amount) <= u128::from(self.capacity) {
            return Ok(());
        }
        // A fresh window restores the whole capacity, so waiting helps only
        // if the request fits in an empty window.
        let retry_at_millis = if amount <= self.capacity {
            resets_at(self.window, now)
        } else {
            None
        };
        Err(Shortfall {
            available: self.available(),
            retry_at_millis,
        })
    }

    fn close(&mut self, window: u64, amount: u64, charge: u64) -> Closed {
        let debt_incurred = if window == self.index {
            let before = self.excess();
            self.held = self.held.saturating_sub(amount);
            self.consumed = self.consumed.saturating_add(charge);
            self.excess().saturating_sub(before)
        } else {
            // The hold stopped counting at the rollover; only its charge is
            // left to book, against its own window.
            self.charge(window, charge)
        };
        Closed {
            refunded: amount.saturating_sub(charge),
            debt_incurred,
        }
    }

    fn available(&self) -> u64 {
        self.capacity
            .saturating_sub(self.consumed.saturating_add(self.held))
    }

    fn levels(&self, now: &Now<'_>) -> Levels {
        Levels {
            capacity: self.capacity,
            available: self.available(),
            held: self.held,
            consumed: self.consumed,
            debt: self.excess(),
            resets_at_millis: resets_at(self.window, now),
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
    Rate(RateMeter<Gcra>),
    Rolling(RateMeter<RollingWindow>),
}

impl Meter {
    pub(super) fn new(limit: Limit, now: u64) -> Self {
        match limit {
            Limit::Quota { capacity, window } => {
                Self::Quota(QuotaMeter::new(capacity, window, now))
            }
            Limit::Rate(limiter) => Self::Rate(RateMeter::new(limiter)),
            Limit::Rolling(limiter) => Self::Rolling(RateMeter::new(limiter)),
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
            Self::Rate(_) | Self::Rolling(_) => 0,
        }
    }

    pub(super) fn previous_window(&self) -> Option<WindowTotals> {
        match self {
            Self::Quota(quota) => quota.previous,
            Self::Rate(_) | Self::Rolling(_) => None,
        }
    }

    /// Moves a quota into the window containing `now`; returns whether a
    /// new window started.
    pub(super) fn roll(&mut self, now: &Now<'_>) -> bool {
        match self {
            Self::Quota(quota) => quota.roll(now),
            Self::Rate(_) | Self::Rolling(_) => false,
        }
    }

    /// Whether `amount` more units can be held now. Debt refuses every
    /// request, even an empty one.
    pub(super) fn check(&mut self, amount: u64, now: &Now<'_>) -> Result<(), Shortfall> {
        match self {
            Self::Quota(quota) => quota.check(amount, now),
            Self::Rate(rate) => rate.check(amount, now),
            Self::Rolling(rate) => rate.check(amount, now),
        }
    }

    /// Holds `amount` units; callers have checked that they fit.
    pub(super) fn hold(&mut self, amount: u64, now: &Now<'_>) {
        match self {
            Self::Quota(quota) => quota.held = quota.held.saturating_add(amount),
            Self::Rate(rate) => rate.hold(amount, now),
            Self::Rolling(rate) => rate.hold(amount, now),
        }
    }

    /// Closes a live hold of `amount` reserved in `window`, charging
    /// `charge`.
    pub(super) fn close(&mut self, window: u64, amount: u64, charge: u64, now: &Now<'_>) -> Closed {
        match self {
            Self::Quota(quota) => quota.close(window, amount, charge),
            Self::Rate(rate) => rate.close(amount, charge, now),
            Self::Rolling(rate) => rate.close(amount, charge, now),
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
            Self::Rate(rate) => rate.reclaim(amount, now),
            Self::Rolling(rate) => rate.reclaim(amount, now),
        }
    }

    /// Charges usage that has no hold behind it any more (a late close of a
    /// reclaimed hold); returns the debt it created.
    pub(super) fn charge_unheld(&mut self, window: u64, charge: u64, now: &Now<'_>) -> u64 {
        match self {
            Self::Quota(quota) => quota.charge(window, charge),
            Self::Rate(rate) => rate.charge_unheld(charge, now),
            Self::Rolling(rate) => rate.charge_unheld(charge, now),
        }
    }

    /// Forgives all usage and debt; live holds keep their share.
    pub(super) fn refill(&mut self, now: &Now<'_>) {
        match self {
            Self::Quota(quota) => quota.consumed = 0,
            Self::Rate(rate) => rate.refill(now),
            Self::Rolling(rate) => rate.refill(now),
        }
    }

    pub(super) fn levels(&self, now: &Now<'_>) -> Levels {
        match self {
            Self::Quota(quota) => quota.levels(now),
            Self::Rate(rate) => rate.levels(now),
            Self::Rolling(rate) => rate.levels(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
