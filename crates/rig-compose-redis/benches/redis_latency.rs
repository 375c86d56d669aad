//! Latency and throughput of Redis budget operations against a local
//! `redis-server`, next to a plain `INCRBY` round trip (the floor).
//!
//! `cargo bench -p rig-compose-redis --bench redis_latency`
//!
//! Measures, at concurrency 1 and 64 (tasks sharing one multiplexed
//! connection): p50 / p99 latency of `INCRBY`, of a reserve, of a settle
//! and of the reserve+settle pair, for a one-level budget and a three-level
//! chain, and the throughput of each. `RIG_COMPOSE_REDIS_BENCH_SCALE`
//! multiplies the number of operations (default 1.0).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rig_compose::budget::{ReserveRequest, SpendBudget, Window};
use rig_compose_redis::{RedisBudget, RedisConnection};
use support::RedisServer;

/// Latencies of one kind of operation.
struct Sample {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Sample {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[rank]
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }
}

/// Run `total` iterations of `op` spread over `concurrency` tasks; each
/// iteration reports `K` timed parts.
async fn measure<const K: usize, F, Fut>(concurrency: usize, total: usize, op: F) -> [Sample; K]
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = [Duration; K]> + Send,
{
    let op = Arc::new(op);
    let per_task = total.div_ceil(concurrency);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let op = Arc::clone(&op);
        tasks.push(tokio::spawn(async move {
            let mut parts: Vec<Vec<Duration>> = vec![Vec::with_capacity(per_task); K];
            for _ in 0..per_task {
                for (part, took) in parts.iter_mut().zip(op().await) {
                    part.push(took);
                }
            }
            parts
        }));
    }
    let mut all: Vec<Vec<Duration>> = vec![Vec::new(); K];
    for task in tasks {
        for (into, from) in all.iter_mut().zip(task.await.unwrap()) {
            into.extend(from);
        }
    }
    let wall = started.elapsed();
    let samples: Vec<Sample> = all
        .into_iter()
        .map(|latencies| Sample { latencies, wall })
        .collect();
    match <[Sample; K]>::try_from(samples) {
        Ok(array) => array,
        Err(_) => panic!("exactly K parts"),
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn row(print: bool, label: &str, sample: &Sample, floor: &Sample) {
    if !print {
        return;
    }
    println!(
        "| {label:<28} | {:>8.1} | {:>8.1} | {:>10.0} | {:>5.2}× |",
        micros(sample.percentile(0.50)),
        micros(sample.percentile(0.99)),
        sample.per_second(),
        micros(sample.percentile(0.50)) / micros(floor.percentile(0.50)),
    );
}

fn budget(conn: &RedisConnection, tree: &str, levels: usize) -> RedisBudget {
    let mut builder = RedisBudget::builder(tree);
    for level in 0..levels {
        builder = builder.level(format!("level-{level}"), 1 << 50, Window::CalendarMonthUtc);
    }
    builder.build(conn).unwrap()
}

async fn run(conn: &RedisConnection, concurrency: usize, ops: usize, print: bool) {
    // Floor: one INCRBY round trip on the same connection.
    let redis = conn.manager();
    let [floor] = measure(concurrency, ops, move || {
        let mut redis = redis.clone();
        async move {
            let started = Instant::now();
            let _: i64 = redis::cmd("INCRBY")
                .arg("bench:{floor}:counter")
                .arg(7)
                .query_async(&mut redis)
                .await
                .unwrap();
            [started.elapsed()]
        }
    })
    .await;

    if print {
        println!("\n### concurrency {concurrency} ({ops} operations per row)\n");
        println!("| operation                    | p50 µs   | p99 µs   | ops/s      | p50/floor |");
        println!("|------------------------------|----------|----------|------------|--------|");
    }
    row(print, "INCRBY (floor)", &floor, &floor);
    for levels in [1, 3] {
        let budget = budget(conn, &format!("bench-{concurrency}-{levels}"), levels);
        let [reserve, settle, pair] = measure(concurrency, ops, move || {
            let budget = budget.clone();
            async move {
                let started = Instant::now();
                let hold = budget.reserve(ReserveRequest::new(1_000)).await.unwrap();
                let reserved = started.elapsed();
                let settling = Instant::now();
                hold.settle(700).await.unwrap();
                let settled = settling.elapsed();
                [reserved, settled, started.elapsed()]
            }
        })
        .await;
        let chain = if levels == 1 { "1 level" } else { "3 levels" };
        row(print, &format!("reserve, {chain}"), &reserve, &floor);
        row(print, &format!("settle, {chain}"), &settle, &floor);
        row(
            print,
            &format!("reserve+settle pair, {chain}"),
            &pair,
            &floor,
        );
    }
}

fn main() {
    let scale = std::env::var("RIG_COMPOSE_REDIS_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.0);
    let ops = |n: f64| ((n * scale) as usize).max(64);
    let server = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let conn = RedisConnection::open(&server.url()).unwrap();
        conn.load_scripts().await.unwrap();
        // Warm up connection, scripts and allocator.
        run(&conn, 8, 2_000, false).await;
        println!("\n## rig-compose-redis: latency against a local redis-server");
        run(&conn, 1, ops(20_000.0), true).await;
        run(&conn, 64, ops(100_000.0), true).await;
    });
}
