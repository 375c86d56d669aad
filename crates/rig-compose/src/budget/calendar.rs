//! Proleptic Gregorian calendar arithmetic on days since the Unix epoch.
//!
//! Only what the calendar-month window needs: splitting a day count into
//! (year, month) and finding the first day of a month. All arithmetic is on
//! `u64` day counts from 1970-01-01, which covers every `u64` millisecond
//! timestamp (up to roughly the year 584 million) without overflow.
//!
//! The computations count from a virtual origin of 0000-03-01 so that the
//! leap day is the last day of each "March year"; a 400-year cycle then has a
//! fixed length and leap years fall out of integer division.

/// Milliseconds in a civil day (UTC has no leap seconds in Unix time).
pub(super) const MILLIS_PER_DAY: u64 = 86_400_000;

/// Days in a full 400-year Gregorian cycle (97 leap years).
const DAYS_PER_400_YEARS: u64 = 400 * 365 + 97;
/// Days in a century that does not end in a leap year.
const DAYS_PER_COMMON_CENTURY: u64 = 100 * 365 + 24;
/// Days in a four-year block ending in a leap year.
const DAYS_PER_4_YEARS: u64 = 4 * 365 + 1;
/// Days from 0000-03-01 (the origin used internally) to 1970-01-01.
const ORIGIN_TO_EPOCH_DAYS: u64 = 719_468;

/// First day (0-based) of each month within a year that starts in March:
/// March, April, ..., December, January, February.
const MARCH_YEAR_MONTH_STARTS: [u64; 12] = [0, 31, 61, 92, 122, 153, 184, 214, 245, 275, 306, 337];

/// A year and month (1 = January) of the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct YearMonth {
    pub(super) year: u64,
    pub(super) month: u64,
}

impl YearMonth {
    /// The month containing the given day (days since 1970-01-01).
    pub(super) fn containing_day(days_since_epoch: u64) -> Self {
        let since_origin = days_since_epoch.saturating_add(ORIGIN_TO_EPOCH_DAYS);
        let cycle = since_origin / DAYS_PER_400_YEARS;
        let mut rest = since_origin % DAYS_PER_400_YEARS;

        // The last century of a cycle is one day longer; capping at 3 folds
        // that extra day (Feb 29 of the 400th year) into the last century.
        let century = (rest / DAYS_PER_COMMON_CENTURY).min(3);
        rest -= century * DAYS_PER_COMMON_CENTURY;
        let block = rest / DAYS_PER_4_YEARS;
        rest -= block * DAYS_PER_4_YEARS;
        // Same trick one level down: the fourth year of a block is the long one.
        let year_in_block = (rest / 365).min(3);
        let day_of_march_year = rest - year_in_block * 365;

        let march_month = MARCH_YEAR_MONTH_STARTS
            .iter()
            .rposition(|&start| start <= day_of_march_year)
            .map_or(0, |index| index as u64);
        let march_year = cycle * 400 + century * 100 + block * 4 + year_in_block;

        // March-based months 10 and 11 are January and February of the
        // following calendar year.
        if march_month >= 10 {
            Self {
                year: march_year + 1,
                month: march_month - 9,
            }
        } else {
            Self {
                year: march_year,
                month: march_month + 3,
            }
        }
    }

    /// The following month, rolling December over into the next year.
    pub(super) fn next(self) -> Self {
        if self.month >= 12 {
            Self {
                year: self.year.saturating_add(1),
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Months elapsed since January 1970; `0` for any earlier month.
    pub(super) fn months_since_epoch(self) -> u64 {
        self.year
            .saturating_mul(12)
            .saturating_add(self.month)
            .saturating_sub(1970 * 12 + 1)
    }

    /// Days from 1970-01-01 to the first day of this month.
    ///
    /// Months before 1970 clamp to `0`; astronomically large years saturate.
    pub(super) fn first_day_since_epoch(self) -> u64 {
        let (march_year, march_month) = if self.month <= 2 {
            (self.year.saturating_sub(1), self.month.saturating_add(9))
        } else {
            (self.year, self.month - 3)
        };
        let cycle = march_year / 400;
        let year_in_cycle = march_year % 400;
        // Leap days in the March years before this one inside the cycle: each
        // March year ends with the February of the next calendar year.
        let leap_days = year_in_cycle / 4 - year_in_cycle / 100;
        let month_offset = usize::try_from(march_month)
            .ok()
            .and_then(|index| MARCH_YEAR_MONTH_STARTS.get(index))
            .copied()
            .unwrap_or(0);
        cycle
            .saturating_mul(DAYS_PER_400_YEARS)
            .saturating_add(year_in_cycle * 365 + leap_days + month_offset)
            .saturating_sub(ORIGIN_TO_EPOCH_DAYS)
    }
}

#[cfg(test)]
pub(super) mod reference {
    //! A deliberately naive calendar used as an oracle in tests: it walks
    //! whole years and months with the textbook leap-year rule.

    pub(in crate::budget) fn is_leap(year: u64) -> bool {
        (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
    }

    pub(in crate::budget) fn days_in_month(year: u64, month: u64) -> u64 {
        match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// (year, month, day-of-month) of a day since 1970-01-01, by walking.
    pub(in crate::budget) fn civil(mut days: u64) -> (u64, u64, u64) {
        let mut year = 1970;
        loop {
            let len = if is_leap(year) { 366 } else { 365 };
            if days < len {
                break;
            }
            days -= len;
            year += 1;
        }
        let mut month = 1;
        loop {
            let len = days_in_month(year, month);
            if days < len {
                break;
            }
            days -= len;
            month += 1;
        }
        (year, month, days + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(year: u64, month: u64) -> YearMonth {
        YearMonth { year, month }
    }

    #[test]
    fn known_dates() {
        assert_eq!(YearMonth::containing_day(0), ym(1970, 1));
        assert_eq!(YearMonth::containing_day(30), ym(1970, 1));
        assert_eq!(YearMonth::containing_day(31), ym(1970, 2));
        // 2000-02-29 is day 11_016; 2000-03-01 is 11_017.
        assert_eq!(YearMonth::containing_day(11_016), ym(2000, 2));
        assert_eq!(YearMonth::containing_day(11_017), ym(2000, 3));
        // 2100-03-01 is day 47_541 and 2100 is not a leap year.
        assert_eq!(ym(2100, 3).first_day_since_epoch(), 47_541);
        assert_eq!(ym(2100, 2).first_day_since_epoch(), 47_541 - 28);
        // 10000-01-01T00:00:00Z is 253_402_300_800 s after the epoch.
        assert_eq!(
            ym(10_000, 1).first_day_since_epoch() * 86_400,
            253_402_300_800
        );
        assert_eq!(YearMonth::containing_day(2_932_896), ym(9999, 12));
    }

    #[test]
    fn first_day_round_trips_for_every_month_of_eight_centuries() {
        let mut expected_day = 0;
        for year in 1970..2770 {
            for month in 1..=12 {
                let month_start = ym(year, month);
                assert_eq!(
                    month_start.first_day_since_epoch(),
                    expected_day,
                    "{year}-{month}"
                );
                assert_eq!(YearMonth::containing_day(expected_day), month_start);
                let len = reference::days_in_month(year, month);
                assert_eq!(
                    YearMonth::containing_day(expected_day + len - 1),
                    month_start
                );
                expected_day += len;
            }
        }
    }

    #[test]
    fn matches_the_naive_walk_on_sampled_days() {
        for day in (0..1_200_000).step_by(97) {
            let (year, month, _) = reference::civil(day);
            assert_eq!(YearMonth::containing_day(day), ym(year, month), "day {day}");
        }
    }

    #[test]
    fn next_rolls_over_years() {
        assert_eq!(ym(1999, 12).next(), ym(2000, 1));
        assert_eq!(ym(2000, 1).next(), ym(2000, 2));
        assert_eq!(ym(1970, 1).months_since_epoch(), 0);
        assert_eq!(ym(1971, 3).months_since_epoch(), 14);
    }

    #[test]
    fn extreme_inputs_do_not_overflow() {
        let last_day = u64::MAX / MILLIS_PER_DAY;
        let month = YearMonth::containing_day(last_day);
        assert!(month.year > 584_000_000);
        assert!(month.first_day_since_epoch() <= last_day);
        assert!(month.next().first_day_since_epoch() > last_day);
        let _ = YearMonth::containing_day(u64::MAX);
        assert_eq!(ym(u64::MAX, 12).next().year, u64::MAX);
        let _ = ym(u64::MAX, 1).first_day_since_epoch();
    }
}
