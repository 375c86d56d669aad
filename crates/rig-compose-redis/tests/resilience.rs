//! Redis misbehaving: timeouts with retried settles, the server stopped mid
//! run (fail-closed vs fail-open), and restarts with AOF persistence.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use std::time::{Duration, Instant};

use rig_compose::budget::{
    BudgetGuard, HoldBackend, HoldClose, ReserveError, ReserveRequest, SpendBudget, TokenBudget,
    Window,
};
use rig_compose_redis::{
    ConnectionSettings, FAIL_OPEN_ID_FLAG, FailurePolicy, RedisBudget, RedisBudgetGuard,
    RedisConnection, RedisTokenBudget,
};
use support::{Persistence, RedisServer, unique_tree};

fn quick_settings() -> ConnectionSettings {
    ConnectionSettings {
        connect_timeout: Duration::from_millis(200),
        op_timeout: Duration::from_millis(300),
        reconnect_retries: 1,
        max_reconnect_delay: Duration::from_millis(100),
    }
}

fn budget(conn: &RedisConnection, tree: &str, policy: FailurePolicy) -> RedisBudget {
    RedisBudget::builder(tree)
        .level("org", 10_000, Window::Unbounded)
        .level("team", 5_000, Window::Unbounded)
        .level("agent", 1_000, Window::Unbounded)
        .failure_policy(policy)
        .build(conn)
        .unwrap()
}

/// Retry `op` until it succeeds or `limit` passes (waiting for reconnects).
async fn eventually<T, E: std::fmt::Display, F, Fut>(limit: Duration, mut op: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    loop {
        match op().await {
            Ok(value) => return value,
            Err(err) if started.elapsed() < limit => {
                let _ = err;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("still failing after {limit:?}: {err}"),
        }
    }
}

#[tokio::test]
async fn settle_retried_after_a_timeout_is_charged_once() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let tree = unique_tree("timeout");
    let budget = RedisBudget::builder(&tree)
        .level("org", 1_000, Window::Unbounded)
        .level("agent", 500, Window::Unbounded)
        .op_timeout(Duration::from_millis(100))
        .build(&conn)
        .unwrap();

    // With the scripts cached, the paused settle is one EVALSHA that runs
    // as soon as the pause ends (unloaded, its NOSCRIPT answer would be
    // dropped with the timed-out future and the retry would apply instead).
    conn.load_scripts().await.unwrap();
    let hold = budget.reserve(ReserveRequest::new(100)).await.unwrap();
    let ticket = hold.ticket().clone();

    // Freeze writes on the server for longer than the operation timeout: the
    // settle reaches Redis, but its answer comes too late for the client.
    let client = redis::Client::open(server.url()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(400)
        .arg("WRITE")
        .query_async(&mut admin)
        .await
        .unwrap();
    let timed_out = hold.settle(70).await.unwrap_err();
    assert!(
        timed_out.to_string().contains("no answer within 100 ms"),
        "{timed_out}"
    );
    assert_eq!(budget.metrics().timeouts, 1);

    // The client cannot know whether the settle happened; it retries 3×.
    let mut answers = Vec::new();
    for _ in 0..3 {
        let answer = eventually(Duration::from_secs(5), || {
            budget.close(&ticket, HoldClose::Settle(70))
        })
        .await;
        answers.push(answer);
    }
    for answer in &answers {
        assert_eq!((answer.charged, answer.refunded), (70, 30));
    }
    let levels = budget.snapshot_chain().await.unwrap();
    for level in &levels {
        assert_eq!((level.consumed, level.held), (70, 0), "{}", level.name);
    }
    // Whichever attempt applied it, the hold was charged exactly once.
    let metrics = budget.metrics();
    assert_eq!(metrics.closed() + metrics.repeated_closes, 3);
    assert_eq!(
        metrics.repeated_closes, 3,
        "the paused settle applied first"
    );
}

#[tokio::test]
async fn redis_stopped_mid_run_fail_closed_denies_and_fail_open_admits() {
    let mut server = RedisServer::start();
    let conn = RedisConnection::open_with(&server.url(), quick_settings()).unwrap();
    let tree = unique_tree("outage");
    let closed = budget(&conn, &tree, FailurePolicy::FailClosed);
    let open = budget(&conn, &tree, FailurePolicy::FailOpen);
    let closed_guard = RedisBudgetGuard::new(closed.clone());
    let closed_tokens = RedisTokenBudget::new(closed.clone());
    let open_guard = RedisBudgetGuard::new(open.clone());

    // Work before the outage.
    closed
        .reserve(100.into())
        .await
        .unwrap()
        .settle(60)
        .await
        .unwrap();
    let straddling = open.reserve(50.into()).await.unwrap();

    server.kill();

    let started = Instant::now();
    let err = closed.reserve(10.into()).await.unwrap_err();
    let elapsed = started.elapsed();
    let ReserveError::Backend(backend) = &err else {
        panic!("expected a backend failure, got {err}");
    };
    let message = backend.to_string();
    assert!(
        message.starts_with("budget backend error: redis budget"),
        "{message}"
    );
    assert!(message.contains("reserve failed"), "{message}");
    assert!(message.contains("failing closed"), "{message}");
    assert!(
        message.contains("unreachable") || message.contains("no answer"),
        "{message}"
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(closed.metrics().backend_errors >= 1);
    assert_eq!(closed.metrics().fail_open_admissions, 0);
    assert!(closed_guard.try_reserve(1).await.is_err());
    assert!(closed_tokens.try_reserve_tokens(1).await.is_err());
    assert!(closed.snapshot().await.is_err());

    // Fail-open admits, counts and hands out a hold all the same.
    let admitted = open.reserve(30.into()).await.unwrap();
    assert_ne!(admitted.id().0 & FAIL_OPEN_ID_FLAG, 0);
    assert_eq!(admitted.lease_deadline(), None);
    assert!(open_guard.try_reserve(5).await.unwrap());
    let metrics = open.metrics();
    assert_eq!(metrics.fail_open_admissions, 2);
    assert!(metrics.backend_errors >= 2);
    assert_eq!(
        metrics.reservations, 1,
        "only the hold taken before the outage"
    );
    // A fail-open hold released without usage needs no round trip.
    let released = open
        .reserve(7.into())
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    assert_eq!(released.refunded, 7);
    // The fail-open guard's release gives nothing back to Redis.
    open_guard.release(5).await;
    // Settling while Redis is still down reports the failure.
    let ticket = admitted.ticket().clone();
    assert!(admitted.settle(20).await.is_err());
    assert_eq!(open.metrics().close_errors, 1);

    // Redis comes back (empty: no persistence). The connection reconnects.
    server.restart();
    let hold = eventually(Duration::from_secs(10), || closed.reserve(10.into())).await;
    hold.release().await.unwrap();
    // The fail-open hold's usage is charged once Redis is back, once.
    let late = open.close(&ticket, HoldClose::Settle(20)).await.unwrap();
    assert_eq!(late.charged, 20);
    assert!(!late.was_reclaimed);
    assert_eq!(
        open.close(&ticket, HoldClose::Settle(20)).await.unwrap(),
        late
    );
    // A hold Redis lost with its data is charged as plain usage.
    let lost = straddling.settle(40).await.unwrap();
    assert!(lost.was_reclaimed);
    let agent = closed.snapshot().await.unwrap();
    assert_eq!((agent.consumed, agent.held), (60, 0));
}

/// Settle holds with assorted usage, leave some open, and return the sum of
/// what was settled and the open holds.
async fn settle_some(budget: &RedisBudget) -> (u64, Vec<rig_compose::budget::Hold>) {
    let mut settled = 0;
    for i in 0..40_u64 {
        let hold = budget.reserve((20 + i).into()).await.unwrap();
        let actual = (i * 7) % (21 + i);
        settled += hold.settle(actual).await.unwrap().charged;
    }
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(budget.reserve(15.into()).await.unwrap());
    }
    (settled, open)
}

async fn assert_survives_restart(persistence: Persistence, crash: bool) {
    let mut server = RedisServer::start_with(persistence);
    let conn = RedisConnection::open_with(&server.url(), quick_settings()).unwrap();
    let tree = unique_tree("aof");
    let budget = budget(&conn, &tree, FailurePolicy::FailClosed);
    let (settled, mut open) = settle_some(&budget).await;
    assert!(settled > 0);
    let retry = open[0].ticket().clone();
    let first = open.remove(0).settle(9).await.unwrap();
    let settled = settled + 9;

    if crash {
        server.kill();
    } else {
        server.terminate();
    }
    server.restart();

    let levels = eventually(Duration::from_secs(10), || budget.snapshot_chain()).await;
    for level in &levels {
        assert_eq!(level.consumed, settled, "{} lost settled spend", level.name);
        assert_eq!(level.held, 30, "{} lost its live holds", level.name);
    }
    // Remembered closes survived too: a retry charges nothing more.
    assert_eq!(
        budget.close(&retry, HoldClose::Settle(9)).await.unwrap(),
        first
    );
    assert_eq!(budget.snapshot().await.unwrap().consumed, settled);
    for hold in open {
        hold.release().await.unwrap();
    }
    assert_eq!(budget.snapshot().await.unwrap().held, 0);
}

#[tokio::test]
async fn aof_always_keeps_settled_spend_across_a_crash() {
    assert_survives_restart(Persistence::AofAlways, true).await;
}

#[tokio::test]
async fn aof_keeps_settled_spend_across_a_clean_restart() {
    assert_survives_restart(Persistence::AofEverySec, false).await;
}
