//! Configuring a [`Budget`] node before it is shared.

use std::fmt;
use std::sync::Arc;

use super::account::Account;
use super::meter::Meter;
use super::node::{Identity, Node};
use super::observer::{ThresholdEvent, ThresholdObserver, Thresholds};
use super::{Budget, Limit};
use crate::budget::{BudgetUnit, Clock, LimitKind, SystemClock, Window};

/// Builds a [`Budget`]; start from [`Budget::quota`], [`Budget::rate`],
/// [`Budget::builder`] or [`Budget::child`].
///
/// A budget with a parent shares its parent's clock (a chain never
/// disagrees about the time) and, unless [`unit`](Self::unit) is called,
/// its unit.
#[must_use = "a builder does nothing until `build` is called"]
pub struct BudgetBuilder {
    name: String,
    limit: Limit,
    unit: Option<BudgetUnit>,
    clock: Option<Arc<dyn Clock>>,
    parent: Option<Budget>,
    thresholds: Vec<u32>,
    observers: Vec<ThresholdObserver>,
}

impl fmt::Debug for BudgetBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BudgetBuilder")
            .field("name", &self.name)
            .field("limit", &self.limit)
            .field("unit", &self.unit)
            .field("clock", &self.clock)
            .field("parent", &self.parent.as_ref().map(Budget::name))
            .field("thresholds", &self.thresholds)
            .field("observers", &self.observers.len())
            .finish()
    }
}

impl BudgetBuilder {
    pub(super) fn new(name: String, limit: Limit) -> Self {
        Self {
            name,
            limit,
            unit: None,
            clock: None,
            parent: None,
            thresholds: Vec::new(),
            observers: Vec::new(),
        }
    }

    /// What the budget counts (default: the parent's unit, or
    /// [`BudgetUnit::Tokens`]). A quota counting
    /// [`ToolCalls`](BudgetUnit::ToolCalls) or
    /// [`Requests`](BudgetUnit::Requests) reports its refusals as
    /// [`LimitKind::CallCount`].
    pub fn unit(mut self, unit: BudgetUnit) -> Self {
        self.unit = Some(unit);
        self
    }

    /// When a quota's usage resets (default: [`Window::Unbounded`]).
    ///
    /// Applies to quota limits only; rate limits refill continuously on
    /// their own schedule, so for them this setting has no effect.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rig_compose::budget::{Budget, ManualClock, Window};
    ///
    /// // 2024-05-01T00:00:00Z
    /// let clock = ManualClock::new(1_714_521_600_000);
    /// let daily = Budget::quota("daily", 100)
    ///     .window(Window::per_day())
    ///     .clock(clock.clone())
    ///     .build();
    ///
    /// let hold = daily.try_reserve(80).unwrap();
    /// assert!(daily.try_reserve(30).is_err());
    /// assert_eq!(daily.snapshot_now().resets_at_millis, Some(1_714_608_000_000));
    ///
    /// // Midnight: the new day starts empty, and the old day's hold no
    /// // longer counts against it...
    /// clock.advance(Duration::from_secs(24 * 3_600));
    /// assert_eq!(daily.snapshot_now().available, 100);
    ///
    /// // ...while its settlement is charged to the day it was reserved in.
    /// futures::executor::block_on(hold.settle(90)).unwrap();
    /// assert_eq!(daily.snapshot_now().consumed, 0);
    /// assert_eq!(daily.previous_window().unwrap().consumed, 90);
    /// ```
    pub fn window(mut self, window: Window) -> Self {
        if let Limit::Quota { capacity, .. } = self.limit {
            self.limit = Limit::Quota { capacity, window };
        }
        self
    }

    /// The time source (default: [`SystemClock`]). Ignored for a budget
    /// with a parent, which always uses its parent's clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Makes the budget a child of `parent`: every hold taken on it is
    /// taken on `parent` (and its ancestors) too, all or nothing.
    pub fn parent(mut self, parent: &Budget) -> Self {
        self.parent = Some(parent.clone());
        self
    }

    /// Thresholds, in percent of capacity, at which observers are told
    /// (default: [`DEFAULT_THRESHOLDS`](super::DEFAULT_THRESHOLDS)).
    /// Values above 100 are allowed and fire on debt.
    pub fn thresholds(mut self, percents: impl IntoIterator<Item = u32>) -> Self {
        self.thresholds = percents.into_iter().collect();
        self
    }

    /// Calls `observer` when consumed + held rises to a threshold: for a
    /// quota at most once per threshold per window (a refill re-arms
    /// them), for a rate limit again after the level fell below it. Only
    /// the highest threshold reached by one change is reported.
    ///
    /// Observers run on the thread that made the change, after all budget
    /// locks are released, so they may use the budget themselves.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use rig_compose::budget::Budget;
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// let budget = Budget::quota("tokens", 1_000)
    ///     .thresholds([50, 80, 100])
    ///     .on_threshold(move |event| {
    ///         log.lock().unwrap().push((event.percent, event.snapshot.render()));
    ///     })
    ///     .build();
    ///
    /// let _first = budget.try_reserve(600).unwrap();
    /// let _second = budget.try_reserve(250).unwrap();
    /// assert_eq!(
    ///     *seen.lock().unwrap(),
    ///     [
    ///         (50, "400 of 1,000 tokens left".to_string()),
    ///         (80, "150 of 1,000 tokens left".to_string()),
    ///     ]
    /// );
    /// ```
    pub fn on_threshold(
        mut self,
        observer: impl Fn(&ThresholdEvent) + Send + Sync + 'static,
    ) -> Self {
        self.observers.push(Arc::new(observer));
        self
    }

    /// Creates the budget.
    pub fn build(self) -> Budget {
        let parent = self.parent.map(|parent| parent.node);
        let clock = match (&parent, self.clock) {
            (Some(parent), _) => Arc::clone(parent.clock()),
            (None, Some(clock)) => clock,
            (None, None) => Arc::new(SystemClock),
        };
        let unit = self
            .unit
            .or_else(|| parent.as_ref().map(|parent| parent.unit().clone()))
            .unwrap_or_default();
        let denial_kind = match (self.limit.kind(), &unit) {
            (LimitKind::Quota, BudgetUnit::ToolCalls | BudgetUnit::Requests) => {
                LimitKind::CallCount
            }
            (kind, _) => kind,
        };
        let capacity = self.limit.capacity();
        let meter = Meter::new(self.limit, clock.now_millis());
        let thresholds = Thresholds::new(self.thresholds, !self.observers.is_empty());
        let identity = Identity {
            name: self.name,
            unit,
            denial_kind,
            capacity,
            clock,
            observers: self.observers,
        };
        let node = Node::new(identity, parent, Account::new(meter, thresholds));
        Budget {
            node: Arc::new(node),
        }
    }
}
