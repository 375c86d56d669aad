//! What a budget node limits: a quota per accounting window, or a rate.

use crate::budget::{Gcra, LimitKind, RollingWindow, Window};

/// The limit one [`Budget`](super::Budget) node enforces.
///
/// * [`Limit::Quota`] — at most `capacity` units per [`Window`] (or for the
///   budget's lifetime with [`Window::Unbounded`]). Usage beyond a hold's
///   estimate is still charged and shows up as debt until the window resets
///   or the budget is refilled.
/// * [`Limit::Rate`] — a refilling bucket ([`Gcra`]), e.g. tokens per minute
///   with a burst allowance.
/// * [`Limit::Rolling`] — at most `max` units in any trailing span
///   ([`RollingWindow`]).
///
/// Rate limiters are given in their initial state; the budget takes
/// ownership of the copy and updates it under its own lock.
///
/// ```
/// use std::time::Duration;
/// use rig_compose::budget::{Gcra, Limit, LimitKind, RollingWindow, Window};
///
/// let daily = Limit::quota(1_000_000, Window::per_day());
/// assert_eq!(daily.kind(), LimitKind::Quota);
/// assert_eq!(daily.capacity(), 1_000_000);
///
/// let tpm: Limit = Gcra::per_minute(90_000, 90_000)?.into();
/// assert_eq!(tpm.kind(), LimitKind::Rate);
///
/// let rpm: Limit = RollingWindow::new(60, Duration::from_secs(60))?.into();
/// assert_eq!(rpm.capacity(), 60);
/// # Ok::<(), rig_compose::budget::LimitConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limit {
    /// At most `capacity` units per window.
    Quota {
        /// Units available in each window.
        capacity: u64,
        /// When usage resets.
        window: Window,
    },
    /// A refilling bucket.
    Rate(Gcra),
    /// A trailing-window limit.
    Rolling(RollingWindow),
}

impl Limit {
    /// A quota of `capacity` units per `window`.
    pub const fn quota(capacity: u64, window: Window) -> Self {
        Self::Quota { capacity, window }
    }

    /// The most units the limit can hold at once: the quota capacity, the
    /// bucket's burst, or the rolling window's maximum.
    pub fn capacity(&self) -> u64 {
        match self {
            Self::Quota { capacity, .. } => *capacity,
            Self::Rate(gcra) => gcra.burst(),
            Self::Rolling(rolling) => rolling.max(),
        }
    }

    /// The kind of limit, as reported in a [`Denial`](crate::budget::Denial).
    ///
    /// A budget counting [`ToolCalls`](crate::budget::BudgetUnit::ToolCalls)
    /// or [`Requests`](crate::budget::BudgetUnit::Requests) reports its quota
    /// as [`LimitKind::CallCount`] instead (see
    /// [`Budget::limit_kind`](super::Budget::limit_kind)).
    pub const fn kind(&self) -> LimitKind {
        match self {
            Self::Quota { .. } => LimitKind::Quota,
            Self::Rate(_) => LimitKind::Rate,
            Self::Rolling(_) => LimitKind::RollingWindow,
        }
    }
}

impl From<Gcra> for Limit {
    fn from(limiter: Gcra) -> Self {
        Self::Rate(limiter)
    }
}

impl From<RollingWindow> for Limit {
    fn from(limiter: RollingWindow) -> Self {
        Self::Rolling(limiter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn capacity_and_kind_follow_the_variant() {
        let quota = Limit::quota(7, Window::Unbounded);
        assert_eq!((quota.capacity(), quota.kind()), (7, LimitKind::Quota));
        let rate = Limit::from(Gcra::per_second(5, 9).unwrap());
        assert_eq!((rate.capacity(), rate.kind()), (9, LimitKind::Rate));
        let rolling = Limit::from(RollingWindow::new(11, Duration::from_secs(1)).unwrap());
        assert_eq!(
            (rolling.capacity(), rolling.kind()),
            (11, LimitKind::RollingWindow)
        );
    }
}
