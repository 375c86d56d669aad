//! Property tests for the in-process spend-budget engine (`Budget`).
//!
//! * A single-threaded model check replays random sequences of reserve /
//!   settle / release / cancel / drop / renew / reap / refill / clock
//!   advances on a 3-level hierarchy against a plain reference model of the
//!   documented semantics (windows, debt, leases with bounded lazy
//!   reclaiming), comparing every level after every step and checking the
//!   over-admission invariant.
//! * A concurrent check runs random scripts on 4 threads against one
//!   3-level hierarchy sharing a `ManualClock` the threads advance, checks
//!   the invariant after every step, and checks exact totals once every
//!   hold has been dropped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::executor::block_on;
use proptest::prelude::*;

use rig_compose::budget::{
    Budget, CancelPolicy, DENIAL_REAP_LIMIT, Gcra, Hold, HoldId, LAZY_REAP_LIMIT, ManualClock,
    ReserveRequest, RollingWindow, Settlement, Window,
};

// ---------------------------------------------------------------------------
// The hierarchy used by both checks
// ---------------------------------------------------------------------------

/// `(name, capacity, window period in ms (0 = unbounded), parent)`.
const TREE: [(&str, u64, u64, Option<usize>); 6] = [
    ("root", 60, 1_000, None),
    ("team-a", 40, 0, Some(0)),
    ("team-b", 35, 250, Some(0)),
    ("agent-a1", 25, 0, Some(1)),
    ("agent-a2", 30, 500, Some(1)),
    ("agent-b1", 20, 0, Some(2)),
];

fn build_tree(clock: &ManualClock) -> Vec<Budget> {
    let mut nodes: Vec<Budget> = Vec::new();
    for (name, capacity, period, parent) in TREE {
        let mut builder = match parent {
            Some(parent) => nodes[parent].child(name, capacity),
            None => Budget::quota(name, capacity).clock(clock.clone()),
        };
        if period > 0 {
            builder = builder.window(Window::every_millis(period).unwrap());
        }
        nodes.push(builder.build());
    }
    nodes
}

/// Node indices from the root down to `node`.
fn chain_of(node: usize) -> Vec<usize> {
    let mut chain = vec![node];
    while let Some(parent) = TREE[*chain.last().unwrap()].3 {
        chain.push(parent);
    }
    chain.reverse();
    chain
}

// ---------------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct ModelHold {
    amount: u64,
    window: u64,
    deadline: Option<u64>,
}

#[derive(Debug, Default)]
struct ModelNode {
    capacity: u64,
    period: u64,
    index: u64,
    consumed: u64,
    held: u64,
    previous: Option<(u64, u64)>,
    live: BTreeMap<HoldId, ModelHold>,
    leases: BTreeSet<(u64, HoldId)>,
    reclaimed: BTreeMap<HoldId, ModelHold>,
    reservations: u64,
    reclaims: u64,
    late_closes: u64,
    debt_incurred: u64,
}

impl ModelNode {
    fn excess(&self) -> u64 {
        (self.consumed + self.held).saturating_sub(self.capacity)
    }

    fn roll(&mut self, now: u64) {
        if self.period == 0 {
            return;
        }
        let index = now / self.period;
        if index > self.index {
            self.previous = Some((self.index, self.consumed));
            self.index = index;
            self.consumed = 0;
            self.held = 0;
        }
    }

    fn expire(&mut self, id: HoldId) {
        if let Some(hold) = self.live.remove(&id) {
            if let Some(deadline) = hold.deadline {
                self.leases.remove(&(deadline, id));
            }
            if hold.window == self.index {
                self.held -= hold.amount;
            }
            self.reclaimed.insert(id, hold);
            self.reclaims += 1;
        }
    }

    fn reap(&mut self, now: u64, limit: usize) -> Vec<HoldId> {
        let mut ids = Vec::new();
        while ids.len() < limit {
            match self.leases.first() {
                Some(&(deadline, id)) if deadline <= now => {
                    self.expire(id);
                    ids.push(id);
                }
                _ => break,
            }
        }
        ids
    }

    fn catch_up(&mut self, now: u64) {
        self.roll(now);
        self.reap(now, LAZY_REAP_LIMIT);
    }

    fn fits(&self, amount: u64) -> bool {
        self.excess() == 0 && self.consumed + self.held + amount <= self.capacity
    }

    fn check(&mut self, amount: u64, now: u64) -> bool {
        if self.fits(amount) {
            return true;
        }
        if self.leases.first().is_some_and(|&(d, _)| d <= now) {
            self.reap(now, DENIAL_REAP_LIMIT);
        }
        self.fits(amount)
    }

    /// Books `charge` to window `window`; returns the debt created.
    fn charge(&mut self, window: u64, charge: u64) -> u64 {
        if window == self.index {
            let before = self.excess();
            self.consumed += charge;
            return self.excess() - before;
        }
        match &mut self.previous {
            Some((index, consumed)) if *index == window => {
                let before = consumed.saturating_sub(self.capacity);
                *consumed += charge;
                consumed.saturating_sub(self.capacity) - before
            }
            _ => 0,
        }
    }

    fn lapsed(&self, id: HoldId, now: u64) -> bool {
        self.reclaimed.contains_key(&id)
            || self
                .live
                .get(&id)
                .and_then(|h| h.deadline)
                .is_some_and(|d| d <= now)
    }
}

struct Model {
    nodes: Vec<ModelNode>,
}

impl Model {
    fn new(now: u64) -> Self {
        let nodes = TREE
            .iter()
            .map(|&(_, capacity, period, _)| ModelNode {
                capacity,
                period,
                index: now.checked_div(period).unwrap_or(0),
                ..ModelNode::default()
            })
            .collect();
        Self { nodes }
    }

    /// Returns the denying node, or `None` when admitted.
    fn reserve(
        &mut self,
        node: usize,
        id: Option<HoldId>,
        amount: u64,
        deadline: Option<u64>,
        now: u64,
    ) -> Option<usize> {
        let chain = chain_of(node);
        for &n in &chain {
            self.nodes[n].catch_up(now);
        }
        for &n in chain.iter().rev() {
            if !self.nodes[n].check(amount, now) {
                return Some(n);
            }
        }
        let id = id.expect("admitted holds have an id");
        for &n in &chain {
            let m = &mut self.nodes[n];
            m.held += amount;
            m.reservations += 1;
            let window = m.index;
            m.live.insert(
                id,
                ModelHold {
                    amount,
                    window,
                    deadline,
                },
            );
            if let Some(d) = deadline {
                m.leases.insert((d, id));
            }
        }
        None
    }

    fn close(&mut self, node: usize, id: HoldId, charge: u64, now: u64) -> Settlement {
        let chain = chain_of(node);
        for &n in &chain {
            self.nodes[n].catch_up(now);
        }
        let lapsed = chain.iter().any(|&n| self.nodes[n].lapsed(id, now));
        let mut settlement = Settlement::default();
        for &n in &chain {
            let m = &mut self.nodes[n];
            let (refunded, debt) = if lapsed {
                m.expire(id);
                let Some(hold) = m.reclaimed.remove(&id) else {
                    continue;
                };
                m.late_closes += 1;
                (0, m.charge(hold.window, charge))
            } else {
                let Some(hold) = m.live.remove(&id) else {
                    continue;
                };
                if let Some(d) = hold.deadline {
                    m.leases.remove(&(d, id));
                }
                let debt = if hold.window == m.index {
                    let before = m.excess();
                    m.held -= hold.amount;
                    m.consumed += charge;
                    m.excess().saturating_sub(before)
                } else {
                    m.charge(hold.window, charge)
                };
                (hold.amount.saturating_sub(charge), debt)
            };
            m.debt_incurred += debt;
            settlement.charged = charge;
            settlement.refunded = settlement.refunded.max(refunded);
            settlement.debt_incurred = settlement.debt_incurred.max(debt);
            settlement.was_reclaimed = lapsed;
        }
        settlement
    }

    fn renew(&mut self, node: usize, id: HoldId, lease: u64, now: u64) -> bool {
        let chain = chain_of(node);
        for &n in &chain {
            self.nodes[n].catch_up(now);
        }
        if chain.iter().any(|&n| self.nodes[n].lapsed(id, now)) {
            for &n in &chain {
                self.nodes[n].expire(id);
            }
            return false;
        }
        let deadline = now + lease;
        let mut renewed = false;
        for &n in &chain {
            let m = &mut self.nodes[n];
            if let Some(hold) = m.live.get_mut(&id) {
                if let Some(old) = hold.deadline.replace(deadline) {
                    m.leases.remove(&(old, id));
                }
                m.leases.insert((deadline, id));
                renewed = true;
            }
        }
        renewed
    }

    fn reap(&mut self, node: usize, now: u64) -> usize {
        let mut ids = Vec::new();
        for n in chain_of(node) {
            self.nodes[n].roll(now);
            ids.extend(self.nodes[n].reap(now, usize::MAX));
        }
        ids.sort();
        ids.dedup();
        ids.len()
    }

    fn refill(&mut self, node: usize, now: u64) {
        self.nodes[node].catch_up(now);
        self.nodes[node].consumed = 0;
    }
}

// ---------------------------------------------------------------------------
// Single-threaded model check
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Reserve {
        node: usize,
        amount: u64,
        lease: Option<u64>,
    },
    /// `count` holds of one unit sharing one lease: more simultaneous
    /// expiries than one operation reclaims.
    Burst {
        node: usize,
        count: usize,
        lease: u64,
    },
    Settle(usize, u64),
    Release(usize),
    Cancel(usize, u64),
    Drop(usize, u64),
    Renew(usize, u64),
    Advance(u64),
    Reap(usize),
    Refill(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let node = 0..TREE.len();
    prop_oneof![
        // Many small leased holds, so that more leases expire at once than
        // one operation reclaims.
        6 => (node.clone(), prop_oneof![0u64..2, 0u64..20], prop::option::weighted(0.6, prop_oneof![Just(300), 0u64..600]))
            .prop_map(|(node, amount, lease)| Op::Reserve { node, amount, lease }),
        1 => (node.clone(), 1usize..40, 0u64..400)
            .prop_map(|(node, count, lease)| Op::Burst { node, count, lease }),
        3 => (any::<usize>(), 0u64..30).prop_map(|(i, actual)| Op::Settle(i, actual)),
        1 => any::<usize>().prop_map(Op::Release),
        1 => (any::<usize>(), 0u64..25).prop_map(|(i, c)| Op::Cancel(i, c)),
        1 => (any::<usize>(), 0u64..10).prop_map(|(i, c)| Op::Drop(i, c)),
        1 => (any::<usize>(), 0u64..400).prop_map(|(i, l)| Op::Renew(i, l)),
        3 => (0u64..400).prop_map(Op::Advance),
        1 => node.clone().prop_map(Op::Reap),
        1 => node.prop_map(Op::Refill),
    ]
}

struct Open {
    node: usize,
    hold: Hold,
}

fn compare(
    nodes: &[Budget],
    model: &mut Model,
    now: u64,
    excess_before: &[u64],
    debt_before: &[u64],
) {
    for (i, budget) in nodes.iter().enumerate() {
        let snapshot = budget.snapshot_now();
        let m = &mut model.nodes[i];
        m.catch_up(now);
        let name = TREE[i].0;
        assert_eq!(snapshot.held, m.held, "{name}: held");
        assert_eq!(snapshot.consumed, m.consumed, "{name}: consumed");
        assert_eq!(snapshot.debt, m.excess(), "{name}: debt");
        assert_eq!(
            snapshot.available,
            m.capacity.saturating_sub(m.consumed + m.held),
            "{name}: available"
        );
        // The invariant: the level exceeds the capacity only by debt that
        // settlements reported incurring.
        let metrics = budget.metrics();
        m.catch_up(now);
        assert_eq!(metrics.reservations, m.reservations, "{name}: reservations");
        assert_eq!(metrics.reclaimed, m.reclaims, "{name}: reclaims");
        assert_eq!(metrics.late_closes, m.late_closes, "{name}: late closes");
        assert_eq!(
            metrics.debt_incurred, m.debt_incurred,
            "{name}: debt incurred"
        );
        assert_eq!(
            metrics.open_holds as usize,
            m.live.len(),
            "{name}: open holds"
        );
        let grew = m.excess().saturating_sub(excess_before[i]);
        let allowed = metrics.debt_incurred - debt_before[i];
        assert!(
            grew <= allowed,
            "{name}: over capacity by {} more without reported debt",
            grew
        );
        assert!(snapshot.consumed + snapshot.held <= snapshot.capacity + snapshot.debt);
    }
}

fn run_model(script: Vec<Op>) {
    let start = 1_000_000;
    let clock = ManualClock::new(start);
    let nodes = build_tree(&clock);
    let mut model = Model::new(start);
    let mut open: Vec<Open> = Vec::new();

    for op in script {
        let now = clock.now_millis_for_test();
        // Reading the metrics brings each engine node up to date; mirror it.
        let debt_before: Vec<u64> = nodes.iter().map(|b| b.metrics().debt_incurred).collect();
        for m in &mut model.nodes {
            m.catch_up(now);
        }
        let excess_before: Vec<u64> = model.nodes.iter().map(ModelNode::excess).collect();
        match op.clone() {
            Op::Reserve {
                node,
                amount,
                lease,
            } => {
                let mut request = ReserveRequest::new(amount);
                if let Some(lease) = lease {
                    request = request.with_lease(Duration::from_millis(lease));
                }
                let deadline = lease.map(|l| now + l);
                match nodes[node].try_reserve_with(request) {
                    Ok(hold) => {
                        assert_eq!(hold.lease_deadline(), deadline);
                        let denied = model.reserve(node, Some(hold.id()), amount, deadline, now);
                        assert_eq!(denied, None, "engine admitted, model refused");
                        open.push(Open { node, hold });
                    }
                    Err(err) => {
                        let denied = model.reserve(node, None, amount, deadline, now);
                        let denial = err.denial().unwrap();
                        assert_eq!(denied.map(|n| TREE[n].0), Some(denial.budget.as_str()));
                        assert_eq!(denial.requested, amount);
                    }
                }
            }
            Op::Burst { node, count, lease } => {
                let deadline = Some(now + lease);
                for _ in 0..count {
                    let request = ReserveRequest::new(1).with_lease(Duration::from_millis(lease));
                    let engine = nodes[node].try_reserve_with(request);
                    let id = engine.as_ref().ok().map(Hold::id);
                    let denied = model.reserve(node, id, 1, deadline, now);
                    assert_eq!(denied.is_none(), engine.is_ok());
                    if let Ok(hold) = engine {
                        open.push(Open { node, hold });
                    }
                }
            }
            Op::Settle(i, units) | Op::Cancel(i, units) | Op::Drop(i, units)
                if !open.is_empty() =>
            {
                let Open { node, hold } = open.swap_remove(i % open.len());
                let id = hold.id();
                let engine = match op {
                    Op::Settle(..) => Some(block_on(hold.settle(units)).unwrap()),
                    Op::Cancel(..) => {
                        Some(block_on(hold.cancel(CancelPolicy::Charge(units))).unwrap())
                    }
                    _ => {
                        drop(hold.with_drop_policy(CancelPolicy::Charge(units)));
                        None
                    }
                };
                let expected = model.close(node, id, units, now);
                if let Some(engine) = engine {
                    assert_eq!(engine, expected);
                }
            }
            Op::Release(i) if !open.is_empty() => {
                let Open { node, hold } = open.swap_remove(i % open.len());
                let id = hold.id();
                let engine = block_on(hold.release()).unwrap();
                assert_eq!(engine, model.close(node, id, 0, now));
            }
            Op::Renew(i, lease) if !open.is_empty() => {
                let index = i % open.len();
                let node = open[index].node;
                let id = open[index].hold.id();
                let engine = block_on(open[index].hold.renew(lease)).is_ok();
                assert_eq!(engine, model.renew(node, id, lease, now));
            }
            Op::Advance(ms) => clock.advance_millis(ms),
            Op::Reap(node) => assert_eq!(nodes[node].reap_now(), model.reap(node, now)),
            Op::Refill(node) => {
                nodes[node].refill();
                model.refill(node, now);
            }
            _ => {}
        }
        if matches!(op, Op::Advance(_)) {
            // Moving the clock changes nothing until an operation observes
            // it; comparing now would reclaim leases early and hide the
            // bounded-work paths from the next operation.
            continue;
        }
        let now = clock.now_millis_for_test();
        compare(&nodes, &mut model, now, &excess_before, &debt_before);
    }

    // Everything returns once every hold is gone.
    let now = clock.now_millis_for_test();
    for Open { node, hold } in open.drain(..) {
        let id = hold.id();
        drop(hold);
        model.close(node, id, 0, now);
    }
    for (i, budget) in nodes.iter().enumerate() {
        let snapshot = budget.snapshot_now();
        let metrics = budget.metrics();
        assert_eq!(snapshot.held, 0, "{}", TREE[i].0);
        assert_eq!((metrics.open_holds, metrics.reclaimed_open), (0, 0));
        assert_eq!(metrics.reservations, metrics.closed());
        assert_eq!(
            snapshot.available,
            TREE[i].1.saturating_sub(snapshot.consumed)
        );
    }
}

/// `Clock::now_millis` without importing the trait into every call site.
trait NowForTest {
    fn now_millis_for_test(&self) -> u64;
}

impl NowForTest for ManualClock {
    fn now_millis_for_test(&self) -> u64 {
        rig_compose::budget::Clock::now_millis(self)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn engine_matches_the_reference_model(script in prop::collection::vec(op(), 1..160)) {
        run_model(script);
    }
}

// ---------------------------------------------------------------------------
// Concurrent check
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum ThreadOp {
    Reserve {
        node: usize,
        amount: u64,
        lease: Option<u64>,
    },
    Settle(usize, u64),
    Release(usize),
    Cancel(usize, u64),
    Drop(usize, u64),
    Advance(u64),
    Reap(usize),
}

fn thread_op() -> impl Strategy<Value = ThreadOp> {
    let node = 0..TREE.len();
    prop_oneof![
        6 => (node.clone(), 0u64..15, prop::option::weighted(0.3, 1u64..50))
            .prop_map(|(node, amount, lease)| ThreadOp::Reserve { node, amount, lease }),
        3 => (any::<usize>(), 0u64..20).prop_map(|(i, a)| ThreadOp::Settle(i, a)),
        1 => any::<usize>().prop_map(ThreadOp::Release),
        1 => (any::<usize>(), 0u64..20).prop_map(|(i, c)| ThreadOp::Cancel(i, c)),
        1 => (any::<usize>(), 0u64..20).prop_map(|(i, c)| ThreadOp::Drop(i, c)),
        1 => (1u64..30).prop_map(ThreadOp::Advance),
        1 => node.prop_map(ThreadOp::Reap),
    ]
}

/// Per node: the most the level may exceed the capacity, raised *before*
/// each close by the most that close could push it over (usage beyond the
/// hold, or all of it for a leased hold that may have been reclaimed).
struct Allowance(Vec<AtomicU64>);

impl Allowance {
    fn raise(&self, node: usize, by: u64) {
        for n in chain_of(node) {
            self.0[n].fetch_add(by, Ordering::SeqCst);
        }
    }

    fn check(&self, nodes: &[Budget]) {
        for (i, budget) in nodes.iter().enumerate() {
            // Snapshot first: any overage it shows was preceded by its
            // close raising the allowance, so the load below sees that.
            let s = budget.snapshot_now();
            let allowed = self.0[i].load(Ordering::SeqCst);
            assert!(
                s.consumed + s.held <= s.capacity + allowed,
                "{}: consumed {} + held {} > capacity {} + allowance {}",
                s.name,
                s.consumed,
                s.held,
                s.capacity,
                allowed
            );
            assert_eq!(s.debt, (s.consumed + s.held).saturating_sub(s.capacity));
        }
    }
}

fn run_concurrent(scripts: Vec<Vec<ThreadOp>>) {
    let clock = ManualClock::new(10_000);
    let nodes = Arc::new(build_tree(&clock));
    let allowance = Arc::new(Allowance(
        (0..TREE.len()).map(|_| AtomicU64::new(0)).collect(),
    ));
    let charged_total = Arc::new(AtomicU64::new(0));
    let admitted_total = Arc::new(AtomicU64::new(0));

    std::thread::scope(|scope| {
        for script in scripts {
            let (nodes, allowance, clock) = (nodes.clone(), allowance.clone(), clock.clone());
            let (charged_total, admitted_total) = (charged_total.clone(), admitted_total.clone());
            scope.spawn(move || {
                let mut open: Vec<(usize, Hold)> = Vec::new();
                let close = |open: &mut Vec<(usize, Hold)>, i: usize, charge: u64, kind: u8| {
                    if open.is_empty() {
                        return;
                    }
                    let (node, hold) = open.swap_remove(i % open.len());
                    let worst = if hold.lease_deadline().is_some() {
                        charge
                    } else {
                        charge.saturating_sub(hold.amount())
                    };
                    allowance.raise(node, worst);
                    let charged = match kind {
                        0 => block_on(hold.settle(charge)).unwrap().charged,
                        1 => block_on(hold.release()).unwrap().charged,
                        2 => {
                            block_on(hold.cancel(CancelPolicy::Charge(charge)))
                                .unwrap()
                                .charged
                        }
                        _ => {
                            drop(hold.with_drop_policy(CancelPolicy::Charge(charge)));
                            charge
                        }
                    };
                    assert_eq!(charged, charge);
                    charged_total.fetch_add(charged, Ordering::SeqCst);
                };
                for op in script {
                    match op {
                        ThreadOp::Reserve {
                            node,
                            amount,
                            lease,
                        } => {
                            let mut request = ReserveRequest::new(amount);
                            if let Some(lease) = lease {
                                request = request.with_lease(Duration::from_millis(lease));
                            }
                            if let Ok(hold) = nodes[node].try_reserve_with(request) {
                                admitted_total.fetch_add(1, Ordering::SeqCst);
                                open.push((node, hold));
                            }
                        }
                        ThreadOp::Settle(i, a) => close(&mut open, i, a, 0),
                        ThreadOp::Release(i) => close(&mut open, i, 0, 1),
                        ThreadOp::Cancel(i, c) => close(&mut open, i, c, 2),
                        ThreadOp::Drop(i, c) => close(&mut open, i, c, 3),
                        ThreadOp::Advance(ms) => clock.advance_millis(ms),
                        ThreadOp::Reap(node) => {
                            nodes[node].reap_now();
                        }
                    }
                    allowance.check(&nodes);
                }
                // Leave the rest to be dropped with the default policy.
                drop(open);
            });
        }
    });

    for (i, budget) in nodes.iter().enumerate() {
        let s = budget.snapshot_now();
        let m = budget.metrics();
        assert_eq!(s.held, 0, "{}: every hold returned", TREE[i].0);
        assert_eq!((m.open_holds, m.reclaimed_open), (0, 0), "{}", TREE[i].0);
        assert_eq!(m.reservations, m.closed(), "{}", TREE[i].0);
    }
    // Every hold passes through the root, which counts each close once.
    let root = &nodes[0];
    let metrics = root.metrics();
    assert_eq!(metrics.reservations, admitted_total.load(Ordering::SeqCst));
    assert_eq!(metrics.charged, charged_total.load(Ordering::SeqCst));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn concurrent_scripts_keep_the_invariant_and_return_everything(
        scripts in prop::collection::vec(prop::collection::vec(thread_op(), 1..60), 4..=5)
    ) {
        run_concurrent(scripts);
    }
}

/// A chain mixing every limit kind: quota → refilling bucket → rolling
/// window → quota. Rate limits have no windows to reason about exactly, so
/// this checks what must hold for them too: every hold comes back, and
/// every close is counted once.
fn run_mixed_concurrent(scripts: Vec<Vec<ThreadOp>>) {
    let clock = ManualClock::new(0);
    let org = Budget::quota("org", 200).clock(clock.clone()).build();
    let tpm = Budget::rate("tpm", Gcra::per_second(100, 60).unwrap())
        .parent(&org)
        .build();
    let window = Budget::rate(
        "rolling",
        RollingWindow::new(50, Duration::from_millis(200)).unwrap(),
    )
    .parent(&tpm)
    .build();
    let agent = window.child("agent", 40).build();
    let nodes = [org, tpm, window, agent];

    std::thread::scope(|scope| {
        for script in scripts {
            let (nodes, clock) = (&nodes, clock.clone());
            scope.spawn(move || {
                let mut open: Vec<Hold> = Vec::new();
                for op in script {
                    match op {
                        ThreadOp::Reserve {
                            node,
                            amount,
                            lease,
                        } => {
                            let mut request = ReserveRequest::new(amount);
                            if let Some(lease) = lease {
                                request = request.with_lease(Duration::from_millis(lease));
                            }
                            if let Ok(hold) = nodes[node % nodes.len()].try_reserve_with(request) {
                                open.push(hold);
                            }
                        }
                        ThreadOp::Settle(i, a) if !open.is_empty() => {
                            let hold = open.swap_remove(i % open.len());
                            block_on(hold.settle(a)).unwrap();
                        }
                        ThreadOp::Release(i) if !open.is_empty() => {
                            let hold = open.swap_remove(i % open.len());
                            block_on(hold.release()).unwrap();
                        }
                        ThreadOp::Cancel(i, c) | ThreadOp::Drop(i, c) if !open.is_empty() => {
                            let hold = open.swap_remove(i % open.len());
                            drop(hold.with_drop_policy(CancelPolicy::Charge(c)));
                        }
                        ThreadOp::Advance(ms) => clock.advance_millis(ms),
                        ThreadOp::Reap(node) => {
                            nodes[node % nodes.len()].reap_now();
                        }
                        _ => {}
                    }
                    for budget in nodes {
                        let s = budget.snapshot_now();
                        assert!(s.available <= s.capacity, "{}", s.name);
                    }
                }
            });
        }
    });

    for budget in &nodes {
        let s = budget.snapshot_now();
        let m = budget.metrics();
        assert_eq!(s.held, 0, "{}: every hold returned", s.name);
        assert_eq!((m.open_holds, m.reclaimed_open), (0, 0), "{}", s.name);
        assert_eq!(m.reservations, m.closed(), "{}", s.name);
    }
    // Long after all the activity (enough to pay back any debt the scripts
    // can run up), every limiter is whole again.
    clock.advance_millis(1_000_000);
    for budget in &nodes[1..3] {
        let s = budget.snapshot_now();
        assert_eq!(s.available, s.capacity, "{} refills", s.name);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn concurrent_scripts_on_mixed_limit_kinds_return_everything(
        scripts in prop::collection::vec(prop::collection::vec(thread_op(), 1..60), 4..=4)
    ) {
        run_mixed_concurrent(scripts);
    }
}

// ---------------------------------------------------------------------------
// A few fixed scenarios the random scripts reach only rarely
// ---------------------------------------------------------------------------

#[test]
fn many_threads_on_one_small_parent_never_over_admit() {
    let clock = ManualClock::new(0);
    let root = Budget::quota("root", 100).clock(clock.clone()).build();
    let leaves: Vec<_> = (0..4)
        .map(|i| root.child(format!("leaf-{i}"), 100).build())
        .collect();
    let peak = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for leaf in &leaves {
            let (root, peak) = (&root, &peak);
            scope.spawn(move || {
                for round in 0..2_000u64 {
                    if let Ok(hold) = leaf.try_reserve(1 + round % 7) {
                        let held = root.snapshot_now().held;
                        peak.fetch_max(held, Ordering::SeqCst);
                        assert!(held <= 100);
                        drop(hold);
                    }
                }
            });
        }
    });
    assert!(peak.load(Ordering::SeqCst) <= 100);
    assert_eq!(root.snapshot_now().held, 0);
    assert_eq!(root.snapshot_now().consumed, 0);
}
