//! Locking a budget and all its ancestors at once, deadlock-free.
//!
//! Every node gets a process-unique id when it is built, and a node can
//! only be built after its parent, so ids strictly increase from a root to
//! its leaves. Every operation that needs several nodes locks them in
//! ascending id order — root first — and no operation ever waits for a node
//! with a smaller id than one it already holds. That single global order is
//! what rules out deadlock between operations on overlapping chains.

use std::sync::Arc;

use super::account::Account;
use super::node::Node;
use crate::budget::sync::{MutexGuard, lock};

/// Chains up to this deep are locked without allocating.
const INLINE_LEVELS: usize = 4;

/// A node and all its ancestors, locked. The guards are stored in the
/// same order as the nodes of `leaf.ancestors()` followed by `leaf`.
pub(super) struct ChainLock<'a> {
    leaf: &'a Node,
    inline: [Option<MutexGuard<'a, Account>>; INLINE_LEVELS],
    spill: Vec<MutexGuard<'a, Account>>,
}

impl<'a> ChainLock<'a> {
    /// Locks `leaf`'s ancestors root first, then `leaf`.
    pub(super) fn acquire(leaf: &'a Node) -> Self {
        let mut chain = Self {
            leaf,
            inline: [const { None }; INLINE_LEVELS],
            spill: Vec::new(),
        };
        let levels = leaf
            .ancestors()
            .iter()
            .map(Arc::as_ref)
            .chain(std::iter::once(leaf));
        for (depth, node) in levels.enumerate() {
            let guard = lock(node.account());
            match chain.inline.get_mut(depth) {
                Some(slot) => *slot = Some(guard),
                None => chain.spill.push(guard),
            }
        }
        chain
    }

    /// Levels from the root down to the leaf.
    pub(super) fn root_first(&mut self) -> impl Iterator<Item = (&'a Node, &mut Account)> {
        let leaf = self.leaf;
        let nodes = leaf
            .ancestors()
            .iter()
            .map(Arc::as_ref)
            .chain(std::iter::once(leaf));
        let guards = self
            .inline
            .iter_mut()
            .flatten()
            .chain(self.spill.iter_mut());
        nodes.zip(guards.map(|guard| &mut **guard))
    }

    /// Levels from the leaf up to the root.
    pub(super) fn leaf_first(&mut self) -> impl Iterator<Item = (&'a Node, &mut Account)> {
        let leaf = self.leaf;
        let nodes = std::iter::once(leaf).chain(leaf.ancestors().iter().rev().map(Arc::as_ref));
        let guards = self
            .spill
            .iter_mut()
            .rev()
            .chain(self.inline.iter_mut().rev().flatten());
        nodes.zip(guards.map(|guard| &mut **guard))
    }
}
