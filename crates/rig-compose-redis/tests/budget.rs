//! Behaviour of one Redis budget against a real `redis-server`: holds,
//! hierarchies, leases, idempotency, windows, adapters and operator
//! functions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rig_compose::budget::{
    BudgetGuard, BudgetSnapshot, BudgetUnit, CancelPolicy, HoldBackend, HoldClose, LimitKind,
    ReserveError, ReserveRequest, SpendBudget, TokenBudget, Window,
};
use rig_compose_redis::{
    AuditEvent, GuardMode, RedisBudget, RedisBudgetGuard, RedisConnection, RedisTokenBudget,
    TreeKeys,
};
use support::{RedisServer, unique_tree};

/// org (1000) → team (500) → run (200), all unbounded.
fn chain(conn: &RedisConnection, tree: &str) -> RedisBudget {
    RedisBudget::builder(tree)
        .level("org", 1_000, Window::Unbounded)
        .level("team", 500, Window::Unbounded)
        .level("run", 200, Window::Unbounded)
        .build(conn)
        .unwrap()
}

async fn levels(budget: &RedisBudget) -> Vec<BudgetSnapshot> {
    budget.snapshot_chain().await.unwrap()
}

/// (consumed, held, debt) per level, leaf first.
async fn state(budget: &RedisBudget) -> Vec<(u64, u64, u64)> {
    levels(budget)
        .await
        .iter()
        .map(|s| (s.consumed, s.held, s.debt))
        .collect()
}

async fn server_millis(conn: &RedisConnection) -> u64 {
    let (secs, micros): (u64, u64) = redis::cmd("TIME")
        .query_async(&mut conn.manager())
        .await
        .unwrap();
    secs * 1_000 + micros / 1_000
}

#[tokio::test]
async fn holds_settle_release_and_cancel_across_the_chain() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("basic"));

    let hold = budget.reserve(ReserveRequest::new(120)).await.unwrap();
    assert!(hold.lease_deadline().is_some(), "default lease applies");
    assert_eq!(state(&budget).await, vec![(0, 120, 0); 3]);

    let settled = hold.settle(100).await.unwrap();
    assert_eq!((settled.charged, settled.refunded), (100, 20));
    assert!(!settled.was_reclaimed);
    assert_eq!(state(&budget).await, vec![(100, 0, 0); 3]);

    let released = budget
        .reserve(50.into())
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    assert_eq!((released.charged, released.refunded), (0, 50));

    let cancelled = budget
        .reserve(60.into())
        .await
        .unwrap()
        .cancel(CancelPolicy::Charge(25))
        .await
        .unwrap();
    assert_eq!((cancelled.charged, cancelled.refunded), (25, 35));
    assert_eq!(state(&budget).await, vec![(125, 0, 0); 3]);

    let snapshot = budget.snapshot().await.unwrap();
    assert_eq!(snapshot.name, "run");
    assert_eq!(snapshot.unit, BudgetUnit::Tokens);
    assert_eq!((snapshot.capacity, snapshot.available), (200, 75));
    assert!((snapshot.utilization - 125.0 / 200.0).abs() < 1e-9);
    assert_eq!(snapshot.resets_at_millis, None);

    let metrics = budget.metrics();
    assert_eq!((metrics.reservations, metrics.closed()), (3, 3));
    assert_eq!(
        (metrics.settled, metrics.released, metrics.cancelled),
        (1, 1, 1)
    );
    assert_eq!((metrics.estimated, metrics.actual), (120, 100));
    assert_eq!((metrics.charged, metrics.drift()), (125, -20));
}

#[tokio::test]
async fn a_denial_anywhere_takes_nothing_anywhere() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let tree = unique_tree("deny");
    let run_a = chain(&conn, &tree);
    let run_b = RedisBudget::builder(&tree)
        .level("org", 1_000, Window::Unbounded)
        .level("team", 500, Window::Unbounded)
        .level("run-b", 400, Window::Unbounded)
        .build(&conn)
        .unwrap();

    let a = run_a.reserve(200.into()).await.unwrap();
    // run-b has room, but the shared team has only 300 left.
    let err = run_b.reserve(301.into()).await.unwrap_err();
    let denial = err.denial().expect("a denial, not a failure");
    assert_eq!(denial.budget, "team");
    assert_eq!(denial.limit, LimitKind::Quota);
    assert_eq!((denial.requested, denial.available), (301, 300));
    assert_eq!(denial.retry_at_millis, None);
    // Nothing was taken at run-b or org by the refused request.
    let b_levels = levels(&run_b).await;
    assert_eq!(b_levels[0].name, "run-b");
    assert_eq!(b_levels[0].held, 0);
    assert_eq!(b_levels[2].held, 200);
    // The leaf's own room, and the chain's.
    assert_eq!(run_b.snapshot().await.unwrap().available, 400);
    assert_eq!(b_levels.iter().map(|l| l.available).min(), Some(300));

    // The leaf refuses first when it is the one short.
    let leaf_err = run_a.reserve(1.into()).await.unwrap_err();
    assert_eq!(leaf_err.denial().unwrap().budget, "run");
    assert_eq!(run_a.metrics().refused, 1);

    let b = run_b.reserve(300.into()).await.unwrap();
    a.release().await.unwrap();
    b.release().await.unwrap();
    assert_eq!(state(&run_b).await, vec![(0, 0, 0); 3]);
}

#[tokio::test]
async fn usage_beyond_capacity_becomes_debt_that_blocks_new_holds() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("debt"));

    let hold = budget.reserve(150.into()).await.unwrap();
    let settled = hold.settle(260).await.unwrap();
    // run has 200: all 260 are charged, 60 beyond its capacity are debt.
    // org and team have room for all of it.
    assert_eq!(settled.charged, 260);
    assert_eq!(settled.refunded, 0);
    assert_eq!(settled.debt_incurred, 60);
    let run = levels(&budget).await.remove(0);
    assert_eq!((run.consumed, run.debt, run.available), (260, 60, 0));
    assert!(run.utilization > 1.0);
    // Debt refuses every new hold, even an empty one.
    let refused = budget.reserve(0.into()).await.unwrap_err();
    assert_eq!(refused.denial().unwrap().budget, "run");
    assert_eq!(budget.metrics().debt_incurred, 60);

    // An operator reset clears spend and debt.
    assert_eq!(
        rig_compose_redis::reset(&conn, budget.tree(), Some("run"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(state(&budget).await[0], (0, 0, 0));
    assert_eq!(state(&budget).await[2], (260, 0, 0));
    budget
        .reserve(200.into())
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_retried_close_charges_once() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("idem"));

    let hold = budget.reserve(100.into()).await.unwrap();
    let ticket = hold.ticket().clone();
    let first = budget.close(&ticket, HoldClose::Settle(70)).await.unwrap();
    for _ in 0..3 {
        let again = budget.close(&ticket, HoldClose::Settle(70)).await.unwrap();
        assert_eq!(again, first);
        // A different close of the same id changes nothing either.
        let other = budget.close(&ticket, HoldClose::Release).await.unwrap();
        assert_eq!(other, first);
    }
    // Dropping the (already closed) hold closes nothing more.
    drop(hold);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(state(&budget).await, vec![(70, 0, 0); 3]);
    let metrics = budget.metrics();
    assert_eq!((metrics.closed(), metrics.settled), (1, 1));
    assert_eq!(metrics.repeated_closes, 7);
}

#[tokio::test]
async fn a_dropped_hold_is_released_on_the_runtime() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("drop"));

    let hold = budget.reserve(80.into()).await.unwrap();
    drop(hold);
    let charged = budget
        .reserve(40.into())
        .await
        .unwrap()
        .with_drop_policy(CancelPolicy::Charge(15));
    drop(charged);
    let deadline = Instant::now() + Duration::from_secs(5);
    while budget.metrics().drop_closes_finished < 2 {
        assert!(Instant::now() < deadline, "drop closes never finished");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state(&budget).await, vec![(15, 0, 0); 3]);
    let metrics = budget.metrics();
    assert_eq!((metrics.drop_closes_spawned, metrics.dropped), (2, 2));
}

#[tokio::test]
async fn expired_leases_come_back_and_late_settles_charge_without_refund() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("lease"));

    let short = budget
        .reserve(ReserveRequest::new(150).with_lease(Duration::from_millis(300)))
        .await
        .unwrap();
    let long = budget
        .reserve(ReserveRequest::new(30).with_lease(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(short.lease_deadline().unwrap() < long.lease_deadline().unwrap());
    // Other activity does not extend a lease.
    for _ in 0..3 {
        budget
            .reserve(10.into())
            .await
            .unwrap()
            .release()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(400)).await;

    // The snapshot reclaims on its way: only the long hold is left.
    assert_eq!(state(&budget).await, vec![(0, 30, 0); 3]);
    let status = rig_compose_redis::status(&conn, budget.tree())
        .await
        .unwrap();
    assert_eq!((status.reclaimed_total, status.reclaimed_units), (1, 150));
    assert_eq!(status.live_holds, 1);

    let late = short.settle(120).await.unwrap();
    assert!(late.was_reclaimed);
    assert_eq!((late.charged, late.refunded), (120, 0));
    assert_eq!(state(&budget).await, vec![(120, 30, 0); 3]);
    // Retrying the late settle charges nothing more.
    assert_eq!(budget.metrics().late_closes, 1);
    long.release().await.unwrap();
    assert_eq!(
        rig_compose_redis::status(&conn, budget.tree())
            .await
            .unwrap()
            .late_settles,
        1
    );
}

#[tokio::test]
async fn a_close_after_the_deadline_reclaims_first() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("late"));
    let hold = budget
        .reserve(ReserveRequest::new(100).with_lease(Duration::from_millis(150)))
        .await
        .unwrap();
    let ticket = hold.ticket().clone();
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Nothing has passed by since the deadline: the close itself reclaims.
    let late = budget.close(&ticket, HoldClose::Settle(90)).await.unwrap();
    assert!(late.was_reclaimed);
    assert_eq!((late.charged, late.refunded), (90, 0));
    for _ in 0..3 {
        assert_eq!(
            budget.close(&ticket, HoldClose::Settle(90)).await.unwrap(),
            late
        );
    }
    assert_eq!(state(&budget).await, vec![(90, 0, 0); 3]);
    drop(hold);
}

#[tokio::test]
async fn renewing_is_explicit_and_refused_once_reclaimed() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("renew"));

    let mut kept = budget
        .reserve(ReserveRequest::new(20).with_lease(Duration::from_millis(300)))
        .await
        .unwrap();
    let forgotten = budget
        .reserve(ReserveRequest::new(30).with_lease(Duration::from_millis(300)))
        .await
        .unwrap();
    let first_deadline = kept.lease_deadline().unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    kept.renew(5_000).await.unwrap();
    assert!(kept.lease_deadline().unwrap() > first_deadline + 4_000);
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(state(&budget).await, vec![(0, 20, 0); 3]);
    let mut forgotten = forgotten;
    let err = forgotten.renew(1_000).await.unwrap_err();
    assert!(err.to_string().contains("reclaimed"), "{err}");
    let settlement = kept.settle(20).await.unwrap();
    assert!(!settlement.was_reclaimed);
    drop(forgotten);
}

#[tokio::test]
async fn windows_reset_on_the_server_clock() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let period = 2_000;
    let budget = RedisBudget::builder(unique_tree("window"))
        .level("org", 10_000, Window::Unbounded)
        .level("minute", 100, Window::every_millis(period).unwrap())
        .build(&conn)
        .unwrap();

    // Start early in a window so the steps below fit in it.
    loop {
        let now = server_millis(&conn).await;
        if now % period < 300 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(period - now % period)).await;
    }
    let boundary = (server_millis(&conn).await / period + 1) * period;

    budget
        .reserve(60.into())
        .await
        .unwrap()
        .settle(50)
        .await
        .unwrap();
    let straddling = budget.reserve(40.into()).await.unwrap();
    let err = budget.reserve(11.into()).await.unwrap_err();
    let denial = err.denial().unwrap();
    assert_eq!((denial.budget.as_str(), denial.available), ("minute", 10));
    assert_eq!(denial.retry_at_millis, Some(boundary));
    assert_eq!(
        budget.snapshot().await.unwrap().resets_at_millis,
        Some(boundary)
    );
    // A request larger than the window's capacity can never succeed.
    assert_eq!(
        budget
            .reserve(101.into())
            .await
            .unwrap_err()
            .denial()
            .unwrap()
            .retry_at_millis,
        None
    );

    while server_millis(&conn).await < boundary {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // A fresh window: the full capacity is back.
    let fresh = budget.reserve(100.into()).await.unwrap();
    // The hold taken in the previous window is charged to that window.
    let settled = straddling.settle(30).await.unwrap();
    assert_eq!(settled.charged, 30);
    let now = levels(&budget).await;
    assert_eq!((now[0].consumed, now[0].held), (0, 100));
    assert_eq!(now[0].resets_at_millis, Some(boundary + period));
    // The unbounded org counts everything.
    assert_eq!((now[1].consumed, now[1].held), (80, 100));
    // The previous window got the late charge on top of its 50.
    let status = rig_compose_redis::status(&conn, budget.tree())
        .await
        .unwrap();
    let minute = status.nodes.iter().find(|n| n.name == "minute").unwrap();
    assert_eq!(minute.previous_window_consumed, Some(80));
    assert_eq!(minute.consumed, 0);
    fresh.release().await.unwrap();
}

#[tokio::test]
async fn calendar_months_follow_the_server_clock() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = RedisBudget::builder(unique_tree("month"))
        .level("monthly", 1_000, Window::CalendarMonthUtc)
        .build(&conn)
        .unwrap();
    budget
        .reserve(10.into())
        .await
        .unwrap()
        .settle(10)
        .await
        .unwrap();
    let now = server_millis(&conn).await;
    let snapshot = budget.snapshot().await.unwrap();
    assert_eq!(snapshot.consumed, 10);
    assert_eq!(
        snapshot.resets_at_millis,
        Window::CalendarMonthUtc.resets_at(now)
    );
    // The stored window number is the Rust one (months since 1970-01).
    let keys = TreeKeys::new(budget.tree());
    let stored: String = redis::cmd("HGET")
        .arg(&keys.nodes)
        .arg("monthly")
        .query_async(&mut conn.manager())
        .await
        .unwrap();
    // cap|window|window number|used|held|previous window|its usage
    let fields: Vec<&str> = stored.split('|').collect();
    assert_eq!(fields.len(), 7, "{stored}");
    assert_eq!(fields[..2], ["1000", "m"]);
    assert_eq!(
        fields[2].parse::<u64>().unwrap(),
        Window::CalendarMonthUtc.index_at(now)
    );
    assert_eq!(fields[3..5], ["10", "0"]);
}

#[tokio::test]
async fn audit_events_follow_the_server_order() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let budget = RedisBudget::builder(unique_tree("audit"))
        .level("org", 100, Window::Unbounded)
        .level("run", 50, Window::Unbounded)
        .audit(move |event| sink.lock().unwrap().push(event.clone()))
        .build(&conn)
        .unwrap();
    let hold = budget.reserve(30.into()).await.unwrap();
    let id = hold.id();
    hold.settle(12).await.unwrap();
    budget.charge(5).await.unwrap();

    let events = events.lock().unwrap();
    assert_eq!(events.len(), 3);
    match &events[0] {
        AuditEvent::Reserved {
            hold,
            seq,
            in_use,
            amount,
            taken,
            ..
        } => {
            assert_eq!((*hold, *amount, *taken), (id, 30, false));
            assert_eq!(*seq, id.0);
            assert_eq!(in_use, &vec![30, 30]);
        }
        other => panic!("{other:?}"),
    }
    match &events[1] {
        AuditEvent::Closed {
            seq, settlement, ..
        } => {
            assert_eq!(*seq, Some(id.0 + 1));
            assert_eq!(settlement.charged, 12);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        events[2],
        AuditEvent::Adjusted { units: 5, seq, .. } if seq == id.0 + 2
    ));
}

#[tokio::test]
async fn token_budget_adapter_settles_with_reported_usage() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = RedisBudget::builder(unique_tree("tokens"))
        .level("tokens", 1_000, Window::Unbounded)
        .build(&conn)
        .unwrap();
    let tokens = RedisTokenBudget::new(budget.clone());

    let call = tokens.try_reserve_tokens(500).await.unwrap().unwrap();
    assert_eq!(call.estimate(), 500);
    assert!(tokens.try_reserve_tokens(501).await.unwrap().is_none());
    tokens.record_usage(call, 100, 50).await;
    assert_eq!(tokens.tokens_consumed().await, 150);
    assert_eq!(budget.snapshot().await.unwrap().available, 850);

    // Dropped unsettled: released through the hold.
    let dropped = tokens.try_reserve_tokens(300).await.unwrap().unwrap();
    drop(dropped);
    let deadline = Instant::now() + Duration::from_secs(5);
    while budget.metrics().drop_closes_finished < 1 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(budget.snapshot().await.unwrap().available, 850);

    // A reservation issued by another budget is refunded there, and the
    // usage is charged here.
    let other = rig_compose::budget::AtomicTokenBudget::new(100);
    let foreign = other.try_reserve_tokens(60).await.unwrap().unwrap();
    tokens.record_usage(foreign, 20, 0).await;
    assert_eq!(other.available(), 100);
    assert_eq!(tokens.tokens_consumed().await, 170);

    // Over-use beyond capacity is recorded as debt.
    let big = tokens.try_reserve_tokens(800).await.unwrap().unwrap();
    tokens.record_usage(big, 900, 100).await;
    let snapshot = budget.snapshot().await.unwrap();
    assert_eq!((snapshot.consumed, snapshot.debt), (1_170, 170));
    assert_eq!(tokens.tokens_consumed().await, 1_170);
}

#[tokio::test]
async fn guard_adapter_counter_mode_matches_atomic_budget() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = RedisBudget::builder(unique_tree("guard"))
        .level("calls", 100, Window::Unbounded)
        .build(&conn)
        .unwrap();
    let guard = RedisBudgetGuard::new(budget.clone());
    assert_eq!(guard.mode(), GuardMode::Counter);
    let atomic = rig_compose::budget::AtomicBudget::new(100);

    // The same script of calls on both gives the same answers.
    for (reserve, cost) in [
        (true, 70),
        (true, 30),
        (true, 1),
        (false, 30),
        (true, 31),
        (true, 30),
        (false, 1_000),
        (true, 100),
    ] {
        if reserve {
            assert_eq!(
                guard.try_reserve(cost).await.unwrap(),
                atomic.try_reserve(cost).await.unwrap(),
                "reserve {cost}"
            );
        } else {
            guard.release(cost).await;
            atomic.release(cost).await;
        }
        assert_eq!(
            budget.snapshot().await.unwrap().available,
            atomic.available()
        );
    }
}

#[tokio::test]
async fn guard_adapter_leased_mode_drives_the_dispatch_hook() {
    use rig_compose::budget::DispatchBudgetHook;
    use rig_compose::normalizer::{
        ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
        ToolInvocationResult,
    };

    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = RedisBudget::builder(unique_tree("hook"))
        .level("calls", 1, Window::Unbounded)
        .build(&conn)
        .unwrap();
    let guard = Arc::new(RedisBudgetGuard::leased(budget.clone()));
    let hook = DispatchBudgetHook::new(Arc::clone(&guard), 1);

    let call = ToolInvocationResult {
        invocation: ToolInvocation::new("search", serde_json::json!({})).unwrap(),
        output: serde_json::Value::Null,
    };
    assert_eq!(
        hook.before_invocation(&call.invocation).await.unwrap(),
        ToolDispatchAction::Continue
    );
    assert_eq!(guard.outstanding_holds(), 1);
    let second = ToolInvocation::new("search", serde_json::json!({})).unwrap();
    assert!(matches!(
        hook.before_invocation(&second).await.unwrap(),
        ToolDispatchAction::Terminate { .. }
    ));
    hook.after_invocation_with_outcome(&call, &ToolInvocationOutcome::Completed)
        .await
        .unwrap();
    assert_eq!(guard.outstanding_holds(), 0);
    let snapshot = budget.snapshot().await.unwrap();
    assert_eq!((snapshot.available, snapshot.consumed), (1, 0));
    // A release nobody reserved for gives nothing back.
    guard.release(1).await;
    assert_eq!(budget.snapshot().await.unwrap().available, 1);
}

/// Code written against the trait runs unchanged on Redis.
async fn spend_twice<B: SpendBudget>(budget: &B) -> Result<u64, ReserveError> {
    let first = budget.reserve(ReserveRequest::new(10)).await?;
    let second = budget.reserve(ReserveRequest::new(20)).await?;
    first.settle(5).await?;
    second.release().await?;
    Ok(budget.snapshot().await?.consumed)
}

#[tokio::test]
async fn generic_code_runs_on_the_redis_backend() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("generic"));
    assert_eq!(spend_twice(&budget).await.unwrap(), 5);
    let as_dyn: Arc<dyn SpendBudget> = Arc::new(budget);
    assert_eq!(as_dyn.reap().await.unwrap(), 0);
}

#[tokio::test]
async fn reap_and_status_work_on_the_whole_tree() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let tree = unique_tree("ops");
    let budget = chain(&conn, &tree);
    let mut holds = Vec::new();
    for _ in 0..20 {
        holds.push(
            budget
                .reserve(ReserveRequest::new(5).with_lease(Duration::from_millis(100)))
                .await
                .unwrap(),
        );
    }
    let settled = budget.reserve(7.into()).await.unwrap();
    settled.settle(7).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Read the raw keys first: nothing has reclaimed them yet.
    let keys = TreeKeys::new(&tree);
    let leased: u64 = redis::cmd("ZCARD")
        .arg(&keys.leases)
        .query_async(&mut conn.manager())
        .await
        .unwrap();
    assert_eq!(leased, 20);
    assert_eq!(rig_compose_redis::reap(&conn, &tree).await.unwrap(), 20);
    assert_eq!(rig_compose_redis::reap(&conn, &tree).await.unwrap(), 0);

    let status = rig_compose_redis::status(&conn, &tree).await.unwrap();
    assert_eq!(status.live_holds, 0);
    assert_eq!(status.reclaimed_total, 20);
    let names: Vec<_> = status.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["org", "run", "team"]);
    assert!(status.nodes.iter().all(|n| n.consumed == 7 && n.held == 0));
    assert_eq!(status.nodes[1].capacity, 200);
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["nodes"][0]["window"]["kind"], "unbounded");

    assert_eq!(
        rig_compose_redis::reset(&conn, &tree, None).await.unwrap(),
        3
    );
    assert!(
        rig_compose_redis::status(&conn, &tree)
            .await
            .unwrap()
            .nodes
            .iter()
            .all(|n| n.consumed == 0)
    );
    assert!(rig_compose_redis::status(&conn, "bad{tree}").await.is_err());
    drop(holds);
}

#[tokio::test]
async fn calendar_month_numbers_in_lua_match_the_rust_window() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    // The prelude of every script, followed by a probe of its month math.
    let probe = redis::Script::new(&format!(
        "{}\nlocal out = {{}}\nfor i = 4, #ARGV do out[#out + 1] = month_number(tonumber(ARGV[i])) end\nreturn out",
        include_str!("../src/lua/prelude.lua")
    ));
    const DAY: u64 = 86_400_000;
    let mut stamps = vec![0, 1, DAY - 1, DAY, 31 * DAY - 1, 31 * DAY];
    // Month boundaries (±1 ms) from 1970 to 2200, leap years included.
    let mut start = 0;
    while start < 7_258_118_400_000 {
        let next = Window::CalendarMonthUtc.resets_at(start).unwrap();
        stamps.extend([next - 1, next, next + 1, next + DAY / 2]);
        start = next;
    }
    // Arbitrary instants as well.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..2_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        stamps.push(x % 7_258_118_400_000);
    }
    for chunk in stamps.chunks(1_000) {
        let mut call = probe.prepare_invoke();
        call.arg(0).arg(0).arg(0);
        for stamp in chunk {
            call.arg(*stamp);
        }
        let months: Vec<u64> = call.invoke_async(&mut conn.manager()).await.unwrap();
        assert_eq!(months.len(), chunk.len());
        for (stamp, month) in chunk.iter().zip(months) {
            assert_eq!(
                month,
                Window::CalendarMonthUtc.index_at(*stamp),
                "month of {stamp}"
            );
        }
    }
}

#[tokio::test]
async fn one_tree_lives_in_one_cluster_slot() {
    // A one-node cluster owning every slot: Redis Cluster checks that a
    // script's keys share a slot and that it touches no other key.
    let server = RedisServer::start_with_args(
        support::Persistence::None,
        &[
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
        ],
    );
    let conn = RedisConnection::open(&server.url()).unwrap();
    let mut redis = conn.manager();
    let _: () = redis::cmd("CLUSTER")
        .arg("ADDSLOTSRANGE")
        .arg(0)
        .arg(16_383)
        .query_async(&mut redis)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info: String = redis::cmd("CLUSTER")
            .arg("INFO")
            .query_async(&mut redis)
            .await
            .unwrap();
        if info.contains("cluster_state:ok") {
            break;
        }
        assert!(Instant::now() < deadline, "cluster never became ok: {info}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let tree = unique_tree("cluster");
    let keys = TreeKeys::new(&tree);
    let mut slots = Vec::new();
    for key in keys.all() {
        let slot: u64 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query_async(&mut redis)
            .await
            .unwrap();
        slots.push(slot);
    }
    slots.dedup();
    assert_eq!(slots.len(), 1, "keys spread over slots {slots:?}");

    // Every operation runs in cluster mode.
    let budget = chain(&conn, &tree);
    let hold = budget
        .reserve(ReserveRequest::new(50).with_lease(Duration::from_millis(100)))
        .await
        .unwrap();
    budget
        .reserve(20.into())
        .await
        .unwrap()
        .settle(15)
        .await
        .unwrap();
    let mut renewed = budget.reserve(10.into()).await.unwrap();
    renewed.renew(60_000).await.unwrap();
    renewed.cancel(CancelPolicy::Charge(4)).await.unwrap();
    budget.charge(1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(budget.reap().await.unwrap(), 1);
    assert_eq!(state(&budget).await, vec![(20, 0, 0); 3]);
    let status = rig_compose_redis::status(&conn, &tree).await.unwrap();
    assert_eq!(status.reclaimed_total, 1);
    assert_eq!(
        rig_compose_redis::reset(&conn, &tree, None).await.unwrap(),
        3
    );
    drop(hold);
}

#[tokio::test]
async fn a_shorter_lease_taken_later_is_still_reclaimed_on_time() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let budget = chain(&conn, &unique_tree("floor"));
    // The long lease sets the tree's lease floor far ahead; the short one
    // taken afterwards must lower it, or no script would look for it.
    let long = budget
        .reserve(ReserveRequest::new(30).with_lease(Duration::from_secs(60)))
        .await
        .unwrap();
    budget
        .reserve(10.into())
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    let short = budget
        .reserve(ReserveRequest::new(100).with_lease(Duration::from_millis(150)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    // A reserve that only fits once the short hold is gone.
    let big = budget.reserve(170.into()).await.unwrap();
    assert_eq!(state(&budget).await, vec![(0, 200, 0); 3]);
    let late = short.settle(5).await.unwrap();
    assert!(late.was_reclaimed);
    big.release().await.unwrap();
    long.release().await.unwrap();
}

#[tokio::test]
async fn closed_ids_are_forgotten_after_the_memory_period() {
    let server = RedisServer::start();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let tree = unique_tree("forget");
    let budget = RedisBudget::builder(&tree)
        .level("run", 1_000, Window::Unbounded)
        .remember_closed_for(Duration::from_millis(200))
        .build(&conn)
        .unwrap();
    let hold = budget.reserve(100.into()).await.unwrap();
    let ticket = hold.ticket().clone();
    hold.settle(40).await.unwrap();
    // Within the memory period a retry is recognised.
    let retry = budget.close(&ticket, HoldClose::Settle(40)).await.unwrap();
    assert_eq!((retry.charged, retry.was_reclaimed), (40, false));
    assert_eq!(budget.metrics().repeated_closes, 1);
    let status = rig_compose_redis::status(&conn, &tree).await.unwrap();
    assert_eq!((status.remembered_closes, status.live_holds), (1, 0));

    tokio::time::sleep(Duration::from_millis(300)).await;
    // The next close prunes the memory on its way.
    budget
        .reserve(1.into())
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    let status = rig_compose_redis::status(&conn, &tree).await.unwrap();
    assert_eq!(status.remembered_closes, 1, "only the newest close");
    // Past the memory period the id is unknown: a retry now charges again,
    // as plain usage, which is why the period must outlast client retries.
    let too_late = budget.close(&ticket, HoldClose::Settle(40)).await.unwrap();
    assert!(too_late.was_reclaimed);
    assert_eq!(budget.snapshot().await.unwrap().consumed, 80);
}
