//! Runs one benchmark workload a fixed number of times, for
//! `perf stat -e instructions:u` comparisons that do not depend on machine
//! load: `cargo run --release --example work -- <lfm|dispatch> <ours|published> <iterations>`.
#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;

use futures::executor::block_on;
use rig_compose::normalizer::ToolCallNormalizer as _;
use rig_compose_differential::lfm_corpus;
use rig_compose_published::normalizer::ToolCallNormalizer as _;
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (work, which, n) = (&args[1], &args[2], args[3].parse::<usize>().unwrap());
    if which == "both" {
        // Alternate the two implementations and keep each one's fastest
        // round: the minimum is the least disturbed by other load.
        let (mut ours, mut theirs) = (f64::MAX, f64::MAX);
        for _ in 0..30 {
            let t = std::time::Instant::now();
            run(work, "ours", n);
            ours = ours.min(t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            run(work, "published", n);
            theirs = theirs.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{work}: ours {:.2} us/iter, published {:.2} us/iter, ours/published = {:.3}",
            ours * 1e6 / n as f64,
            theirs * 1e6 / n as f64,
            ours / theirs
        );
        return;
    }
    run(work, which, n);
}

fn run(work: &str, which: &str, n: usize) {
    let corpus = lfm_corpus();
    match (work, which) {
        ("lfm", "ours") => {
            for _ in 0..n {
                for raw in &corpus {
                    black_box(
                        rig_compose::LfmNormalizer
                            .normalize(black_box(raw))
                            .unwrap(),
                    );
                }
            }
        }
        ("lfm", "published") => {
            for _ in 0..n {
                for raw in &corpus {
                    black_box(
                        rig_compose_published::LfmNormalizer
                            .normalize(black_box(raw))
                            .unwrap(),
                    );
                }
            }
        }
        ("dispatch", "ours") => {
            use rig_compose::*;
            struct Noop;
            impl ToolDispatchHook for Noop {}
            let tools = ToolRegistry::new();
            tools.register(Arc::new(LocalTool::new(
                ToolSchema {
                    name: "echo".into(),
                    description: String::new(),
                    args_schema: json!({}),
                    result_schema: json!({}),
                },
                |args| async move { Ok(args) },
            )));
            let calls: Vec<_> = (0..100)
                .map(|i| ToolInvocation::new("echo", json!({"n": i})).unwrap())
                .collect();
            let all: [&dyn ToolDispatchHook; 3] = [&Noop, &Noop, &Noop];
            let k: usize = std::env::var("HOOKS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(3);
            let hooks = &all[..k];
            for _ in 0..n {
                black_box(
                    block_on(dispatch_tool_invocations_with_hooks(&tools, &calls, hooks)).unwrap(),
                );
            }
        }
        ("dispatch", "published") => {
            use rig_compose_published::*;
            struct Noop;
            impl ToolDispatchHook for Noop {}
            let tools = ToolRegistry::new();
            tools.register(Arc::new(LocalTool::new(
                ToolSchema {
                    name: "echo".into(),
                    description: String::new(),
                    args_schema: json!({}),
                    result_schema: json!({}),
                },
                |args| async move { Ok(args) },
            )));
            let calls: Vec<_> = (0..100)
                .map(|i| ToolInvocation::new("echo", json!({"n": i})).unwrap())
                .collect();
            let all: [&dyn ToolDispatchHook; 3] = [&Noop, &Noop, &Noop];
            let k: usize = std::env::var("HOOKS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(3);
            let hooks = &all[..k];
            for _ in 0..n {
                black_box(
                    block_on(dispatch_tool_invocations_with_hooks(&tools, &calls, hooks)).unwrap(),
                );
            }
        }
        _ => panic!("usage: work <lfm|dispatch> <ours|published> <iterations>"),
    }
}
