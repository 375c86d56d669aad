//! First bounding pass: redaction plus the per-string and per-array limits.
//!
//! The pass walks the payload depth-first, in document order, with an
//! explicit heap stack instead of recursion, so arbitrarily deep values are
//! handled in constant native stack space. While walking it also measures
//! the compact JSON length of every bounded container, so the byte-budget
//! pass never has to serialize anything.

use std::fmt::Write as _;
use std::iter::Enumerate;
use std::slice;

use serde_json::{Value, map};

use super::config::ToolResultEnvelopeConfig;
use super::discard::Discard;
use super::measure::{self, ContainerLen};
use super::omission::{Tally, ToolResultOmissionReason};

/// Encoded sizes of the payload after the first pass.
#[derive(Debug, Default)]
pub(super) struct Layout {
    /// Compact JSON length of the whole payload.
    pub(super) total: usize,
    /// For a top-level array or object: the encoded length of each member
    /// in iteration order (object members include their `"key":` prefix).
    pub(super) members: Vec<usize>,
}

/// Children of one container still to be visited.
enum Members<'a> {
    Items(Enumerate<slice::IterMut<'a, Value>>),
    Fields(map::IterMut<'a>),
}

/// How a child is addressed inside its parent.
enum Step<'a> {
    Index(usize),
    Key(&'a str),
}

impl<'a> Members<'a> {
    fn next_member(&mut self) -> Option<(Step<'a>, &'a mut Value)> {
        match self {
            Self::Items(items) => items.next().map(|(index, item)| (Step::Index(index), item)),
            Self::Fields(fields) => fields
                .next()
                .map(|(key, value)| (Step::Key(key.as_str()), value)),
        }
    }
}

/// A container whose members are being visited.
struct OpenContainer<'a> {
    members: Members<'a>,
    /// Length of the container's own pointer in the shared pointer buffer.
    pointer_len: usize,
    /// Encoded length of the members visited so far.
    encoded: ContainerLen,
    /// Bytes of `"key":` in front of this container inside its parent.
    key_prefix: usize,
}

/// Outcome of bounding a single value before looking at its children.
enum Visited<'a> {
    /// A scalar (or a replaced value) of the given encoded length.
    Leaf(usize),
    /// A container whose members still have to be visited.
    Container(Members<'a>),
}

/// Append `/key`, escaped per RFC 6901, to `pointer`.
pub(super) fn push_key(pointer: &mut String, key: &str) {
    pointer.push('/');
    if !key.contains(['~', '/']) {
        pointer.push_str(key);
        return;
    }
    for character in key.chars() {
        match character {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            other => pointer.push(other),
        }
    }
}

/// Append `/index` to `pointer`.
pub(super) fn push_index(pointer: &mut String, index: usize) {
    // Writing into a String cannot fail.
    let _ = write!(pointer, "/{index}");
}

/// Apply redaction and the string/array limits to `root` in place and
/// measure the result.
pub(super) fn apply_value_limits(
    root: &mut Value,
    config: &ToolResultEnvelopeConfig,
    tally: &mut Tally,
    discard: &mut Discard,
) -> Layout {
    let mut pointer = String::new();
    let root_members = match visit(root, &pointer, config, tally, discard) {
        Visited::Leaf(total) => {
            return Layout {
                total,
                members: Vec::new(),
            };
        }
        Visited::Container(members) => members,
    };

    let mut top_level = Vec::new();
    let mut stack = vec![OpenContainer {
        members: root_members,
        pointer_len: 0,
        encoded: ContainerLen::empty(),
        key_prefix: 0,
    }];

    loop {
        let at_top_level = stack.len() == 1;
        let Some(open) = stack.last_mut() else { break };
        let Some((step, child)) = open.members.next_member() else {
            // Every member of `open` is done: fold its size into its parent.
            let Some(done) = stack.pop() else { break };
            let member = done.key_prefix.saturating_add(done.encoded.bytes());
            match stack.last_mut() {
                Some(parent) => {
                    parent.encoded.push(member);
                    if stack.len() == 1 {
                        top_level.push(member);
                    }
                }
                None => {
                    return Layout {
                        total: done.encoded.bytes(),
                        members: top_level,
                    };
                }
            }
            continue;
        };

        pointer.truncate(open.pointer_len);
        let key_prefix = match step {
            Step::Index(index) => {
                push_index(&mut pointer, index);
                0
            }
            Step::Key(key) => {
                push_key(&mut pointer, key);
                measure::key_prefix_len(key)
            }
        };

        match visit(child, &pointer, config, tally, discard) {
            Visited::Leaf(len) => {
                let member = key_prefix.saturating_add(len);
                open.encoded.push(member);
                if at_top_level {
                    top_level.push(member);
                }
            }
            Visited::Container(members) => stack.push(OpenContainer {
                members,
                pointer_len: pointer.len(),
                encoded: ContainerLen::empty(),
                key_prefix,
            }),
        }
    }
    // The loop only ends through the root container's `return`; this is a
    // defensive fallback that keeps the function total.
    Layout::default()
}

/// Bound `node` itself (not its descendants) and report what remains to do.
fn visit<'a>(
    node: &'a mut Value,
    pointer: &str,
    config: &ToolResultEnvelopeConfig,
    tally: &mut Tally,
    discard: &mut Discard,
) -> Visited<'a> {
    if let Some(replacement) = config
        .redaction
        .as_ref()
        .and_then(|policy| policy.replacement_for(pointer))
    {
        tally.add_redaction();
        let original = std::mem::replace(node, Value::String(replacement.to_owned()));
        discard.bury(original);
        return Visited::Leaf(measure::str_len(replacement));
    }

    match node {
        Value::Array(items) => {
            clamp_array(items, pointer, config.max_array_items, tally, discard);
            Visited::Container(Members::Items(items.iter_mut().enumerate()))
        }
        Value::Object(fields) => Visited::Container(Members::Fields(fields.iter_mut())),
        Value::String(text) => {
            clamp_string(text, pointer, config.max_string_chars, tally);
            Visited::Leaf(measure::str_len(text))
        }
        Value::Number(number) => Visited::Leaf(measure::number_len(number)),
        Value::Bool(false) => Visited::Leaf(measure::FALSE_LEN),
        Value::Bool(true) | Value::Null => Visited::Leaf(measure::NULL_OR_TRUE_LEN),
    }
}

/// Keep the first `limit` characters of `text`.
fn clamp_string(text: &mut String, pointer: &str, limit: usize, tally: &mut Tally) {
    // Every char takes at least one byte, so short strings need no counting.
    if text.len() <= limit {
        return;
    }
    let Some((cut, _)) = text.char_indices().nth(limit) else {
        return;
    };
    let dropped = text.get(cut..).map_or(0, |tail| tail.chars().count());
    tally.add_chars(dropped);
    tally.record(pointer, ToolResultOmissionReason::StringChars, limit);
    text.truncate(cut);
}

/// Keep the first `limit` elements of `items`.
fn clamp_array(
    items: &mut Vec<Value>,
    pointer: &str,
    limit: usize,
    tally: &mut Tally,
    discard: &mut Discard,
) {
    if items.len() <= limit {
        return;
    }
    tally.add_items(items.len() - limit);
    tally.record(pointer, ToolResultOmissionReason::ArrayItems, limit);
    discard.bury_all(items.drain(limit..));
}

#[cfg(test)]
mod tests {
    // First pass only: clamps, redaction, pointers and measured sizes.
    use super::*;
    use crate::tool::envelope::redaction::RedactionPolicy;
    use serde_json::json;

    fn run(mut value: Value, config: &ToolResultEnvelopeConfig) -> (Value, Layout, Tally) {
        let mut tally = Tally::default();
        let layout = apply_value_limits(&mut value, config, &mut tally, &mut Discard::default());
        (value, layout, tally)
    }

    fn encoded_len(value: &Value) -> usize {
        serde_json::to_string(value).map_or(usize::MAX, |text| text.len())
    }

    #[test]
    fn pointers_escape_tilde_and_slash() {
        let mut pointer = String::new();
        push_key(&mut pointer, "a/b~c");
        push_index(&mut pointer, 12);
        push_key(&mut pointer, "");
        assert_eq!(pointer, "/a~1b~0c/12/");
    }

    #[test]
    fn layout_matches_serialized_lengths() {
        let value = json!({
            "nested": {"list": [1, "two", null, [true, false]], "empty": {}},
            "text": "quote\" and \u{1}",
            "n": -1.25
        });
        let (bounded, layout, tally) = run(value.clone(), &ToolResultEnvelopeConfig::default());
        assert_eq!(bounded, value);
        assert!(tally.segments.is_empty());
        assert_eq!(layout.total, encoded_len(&value));
        let expected: Vec<usize> = value
            .as_object()
            .map(|fields| {
                fields
                    .iter()
                    .map(|(key, child)| encoded_len(&json!(key)) + 1 + encoded_len(child))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(layout.members, expected);
    }

    #[test]
    fn top_level_array_members_are_measured_individually() {
        let (_, layout, _) = run(
            json!([[], "ab", {"k": 1}]),
            &ToolResultEnvelopeConfig::default(),
        );
        assert_eq!(layout.members, vec![2, 4, 7]);
        assert_eq!(layout.total, encoded_len(&json!([[], "ab", {"k": 1}])));
    }

    #[test]
    fn scalar_root_has_no_members() {
        let (_, layout, _) = run(json!("hello"), &ToolResultEnvelopeConfig::default());
        assert_eq!(layout.total, 7);
        assert!(layout.members.is_empty());
    }

    #[test]
    fn strings_are_cut_on_char_boundaries() {
        let (bounded, layout, tally) =
            run(json!(["héllo wörld"]), &ToolResultEnvelopeConfig::new(4));
        assert_eq!(bounded, json!(["héll"]));
        assert_eq!(tally.omitted_chars, 7);
        assert_eq!(layout.total, encoded_len(&bounded));
        let pointers: Vec<&str> = tally.segments.iter().map(|s| s.pointer.as_str()).collect();
        assert_eq!(pointers, ["/0"]);
    }

    #[test]
    fn arrays_are_recorded_before_their_members() {
        let config = ToolResultEnvelopeConfig::new(1).with_max_array_items(2);
        let (bounded, _, tally) = run(json!({"a/b": ["xy", "zw", "dropped"]}), &config);
        assert_eq!(bounded, json!({"a/b": ["x", "z"]}));
        let seen: Vec<(&str, ToolResultOmissionReason)> = tally
            .segments
            .iter()
            .map(|segment| (segment.pointer.as_str(), segment.reason))
            .collect();
        assert_eq!(
            seen,
            [
                ("/a~1b", ToolResultOmissionReason::ArrayItems),
                ("/a~1b/0", ToolResultOmissionReason::StringChars),
                ("/a~1b/1", ToolResultOmissionReason::StringChars),
            ]
        );
        assert_eq!(tally.omitted_items, 1);
        assert_eq!(tally.omitted_chars, 2);
    }

    #[test]
    fn redacted_values_are_not_descended_into_or_clamped() {
        let policy = RedactionPolicy::deny_pointers(["/secret"])
            .with_default_replacement("a replacement longer than the limit");
        let config = ToolResultEnvelopeConfig::new(2)
            .with_max_array_items(0)
            .with_redaction_policy(policy);
        let (bounded, layout, tally) = run(json!({"secret": ["x", "y"], "other": "abc"}), &config);
        assert_eq!(
            bounded,
            json!({"secret": "a replacement longer than the limit", "other": "ab"})
        );
        assert_eq!(tally.redacted_values, 1);
        assert_eq!(tally.omitted_items, 0);
        assert_eq!(layout.total, encoded_len(&bounded));
    }

    #[test]
    fn deep_nesting_does_not_use_the_native_stack() {
        const DEPTH: usize = 100_000;
        let outcome = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut value = json!("leaf-text");
                for _ in 0..DEPTH {
                    value = Value::Array(vec![value]);
                }
                let config = ToolResultEnvelopeConfig::new(4);
                let mut tally = Tally::default();
                let layout =
                    apply_value_limits(&mut value, &config, &mut tally, &mut Discard::default());
                let pointer_depth = tally
                    .segments
                    .first()
                    .map(|segment| segment.pointer.matches("/0").count());
                // Take the value apart by hand: its drop glue would recurse.
                let mut leaf = value;
                while let Value::Array(mut items) = leaf {
                    leaf = items.pop().unwrap_or(Value::Null);
                }
                (layout.total, pointer_depth, leaf)
            })
            .map(|thread| thread.join());
        let (total, pointer_depth, leaf) = outcome.ok().and_then(Result::ok).unwrap_or_default();
        assert_eq!(total, 2 * DEPTH + "\"leaf\"".len());
        assert_eq!(pointer_depth, Some(DEPTH));
        assert_eq!(leaf, json!("leaf"));
    }
}
