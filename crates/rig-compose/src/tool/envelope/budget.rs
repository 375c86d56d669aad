//! Second bounding pass: the byte budget on the whole serialized payload.
//!
//! Only the top level is trimmed. Members of a top-level object or array
//! are considered one at a time in document order and kept when the payload
//! built so far still fits with them added; a member that does not fit is
//! dropped whole and later, smaller members may still be kept. A top-level
//! string is trimmed character by character in the same first-fit way, and
//! a top-level scalar that does not fit is reported but left in place,
//! since there is nothing smaller to put there.
//!
//! The sizes come from the [`Layout`] measured by the first pass, so this
//! pass costs one addition per member instead of one serialization.

use serde_json::Value;

use super::discard::Discard;
use super::measure::{self, ContainerLen};
use super::omission::{Tally, ToolResultOmissionReason};
use super::walk::{Layout, push_index, push_key};

const REASON: ToolResultOmissionReason = ToolResultOmissionReason::TotalBytes;

/// Trim `root` so its compact encoding fits `budget` bytes where possible.
pub(super) fn enforce_total_bytes(
    root: &mut Value,
    layout: &Layout,
    budget: usize,
    tally: &mut Tally,
    discard: &mut Discard,
) {
    if layout.total <= budget {
        return;
    }
    let mut sizes = layout.members.iter().copied();
    let mut kept = ContainerLen::empty();
    let mut pointer = String::new();
    match root {
        Value::Object(fields) => fields.retain(|key, value| {
            let member = sizes.next().unwrap_or(usize::MAX);
            if kept.with_member(member) <= budget {
                kept.push(member);
                return true;
            }
            tally.add_values(1);
            pointer.clear();
            push_key(&mut pointer, key);
            tally.record(&pointer, REASON, budget);
            discard.bury(std::mem::take(value));
            false
        }),
        Value::Array(items) => {
            let mut index = 0_usize;
            items.retain_mut(|item| {
                let position = index;
                index = index.saturating_add(1);
                let member = sizes.next().unwrap_or(usize::MAX);
                if kept.with_member(member) <= budget {
                    kept.push(member);
                    return true;
                }
                tally.add_items(1);
                pointer.clear();
                push_index(&mut pointer, position);
                tally.record(&pointer, REASON, budget);
                discard.bury(std::mem::take(item));
                false
            });
        }
        Value::String(text) => fit_string(text, budget, tally),
        Value::Null | Value::Bool(_) | Value::Number(_) => {
            tally.add_values(1);
            tally.record("", REASON, budget);
        }
    }
}

/// Keep, in order, every character that still fits the budget.
fn fit_string(text: &mut String, budget: usize, tally: &mut Tally) {
    let mut used = measure::DELIMITERS_LEN;
    let mut dropped = 0_usize;
    let mut kept = String::with_capacity(text.len().min(budget));
    for character in text.chars() {
        let grown = used.saturating_add(measure::char_len(character));
        if grown <= budget {
            used = grown;
            kept.push(character);
        } else {
            dropped = dropped.saturating_add(1);
        }
    }
    if dropped > 0 {
        tally.add_chars(dropped);
        tally.record("", REASON, budget);
        *text = kept;
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // fixtures with known lengths
mod tests {
    // Second pass only, on payloads the first pass leaves unchanged.
    use super::*;
    use crate::tool::envelope::config::ToolResultEnvelopeConfig;
    use crate::tool::envelope::walk::apply_value_limits;
    use serde_json::json;

    fn trim(mut value: Value, budget: usize) -> (Value, Tally) {
        let mut tally = Tally::default();
        let mut discard = Discard::default();
        let config = ToolResultEnvelopeConfig::new(usize::MAX).with_max_array_items(usize::MAX);
        let layout = apply_value_limits(&mut value, &config, &mut tally, &mut discard);
        enforce_total_bytes(&mut value, &layout, budget, &mut tally, &mut discard);
        (value, tally)
    }

    fn pointers(tally: &Tally) -> Vec<&str> {
        tally.segments.iter().map(|s| s.pointer.as_str()).collect()
    }

    #[test]
    fn payload_within_budget_is_untouched() {
        let value = json!({"a": [1, 2, 3]});
        let exact = serde_json::to_string(&value).map_or(0, |text| text.len());
        let (bounded, tally) = trim(value.clone(), exact);
        assert_eq!(bounded, value);
        assert!(tally.segments.is_empty());
    }

    #[test]
    fn object_members_are_first_fit() {
        // {"a":"xxxxxxxxxx"} is 18 bytes; {"a":"xxxxxxxxxx","c":1} is 24.
        let value = json!({"a": "xxxxxxxxxx", "b": "yyyyyyyyyyyyyyyyyyyy", "c": 1});
        let (bounded, tally) = trim(value, 24);
        assert_eq!(bounded, json!({"a": "xxxxxxxxxx", "c": 1}));
        assert_eq!(pointers(&tally), ["/b"]);
        assert_eq!(tally.omitted_values, 1);
        assert_eq!(tally.omitted_items, 0);
        assert_eq!(
            tally.segments[0].reason,
            ToolResultOmissionReason::TotalBytes
        );
    }

    #[test]
    fn array_elements_count_as_items_and_keep_original_indexes() {
        let (bounded, tally) = trim(json!([1, 22222, 3, 44444, 5]), 7);
        assert_eq!(bounded, json!([1, 3, 5]));
        assert_eq!(pointers(&tally), ["/1", "/3"]);
        assert_eq!(tally.omitted_items, 2);
        assert_eq!(tally.omitted_values, 0);
    }

    #[test]
    fn keys_are_escaped_in_pointers() {
        let (bounded, tally) = trim(json!({"x/y": "too long for budget"}), 10);
        assert_eq!(bounded, json!({}));
        assert_eq!(pointers(&tally), ["/x~1y"]);
    }

    #[test]
    fn root_string_keeps_every_character_that_fits() {
        // Budget 6 leaves 4 bytes inside the quotes: "ab" fits, the 3-byte
        // '€' would not fit after them, but 'c' and 'd' each still do.
        let (bounded, tally) = trim(json!("ab€cd"), 6);
        assert_eq!(bounded, json!("abcd"));
        assert_eq!(tally.omitted_chars, 1);
        assert_eq!(pointers(&tally), [""]);
    }

    #[test]
    fn empty_string_over_a_tiny_budget_records_nothing() {
        let (bounded, tally) = trim(json!(""), 1);
        assert_eq!(bounded, json!(""));
        assert!(tally.segments.is_empty());
        assert_eq!(tally.omitted_values, 0);
    }

    #[test]
    fn oversized_scalar_is_reported_but_kept() {
        let (bounded, tally) = trim(json!(123_456_789), 3);
        assert_eq!(bounded, json!(123_456_789));
        assert_eq!(tally.omitted_values, 1);
        assert_eq!(pointers(&tally), [""]);
    }

    #[test]
    fn nested_members_are_dropped_whole() {
        let (bounded, tally) = trim(json!({"big": {"inner": "0123456789"}, "s": 1}), 12);
        assert_eq!(bounded, json!({"s": 1}));
        assert_eq!(pointers(&tally), ["/big"]);
    }
}
