//! Many worker processes against one budget tree.
//!
//! The workers are this test binary itself, started again with the ignored
//! `fleet_worker` test as the only one to run and its instructions in an
//! environment variable. Each worker appends what Redis told it (every
//! admission with the levels' state right after it, every close) to its
//! own file; the parent replays all of it in Redis' order.
//!
//! `RIG_COMPOSE_REDIS_FLEET_SECS` sets how long the exactness run lasts
//! (default 10 s).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rig_compose::budget::{CancelPolicy, ReserveError, ReserveRequest, SpendBudget, Window};
use rig_compose_redis::{AuditEvent, RedisBudget, RedisConnection};
use support::{RedisServer, unique_tree};

const WORKER_ENV: &str = "RIG_COMPOSE_REDIS_FLEET_WORKER";
const WORKERS: usize = 8;
const TASKS: usize = 64;
// Demand is ~128 tasks × 25,500 units per agent, twice an agent's capacity;
// each parent holds 90% of what its two children could take, so every
// level has to refuse work at some point.
const ORG_CAP: u64 = 4_860_000;
const TEAM_CAP: u64 = 2_700_000;
const AGENT_CAP: u64 = 1_500_000;

/// The heavy tests share two cores: run them one at a time.
fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn fleet_duration() -> Duration {
    let secs = std::env::var("RIG_COMPOSE_REDIS_FLEET_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(10.0);
    Duration::from_secs_f64(secs.max(0.5))
}

/// The chain of worker `w`, root first: org → team-(w%2) → agent-(w%4).
fn chain_of(worker: usize) -> [(String, u64); 3] {
    let agent = worker % 4;
    [
        ("org".to_owned(), ORG_CAP),
        (format!("team-{}", agent % 2), TEAM_CAP),
        (format!("agent-{agent}"), AGENT_CAP),
    ]
}

/// A small deterministic generator (xorshift64*), so runs are repeatable
/// per seed and need no extra dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

// ---------------------------------------------------------------- worker side

#[derive(Debug)]
struct WorkerSpec {
    mode: String,
    url: String,
    tree: String,
    worker: usize,
    millis: u64,
    out: PathBuf,
}

impl WorkerSpec {
    fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.mode,
            self.url,
            self.tree,
            self.worker,
            self.millis,
            self.out.display()
        )
    }

    fn decode(text: &str) -> Self {
        let parts: Vec<&str> = text.split('|').collect();
        assert_eq!(parts.len(), 6, "bad worker spec {text}");
        Self {
            mode: parts[0].to_owned(),
            url: parts[1].to_owned(),
            tree: parts[2].to_owned(),
            worker: parts[3].parse().unwrap(),
            millis: parts[4].parse().unwrap(),
            out: PathBuf::from(parts[5]),
        }
    }
}

#[test]
#[ignore = "entry point of the worker processes the fleet tests start"]
fn fleet_worker() {
    // Run directly (e.g. with `--include-ignored`) there is nothing to do:
    // the fleet tests start it with their instructions.
    let Ok(spec) = std::env::var(WORKER_ENV) else {
        return;
    };
    let spec = WorkerSpec::decode(&spec);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        match spec.mode.as_str() {
            "exact" => exact_worker(&spec).await,
            "naive" => naive_worker(&spec).await,
            "crash" => crash_worker(&spec).await,
            other => panic!("unknown worker mode {other}"),
        }
    });
}

fn build_budget(
    conn: &RedisConnection,
    spec: &WorkerSpec,
    log: Arc<Mutex<Vec<String>>>,
) -> RedisBudget {
    let mut builder = RedisBudget::builder(&spec.tree)
        .op_timeout(Duration::from_secs(10))
        .audit(move |event| {
            let line = match event {
                AuditEvent::Reserved {
                    seq,
                    amount,
                    in_use,
                    ..
                } => format!(
                    "R {seq} {amount} {}",
                    in_use
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                AuditEvent::Closed {
                    hold,
                    seq: Some(seq),
                    amount,
                    settlement,
                    ..
                } => format!("C {seq} {} {amount} {}", hold.0, settlement.charged),
                AuditEvent::Closed { seq: None, .. } => "D".to_owned(),
                AuditEvent::Adjusted { .. } => "A".to_owned(),
            };
            log.lock().unwrap().push(line);
        });
    for (name, capacity) in chain_of(spec.worker) {
        builder = builder.level(name, capacity, Window::Unbounded);
    }
    builder.build(conn).unwrap()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut file = std::fs::File::create(path).unwrap();
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
    file.sync_all().unwrap();
}

async fn exact_worker(spec: &WorkerSpec) {
    let conn = RedisConnection::open(&spec.url).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let budget = build_budget(&conn, spec, Arc::clone(&log));
    let until = Instant::now() + Duration::from_millis(spec.millis);
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let budget = budget.clone();
        let seed = (spec.worker * TASKS + task) as u64 + 1;
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(seed);
            let (mut denied, mut errors) = (0_u64, 0_u64);
            let mut refused_by: HashMap<String, u64> = HashMap::new();
            while Instant::now() < until {
                let amount = rng.between(1_000, 50_000);
                let request = ReserveRequest::new(amount).with_lease(Duration::from_secs(120));
                let hold = match budget.reserve(request).await {
                    Ok(hold) => hold,
                    Err(ReserveError::Denied(denial)) => {
                        denied += 1;
                        *refused_by.entry(denial.budget).or_default() += 1;
                        tokio::time::sleep(Duration::from_micros(rng.between(100, 1_000))).await;
                        continue;
                    }
                    Err(ReserveError::Backend(err)) => {
                        eprintln!("worker backend error: {err}");
                        errors += 1;
                        continue;
                    }
                };
                // "Work" for a while, holding the reservation.
                tokio::time::sleep(Duration::from_micros(rng.between(0, 2_000))).await;
                let actual = rng.between(0, amount / 500);
                let closed = match rng.between(0, 99) {
                    0..=49 => hold.settle(actual).await.map(|_| ()),
                    50..=69 => hold.release().await.map(|_| ()),
                    70..=84 => hold.cancel(CancelPolicy::Charge(actual)).await.map(|_| ()),
                    _ => {
                        // Dropped: closed on the runtime per its drop policy.
                        let policy = if actual.is_multiple_of(2) {
                            CancelPolicy::ReleaseAll
                        } else {
                            CancelPolicy::Charge(actual)
                        };
                        drop(hold.with_drop_policy(policy));
                        Ok(())
                    }
                };
                if let Err(err) = closed {
                    eprintln!("worker close error: {err}");
                    errors += 1;
                }
            }
            (denied, errors, refused_by)
        }));
    }
    let (mut denied, mut errors) = (0, 0);
    let mut refused_by: HashMap<String, u64> = HashMap::new();
    for task in tasks {
        let (d, e, by) = task.await.unwrap();
        denied += d;
        errors += e;
        for (name, count) in by {
            *refused_by.entry(name).or_default() += count;
        }
    }
    // Let the closes of dropped holds finish before reporting.
    let settle_by = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = budget.metrics();
        if metrics.drop_closes_finished == metrics.drop_closes_spawned {
            break;
        }
        assert!(Instant::now() < settle_by, "dropped holds never closed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let metrics = budget.metrics();
    let mut lines = log.lock().unwrap().clone();
    for (name, count) in refused_by {
        lines.push(format!("X {count} {name}"));
    }
    lines.push(format!(
        "S {} {denied} {errors} {}",
        metrics.reservations, metrics.backend_errors
    ));
    write_lines(&spec.out, &lines);
}

/// The broken way: read the counters, decide, then add, in separate
/// commands. Holds and spend share one counter per level.
async fn naive_worker(spec: &WorkerSpec) {
    let conn = RedisConnection::open(&spec.url).unwrap();
    let chain = chain_of(spec.worker);
    let keys: Vec<String> = chain
        .iter()
        .map(|(name, _)| format!("naive:{{{}}}:{name}", spec.tree))
        .collect();
    let until = Instant::now() + Duration::from_millis(spec.millis);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let mut redis = conn.manager();
        let keys = keys.clone();
        let caps: Vec<u64> = chain.iter().map(|(_, cap)| *cap).collect();
        let log = Arc::clone(&log);
        let seed = (spec.worker * TASKS + task) as u64 + 1;
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(seed);
            while Instant::now() < until {
                let amount = rng.between(1_000, 50_000);
                let used: Vec<Option<u64>> = redis::cmd("MGET")
                    .arg(&keys)
                    .query_async(&mut redis)
                    .await
                    .unwrap();
                let fits = used
                    .iter()
                    .zip(&caps)
                    .all(|(used, cap)| used.unwrap_or(0) + amount <= *cap);
                if !fits {
                    tokio::time::sleep(Duration::from_micros(rng.between(100, 1_000))).await;
                    continue;
                }
                let mut after = Vec::new();
                for key in &keys {
                    let level: i64 = redis::cmd("INCRBY")
                        .arg(key)
                        .arg(amount)
                        .query_async(&mut redis)
                        .await
                        .unwrap();
                    after.push(level.to_string());
                }
                log.lock().unwrap().push(format!("N {}", after.join(" ")));
                tokio::time::sleep(Duration::from_micros(rng.between(0, 2_000))).await;
                let actual = rng.between(0, amount / 500);
                for key in &keys {
                    let _: i64 = redis::cmd("DECRBY")
                        .arg(key)
                        .arg(amount - actual)
                        .query_async(&mut redis)
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let lines = log.lock().unwrap().clone();
    write_lines(&spec.out, &lines);
}

/// Take holds, settle some, then wait to be killed.
async fn crash_worker(spec: &WorkerSpec) {
    let conn = RedisConnection::open(&spec.url).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let budget = build_budget(&conn, spec, Arc::clone(&log));
    let mut kept = Vec::new();
    let mut settled = 0;
    for i in 0..20_u64 {
        let hold = budget
            .reserve(ReserveRequest::new(40_000).with_lease(Duration::from_millis(CRASH_LEASE_MS)))
            .await
            .unwrap();
        if i % 4 == 0 {
            settled += hold.settle(1_000 + i).await.unwrap().charged;
        } else {
            kept.push(hold);
        }
    }
    let mut lines = log.lock().unwrap().clone();
    lines.push(format!("READY {settled} {}", kept.len()));
    write_lines(&spec.out, &lines);
    // Hold everything until SIGKILL arrives.
    tokio::time::sleep(Duration::from_secs(120)).await;
    drop(kept);
}

const CRASH_LEASE_MS: u64 = 2_000;

// ---------------------------------------------------------------- parent side

struct Fleet {
    children: Vec<Child>,
    outputs: Vec<PathBuf>,
    dir: PathBuf,
}

impl Fleet {
    fn spawn(mode: &str, server: &RedisServer, tree: &str, workers: usize, millis: u64) -> Self {
        let dir = std::env::temp_dir().join(format!("{tree}-out"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let exe = std::env::current_exe().unwrap();
        let mut children = Vec::new();
        let mut outputs = Vec::new();
        for worker in 0..workers {
            let out = dir.join(format!("worker-{worker}.log"));
            let spec = WorkerSpec {
                mode: mode.to_owned(),
                url: server.url(),
                tree: tree.to_owned(),
                worker,
                millis,
                out: out.clone(),
            };
            let child = Command::new(&exe)
                .args([
                    "fleet_worker",
                    "--exact",
                    "--ignored",
                    "--test-threads=1",
                    "--quiet",
                ])
                .env(WORKER_ENV, spec.encode())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap();
            children.push(child);
            outputs.push(out);
        }
        Self {
            children,
            outputs,
            dir,
        }
    }

    fn wait(&mut self, limit: Duration) {
        let started = Instant::now();
        for child in &mut self.children {
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    assert!(status.success(), "a worker failed: {status}");
                    break;
                }
                assert!(
                    started.elapsed() < limit,
                    "workers did not finish in {limit:?}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn lines(&self, worker: usize) -> Vec<String> {
        std::fs::read_to_string(&self.outputs[worker])
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn numbers(line: &str) -> Vec<u64> {
    line.split(' ')
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect()
}

#[derive(Debug)]
enum Event {
    Reserve {
        worker: usize,
        amount: u64,
        in_use: Vec<u64>,
    },
    Close {
        worker: usize,
        hold: u64,
        amount: u64,
        charged: u64,
    },
}

#[test]
fn fleet_of_processes_never_overshoots_and_accounts_exactly() {
    let _one_at_a_time = exclusive();
    let server = RedisServer::start();
    let tree = unique_tree("fleet");
    let duration = fleet_duration();
    let mut fleet = Fleet::spawn(
        "exact",
        &server,
        &tree,
        WORKERS,
        duration.as_millis() as u64,
    );
    fleet.wait(duration + Duration::from_secs(90));

    // Gather every event, keyed by the tree-wide sequence number.
    let mut events: BTreeMap<u64, Event> = BTreeMap::new();
    let (mut admitted, mut denied, mut errors) = (0, 0, 0);
    let mut refused_by: HashMap<String, u64> = HashMap::new();
    for worker in 0..WORKERS {
        let lines = fleet.lines(worker);
        for line in lines.iter().filter(|l| l.starts_with("X ")) {
            let mut parts = line.split(' ').skip(1);
            let count: u64 = parts.next().unwrap().parse().unwrap();
            *refused_by
                .entry(parts.next().unwrap().to_owned())
                .or_default() += count;
        }
        let summary = lines.last().expect("worker wrote nothing");
        assert!(summary.starts_with("S "), "missing summary: {summary}");
        let s = numbers(summary);
        admitted += s[0];
        denied += s[1];
        errors += s[2] + s[3];
        for line in lines.iter().filter(|l| l.starts_with(['R', 'C'])) {
            let n = numbers(line);
            let event = match line.as_bytes()[0] {
                b'R' => Event::Reserve {
                    worker,
                    amount: n[1],
                    in_use: n[2..].to_vec(),
                },
                b'C' => Event::Close {
                    worker,
                    hold: n[1],
                    amount: n[2],
                    charged: n[3],
                },
                other => panic!("unexpected event {} in {line}", other as char),
            };
            assert!(events.insert(n[0], event).is_none(), "seq {} twice", n[0]);
        }
    }
    assert_eq!(errors, 0, "workers saw backend errors");
    assert!(
        admitted > 1_000,
        "too little work to mean anything: {admitted}"
    );
    assert!(
        denied > 100,
        "the budget was never contended: {denied} denials"
    );

    // Replay in Redis' order: at every admission, each level's spend + holds
    // must stay within its capacity, and match what the script reported.
    let caps: HashMap<String, u64> = (0..4).flat_map(chain_of).collect();
    let mut in_use: HashMap<String, u64> = HashMap::new();
    let mut charged: HashMap<String, u64> = HashMap::new();
    let mut peak: HashMap<String, u64> = HashMap::new();
    let mut open: HashMap<u64, (usize, u64)> = HashMap::new();
    for (seq, event) in &events {
        match event {
            Event::Reserve {
                worker,
                amount,
                in_use: reported,
            } => {
                for (level, (name, _)) in chain_of(*worker).iter().enumerate() {
                    let now = in_use.entry(name.clone()).or_default();
                    *now += amount;
                    assert!(
                        *now <= caps[name],
                        "seq {seq}: {name} at {now} over its capacity {}",
                        caps[name]
                    );
                    assert_eq!(*now, reported[level], "seq {seq}: {name} drifted");
                    let top = peak.entry(name.clone()).or_default();
                    *top = (*top).max(*now);
                }
                open.insert(*seq, (*worker, *amount));
            }
            Event::Close {
                worker,
                hold,
                amount,
                charged: units,
            } => {
                let (owner, reserved) = open.remove(hold).expect("close of an unknown hold");
                assert_eq!((owner, reserved), (*worker, *amount));
                for (name, _) in chain_of(*worker) {
                    let now = in_use.get_mut(&name).unwrap();
                    *now = *now - amount + units;
                    *charged.entry(name).or_default() += units;
                }
            }
        }
    }
    assert!(open.is_empty(), "{} holds never closed", open.len());
    // Contention reached every level: each one refused work at some point.
    for name in caps.keys() {
        assert!(
            refused_by.get(name).copied().unwrap_or(0) > 0,
            "{name} never refused anything: {refused_by:?}"
        );
    }

    // Redis' final state: consumed is exactly the sum of what was settled,
    // and no hold is left anywhere.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        let conn = RedisConnection::open(&server.url()).unwrap();
        rig_compose_redis::status(&conn, &tree).await.unwrap()
    });
    assert_eq!(status.live_holds, 0);
    assert_eq!(status.leased_holds, 0);
    assert_eq!(status.nodes.len(), 7);
    for node in &status.nodes {
        assert_eq!(node.consumed, charged[&node.name], "{}", node.name);
        assert_eq!((node.held, node.debt), (0, 0), "{}", node.name);
    }
    eprintln!(
        "fleet: {admitted} admitted, {denied} denied in {duration:?}; refused by {refused_by:?}; \
         peaks {peak:?}; charged {charged:?}"
    );
}

#[test]
fn naive_get_then_incrby_budget_overshoots() {
    let _one_at_a_time = exclusive();
    let server = RedisServer::start();
    let tree = unique_tree("naive");
    let millis = fleet_duration().min(Duration::from_secs(3)).as_millis() as u64;
    let mut fleet = Fleet::spawn("naive", &server, &tree, WORKERS, millis);
    fleet.wait(Duration::from_secs(60));

    let mut worst = 0.0_f64;
    let mut overshoots = 0;
    for worker in 0..WORKERS {
        let chain = chain_of(worker);
        for line in fleet.lines(worker) {
            for (level, after) in numbers(&line).into_iter().enumerate() {
                let cap = chain[level].1;
                if after > cap {
                    overshoots += 1;
                    worst = worst.max(after as f64 / cap as f64);
                }
            }
        }
    }
    eprintln!("naive: {overshoots} admissions over capacity, worst at {worst:.3}× capacity");
    assert!(
        overshoots > 0,
        "the naive budget never overshot: the check cannot fail"
    );
}

#[test]
fn a_killed_workers_holds_come_back_within_one_lease() {
    let _one_at_a_time = exclusive();
    let server = RedisServer::start();
    let tree = unique_tree("crash");
    let mut fleet = Fleet::spawn("crash", &server, &tree, 1, 0);

    let ready_by = Instant::now() + Duration::from_secs(30);
    let (settled, kept) = loop {
        if let Some(line) = fleet.lines(0).iter().find(|l| l.starts_with("READY")) {
            let n: Vec<u64> = line
                .split(' ')
                .skip(1)
                .map(|n| n.parse().unwrap())
                .collect();
            break (n[0], n[1]);
        }
        assert!(Instant::now() < ready_by, "crash worker never got ready");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(kept, 15);
    let reserves = fleet
        .lines(0)
        .iter()
        .filter(|l| l.starts_with("R "))
        .count();
    assert_eq!(reserves, 20);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let conn = RedisConnection::open(&server.url()).unwrap();
        let mut builder = RedisBudget::builder(&tree);
        for (name, cap) in chain_of(0) {
            builder = builder.level(name, cap, Window::Unbounded);
        }
        let observer = builder.build(&conn).unwrap();
        let before = observer.snapshot().await.unwrap();
        assert_eq!(before.held, kept * 40_000);

        // SIGKILL: no destructor, no close, nothing.
        fleet.children[0].kill().unwrap();
        fleet.children[0].wait().unwrap();
        let killed_at = Instant::now();

        // What the settled work leaves: exactly this much must come back.
        let expected = AGENT_CAP - settled;
        // Right away, a full-size reserve is still refused: the holds are
        // not reclaimed before their lease ends.
        assert!(observer.reserve(expected.into()).await.is_err());
        // Another worker keeps trying; no operator runs anything.
        let limit = Duration::from_millis(CRASH_LEASE_MS) + Duration::from_millis(1_500);
        let hold = loop {
            match observer.reserve(expected.into()).await {
                Ok(hold) => break hold,
                Err(ReserveError::Denied(_)) => {
                    assert!(
                        killed_at.elapsed() < limit,
                        "capacity not back within lease + margin"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("{err}"),
            }
        };
        let recovered_after = killed_at.elapsed();
        hold.release().await.unwrap();
        let after = observer.snapshot().await.unwrap();
        assert_eq!(after.available, expected);
        assert_eq!((after.consumed, after.held), (settled, 0));
        let status = rig_compose_redis::status(&conn, &tree).await.unwrap();
        assert_eq!(status.reclaimed_total, kept);
        assert_eq!(status.live_holds, 0);
        eprintln!(
            "crash: capacity back {recovered_after:?} after SIGKILL (lease {CRASH_LEASE_MS} ms)"
        );
    });
}
