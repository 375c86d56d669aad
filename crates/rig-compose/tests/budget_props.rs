//! Property tests for the in-memory budgets.
//!
//! * A single-threaded model check replays random operation sequences
//!   against both budgets and a plain-arithmetic reference model, comparing
//!   every observable after every step.
//! * A multi-threaded stress runs random per-thread scripts on shared budgets
//!   while a monitor thread checks the invariants that must hold at every
//!   instant, then checks exact accounting once everything is returned.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::executor::block_on;
use proptest::prelude::*;

use rig_compose::budget::{
    AtomicBudget, AtomicTokenBudget, BudgetGuard, TokenBudget, TokenReservation,
};

// ---------------------------------------------------------------------------
// Single-threaded model check
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    /// `AtomicBudget::try_reserve(cost)`.
    Reserve(u64),
    /// Release the units of the n-th (mod len) held reservation.
    Release(usize),
    /// Release an arbitrary amount that was never reserved.
    ReleaseStray(u64),
    /// `AtomicBudget::refill()`.
    Refill,
    /// `AtomicTokenBudget::try_reserve_tokens(est)`.
    ReserveTokens(u64),
    /// Record usage for the n-th (mod len) outstanding token reservation.
    Record(usize, u64, u64),
    /// Drop the n-th (mod len) outstanding token reservation unrecorded.
    DropReservation(usize),
}

fn token_count() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => 0..300_u64,
        1 => Just(u64::MAX),
        1 => (u64::MAX / 2)..=u64::MAX,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..120_u64).prop_map(Op::Reserve),
        3 => any::<usize>().prop_map(Op::Release),
        1 => token_count().prop_map(Op::ReleaseStray),
        1 => Just(Op::Refill),
        4 => prop_oneof![9 => 0..400_u64, 1 => Just(u64::MAX)].prop_map(Op::ReserveTokens),
        3 => (any::<usize>(), token_count(), token_count())
            .prop_map(|(i, p, c)| Op::Record(i, p, c)),
        2 => any::<usize>().prop_map(Op::DropReservation),
    ]
}

/// The reference: ordinary saturating arithmetic, no atomics.
struct Model {
    capacity: u64,
    units: u64,
    held_units: Vec<u64>,
    token_capacity: u64,
    tokens: u64,
    consumed: u64,
    reservations: Vec<(TokenReservation, u64)>,
}

impl Model {
    fn give_units(&mut self, n: u64) {
        self.units = self.units.saturating_add(n).min(self.capacity);
    }
    fn give_tokens(&mut self, n: u64) {
        self.tokens = self.tokens.saturating_add(n).min(self.token_capacity);
    }
}

fn run_model(unit_capacity: u64, token_capacity: u64, ops: &[Op]) -> Result<(), TestCaseError> {
    let units = AtomicBudget::new(unit_capacity);
    let tokens = AtomicTokenBudget::new(token_capacity);
    let mut model = Model {
        capacity: unit_capacity,
        units: unit_capacity,
        held_units: Vec::new(),
        token_capacity,
        tokens: token_capacity,
        consumed: 0,
        reservations: Vec::new(),
    };

    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Reserve(cost) => {
                let admitted = block_on(units.try_reserve(cost)).unwrap();
                let expected = model.units >= cost;
                prop_assert_eq!(admitted, expected, "step {}: reserve {}", step, cost);
                if admitted {
                    model.units -= cost;
                    model.held_units.push(cost);
                }
            }
            Op::Release(n) => {
                if !model.held_units.is_empty() {
                    let cost = model.held_units.swap_remove(n % model.held_units.len());
                    block_on(units.release(cost));
                    model.give_units(cost);
                }
            }
            Op::ReleaseStray(amount) => {
                block_on(units.release(amount));
                model.give_units(amount);
            }
            Op::Refill => {
                units.refill();
                model.units = model.capacity;
            }
            Op::ReserveTokens(est) => {
                let got = block_on(tokens.try_reserve_tokens(est)).unwrap();
                prop_assert_eq!(got.is_some(), model.tokens >= est, "step {}", step);
                if let Some(reservation) = got {
                    prop_assert_eq!(reservation.estimate(), est);
                    model.tokens -= est;
                    model.reservations.push((reservation, est));
                }
            }
            Op::Record(n, prompt, completion) => {
                if !model.reservations.is_empty() {
                    let (reservation, est) =
                        model.reservations.swap_remove(n % model.reservations.len());
                    block_on(tokens.record_usage(reservation, prompt, completion));
                    let actual = prompt.saturating_add(completion);
                    model.consumed = model.consumed.saturating_add(actual);
                    if actual <= est {
                        model.give_tokens(est - actual);
                    } else {
                        model.tokens = model.tokens.saturating_sub(actual - est);
                    }
                }
            }
            Op::DropReservation(n) => {
                if !model.reservations.is_empty() {
                    let (reservation, est) =
                        model.reservations.swap_remove(n % model.reservations.len());
                    drop(reservation);
                    model.give_tokens(est);
                }
            }
        }

        prop_assert_eq!(
            units.available(),
            model.units,
            "units after step {}: {:?}",
            step,
            op
        );
        prop_assert!(units.available() <= units.capacity());
        let expected_util = if unit_capacity == 0 {
            0.0
        } else {
            (unit_capacity - model.units) as f64 / unit_capacity as f64
        };
        prop_assert!((units.utilization() - expected_util).abs() < 1e-12);
        prop_assert_eq!(
            tokens.available(),
            model.tokens,
            "tokens after step {}: {:?}",
            step,
            op
        );
        prop_assert!(tokens.available() <= tokens.capacity());
        prop_assert_eq!(block_on(tokens.tokens_consumed()), model.consumed);
    }

    // Dropping every outstanding reservation returns exactly its estimate.
    let outstanding: Vec<_> = model.reservations.drain(..).collect();
    for (reservation, est) in outstanding {
        drop(reservation);
        model.give_tokens(est);
        prop_assert_eq!(tokens.available(), model.tokens);
    }
    prop_assert!(tokens.available() <= token_capacity);

    // Reservations that outlive their budget are inert.
    let late = block_on(tokens.try_reserve_tokens(0)).unwrap();
    drop(tokens);
    drop(late);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn budgets_match_the_reference_model(
        unit_capacity in prop_oneof![0..200_u64, Just(u64::MAX)],
        token_capacity in prop_oneof![0..1_000_u64, Just(u64::MAX)],
        ops in prop::collection::vec(op(), 0..80),
    ) {
        run_model(unit_capacity, token_capacity, &ops)?;
    }
}

// ---------------------------------------------------------------------------
// Multi-threaded stress
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum ThreadOp {
    Reserve(u64),
    Release(usize),
    ReserveTokens(u64),
    /// Record the n-th reservation having used `permille`/1000 of its
    /// estimate, split between prompt and completion at `split`/1000.
    Record(usize, u64, u64),
    DropReservation(usize),
}

fn thread_op() -> impl Strategy<Value = ThreadOp> {
    prop_oneof![
        3 => (1..40_u64).prop_map(ThreadOp::Reserve),
        3 => any::<usize>().prop_map(ThreadOp::Release),
        3 => (0..150_u64).prop_map(ThreadOp::ReserveTokens),
        3 => (any::<usize>(), 0..=1_000_u64, 0..=1_000_u64)
            .prop_map(|(i, used, split)| ThreadOp::Record(i, used, split)),
        2 => any::<usize>().prop_map(ThreadOp::DropReservation),
    ]
}

const THREADS: usize = 4;
const UNIT_CAPACITY: u64 = 100;
const TOKEN_CAPACITY: u64 = 1_000;

struct Shared {
    units: AtomicBudget,
    tokens: AtomicTokenBudget,
    /// Units currently held by workers; raised only after a successful
    /// reserve and lowered before the release, so it can never exceed the
    /// capacity unless the budget over-admitted.
    held_units: AtomicU64,
    /// Tokens reported as used by all workers.
    reported: AtomicU64,
}

fn worker(shared: &Shared, script: &[ThreadOp]) {
    let mut held: Vec<u64> = Vec::new();
    let mut reservations: Vec<TokenReservation> = Vec::new();
    for op in script {
        match *op {
            ThreadOp::Reserve(cost) => {
                if block_on(shared.units.try_reserve(cost)).unwrap() {
                    let before = shared.held_units.fetch_add(cost, Ordering::SeqCst);
                    assert!(before + cost <= UNIT_CAPACITY, "unit budget over-admitted");
                    held.push(cost);
                }
            }
            ThreadOp::Release(n) => {
                if !held.is_empty() {
                    let cost = held.swap_remove(n % held.len());
                    shared.held_units.fetch_sub(cost, Ordering::SeqCst);
                    block_on(shared.units.release(cost));
                }
            }
            ThreadOp::ReserveTokens(est) => {
                if let Some(r) = block_on(shared.tokens.try_reserve_tokens(est)).unwrap() {
                    reservations.push(r);
                }
            }
            ThreadOp::Record(n, permille, split) => {
                if !reservations.is_empty() {
                    let r = reservations.swap_remove(n % reservations.len());
                    let used = r.estimate() * permille / 1_000;
                    let prompt = used * split / 1_000;
                    shared.reported.fetch_add(used, Ordering::SeqCst);
                    block_on(shared.tokens.record_usage(r, prompt, used - prompt));
                }
            }
            ThreadOp::DropReservation(n) => {
                if !reservations.is_empty() {
                    drop(reservations.swap_remove(n % reservations.len()));
                }
            }
        }
    }
    for cost in held {
        shared.held_units.fetch_sub(cost, Ordering::SeqCst);
        block_on(shared.units.release(cost));
    }
    drop(reservations);
}

/// Invariants that hold at every instant, whatever the workers are doing.
fn check_instant(shared: &Shared) {
    let units = shared.units.available();
    assert!(units <= UNIT_CAPACITY, "units above capacity: {units}");
    // `consumed` only grows, and a recording raises it before refunding the
    // unused estimate, so reading it first gives a lower bound that keeps
    // `consumed + available <= capacity` true (no usage ever exceeds its
    // estimate here).
    let consumed = block_on(shared.tokens.tokens_consumed());
    let tokens = shared.tokens.available();
    assert!(tokens <= TOKEN_CAPACITY, "tokens above capacity: {tokens}");
    assert!(
        consumed + tokens <= TOKEN_CAPACITY,
        "tokens double counted: consumed {consumed} + available {tokens}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn concurrent_scripts_keep_exact_accounting(
        scripts in prop::collection::vec(prop::collection::vec(thread_op(), 0..120), THREADS),
    ) {
        let shared = Shared {
            units: AtomicBudget::new(UNIT_CAPACITY),
            tokens: AtomicTokenBudget::new(TOKEN_CAPACITY),
            held_units: AtomicU64::new(0),
            reported: AtomicU64::new(0),
        };
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let monitor = scope.spawn(|| {
                while !done.load(Ordering::SeqCst) {
                    check_instant(&shared);
                    std::hint::spin_loop();
                }
            });
            let workers: Vec<_> = scripts
                .iter()
                .map(|script| scope.spawn(|| worker(&shared, script)))
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            done.store(true, Ordering::SeqCst);
            monitor.join().unwrap();
        });

        check_instant(&shared);
        prop_assert_eq!(shared.units.available(), UNIT_CAPACITY);
        prop_assert_eq!(shared.held_units.load(Ordering::SeqCst), 0);
        let consumed = block_on(shared.tokens.tokens_consumed());
        prop_assert_eq!(consumed, shared.reported.load(Ordering::SeqCst));
        // Every estimate either came back (dropped, or the unused part on
        // recording) or was consumed: nothing leaked, nothing minted.
        prop_assert_eq!(shared.tokens.available(), TOKEN_CAPACITY - consumed);
    }
}
