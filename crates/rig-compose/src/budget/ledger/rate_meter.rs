//! A rate limiter as a budget level: the limiter decides admission and
//! refills over time; the meter adds the sum of live holds on top.

use super::meter::{Closed, Levels, Shortfall};
use super::now::Now;
use crate::budget::{Gcra, RateLimitError, RollingWindow};

/// What the budget needs from a rate limiter. Both limiters in
/// [`rate`](crate::budget::Gcra) have these operations; the trait only
/// lets one meter drive either.
pub(super) trait Limiter {
    fn capacity(&self) -> u64;
    /// `(available, debt)` at `now`, computed together because the rolling
    /// window derives both from one pass over its buckets.
    fn standing(&self, now: u64) -> (u64, u64);
    fn try_take(&mut self, amount: u64, now: u64) -> Result<(), RateLimitError>;
    fn force_take(&mut self, amount: u64, now: u64);
    fn give_back(&mut self, amount: u64, now: u64);
    fn reset(&mut self);
    /// When the limiter has no usage left to pay back, if it knows.
    fn clear_at(&self, now: u64) -> Option<u64>;
}

impl Limiter for Gcra {
    fn capacity(&self) -> u64 {
        self.burst()
    }

    fn standing(&self, now: u64) -> (u64, u64) {
        (self.available(now), self.debt(now))
    }

    fn try_take(&mut self, amount: u64, now: u64) -> Result<(), RateLimitError> {
        Gcra::try_take(self, amount, now)
    }

    fn force_take(&mut self, amount: u64, now: u64) {
        Gcra::force_take(self, amount, now);
    }

    fn give_back(&mut self, amount: u64, now: u64) {
        Gcra::give_back(self, amount, now);
    }

    fn reset(&mut self) {
        Gcra::reset(self);
    }

    fn clear_at(&self, now: u64) -> Option<u64> {
        Some(self.full_at(now))
    }
}

impl Limiter for RollingWindow {
    fn capacity(&self) -> u64 {
        self.max()
    }

    fn standing(&self, now: u64) -> (u64, u64) {
        let used = self.used(now);
        (
            self.max().saturating_sub(used),
            used.saturating_sub(self.max()),
        )
    }

    fn try_take(&mut self, amount: u64, now: u64) -> Result<(), RateLimitError> {
        RollingWindow::try_take(self, amount, now)
    }

    fn force_take(&mut self, amount: u64, now: u64) {
        RollingWindow::force_take(self, amount, now);
    }

    fn give_back(&mut self, amount: u64, now: u64) {
        RollingWindow::give_back(self, amount, now);
    }

    fn reset(&mut self) {
        RollingWindow::reset(self);
    }

    fn clear_at(&self, _now: u64) -> Option<u64> {
        // Usage leaves bucket by bucket; there is no single reset instant.
        None
    }
}

/// A rate limiter plus the live holds it carries.
#[derive(Debug)]
pub(super) struct RateMeter<L> {
    limiter: L,
    held: u64,
}

impl<L: Limiter> RateMeter<L> {
    pub(super) fn new(limiter: L) -> Self {
        Self { limiter, held: 0 }
    }

    pub(super) fn check(&mut self, amount: u64, now: &Now<'_>) -> Result<(), Shortfall> {
        let now = now.get();
        let (available, debt) = self.limiter.standing(now);
        if available >= amount && debt == 0 {
            return Ok(());
        }
        // `available < amount` (or debt, which leaves nothing available)
        // means this take fails and changes nothing; it is asked only for
        // the exact retry time.
        let retry = self.limiter.try_take(amount, now).err();
        Err(Shortfall {
            available,
            retry_at_millis: retry
                .and_then(|err| err.retry_after_millis())
                .map(|wait| now.saturating_add(wait)),
        })
    }

    /// Takes `amount` that `check` found room for. `force_take` of an
    /// amount that fits is exactly a successful `try_take`, and cannot fail
    /// halfway through a chain.
    pub(super) fn hold(&mut self, amount: u64, now: &Now<'_>) {
        self.limiter.force_take(amount, now.get());
        self.held = self.held.saturating_add(amount);
    }

    pub(super) fn close(&mut self, amount: u64, charge: u64, now: &Now<'_>) -> Closed {
        self.held = self.held.saturating_sub(amount);
        let now = now.get();
        if charge <= amount {
            // Giving back can only reduce debt.
            let refunded = amount - charge;
            self.limiter.give_back(refunded, now);
            return Closed {
                refunded,
                debt_incurred: 0,
            };
        }
        Closed {
            refunded: 0,
            debt_incurred: self.force_and_measure(charge - amount, now),
        }
    }

    pub(super) fn reclaim(&mut self, amount: u64, now: &Now<'_>) {
        self.held = self.held.saturating_sub(amount);
        self.limiter.give_back(amount, now.get());
    }

    pub(super) fn charge_unheld(&mut self, charge: u64, now: &Now<'_>) -> u64 {
        if charge == 0 {
            return 0;
        }
        self.force_and_measure(charge, now.get())
    }

    /// Records `amount` of usage; returns the debt it added.
    fn force_and_measure(&mut self, amount: u64, now: u64) -> u64 {
        let (_, before) = self.limiter.standing(now);
        self.limiter.force_take(amount, now);
        let (_, after) = self.limiter.standing(now);
        after.saturating_sub(before)
    }

    pub(super) fn refill(&mut self, now: &Now<'_>) {
        self.limiter.reset();
        self.limiter.force_take(self.held, now.get());
    }

    pub(super) fn levels(&self, now: &Now<'_>) -> Levels {
        let now = now.get();
        let capacity = self.limiter.capacity();
        let (available, debt) = self.limiter.standing(now);
        // What the limiter is missing is the live holds plus recent usage
        // it has not refilled (or slid out) yet.
        let used = capacity.saturating_sub(available).saturating_add(debt);
        Levels {
            capacity,
            available,
            held: self.held,
            consumed: used.saturating_sub(self.held),
            debt,
            resets_at_millis: if used > 0 {
                self.limiter.clear_at(now)
            } else {
                None
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn gcra_meter_gives_back_refunds_and_forces_overage() {
        let mut meter = RateMeter::new(Gcra::per_second(10, 10).unwrap());
        let now = Now::fixed(0);
        assert_eq!(meter.check(10, &now), Ok(()));
        meter.hold(10, &now);
        let denied = meter.check(1, &now).unwrap_err();
        assert_eq!(denied.available, 0);
        assert_eq!(denied.retry_at_millis, Some(100));
        meter.close(10, 4, &now);
        assert_eq!(meter.levels(&now).available, 6);
        assert_eq!(meter.levels(&now).held, 0);
        meter.hold(6, &now);
        assert_eq!(meter.close(6, 9, &now).debt_incurred, 3);
        assert_eq!(meter.levels(&now).debt, 3);
        assert_eq!(meter.levels(&now).resets_at_millis, Some(1_300));
        assert!(meter.check(0, &now).is_err(), "debt refuses empty requests");
    }

    #[test]
    fn rolling_meter_reclaims_and_refills() {
        let limiter = RollingWindow::new(5, Duration::from_secs(1)).unwrap();
        let mut meter = RateMeter::new(limiter);
        let now = Now::fixed(0);
        meter.hold(5, &now);
        assert_eq!(meter.levels(&now).held, 5);
        meter.reclaim(5, &now);
        assert_eq!(meter.levels(&now).available, 5);
        meter.hold(3, &now);
        assert_eq!(meter.charge_unheld(9, &now), 7);
        assert_eq!(meter.charge_unheld(0, &now), 0);
        assert_eq!(meter.levels(&now).debt, 7);
        meter.refill(&now);
        let levels = meter.levels(&now);
        assert_eq!((levels.held, levels.available, levels.debt), (3, 2, 0));
        assert_eq!(levels.resets_at_millis, None);
    }

    #[test]
    fn a_request_above_capacity_has_no_retry_time() {
        let mut meter = RateMeter::new(Gcra::per_second(1, 2).unwrap());
        let refused = meter.check(3, &Now::fixed(0)).unwrap_err();
        assert_eq!(refused.retry_at_millis, None);
        assert_eq!(meter.levels(&Now::fixed(0)).capacity, 2);
    }
}
