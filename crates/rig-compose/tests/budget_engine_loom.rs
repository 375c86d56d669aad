//! loom models of the spend-budget engine's hierarchical reserve / close.
//!
//! Run with:
//! `cd crates/rig-compose && RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=../../target/loom cargo test --release --test budget_engine_loom`
//!
//! Under `--cfg loom` every budget node's mutex is loom's, so each model is
//! explored over every interleaving of its threads' lock acquisitions. loom
//! fails a model that deadlocks, so passing also shows the chain lock
//! order cannot deadlock for the shapes below.
#![cfg(loom)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::future::Future;
use std::time::Duration;

use futures::FutureExt;
use loom::thread;

use rig_compose::budget::{Budget, Clock, Hold, ManualClock, ReserveRequest};

/// Budget futures complete on their first poll.
fn ready<F: Future>(future: F) -> F::Output {
    future
        .now_or_never()
        .expect("budget futures complete on the first poll")
}

fn tree(parent_capacity: u64) -> (Budget, Budget, Budget) {
    let root = Budget::quota("root", parent_capacity)
        .clock(ManualClock::new(0))
        .build();
    let a = root.child("a", 100).build();
    let b = root.child("b", 100).build();
    (root, a, b)
}

#[test]
fn siblings_racing_for_a_shared_parent_never_over_admit() {
    loom::model(|| {
        let (root, a, b) = tree(5);
        let racers: Vec<_> = [a.clone(), b.clone()]
            .into_iter()
            .map(|child| thread::spawn(move || child.try_reserve(3).ok()))
            .collect();
        let holds: Vec<Hold> = racers
            .into_iter()
            .filter_map(|t| t.join().unwrap())
            .collect();
        assert_eq!(holds.len(), 1, "only one hold of 3 fits in 5");
        let parent = root.snapshot_now();
        assert_eq!((parent.held, parent.available), (3, 2));
        let children = a.snapshot_now().held + b.snapshot_now().held;
        assert_eq!(children, 3, "exactly the winner's child holds it");
        drop(holds);
        assert_eq!(root.snapshot_now().held, 0);
        assert_eq!(a.snapshot_now().held + b.snapshot_now().held, 0);
    });
}

#[test]
fn overlapping_chains_of_different_depth_do_not_deadlock() {
    loom::model(|| {
        let (root, a, _b) = tree(4);
        let leaf = a.child("leaf", 100).build();
        // One thread locks root → a → leaf, the other root → a.
        let deep = {
            let leaf = leaf.clone();
            thread::spawn(move || {
                let hold = leaf.try_reserve(3).ok()?;
                Some(ready(hold.settle(2)).unwrap().charged)
            })
        };
        let shallow = {
            let a = a.clone();
            thread::spawn(move || {
                let hold = a.try_reserve(3).ok()?;
                Some(ready(hold.settle(1)).unwrap().charged)
            })
        };
        let charged: Vec<u64> = [deep.join().unwrap(), shallow.join().unwrap()]
            .into_iter()
            .flatten()
            .collect();
        // The first to reserve wins; the other fits only if it came after
        // the first had settled and returned its surplus.
        assert!(!charged.is_empty());
        let total: u64 = charged.iter().sum();
        let root_snapshot = root.snapshot_now();
        assert_eq!((root_snapshot.held, root_snapshot.consumed), (0, total));
        assert!(root_snapshot.consumed <= 4);
        assert_eq!(a.snapshot_now().consumed, total);
    });
}

#[test]
fn reserve_racing_a_settlement_sees_before_or_after_never_between() {
    loom::model(|| {
        let (root, a, b) = tree(10);
        let first = a.try_reserve(8).unwrap();
        let settler = thread::spawn(move || ready(first.settle(3)).unwrap());
        let reserver = {
            let b = b.clone();
            thread::spawn(move || b.try_reserve(6).ok())
        };
        let settlement = settler.join().unwrap();
        assert_eq!((settlement.charged, settlement.refunded), (3, 5));
        let second = reserver.join().unwrap();
        let snapshot = root.snapshot_now();
        match &second {
            // Admitted: it ran after the settlement returned 5 units.
            Some(_) => assert_eq!((snapshot.consumed, snapshot.held), (3, 6)),
            None => assert_eq!((snapshot.consumed, snapshot.held), (3, 0)),
        }
        drop(second);
        assert_eq!(root.snapshot_now().available, 7);
    });
}

#[test]
fn a_dropped_hold_racing_a_reserve_on_the_other_branch() {
    loom::model(|| {
        let (root, a, b) = tree(3);
        let hold = a.try_reserve(3).unwrap();
        let dropper = thread::spawn(move || drop(hold));
        let reserver = {
            let b = b.clone();
            thread::spawn(move || b.try_reserve(3).is_ok())
        };
        dropper.join().unwrap();
        let admitted = reserver.join().unwrap();
        // The reserver's hold (if any) was dropped inside its thread.
        let snapshot = root.snapshot_now();
        assert_eq!((snapshot.held, snapshot.consumed), (0, 0));
        assert_eq!(root.metrics().reservations, 1 + u64::from(admitted));
        assert_eq!(a.snapshot_now().held, 0);
    });
}

#[test]
fn a_reap_racing_a_late_settle_charges_once_and_returns_once() {
    loom::model(|| {
        let clock = ManualClock::new(0);
        let root = Budget::quota("root", 10).clock(clock.clone()).build();
        let leaf = root.child("leaf", 10).build();
        let hold = leaf
            .try_reserve_with(ReserveRequest::new(6).with_lease(Duration::from_millis(5)))
            .unwrap();
        clock.set_millis(5);
        assert_eq!(clock.now_millis(), 5);
        let settler = thread::spawn(move || ready(hold.settle(4)).unwrap());
        let reaper = {
            let leaf = leaf.clone();
            thread::spawn(move || leaf.reap_now())
        };
        let settlement = settler.join().unwrap();
        let reaped = reaper.join().unwrap();
        assert!(settlement.was_reclaimed);
        assert_eq!((settlement.charged, settlement.refunded), (4, 0));
        assert!(reaped <= 1);
        for budget in [&root, &leaf] {
            let snapshot = budget.snapshot_now();
            assert_eq!((snapshot.held, snapshot.consumed), (0, 4));
            let metrics = budget.metrics();
            assert_eq!((metrics.reclaimed, metrics.late_closes), (1, 1));
            assert_eq!(metrics.reclaimed_open, 0);
        }
    });
}
