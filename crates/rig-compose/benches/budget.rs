//! Budget hot paths: this crate against the published rig-compose 0.5.0.
//!
//! Every budget future completes on its first poll, so each one is polled
//! exactly once with a no-op waker (`now_or_never`) to keep executor overhead
//! out of the numbers.
// criterion_group! generates undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures::FutureExt;

use rig_compose::budget::{AtomicBudget, AtomicTokenBudget, BudgetGuard, TokenBudget};
use rig_compose_published::budget::{
    AtomicBudget as PublishedBudget, AtomicTokenBudget as PublishedTokenBudget,
    BudgetGuard as PublishedGuard, TokenBudget as PublishedTokens,
};

fn reserve_release(c: &mut Criterion) {
    let mut group = c.benchmark_group("atomic_budget_reserve_release");
    let ours = AtomicBudget::new(1_000);
    group.bench_function("ours", |b| {
        b.iter(|| {
            let admitted = ours.try_reserve(black_box(3)).now_or_never();
            ours.release(black_box(3)).now_or_never();
            admitted
        })
    });
    let published = PublishedBudget::new(1_000);
    group.bench_function("published", |b| {
        b.iter(|| {
            let admitted = published.try_reserve(black_box(3)).now_or_never();
            published.release(black_box(3)).now_or_never();
            admitted
        })
    });
    group.finish();
}

fn reserve_record(c: &mut Criterion) {
    let mut group = c.benchmark_group("atomic_token_budget_reserve_record");
    let ours = AtomicTokenBudget::new(1_000_000);
    group.bench_function("ours", |b| {
        b.iter(|| {
            if let Some(Ok(Some(reservation))) =
                ours.try_reserve_tokens(black_box(100)).now_or_never()
            {
                ours.record_usage(reservation, black_box(60), black_box(40))
                    .now_or_never();
            }
        })
    });
    let published = PublishedTokenBudget::new(1_000_000);
    group.bench_function("published", |b| {
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
    group.finish();
}

fn drop_refund(c: &mut Criterion) {
    let mut group = c.benchmark_group("token_reservation_drop_refund");
    // Plenty of headroom: a batch reserves many one-token estimates before
    // any of them is dropped.
    let ours = AtomicTokenBudget::new(u64::MAX / 2);
    group.bench_function("ours", |b| {
        b.iter_batched(
            || ours.try_reserve_tokens(1).now_or_never(),
            drop,
            BatchSize::SmallInput,
        )
    });
    let published = PublishedTokenBudget::new(u64::MAX / 2);
    group.bench_function("published", |b| {
        b.iter_batched(
            || published.try_reserve_tokens(1).now_or_never(),
            drop,
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, reserve_release, reserve_record, drop_refund);
criterion_main!(benches);
