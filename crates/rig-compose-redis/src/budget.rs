//! [`RedisBudget`]: a spend budget (one node or a chain of nodes in a tree)
//! whose state lives in Redis and is shared by every process using it.

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use rig_compose::budget::{
    BudgetError, BudgetSnapshot, BudgetUnit, Denial, Hold, HoldBackend, HoldClose, HoldId,
    HoldTicket, LimitKind, ReserveError, ReserveRequest, Settlement, SpendBudget,
};

use crate::admin;
use crate::audit::{AuditEvent, AuditSink};
use crate::config::{
    ConfigError, DEFAULT_CLOSED_MEMORY, DEFAULT_LEASE, FailurePolicy, Level, MAX_AMOUNT,
    MAX_LEVELS, millis_at_least_one, validate_name, window_spec,
};
use crate::connection::{OpFailure, RedisConnection};
use crate::metrics::{Counters, RedisBudgetMetrics, add, bump};
use crate::scripts::{self, TreeKeys};

/// Hold ids handed out while Redis was unreachable (fail-open) have this
/// bit set; ids minted by Redis stay below 2^53 and never do.
pub const FAIL_OPEN_ID_FLAG: u64 = 1 << 63;

/// A budget shared through Redis: a chain of levels (e.g. org → team →
/// agent → run) in one tree, reserved all-or-nothing in one atomic script.
///
/// It implements [`SpendBudget`] (reserve / snapshot / reap) and
/// [`HoldBackend`] (what settling a [`Hold`] does), so code written against
/// the in-process budgets switches to Redis by changing the constructor.
/// Clones share the connection and the metrics.
///
/// ```no_run
/// use std::time::Duration;
/// use rig_compose::budget::{ReserveRequest, SpendBudget, Window};
/// use rig_compose_redis::RedisBudget;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let budget = RedisBudget::builder("acme")
///     .level("org", 5_000_000, Window::CalendarMonthUtc)
///     .level("team-search", 1_000_000, Window::CalendarMonthUtc)
///     .level("agent-7", 50_000, Window::per_day())
///     .connect("redis://127.0.0.1:6379/")?;
///
/// let hold = budget
///     .reserve(ReserveRequest::new(2_000).with_lease(Duration::from_secs(120)))
///     .await?;
/// // ... call the model ...
/// let settlement = hold.settle(1_640).await?;
/// assert_eq!(settlement.refunded, 360);
/// println!("{}", budget.snapshot().await?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisBudget {
    shared: Arc<Shared>,
}

struct Shared {
    conn: RedisConnection,
    tree: String,
    keys: TreeKeys,
    /// Root first, as configured; never empty.
    levels: Vec<Level>,
    /// The last level, kept apart so naming it needs no fallible lookup.
    leaf: Level,
    /// The chain as the scripts take it: a count, then name, capacity and
    /// window spec per level, leaf first.
    chain_args: Vec<String>,
    unit: BudgetUnit,
    policy: FailurePolicy,
    op_timeout: std::time::Duration,
    default_lease_millis: Option<u64>,
    remember_closed_millis: u64,
    counters: Counters,
    audit: Option<AuditSink>,
    fail_open_ids: AtomicU64,
}

impl fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBudget")
            .field("tree", &self.shared.tree)
            .field("levels", &self.shared.levels)
            .field("policy", &self.shared.policy)
            .field("target", &self.shared.conn.target())
            .finish()
    }
}

/// Builds a [`RedisBudget`]; see [`RedisBudget::builder`].
pub struct RedisBudgetBuilder {
    tree: String,
    levels: Vec<Level>,
    unit: BudgetUnit,
    policy: FailurePolicy,
    op_timeout: Option<Duration>,
    default_lease: Option<Duration>,
    remember_closed: Duration,
    audit: Option<AuditSink>,
}

impl fmt::Debug for RedisBudgetBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBudgetBuilder")
            .field("tree", &self.tree)
            .field("levels", &self.levels)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl RedisBudgetBuilder {
    /// Add the next level, root first: the first call names the root (e.g.
    /// the org), the last one the leaf this handle reserves for.
    pub fn level(
        mut self,
        name: impl Into<String>,
        capacity: u64,
        window: rig_compose::budget::Window,
    ) -> Self {
        self.levels.push(Level::new(name, capacity, window));
        self
    }

    /// Add several levels at once, root first.
    pub fn levels(mut self, levels: impl IntoIterator<Item = Level>) -> Self {
        self.levels.extend(levels);
        self
    }

    /// What the amounts count (used in snapshots). Default: tokens.
    pub fn unit(mut self, unit: BudgetUnit) -> Self {
        self.unit = unit;
        self
    }

    /// What to do when Redis is unreachable. Default: fail closed.
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Time one operation may take before it counts as a failure. Default:
    /// the connection's.
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = Some(timeout);
        self
    }

    /// Lease for holds whose request has none. Default:
    /// [`DEFAULT_LEASE`]. `None` lets such holds live until they are
    /// settled, so a crashed worker's holds stay until an operator resets
    /// the tree.
    pub fn default_lease(mut self, lease: Option<Duration>) -> Self {
        self.default_lease = lease;
        self
    }

    /// How long a closed hold id is remembered, so a retried close charges
    /// nothing more. Default: [`DEFAULT_CLOSED_MEMORY`].
    pub fn remember_closed_for(mut self, memory: Duration) -> Self {
        self.remember_closed = memory;
        self
    }

    /// Receive an [`AuditEvent`] for every change this handle makes.
    pub fn audit(mut self, sink: impl Fn(&AuditEvent) + Send + Sync + 'static) -> Self {
        self.audit = Some(Arc::new(sink));
        self
    }

    /// Build the budget on an open connection. No round trip is made.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for an invalid tree or node name, a capacity above
    /// [`MAX_AMOUNT`], no level, more than [`MAX_LEVELS`], a repeated level
    /// or a zero lease.
    pub fn build(self, conn: &RedisConnection) -> Result<RedisBudget, ConfigError> {
        validate_name("tree", &self.tree)?;
        if self.levels.is_empty() {
            return Err(ConfigError::NoLevels);
        }
        if self.levels.len() > MAX_LEVELS {
            return Err(ConfigError::TooManyLevels {
                count: self.levels.len(),
            });
        }
        let mut seen = HashSet::new();
        for level in &self.levels {
            validate_name("node", &level.name)?;
            if level.capacity > MAX_AMOUNT {
                return Err(ConfigError::CapacityTooLarge {
                    level: level.name.clone(),
                    capacity: level.capacity,
                });
            }
            if !seen.insert(level.name.as_str()) {
                return Err(ConfigError::DuplicateLevel(level.name.clone()));
            }
        }
        if self
            .default_lease
            .is_some_and(|lease| lease.as_millis() == 0)
        {
            return Err(ConfigError::ZeroDuration {
                what: "the default lease",
            });
        }
        let mut chain_args = vec![self.levels.len().to_string()];
        for level in self.levels.iter().rev() {
            chain_args.push(level.name.clone());
            chain_args.push(level.capacity.to_string());
            chain_args.push(window_spec(&level.window));
        }
        let Some(leaf) = self.levels.last().cloned() else {
            return Err(ConfigError::NoLevels);
        };
        Ok(RedisBudget {
            shared: Arc::new(Shared {
                leaf,
                keys: TreeKeys::new(&self.tree),
                conn: conn.clone(),
                tree: self.tree,
                levels: self.levels,
                chain_args,
                unit: self.unit,
                policy: self.policy,
                op_timeout: self.op_timeout.unwrap_or_else(|| conn.op_timeout()),
                default_lease_millis: self.default_lease.map(millis_at_least_one),
                remember_closed_millis: millis_at_least_one(self.remember_closed),
                counters: Counters::default(),
                audit: self.audit,
                fail_open_ids: AtomicU64::new(fail_open_seed()),
            }),
        })
    }

    /// Open a connection to `url` (lazily) and build the budget on it.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), plus [`RedisConnection::open`]'s errors.
    pub fn connect(self, url: &str) -> Result<RedisBudget, ConfigError> {
        let conn = RedisConnection::open(url)?;
        self.build(&conn)
    }
}

/// A random starting point for fail-open ids, so processes do not collide.
fn fail_open_seed() -> u64 {
    RandomState::new().build_hasher().finish() >> 2
}

/// The reply of the reserve script.
enum Admission {
    Admitted {
        id: u64,
        deadline: u64,
    },
    Refused {
        /// Index into the leaf-first chain.
        level: usize,
        available: u64,
        now: u64,
    },
}

/// Outcome of the counter-style take used by
/// [`RedisBudgetGuard`](crate::RedisBudgetGuard).
pub(crate) enum Take {
    Taken,
    Refused,
    FailOpen,
}

fn reply_u64(reply: &[i64], index: usize, what: &str) -> Result<u64, OpFailure> {
    let value = reply
        .get(index)
        .ok_or_else(|| OpFailure::Reply(format!("{what}: missing item {index} in {reply:?}")))?;
    u64::try_from(*value)
        .map_err(|_| OpFailure::Reply(format!("{what}: negative item {index} in {reply:?}")))
}

impl RedisBudget {
    /// Start configuring a budget in tree `tree` (the Redis hash tag that
    /// keeps the tree in one cluster slot).
    pub fn builder(tree: impl Into<String>) -> RedisBudgetBuilder {
        RedisBudgetBuilder {
            tree: tree.into(),
            levels: Vec::new(),
            unit: BudgetUnit::Tokens,
            policy: FailurePolicy::FailClosed,
            op_timeout: None,
            default_lease: Some(DEFAULT_LEASE),
            remember_closed: DEFAULT_CLOSED_MEMORY,
            audit: None,
        }
    }

    /// The tree this budget lives in.
    pub fn tree(&self) -> &str {
        &self.shared.tree
    }

    /// The chain of levels, root first.
    pub fn levels(&self) -> &[Level] {
        &self.shared.levels
    }

    /// The level this handle reserves for (the last, deepest one).
    pub fn leaf(&self) -> &Level {
        &self.shared.leaf
    }

    /// The failure policy.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.shared.policy
    }

    /// The connection this budget uses.
    pub fn connection(&self) -> &RedisConnection {
        &self.shared.conn
    }

    /// What this handle and its clones have counted so far.
    pub fn metrics(&self) -> RedisBudgetMetrics {
        self.shared.counters.read()
    }

    /// Snapshots of every level, this budget's own (the leaf) first, then
    /// each ancestor up to the root — the order of the in-process
    /// `Budget::snapshot_chain`. All levels are read in one script, so they
    /// describe the same instant.
    ///
    /// # Errors
    ///
    /// [`BudgetError::Backend`] when Redis fails to answer.
    pub async fn snapshot_chain(&self) -> Result<Vec<BudgetSnapshot>, BudgetError> {
        let shared = &self.shared;
        let mut call = self.invocation(&scripts::SNAPSHOT);
        call.arg(&shared.chain_args);
        let reply: Vec<i64> = shared
            .conn
            .run(&call, shared.op_timeout)
            .await
            .map_err(|failure| self.failed("snapshot", failure))?;
        let field = |i| reply_u64(&reply, i, "snapshot").map_err(|f| self.failed("snapshot", f));
        let now = field(0)?;
        // The script lists levels leaf first, like the result.
        shared
            .levels
            .iter()
            .rev()
            .enumerate()
            .map(|(from_leaf, level)| {
                let at = 1 + from_leaf * 3;
                Ok(level_snapshot(
                    level,
                    &shared.unit,
                    [field(at)?, field(at + 1)?, field(at + 2)?],
                    now,
                ))
            })
            .collect()
    }

    /// Charge `units` of usage that had no hold (e.g. a call admitted
    /// elsewhere) to every level, in its current window. Usage the budget
    /// cannot cover becomes debt.
    ///
    /// # Errors
    ///
    /// [`BudgetError::Backend`] when Redis fails to answer.
    pub async fn charge(&self, units: u64) -> Result<Settlement, BudgetError> {
        let units = units.min(MAX_AMOUNT);
        let (debt, _) = self.adjust("c", units).await?;
        add(&self.shared.counters.charged, units);
        add(&self.shared.counters.debt_incurred, debt);
        Ok(Settlement {
            charged: units,
            refunded: 0,
            debt_incurred: debt,
            was_reclaimed: false,
        })
    }

    /// Give `units` of spend back to every level in its current window
    /// (never below zero). Used by the counter-style guard's `release`.
    pub(crate) async fn give_back(&self, units: u64) -> Result<(), BudgetError> {
        self.adjust("g", units.min(MAX_AMOUNT)).await.map(|_| ())
    }

    async fn adjust(&self, op: &str, units: u64) -> Result<(u64, u64), BudgetError> {
        let shared = &self.shared;
        let mut call = self.invocation(&scripts::ADJUST);
        call.arg(op).arg(units).arg(&shared.chain_args);
        let reply: Vec<i64> = shared
            .conn
            .run(&call, shared.op_timeout)
            .await
            .map_err(|failure| self.failed("charge", failure))?;
        let field = |i| reply_u64(&reply, i, "charge").map_err(|f| self.failed("charge", f));
        let (debt, now, seq) = (field(1)?, field(2)?, field(3)?);
        self.emit(|| AuditEvent::Adjusted {
            seq,
            units: if op == "c" {
                i128::from(units)
            } else {
                -i128::from(units)
            },
            debt_incurred: debt,
            server_millis: now,
        });
        Ok((debt, now))
    }

    /// Take `units` as spend at once at every level, all-or-nothing: the
    /// counter-style guard's reserve.
    pub(crate) async fn take(&self, units: u64) -> Result<Take, BudgetError> {
        match self.admit(units, None, true).await {
            Ok(Admission::Admitted { .. }) => Ok(Take::Taken),
            Ok(Admission::Refused { .. }) => Ok(Take::Refused),
            Err(failure) => {
                let err = self.failed("reserve", failure);
                match self.shared.policy {
                    FailurePolicy::FailClosed => Err(closed_error(err)),
                    FailurePolicy::FailOpen => {
                        self.note_fail_open(&err, units);
                        Ok(Take::FailOpen)
                    }
                }
            }
        }
    }

    fn invocation<'a>(&self, script: &'a redis::Script) -> redis::ScriptInvocation<'a> {
        scripts::invocation(
            script,
            &self.shared.keys,
            self.shared.remember_closed_millis,
        )
    }

    async fn admit(
        &self,
        amount: u64,
        lease_millis: Option<u64>,
        take: bool,
    ) -> Result<Admission, OpFailure> {
        let shared = &self.shared;
        let mut call = self.invocation(&scripts::RESERVE);
        call.arg(amount.min(MAX_AMOUNT))
            .arg(lease_millis.unwrap_or(0))
            .arg(if take { "t" } else { "h" })
            .arg(&shared.chain_args);
        let reply: Vec<i64> = shared.conn.run(&call, shared.op_timeout).await?;
        let field = |i| reply_u64(&reply, i, "reserve");
        if field(0)? == 1 {
            let id = field(1)?;
            let now = field(2)?;
            let deadline = field(3)?;
            let in_use = (0..shared.levels.len())
                .map(|i| field(4 + i))
                .collect::<Result<Vec<_>, _>>()?;
            // The script lists levels leaf first; events list them root first.
            let event_in_use = in_use.iter().rev().copied().collect();
            self.emit(|| AuditEvent::Reserved {
                hold: HoldId(id),
                seq: id,
                amount,
                taken: take,
                lease_deadline: (deadline > 0).then_some(deadline),
                server_millis: now,
                in_use: event_in_use,
            });
            bump(&shared.counters.reservations);
            Ok(Admission::Admitted { id, deadline })
        } else {
            bump(&shared.counters.refused);
            let level = usize::try_from(field(1)?)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .filter(|n| *n < shared.levels.len())
                .ok_or_else(|| OpFailure::Reply(format!("reserve: bad level in {reply:?}")))?;
            Ok(Admission::Refused {
                level,
                available: field(2)?,
                now: field(3)?,
            })
        }
    }

    fn denial(&self, requested: u64, from_leaf: usize, available: u64, now: u64) -> Denial {
        let levels = &self.shared.levels;
        let level = levels
            .len()
            .checked_sub(1 + from_leaf)
            .and_then(|i| levels.get(i))
            .unwrap_or_else(|| self.leaf());
        // Waiting helps only if a window reset can make room for it.
        let retry_at_millis = if requested <= level.capacity {
            level.window.resets_at(now)
        } else {
            None
        };
        Denial {
            budget: level.name.clone(),
            limit: LimitKind::Quota,
            requested,
            available,
            retry_at_millis,
        }
    }

    fn failed(&self, op: &str, failure: OpFailure) -> BudgetError {
        let counters = &self.shared.counters;
        bump(&counters.backend_errors);
        if failure.is_timeout() {
            bump(&counters.timeouts);
        }
        BudgetError::Backend(format!(
            "redis budget `{}/{}` at {}: {op} failed: {failure}",
            self.shared.tree,
            self.leaf().name,
            self.shared.conn.target()
        ))
    }

    fn note_fail_open(&self, err: &BudgetError, amount: u64) {
        bump(&self.shared.counters.fail_open_admissions);
        tracing::warn!(
            tree = %self.shared.tree,
            budget = %self.leaf().name,
            amount,
            error = %err,
            "budget backend failed; admitting without a reservation (fail-open)"
        );
    }

    fn emit(&self, event: impl FnOnce() -> AuditEvent) {
        if let Some(sink) = &self.shared.audit {
            sink(&event());
        }
    }

    fn backend(&self) -> Arc<dyn HoldBackend> {
        Arc::new(self.clone())
    }

    fn next_fail_open_id(&self) -> HoldId {
        let n = self.shared.fail_open_ids.fetch_add(1, Ordering::Relaxed);
        HoldId(FAIL_OPEN_ID_FLAG | (n & !FAIL_OPEN_ID_FLAG))
    }
}

fn closed_error(err: BudgetError) -> BudgetError {
    let BudgetError::Backend(message) = err;
    BudgetError::Backend(format!("{message}; failing closed, nothing was admitted"))
}

pub(crate) fn level_snapshot(
    level: &Level,
    unit: &BudgetUnit,
    [capacity, used, held]: [u64; 3],
    now: u64,
) -> BudgetSnapshot {
    let committed = used.saturating_add(held);
    BudgetSnapshot {
        name: level.name.clone(),
        unit: unit.clone(),
        capacity,
        available: capacity.saturating_sub(committed),
        held,
        consumed: used,
        debt: committed.saturating_sub(capacity),
        // A level without capacity can hold nothing: fully used.
        utilization: if capacity == 0 {
            1.0
        } else {
            committed as f64 / capacity as f64
        },
        resets_at_millis: level.window.resets_at(now),
    }
}

#[async_trait]
impl SpendBudget for RedisBudget {
    /// Reserve across every level in one script. A request without a lease
    /// gets the budget's default lease (see
    /// [`RedisBudgetBuilder::default_lease`]).
    async fn reserve(&self, request: ReserveRequest) -> Result<Hold, ReserveError> {
        let amount = request.amount;
        let lease = request
            .lease
            .map(millis_at_least_one)
            .or(self.shared.default_lease_millis);
        match self.admit(amount, lease, false).await {
            Ok(Admission::Admitted { id, deadline, .. }) => Ok(Hold::new(
                HoldTicket {
                    id: HoldId(id),
                    amount,
                    lease_deadline: (deadline > 0).then_some(deadline),
                },
                self.backend(),
            )),
            Ok(Admission::Refused {
                level,
                available,
                now,
            }) => {
                let denial = self.denial(amount, level, available, now);
                tracing::debug!(tree = %self.shared.tree, %denial, "reservation refused");
                Err(ReserveError::Denied(denial))
            }
            Err(failure) => {
                let err = self.failed("reserve", failure);
                match self.shared.policy {
                    FailurePolicy::FailClosed => {
                        tracing::debug!(tree = %self.shared.tree, error = %err, "reservation failed closed");
                        Err(ReserveError::Backend(closed_error(err)))
                    }
                    FailurePolicy::FailOpen => {
                        self.note_fail_open(&err, amount);
                        Ok(Hold::new(
                            HoldTicket {
                                id: self.next_fail_open_id(),
                                amount,
                                lease_deadline: None,
                            },
                            self.backend(),
                        ))
                    }
                }
            }
        }
    }

    /// The leaf level's own snapshot (see [`snapshot_chain`] for the
    /// ancestors, whose room may be smaller).
    ///
    /// [`snapshot_chain`]: RedisBudget::snapshot_chain
    async fn snapshot(&self) -> Result<BudgetSnapshot, BudgetError> {
        self.snapshot_chain()
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| BudgetError::Backend("snapshot: no levels".into()))
    }

    /// Reclaim every expired hold of the whole tree.
    async fn reap(&self) -> Result<usize, BudgetError> {
        admin::reap_keys(
            &self.shared.conn,
            &self.shared.keys,
            self.shared.op_timeout,
            self.shared.remember_closed_millis,
        )
        .await
        .map_err(|failure| self.failed("reap", failure))
    }
}

#[async_trait]
impl HoldBackend for RedisBudget {
    async fn close(
        &self,
        ticket: &HoldTicket,
        close: HoldClose,
    ) -> Result<Settlement, BudgetError> {
        let shared = &self.shared;
        let units = close.charge().min(MAX_AMOUNT);
        let fail_open = ticket.id.0 & FAIL_OPEN_ID_FLAG != 0;
        if fail_open && units == 0 {
            // Nothing was reserved in Redis and nothing is charged.
            let counters = &shared.counters;
            match close {
                HoldClose::Settle(_) => bump(&counters.settled),
                HoldClose::Release => bump(&counters.released),
                HoldClose::Cancel(_) => bump(&counters.cancelled),
                HoldClose::Dropped(_) => bump(&counters.dropped),
            }
            return Ok(Settlement {
                charged: 0,
                refunded: ticket.amount,
                debt_incurred: 0,
                was_reclaimed: false,
            });
        }
        let mut call = self.invocation(&scripts::CLOSE);
        call.arg(ticket.id.0)
            .arg(units)
            .arg(if fail_open { "p" } else { "n" })
            .arg(&shared.chain_args);
        let reply: Vec<i64> = match shared.conn.run(&call, shared.op_timeout).await {
            Ok(reply) => reply,
            Err(failure) => {
                bump(&shared.counters.close_errors);
                return Err(self.failed("close", failure));
            }
        };
        let field = |i| reply_u64(&reply, i, "close").map_err(|f| self.failed("close", f));
        let settlement = Settlement {
            charged: field(0)?,
            refunded: field(1)?,
            debt_incurred: field(2)?,
            was_reclaimed: field(3)? == 1,
        };
        let now = field(4)?;
        let seq = field(5)?;
        let counters = &shared.counters;
        if seq == 0 {
            bump(&counters.repeated_closes);
        } else {
            match close {
                HoldClose::Settle(actual) => {
                    bump(&counters.settled);
                    add(&counters.estimated, ticket.amount);
                    add(&counters.actual, actual);
                }
                HoldClose::Release => bump(&counters.released),
                HoldClose::Cancel(_) => bump(&counters.cancelled),
                HoldClose::Dropped(_) => bump(&counters.dropped),
            }
            add(&counters.charged, settlement.charged);
            add(&counters.debt_incurred, settlement.debt_incurred);
            if settlement.was_reclaimed {
                bump(&counters.late_closes);
            }
        }
        self.emit(|| AuditEvent::Closed {
            hold: ticket.id,
            seq: (seq != 0).then_some(seq),
            amount: ticket.amount,
            close,
            settlement,
            server_millis: now,
        });
        Ok(settlement)
    }

    fn close_on_drop(&self, ticket: HoldTicket, close: HoldClose) {
        let counters = &self.shared.counters;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                bump(&counters.drop_closes_spawned);
                let budget = self.clone();
                runtime.spawn(async move {
                    if let Err(err) = budget.close(&ticket, close).await {
                        tracing::warn!(
                            hold = %ticket.id,
                            error = %err,
                            "closing a dropped hold failed; its lease will return it"
                        );
                    }
                    bump(&budget.shared.counters.drop_closes_finished);
                });
            }
            Err(_) => {
                bump(&counters.drops_left_to_lease);
                tracing::debug!(
                    hold = %ticket.id,
                    lease_deadline = ?ticket.lease_deadline,
                    "hold dropped outside a Tokio runtime; its lease will return it"
                );
            }
        }
    }

    async fn renew(&self, ticket: &HoldTicket, lease_millis: u64) -> Result<u64, BudgetError> {
        let shared = &self.shared;
        if ticket.id.0 & FAIL_OPEN_ID_FLAG != 0 {
            return Err(BudgetError::Backend(format!(
                "{} was admitted fail-open and has no lease to renew",
                ticket.id
            )));
        }
        let mut call = self.invocation(&scripts::RENEW);
        call.arg(ticket.id.0).arg(lease_millis.min(MAX_AMOUNT));
        let reply: Vec<i64> = shared
            .conn
            .run(&call, shared.op_timeout)
            .await
            .map_err(|failure| self.failed("renew", failure))?;
        let field = |i| reply_u64(&reply, i, "renew").map_err(|f| self.failed("renew", f));
        if field(0)? == 1 {
            return field(1);
        }
        let why = match field(1)? {
            1 => "it is already closed",
            2 => "its lease ran out and it was reclaimed",
            _ => "Redis does not know it (its data may have been lost)",
        };
        Err(BudgetError::Backend(format!(
            "redis budget `{}`: cannot renew {}: {why}",
            shared.tree, ticket.id
        )))
    }
}
