//! Operator functions on a whole tree: [`status`], [`reset`] and [`reap`].
//! They need only a connection and the tree's name, so a command-line tool
//! can call them without knowing how the budgets were configured.

use std::time::Duration;

use rig_compose::budget::{BudgetError, Window};
use serde::Serialize;

use crate::config::{MAX_AMOUNT, millis_at_least_one, parse_window_spec, validate_name};
use crate::connection::{OpFailure, RedisConnection};
use crate::scripts::{self, TreeKeys};

/// Largest batch one `reap` round trip reclaims.
pub const REAP_BATCH: u64 = 1_000;

/// Most round trips one [`reap`] makes, so a tree with a flood of expired
/// holds cannot keep it busy forever (`REAP_BATCH × REAP_MAX_ROUNDS` holds).
pub const REAP_MAX_ROUNDS: usize = 1_000;

/// Closed ids reclaimed or reset through these functions are remembered
/// for this long (the budgets' own default).
const ADMIN_REMEMBER: Duration = crate::config::DEFAULT_CLOSED_MEMORY;

/// One node of a tree, as stored (rolled into the current window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeStatus {
    /// The node's name.
    pub name: String,
    /// Capacity per window, as last configured by a budget using the node.
    pub capacity: u64,
    /// The node's window, as last configured.
    pub window: Window,
    /// Units charged in the current window (may exceed the capacity).
    pub consumed: u64,
    /// Units held by live holds taken in the current window.
    pub held: u64,
    /// How far consumed + held exceeds the capacity.
    pub debt: u64,
    /// Units a new hold could take at this node alone.
    pub available: u64,
    /// When the current window ends (ms since the epoch), if windowed.
    pub resets_at_millis: Option<u64>,
    /// Units charged to the window before the current one (including late
    /// settles booked there), once the node has rolled over.
    pub previous_window_consumed: Option<u64>,
}

/// The state of a whole tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeStatus {
    /// The tree's name.
    pub tree: String,
    /// Server time of the reading, ms since the epoch.
    pub server_millis: u64,
    /// Holds not yet closed or reclaimed.
    pub live_holds: u64,
    /// Of those, holds with a lease.
    pub leased_holds: u64,
    /// Of those, holds whose lease has run out (reclaimed on the next
    /// script that passes by, or by [`reap`]).
    pub expired_holds: u64,
    /// Holds reclaimed because their lease ran out, since the tree began.
    pub reclaimed_total: u64,
    /// Units returned by those reclaims.
    pub reclaimed_units: u64,
    /// Closes that arrived after their hold was reclaimed (charged as plain
    /// usage).
    pub late_settles: u64,
    /// Closed hold ids currently remembered for idempotent retries.
    pub remembered_closes: u64,
    /// The last hold id / event number handed out.
    pub last_seq: u64,
    /// Every node of the tree, by name.
    pub nodes: Vec<NodeStatus>,
}

fn admin_error(tree: &str, conn: &RedisConnection, op: &str, failure: OpFailure) -> BudgetError {
    BudgetError::Backend(format!(
        "redis budget tree `{tree}` at {}: {op} failed: {failure}",
        conn.target()
    ))
}

fn checked_keys(tree: &str) -> Result<TreeKeys, BudgetError> {
    validate_name("tree", tree).map_err(|err| BudgetError::Backend(err.to_string()))?;
    Ok(TreeKeys::new(tree))
}

fn remember_millis() -> u64 {
    millis_at_least_one(ADMIN_REMEMBER)
}

/// Read the state of every node of `tree`, after reclaiming expired holds
/// (up to [`DEEP_RECLAIM_BATCH`](crate::DEEP_RECLAIM_BATCH) of them).
///
/// # Errors
///
/// [`BudgetError::Backend`] for an invalid tree name or when Redis fails.
pub async fn status(conn: &RedisConnection, tree: &str) -> Result<TreeStatus, BudgetError> {
    let keys = checked_keys(tree)?;
    let call = scripts::invocation(&scripts::STATUS, &keys, remember_millis());
    let reply: Vec<String> = conn
        .run(&call, conn.op_timeout())
        .await
        .map_err(|failure| admin_error(tree, conn, "status", failure))?;
    parse_status(tree, &reply).map_err(|failure| admin_error(tree, conn, "status", failure))
}

fn parse_status(tree: &str, reply: &[String]) -> Result<TreeStatus, OpFailure> {
    let number = |i: usize| -> Result<u64, OpFailure> {
        reply
            .get(i)
            .and_then(|text| text.parse::<u64>().ok())
            .ok_or_else(|| OpFailure::Reply(format!("status: item {i} is not a count")))
    };
    let text = |i: usize| -> Result<&str, OpFailure> {
        reply
            .get(i)
            .map(String::as_str)
            .ok_or_else(|| OpFailure::Reply(format!("status: missing item {i}")))
    };
    let now = number(0)?;
    let node_count = usize::try_from(number(9)?)
        .map_err(|_| OpFailure::Reply("status: node count too large".into()))?;
    let mut nodes = Vec::with_capacity(node_count.min(1_024));
    for n in 0..node_count {
        let at = 10 + n * 8;
        let window_text = text(at + 2)?;
        let window = parse_window_spec(window_text).ok_or_else(|| {
            OpFailure::Reply(format!("status: node window `{window_text}` is unknown"))
        })?;
        let (capacity, consumed, held) = (number(at + 1)?, number(at + 4)?, number(at + 5)?);
        let committed = consumed.saturating_add(held);
        let previous_window_consumed = if text(at + 6)?.is_empty() {
            None
        } else {
            Some(number(at + 7)?)
        };
        nodes.push(NodeStatus {
            name: text(at)?.to_owned(),
            capacity,
            window,
            consumed,
            held,
            debt: committed.saturating_sub(capacity),
            available: capacity.saturating_sub(committed),
            resets_at_millis: window.resets_at(now),
            previous_window_consumed,
        });
    }
    Ok(TreeStatus {
        tree: tree.to_owned(),
        server_millis: now,
        live_holds: number(1)?,
        leased_holds: number(2)?,
        expired_holds: number(3)?,
        last_seq: number(4)?,
        reclaimed_total: number(5)?,
        reclaimed_units: number(6)?,
        late_settles: number(7)?,
        remembered_closes: number(8)?,
        nodes,
    })
}

/// Forget the spend and debt of node `node` in `tree`, or of every node of
/// the tree when `node` is `None` (e.g. to grant a fresh budget by hand).
/// Live holds stay held and settle normally. Returns how many nodes were
/// reset.
///
/// # Errors
///
/// [`BudgetError::Backend`] for an invalid name or when Redis fails.
pub async fn reset(
    conn: &RedisConnection,
    tree: &str,
    node: Option<&str>,
) -> Result<usize, BudgetError> {
    let keys = checked_keys(tree)?;
    if let Some(node) = node {
        validate_name("node", node).map_err(|err| BudgetError::Backend(err.to_string()))?;
    }
    let mut call = scripts::invocation(&scripts::RESET, &keys, remember_millis());
    call.arg(node.unwrap_or(""));
    let count: u64 = conn
        .run(&call, conn.op_timeout())
        .await
        .map_err(|failure| admin_error(tree, conn, "reset", failure))?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// Reclaim every hold of `tree` whose lease has run out; returns how many.
///
/// Scripts reclaim expired holds lazily anyway; this is for operators (and
/// for trees nobody touches), run e.g. from cron.
///
/// # Errors
///
/// [`BudgetError::Backend`] for an invalid tree name or when Redis fails.
pub async fn reap(conn: &RedisConnection, tree: &str) -> Result<usize, BudgetError> {
    let keys = checked_keys(tree)?;
    reap_keys(conn, &keys, conn.op_timeout(), remember_millis())
        .await
        .map_err(|failure| admin_error(tree, conn, "reap", failure))
}

pub(crate) async fn reap_keys(
    conn: &RedisConnection,
    keys: &TreeKeys,
    timeout: Duration,
    remember_closed_millis: u64,
) -> Result<usize, OpFailure> {
    let mut total: u64 = 0;
    for _ in 0..REAP_MAX_ROUNDS {
        let mut call = scripts::invocation(&scripts::REAP, keys, remember_closed_millis);
        call.arg(REAP_BATCH.min(MAX_AMOUNT));
        let reply: Vec<i64> = conn.run(&call, timeout).await?;
        let reclaimed = reply
            .first()
            .and_then(|n| u64::try_from(*n).ok())
            .ok_or_else(|| OpFailure::Reply(format!("reap: {reply:?}")))?;
        total = total.saturating_add(reclaimed);
        if reclaimed < REAP_BATCH {
            break;
        }
    }
    Ok(usize::try_from(total).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn status_replies_are_parsed() {
        let reply = strings(&[
            "1000", "3", "2", "1", "42", "5", "500", "1", "7", "2", // header
            "org", "100", "u", "0", "40", "30", "", "0", // node 1
            "run", "10", "f2000", "0", "9", "3", "7", "12", // node 2 (in debt)
        ]);
        let status = parse_status("t", &reply).unwrap();
        assert_eq!(status.server_millis, 1_000);
        assert_eq!(
            (status.live_holds, status.leased_holds, status.expired_holds),
            (3, 2, 1)
        );
        assert_eq!(status.last_seq, 42);
        assert_eq!((status.reclaimed_total, status.reclaimed_units), (5, 500));
        assert_eq!((status.late_settles, status.remembered_closes), (1, 7));
        assert_eq!(status.nodes.len(), 2);
        let org = &status.nodes[0];
        assert_eq!((org.name.as_str(), org.available, org.debt), ("org", 30, 0));
        assert_eq!(org.resets_at_millis, None);
        assert_eq!(org.previous_window_consumed, None);
        let run = &status.nodes[1];
        assert_eq!((run.available, run.debt), (0, 2));
        assert_eq!(run.previous_window_consumed, Some(12));
        assert_eq!(run.resets_at_millis, Some(2_000));
        assert_eq!(run.window, Window::every_millis(2_000).unwrap());
    }

    #[test]
    fn malformed_status_replies_are_errors() {
        assert!(parse_status("t", &strings(&["x"])).is_err());
        let short = strings(&["1", "0", "0", "0", "0", "0", "0", "0", "0", "1", "org"]);
        assert!(parse_status("t", &short).is_err());
        let bad_window = strings(&[
            "1", "0", "0", "0", "0", "0", "0", "0", "0", "1", "org", "1", "?", "0", "0", "0", "",
            "0",
        ]);
        let err = parse_status("t", &bad_window).unwrap_err();
        assert!(err.to_string().contains("`?`"), "{err}");
    }
}
