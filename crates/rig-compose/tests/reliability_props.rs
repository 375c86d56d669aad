//! Property tests for tool-call fingerprints and history repair.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use rig_compose::{HistoryEntry, RetryClass, ToolCallFingerprint, ToolInvocation, repair_history};
use serde_json::{Map, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Finite floats only: JSON has no NaN or infinity.
        (-1.0e12f64..1.0e12).prop_map(Value::from),
        "[a-z0-9 ]{0,6}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-e]{1,3}", inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn tool_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,8}"
}

/// Rebuild `value` with every object's members inserted in a permuted order
/// chosen by `seed` (reverse, rotate, or as-is).
fn reinsert(value: &Value, seed: u64) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| reinsert(v, seed.wrapping_add(i as u64)))
                .collect(),
        ),
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            match seed % 3 {
                0 => members.reverse(),
                1 if !members.is_empty() => {
                    let by = (seed as usize / 3) % members.len();
                    members.rotate_left(by);
                }
                _ => {}
            }
            let mut out = Map::new();
            for (i, (k, v)) in members.into_iter().enumerate() {
                out.insert(
                    k.clone(),
                    reinsert(v, seed.wrapping_mul(31).wrapping_add(i as u64)),
                );
            }
            Value::Object(out)
        }
        scalar => scalar.clone(),
    }
}

fn call(name: &str, args: Value) -> ToolInvocation {
    ToolInvocation::new(name, args).unwrap()
}

/// A small pool of calls so that generated histories repeat fingerprints.
fn pool() -> Vec<ToolInvocation> {
    vec![
        call("a", serde_json::json!({})),
        call("a", serde_json::json!({"x": 1})),
        call("b", serde_json::json!([1, 2])),
        call("c", serde_json::json!(null)),
    ]
}

fn history() -> impl Strategy<Value = Vec<HistoryEntry>> {
    let entry = (0usize..4, any::<bool>(), any::<bool>(), 0u8..50).prop_map(
        |(which, completed, transient, tag)| {
            let invocation = pool().swap_remove(which);
            if completed {
                HistoryEntry::Completed {
                    invocation,
                    output: Value::from(tag),
                }
            } else {
                HistoryEntry::Failed {
                    invocation,
                    class: if transient {
                        RetryClass::Transient
                    } else {
                        RetryClass::Permanent
                    },
                    message: format!("m{tag}"),
                }
            }
        },
    );
    prop::collection::vec(entry, 0..24)
}

proptest! {
    #[test]
    fn fingerprint_ignores_key_order(name in tool_name(), args in json_value(), seed in any::<u64>()) {
        let shuffled = reinsert(&args, seed);
        prop_assert_eq!(&shuffled, &args);
        prop_assert_eq!(call(&name, args).fingerprint(), call(&name, shuffled).fingerprint());
    }

    #[test]
    fn fingerprint_tracks_json_equality(
        name_a in tool_name(),
        name_b in tool_name(),
        a in json_value(),
        b in json_value(),
    ) {
        let same = name_a == name_b && a == b;
        let fa = call(&name_a, a).fingerprint();
        let fb = call(&name_b, b).fingerprint();
        // Different calls colliding has probability ~2^-64 per case.
        prop_assert_eq!(same, fa == fb);
    }

    #[test]
    fn repaired_history_has_one_entry_per_fingerprint_in_first_seen_order(log in history()) {
        let repaired = repair_history(&log);

        let mut first_seen: Vec<ToolCallFingerprint> = Vec::new();
        for entry in &log {
            let f = entry.fingerprint();
            if !first_seen.contains(&f) {
                first_seen.push(f);
            }
        }
        let got: Vec<ToolCallFingerprint> = repaired.iter().map(HistoryEntry::fingerprint).collect();
        prop_assert_eq!(got, first_seen);
    }

    #[test]
    fn repaired_entry_is_first_completion_else_last_failure(log in history()) {
        let repaired = repair_history(&log);
        let by_fp: HashMap<ToolCallFingerprint, &HistoryEntry> =
            repaired.iter().map(|e| (e.fingerprint(), e)).collect();
        for (f, kept) in by_fp {
            let group: Vec<&HistoryEntry> = log.iter().filter(|e| e.fingerprint() == f).collect();
            let expected = group
                .iter()
                .find(|e| matches!(e, HistoryEntry::Completed { .. }))
                .or_else(|| group.last())
                .copied()
                .unwrap();
            prop_assert_eq!(kept, expected);
        }
    }

    #[test]
    fn repair_is_idempotent_and_only_returns_input_entries(log in history()) {
        let once = repair_history(&log);
        prop_assert_eq!(&repair_history(&once), &once);
        prop_assert!(once.len() <= log.len());
        for entry in &once {
            prop_assert!(log.contains(entry));
        }
        let distinct: HashSet<ToolCallFingerprint> = once.iter().map(HistoryEntry::fingerprint).collect();
        prop_assert_eq!(distinct.len(), once.len());
    }
}
