//! Tool-call history and its repair into what the model should see.

use std::collections::HashMap;

use serde_json::Value;

use super::{RetryClass, RetryClassifier, ToolCallFingerprint};
use crate::normalizer::{ToolInvocation, ToolInvocationResult};
use crate::registry::KernelError;

/// One recorded attempt at a tool call, as fed back to the model.
///
/// ```
/// use rig_compose::{DefaultRetryClassifier, HistoryEntry, KernelError, RetryClass, ToolInvocation};
/// use serde_json::json;
///
/// let call = ToolInvocation::new("read_file", json!({"path": "notes.md"})).unwrap();
/// let denied = KernelError::ToolNotAuthorised("read_file".into());
/// let entry = HistoryEntry::failed(call.clone(), &denied, &DefaultRetryClassifier);
///
/// assert_eq!(entry.fingerprint(), call.fingerprint());
/// match entry {
///     HistoryEntry::Failed { class, message, .. } => {
///         assert_eq!(class, RetryClass::Permanent);
///         assert_eq!(message, "tool `read_file` is not authorised for this agent");
///     }
///     HistoryEntry::Completed { .. } => unreachable!(),
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryEntry {
    /// The call ran and returned `output`.
    Completed {
        /// The call that ran.
        invocation: ToolInvocation,
        /// What the tool returned.
        output: Value,
    },
    /// The call failed.
    Failed {
        /// The call that failed.
        invocation: ToolInvocation,
        /// Whether the failure was judged retryable.
        class: RetryClass,
        /// The error's display text.
        message: String,
    },
}

impl HistoryEntry {
    /// The [`ToolCallFingerprint`] of the entry's invocation.
    pub fn fingerprint(&self) -> ToolCallFingerprint {
        self.invocation().fingerprint()
    }

    /// A [`HistoryEntry::Completed`] holding a dispatch result's call and
    /// output.
    pub fn completed(result: ToolInvocationResult) -> Self {
        let ToolInvocationResult { invocation, output } = result;
        Self::Completed { invocation, output }
    }

    /// A [`HistoryEntry::Failed`] for `invocation`, with `error` classified
    /// by `classifier` and rendered with its `Display` text.
    pub fn failed<C: RetryClassifier>(
        invocation: ToolInvocation,
        error: &KernelError,
        classifier: &C,
    ) -> Self {
        Self::Failed {
            class: classifier.classify(error),
            message: error.to_string(),
            invocation,
        }
    }

    /// The call this entry records, whatever its outcome.
    pub fn invocation(&self) -> &ToolInvocation {
        match self {
            Self::Completed { invocation, .. } | Self::Failed { invocation, .. } => invocation,
        }
    }

    fn is_completed(&self) -> bool {
        matches!(self, Self::Completed { .. })
    }
}

/// Collapse a raw history to one entry per distinct call.
///
/// Entries are grouped by [`HistoryEntry::fingerprint`]. For each group the
/// kept entry is
///
/// * its **first** [`HistoryEntry::Completed`] if it has one — a call that
///   has produced an answer keeps that answer, and later re-runs are
///   dropped;
/// * otherwise its **last** [`HistoryEntry::Failed`], the most recent
///   verdict on a call that never succeeded.
///
/// Groups appear in the order of their first entry in `entries`, even when
/// the kept entry comes from later on. The function is deterministic, never
/// fails, and is idempotent: repairing a repaired history changes nothing.
///
/// ```
/// use rig_compose::{HistoryEntry, RetryClass, ToolInvocation, repair_history};
/// use serde_json::json;
///
/// let a = ToolInvocation::new("a", json!({})).unwrap();
/// let b = ToolInvocation::new("b", json!({})).unwrap();
/// let fail = |inv: &ToolInvocation, message: &str| HistoryEntry::Failed {
///     invocation: inv.clone(),
///     class: RetryClass::Transient,
///     message: message.into(),
/// };
///
/// let log = vec![
///     fail(&a, "a: try 1"),
///     fail(&b, "b: try 1"),
///     HistoryEntry::Completed { invocation: a.clone(), output: json!(1) },
///     fail(&b, "b: try 2"),
///     HistoryEntry::Completed { invocation: a.clone(), output: json!(2) },
/// ];
///
/// let repaired = repair_history(&log);
/// assert_eq!(
///     repaired,
///     vec![
///         HistoryEntry::Completed { invocation: a, output: json!(1) },
///         fail(&b, "b: try 2"),
///     ]
/// );
/// ```
pub fn repair_history(entries: &[HistoryEntry]) -> Vec<HistoryEntry> {
    // One slot per fingerprint, in first-seen order, pointing at the entry
    // currently chosen for that group.
    struct Slot<'a> {
        chosen: &'a HistoryEntry,
        settled: bool,
    }

    let mut slots: Vec<Slot<'_>> = Vec::new();
    let mut slot_of: HashMap<ToolCallFingerprint, usize> = HashMap::new();

    for entry in entries {
        let fingerprint = entry.fingerprint();
        let existing = slot_of
            .get(&fingerprint)
            .and_then(|&index| slots.get_mut(index));
        match existing {
            None => {
                slot_of.insert(fingerprint, slots.len());
                slots.push(Slot {
                    chosen: entry,
                    settled: entry.is_completed(),
                });
            }
            // A completion settles the group for good.
            Some(slot) if slot.settled => {}
            // Unsettled: a completion settles it, a newer failure replaces
            // the older one.
            Some(slot) => {
                slot.chosen = entry;
                slot.settled = entry.is_completed();
            }
        }
    }

    slots.into_iter().map(|slot| slot.chosen.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reliability::DefaultRetryClassifier;
    use serde_json::json;

    fn call(name: &str, args: Value) -> ToolInvocation {
        ToolInvocation::new(name, args).unwrap()
    }

    fn ok(inv: &ToolInvocation, output: Value) -> HistoryEntry {
        HistoryEntry::Completed {
            invocation: inv.clone(),
            output,
        }
    }

    fn err(inv: &ToolInvocation, class: RetryClass, message: &str) -> HistoryEntry {
        HistoryEntry::Failed {
            invocation: inv.clone(),
            class,
            message: message.into(),
        }
    }

    #[test]
    fn empty_in_empty_out() {
        assert_eq!(repair_history(&[]), Vec::<HistoryEntry>::new());
    }

    #[test]
    fn distinct_calls_pass_through_unchanged() {
        let log = vec![
            ok(&call("a", json!({})), json!(1)),
            err(&call("b", json!({})), RetryClass::Permanent, "no"),
            ok(&call("a", json!({"x": 1})), json!(2)),
        ];
        assert_eq!(repair_history(&log), log);
    }

    #[test]
    fn first_completion_wins_over_later_ones_and_failures() {
        let c = call("search", json!({"q": "rig"}));
        let log = vec![
            err(&c, RetryClass::Transient, "timeout"),
            ok(&c, json!("first")),
            err(&c, RetryClass::Transient, "later flake"),
            ok(&c, json!("second")),
        ];
        assert_eq!(repair_history(&log), vec![ok(&c, json!("first"))]);
    }

    #[test]
    fn last_failure_wins_when_nothing_completed() {
        let c = call("search", json!({"q": "rig"}));
        let log = vec![
            err(&c, RetryClass::Transient, "one"),
            err(&c, RetryClass::Transient, "two"),
            err(&c, RetryClass::Permanent, "three"),
        ];
        assert_eq!(
            repair_history(&log),
            vec![err(&c, RetryClass::Permanent, "three")]
        );
    }

    #[test]
    fn groups_keep_first_seen_position() {
        let a = call("a", json!({}));
        let b = call("b", json!({}));
        let c = call("c", json!({}));
        let log = vec![
            err(&b, RetryClass::Transient, "b1"),
            ok(&a, json!("a")),
            err(&c, RetryClass::Transient, "c1"),
            ok(&c, json!("c")),
            ok(&b, json!("b")),
        ];
        assert_eq!(
            repair_history(&log),
            vec![ok(&b, json!("b")), ok(&a, json!("a")), ok(&c, json!("c"))]
        );
    }

    #[test]
    fn reordered_argument_keys_count_as_the_same_call() {
        let one = call("t", json!({"a": 1, "b": 2}));
        let two = call("t", json!({"b": 2, "a": 1}));
        let log = vec![
            err(&one, RetryClass::Transient, "x"),
            ok(&two, json!("done")),
        ];
        assert_eq!(repair_history(&log), vec![ok(&two, json!("done"))]);
    }

    #[test]
    fn repair_is_idempotent_on_a_mixed_log() {
        let a = call("a", json!({}));
        let b = call("b", json!([1]));
        let log = vec![
            err(&a, RetryClass::Transient, "a1"),
            err(&b, RetryClass::Transient, "b1"),
            ok(&a, json!(null)),
            err(&b, RetryClass::Permanent, "b2"),
        ];
        let once = repair_history(&log);
        assert_eq!(repair_history(&once), once);
    }

    #[test]
    fn completed_helper_moves_result_fields() {
        let c = call("t", json!({"k": "v"}));
        let entry = HistoryEntry::completed(ToolInvocationResult {
            invocation: c.clone(),
            output: json!([1, 2]),
        });
        assert_eq!(entry, ok(&c, json!([1, 2])));
        assert_eq!(entry.invocation(), &c);
    }

    #[test]
    fn failed_helper_uses_classifier_and_display_text() {
        let c = call("t", json!({}));
        let entry = HistoryEntry::failed(
            c.clone(),
            &KernelError::ToolFailed("socket closed".into()),
            &DefaultRetryClassifier,
        );
        assert_eq!(
            entry,
            err(
                &c,
                RetryClass::Transient,
                "tool invocation failed: socket closed"
            )
        );
    }

    #[test]
    fn fingerprint_ignores_outcome() {
        let c = call("t", json!({"n": 1}));
        assert_eq!(
            ok(&c, json!(1)).fingerprint(),
            err(&c, RetryClass::Permanent, "x").fingerprint()
        );
        assert_eq!(ok(&c, json!(1)).fingerprint(), c.fingerprint());
    }
}
