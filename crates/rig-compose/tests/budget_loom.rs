//! loom models of the budget counters' compare-and-swap paths.
//!
//! Run with:
//! `RUSTFLAGS="--cfg loom" cargo test -p rig-compose --test budget_loom --release`
//!
//! Under `--cfg loom` the budgets are built on loom's atomics, so each model
//! below is explored over every interleaving (and every permitted weak-memory
//! outcome) of its threads.
#![cfg(loom)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use loom::thread;

use rig_compose::budget::{AtomicBudget, AtomicTokenBudget, BudgetGuard, TokenBudget};

/// The budget futures never wait, so one poll always finishes them. (An
/// executor's `block_on` would be unsafe here: loom runs its threads as
/// coroutines on one OS thread, and nested `block_on`s would collide.)
fn ready<F: Future>(future: F) -> F::Output {
    future
        .now_or_never()
        .expect("budget futures complete on the first poll")
}

#[test]
fn racing_reservations_never_over_admit() {
    loom::model(|| {
        let budget = Arc::new(AtomicBudget::new(3));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let budget = Arc::clone(&budget);
                thread::spawn(move || ready(budget.try_reserve(2)).unwrap())
            })
            .collect();
        let admitted = racers
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(admitted, 1, "only one reservation of 2 fits in 3");
        assert_eq!(budget.available(), 1);
    });
}

#[test]
fn three_way_race_admits_exactly_capacity() {
    loom::model(|| {
        let budget = Arc::new(AtomicBudget::new(2));
        let racers: Vec<_> = (0..3)
            .map(|_| {
                let budget = Arc::clone(&budget);
                thread::spawn(move || ready(budget.try_reserve(1)).unwrap())
            })
            .collect();
        let admitted = racers
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(admitted, 2);
        assert_eq!(budget.available(), 0);
    });
}

#[test]
fn reserve_racing_release_keeps_the_count() {
    loom::model(|| {
        let budget = Arc::new(AtomicBudget::new(4));
        assert!(ready(budget.try_reserve(3)).unwrap());
        let releaser = {
            let budget = Arc::clone(&budget);
            thread::spawn(move || ready(budget.release(3)))
        };
        let reserver = {
            let budget = Arc::clone(&budget);
            thread::spawn(move || ready(budget.try_reserve(2)).unwrap())
        };
        releaser.join().unwrap();
        let admitted = reserver.join().unwrap();
        let expected = if admitted { 2 } else { 4 };
        assert_eq!(budget.available(), expected);
    });
}

#[test]
fn concurrent_releases_clamp_at_capacity() {
    loom::model(|| {
        let budget = Arc::new(AtomicBudget::new(4));
        assert!(ready(budget.try_reserve(2)).unwrap());
        let handles: Vec<_> = [2_u64, 3]
            .into_iter()
            .map(|amount| {
                let budget = Arc::clone(&budget);
                thread::spawn(move || ready(budget.release(amount)))
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(budget.available(), 4);
    });
}

#[test]
fn refill_racing_reserve() {
    loom::model(|| {
        let budget = Arc::new(AtomicBudget::new(5));
        assert!(ready(budget.try_reserve(5)).unwrap());
        let refiller = {
            let budget = Arc::clone(&budget);
            thread::spawn(move || budget.refill())
        };
        let reserver = {
            let budget = Arc::clone(&budget);
            thread::spawn(move || ready(budget.try_reserve(3)).unwrap())
        };
        refiller.join().unwrap();
        // Admitted only if it ran after the refill, which then cannot undo it.
        let admitted = reserver.join().unwrap();
        assert_eq!(budget.available(), if admitted { 2 } else { 5 });
    });
}

#[test]
fn racing_token_reservations_then_settlement() {
    loom::model(|| {
        let budget = Arc::new(AtomicTokenBudget::new(10));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let budget = Arc::clone(&budget);
                thread::spawn(move || match ready(budget.try_reserve_tokens(6)).unwrap() {
                    Some(reservation) => {
                        ready(budget.record_usage(reservation, 2, 1));
                        true
                    }
                    None => false,
                })
            })
            .collect();
        let admitted = racers
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|ok| *ok)
            .count();
        // The loser may have tried before or after the winner settled.
        let consumed = ready(budget.tokens_consumed());
        assert_eq!(consumed, 3 * admitted as u64);
        assert_eq!(budget.available(), 10 - consumed);
        assert!((1..=2).contains(&admitted));
    });
}

#[test]
fn drop_refund_racing_overrun_settlement() {
    loom::model(|| {
        let budget = Arc::new(AtomicTokenBudget::new(10));
        let dropped = ready(budget.try_reserve_tokens(4)).unwrap().unwrap();
        let recorded = ready(budget.try_reserve_tokens(4)).unwrap().unwrap();
        assert_eq!(budget.available(), 2);
        let dropper = thread::spawn(move || drop(dropped));
        let recorder = {
            let budget = Arc::clone(&budget);
            // 6 used against an estimate of 4: a 2-token overrun.
            thread::spawn(move || ready(budget.record_usage(recorded, 3, 3)))
        };
        dropper.join().unwrap();
        recorder.join().unwrap();
        // Either order: 2 + 4 - 2 or max(2 - 2, 0) + 4.
        assert_eq!(budget.available(), 4);
        assert_eq!(ready(budget.tokens_consumed()), 6);
    });
}

#[test]
fn concurrent_drop_refunds_are_all_counted() {
    loom::model(|| {
        let budget = Arc::new(AtomicTokenBudget::new(9));
        let first = ready(budget.try_reserve_tokens(4)).unwrap().unwrap();
        let second = ready(budget.try_reserve_tokens(5)).unwrap().unwrap();
        assert_eq!(budget.available(), 0);
        let a = thread::spawn(move || drop(first));
        let b = thread::spawn(move || drop(second));
        let probe = {
            let budget = Arc::clone(&budget);
            thread::spawn(move || budget.available())
        };
        a.join().unwrap();
        b.join().unwrap();
        let seen = probe.join().unwrap();
        assert!([0, 4, 5, 9].contains(&seen), "torn observation {seen}");
        assert_eq!(budget.available(), 9);
    });
}

#[test]
fn reservation_outliving_its_budget() {
    loom::model(|| {
        let budget = AtomicTokenBudget::new(8);
        let reservation = ready(budget.try_reserve_tokens(3)).unwrap().unwrap();
        let owner = thread::spawn(move || drop(budget));
        let holder = thread::spawn(move || drop(reservation));
        owner.join().unwrap();
        holder.join().unwrap();
    });
}
