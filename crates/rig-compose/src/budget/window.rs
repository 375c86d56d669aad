//! Accounting windows: how a budget's usage is bucketed over time.

use std::fmt;
use std::num::NonZeroU64;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::calendar::{MILLIS_PER_DAY, YearMonth};
use super::limit_config::{LimitConfigError, LimitParameter, duration_to_millis};

const MILLIS_PER_MINUTE: NonZeroU64 = non_zero(60_000);
const MILLIS_PER_HOUR: NonZeroU64 = non_zero(3_600_000);
const MILLIS_PER_DAY_NZ: NonZeroU64 = non_zero(MILLIS_PER_DAY);

/// Const helper for the period constants above; every caller passes a
/// non-zero literal, so the fallback is never taken.
const fn non_zero(millis: u64) -> NonZeroU64 {
    match NonZeroU64::new(millis) {
        Some(value) => value,
        None => NonZeroU64::MIN,
    }
}

/// The period after which a budget's usage starts again from zero.
///
/// Time is split into consecutive, non-overlapping windows. Each window has a
/// number ([`index_at`](Self::index_at)), a first millisecond
/// ([`starts_at`](Self::starts_at)) and the first millisecond of the next
/// window ([`resets_at`](Self::resets_at)); a window covers
/// `starts_at(now) ..= resets_at(now) - 1`, so a timestamp exactly on a
/// boundary already belongs to the new window.
///
/// Fixed windows are aligned to the Unix epoch (a `per_hour` window starts on
/// the hour, UTC). Calendar months follow the proleptic Gregorian calendar in
/// UTC, with leap years, from 1970-01 onwards.
///
/// ```
/// use rig_compose::budget::Window;
///
/// // 2024-02-29T12:00:00Z, inside a leap-year February.
/// let now = 1_709_208_000_000;
///
/// let monthly = Window::CalendarMonthUtc;
/// assert_eq!(monthly.starts_at(now), 1_706_745_600_000); // 2024-02-01T00:00:00Z
/// assert_eq!(monthly.resets_at(now), Some(1_709_251_200_000)); // 2024-03-01T00:00:00Z
/// assert_eq!(monthly.index_at(now), 54 * 12 + 1); // months since 1970-01
///
/// let hourly = Window::per_hour();
/// assert_eq!(hourly.resets_at(now), Some(now + 3_600_000));
/// assert_eq!(hourly.index_at(now - 1) + 1, hourly.index_at(now)); // `now` is on the hour
///
/// assert_eq!(Window::Unbounded.resets_at(now), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Window {
    /// One window for all time: usage never resets.
    #[default]
    Unbounded,
    /// Consecutive windows of `period_millis` milliseconds, aligned to the
    /// Unix epoch. The period is non-zero by construction, so no window can
    /// be empty.
    Fixed {
        /// Length of each window in milliseconds.
        period_millis: NonZeroU64,
    },
    /// Calendar months in UTC: each window starts at 00:00:00.000 on the
    /// first day of a month.
    CalendarMonthUtc,
}

impl Window {
    /// Fixed windows of one minute, starting on the minute.
    pub const fn per_minute() -> Self {
        Self::Fixed {
            period_millis: MILLIS_PER_MINUTE,
        }
    }

    /// Fixed windows of one hour, starting on the hour (UTC).
    pub const fn per_hour() -> Self {
        Self::Fixed {
            period_millis: MILLIS_PER_HOUR,
        }
    }

    /// Fixed windows of one day, starting at midnight UTC.
    pub const fn per_day() -> Self {
        Self::Fixed {
            period_millis: MILLIS_PER_DAY_NZ,
        }
    }

    /// Fixed windows of an arbitrary length, aligned to the Unix epoch.
    ///
    /// Sub-millisecond parts are dropped.
    ///
    /// # Errors
    ///
    /// [`LimitConfigError`] naming [`LimitParameter::WindowPeriod`] when
    /// `period` is zero, shorter than 1 ms, or longer than `u64::MAX` ms.
    pub fn every(period: Duration) -> Result<Self, LimitConfigError> {
        Self::every_millis(duration_to_millis(period, LimitParameter::WindowPeriod)?)
    }

    /// Fixed windows of `period_millis` milliseconds.
    ///
    /// # Errors
    ///
    /// [`LimitConfigError::Zero`] naming [`LimitParameter::WindowPeriod`]
    /// when `period_millis` is zero.
    pub fn every_millis(period_millis: u64) -> Result<Self, LimitConfigError> {
        NonZeroU64::new(period_millis)
            .map(|period_millis| Self::Fixed { period_millis })
            .ok_or(LimitConfigError::Zero {
                parameter: LimitParameter::WindowPeriod,
            })
    }

    /// The length of a fixed window, or `None` for windows without a
    /// constant length (unbounded, calendar months).
    pub const fn period_millis(&self) -> Option<u64> {
        match self {
            Self::Fixed { period_millis } => Some(period_millis.get()),
            Self::Unbounded | Self::CalendarMonthUtc => None,
        }
    }

    /// Whether usage under this window ever resets.
    pub const fn is_unbounded(&self) -> bool {
        matches!(self, Self::Unbounded)
    }

    /// The number of the window containing `now_millis`.
    ///
    /// Window numbers grow by one from each window to the next and never
    /// decrease as time moves forward: fixed windows count periods since the
    /// epoch, calendar months count months since January 1970 (January
    /// 1970 is `0`), and the unbounded window is always `0`. Comparing the
    /// number stored with some usage against the current number is how a
    /// budget notices that a reset is due.
    pub fn index_at(&self, now_millis: u64) -> u64 {
        match self {
            Self::Unbounded => 0,
            Self::Fixed { period_millis } => now_millis / period_millis.get(),
            Self::CalendarMonthUtc => month_of(now_millis).months_since_epoch(),
        }
    }

    /// The first millisecond of the window containing `now_millis`
    /// (`0` for the unbounded window). Always `<= now_millis`.
    pub fn starts_at(&self, now_millis: u64) -> u64 {
        match self {
            Self::Unbounded => 0,
            Self::Fixed { period_millis } => now_millis - now_millis % period_millis.get(),
            Self::CalendarMonthUtc => {
                // Cannot overflow: the month starts no later than `now_millis`.
                month_of(now_millis)
                    .first_day_since_epoch()
                    .saturating_mul(MILLIS_PER_DAY)
            }
        }
    }

    /// The first millisecond of the window after the one containing
    /// `now_millis`, i.e. when usage resets. Always `> now_millis`.
    ///
    /// `None` for the unbounded window, and when the next window would start
    /// beyond `u64::MAX` milliseconds (about the year 584 million), i.e. the
    /// current window never ends in representable time.
    pub fn resets_at(&self, now_millis: u64) -> Option<u64> {
        match self {
            Self::Unbounded => None,
            Self::Fixed { period_millis } => {
                self.starts_at(now_millis).checked_add(period_millis.get())
            }
            Self::CalendarMonthUtc => month_of(now_millis)
                .next()
                .first_day_since_epoch()
                .checked_mul(MILLIS_PER_DAY),
        }
    }

    /// Milliseconds from `now_millis` until [`resets_at`](Self::resets_at),
    /// or `None` when the window never resets.
    pub fn millis_until_reset(&self, now_millis: u64) -> Option<u64> {
        self.resets_at(now_millis)
            .map(|reset| reset.saturating_sub(now_millis))
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unbounded => f.write_str("unbounded"),
            Self::Fixed { period_millis } => write!(f, "every {period_millis} ms"),
            Self::CalendarMonthUtc => f.write_str("calendar month (UTC)"),
        }
    }
}

fn month_of(now_millis: u64) -> YearMonth {
    YearMonth::containing_day(now_millis / MILLIS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::super::calendar::reference;
    use super::*;
    use proptest::prelude::*;

    /// Milliseconds of 00:00:00Z on the given date, from the naive oracle.
    fn utc(year: u64, month: u64, day: u64) -> u64 {
        let mut days = day - 1;
        for y in 1970..year {
            days += if reference::is_leap(y) { 366 } else { 365 };
        }
        for m in 1..month {
            days += reference::days_in_month(year, m);
        }
        days * MILLIS_PER_DAY
    }

    #[test]
    fn named_constructors_have_the_expected_periods() {
        assert_eq!(Window::per_minute().period_millis(), Some(60_000));
        assert_eq!(Window::per_hour().period_millis(), Some(3_600_000));
        assert_eq!(Window::per_day().period_millis(), Some(86_400_000));
        assert_eq!(
            Window::every(Duration::from_secs(90))
                .unwrap()
                .period_millis(),
            Some(90_000)
        );
        assert_eq!(Window::CalendarMonthUtc.period_millis(), None);
        assert_eq!(Window::default(), Window::Unbounded);
        assert!(Window::Unbounded.is_unbounded());
        assert!(!Window::per_day().is_unbounded());
    }

    #[test]
    fn zero_and_sub_millisecond_periods_are_rejected() {
        let zero = LimitConfigError::Zero {
            parameter: LimitParameter::WindowPeriod,
        };
        assert_eq!(Window::every(Duration::ZERO), Err(zero));
        assert_eq!(Window::every_millis(0), Err(zero));
        assert!(matches!(
            Window::every(Duration::from_nanos(999_999)),
            Err(LimitConfigError::SubMillisecond {
                parameter: LimitParameter::WindowPeriod,
                ..
            })
        ));
    }

    #[test]
    fn fixed_window_boundary_millisecond_belongs_to_the_new_window() {
        let window = Window::every_millis(1_000).unwrap();
        assert_eq!(window.index_at(999), 0);
        assert_eq!(window.index_at(1_000), 1);
        assert_eq!(window.starts_at(999), 0);
        assert_eq!(window.starts_at(1_000), 1_000);
        assert_eq!(window.resets_at(999), Some(1_000));
        assert_eq!(window.resets_at(1_000), Some(2_000));
        assert_eq!(window.millis_until_reset(999), Some(1));
        assert_eq!(window.millis_until_reset(1_000), Some(1_000));
    }

    #[test]
    fn per_day_aligns_to_utc_midnight() {
        let window = Window::per_day();
        let noon = utc(2023, 7, 14) + 12 * 3_600_000;
        assert_eq!(window.starts_at(noon), utc(2023, 7, 14));
        assert_eq!(window.resets_at(noon), Some(utc(2023, 7, 15)));
    }

    #[test]
    fn fixed_window_never_resets_past_the_end_of_time() {
        let window = Window::per_hour();
        assert_eq!(window.resets_at(u64::MAX), None);
        assert_eq!(window.millis_until_reset(u64::MAX), None);
        assert_eq!(window.index_at(u64::MAX), u64::MAX / 3_600_000);
        let whole = Window::every_millis(u64::MAX).unwrap();
        assert_eq!(whole.index_at(u64::MAX - 1), 0);
        assert_eq!(whole.resets_at(u64::MAX - 1), Some(u64::MAX));
        assert_eq!(whole.index_at(u64::MAX), 1);
    }

    #[test]
    fn unbounded_window_is_a_single_window() {
        for now in [0, 1, 1_700_000_000_000, u64::MAX] {
            assert_eq!(Window::Unbounded.index_at(now), 0);
            assert_eq!(Window::Unbounded.starts_at(now), 0);
            assert_eq!(Window::Unbounded.resets_at(now), None);
        }
    }

    #[test]
    fn calendar_month_at_the_epoch() {
        let month = Window::CalendarMonthUtc;
        assert_eq!(month.index_at(0), 0);
        assert_eq!(month.starts_at(0), 0);
        assert_eq!(month.resets_at(0), Some(utc(1970, 2, 1)));
        assert_eq!(month.resets_at(0), Some(31 * MILLIS_PER_DAY));
    }

    #[test]
    fn calendar_month_boundaries_are_exact_to_the_millisecond() {
        let month = Window::CalendarMonthUtc;
        let march = utc(2024, 3, 1);
        assert_eq!(month.index_at(march - 1), 54 * 12 + 1);
        assert_eq!(month.index_at(march), 54 * 12 + 2);
        assert_eq!(month.resets_at(march - 1), Some(march));
        assert_eq!(month.starts_at(march), march);
        assert_eq!(month.resets_at(march), Some(utc(2024, 4, 1)));
    }

    #[test]
    fn calendar_month_lengths_follow_leap_rules() {
        let month = Window::CalendarMonthUtc;
        let feb_len = |year| {
            let start = utc(year, 2, 1);
            (month.resets_at(start).unwrap() - start) / MILLIS_PER_DAY
        };
        assert_eq!(feb_len(2023), 28);
        assert_eq!(feb_len(2024), 29);
        assert_eq!(feb_len(2100), 28); // divisible by 100, not by 400
        assert_eq!(feb_len(2000), 29); // divisible by 400
        assert_eq!(feb_len(2400), 29);
        for (m, days) in [
            (1, 31),
            (4, 30),
            (6, 30),
            (7, 31),
            (8, 31),
            (9, 30),
            (11, 30),
            (12, 31),
        ] {
            let start = utc(2025, m, 1);
            assert_eq!(
                month.resets_at(start),
                Some(start + days * MILLIS_PER_DAY),
                "month {m}"
            );
        }
    }

    #[test]
    fn calendar_month_crosses_year_boundaries() {
        let month = Window::CalendarMonthUtc;
        let new_year = utc(2026, 1, 1);
        assert_eq!(month.resets_at(new_year - 1), Some(new_year));
        assert_eq!(month.starts_at(new_year - 1), utc(2025, 12, 1));
        assert_eq!(month.index_at(new_year) - month.index_at(new_year - 1), 1);
    }

    #[test]
    fn calendar_month_in_year_9999() {
        let month = Window::CalendarMonthUtc;
        let last_ms = 253_402_300_800_000 - 1; // 9999-12-31T23:59:59.999Z
        assert_eq!(month.starts_at(last_ms), utc(9999, 12, 1));
        assert_eq!(month.resets_at(last_ms), Some(253_402_300_800_000));
        assert_eq!(month.index_at(last_ms), (9999 - 1970) * 12 + 11);
    }

    #[test]
    fn calendar_month_near_u64_max_does_not_overflow() {
        let month = Window::CalendarMonthUtc;
        assert_eq!(month.resets_at(u64::MAX), None);
        // The last representable month starts within the last 31 days.
        let start = month.starts_at(u64::MAX);
        assert!(u64::MAX - start < 31 * MILLIS_PER_DAY);
        assert_eq!(month.starts_at(start), start);
        assert!(month.index_at(u64::MAX) > month.index_at(u64::MAX / 2));
    }

    #[test]
    fn display_describes_the_window() {
        assert_eq!(Window::Unbounded.to_string(), "unbounded");
        assert_eq!(Window::per_minute().to_string(), "every 60000 ms");
        assert_eq!(Window::CalendarMonthUtc.to_string(), "calendar month (UTC)");
    }

    #[test]
    fn serde_representation_is_tagged_and_rejects_zero_periods() {
        let json = serde_json::to_value(Window::per_minute()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "fixed", "period_millis": 60_000})
        );
        let json = serde_json::to_value(Window::CalendarMonthUtc).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "calendar_month_utc"}));
        let back: Window = serde_json::from_str(r#"{"kind":"unbounded"}"#).unwrap();
        assert_eq!(back, Window::Unbounded);
        let zero = serde_json::from_str::<Window>(r#"{"kind":"fixed","period_millis":0}"#);
        assert!(zero.is_err());
    }

    fn any_window() -> impl Strategy<Value = Window> {
        prop_oneof![
            Just(Window::Unbounded),
            Just(Window::CalendarMonthUtc),
            (1u64..=u64::MAX).prop_map(|p| Window::every_millis(p).unwrap()),
            (1u64..100_000).prop_map(|p| Window::every_millis(p).unwrap()),
        ]
    }

    proptest! {
        #[test]
        fn resets_after_now_and_starts_at_or_before(window in any_window(), now in any::<u64>()) {
            let start = window.starts_at(now);
            prop_assert!(start <= now);
            if let Some(reset) = window.resets_at(now) {
                prop_assert!(reset > now);
                // The window is a single index from start to reset - 1.
                prop_assert_eq!(window.index_at(start), window.index_at(now));
                prop_assert_eq!(window.index_at(reset - 1), window.index_at(now));
                if !window.is_unbounded() {
                    prop_assert_eq!(window.index_at(reset), window.index_at(now) + 1);
                    prop_assert_eq!(window.starts_at(reset), reset);
                }
            }
            if start > 0 && !window.is_unbounded() {
                prop_assert_eq!(window.index_at(start - 1) + 1, window.index_at(start));
                prop_assert_eq!(window.resets_at(start - 1), Some(start));
            }
        }

        #[test]
        fn index_is_monotonic(window in any_window(), a in any::<u64>(), b in any::<u64>()) {
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(window.index_at(early) <= window.index_at(late));
        }

        #[test]
        fn calendar_month_matches_naive_calendar(now in 0u64..320_000_000_000_000) {
            // Up to roughly the year 12 100.
            let month = Window::CalendarMonthUtc;
            let (year, m, day) = reference::civil(now / MILLIS_PER_DAY);
            prop_assert_eq!(month.index_at(now), (year - 1970) * 12 + m - 1);
            let start = utc(year, m, 1);
            prop_assert_eq!(month.starts_at(now), start);
            let len = reference::days_in_month(year, m);
            prop_assert_eq!(month.resets_at(now), Some(start + len * MILLIS_PER_DAY));
            prop_assert!(day <= len);
        }
    }
}
