//! One budget node shared by all its handles, and the chain-wide
//! operations: reserve, close and renew across a node and its ancestors.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use super::account::Account;
use super::chain::ChainLock;
use super::meter::Levels;
use super::now::Now;
use super::observer::{ThresholdEvent, ThresholdObserver};
use crate::budget::sync::{Mutex, lock};
use crate::budget::{
    BudgetError, BudgetSnapshot, BudgetUnit, Clock, Denial, Hold, HoldBackend, HoldClose, HoldId,
    HoldTicket, LimitKind, ReserveError, ReserveRequest, Settlement,
};

/// Source of node ids: the global lock order (see `chain`).
static NEXT_NODE_ID: AtomicU64 = AtomicU64::new(1);

pub(super) struct Node {
    id: u64,
    name: String,
    unit: BudgetUnit,
    /// How this node's refusals are reported.
    denial_kind: LimitKind,
    capacity: u64,
    clock: Arc<dyn Clock>,
    /// Strict ancestors, root first; ids ascend along the slice and all are
    /// below `id`.
    ancestors: Box<[Arc<Node>]>,
    account: Mutex<Account>,
    observers: Box<[ThresholdObserver]>,
}

/// The fixed description of a node, decided by its builder.
pub(super) struct Identity {
    pub(super) name: String,
    pub(super) unit: BudgetUnit,
    pub(super) denial_kind: LimitKind,
    pub(super) capacity: u64,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) observers: Vec<ThresholdObserver>,
}

/// A threshold crossing waiting for its observers, which run only once
/// every lock is released.
struct Pending<'a> {
    node: &'a Node,
    event: ThresholdEvent,
}

fn notify(pending: Vec<Pending<'_>>) {
    for Pending { node, event } in pending {
        for observer in node.observers.iter() {
            observer(&event);
        }
    }
}

/// Lease length in whole milliseconds, rounded up so a lease never ends
/// before the time asked for.
fn lease_millis(lease: Duration) -> u64 {
    u64::try_from(lease.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

impl Node {
    pub(super) fn new(identity: Identity, parent: Option<Arc<Node>>, account: Account) -> Self {
        let ancestors = match parent {
            Some(parent) => {
                let mut chain = parent.ancestors.to_vec();
                chain.push(parent);
                chain.into_boxed_slice()
            }
            None => Box::default(),
        };
        Self {
            // Taken after the parent exists, so above every ancestor's id.
            id: NEXT_NODE_ID.fetch_add(1, Ordering::Relaxed),
            name: identity.name,
            unit: identity.unit,
            denial_kind: identity.denial_kind,
            capacity: identity.capacity,
            clock: identity.clock,
            ancestors,
            account: Mutex::new(account),
            observers: identity.observers.into_boxed_slice(),
        }
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn unit(&self) -> &BudgetUnit {
        &self.unit
    }

    pub(super) fn denial_kind(&self) -> LimitKind {
        self.denial_kind
    }

    pub(super) fn capacity(&self) -> u64 {
        self.capacity
    }

    pub(super) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(super) fn ancestors(&self) -> &[Arc<Node>] {
        &self.ancestors
    }

    pub(super) fn account(&self) -> &Mutex<Account> {
        &self.account
    }

    fn snapshot_of(&self, levels: Levels) -> BudgetSnapshot {
        let committed = levels.consumed.saturating_add(levels.held);
        let utilization = if levels.capacity == 0 {
            // Nothing can be held: report it as fully used.
            1.0
        } else {
            committed as f64 / levels.capacity as f64
        };
        BudgetSnapshot {
            name: self.name.clone(),
            unit: self.unit.clone(),
            capacity: levels.capacity,
            available: levels.available,
            held: levels.held,
            consumed: levels.consumed,
            debt: levels.debt,
            utilization,
            resets_at_millis: levels.resets_at_millis,
        }
    }

    fn crossing(&self, account: &mut Account, now: &Now<'_>) -> Option<Pending<'_>> {
        let (percent, levels) = account.crossed_threshold(now)?;
        Some(Pending {
            node: self,
            event: ThresholdEvent {
                percent,
                snapshot: self.snapshot_of(levels),
            },
        })
    }

    /// Takes a hold on this node and every ancestor, or on none of them.
    pub(super) fn reserve(self: &Arc<Self>, request: ReserveRequest) -> Result<Hold, ReserveError> {
        let now = &Now::from_clock(&*self.clock);
        let amount = request.amount;
        let deadline = request
            .lease
            .map(|lease| now.get().saturating_add(lease_millis(lease)));
        let id = HoldId::next();
        let mut pending = Vec::new();
        {
            let mut chain = ChainLock::acquire(self);
            for (_, account) in chain.root_first() {
                account.catch_up(now);
            }
            // Check everything before changing anything: a refusal anywhere
            // leaves every level as it was. The level nearest the request
            // is named in the denial.
            let mut denial = None;
            for (node, account) in chain.leaf_first() {
                if let Err(shortfall) = account.check(amount, now) {
                    account.record_denial(node.denial_kind);
                    denial = Some(Denial {
                        budget: node.name.clone(),
                        limit: node.denial_kind,
                        requested: amount,
                        available: shortfall.available,
                        retry_at_millis: shortfall.retry_at_millis,
                    });
                    break;
                }
            }
            if let Some(denial) = denial {
                if let Some((_, leaf)) = chain.leaf_first().next() {
                    leaf.record_refusal();
                }
                return Err(ReserveError::Denied(denial));
            }
            for (node, account) in chain.root_first() {
                account.admit(id, amount, deadline, now);
                pending.extend(node.crossing(account, now));
            }
        }
        notify(pending);
        let ticket = HoldTicket {
            id,
            amount,
            lease_deadline: deadline,
        };
        Ok(Hold::new(ticket, Arc::clone(self) as Arc<dyn HoldBackend>))
    }

    /// Closes a hold on this node and every ancestor.
    pub(super) fn close_hold(&self, ticket: &HoldTicket, close: HoldClose) -> Settlement {
        let now = &Now::from_clock(&*self.clock);
        let id = ticket.id;
        let mut settlement = Settlement::default();
        let mut pending = Vec::new();
        {
            let mut chain = ChainLock::acquire(self);
            // A hold has one lease for the whole chain. If any level already
            // reclaimed it (or its deadline has passed), every level treats
            // it as reclaimed, so the close is charged as plain usage
            // everywhere and refunded nowhere.
            let mut lapsed = false;
            for (_, account) in chain.root_first() {
                account.catch_up(now);
                lapsed |= account.has_lapsed(id, now);
            }
            for (node, account) in chain.root_first() {
                if let Some(done) = account.close(id, close, lapsed, now) {
                    settlement.charged = done.charged;
                    settlement.refunded = settlement.refunded.max(done.refunded);
                    settlement.debt_incurred = settlement.debt_incurred.max(done.debt_incurred);
                    settlement.was_reclaimed = lapsed;
                }
                pending.extend(node.crossing(account, now));
            }
        }
        notify(pending);
        settlement
    }

    /// Moves the lease of a live hold on every level.
    pub(super) fn renew_hold(&self, ticket: &HoldTicket, lease: u64) -> Result<u64, BudgetError> {
        let now = &Now::from_clock(&*self.clock);
        let id = ticket.id;
        let deadline = now.get().saturating_add(lease);
        let mut chain = ChainLock::acquire(self);
        let mut lapsed = false;
        for (_, account) in chain.root_first() {
            account.catch_up(now);
            lapsed |= account.has_lapsed(id, now);
        }
        if lapsed {
            for (_, account) in chain.root_first() {
                account.expire(id, now);
            }
            return Err(BudgetError::Backend(format!(
                "{id} cannot be renewed: its lease expired and budget `{}` reclaimed it",
                self.name
            )));
        }
        let mut renewed = false;
        for (_, account) in chain.root_first() {
            renewed |= account.renew(id, deadline);
        }
        if renewed {
            Ok(deadline)
        } else {
            Err(BudgetError::Backend(format!(
                "{id} cannot be renewed: it is not open in budget `{}`",
                self.name
            )))
        }
    }

    pub(super) fn snapshot(&self) -> BudgetSnapshot {
        let now = &Now::from_clock(&*self.clock);
        let levels = {
            let mut account = lock(&self.account);
            account.catch_up(now);
            account.levels(now)
        };
        self.snapshot_of(levels)
    }

    /// Reclaims every expired lease on this node and its ancestors; returns
    /// how many distinct holds were reclaimed.
    pub(super) fn reap(&self) -> usize {
        let now = &Now::from_clock(&*self.clock);
        let mut reclaimed = Vec::new();
        // One level at a time: reclaiming is per level, so nothing here
        // needs two locks at once.
        for node in self.ancestors.iter().map(|node| &**node).chain([self]) {
            let mut account = lock(&node.account);
            account.advance(now);
            account.reap(now, usize::MAX, |id| reclaimed.push(id));
        }
        reclaimed.sort_unstable();
        reclaimed.dedup();
        reclaimed.len()
    }

    pub(super) fn with_account<T>(&self, read: impl FnOnce(&mut Account, &Now<'_>) -> T) -> T {
        let now = &Now::from_clock(&*self.clock);
        let mut account = lock(&self.account);
        account.catch_up(now);
        read(&mut account, now)
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("unit", &self.unit)
            .field("limit", &self.denial_kind)
            .field("depth", &self.ancestors.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl HoldBackend for Node {
    async fn close(
        &self,
        ticket: &HoldTicket,
        close: HoldClose,
    ) -> Result<Settlement, BudgetError> {
        Ok(self.close_hold(ticket, close))
    }

    fn close_on_drop(&self, ticket: HoldTicket, close: HoldClose) {
        self.close_hold(&ticket, close);
    }

    async fn renew(&self, ticket: &HoldTicket, lease_millis: u64) -> Result<u64, BudgetError> {
        self.renew_hold(ticket, lease_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Budget;
    use super::*;
    use crate::budget::ManualClock;

    #[test]
    fn node_ids_ascend_from_root_to_leaf() {
        let root = Budget::quota("root", 1).build();
        let mid = root.child("mid", 1).build();
        let _other = root.child("other", 1).build();
        let leaf = mid.child("leaf", 1).build();
        let ids: Vec<u64> = leaf
            .node
            .ancestors()
            .iter()
            .map(|node| node.id)
            .chain([leaf.node.id])
            .collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    }

    #[test]
    fn closing_is_idempotent_per_hold_id() {
        let clock = ManualClock::new(0);
        let budget = Budget::quota("b", 10).clock(clock.clone()).build();
        let leaf = budget.child("leaf", 10).build();
        let hold = leaf.try_reserve(6).unwrap();
        let ticket = hold.ticket().clone();
        let first = leaf.node.close_hold(&ticket, HoldClose::Settle(4));
        assert_eq!((first.charged, first.refunded), (4, 2));
        // A second close of the same id (here: the hold's own drop) charges
        // nothing anywhere in the chain.
        let again = leaf.node.close_hold(&ticket, HoldClose::Settle(9));
        assert_eq!(again, Settlement::default());
        drop(hold);
        for snapshot in leaf.snapshot_chain() {
            assert_eq!(
                (snapshot.consumed, snapshot.held),
                (4, 0),
                "{}",
                snapshot.name
            );
        }
        let err = leaf.node.renew_hold(&ticket, 10).unwrap_err();
        assert!(err.to_string().contains("not open"), "{err}");
    }

    #[test]
    fn a_reclaim_seen_at_any_level_makes_the_whole_close_late() {
        // The clock steps back after the root reclaimed the hold: the leaf
        // still thinks it is live, but the chain must agree it was
        // reclaimed, or the root would never be charged.
        let clock = ManualClock::new(0);
        let root = Budget::quota("root", 10).clock(clock.clone()).build();
        let leaf = root.child("leaf", 10).build();
        let hold = leaf
            .try_reserve_with(ReserveRequest::new(5).with_lease(Duration::from_millis(100)))
            .unwrap();
        clock.set_millis(100);
        assert_eq!(root.snapshot_now().held, 0);
        clock.set_millis(50);
        assert_eq!(leaf.snapshot_now().held, 5);
        let settlement = futures::executor::block_on(hold.settle(3)).unwrap();
        assert!(settlement.was_reclaimed);
        for snapshot in leaf.snapshot_chain() {
            assert_eq!(
                (snapshot.consumed, snapshot.held),
                (3, 0),
                "{}",
                snapshot.name
            );
        }
        assert_eq!(root.metrics().reclaimed, 1);
        assert_eq!(leaf.metrics().reclaimed, 1);
    }

    #[test]
    fn leases_round_up_to_whole_milliseconds() {
        assert_eq!(lease_millis(Duration::from_micros(1)), 1);
        assert_eq!(lease_millis(Duration::from_millis(7)), 7);
        assert_eq!(lease_millis(Duration::MAX), u64::MAX);
    }
}
