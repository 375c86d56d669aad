//! Stack-safe disposal of the parts of a payload that bounding throws away.
//!
//! `serde_json::Value`'s drop glue recurses once per nesting level, so
//! dropping a discarded array element nested many thousands of levels deep
//! could overflow the thread's stack. Values that are provably shallow (the
//! common case, and the only case serde_json's parser can produce) are
//! dropped normally, which is fastest; anything deeper is collected here
//! and taken apart level by level on the heap.

use serde_json::Value;

/// Nesting depth up to which a discarded part of a tool result is freed by
/// ordinary (recursive) drop. Deeper parts are dismantled iteratively, one
/// level at a time, so discarding never needs more native stack than this
/// many levels. The check that decides this recurses at most this deep too.
///
/// Equal to serde_json's default parser nesting limit, so any payload that
/// came from `serde_json::from_str` takes the fast path.
pub const MAX_RECURSIVE_DROP_DEPTH: usize = 128;

/// Depth checked for the children of a value that is being dismantled.
const DISMANTLE_CHECK_DEPTH: usize = 8;

/// True when `value` has at most `levels` levels of containers.
fn nested_within(value: &Value, levels: usize) -> bool {
    let Some(below) = levels.checked_sub(1) else {
        return !matches!(value, Value::Array(_) | Value::Object(_));
    };
    match value {
        Value::Array(items) => items.iter().all(|item| nested_within(item, below)),
        Value::Object(fields) => fields.values().all(|child| nested_within(child, below)),
        _ => true,
    }
}

/// Collects discarded values and frees them without recursion.
#[derive(Default)]
pub(super) struct Discard {
    pending: Vec<Value>,
}

impl Discard {
    /// Take ownership of a value that will not be returned to the caller.
    pub(super) fn bury(&mut self, value: Value) {
        self.bury_within(value, MAX_RECURSIVE_DROP_DEPTH);
    }

    /// Take ownership of many discarded values.
    pub(super) fn bury_all(&mut self, values: impl IntoIterator<Item = Value>) {
        for value in values {
            self.bury(value);
        }
    }

    /// Drop `value` now if it is at most `levels` deep, else queue it.
    fn bury_within(&mut self, value: Value, levels: usize) {
        if !nested_within(&value, levels) {
            self.pending.push(value);
        }
    }

    /// Free everything buried so far.
    pub(super) fn flush(&mut self) {
        while let Some(value) = self.pending.pop() {
            // Inside a value already known to be deep, re-checking each
            // child against the full limit would rescan the same deep chain
            // at every level; a short check keeps dismantling linear.
            match value {
                Value::Array(items) => {
                    for child in items {
                        self.bury_within(child, DISMANTLE_CHECK_DEPTH);
                    }
                }
                Value::Object(fields) => {
                    for child in fields.into_values() {
                        self.bury_within(child, DISMANTLE_CHECK_DEPTH);
                    }
                }
                _ => {}
            }
        }
    }
}

impl Drop for Discard {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    // Which values take the iterative path, and that it is stack-safe.
    use super::*;
    use serde_json::json;

    fn nest(depth: usize) -> Value {
        let mut value = json!(1);
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        value
    }

    #[test]
    fn shallow_values_are_dropped_immediately() {
        let mut discard = Discard::default();
        discard.bury(json!({"a": [1, {"b": null}], "c": "text"}));
        discard.bury(nest(MAX_RECURSIVE_DROP_DEPTH));
        assert!(discard.pending.is_empty());
        discard.bury(nest(MAX_RECURSIVE_DROP_DEPTH + 1));
        assert_eq!(discard.pending.len(), 1);
    }

    #[test]
    fn depth_check_counts_container_levels() {
        assert!(nested_within(&json!("scalar"), 0));
        assert!(!nested_within(&json!([]), 0));
        assert!(nested_within(&json!([]), 1));
        assert!(nested_within(&json!([1, {"k": 2}]), 2));
        assert!(!nested_within(&json!([1, {"k": [2]}]), 2));
        assert!(nested_within(&nest(10), 10));
        assert!(!nested_within(&nest(11), 10));
    }

    #[test]
    fn very_deep_values_are_freed_without_recursion() {
        let mut deep = json!(null);
        for level in 0..200_000 {
            deep = if level % 2 == 0 {
                Value::Array(vec![deep])
            } else {
                // Not `json!`: it would re-serialize `deep` recursively.
                Value::Object(std::iter::once(("k".to_owned(), deep)).collect())
            };
        }
        // Run on a thread with a small stack: recursive drop glue for
        // 200 000 levels would need far more than 128 KiB.
        let handle = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || {
                let mut discard = Discard::default();
                discard.bury(deep);
                discard.bury(json!("scalar"));
                let buried = discard.pending.len();
                discard.flush();
                (buried, discard.pending.len())
            });
        let outcome = handle.map(|thread| thread.join());
        assert!(matches!(outcome, Ok(Ok((1, 0)))), "{outcome:?}");
    }
}
