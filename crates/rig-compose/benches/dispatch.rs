//! Dispatch overhead: 100 invocations of a trivial tool through 3 no-op
//! hooks, with this crate and with the published rig-compose.
//!
//! `cargo bench --bench dispatch` (from `crates/rig-compose`)
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::executor::block_on;
use serde_json::{Value, json};

const CALLS: usize = 100;

fn schema_json() -> (Value, Value) {
    (json!({"type": "object"}), json!({"type": "object"}))
}

mod ours {
    use super::*;
    use rig_compose::{
        LocalTool, ToolDispatchHook, ToolInvocation, ToolInvocationResult, ToolRegistry,
        ToolSchema, dispatch_tool_invocations_with_hooks,
    };

    pub(super) struct Noop;
    impl ToolDispatchHook for Noop {}

    pub(super) fn setup() -> (ToolRegistry, Vec<ToolInvocation>) {
        let (args_schema, result_schema) = schema_json();
        let tools = ToolRegistry::new();
        tools.register(Arc::new(LocalTool::new(
            ToolSchema {
                name: "echo".into(),
                description: "returns its arguments".into(),
                args_schema,
                result_schema,
            },
            |args| async move { Ok(args) },
        )));
        let calls = (0..CALLS)
            .map(|n| ToolInvocation::new("echo", json!({"n": n})).unwrap())
            .collect();
        (tools, calls)
    }

    pub(super) fn run(tools: &ToolRegistry, calls: &[ToolInvocation]) -> Vec<ToolInvocationResult> {
        let hooks: [&dyn ToolDispatchHook; 3] = [&Noop, &Noop, &Noop];
        block_on(dispatch_tool_invocations_with_hooks(tools, calls, &hooks)).unwrap()
    }
}

mod published {
    use super::*;
    use rig_compose_published::{
        LocalTool, ToolDispatchHook, ToolInvocation, ToolInvocationResult, ToolRegistry,
        ToolSchema, dispatch_tool_invocations_with_hooks,
    };

    pub(super) struct Noop;
    impl ToolDispatchHook for Noop {}

    pub(super) fn setup() -> (ToolRegistry, Vec<ToolInvocation>) {
        let (args_schema, result_schema) = schema_json();
        let tools = ToolRegistry::new();
        tools.register(Arc::new(LocalTool::new(
            ToolSchema {
                name: "echo".into(),
                description: "returns its arguments".into(),
                args_schema,
                result_schema,
            },
            |args| async move { Ok(args) },
        )));
        let calls = (0..CALLS)
            .map(|n| ToolInvocation::new("echo", json!({"n": n})).unwrap())
            .collect();
        (tools, calls)
    }

    pub(super) fn run(tools: &ToolRegistry, calls: &[ToolInvocation]) -> Vec<ToolInvocationResult> {
        let hooks: [&dyn ToolDispatchHook; 3] = [&Noop, &Noop, &Noop];
        block_on(dispatch_tool_invocations_with_hooks(tools, calls, &hooks)).unwrap()
    }
}

fn dispatch(c: &mut Criterion) {
    let (our_tools, our_calls) = ours::setup();
    let (their_tools, their_calls) = published::setup();
    assert_eq!(ours::run(&our_tools, &our_calls).len(), CALLS);
    assert_eq!(published::run(&their_tools, &their_calls).len(), CALLS);

    let mut group = c.benchmark_group("dispatch_3_hooks_100_calls");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.bench_function("ours", |b| {
        b.iter(|| black_box(ours::run(&our_tools, black_box(&our_calls))));
    });
    group.bench_function("published", |b| {
        b.iter(|| black_box(published::run(&their_tools, black_box(&their_calls))));
    });
    group.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
