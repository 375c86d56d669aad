//! The holds one budget node knows about: live ones, reclaimed ones still
//! awaiting their owner's close, and the lease deadlines of the live ones.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::budget::HoldId;

/// Most expired leases one node reclaims during an ordinary operation
/// (reserve, close, renew, snapshot, metrics). Bounds the extra work any
/// single call can be made to do by other callers' forgotten holds; the rest
/// are reclaimed by later operations or all at once by
/// [`Budget::reap_now`](super::Budget::reap_now).
pub const LAZY_REAP_LIMIT: usize = 8;

/// Most expired leases one node reclaims, on top of [`LAZY_REAP_LIMIT`],
/// before it refuses a reservation. A denial caused only by leases that have
/// already expired would be a false denial, so a node about to refuse looks
/// further; the bound keeps even that path's work fixed.
pub const DENIAL_REAP_LIMIT: usize = 256;

/// A hold that still counts against the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LiveHold {
    pub(super) amount: u64,
    /// The accounting window the hold was reserved in.
    pub(super) window: u64,
    pub(super) deadline: Option<u64>,
}

/// A hold whose lease expired: its amount went back to the budget, but its
/// owner has not closed it yet, and that close must still be charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ReclaimedHold {
    pub(super) amount: u64,
    pub(super) window: u64,
}

/// Hold ids are already well-distributed sequence numbers; one
/// multiplication spreads them over the table without SipHash's cost.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IdMap<V> = HashMap<HoldId, V, BuildHasherDefault<IdHasher>>;

#[derive(Debug, Default)]
pub(super) struct HoldTable {
    live: IdMap<LiveHold>,
    reclaimed: IdMap<ReclaimedHold>,
    /// `(deadline, id)` of every live hold with a lease, earliest first.
    leases: BTreeSet<(u64, HoldId)>,
}

impl HoldTable {
    pub(super) fn insert(&mut self, id: HoldId, hold: LiveHold) {
        if let Some(deadline) = hold.deadline {
            self.leases.insert((deadline, id));
        }
        if let Some(replaced) = self.live.insert(id, hold) {
            // Ids are unique per process, so this only happens if a caller
            // forged one; keep the lease index in step with the map anyway.
            if let Some(deadline) = replaced.deadline {
                self.leases.remove(&(deadline, id));
            }
        }
    }

    pub(super) fn is_reclaimed(&self, id: HoldId) -> bool {
        // Skip hashing in the common case of nothing reclaimed.
        !self.reclaimed.is_empty() && self.reclaimed.contains_key(&id)
    }

    /// The lease deadline of a live hold, if it has one.
    pub(super) fn deadline(&self, id: HoldId) -> Option<u64> {
        if self.leases.is_empty() {
            // No live hold has a lease.
            return None;
        }
        self.live.get(&id).and_then(|hold| hold.deadline)
    }

    /// Removes a live hold (it is being closed).
    pub(super) fn remove(&mut self, id: HoldId) -> Option<LiveHold> {
        let hold = self.live.remove(&id)?;
        if let Some(deadline) = hold.deadline {
            self.leases.remove(&(deadline, id));
        }
        Some(hold)
    }

    /// Moves a live hold to the reclaimed set.
    pub(super) fn expire(&mut self, id: HoldId) -> Option<LiveHold> {
        let hold = self.remove(id)?;
        self.reclaimed.insert(
            id,
            ReclaimedHold {
                amount: hold.amount,
                window: hold.window,
            },
        );
        Some(hold)
    }

    /// Moves the live hold with the earliest lease to the reclaimed set if
    /// its deadline is at or before `now`.
    pub(super) fn expire_next(&mut self, now: u64) -> Option<(HoldId, LiveHold)> {
        let &(deadline, id) = self.leases.first()?;
        if deadline > now {
            return None;
        }
        match self.expire(id) {
            Some(hold) => Some((id, hold)),
            None => {
                // Unreachable while insert/remove keep the index in step;
                // drop the stray entry so it cannot stall reaping.
                self.leases.remove(&(deadline, id));
                None
            }
        }
    }

    /// Whether any live hold has a lease.
    pub(super) fn has_leases(&self) -> bool {
        !self.leases.is_empty()
    }

    pub(super) fn has_expired(&self, now: u64) -> bool {
        self.leases
            .first()
            .is_some_and(|&(deadline, _)| deadline <= now)
    }

    pub(super) fn take_reclaimed(&mut self, id: HoldId) -> Option<ReclaimedHold> {
        self.reclaimed.remove(&id)
    }

    /// Moves the lease deadline of a live hold; `false` if it is not live.
    pub(super) fn set_deadline(&mut self, id: HoldId, deadline: u64) -> bool {
        let Some(hold) = self.live.get_mut(&id) else {
            return false;
        };
        if let Some(old) = hold.deadline.replace(deadline) {
            self.leases.remove(&(old, id));
        }
        self.leases.insert((deadline, id));
        true
    }

    pub(super) fn live_count(&self) -> usize {
        self.live.len()
    }

    pub(super) fn reclaimed_count(&self) -> usize {
        self.reclaimed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(amount: u64, deadline: Option<u64>) -> LiveHold {
        LiveHold {
            amount,
            window: 0,
            deadline,
        }
    }

    #[test]
    fn expires_in_deadline_order_and_only_when_due() {
        let mut table = HoldTable::default();
        table.insert(HoldId(1), hold(5, Some(300)));
        table.insert(HoldId(2), hold(6, Some(100)));
        table.insert(HoldId(3), hold(7, None));
        assert!(!table.has_expired(99));
        assert_eq!(table.expire_next(99), None);
        assert!(table.has_expired(300));
        assert_eq!(table.expire_next(300).unwrap().0, HoldId(2));
        assert_eq!(table.expire_next(300).unwrap().0, HoldId(1));
        assert_eq!(table.expire_next(u64::MAX), None, "no lease, no expiry");
        assert_eq!(table.live_count(), 1);
        assert_eq!(table.reclaimed_count(), 2);
        assert_eq!(
            table.take_reclaimed(HoldId(2)),
            Some(ReclaimedHold {
                amount: 6,
                window: 0
            })
        );
        assert_eq!(table.take_reclaimed(HoldId(2)), None);
    }

    #[test]
    fn renewing_moves_the_hold_in_the_lease_order() {
        let mut table = HoldTable::default();
        table.insert(HoldId(1), hold(1, Some(10)));
        table.insert(HoldId(2), hold(1, None));
        assert!(table.set_deadline(HoldId(1), 50));
        assert!(table.set_deadline(HoldId(2), 20));
        assert!(!table.set_deadline(HoldId(9), 20));
        assert_eq!(table.expire_next(30).unwrap().0, HoldId(2));
        assert_eq!(table.expire_next(30), None);
        assert_eq!(table.deadline(HoldId(1)), Some(50));
        assert_eq!(table.deadline(HoldId(9)), None);
    }

    #[test]
    fn removing_a_live_hold_drops_its_lease() {
        let mut table = HoldTable::default();
        table.insert(HoldId(4), hold(3, Some(10)));
        assert_eq!(table.remove(HoldId(4)), Some(hold(3, Some(10))));
        assert!(!table.has_expired(u64::MAX));
        assert!(!table.is_reclaimed(HoldId(4)));
        assert_eq!(table.remove(HoldId(4)), None);
    }

    #[test]
    fn id_hasher_separates_sequential_ids() {
        let hash = |id: u64| {
            let mut hasher = IdHasher::default();
            hasher.write_u64(id);
            hasher.finish()
        };
        let buckets: std::collections::HashSet<u64> = (0..1024).map(|i| hash(i) >> 57).collect();
        assert!(
            buckets.len() > 64,
            "top bits should vary: {}",
            buckets.len()
        );
        let mut bytes = IdHasher::default();
        bytes.write(&[1, 2]);
        assert_ne!(bytes.finish(), 0);
    }
}
