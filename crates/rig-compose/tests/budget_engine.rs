//! Scenario tests for the in-process spend-budget engine: hierarchies
//! refusing midway, sub-agents sharing a parent, and holds returned on
//! every exit path of async work.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;
use std::time::Duration;

use rig_compose::budget::{
    Budget, BudgetMetrics, BudgetSnapshot, CancelPolicy, Gcra, LimitKind, ManualClock,
    ReserveRequest, RollingWindow, SpendBudget, render_budget_line,
};

fn held_everywhere(budget: &Budget) -> Vec<(String, u64)> {
    budget
        .snapshot_chain()
        .into_iter()
        .map(|s| (s.name, s.held))
        .collect()
}

fn state(budget: &Budget) -> (BudgetSnapshot, BudgetMetrics) {
    (budget.snapshot_now(), budget.metrics())
}

#[test]
fn a_refusal_in_the_middle_of_a_hierarchy_leaves_every_level_untouched() {
    let clock = ManualClock::new(1_000);
    let org = Budget::quota("org", 1_000).clock(clock.clone()).build();
    let team = org.child("team", 50).build();
    let agent = team.child("agent", 500).build();
    let run = agent.child("run", 400).build();

    // Some activity first, so "untouched" is not just "empty".
    let kept = run.try_reserve(30).unwrap();
    let before: Vec<_> = [&org, &team, &agent, &run].map(state).into();

    // The run, the agent and the org could all cover 40; the team cannot.
    let refused = run.try_reserve(40).unwrap_err();
    let denial = refused.denial().unwrap();
    assert_eq!(denial.budget, "team");
    assert_eq!(denial.limit, LimitKind::Quota);
    assert_eq!((denial.requested, denial.available), (40, 20));

    let after: Vec<_> = [&org, &team, &agent, &run].map(state).into();
    for ((snap_before, m_before), (snap_after, m_after)) in before.iter().zip(&after) {
        assert_eq!(snap_before, snap_after, "{} changed", snap_after.name);
        assert_eq!(m_before.reservations, m_after.reservations);
        assert_eq!(
            m_after.open_holds, 1,
            "{} holds only the kept hold",
            snap_after.name
        );
    }
    // Counted where it happened, and where it was asked.
    assert_eq!(team.metrics().denials.quota, 1);
    assert_eq!(run.metrics().refused, 1);
    assert_eq!(
        org.metrics().denials.total() + agent.metrics().denials.total(),
        0
    );

    // Releasing the kept hold returns everything on every level.
    drop(kept);
    for (name, held) in held_everywhere(&run) {
        assert_eq!(held, 0, "{name}");
    }
    assert_eq!(org.snapshot_now().available, 1_000);
}

#[test]
fn a_rate_limit_in_the_middle_refuses_without_taking_from_the_levels_around_it() {
    let clock = ManualClock::new(0);
    let org = Budget::quota("org", 10_000).clock(clock.clone()).build();
    let tpm = Budget::rate("tpm", Gcra::per_minute(6_000, 1_000).unwrap())
        .parent(&org)
        .build();
    let tokens_per_second = Budget::rate(
        "tps",
        RollingWindow::new(5_000, Duration::from_secs(1)).unwrap(),
    )
    .parent(&tpm)
    .build();
    let agent = tokens_per_second.child("agent", 5_000).build();

    let first = agent.try_reserve(800).unwrap();
    let refused = agent.try_reserve(300).unwrap_err();
    let denial = refused.denial().unwrap();
    assert_eq!(
        (denial.budget.as_str(), denial.limit),
        ("tpm", LimitKind::Rate)
    );
    // 100 more tokens refill in one second at 100 per second.
    assert_eq!(denial.retry_at_millis, Some(1_000));
    assert_eq!(
        tokens_per_second.snapshot_now().held,
        800,
        "only the first hold"
    );
    assert_eq!(agent.metrics().refused, 1);
    assert_eq!(org.snapshot_now().held, 800);
    assert_eq!(agent.snapshot_now().held, 800);

    futures::executor::block_on(first.settle(500)).unwrap();
    assert_eq!(tpm.snapshot_now().available, 500);
    assert_eq!(org.snapshot_now().consumed, 500);
}

#[test]
fn sub_agents_draw_from_their_parents_budget() {
    let parent = Budget::quota("planner", 1_000).build();
    let researcher = parent.child("researcher", 800).build();
    let writer = parent.child("writer", 800).build();

    // The researcher spends most of the shared budget...
    let hold = researcher.try_reserve(700).unwrap();
    futures::executor::block_on(hold.settle(750)).unwrap();
    // ...so the writer, with 800 of its own, is refused by the parent.
    let refused = writer.try_reserve(300).unwrap_err();
    assert_eq!(refused.denial().unwrap().budget, "planner");
    assert!(writer.try_reserve(250).is_ok());
    assert_eq!(
        render_budget_line(&writer.snapshot_chain()),
        "800 of 800 tokens left; 250 of 1,000 tokens left"
    );
}

#[tokio::test]
async fn a_future_dropped_while_awaiting_returns_its_hold() {
    let budget = Budget::quota("calls", 10).build();
    let shared: Arc<dyn SpendBudget> = Arc::new(budget.clone());
    let work = {
        let shared = Arc::clone(&shared);
        async move {
            let hold = shared.reserve(ReserveRequest::new(4)).await.unwrap();
            // Never completes: the caller gives up on it.
            std::future::pending::<()>().await;
            hold.settle(4).await.unwrap();
        }
    };
    let timed_out = tokio::time::timeout(Duration::from_millis(10), work).await;
    assert!(timed_out.is_err());
    let snapshot = budget.snapshot_now();
    assert_eq!(
        (snapshot.held, snapshot.consumed, snapshot.available),
        (0, 0, 10)
    );
    assert_eq!(budget.metrics().dropped, 1);
}

#[tokio::test]
async fn a_panicking_task_returns_its_hold_and_charges_its_drop_policy() {
    let budget = Budget::quota("tokens", 1_000).build();
    let task_budget = budget.clone();
    let task = tokio::spawn(async move {
        let mut hold = task_budget.try_reserve(600).unwrap();
        // The prompt (200 tokens) has been sent: charge it if we die.
        hold.set_drop_policy(CancelPolicy::Charge(200));
        tokio::task::yield_now().await;
        panic!("tool crashed");
        #[allow(unreachable_code)]
        hold.settle(600).await.unwrap()
    });
    assert!(task.await.unwrap_err().is_panic());
    let snapshot = budget.snapshot_now();
    assert_eq!((snapshot.held, snapshot.consumed), (0, 200));
}

#[tokio::test]
async fn an_error_after_an_earlier_reservation_returns_it() {
    // Two budgets reserved one after the other; the second refuses, and the
    // `?` exit drops the first hold.
    let tokens = Budget::quota("tokens", 100).build();
    let calls = Budget::quota("calls", 0).build();
    async fn call(tokens: &Budget, calls: &Budget) -> Result<(), String> {
        let _tokens = tokens.try_reserve(60).map_err(|e| e.to_string())?;
        let _call = calls.try_reserve(1).map_err(|e| e.to_string())?;
        unreachable!("the call budget is empty");
    }
    let err = call(&tokens, &calls).await.unwrap_err();
    assert_eq!(err, "budget `calls` denied 1 units: quota has 0 available");
    assert_eq!(tokens.snapshot_now().held, 0);
    assert_eq!(tokens.metrics().dropped, 1);
}

#[test]
fn many_threads_on_a_shared_parent_account_for_every_unit() {
    let org = Budget::quota("org", 1_000_000).build();
    let teams: Vec<_> = (0..4)
        .map(|i| org.child(format!("team-{i}"), 1_000_000).build())
        .collect();
    std::thread::scope(|scope| {
        for team in &teams {
            scope.spawn(move || {
                for i in 0..5_000u64 {
                    let hold = team.try_reserve(10).unwrap();
                    futures::executor::block_on(hold.settle(i % 10)).unwrap();
                }
            });
        }
    });
    let per_team: u64 = (0..5_000u64).map(|i| i % 10).sum();
    for team in &teams {
        assert_eq!(team.snapshot_now().consumed, per_team);
    }
    let org_snapshot = org.snapshot_now();
    assert_eq!(org_snapshot.consumed, 4 * per_team);
    assert_eq!(org_snapshot.held, 0);
    let metrics = org.metrics();
    assert_eq!((metrics.reservations, metrics.settled), (20_000, 20_000));
    assert_eq!(metrics.drift(), 4 * per_team as i128 - 200_000);
}
