//! The Lua scripts, one per operation, and the key layout they share.
//!
//! Every script is the common prelude (`lua/prelude.lua`) followed by its
//! own body. [`redis::Script`] sends `EVALSHA` and falls back to loading the
//! script when the server does not know it yet (after a restart, a
//! failover or `SCRIPT FLUSH`), so each operation is one round trip.

use std::sync::LazyLock;

use redis::{Script, ScriptInvocation};

use crate::config::MAX_AMOUNT;

macro_rules! budget_script {
    ($file:literal) => {
        LazyLock::new(|| {
            Script::new(concat!(
                include_str!("lua/prelude.lua"),
                include_str!(concat!("lua/", $file))
            ))
        })
    };
}

pub(crate) static RESERVE: LazyLock<Script> = budget_script!("reserve.lua");
pub(crate) static CLOSE: LazyLock<Script> = budget_script!("close.lua");
pub(crate) static RENEW: LazyLock<Script> = budget_script!("renew.lua");
pub(crate) static ADJUST: LazyLock<Script> = budget_script!("adjust.lua");
pub(crate) static SNAPSHOT: LazyLock<Script> = budget_script!("snapshot.lua");
pub(crate) static REAP: LazyLock<Script> = budget_script!("reap.lua");
pub(crate) static STATUS: LazyLock<Script> = budget_script!("status.lua");
pub(crate) static RESET: LazyLock<Script> = budget_script!("reset.lua");

/// Every script, for preloading.
pub(crate) fn all() -> [&'static Script; 8] {
    [
        &RESERVE, &CLOSE, &RENEW, &ADJUST, &SNAPSHOT, &REAP, &STATUS, &RESET,
    ]
}

/// Expired holds every script reclaims on its way, at most.
pub const LAZY_RECLAIM_BATCH: u64 = 16;

/// Expired holds a reserve reclaims, at most, before it denies; also the
/// batch of `snapshot` and `status`.
pub const DEEP_RECLAIM_BATCH: u64 = 512;

/// Prefix of every key this crate writes.
pub const KEY_PREFIX: &str = "rig-compose:budget";

/// The keys of one budget tree. All carry the hash tag `{tree}`, so a tree
/// lives in a single Redis Cluster slot and every script stays atomic there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeKeys {
    /// Hash: per node, field `<node>` → `cap|window|window number|used|held|
    /// previous window number|its usage`; per tree, `#seq` (last hold id /
    /// event number), `#lease_floor` and `#closed_floor` (lower bounds that
    /// let scripts skip the sorted sets).
    pub nodes: String,
    /// Hash: live hold id → `amount|deadline|node|window|…`; once closed,
    /// the id's remembered outcome (`S|…` settled, `R|…` reclaimed).
    pub holds: String,
    /// Sorted set: live hold ids with a lease, scored by deadline (ms).
    pub leases: String,
    /// Sorted set: closed hold ids, scored by when they are forgotten (ms).
    pub closed: String,
    /// Hash: operator counters `reclaimed`, `reclaimed_units`,
    /// `late_settles`.
    pub stats: String,
}

impl TreeKeys {
    /// The keys of tree `tree` (assumed valid, see
    /// [`validate_name`](crate::validate_name)).
    ///
    /// ```
    /// let keys = rig_compose_redis::TreeKeys::new("acme");
    /// assert_eq!(keys.nodes, "rig-compose:budget:{acme}:nodes");
    /// assert_eq!(keys.holds, "rig-compose:budget:{acme}:holds");
    /// ```
    pub fn new(tree: &str) -> Self {
        let key = |suffix: &str| format!("{KEY_PREFIX}:{{{tree}}}:{suffix}");
        Self {
            nodes: key("nodes"),
            holds: key("holds"),
            leases: key("leases"),
            closed: key("closed"),
            stats: key("stats"),
        }
    }

    /// All five keys, in the order the scripts expect them.
    pub fn all(&self) -> [&str; 5] {
        [
            &self.nodes,
            &self.holds,
            &self.leases,
            &self.closed,
            &self.stats,
        ]
    }
}

/// Start an invocation of `script` with the tree's keys and the common
/// arguments every script reads first.
pub(crate) fn invocation<'a>(
    script: &'a Script,
    keys: &TreeKeys,
    remember_closed_millis: u64,
) -> ScriptInvocation<'a> {
    let mut call = script.prepare_invoke();
    for key in keys.all() {
        call.key(key);
    }
    call.arg(remember_closed_millis.min(MAX_AMOUNT))
        .arg(LAZY_RECLAIM_BATCH)
        .arg(DEEP_RECLAIM_BATCH);
    call
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_share_one_hash_tag() {
        let keys = TreeKeys::new("org-1");
        for key in keys.all() {
            assert!(key.contains("{org-1}"), "{key}");
            assert!(key.starts_with(KEY_PREFIX), "{key}");
        }
        let mut distinct = keys.all().to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 5);
    }

    #[test]
    fn scripts_are_distinct() {
        let mut hashes: Vec<&str> = all().iter().map(|s| s.get_hash()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), 8);
    }
}
