//! The spend-budget engine's hot paths, against the published rig-compose
//! 0.5.0 `AtomicTokenBudget` doing the same work (reserve an estimate of
//! 100, settle with usage of 100).
//!
//! * `reserve_settle/*` — one reserve plus its settlement, per budget kind.
//! * `reserve/*` — the reservation alone (holds are dropped outside the
//!   timed section), for the single-level vs 3-level comparison.
//!
//! Budget futures complete on their first poll, so each is polled once with
//! a no-op waker (`now_or_never`) to keep executor overhead out.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures::FutureExt;

use rig_compose::budget::{Budget, Gcra, RollingWindow, Window};
use rig_compose_published::budget::{
    AtomicTokenBudget as PublishedTokenBudget, TokenBudget as PublishedTokens,
};

/// Enough capacity that no run of the benchmark can exhaust it.
const ROOMY: u64 = u64::MAX / 4;

fn kinds() -> Vec<(&'static str, Budget)> {
    let quota = Budget::quota("quota", ROOMY).build();
    let windowed = Budget::quota("windowed", ROOMY)
        .window(Window::per_minute())
        .build();
    // A trillion units per millisecond: the bucket never runs dry.
    let gcra = Budget::rate(
        "gcra",
        Gcra::with_period_millis(1_000_000_000_000, 1, ROOMY).unwrap(),
    )
    .build();
    let rolling = Budget::rate(
        "rolling",
        RollingWindow::new(ROOMY, Duration::from_secs(60)).unwrap(),
    )
    .build();
    let root = Budget::quota("org", ROOMY).build();
    let mid = root.child("team", ROOMY).build();
    let leaf = mid.child("agent", ROOMY).build();
    vec![
        ("quota", quota),
        ("windowed", windowed),
        ("gcra", gcra),
        ("rolling", rolling),
        ("hierarchy3", leaf),
    ]
}

fn reserve_settle(c: &mut Criterion) {
    let mut group = c.benchmark_group("reserve_settle");
    let published = PublishedTokenBudget::new(ROOMY);
    group.bench_function("published_atomic_token_budget", |b| {
        b.iter(|| {
            if let Some(Ok(Some(reservation))) =
                published.try_reserve_tokens(black_box(100)).now_or_never()
            {
                published
                    .record_usage(reservation, black_box(60), black_box(40))
                    .now_or_never();
            }
        })
    });
    for (name, budget) in kinds() {
        group.bench_function(name, |b| {
            b.iter(|| {
                let hold = budget.try_reserve(black_box(100)).unwrap();
                hold.settle(black_box(100)).now_or_never()
            })
        });
    }
    group.finish();
}

fn reserve_only(c: &mut Criterion) {
    let mut group = c.benchmark_group("reserve");
    let published = PublishedTokenBudget::new(ROOMY);
    group.bench_function("published_atomic_token_budget", |b| {
        b.iter_batched(
            || (),
            |()| published.try_reserve_tokens(black_box(100)).now_or_never(),
            BatchSize::SmallInput,
        )
    });
    for (name, budget) in kinds()
        .into_iter()
        .filter(|(name, _)| matches!(*name, "quota" | "hierarchy3"))
    {
        group.bench_function(name, |b| {
            b.iter_batched(
                || (),
                |()| budget.try_reserve(black_box(100)).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = reserve_settle, reserve_only
}
criterion_main!(benches);
