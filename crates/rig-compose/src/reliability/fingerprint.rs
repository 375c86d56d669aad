//! Content fingerprints of tool calls.
//!
//! # Canonical encoding
//!
//! A fingerprint hashes a byte stream that describes the call unambiguously:
//!
//! * the domain tag `rig-compose/tool-call/v1`, then the tool name as a
//!   string;
//! * the arguments, walked depth-first in pre-order. Every JSON node starts
//!   with a one-byte tag; strings carry their byte length, arrays and objects
//!   their element count, so no two different trees share a stream;
//! * object members in ascending byte order of their keys, whatever order
//!   the `serde_json::Map` iterates in (so the result does not depend on
//!   serde_json's `preserve_order` feature);
//! * numbers by value: unsigned and signed integers as 8 little-endian bytes,
//!   floats as their IEEE-754 bits with `-0.0` folded into `0.0` (the two
//!   compare equal as JSON values). Numbers that fit none of these, which
//!   only exist under serde_json's `arbitrary_precision` feature, are
//!   hashed as their decimal text.
//!
//! The stream is hashed with 64-bit FNV-1a and the result passed through the
//! SplitMix64 finalizer, a bijection that spreads FNV's weak low bits. Both
//! are fully specified, so a fingerprint is the same on every platform, in
//! every process and across builds of this version of the crate.
//!
//! The walk uses an explicit stack rather than recursion, so arbitrarily deep
//! arguments are fingerprinted without any depth limit or risk of stack
//! overflow; memory use is linear in the number of JSON nodes.

use std::fmt;

use serde_json::{Number, Value};

use crate::normalizer::ToolInvocation;

/// A 64-bit content hash identifying a tool call by its tool name and its
/// arguments.
///
/// Equal invocations (same name, JSON-equal arguments) always have equal
/// fingerprints, including when object keys were inserted in a different
/// order. Different invocations collide only with the probability of a
/// 64-bit hash collision.
///
/// # Stability
///
/// The value is 64-bit FNV-1a over a length-prefixed, key-sorted encoding
/// of the name and arguments, finished with the SplitMix64 mixer. Nothing in
/// it depends on the platform, the process or serde_json's `preserve_order`
/// feature, so fingerprints may be stored and compared between runs. They
/// are *not* the numbers the upstream `rig-compose` 0.5.0 crate produces.
/// Deeply nested arguments are walked without recursion, so there is no
/// depth limit.
///
/// ```
/// use rig_compose::ToolInvocation;
/// use serde_json::json;
///
/// let first = ToolInvocation::new("search", json!({"q": "rust", "page": 2})).unwrap();
/// let retry = ToolInvocation::new("search", json!({"page": 2, "q": "rust"})).unwrap();
/// let other = ToolInvocation::new("search", json!({"q": "rust", "page": 3})).unwrap();
///
/// assert_eq!(first.fingerprint(), retry.fingerprint());
/// assert_ne!(first.fingerprint(), other.fingerprint());
/// // Printed as 16 hex digits, handy for logs and trace keys.
/// assert_eq!(first.fingerprint().to_string().len(), 16);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ToolCallFingerprint(pub u64);

impl fmt::Display for ToolCallFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl ToolInvocation {
    /// The [`ToolCallFingerprint`] of this call: a deterministic hash of the
    /// tool name and the canonical form of the arguments.
    ///
    /// Use it as a map key to group retries of one logical call, or to
    /// notice a model that keeps issuing the same call.
    pub fn fingerprint(&self) -> ToolCallFingerprint {
        ToolCallFingerprint(fingerprint_call(&self.name, &self.args))
    }
}

/// Version tag mixed in first, so a future change of encoding cannot be
/// mistaken for the current one.
const DOMAIN: &[u8] = b"rig-compose/tool-call/v1";

/// One-byte node tags of the canonical encoding.
mod tag {
    pub(super) const NULL: u8 = 0;
    pub(super) const FALSE: u8 = 1;
    pub(super) const TRUE: u8 = 2;
    pub(super) const UNSIGNED: u8 = 3;
    pub(super) const SIGNED: u8 = 4;
    pub(super) const FLOAT: u8 = 5;
    pub(super) const NUMBER_TEXT: u8 = 6;
    pub(super) const STRING: u8 = 7;
    pub(super) const ARRAY: u8 = 8;
    pub(super) const OBJECT: u8 = 9;
}

/// Hash `name` and `args` with the canonical encoding described in the
/// module docs.
fn fingerprint_call(name: &str, args: &Value) -> u64 {
    let mut hasher = Fnv1a::new();
    hasher.write(DOMAIN);
    hasher.write_str(name);
    write_value(&mut hasher, args);
    hasher.finish()
}

/// Work left to do in the iterative walk.
enum Pending<'a> {
    Node(&'a Value),
    Key(&'a str),
}

fn write_value(hasher: &mut Fnv1a, root: &Value) {
    let mut stack = vec![Pending::Node(root)];
    while let Some(item) = stack.pop() {
        let node = match item {
            Pending::Key(key) => {
                hasher.write_str(key);
                continue;
            }
            Pending::Node(node) => node,
        };
        match node {
            Value::Null => hasher.write(&[tag::NULL]),
            Value::Bool(false) => hasher.write(&[tag::FALSE]),
            Value::Bool(true) => hasher.write(&[tag::TRUE]),
            Value::Number(number) => write_number(hasher, number),
            Value::String(text) => {
                hasher.write(&[tag::STRING]);
                hasher.write_str(text);
            }
            Value::Array(items) => {
                hasher.write(&[tag::ARRAY]);
                hasher.write_len(items.len());
                // Reversed so the stack pops them in document order.
                stack.extend(items.iter().rev().map(Pending::Node));
            }
            Value::Object(map) => {
                hasher.write(&[tag::OBJECT]);
                hasher.write_len(map.len());
                for (key, value) in sorted_members(map).into_iter().rev() {
                    stack.push(Pending::Node(value));
                    stack.push(Pending::Key(key));
                }
            }
        }
    }
}

/// Object members in ascending key order. Keys of a map are unique, so this
/// order is total and independent of insertion order.
fn sorted_members<'a>(
    members: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> Vec<(&'a str, &'a Value)> {
    let mut members: Vec<(&str, &Value)> =
        members.into_iter().map(|(k, v)| (k.as_str(), v)).collect();
    // Already sorted unless `preserve_order` is on; the stable sort detects
    // that in linear time.
    members.sort_by(|a, b| a.0.cmp(b.0));
    members
}

fn write_number(hasher: &mut Fnv1a, number: &Number) {
    if let Some(unsigned) = number.as_u64() {
        hasher.write(&[tag::UNSIGNED]);
        hasher.write(&unsigned.to_le_bytes());
    } else if let Some(signed) = number.as_i64() {
        hasher.write(&[tag::SIGNED]);
        hasher.write(&signed.to_le_bytes());
    } else if let Some(float) = number.as_f64().filter(|f| f.is_finite()) {
        // serde_json considers 0.0 and -0.0 equal; so must the fingerprint.
        let float = if float == 0.0 { 0.0 } else { float };
        hasher.write(&[tag::FLOAT]);
        hasher.write(&float.to_bits().to_le_bytes());
    } else {
        let text = number.to_string();
        hasher.write(&[tag::NUMBER_TEXT]);
        hasher.write_str(&text);
    }
}

/// 64-bit FNV-1a with a SplitMix64 finalizer.
struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        Self(Self::OFFSET_BASIS)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    /// Lengths are hashed as u64 so 32- and 64-bit targets agree.
    fn write_len(&mut self, len: usize) {
        self.write(&(len as u64).to_le_bytes());
    }

    /// Length-prefixed, so adjacent strings cannot run into each other.
    fn write_str(&mut self, text: &str) {
        self.write_len(text.len());
        self.write(text.as_bytes());
    }

    /// The raw FNV-1a state, before finalization.
    #[cfg(test)]
    fn state(&self) -> u64 {
        self.0
    }

    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn fp(name: &str, args: Value) -> ToolCallFingerprint {
        ToolInvocation::new(name, args).unwrap().fingerprint()
    }

    /// Unwrap a deep single-child chain without recursion: serde_json's own
    /// `Drop` for `Value` recurses and would overflow a test thread's stack.
    fn dismantle(mut value: Value) {
        loop {
            value = match value {
                Value::Array(mut items) => match items.pop() {
                    Some(inner) => inner,
                    None => return,
                },
                Value::Object(mut map) => match map.keys().next().cloned() {
                    Some(key) => map.remove(&key).unwrap_or(Value::Null),
                    None => return,
                },
                _ => return,
            };
        }
    }

    #[test]
    fn fnv1a_core_matches_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        let mut empty = Fnv1a::new();
        empty.write(b"");
        assert_eq!(empty.state(), 0xcbf2_9ce4_8422_2325);
        let mut a = Fnv1a::new();
        a.write(b"a");
        assert_eq!(a.state(), 0xaf63_dc4c_8601_ec8c);
        let mut foobar = Fnv1a::new();
        foobar.write(b"foobar");
        assert_eq!(foobar.state(), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn fingerprint_value_is_pinned() {
        // Guards the cross-process/cross-platform promise: any change to the
        // encoding or hash shows up here and needs a new DOMAIN version.
        let first = fp(
            "search",
            json!({"q": "rig", "limit": 5, "tags": [1, -2, 0.5, null, true]}),
        );
        assert_eq!(first, ToolCallFingerprint(PINNED));
        assert_eq!(first.to_string(), format!("{PINNED:016x}"));
    }

    /// Cross-checked against an independent Python rendering of the
    /// encoding described in the module docs.
    const PINNED: u64 = 8_542_608_474_050_238_278;

    #[test]
    fn key_order_does_not_matter() {
        assert_eq!(
            fp("t", json!({"a": 1, "b": {"x": [1, 2], "y": null}})),
            fp("t", json!({"b": {"y": null, "x": [1, 2]}, "a": 1}))
        );
    }

    #[test]
    fn members_are_sorted_whatever_the_iteration_order() {
        let map = json!({"b": 1, "a": 2, "c": 3});
        let Value::Object(map) = map else {
            unreachable!()
        };
        // Feed the members backwards, as an insertion-ordered map might.
        let keys: Vec<&str> = sorted_members(map.iter().rev())
            .iter()
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }

    #[test]
    fn name_and_args_are_both_significant() {
        let base = fp("search", json!({"q": "rig"}));
        assert_ne!(base, fp("lookup", json!({"q": "rig"})));
        assert_ne!(base, fp("search", json!({"q": "tokio"})));
        assert_ne!(base, fp("search", json!({"query": "rig"})));
    }

    #[test]
    fn structurally_close_values_differ() {
        let cases = [
            json!(null),
            json!(false),
            json!(true),
            json!(0),
            json!(-1),
            json!(1),
            json!(1.0),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(""),
            json!("0"),
            json!("null"),
            json!([]),
            json!([null]),
            json!([[]]),
            json!({}),
            json!({"": null}),
            json!({"a": "b"}),
            json!({"ab": ""}),
            json!(["a", "b"]),
            json!(["ab"]),
            json!([{"a": 1}, {"b": 2}]),
            json!([{"a": 1, "b": 2}]),
        ];
        let mut seen = std::collections::HashMap::new();
        for case in cases {
            let f = fp("t", case.clone());
            if let Some(prev) = seen.insert(f, case.clone()) {
                panic!("{prev} and {case} share fingerprint {f}");
            }
        }
    }

    #[test]
    fn name_boundary_is_unambiguous() {
        // Without length prefixes "ab" + "c" and "a" + "bc" could meet.
        assert_ne!(fp("ab", json!("c")), fp("a", json!("bc")));
    }

    #[test]
    fn negative_zero_matches_zero_like_json_equality() {
        assert_eq!(json!(-0.0), json!(0.0));
        assert_eq!(fp("t", json!({"x": -0.0})), fp("t", json!({"x": 0.0})));
        assert_ne!(fp("t", json!({"x": 0.0})), fp("t", json!({"x": 0})));
    }

    #[test]
    fn very_deep_arguments_do_not_overflow() {
        const DEPTH: usize = 200_000;
        let mut arrays = Value::from("leaf");
        let mut objects = Value::from("leaf");
        for _ in 0..DEPTH {
            arrays = Value::Array(vec![arrays]);
            let mut map = Map::new();
            map.insert("k".into(), objects);
            objects = Value::Object(map);
        }
        let inv_arrays = ToolInvocation::new("deep", arrays).unwrap();
        let inv_objects = ToolInvocation::new("deep", objects).unwrap();
        let a = inv_arrays.fingerprint();
        assert_eq!(a, inv_arrays.fingerprint());
        assert_ne!(a, inv_objects.fingerprint());
        dismantle(inv_arrays.args);
        dismantle(inv_objects.args);
    }

    #[test]
    fn wide_arguments_are_handled() {
        let many: Vec<Value> = (0..50_000).map(Value::from).collect();
        let mut reversed = many.clone();
        reversed.reverse();
        assert_ne!(fp("t", Value::Array(many)), fp("t", Value::Array(reversed)));
    }
}
