//! Refilling bucket implemented with the generic cell rate algorithm.

use std::time::Duration;

use super::RateLimitError;
use crate::budget::limit_config::{LimitConfigError, LimitParameter, duration_to_millis};

/// A refilling bucket: holds up to `burst` units and refills `rate` units
/// per `period`, continuously rather than in steps.
///
/// Internally this is GCRA: instead of a counter that must be topped up, it
/// remembers the *theoretical arrival time* — the moment the bucket would be
/// full again — and derives everything from that one number. To keep
/// fractional refill rates exact without floats, time is measured in ticks:
/// one millisecond is `rate` ticks and one unit costs `period_millis` ticks,
/// so `rate` units cost exactly one `period`. Ticks are `u128`, which holds
/// any `u64 × u64` product.
///
/// The bucket starts full. Over any interval of `L` ms it admits at most
/// `burst + rate × L / period_millis` units (net of `give_back`).
///
/// Debt is tracked in the same `u128` tick counter. Only with rates and
/// timestamps both near `u64::MAX` can it overflow; the counter then pins at
/// its maximum and the limiter refuses everything until [`reset`](Self::reset),
/// so overflow can only make it stricter, never more permissive.
///
/// ```
/// use std::time::Duration;
/// use rig_compose::budget::{Gcra, RateLimitError};
///
/// // 10 requests per second, bursts of up to 5.
/// let mut limiter = Gcra::new(10, Duration::from_secs(1), 5)?;
///
/// let t0 = 1_700_000_000_000;
/// assert!(limiter.try_take(5, t0).is_ok()); // the whole burst at once
/// assert_eq!(
///     limiter.try_take(1, t0),
///     Err(RateLimitError::RetryAfter { millis: 100 }) // one unit refills every 100 ms
/// );
/// assert_eq!(limiter.available(t0 + 300), 3);
///
/// // Usage that already happened is recorded even past the limit...
/// limiter.force_take(8, t0 + 300);
/// assert_eq!(limiter.debt(t0 + 300), 5);
/// // ...and has to be paid back by time before anything else is admitted:
/// // 5 units of debt plus the unit asked for take 600 ms to refill.
/// assert_eq!(limiter.try_take(1, t0 + 300), Err(RateLimitError::RetryAfter { millis: 600 }));
/// # Ok::<(), rig_compose::budget::LimitConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gcra {
    rate: u64,
    period_millis: u64,
    burst: u64,
    /// Theoretical arrival time in ticks: when the bucket is full again.
    /// Anything at or before "now" means the bucket is full.
    full_at_ticks: u128,
}

impl Gcra {
    /// A bucket of `burst` units refilling `rate` units per `period`.
    ///
    /// Sub-millisecond parts of `period` are dropped.
    ///
    /// # Errors
    ///
    /// [`LimitConfigError`] naming [`LimitParameter::Rate`],
    /// [`LimitParameter::RefillPeriod`] or [`LimitParameter::Burst`] when
    /// that argument is zero, or the period is below 1 ms or above
    /// `u64::MAX` ms.
    pub fn new(rate: u64, period: Duration, burst: u64) -> Result<Self, LimitConfigError> {
        let period_millis = duration_to_millis(period, LimitParameter::RefillPeriod)?;
        Self::with_period_millis(rate, period_millis, burst)
    }

    /// Like [`new`](Self::new) with the period given in milliseconds.
    ///
    /// # Errors
    ///
    /// [`LimitConfigError::Zero`] naming the first zero argument.
    pub fn with_period_millis(
        rate: u64,
        period_millis: u64,
        burst: u64,
    ) -> Result<Self, LimitConfigError> {
        for (value, parameter) in [
            (rate, LimitParameter::Rate),
            (period_millis, LimitParameter::RefillPeriod),
            (burst, LimitParameter::Burst),
        ] {
            if value == 0 {
                return Err(LimitConfigError::Zero { parameter });
            }
        }
        Ok(Self {
            rate,
            period_millis,
            burst,
            full_at_ticks: 0,
        })
    }

    /// `rate` units per second with bursts of up to `burst`.
    ///
    /// # Errors
    ///
    /// [`LimitConfigError::Zero`] if `rate` or `burst` is zero.
    pub fn per_second(rate: u64, burst: u64) -> Result<Self, LimitConfigError> {
        Self::with_period_millis(rate, 1_000, burst)
    }

    /// `rate` units per minute with bursts of up to `burst`.
    ///
    /// # Errors
    ///
    /// [`LimitConfigError::Zero`] if `rate` or `burst` is zero.
    pub fn per_minute(rate: u64, burst: u64) -> Result<Self, LimitConfigError> {
        Self::with_period_millis(rate, 60_000, burst)
    }

    /// Units refilled per period.
    pub const fn rate(&self) -> u64 {
        self.rate
    }

    /// The refill period in milliseconds.
    pub const fn period_millis(&self) -> u64 {
        self.period_millis
    }

    /// Capacity: the most units available at once.
    pub const fn burst(&self) -> u64 {
        self.burst
    }

    /// Takes `amount` units if they are all available at `now_millis`.
    ///
    /// Taking zero units always succeeds and changes nothing.
    ///
    /// # Errors
    ///
    /// * [`RateLimitError::RetryAfter`] with the exact wait after which the
    ///   same request fits, if nothing else changes in between.
    /// * [`RateLimitError::ExceedsCapacity`] if `amount > burst`.
    pub fn try_take(&mut self, amount: u64, now_millis: u64) -> Result<(), RateLimitError> {
        if amount == 0 {
            return Ok(());
        }
        if amount > self.burst {
            return Err(RateLimitError::ExceedsCapacity {
                requested: amount,
                capacity: self.burst,
            });
        }
        if self.is_pinned() {
            return Err(RateLimitError::RetryAfter { millis: u64::MAX });
        }
        let now = self.ticks_at(now_millis);
        let cost = self.cost(amount);
        // `cost <= capacity` because `amount <= burst`; the headroom is what
        // may already be outstanding for this request to still fit.
        let headroom = self.capacity_ticks() - cost;
        let outstanding = self.full_at_ticks.saturating_sub(now);
        if outstanding <= headroom {
            self.full_at_ticks = self.full_at_ticks.max(now).saturating_add(cost);
            return Ok(());
        }
        // Here `full_at_ticks > now + headroom`. The request fits once
        // `full_at_ticks - later <= headroom`, i.e. at the first millisecond
        // whose tick count reaches `full_at_ticks - headroom`.
        let earliest_ticks = self.full_at_ticks - headroom;
        let earliest_millis = earliest_ticks.div_ceil(u128::from(self.rate));
        let wait = earliest_millis.saturating_sub(u128::from(now_millis));
        Err(RateLimitError::RetryAfter {
            millis: u64::try_from(wait).unwrap_or(u64::MAX).max(1),
        })
    }

    /// Records `amount` units as used at `now_millis` whether or not they
    /// fit, e.g. when the real token count of a finished call exceeded its
    /// estimate.
    ///
    /// Usage beyond the allowance becomes [`debt`](Self::debt): later
    /// `try_take` calls are refused until the refill has paid it off.
    /// Extreme debt saturates rather than wrapping.
    pub fn force_take(&mut self, amount: u64, now_millis: u64) {
        let now = self.ticks_at(now_millis);
        self.full_at_ticks = self
            .full_at_ticks
            .max(now)
            .saturating_add(self.cost(amount));
    }

    /// Returns `amount` units taken earlier but not used. Pays off debt
    /// first; the bucket never holds more than `burst`, so excess returns
    /// are dropped.
    pub fn give_back(&mut self, amount: u64, now_millis: u64) {
        if self.is_pinned() {
            // The true debt is unknown beyond the counter's range; stay shut.
            return;
        }
        let now = self.ticks_at(now_millis);
        self.full_at_ticks = self
            .full_at_ticks
            .max(now)
            .saturating_sub(self.cost(amount))
            .max(now);
    }

    /// Units a `try_take` at `now_millis` could take (`0..=burst`).
    pub fn available(&self, now_millis: u64) -> u64 {
        let outstanding = self.outstanding_ticks(now_millis);
        let free = self.capacity_ticks().saturating_sub(outstanding);
        // At most `burst`, since `free <= burst * period_millis`.
        u64::try_from(free / u128::from(self.period_millis)).unwrap_or(self.burst)
    }

    /// Units used beyond the allowance (through `force_take`) that the
    /// refill has not yet paid back at `now_millis`, rounded up; `u64::MAX`
    /// once debt has overflowed (see the type docs).
    pub fn debt(&self, now_millis: u64) -> u64 {
        if self.is_pinned() {
            return u64::MAX;
        }
        let over = self
            .outstanding_ticks(now_millis)
            .saturating_sub(self.capacity_ticks());
        u64::try_from(over.div_ceil(u128::from(self.period_millis))).unwrap_or(u64::MAX)
    }

    /// The first millisecond (not before `now_millis`) at which the bucket
    /// is full again, saturating at `u64::MAX`.
    pub fn full_at(&self, now_millis: u64) -> u64 {
        let full = self.full_at_ticks.div_ceil(u128::from(self.rate));
        u64::try_from(full).unwrap_or(u64::MAX).max(now_millis)
    }

    /// Forgets all usage and debt: the bucket is full again.
    pub fn reset(&mut self) {
        self.full_at_ticks = 0;
    }

    fn ticks_at(&self, now_millis: u64) -> u128 {
        u128::from(now_millis) * u128::from(self.rate)
    }

    fn cost(&self, amount: u64) -> u128 {
        u128::from(amount) * u128::from(self.period_millis)
    }

    fn capacity_ticks(&self) -> u128 {
        self.cost(self.burst)
    }

    /// Whether debt overflowed the tick counter (see the type docs).
    fn is_pinned(&self) -> bool {
        self.full_at_ticks == u128::MAX
    }

    /// Ticks of refill still owed at `now_millis` (0 when the bucket is full).
    fn outstanding_ticks(&self, now_millis: u64) -> u128 {
        if self.is_pinned() {
            return u128::MAX;
        }
        self.full_at_ticks.saturating_sub(self.ticks_at(now_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Clock, ManualClock};
    use proptest::prelude::*;

    fn retry(millis: u64) -> Result<(), RateLimitError> {
        Err(RateLimitError::RetryAfter { millis })
    }

    #[test]
    fn zero_parameters_are_rejected_by_name() {
        let zero = |parameter| Err(LimitConfigError::Zero { parameter });
        assert_eq!(
            Gcra::with_period_millis(0, 1_000, 1),
            zero(LimitParameter::Rate)
        );
        assert_eq!(
            Gcra::with_period_millis(1, 0, 1),
            zero(LimitParameter::RefillPeriod)
        );
        assert_eq!(
            Gcra::with_period_millis(1, 1_000, 0),
            zero(LimitParameter::Burst)
        );
        assert_eq!(
            Gcra::new(1, Duration::ZERO, 1),
            zero(LimitParameter::RefillPeriod)
        );
        assert_eq!(Gcra::per_minute(0, 5), zero(LimitParameter::Rate));
        assert!(matches!(
            Gcra::new(1, Duration::from_micros(10), 1),
            Err(LimitConfigError::SubMillisecond {
                parameter: LimitParameter::RefillPeriod,
                ..
            })
        ));
    }

    #[test]
    fn accessors_report_configuration() {
        let limiter = Gcra::per_minute(600, 20).unwrap();
        assert_eq!(limiter.rate(), 600);
        assert_eq!(limiter.period_millis(), 60_000);
        assert_eq!(limiter.burst(), 20);
        assert_eq!(Gcra::per_second(3, 1).unwrap().period_millis(), 1_000);
    }

    #[test]
    fn starts_full_and_admits_the_whole_burst() {
        let clock = ManualClock::new(5_000);
        let mut limiter = Gcra::per_second(1, 10).unwrap();
        assert_eq!(limiter.available(clock.now_millis()), 10);
        for _ in 0..10 {
            assert_eq!(limiter.try_take(1, clock.now_millis()), Ok(()));
        }
        assert_eq!(limiter.available(clock.now_millis()), 0);
        assert_eq!(limiter.try_take(1, clock.now_millis()), retry(1_000));
    }

    #[test]
    fn steady_rate_admits_one_unit_per_emission_interval() {
        let clock = ManualClock::new(0);
        // 4 per second, no burst beyond one unit: one every 250 ms.
        let mut limiter = Gcra::per_second(4, 1).unwrap();
        let mut admitted = 0;
        for _ in 0..4_000 {
            if limiter.try_take(1, clock.now_millis()).is_ok() {
                admitted += 1;
            }
            clock.advance_millis(1);
        }
        // t = 0, 250, ..., 3750.
        assert_eq!(admitted, 16);
    }

    #[test]
    fn fractional_rates_stay_exact() {
        // 3 units per 1000 ms: 333.33 ms per unit, no drift over time.
        let clock = ManualClock::new(0);
        let mut limiter = Gcra::per_second(3, 1).unwrap();
        let mut admitted = 0u64;
        for _ in 0..30_000 {
            if limiter.try_take(1, clock.now_millis()).is_ok() {
                admitted += 1;
            }
            clock.advance_millis(1);
        }
        assert_eq!(admitted, 90);
    }

    #[test]
    fn retry_after_is_exact_to_the_millisecond() {
        let mut limiter = Gcra::per_second(3, 3).unwrap();
        assert_eq!(limiter.try_take(3, 0), Ok(()));
        // Two units need 2000/3 = 666.67 ms of refill: ready at 667 ms.
        assert_eq!(limiter.try_take(2, 100), retry(567));
        let mut early = limiter.clone();
        assert_eq!(early.try_take(2, 666), retry(1));
        assert_eq!(limiter.try_take(2, 667), Ok(()));
    }

    #[test]
    fn larger_than_burst_can_never_be_admitted() {
        let mut limiter = Gcra::per_second(100, 10).unwrap();
        assert_eq!(
            limiter.try_take(11, 0),
            Err(RateLimitError::ExceedsCapacity {
                requested: 11,
                capacity: 10
            })
        );
        assert_eq!(limiter.available(0), 10, "a refused take must not consume");
    }

    #[test]
    fn zero_take_is_a_no_op_even_in_debt() {
        let mut limiter = Gcra::per_second(1, 1).unwrap();
        limiter.force_take(5, 0);
        let before = limiter.clone();
        assert_eq!(limiter.try_take(0, 0), Ok(()));
        assert_eq!(limiter, before);
    }

    #[test]
    fn give_back_restores_allowance_but_never_above_burst() {
        let mut limiter = Gcra::per_second(1, 10).unwrap();
        limiter.try_take(8, 0).unwrap();
        assert_eq!(limiter.available(0), 2);
        limiter.give_back(5, 0);
        assert_eq!(limiter.available(0), 7);
        limiter.give_back(1_000, 0);
        assert_eq!(limiter.available(0), 10);
        // A full bucket stays at burst even after time passes.
        limiter.give_back(u64::MAX, 50_000);
        assert_eq!(limiter.available(50_000), 10);
        assert_eq!(limiter.try_take(10, 50_000), Ok(()));
        assert_eq!(limiter.try_take(1, 50_000), retry(1_000));
    }

    #[test]
    fn force_take_creates_debt_that_time_pays_back() {
        let clock = ManualClock::new(0);
        let mut limiter = Gcra::per_second(10, 10).unwrap();
        limiter.force_take(25, clock.now_millis());
        assert_eq!(limiter.available(clock.now_millis()), 0);
        assert_eq!(limiter.debt(clock.now_millis()), 15);
        // 15 units of debt plus 1 unit to take: 1.6 s at 100 ms per unit.
        assert_eq!(limiter.try_take(1, clock.now_millis()), retry(1_600));

        clock.advance_millis(1_500);
        assert_eq!(limiter.debt(clock.now_millis()), 0);
        assert_eq!(limiter.available(clock.now_millis()), 0);
        clock.advance_millis(100);
        assert_eq!(limiter.try_take(1, clock.now_millis()), Ok(()));
        // Full again once all 26 units have refilled: 2.6 s after the start.
        assert_eq!(limiter.full_at(clock.now_millis()), 2_600);
    }

    #[test]
    fn partial_debt_rounds_up() {
        let mut limiter = Gcra::per_second(10, 1).unwrap();
        limiter.force_take(3, 0);
        assert_eq!(limiter.debt(0), 2);
        assert_eq!(limiter.debt(50), 2); // 1.5 units still owed
        assert_eq!(limiter.debt(100), 1);
        assert_eq!(limiter.debt(200), 0);
    }

    #[test]
    fn give_back_pays_off_debt_first() {
        let mut limiter = Gcra::per_second(1, 5).unwrap();
        limiter.force_take(9, 0);
        assert_eq!(limiter.debt(0), 4);
        limiter.give_back(6, 0);
        assert_eq!(limiter.debt(0), 0);
        assert_eq!(limiter.available(0), 2);
    }

    #[test]
    fn reset_refills_everything() {
        let mut limiter = Gcra::per_second(1, 5).unwrap();
        limiter.force_take(100, 10);
        limiter.reset();
        assert_eq!(limiter.available(10), 5);
        assert_eq!(limiter.debt(10), 0);
    }

    #[test]
    fn a_clock_that_steps_back_only_makes_the_limiter_stricter() {
        let mut limiter = Gcra::per_second(1, 2).unwrap();
        limiter.try_take(2, 10_000).unwrap();
        assert_eq!(limiter.available(5_000), 0);
        assert_eq!(limiter.try_take(1, 5_000), retry(6_000));
        assert_eq!(limiter.debt(5_000), 5);
    }

    #[test]
    fn extreme_values_saturate_without_panicking() {
        let mut limiter = Gcra::with_period_millis(u64::MAX, u64::MAX, u64::MAX).unwrap();
        assert_eq!(limiter.available(u64::MAX), u64::MAX);
        limiter.force_take(u64::MAX, 0);
        assert_eq!(limiter.available(0), 0);
        assert_eq!(limiter.available(u64::MAX), u64::MAX);
        // This forced take overflows the tick counter: pinned shut.
        limiter.force_take(u64::MAX, u64::MAX);
        limiter.force_take(u64::MAX, u64::MAX);
        assert_eq!(limiter.try_take(1, u64::MAX), retry(u64::MAX));
        assert_eq!(limiter.available(u64::MAX), 0);
        assert_eq!(limiter.debt(u64::MAX), u64::MAX);
        limiter.give_back(u64::MAX, 0);
        assert_eq!(
            limiter.available(u64::MAX),
            0,
            "overflowed debt is never forgiven"
        );
        assert_eq!(limiter.full_at(0), u64::MAX);
        limiter.reset();
        assert_eq!(limiter.available(0), u64::MAX);

        let mut slow = Gcra::with_period_millis(1, u64::MAX, 2).unwrap();
        slow.try_take(2, 0).unwrap();
        assert_eq!(slow.try_take(1, 0), retry(u64::MAX));
        slow.force_take(u64::MAX, u64::MAX);
        assert_eq!(slow.debt(u64::MAX), u64::MAX);
        assert_eq!(slow.full_at(0), u64::MAX);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Take(u64),
        Force(u64),
        Wait(u64),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![
                4 => (1u64..8).prop_map(Op::Take),
                1 => (0u64..6).prop_map(Op::Force),
                3 => (0u64..700).prop_map(Op::Wait),
            ],
            1..80,
        )
    }

    proptest! {
        /// Over every interval [t_i, t_j] that ends with an admission, the
        /// units consumed (admitted or forced) never exceed
        /// burst + rate * (t_j - t_i) / period: forced usage may overshoot,
        /// but only at the cost of later admissions.
        #[test]
        fn never_exceeds_burst_plus_refill(
            rate in 1u64..20,
            period in 1u64..2_000,
            burst in 1u64..10,
            start in 0u64..1_000_000_000_000,
            script in ops(),
        ) {
            let mut limiter = Gcra::with_period_millis(rate, period, burst).unwrap();
            let mut now = start;
            // (time, units, admitted by try_take rather than forced)
            let mut consumed: Vec<(u64, u64, bool)> = Vec::new();
            for op in script {
                match op {
                    Op::Take(n) => {
                        if limiter.try_take(n, now).is_ok() {
                            consumed.push((now, n, true));
                        }
                    }
                    Op::Force(n) => {
                        limiter.force_take(n, now);
                        consumed.push((now, n, false));
                    }
                    Op::Wait(ms) => now += ms,
                }
            }
            for i in 0..consumed.len() {
                let mut total = 0u128;
                for &(t, n, admitted) in &consumed[i..] {
                    total += u128::from(n);
                    if !admitted {
                        continue;
                    }
                    let elapsed = u128::from(t - consumed[i].0);
                    // total <= burst + rate * elapsed / period, kept exact.
                    prop_assert!(
                        total * u128::from(period)
                            <= u128::from(burst) * u128::from(period) + u128::from(rate) * elapsed,
                        "{} units between {} and {}", total, consumed[i].0, t
                    );
                }
            }
        }

        /// A refusal's retry-after is the exact first millisecond that works.
        #[test]
        fn retry_after_is_tight(
            rate in 1u64..50,
            period in 1u64..5_000,
            burst in 1u64..20,
            forced in 0u64..40,
            taken in 0u64..20,
            amount in 1u64..20,
            now in 0u64..10_000_000,
        ) {
            let mut limiter = Gcra::with_period_millis(rate, period, burst).unwrap();
            limiter.force_take(forced, now);
            let _ = limiter.try_take(taken, now);
            let mut probe = limiter.clone();
            match probe.try_take(amount, now) {
                Ok(()) => prop_assert!(amount <= limiter.available(now)),
                Err(RateLimitError::ExceedsCapacity { .. }) => prop_assert!(amount > burst),
                Err(RateLimitError::RetryAfter { millis }) => {
                    prop_assert!(millis >= 1);
                    prop_assert!(amount > limiter.available(now));
                    let mut too_early = limiter.clone();
                    prop_assert!(too_early.try_take(amount, now + millis - 1).is_err());
                    prop_assert!(limiter.available(now + millis) >= amount);
                    prop_assert!(limiter.try_take(amount, now + millis).is_ok());
                }
            }
        }

        /// give_back never lifts the allowance above burst and is the
        /// inverse of a successful take.
        #[test]
        fn give_back_undoes_a_take(
            rate in 1u64..50,
            burst in 1u64..50,
            amount in 0u64..50,
            extra in 0u64..100,
            now in 0u64..10_000_000,
        ) {
            let mut limiter = Gcra::with_period_millis(rate, 1_000, burst).unwrap();
            let before = limiter.available(now);
            if limiter.try_take(amount, now).is_ok() {
                prop_assert_eq!(limiter.available(now), before - amount);
                limiter.give_back(amount, now);
                prop_assert_eq!(limiter.available(now), before);
            }
            limiter.give_back(extra, now);
            prop_assert!(limiter.available(now) <= burst);
        }
    }
}
