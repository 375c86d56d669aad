//! The error returned when a window or rate limiter is configured with
//! parameters that cannot describe a real limit.

use std::fmt;

/// Names the constructor argument that [`LimitConfigError`] complains about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitParameter {
    /// The length of a fixed [`Window`](crate::budget::Window).
    WindowPeriod,
    /// The number of units a [`Gcra`](crate::budget::Gcra) refills per period.
    Rate,
    /// The refill period of a [`Gcra`](crate::budget::Gcra).
    RefillPeriod,
    /// The capacity of a [`Gcra`](crate::budget::Gcra).
    Burst,
    /// The most units a [`RollingWindow`](crate::budget::RollingWindow) admits per window.
    Max,
    /// The trailing span of a [`RollingWindow`](crate::budget::RollingWindow).
    RollingSpan,
    /// The number of sub-buckets of a [`RollingWindow`](crate::budget::RollingWindow).
    Buckets,
}

impl LimitParameter {
    /// The argument name as it appears in the constructors.
    pub const fn name(self) -> &'static str {
        match self {
            Self::WindowPeriod => "window period",
            Self::Rate => "rate",
            Self::RefillPeriod => "refill period",
            Self::Burst => "burst",
            Self::Max => "max",
            Self::RollingSpan => "rolling window span",
            Self::Buckets => "bucket count",
        }
    }
}

impl fmt::Display for LimitParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A window or rate limiter was given a parameter it cannot work with.
///
/// Construction is the only place these limits can fail; once built, every
/// method accepts any input without panicking.
///
/// ```
/// use std::time::Duration;
/// use rig_compose::budget::{Gcra, LimitConfigError, LimitParameter};
///
/// let err = Gcra::new(0, Duration::from_secs(1), 10).unwrap_err();
/// assert_eq!(err, LimitConfigError::Zero { parameter: LimitParameter::Rate });
/// assert_eq!(err.to_string(), "invalid rate: must be greater than zero");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum LimitConfigError {
    /// The parameter was zero (or a zero duration).
    #[error("invalid {parameter}: must be greater than zero")]
    Zero {
        /// Which argument was zero.
        parameter: LimitParameter,
    },
    /// A duration was positive but shorter than the 1 ms resolution the
    /// limiters work at.
    #[error("invalid {parameter}: {nanos} ns is below the 1 ms resolution")]
    SubMillisecond {
        /// Which argument was too short.
        parameter: LimitParameter,
        /// The rejected duration in nanoseconds.
        nanos: u32,
    },
    /// The parameter exceeds the largest value the limiter supports.
    #[error("invalid {parameter}: {value} exceeds the supported maximum of {limit}")]
    TooLarge {
        /// Which argument was too large.
        parameter: LimitParameter,
        /// The rejected value (saturated to `u64::MAX` for huge durations),
        /// in the argument's own unit (milliseconds for durations).
        value: u64,
        /// The largest accepted value.
        limit: u64,
    },
}

/// Converts a configuration duration to whole milliseconds, rejecting zero,
/// sub-millisecond and out-of-range values so the limiters never divide by
/// zero or silently truncate.
pub(crate) fn duration_to_millis(
    duration: std::time::Duration,
    parameter: LimitParameter,
) -> Result<u64, LimitConfigError> {
    if duration.is_zero() {
        return Err(LimitConfigError::Zero { parameter });
    }
    let millis = duration.as_millis();
    if millis == 0 {
        return Err(LimitConfigError::SubMillisecond {
            parameter,
            nanos: duration.subsec_nanos(),
        });
    }
    u64::try_from(millis).map_err(|_| LimitConfigError::TooLarge {
        parameter,
        value: u64::MAX,
        limit: u64::MAX,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_convert_or_name_the_parameter() {
        assert_eq!(
            duration_to_millis(Duration::from_millis(1500), LimitParameter::RefillPeriod),
            Ok(1500)
        );
        // Sub-millisecond remainders are truncated only when at least 1 ms remains.
        assert_eq!(
            duration_to_millis(Duration::from_micros(2999), LimitParameter::RefillPeriod),
            Ok(2)
        );
        assert_eq!(
            duration_to_millis(Duration::ZERO, LimitParameter::RollingSpan),
            Err(LimitConfigError::Zero {
                parameter: LimitParameter::RollingSpan
            })
        );
        assert_eq!(
            duration_to_millis(Duration::from_micros(250), LimitParameter::WindowPeriod),
            Err(LimitConfigError::SubMillisecond {
                parameter: LimitParameter::WindowPeriod,
                nanos: 250_000
            })
        );
        assert!(matches!(
            duration_to_millis(Duration::MAX, LimitParameter::WindowPeriod),
            Err(LimitConfigError::TooLarge {
                parameter: LimitParameter::WindowPeriod,
                ..
            })
        ));
    }

    #[test]
    fn messages_name_the_parameter() {
        let err = LimitConfigError::SubMillisecond {
            parameter: LimitParameter::WindowPeriod,
            nanos: 10,
        };
        assert_eq!(
            err.to_string(),
            "invalid window period: 10 ns is below the 1 ms resolution"
        );
        let err = LimitConfigError::TooLarge {
            parameter: LimitParameter::Buckets,
            value: 9000,
            limit: 3600,
        };
        assert_eq!(
            err.to_string(),
            "invalid bucket count: 9000 exceeds the supported maximum of 3600"
        );
    }
}
