//! Rate limiters for per-minute style limits (tokens per minute, requests
//! per minute, ...).
//!
//! Both limiters are plain state machines: they hold no lock and read no
//! clock. Every method takes the current time as `now_millis` (milliseconds
//! since the Unix epoch, usually from a [`Clock`](crate::budget::Clock)), so
//! the caller decides how to share them and tests can replay any timeline.
//!
//! * [`Gcra`] — a refilling bucket (generic cell rate algorithm): up to
//!   `burst` units at once, refilled continuously at `rate` units per
//!   period. Constant memory, exact integer arithmetic.
//! * [`RollingWindow`] — at most `max` units in any trailing window, tracked
//!   in a fixed number of sub-buckets. Never admits more than `max` in a
//!   window; may be slightly stricter than an exact log (see its docs).
//!
//! Both share the same vocabulary: `try_take` admits or refuses with a
//! [`RateLimitError`], `force_take` records usage that has already happened
//! even beyond the limit (the excess is a debt that later refusals pay off),
//! `give_back` returns units that were taken but not used, and `available`
//! tells how many units would be admitted right now.

mod gcra;
mod rolling;

use std::time::Duration;

pub use gcra::Gcra;
pub use rolling::{DEFAULT_ROLLING_BUCKETS, MAX_ROLLING_BUCKETS, RollingWindow};

/// Why a rate limiter refused a `try_take`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RateLimitError {
    /// Not enough allowance right now. Retrying the same amount after
    /// `millis` milliseconds succeeds, provided nothing else is taken or
    /// given back in the meantime.
    #[error("rate limited: retry after {millis} ms")]
    RetryAfter {
        /// Milliseconds to wait; always at least 1.
        millis: u64,
    },
    /// The request is larger than the limiter could ever admit at once, so
    /// waiting will not help; split it or use `force_take`.
    #[error("request of {requested} units exceeds the limit capacity of {capacity} units")]
    ExceedsCapacity {
        /// The refused amount.
        requested: u64,
        /// The most the limiter admits in one go (burst or max).
        capacity: u64,
    },
}

impl RateLimitError {
    /// The suggested wait in milliseconds, or `None` if waiting cannot help.
    pub const fn retry_after_millis(&self) -> Option<u64> {
        match self {
            Self::RetryAfter { millis } => Some(*millis),
            Self::ExceedsCapacity { .. } => None,
        }
    }

    /// The suggested wait as a [`Duration`], or `None` if waiting cannot help.
    pub const fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RetryAfter { millis } => Some(Duration::from_millis(*millis)),
            Self::ExceedsCapacity { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accessors() {
        let wait = RateLimitError::RetryAfter { millis: 1_500 };
        assert_eq!(wait.retry_after_millis(), Some(1_500));
        assert_eq!(wait.retry_after(), Some(Duration::from_millis(1_500)));
        assert_eq!(wait.to_string(), "rate limited: retry after 1500 ms");

        let never = RateLimitError::ExceedsCapacity {
            requested: 11,
            capacity: 10,
        };
        assert_eq!(never.retry_after_millis(), None);
        assert_eq!(never.retry_after(), None);
        assert_eq!(
            never.to_string(),
            "request of 11 units exceeds the limit capacity of 10 units"
        );
    }
}
