//! Registry lookup and invoke: this crate against the published 0.5.0.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;

const TOOL_COUNTS: [usize; 2] = [8, 512];

fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("tool_{i:04}")).collect()
}

fn ours(count: usize) -> rig_compose::ToolRegistry {
    let reg = rig_compose::ToolRegistry::new();
    for name in names(count) {
        let schema = rig_compose::ToolSchema {
            name,
            description: String::new(),
            args_schema: json!({}),
            result_schema: json!({}),
        };
        reg.register(Arc::new(rig_compose::LocalTool::new(
            schema,
            |a| async move { Ok(a) },
        )));
    }
    reg
}

fn published(count: usize) -> rig_compose_published::ToolRegistry {
    let reg = rig_compose_published::ToolRegistry::new();
    for name in names(count) {
        let schema = rig_compose_published::ToolSchema {
            name,
            description: String::new(),
            args_schema: json!({}),
            result_schema: json!({}),
        };
        reg.register(Arc::new(rig_compose_published::LocalTool::new(
            schema,
            |a| async move { Ok(a) },
        )));
    }
    reg
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry_get");
    for count in TOOL_COUNTS {
        let probe = names(count);
        let (o, p) = (ours(count), published(count));
        let (os, ps) = (
            o.scoped(probe.iter().step_by(2).cloned()),
            p.scoped(probe.iter().step_by(2).cloned()),
        );
        group.bench_with_input(BenchmarkId::new("ours", count), &probe, |b, probe| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % probe.len();
                black_box(o.get(&probe[i]).is_ok())
            })
        });
        group.bench_with_input(BenchmarkId::new("published", count), &probe, |b, probe| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % probe.len();
                black_box(p.get(&probe[i]).is_ok())
            })
        });
        group.bench_with_input(
            BenchmarkId::new("ours_scoped", count),
            &probe,
            |b, probe| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % probe.len();
                    black_box(os.get(&probe[i]).is_ok())
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("published_scoped", count),
            &probe,
            |b, probe| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % probe.len();
                    black_box(ps.get(&probe[i]).is_ok())
                })
            },
        );
    }
    group.finish();
}

fn invoke(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry_invoke");
    let (o, p) = (ours(64), published(64));
    let args = json!({"q": "x"});
    group.bench_function("ours", |b| {
        b.iter(|| futures::executor::block_on(o.invoke("tool_0007", args.clone())).unwrap())
    });
    group.bench_function("published", |b| {
        b.iter(|| futures::executor::block_on(p.invoke("tool_0007", args.clone())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, lookup, invoke);
criterion_main!(benches);
