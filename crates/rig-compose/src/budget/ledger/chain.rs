//! Locking a budget and all its ancestors at once, deadlock-free.
//!
//! Every node gets a process-unique id when it is built, and a node can
//! only be built after its parent, so ids strictly increase from a root to
//! its leaves. Every operation that needs several nodes locks them in
//! ascending id order — root first — and no operation ever waits for a node
//! with a smaller id than one it already holds. That single global order is
//! what rules out deadlock between operations on overlapping chains.

use super::account::Account;
use super::node::Node;
use crate::budget::sync::{MutexGuard, lock};

/// Chains up to this deep are locked without allocating.
const INLINE_LEVELS: usize = 8;

/// One locked level of a chain.
pub(super) struct Level<'a> {
    pub(super) node: &'a Node,
    pub(super) account: MutexGuard<'a, Account>,
}

/// A node and all its ancestors, locked.
pub(super) struct ChainLock<'a> {
    inline: [Option<Level<'a>>; INLINE_LEVELS],
    spill: Vec<Level<'a>>,
}

impl<'a> ChainLock<'a> {
    /// Locks `leaf`'s ancestors root first, then `leaf`.
    pub(super) fn acquire(leaf: &'a Node) -> Self {
        let mut chain = Self {
            inline: [const { None }; INLINE_LEVELS],
            spill: Vec::new(),
        };
        let levels = leaf
            .ancestors()
            .iter()
            .map(|node| &**node)
            .chain(std::iter::once(leaf));
        for (depth, node) in levels.enumerate() {
            let level = Level {
                node,
                account: lock(node.account()),
            };
            match chain.inline.get_mut(depth) {
                Some(slot) => *slot = Some(level),
                None => chain.spill.push(level),
            }
        }
        chain
    }

    /// Levels from the root down to the leaf.
    pub(super) fn root_first(&mut self) -> impl Iterator<Item = &mut Level<'a>> {
        self.inline
            .iter_mut()
            .flatten()
            .chain(self.spill.iter_mut())
    }

    /// Levels from the leaf up to the root.
    pub(super) fn leaf_first(&mut self) -> impl Iterator<Item = &mut Level<'a>> {
        self.spill
            .iter_mut()
            .rev()
            .chain(self.inline.iter_mut().rev().flatten())
    }
}
