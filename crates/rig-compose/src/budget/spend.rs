//! The backend-neutral interface of the spend budgets.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use super::{BudgetError, BudgetSnapshot, Hold};

/// A request for a hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    /// Units to reserve (the estimate).
    pub amount: u64,
    /// Reclaim the hold automatically this long after it was taken, unless
    /// it is settled or renewed first. `None`: no lease.
    pub lease: Option<Duration>,
}

impl ReserveRequest {
    /// Reserve `amount` units with no lease.
    pub fn new(amount: u64) -> Self {
        Self {
            amount,
            lease: None,
        }
    }

    /// Give the hold a lease.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = Some(lease);
        self
    }
}

impl From<u64> for ReserveRequest {
    fn from(amount: u64) -> Self {
        Self::new(amount)
    }
}

/// Which kind of limit refused a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// A capacity (per window, or for the budget's lifetime).
    Quota,
    /// A refilling-bucket rate limit.
    Rate,
    /// A rolling-window rate limit.
    RollingWindow,
    /// A count of calls (overall or for one tool).
    CallCount,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Quota => "quota",
            Self::Rate => "rate limit",
            Self::RollingWindow => "rolling-window limit",
            Self::CallCount => "call limit",
        })
    }
}

/// Why a hold was refused: which budget, which limit, and by how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Name of the budget that refused (in a hierarchy: the first level
    /// that could not cover the request).
    pub budget: String,
    /// The kind of limit that refused.
    pub limit: LimitKind,
    /// Units requested.
    pub requested: u64,
    /// Units that were available.
    pub available: u64,
    /// When trying again can succeed, if the limit knows (ms since epoch).
    pub retry_at_millis: Option<u64>,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "budget `{}` denied {} units: {} has {} available",
            self.budget, self.requested, self.limit, self.available
        )?;
        if let Some(at) = self.retry_at_millis {
            write!(f, " (retry at {at} ms)")?;
        }
        Ok(())
    }
}

/// Why a reservation did not produce a hold.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    /// A limit refused the request; nothing was reserved anywhere.
    #[error("{0}")]
    Denied(Denial),
    /// The budget's backing store failed (see the budget's failure policy).
    #[error(transparent)]
    Backend(#[from] BudgetError),
}

impl ReserveError {
    /// The denial, if this was a refusal rather than a failure.
    pub fn denial(&self) -> Option<&Denial> {
        match self {
            Self::Denied(denial) => Some(denial),
            Self::Backend(_) => None,
        }
    }
}

/// A budget that hands out [`Hold`]s: the shared interface of the
/// in-process and the distributed budgets, so code switches backend by
/// changing only the constructor.
#[async_trait]
pub trait SpendBudget: Send + Sync {
    /// Take a hold, all-or-nothing across every level the budget spans.
    async fn reserve(&self, request: ReserveRequest) -> Result<Hold, ReserveError>;

    /// The budget's current state.
    async fn snapshot(&self) -> Result<BudgetSnapshot, BudgetError>;

    /// Reclaim every hold whose lease has expired; returns how many.
    async fn reap(&self) -> Result<usize, BudgetError>;
}
