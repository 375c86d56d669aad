//! Synchronisation primitives used by the budget counters and ledgers.
//!
//! Under `--cfg loom` the counters are built on loom's instrumented atomics
//! and mutexes so the model checker can explore every interleaving of their
//! CAS loops and lock acquisitions; in normal builds these are zero-cost
//! aliases of the `std::sync` types.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering the data if a previous holder panicked.
///
/// Library code never panics while holding a ledger lock (no user callback
/// runs under one), so poisoning cannot happen through this crate; if it
/// did, refusing every later operation would turn one bug into a permanent
/// outage of the budget.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
