//! The in-process spend-budget engine: hierarchical budgets with windows,
//! rate limits, debt, leases, snapshots, metrics and threshold observers.
//!
//! A [`Budget`] is one node of a tree of budgets (org → team → agent →
//! run). Work reserves a [`Hold`](crate::budget::Hold) on the node it runs
//! under; the hold is taken on that node and every ancestor atomically, and
//! settling it (with the real usage), releasing, cancelling or dropping it
//! applies to the whole chain.
//!
//! # How a chain stays consistent
//!
//! Each node keeps its state behind its own mutex. An operation on a chain
//! locks every node of it in one global order (ancestors before
//! descendants, by a process-unique node id), brings each node up to the
//! current time, checks every node, and only then applies the change to
//! every node. A refusal anywhere therefore changes nothing, concurrent
//! reservations can never jointly exceed a shared parent, and the single
//! lock order rules out deadlock. Threshold observers run after all locks
//! are released.
//!
//! # Time
//!
//! Every operation reads the chain's [`Clock`](crate::budget::Clock) once.
//! Quotas roll into a new window when the clock enters one: consumed usage
//! and debt start from zero, holds from the old window stop counting, and
//! their settlements are booked to the window they were reserved in (see
//! [`Budget::previous_window`]). Expired leases are reclaimed lazily, at
//! most [`LAZY_REAP_LIMIT`] per node per operation (plus up to
//! [`DENIAL_REAP_LIMIT`] before a refusal), or all at once by
//! [`Budget::reap_now`].

mod account;
#[allow(clippy::module_inception)]
mod budget;
mod builder;
mod chain;
mod hold_table;
mod limit;
mod meter;
mod metrics;
mod node;
mod now;
mod observer;
mod rate_meter;

pub use budget::Budget;
pub use builder::BudgetBuilder;
pub use hold_table::{DENIAL_REAP_LIMIT, LAZY_REAP_LIMIT};
pub use limit::Limit;
pub use meter::WindowTotals;
pub use metrics::{BudgetMetrics, DenialCounts};
pub use observer::{DEFAULT_THRESHOLDS, ThresholdEvent, ThresholdObserver};
