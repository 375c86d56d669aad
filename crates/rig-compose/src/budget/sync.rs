//! Atomic primitives used by the budget counters.
//!
//! Under `--cfg loom` the counters are built on loom's instrumented atomics so
//! the model checker can explore every interleaving of their CAS loops; in
//! normal builds this is a zero-cost alias of `std::sync::atomic`.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
