//! Distributed spend budgets for `rig-compose` on Redis (or Valkey): one
//! budget shared by many workers on many hosts, exact under concurrency and
//! safe when a worker crashes.
//!
//! [`RedisBudget`] implements the same vocabulary as the in-process budgets
//! of [`rig_compose::budget`] — [`SpendBudget`](rig_compose::budget::SpendBudget)
//! hands out [`Hold`](rig_compose::budget::Hold)s that are settled,
//! released or cancelled exactly once — so code switches backend by
//! changing its constructor. [`RedisBudgetGuard`] and [`RedisTokenBudget`]
//! put the 0.5 [`BudgetGuard`](rig_compose::budget::BudgetGuard) and
//! [`TokenBudget`](rig_compose::budget::TokenBudget) traits on it.
//!
//! How it works:
//!
//! * **One round trip per operation.** Reserve, close (settle / release /
//!   cancel), renew, snapshot and reap are each one Lua script, sent with
//!   `EVALSHA` (loaded on demand), so each is atomic. A reserve covers the
//!   whole chain — e.g. org → team → agent → run — all-or-nothing.
//! * **Holds are apart from spend.** Live holds sit in their own hash with
//!   a lease deadline each (a sorted set); per level,
//!   available = capacity − consumed − held − debt. Every script reclaims a
//!   bounded number of expired holds on its way, so a crashed worker's
//!   holds come back within one lease with no operator action; leases move
//!   only by an explicit renew.
//! * **Closing is idempotent per hold id.** A closed id is remembered (for
//!   24 h by default), so a retried settle charges once; a settle that
//!   arrives after its hold was reclaimed charges the usage with no refund.
//! * **Time is the server's** (`TIME` inside the scripts): windows and
//!   leases agree across hosts whatever their clocks say.
//! * **Failure policy per budget.** Fail-closed refuses work with
//!   [`BudgetError::Backend`](rig_compose::budget::BudgetError::Backend)
//!   when Redis is unreachable or slower than the operation timeout;
//!   fail-open admits, counts and logs.
//! * **One hash tag per tree** (`{tree}`), so everything works on Redis
//!   Cluster.
//!
//! [`status`], [`reset`] and [`reap`] operate on a whole tree for
//! command-line tools. See the crate README for the key layout and
//! operating notes.
//!
//! ```no_run
//! use rig_compose::budget::{CancelPolicy, ReserveRequest, SpendBudget, Window};
//! use rig_compose_redis::{FailurePolicy, RedisBudget, RedisConnection};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = RedisConnection::open("redis://127.0.0.1:6379/")?;
//! let run_budget = RedisBudget::builder("acme")
//!     .level("org", 10_000_000, Window::CalendarMonthUtc)
//!     .level("team-research", 2_000_000, Window::CalendarMonthUtc)
//!     .level("run-8f2c", 40_000, Window::Unbounded)
//!     .failure_policy(FailurePolicy::FailClosed)
//!     .build(&redis)?;
//!
//! let hold = run_budget.reserve(ReserveRequest::new(3_000)).await?;
//! let _ = hold.cancel(CancelPolicy::Charge(1_200)).await?; // prompt was sent
//! # Ok(())
//! # }
//! ```

mod admin;
mod audit;
mod budget;
mod config;
mod connection;
mod guard;
mod metrics;
mod scripts;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;

pub use admin::{NodeStatus, REAP_BATCH, REAP_MAX_ROUNDS, TreeStatus, reap, reset, status};
pub use audit::{AuditEvent, AuditSink};
pub use budget::{FAIL_OPEN_ID_FLAG, RedisBudget, RedisBudgetBuilder};
pub use config::{
    ConfigError, DEFAULT_CLOSED_MEMORY, DEFAULT_LEASE, DEFAULT_OP_TIMEOUT, FailurePolicy, Level,
    MAX_AMOUNT, MAX_LEVELS, MAX_NAME_LEN, validate_name,
};
pub use connection::{ConnectionSettings, RedisConnection};
pub use guard::{GuardMode, RedisBudgetGuard};
pub use metrics::RedisBudgetMetrics;
pub use scripts::{DEEP_RECLAIM_BATCH, KEY_PREFIX, LAZY_RECLAIM_BATCH, TreeKeys};
pub use tokens::RedisTokenBudget;
