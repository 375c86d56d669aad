//! LFM parsing throughput: this crate against the published rig-compose.
//!
//! `cargo bench --manifest-path differential/Cargo.toml --bench normalizer`
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};
use rig_compose_differential::lfm_corpus;
use rig_compose_published::normalizer::{
    LfmNormalizer as PublishedLfm, ToolCallNormalizer as PublishedNormalizer,
};

fn lfm(c: &mut Criterion) {
    let corpus = lfm_corpus();
    let bytes: usize = corpus.iter().map(String::len).sum();
    // Same work, same answers: check before timing anything.
    for raw in &corpus {
        let ours = LfmNormalizer.normalize(raw).unwrap();
        let theirs = PublishedLfm.normalize(raw).unwrap();
        assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!((&a.name, &a.args), (&b.name, &b.args));
        }
    }

    let mut group = c.benchmark_group("lfm_corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("ours", |b| {
        b.iter(|| {
            for raw in &corpus {
                black_box(LfmNormalizer.normalize(black_box(raw)).unwrap());
            }
        });
    });
    group.bench_function("published", |b| {
        b.iter(|| {
            for raw in &corpus {
                black_box(PublishedLfm.normalize(black_box(raw)).unwrap());
            }
        });
    });
    group.finish();
}

criterion_group!(benches, lfm);
criterion_main!(benches);
