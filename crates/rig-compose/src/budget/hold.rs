//! Holds: the one vocabulary every spend budget uses for a reservation.
//!
//! A [`Hold`] is taken before work whose cost is only estimated, and settled
//! exactly once afterwards: [`Hold::settle`] with the real usage,
//! [`Hold::release`] when the work never ran, or [`Hold::cancel`] when it was
//! aborted midway. Each consumes the hold, so settling twice does not
//! compile. A hold dropped unsettled applies its drop policy (by default:
//! release everything), so errors, early returns, panics and dropped futures
//! cannot leak capacity.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::BudgetError;

/// Identifies one hold within its backend. Unique per process for the
/// in-process budgets; backends that share state across processes mint ids
/// that are unique across processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HoldId(pub u64);

impl HoldId {
    /// A fresh id, unique within this process.
    pub fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for HoldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hold-{}", self.0)
    }
}

/// What to charge when a hold ends without a normal settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CancelPolicy {
    /// Charge nothing; all of the hold returns to the budget.
    #[default]
    ReleaseAll,
    /// Charge this many units (for example the prompt tokens already sent)
    /// and return the rest. May exceed the hold, in which case the excess is
    /// recorded as overage.
    Charge(u64),
}

impl CancelPolicy {
    /// Units this policy charges.
    pub fn charge(self) -> u64 {
        match self {
            Self::ReleaseAll => 0,
            Self::Charge(units) => units,
        }
    }
}

/// How a hold is being closed; tells the backend what to charge and how to
/// count it in its metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldClose {
    /// The work ran and used this many units.
    Settle(u64),
    /// The work never ran.
    Release,
    /// The work was aborted; the policy says what to charge.
    Cancel(CancelPolicy),
    /// The hold was dropped unsettled; the policy says what to charge.
    Dropped(CancelPolicy),
}

impl HoldClose {
    /// Units this close charges.
    pub fn charge(self) -> u64 {
        match self {
            Self::Settle(units) => units,
            Self::Release => 0,
            Self::Cancel(policy) | Self::Dropped(policy) => policy.charge(),
        }
    }
}

/// What a closed hold did to its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlement {
    /// Units charged as spend.
    pub charged: u64,
    /// Units of the hold returned to the budget.
    pub refunded: u64,
    /// Units charged beyond what the budget could cover (now owed as debt).
    pub debt_incurred: u64,
    /// The lease had already expired and the hold had been reclaimed; the
    /// charge was recorded as plain usage and nothing was refunded.
    pub was_reclaimed: bool,
}

/// The backend side of a hold: applies its closing to the budget state.
///
/// Implemented by each budget backend (in-process, Redis, …); users normally
/// only see [`Hold`].
#[async_trait]
pub trait HoldBackend: Send + Sync + fmt::Debug {
    /// Apply `close` to the hold `ticket`. Must be idempotent per hold id:
    /// closing an id that is already closed charges nothing more.
    async fn close(&self, ticket: &HoldTicket, close: HoldClose)
    -> Result<Settlement, BudgetError>;

    /// Best-effort synchronous close, used when a hold is dropped unsettled.
    /// In-process backends apply it at once; remote backends may defer it
    /// (the hold's lease bounds how long the capacity stays held).
    fn close_on_drop(&self, ticket: HoldTicket, close: HoldClose);

    /// Move the lease deadline of a live hold. Returns the new deadline.
    async fn renew(&self, ticket: &HoldTicket, lease_millis: u64) -> Result<u64, BudgetError>;
}

/// The data identifying a hold to its backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldTicket {
    /// The hold's id.
    pub id: HoldId,
    /// Units reserved.
    pub amount: u64,
    /// Lease deadline, milliseconds since the Unix epoch on the backend's
    /// clock, if the hold has a lease.
    pub lease_deadline: Option<u64>,
}

/// A reservation of budget, settled exactly once.
///
/// ```
/// # use rig_compose::budget::{Hold, HoldBackend};
/// // See `Budget` for a complete example with a real budget.
/// fn assert_send<T: Send + Sync>() {}
/// assert_send::<Hold>();
/// ```
#[must_use = "a hold dropped unsettled is released at once; settle it with the real usage"]
pub struct Hold {
    ticket: HoldTicket,
    backend: Arc<dyn HoldBackend>,
    on_drop: CancelPolicy,
    open: bool,
}

impl fmt::Debug for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hold")
            .field("id", &self.ticket.id)
            .field("amount", &self.ticket.amount)
            .field("lease_deadline", &self.ticket.lease_deadline)
            .field("on_drop", &self.on_drop)
            .finish()
    }
}

impl Hold {
    /// Wrap a backend's reservation. For budget implementations.
    pub fn new(ticket: HoldTicket, backend: Arc<dyn HoldBackend>) -> Self {
        Self {
            ticket,
            backend,
            on_drop: CancelPolicy::ReleaseAll,
            open: true,
        }
    }

    /// The hold's id.
    pub fn id(&self) -> HoldId {
        self.ticket.id
    }

    /// Units reserved.
    pub fn amount(&self) -> u64 {
        self.ticket.amount
    }

    /// Lease deadline (ms since the Unix epoch on the budget's clock).
    pub fn lease_deadline(&self) -> Option<u64> {
        self.ticket.lease_deadline
    }

    /// The ticket identifying this hold to its backend.
    pub fn ticket(&self) -> &HoldTicket {
        &self.ticket
    }

    /// Set what is charged if this hold is dropped unsettled.
    pub fn with_drop_policy(mut self, policy: CancelPolicy) -> Self {
        self.on_drop = policy;
        self
    }

    /// Change the drop policy in place (e.g. once the prompt has been sent).
    pub fn set_drop_policy(&mut self, policy: CancelPolicy) {
        self.on_drop = policy;
    }

    /// Reconcile to the real usage: charge `actual`, return the rest. Usage
    /// beyond the hold is charged too, as overage.
    pub async fn settle(self, actual: u64) -> Result<Settlement, BudgetError> {
        self.finish(HoldClose::Settle(actual)).await
    }

    /// The work never ran: return everything.
    pub async fn release(self) -> Result<Settlement, BudgetError> {
        self.finish(HoldClose::Release).await
    }

    /// The work was aborted midway: charge per `policy`.
    pub async fn cancel(self, policy: CancelPolicy) -> Result<Settlement, BudgetError> {
        self.finish(HoldClose::Cancel(policy)).await
    }

    /// Extend the lease to `lease_millis` from now. Explicit by design:
    /// nothing else renews a lease, so a forgotten hold always ages out.
    pub async fn renew(&mut self, lease_millis: u64) -> Result<(), BudgetError> {
        let deadline = self.backend.renew(&self.ticket, lease_millis).await?;
        self.ticket.lease_deadline = Some(deadline);
        Ok(())
    }

    async fn finish(mut self, close: HoldClose) -> Result<Settlement, BudgetError> {
        // Stay armed while the close is in flight: if this future is dropped
        // midway, `Drop` still closes the hold. Backends close idempotently
        // per id, so the two paths can never charge twice. A failed close is
        // not retried here; the hold's lease bounds how long it stays held.
        let result = self.backend.close(&self.ticket, close).await;
        self.open = false;
        result
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if self.open {
            self.open = false;
            self.backend
                .close_on_drop(self.ticket.clone(), HoldClose::Dropped(self.on_drop));
        }
    }
}
