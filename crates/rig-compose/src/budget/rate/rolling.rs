//! Sliding-window limiter with a fixed number of sub-buckets.

use std::time::Duration;

use super::RateLimitError;
use crate::budget::limit_config::{LimitConfigError, LimitParameter, duration_to_millis};

/// Sub-buckets used by [`RollingWindow::new`]: one per second for a
/// one-minute window.
pub const DEFAULT_ROLLING_BUCKETS: usize = 60;

/// The most sub-buckets a [`RollingWindow`] accepts, which bounds its memory
/// to a few tens of kilobytes.
pub const MAX_ROLLING_BUCKETS: usize = 3_600;

/// At most `max` units in any trailing window of `span_millis`, e.g.
/// "100 000 tokens per rolling minute".
///
/// Usage is recorded in a ring of equally sized sub-buckets aligned to the
/// Unix epoch, so memory is fixed no matter how many takes happen.
///
/// # Precision
///
/// A unit counts against the limit from the moment it is taken until the
/// whole sub-bucket holding it has slid out of the window: for at least
/// `span_millis` and less than `span_millis + bucket_millis` milliseconds.
/// The limiter therefore **never** admits more than `max` units within any
/// `span_millis` interval, and is at most one sub-bucket width stricter than
/// an exact log. More buckets mean finer precision at 8 bytes each.
///
/// Per-bucket counts saturate at `u64::MAX`; usage beyond that (only
/// reachable through `force_take`) is not remembered.
///
/// ```
/// use std::time::Duration;
/// use rig_compose::budget::{RateLimitError, RollingWindow};
///
/// // At most 100 units per rolling minute, tracked in 60 one-second buckets.
/// let mut per_minute = RollingWindow::new(100, Duration::from_secs(60))?;
/// assert_eq!(per_minute.bucket_millis(), 1_000);
///
/// let t0 = 1_700_000_000_000;
/// assert!(per_minute.try_take(70, t0).is_ok());
/// assert!(per_minute.try_take(30, t0 + 20_000).is_ok());
/// assert_eq!(per_minute.used(t0 + 30_000), 100);
///
/// // The first 70 units free up once their one-second bucket has left the
/// // trailing minute: 60.999 s after t0.
/// assert_eq!(
///     per_minute.try_take(50, t0 + 30_000),
///     Err(RateLimitError::RetryAfter { millis: 30_999 })
/// );
/// assert_eq!(per_minute.available(t0 + 60_999), 70);
/// # Ok::<(), rig_compose::budget::LimitConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollingWindow {
    max: u64,
    span_millis: u64,
    bucket_millis: u64,
    /// Ring of per-bucket usage; bucket number `b` lives at `b % len`. One
    /// more slot than the span needs, because a span that does not start on
    /// a bucket boundary touches one extra, partially expired bucket.
    counts: Vec<u64>,
    /// Bucket number held by the newest slot; the ring holds
    /// `newest_bucket - len + 1 ..= newest_bucket`.
    newest_bucket: u64,
}

impl RollingWindow {
    /// At most `max` units per trailing `span`, with
    /// [`DEFAULT_ROLLING_BUCKETS`] sub-buckets (fewer if `span` is shorter
    /// than that many milliseconds).
    ///
    /// # Errors
    ///
    /// [`LimitConfigError`] naming [`LimitParameter::Max`] if `max` is zero,
    /// or [`LimitParameter::RollingSpan`] if `span` is zero, below 1 ms or
    /// above `u64::MAX` ms.
    pub fn new(max: u64, span: Duration) -> Result<Self, LimitConfigError> {
        Self::with_buckets(max, span, DEFAULT_ROLLING_BUCKETS)
    }

    /// Like [`new`](Self::new) with an explicit number of sub-buckets.
    ///
    /// Bucket widths are whole milliseconds: the width is
    /// `ceil(span / buckets)`, and a bucket count above the span in
    /// milliseconds is lowered to one bucket per millisecond.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new), plus [`LimitParameter::Buckets`] when
    /// `buckets` is zero or above [`MAX_ROLLING_BUCKETS`].
    pub fn with_buckets(
        max: u64,
        span: Duration,
        buckets: usize,
    ) -> Result<Self, LimitConfigError> {
        if max == 0 {
            return Err(LimitConfigError::Zero {
                parameter: LimitParameter::Max,
            });
        }
        let span_millis = duration_to_millis(span, LimitParameter::RollingSpan)?;
        if buckets == 0 {
            return Err(LimitConfigError::Zero {
                parameter: LimitParameter::Buckets,
            });
        }
        if buckets > MAX_ROLLING_BUCKETS {
            return Err(LimitConfigError::TooLarge {
                parameter: LimitParameter::Buckets,
                value: u64::try_from(buckets).unwrap_or(u64::MAX),
                limit: MAX_ROLLING_BUCKETS as u64,
            });
        }
        let requested = u64::try_from(buckets).unwrap_or(u64::MAX).min(span_millis);
        let bucket_millis = span_millis.div_ceil(requested);
        // Rounding the width up can make fewer buckets enough to cover the span.
        let covering = span_millis.div_ceil(bucket_millis);
        let slots = usize::try_from(covering)
            .unwrap_or(MAX_ROLLING_BUCKETS)
            .saturating_add(1);
        Ok(Self {
            max,
            span_millis,
            bucket_millis,
            counts: vec![0; slots],
            newest_bucket: 0,
        })
    }

    /// The most units admitted within one window.
    pub const fn max(&self) -> u64 {
        self.max
    }

    /// Length of the trailing window in milliseconds.
    pub const fn span_millis(&self) -> u64 {
        self.span_millis
    }

    /// Width of one sub-bucket in milliseconds: the precision of the limiter.
    pub const fn bucket_millis(&self) -> u64 {
        self.bucket_millis
    }

    /// Number of sub-buckets covering one window.
    pub fn bucket_count(&self) -> usize {
        self.counts.len().saturating_sub(1)
    }

    /// Takes `amount` units if the window has room for them at `now_millis`.
    ///
    /// Taking zero units always succeeds and changes nothing.
    ///
    /// # Errors
    ///
    /// * [`RateLimitError::RetryAfter`] with the exact wait until enough
    ///   old usage has slid out of the window, if nothing else changes.
    /// * [`RateLimitError::ExceedsCapacity`] if `amount > max`.
    pub fn try_take(&mut self, amount: u64, now_millis: u64) -> Result<(), RateLimitError> {
        if amount == 0 {
            return Ok(());
        }
        if amount > self.max {
            return Err(RateLimitError::ExceedsCapacity {
                requested: amount,
                capacity: self.max,
            });
        }
        self.advance_to(now_millis);
        let used = self.used(now_millis);
        if used
            .checked_add(amount)
            .is_some_and(|total| total <= self.max)
        {
            self.add_to_newest(amount);
            return Ok(());
        }
        Err(RateLimitError::RetryAfter {
            millis: self.wait_for(amount, used, now_millis),
        })
    }

    /// Records `amount` units as used at `now_millis` even if that exceeds
    /// `max`, e.g. when a finished call reports more tokens than estimated.
    ///
    /// The excess is [`debt`](Self::debt): `try_take` refuses until the
    /// usage has slid out of the window.
    pub fn force_take(&mut self, amount: u64, now_millis: u64) {
        self.advance_to(now_millis);
        self.add_to_newest(amount);
    }

    /// Returns `amount` units that were taken but not used.
    ///
    /// The units are removed from the newest buckets first, matching the
    /// usual pattern of reserving an estimate and settling shortly after. At
    /// most the usage still inside the window is removed, so the allowance
    /// never rises above `max`.
    pub fn give_back(&mut self, amount: u64, now_millis: u64) {
        self.advance_to(now_millis);
        let mut remaining = amount;
        let (oldest, newest) = (self.first_counted(now_millis), self.newest_bucket);
        if oldest > newest {
            return;
        }
        for bucket in (oldest..=newest).rev() {
            if remaining == 0 {
                break;
            }
            if let Some(count) = self.slot_mut(bucket) {
                let removed = remaining.min(*count);
                *count -= removed;
                remaining -= removed;
            }
        }
    }

    /// Units counted against the window at `now_millis` (may exceed `max`
    /// after `force_take`).
    pub fn used(&self, now_millis: u64) -> u64 {
        let oldest = self.first_counted(now_millis);
        if oldest > self.newest_bucket {
            return 0;
        }
        (oldest..=self.newest_bucket)
            .filter_map(|bucket| self.slot(bucket))
            .fold(0u64, u64::saturating_add)
    }

    /// Units a `try_take` at `now_millis` could take (`0..=max`).
    pub fn available(&self, now_millis: u64) -> u64 {
        self.max.saturating_sub(self.used(now_millis))
    }

    /// Units counted beyond `max` at `now_millis` (only after `force_take`).
    pub fn debt(&self, now_millis: u64) -> u64 {
        self.used(now_millis).saturating_sub(self.max)
    }

    /// Forgets all recorded usage.
    pub fn reset(&mut self) {
        self.counts.fill(0);
    }

    fn slot_count(&self) -> u64 {
        u64::try_from(self.counts.len()).unwrap_or(u64::MAX).max(1)
    }

    fn slot_index(&self, bucket: u64) -> Option<usize> {
        usize::try_from(bucket % self.slot_count()).ok()
    }

    fn slot(&self, bucket: u64) -> Option<u64> {
        self.slot_index(bucket)
            .and_then(|index| self.counts.get(index))
            .copied()
    }

    fn slot_mut(&mut self, bucket: u64) -> Option<&mut u64> {
        self.slot_index(bucket)
            .and_then(|index| self.counts.get_mut(index))
    }

    /// The oldest bucket number that still counts at `now_millis`: the one
    /// containing the oldest millisecond of the window, `now - span + 1`,
    /// but never one that has already been recycled in the ring.
    fn first_counted(&self, now_millis: u64) -> u64 {
        let window_start = now_millis
            .saturating_add(1)
            .saturating_sub(self.span_millis);
        let oldest_kept = self.newest_bucket.saturating_sub(self.slot_count() - 1);
        (window_start / self.bucket_millis).max(oldest_kept)
    }

    /// Rotates the ring so its newest slot is the bucket of `now_millis`,
    /// zeroing the slots that are reused. A clock that went backwards keeps
    /// the current newest bucket, so late records stay counted longer.
    fn advance_to(&mut self, now_millis: u64) {
        let bucket = now_millis / self.bucket_millis;
        if bucket <= self.newest_bucket {
            return;
        }
        if bucket - self.newest_bucket >= self.slot_count() {
            self.counts.fill(0);
        } else {
            for stale in self.newest_bucket + 1..=bucket {
                if let Some(count) = self.slot_mut(stale) {
                    *count = 0;
                }
            }
        }
        self.newest_bucket = bucket;
    }

    fn add_to_newest(&mut self, amount: u64) {
        let newest = self.newest_bucket;
        if let Some(count) = self.slot_mut(newest) {
            *count = count.saturating_add(amount);
        }
    }

    /// Milliseconds until `used - (expired usage) + amount <= max`, given
    /// that `amount <= max` and no other changes happen. Buckets leave the
    /// window oldest first; bucket `b` stops counting at the first
    /// millisecond whose window starts past it: `(b + 1) * width + span - 1`.
    fn wait_for(&self, amount: u64, used: u64, now_millis: u64) -> u64 {
        let allowed_before = self.max - amount;
        let mut still_used = used;
        for bucket in self.first_counted(now_millis)..=self.newest_bucket {
            still_used = still_used.saturating_sub(self.slot(bucket).unwrap_or(0));
            if still_used <= allowed_before {
                let expires_at = bucket
                    .saturating_add(1)
                    .saturating_mul(self.bucket_millis)
                    .saturating_add(self.span_millis - 1);
                return expires_at.saturating_sub(now_millis).max(1);
            }
        }
        // Unreachable for consistent state: everything expires eventually.
        u64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Clock, ManualClock};
    use proptest::prelude::*;

    fn window(max: u64, span_millis: u64, buckets: usize) -> RollingWindow {
        RollingWindow::with_buckets(max, Duration::from_millis(span_millis), buckets).unwrap()
    }

    fn retry(millis: u64) -> Result<(), RateLimitError> {
        Err(RateLimitError::RetryAfter { millis })
    }

    #[test]
    fn invalid_parameters_are_rejected_by_name() {
        let zero = |parameter| Err(LimitConfigError::Zero { parameter });
        let minute = Duration::from_secs(60);
        assert_eq!(RollingWindow::new(0, minute), zero(LimitParameter::Max));
        assert_eq!(
            RollingWindow::new(1, Duration::ZERO),
            zero(LimitParameter::RollingSpan)
        );
        assert_eq!(
            RollingWindow::with_buckets(1, minute, 0),
            zero(LimitParameter::Buckets)
        );
        assert_eq!(
            RollingWindow::with_buckets(1, minute, MAX_ROLLING_BUCKETS + 1),
            Err(LimitConfigError::TooLarge {
                parameter: LimitParameter::Buckets,
                value: 3_601,
                limit: 3_600
            })
        );
        assert!(matches!(
            RollingWindow::new(1, Duration::from_nanos(1)),
            Err(LimitConfigError::SubMillisecond {
                parameter: LimitParameter::RollingSpan,
                ..
            })
        ));
        assert!(RollingWindow::with_buckets(1, minute, MAX_ROLLING_BUCKETS).is_ok());
    }

    #[test]
    fn bucket_geometry() {
        let default = RollingWindow::new(10, Duration::from_secs(60)).unwrap();
        assert_eq!(
            (default.bucket_millis(), default.bucket_count()),
            (1_000, 60)
        );
        // Short spans get at most one bucket per millisecond.
        let short = RollingWindow::new(10, Duration::from_millis(7)).unwrap();
        assert_eq!((short.bucket_millis(), short.bucket_count()), (1, 7));
        // Uneven splits round the width up; fewer buckets then cover the span.
        let uneven = window(10, 1_000, 300);
        assert_eq!((uneven.bucket_millis(), uneven.bucket_count()), (4, 250));
        assert_eq!(window(10, 1_000, 7).bucket_millis(), 143);
        assert_eq!(window(10, 1_000, 7).bucket_count(), 7);
        assert_eq!(default.max(), 10);
        assert_eq!(default.span_millis(), 60_000);
    }

    #[test]
    fn admits_up_to_max_then_refuses() {
        let clock = ManualClock::new(0);
        let mut limiter = window(10, 1_000, 10);
        assert_eq!(limiter.try_take(4, clock.now_millis()), Ok(()));
        clock.advance_millis(250);
        assert_eq!(limiter.try_take(6, clock.now_millis()), Ok(()));
        assert_eq!(limiter.used(clock.now_millis()), 10);
        assert_eq!(limiter.available(clock.now_millis()), 0);
        // The 4 units from bucket 0 (0..=99 ms) stop counting at 1099 ms.
        assert_eq!(limiter.try_take(1, clock.now_millis()), retry(849));
        assert_eq!(
            limiter.try_take(11, clock.now_millis()),
            Err(RateLimitError::ExceedsCapacity {
                requested: 11,
                capacity: 10
            })
        );
    }

    #[test]
    fn expiry_is_exact_at_the_boundary_millisecond() {
        let mut limiter = window(5, 1_000, 10);
        limiter.try_take(5, 0).unwrap();
        // Still inside the span: exactly max.
        assert_eq!(limiter.used(999), 5);
        // Past the span but within the conservative bucket tail.
        assert_eq!(limiter.used(1_098), 5);
        assert_eq!(limiter.try_take(1, 1_098), retry(1));
        // First millisecond after the whole of bucket 0 left the window.
        assert_eq!(limiter.used(1_099), 0);
        assert_eq!(limiter.try_take(5, 1_099), Ok(()));
    }

    #[test]
    fn usage_at_the_end_of_a_bucket_expires_exactly_one_span_later() {
        let mut limiter = window(5, 1_000, 10);
        limiter.try_take(5, 99).unwrap();
        assert_eq!(limiter.used(1_098), 5);
        assert_eq!(limiter.used(1_099), 0);
    }

    #[test]
    fn precision_with_one_millisecond_buckets_is_exact() {
        let mut limiter = window(3, 100, 100);
        limiter.try_take(3, 1_000).unwrap();
        assert_eq!(limiter.try_take(1, 1_099), retry(1));
        assert_eq!(limiter.try_take(3, 1_100), Ok(()));
    }

    #[test]
    fn sliding_frees_old_usage_gradually() {
        let mut limiter = window(10, 1_000, 10);
        for t in [0, 200, 400, 600, 800] {
            limiter.try_take(2, t).unwrap();
        }
        assert_eq!(limiter.used(999), 10);
        assert_eq!(limiter.used(1_099), 8);
        assert_eq!(limiter.used(1_299), 6);
        assert_eq!(limiter.used(1_899), 0);
        // Needing 5 units means waiting for three of the five takes to expire.
        assert_eq!(limiter.try_take(5, 1_000), retry(499));
    }

    #[test]
    fn long_idle_periods_clear_the_ring() {
        let mut limiter = window(10, 1_000, 10);
        limiter.try_take(10, 0).unwrap();
        assert_eq!(limiter.try_take(10, 1_000_000), Ok(()));
        assert_eq!(limiter.used(1_000_000), 10);
        // Slot reuse must not resurrect counts from a bucket one ring-length ago.
        let ring_len = limiter.bucket_count() as u64 + 1;
        assert_eq!(limiter.used(1_000_000 + ring_len * 100), 0);
    }

    #[test]
    fn force_take_records_debt_until_it_slides_out() {
        let mut limiter = window(10, 1_000, 10);
        limiter.force_take(25, 0);
        assert_eq!(limiter.used(0), 25);
        assert_eq!(limiter.debt(0), 15);
        assert_eq!(limiter.available(0), 0);
        assert_eq!(limiter.try_take(1, 500), retry(599));
        assert_eq!(limiter.debt(1_099), 0);
        assert_eq!(limiter.try_take(10, 1_099), Ok(()));
    }

    #[test]
    fn give_back_removes_newest_usage_first_and_never_goes_negative() {
        let mut limiter = window(10, 1_000, 10);
        limiter.try_take(3, 0).unwrap();
        limiter.try_take(6, 500).unwrap();
        limiter.give_back(4, 550);
        assert_eq!(limiter.used(550), 5);
        // The returned units came off the 500 ms bucket, so once the 0 ms
        // bucket expires only the 2 units left there remain.
        assert_eq!(limiter.used(1_099), 2);
        limiter.give_back(1_000, 1_099);
        assert_eq!(limiter.used(1_099), 0);
        assert_eq!(limiter.available(1_099), 10);
        assert_eq!(limiter.try_take(10, 1_099), Ok(()));
        assert_eq!(limiter.try_take(1, 1_099), retry(1_000));
    }

    #[test]
    fn give_back_ignores_usage_that_already_expired() {
        let mut limiter = window(10, 1_000, 10);
        limiter.try_take(5, 0).unwrap();
        limiter.try_take(5, 1_500).unwrap();
        limiter.give_back(7, 1_500);
        assert_eq!(limiter.used(1_500), 0);
        assert_eq!(limiter.available(1_500), 10);
    }

    #[test]
    fn zero_take_is_a_no_op() {
        let mut limiter = window(1, 1_000, 10);
        limiter.force_take(9, 0);
        let before = limiter.clone();
        assert_eq!(limiter.try_take(0, 5_000), Ok(()));
        assert_eq!(limiter, before);
    }

    #[test]
    fn reset_forgets_usage() {
        let mut limiter = window(10, 1_000, 10);
        limiter.force_take(50, 0);
        limiter.reset();
        assert_eq!(limiter.used(0), 0);
        assert_eq!(limiter.try_take(10, 0), Ok(()));
    }

    #[test]
    fn a_clock_that_steps_back_keeps_counting_conservatively() {
        let mut limiter = window(10, 1_000, 10);
        limiter.try_take(6, 5_000).unwrap();
        // Earlier reads still see the later usage.
        assert_eq!(limiter.used(4_500), 6);
        assert_eq!(limiter.try_take(4, 4_500), Ok(()));
        assert_eq!(limiter.try_take(1, 4_500), retry(1_599));
        assert_eq!(limiter.used(5_000), 10);
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let mut limiter = RollingWindow::with_buckets(
            u64::MAX,
            Duration::from_millis(u64::MAX),
            MAX_ROLLING_BUCKETS,
        )
        .unwrap();
        limiter.force_take(u64::MAX, u64::MAX);
        limiter.force_take(u64::MAX, u64::MAX);
        assert_eq!(limiter.used(u64::MAX), u64::MAX);
        assert!(limiter.try_take(1, u64::MAX).is_err());
        limiter.give_back(u64::MAX, u64::MAX);
        assert_eq!(limiter.try_take(u64::MAX, u64::MAX), Ok(()));
        assert!(limiter.try_take(u64::MAX, 0).is_err());

        let mut tiny = window(1, 1, 1);
        tiny.try_take(1, u64::MAX).unwrap();
        assert_eq!(tiny.try_take(1, u64::MAX), retry(1));
        assert_eq!(tiny.used(u64::MAX), 1);
        assert_eq!(tiny.try_take(1, 0), retry(u64::MAX));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Take(u64),
        Force(u64),
        Wait(u64),
    }

    fn ops(max_wait: u64) -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![
                4 => (1u64..12).prop_map(Op::Take),
                1 => (0u64..8).prop_map(Op::Force),
                3 => (0..max_wait).prop_map(Op::Wait),
            ],
            1..100,
        )
    }

    fn geometry() -> impl Strategy<Value = (u64, u64, usize)> {
        (1u64..30, 1u64..2_000, 1usize..80)
    }

    proptest! {
        /// Whenever try_take admits, everything consumed in the trailing
        /// span (forced usage included) is within max; in particular the
        /// admitted units alone never exceed max in any span.
        #[test]
        fn never_admits_more_than_max_per_span(
            (max, span, buckets) in geometry(),
            start in 0u64..1_000_000_000_000,
            script in ops(400),
        ) {
            let mut limiter = window(max, span, buckets);
            let mut now = start;
            let mut log: Vec<(u64, u64)> = Vec::new();
            for op in script {
                match op {
                    Op::Take(n) => {
                        if limiter.try_take(n, now).is_ok() {
                            log.push((now, n));
                            let in_span: u64 = log
                                .iter()
                                .filter(|(t, _)| now - t < span)
                                .map(|(_, n)| n)
                                .sum();
                            prop_assert!(in_span <= max, "{} > {} at {}", in_span, max, now);
                        }
                    }
                    Op::Force(n) => {
                        limiter.force_take(n, now);
                        log.push((now, n));
                    }
                    Op::Wait(ms) => now += ms,
                }
            }
        }

        /// `used` is between the exact trailing-span sum and the sum over
        /// the span widened by one bucket: the documented precision.
        #[test]
        fn used_is_within_one_bucket_of_exact(
            (max, span, buckets) in geometry(),
            start in 0u64..1_000_000_000_000,
            script in ops(600),
        ) {
            let mut limiter = window(max, span, buckets);
            let width = limiter.bucket_millis();
            let mut now = start;
            let mut log: Vec<(u64, u64)> = Vec::new();
            for op in script {
                match op {
                    Op::Take(n) => {
                        if limiter.try_take(n, now).is_ok() {
                            log.push((now, n));
                        }
                    }
                    Op::Force(n) => {
                        limiter.force_take(n, now);
                        log.push((now, n));
                    }
                    Op::Wait(ms) => now += ms,
                }
                let sum_within = |len: u64| -> u64 {
                    log.iter().filter(|(t, _)| now - t < len).map(|(_, n)| n).sum()
                };
                let used = limiter.used(now);
                prop_assert!(sum_within(span) <= used);
                prop_assert!(used <= sum_within(span + width - 1));
            }
        }

        /// A refusal's retry-after is the first millisecond that works.
        #[test]
        fn retry_after_is_tight(
            (max, span, buckets) in geometry(),
            start in 0u64..1_000_000_000_000,
            script in ops(300),
            amount in 1u64..30,
        ) {
            let mut limiter = window(max, span, buckets);
            let mut now = start;
            for op in script {
                match op {
                    Op::Take(n) => { let _ = limiter.try_take(n, now); }
                    Op::Force(n) => limiter.force_take(n, now),
                    Op::Wait(ms) => now += ms,
                }
            }
            let mut probe = limiter.clone();
            match probe.try_take(amount, now) {
                Ok(()) => prop_assert!(amount <= limiter.available(now)),
                Err(RateLimitError::ExceedsCapacity { .. }) => prop_assert!(amount > max),
                Err(RateLimitError::RetryAfter { millis }) => {
                    prop_assert!(amount > limiter.available(now));
                    let mut too_early = limiter.clone();
                    prop_assert!(too_early.try_take(amount, now + millis - 1).is_err());
                    prop_assert!(limiter.try_take(amount, now + millis).is_ok());
                }
            }
        }

        /// give_back never pushes availability above max and exactly undoes
        /// a take made at the same instant.
        #[test]
        fn give_back_undoes_a_take(
            (max, span, buckets) in geometry(),
            prior in 0u64..40,
            amount in 0u64..30,
            extra in 0u64..100,
            now in 0u64..1_000_000,
        ) {
            let mut limiter = window(max, span, buckets);
            limiter.force_take(prior, now);
            let before = limiter.used(now);
            if limiter.try_take(amount, now).is_ok() {
                prop_assert_eq!(limiter.used(now), before + amount);
                limiter.give_back(amount, now);
                prop_assert_eq!(limiter.used(now), before);
            }
            limiter.give_back(extra, now);
            prop_assert!(limiter.available(now) <= max);
            prop_assert_eq!(limiter.used(now), prior.saturating_sub(extra));
        }
    }
}
