//! Time sources for the budget engine.
//!
//! Everything time-dependent in [`budget`](crate::budget) reads the time as
//! whole milliseconds since the Unix epoch through [`Clock`], so production
//! code can use the wall clock while tests drive a [`ManualClock`] and get
//! fully deterministic windows and refills.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of "now", in milliseconds since 1970-01-01T00:00:00Z.
///
/// Implementations must be cheap to call; limiters read the clock on every
/// admission decision. A clock that steps backwards is tolerated by all
/// consumers in this module (they never panic), but limits are only
/// meaningful for clocks that are mostly monotonic.
pub trait Clock: Send + Sync + Debug {
    /// The current time in milliseconds since the Unix epoch.
    fn now_millis(&self) -> u64;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now_millis(&self) -> u64 {
        (**self).now_millis()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now_millis(&self) -> u64 {
        (**self).now_millis()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now_millis(&self) -> u64 {
        (**self).now_millis()
    }
}

/// The operating system's wall clock.
///
/// Times before the epoch read as `0` and times beyond `u64::MAX`
/// milliseconds read as `u64::MAX`, so the value is always usable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            })
    }
}

/// A clock that only moves when told to, for tests and simulations.
///
/// Clones share the same underlying time, so a test can hand one clone to
/// the code under test and advance another.
///
/// ```
/// use std::time::Duration;
/// use rig_compose::budget::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_000);
/// let seen_by_engine = clock.clone();
///
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(seen_by_engine.now_millis(), 3_000);
///
/// clock.set_millis(10);
/// assert_eq!(seen_by_engine.now_millis(), 10);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock that reads `start_millis` until moved.
    pub fn new(start_millis: u64) -> Self {
        Self {
            millis: Arc::new(AtomicU64::new(start_millis)),
        }
    }

    /// Moves the clock forward by `by`, saturating at `u64::MAX` ms.
    ///
    /// Sub-millisecond parts of `by` are dropped.
    pub fn advance(&self, by: Duration) {
        self.advance_millis(u64::try_from(by.as_millis()).unwrap_or(u64::MAX));
    }

    /// Moves the clock forward by `millis`, saturating at `u64::MAX`.
    pub fn advance_millis(&self, millis: u64) {
        // fetch_update only fails when the closure returns None, which this
        // closure never does; the result carries nothing else of interest.
        let _ = self
            .millis
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                Some(current.saturating_add(millis))
            });
    }

    /// Sets the clock to an absolute time, which may be in the past.
    pub fn set_millis(&self, millis: u64) {
        self.millis.store(millis, Ordering::Release);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> u64 {
        self.millis.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_starts_where_told_and_defaults_to_epoch() {
        assert_eq!(ManualClock::new(42).now_millis(), 42);
        assert_eq!(ManualClock::default().now_millis(), 0);
    }

    #[test]
    fn manual_clock_clones_share_time() {
        let a = ManualClock::new(0);
        let b = a.clone();
        a.advance_millis(7);
        b.advance(Duration::from_millis(3));
        assert_eq!(a.now_millis(), 10);
        assert_eq!(b.now_millis(), 10);
    }

    #[test]
    fn manual_clock_drops_sub_millisecond_parts() {
        let clock = ManualClock::new(0);
        clock.advance(Duration::from_micros(1_999));
        assert_eq!(clock.now_millis(), 1);
    }

    #[test]
    fn manual_clock_saturates_instead_of_wrapping() {
        let clock = ManualClock::new(u64::MAX - 5);
        clock.advance_millis(100);
        assert_eq!(clock.now_millis(), u64::MAX);
        clock.advance(Duration::MAX);
        assert_eq!(clock.now_millis(), u64::MAX);
    }

    #[test]
    fn manual_clock_can_be_set_backwards() {
        let clock = ManualClock::new(500);
        clock.set_millis(100);
        assert_eq!(clock.now_millis(), 100);
    }

    #[test]
    fn system_clock_is_after_2020_and_non_decreasing_in_practice() {
        // 2020-01-01T00:00:00Z; any real machine running these tests is later.
        let first = SystemClock.now_millis();
        assert!(first > 1_577_836_800_000, "system clock reads {first}");
        let second = SystemClock.now_millis();
        assert!(second + 1_000 >= first);
    }

    #[test]
    fn wrappers_delegate_to_the_inner_clock() {
        let manual = ManualClock::new(9);
        let shared: Arc<dyn Clock> = Arc::new(manual.clone());
        let boxed: Box<dyn Clock> = Box::new(manual.clone());
        manual.advance_millis(1);
        assert_eq!(shared.now_millis(), 10);
        assert_eq!(boxed.now_millis(), 10);
        fn read(clock: impl Clock) -> u64 {
            clock.now_millis()
        }
        assert_eq!(read(&manual), 10);
    }
}
