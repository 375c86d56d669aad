//! Threshold observers: tell the host when a budget crosses 50 %, 80 %,
//! 100 % … so it can ask the model to wrap up instead of cutting it off.

use std::sync::Arc;

use crate::budget::BudgetSnapshot;

/// Thresholds used when observers are registered without explicit ones.
pub const DEFAULT_THRESHOLDS: [u32; 3] = [50, 80, 100];

/// A budget crossed one of its thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdEvent {
    /// The threshold crossed, in percent of capacity.
    pub percent: u32,
    /// The budget right after the change that crossed it.
    pub snapshot: BudgetSnapshot,
}

/// A callback run when a threshold is crossed. It runs on the thread that
/// made the change, after every budget lock has been released, so it may
/// call back into the budget.
pub type ThresholdObserver = Arc<dyn Fn(&ThresholdEvent) + Send + Sync>;

/// One threshold and whether it already fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    percent: u32,
    fired: bool,
}

/// The thresholds of one node and which of them have fired.
///
/// Quota budgets fire each threshold at most once per window (re-armed by
/// a new window or a refill). Rate budgets have no windows: a threshold
/// re-arms once the level falls back below it.
#[derive(Debug, Default)]
pub(super) struct Thresholds {
    marks: Vec<Mark>,
}

impl Thresholds {
    /// `percents` are tracked only if someone observes them; with observers
    /// but no percents, [`DEFAULT_THRESHOLDS`] apply.
    pub(super) fn new(mut percents: Vec<u32>, observed: bool) -> Self {
        if !observed {
            return Self::default();
        }
        if percents.is_empty() {
            percents = DEFAULT_THRESHOLDS.to_vec();
        }
        percents.sort_unstable();
        percents.dedup();
        Self {
            marks: percents
                .into_iter()
                .map(|percent| Mark {
                    percent,
                    fired: false,
                })
                .collect(),
        }
    }

    pub(super) fn is_active(&self) -> bool {
        !self.marks.is_empty()
    }

    pub(super) fn rearm(&mut self) {
        for mark in &mut self.marks {
            mark.fired = false;
        }
    }

    /// Marks and returns the highest threshold newly reached by `level` out
    /// of `capacity`, if any (crossing several at once reports the highest
    /// only, since it supersedes the rest).
    pub(super) fn crossed(&mut self, level: u64, capacity: u64) -> Option<u32> {
        let mut newest = None;
        for mark in &mut self.marks {
            if !mark.fired && reaches(level, capacity, mark.percent) {
                mark.fired = true;
                newest = Some(mark.percent);
            }
        }
        newest
    }

    /// Re-arms the thresholds `level` is now under (for limits without
    /// windows, whose level falls as time passes).
    pub(super) fn rearm_below(&mut self, level: u64, capacity: u64) {
        for mark in &mut self.marks {
            if !reaches(level, capacity, mark.percent) {
                mark.fired = false;
            }
        }
    }
}

fn reaches(level: u64, capacity: u64, percent: u32) -> bool {
    level > 0 && u128::from(level) * 100 >= u128::from(percent) * u128::from(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(percents: Vec<u32>) -> Thresholds {
        Thresholds::new(percents, true)
    }

    #[test]
    fn without_observers_nothing_is_tracked() {
        let mut thresholds = Thresholds::new(vec![10], false);
        assert!(!thresholds.is_active());
        assert_eq!(thresholds.crossed(100, 100), None);
    }

    #[test]
    fn defaults_apply_when_only_observers_are_given() {
        let mut thresholds = observed(Vec::new());
        assert_eq!(thresholds.crossed(49, 100), None);
        assert_eq!(thresholds.crossed(50, 100), Some(50));
        assert_eq!(thresholds.crossed(79, 100), None);
        assert_eq!(thresholds.crossed(100, 100), Some(100));
        assert_eq!(thresholds.crossed(100, 100), None, "fires once");
    }

    #[test]
    fn windowed_thresholds_stay_fired_until_rearmed() {
        let mut thresholds = observed(vec![80, 50, 80]);
        assert_eq!(thresholds.crossed(60, 100), Some(50));
        assert_eq!(thresholds.crossed(10, 100), None);
        assert_eq!(thresholds.crossed(60, 100), None);
        thresholds.rearm();
        assert_eq!(thresholds.crossed(60, 100), Some(50));
    }

    #[test]
    fn rate_thresholds_rearm_below() {
        let mut thresholds = observed(vec![50, 90]);
        assert_eq!(thresholds.crossed(9, 10), Some(90));
        thresholds.rearm_below(6, 10);
        assert_eq!(thresholds.crossed(6, 10), None, "50 % stayed reached");
        assert_eq!(thresholds.crossed(9, 10), Some(90));
        thresholds.rearm_below(4, 10);
        assert_eq!(thresholds.crossed(5, 10), Some(50));
    }

    #[test]
    fn zero_capacity_fires_on_first_use_only() {
        let mut thresholds = observed(vec![100]);
        assert_eq!(thresholds.crossed(0, 0), None);
        assert_eq!(thresholds.crossed(1, 0), Some(100));
    }
}
