//! [`RedisBudgetGuard`]: the 0.5 [`BudgetGuard`] contract on a Redis budget.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use rig_compose::budget::{BudgetError, BudgetGuard, Hold, ReserveError, SpendBudget};

use crate::budget::{RedisBudget, Take};

/// How a [`RedisBudgetGuard`] keeps its reservations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardMode {
    /// Like [`AtomicBudget`](rig_compose::budget::AtomicBudget): a reserve
    /// takes units until a `release` gives them back, however long that
    /// takes. Units never released (a call-count limit) stay taken until
    /// the window resets. A crashed process keeps its units.
    Counter,
    /// Every reserve is a [`Hold`] with the budget's lease; `release`
    /// releases one hold of the same cost. A crashed process's
    /// reservations come back when their leases run out, and so do
    /// reservations never released: use this for reserve/release pairs
    /// such as [`DispatchBudgetHook`](rig_compose::budget::DispatchBudgetHook).
    Leased,
}

/// [`BudgetGuard`] on a [`RedisBudget`]: every process sharing the tree
/// shares the limit.
///
/// A guard that cannot reach Redis follows the budget's
/// [`FailurePolicy`](crate::FailurePolicy): fail-closed returns the
/// [`BudgetError`], fail-open admits (and its `release` then gives nothing
/// back to Redis).
///
/// ```no_run
/// use std::sync::Arc;
/// use rig_compose::budget::{BudgetGuard, DispatchBudgetHook, Window};
/// use rig_compose_redis::{RedisBudget, RedisBudgetGuard};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let calls = RedisBudget::builder("acme")
///     .level("tool-calls", 1_000, Window::per_hour())
///     .connect("redis://127.0.0.1:6379/")?;
/// let guard = Arc::new(RedisBudgetGuard::leased(calls));
/// let hook = DispatchBudgetHook::new(guard, 1);
/// # let _ = hook;
/// # Ok(())
/// # }
/// ```
pub struct RedisBudgetGuard {
    budget: RedisBudget,
    mode: GuardMode,
    /// Leased mode: outstanding holds by cost.
    holds: Mutex<HashMap<u64, Vec<Hold>>>,
    /// Units admitted fail-open, by cost: their release must not give back
    /// units that Redis never took.
    open_admissions: Mutex<HashMap<u64, u64>>,
}

impl fmt::Debug for RedisBudgetGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBudgetGuard")
            .field("budget", &self.budget)
            .field("mode", &self.mode)
            .field("outstanding_holds", &self.outstanding_holds())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps stay consistent even if a holder panicked mid-update: every
    // update is a single insert or remove.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RedisBudgetGuard {
    /// A counter-style guard ([`GuardMode::Counter`]): the exact behaviour
    /// of [`AtomicBudget`](rig_compose::budget::AtomicBudget), shared.
    pub fn new(budget: RedisBudget) -> Self {
        Self::with_mode(budget, GuardMode::Counter)
    }

    /// A lease-backed guard ([`GuardMode::Leased`]).
    pub fn leased(budget: RedisBudget) -> Self {
        Self::with_mode(budget, GuardMode::Leased)
    }

    /// A guard in the given mode.
    pub fn with_mode(budget: RedisBudget, mode: GuardMode) -> Self {
        Self {
            budget,
            mode,
            holds: Mutex::new(HashMap::new()),
            open_admissions: Mutex::new(HashMap::new()),
        }
    }

    /// The budget behind the guard.
    pub fn budget(&self) -> &RedisBudget {
        &self.budget
    }

    /// The guard's mode.
    pub fn mode(&self) -> GuardMode {
        self.mode
    }

    /// Holds this guard keeps for reservations not yet released (leased
    /// mode; always 0 in counter mode).
    pub fn outstanding_holds(&self) -> usize {
        lock(&self.holds).values().map(Vec::len).sum()
    }

    fn note_open_admission(&self, cost: u64) {
        *lock(&self.open_admissions).entry(cost).or_insert(0) += 1;
    }

    /// Whether a release of `cost` matches a fail-open admission (and uses
    /// it up).
    fn take_open_admission(&self, cost: u64) -> bool {
        let mut open = lock(&self.open_admissions);
        match open.get_mut(&cost) {
            Some(count) if *count > 0 => {
                *count -= 1;
                if *count == 0 {
                    open.remove(&cost);
                }
                true
            }
            _ => false,
        }
    }
}

#[async_trait]
impl BudgetGuard for RedisBudgetGuard {
    async fn try_reserve(&self, cost: u64) -> Result<bool, BudgetError> {
        match self.mode {
            GuardMode::Counter => match self.budget.take(cost).await? {
                Take::Taken => Ok(true),
                Take::Refused => Ok(false),
                Take::FailOpen => {
                    self.note_open_admission(cost);
                    Ok(true)
                }
            },
            GuardMode::Leased => match self.budget.reserve(cost.into()).await {
                Ok(hold) => {
                    lock(&self.holds).entry(cost).or_default().push(hold);
                    Ok(true)
                }
                Err(ReserveError::Denied(_)) => Ok(false),
                Err(ReserveError::Backend(err)) => Err(err),
            },
        }
    }

    async fn release(&self, cost: u64) {
        match self.mode {
            GuardMode::Counter => {
                if self.take_open_admission(cost) {
                    return;
                }
                if let Err(err) = self.budget.give_back(cost).await {
                    tracing::warn!(cost, error = %err, "giving budget units back failed");
                }
            }
            GuardMode::Leased => {
                let hold = {
                    let mut holds = lock(&self.holds);
                    let hold = holds.get_mut(&cost).and_then(Vec::pop);
                    if holds.get(&cost).is_some_and(Vec::is_empty) {
                        holds.remove(&cost);
                    }
                    hold
                };
                match hold {
                    Some(hold) => {
                        if let Err(err) = hold.release().await {
                            tracing::warn!(cost, error = %err, "releasing a budget hold failed; its lease will return it");
                        }
                    }
                    // Returning units nobody reserved would over-admit.
                    None => tracing::warn!(cost, "release without a matching reservation ignored"),
                }
            }
        }
    }
}
