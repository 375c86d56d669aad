//! A single-pass reader for the JSON that tool calls usually contain.
//!
//! It builds the [`Value`] (or the call fields) straight from the bytes,
//! with the same strictness as the serde route in the parent module:
//! repeated keys, nesting at the serde recursion limit, control characters
//! in strings, malformed numbers and text after the value are all refused.
//! It never produces an error of its own: on anything it is not sure about
//! it answers `None` and the caller runs the serde route, which then
//! produces exactly the error (message and offset) it always did. So this
//! module only has to be right when it answers `Some`.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use super::{CallFields, CallItem, Part};
use crate::normalizer::limits::MAX_NESTING_DEPTH;

/// `text` as exactly one JSON value with only JSON whitespace around it,
/// or `None` when the serde route should decide.
pub(super) fn value(text: &str) -> Option<Value> {
    let mut reader = Reader::new(text);
    let value = reader.value()?;
    reader.finish()?;
    Some(value)
}

/// A call document as the fast reader returns it: like
/// [`CallDoc`](super::CallDoc), but
/// the single object stays unboxed (it is consumed right away, and one
/// allocation per call is measurable).
// The big variant is the common one and the value is never stored.
#[allow(clippy::large_enum_variant)]
pub(super) enum Doc {
    One(CallFields),
    Many(Vec<CallItem>),
}

/// `text` as a call object or an array of items (call objects or other
/// values), or `None` when the serde route should decide.
pub(super) fn call_doc(text: &str) -> Option<Doc> {
    let mut reader = Reader::new(text);
    reader.skip_ws();
    let doc = match reader.peek()? {
        b'{' => Doc::One(reader.fields()?),
        b'[' => Doc::Many(reader.call_items()?),
        // serde refuses a bare scalar here with its own wording.
        _ => return None,
    };
    reader.finish()?;
    Some(doc)
}

/// The value that starts `text`, and the index just past it; what follows
/// is left to the caller. `None` when the serde route should decide.
pub(super) fn value_prefix(text: &str) -> Option<(Value, usize)> {
    let mut reader = Reader::new(text);
    let value = reader.value()?;
    Some((value, reader.pos))
}

/// Read the call document (one object, or an array of objects) that
/// starts `text`, handing each call object's fields to `each` as soon as it
/// is read, with its index in the document. Returns the index just past the
/// document; `None` when the serde route should decide (an element that is
/// not an object included) or when `each` says stop.
pub(super) fn each_call_prefix(
    text: &str,
    mut each: impl FnMut(&mut CallFields, usize) -> Option<()>,
) -> Option<usize> {
    let mut reader = Reader::new(text);
    let mut read = |reader: &mut Reader<'_>, index| {
        let mut fields = CallFields::default();
        reader.fields_into(&mut fields)?;
        each(&mut fields, index)
    };
    match reader.peek()? {
        b'{' => read(&mut reader, 0)?,
        b'[' => {
            reader.enter()?;
            if !reader.closes_empty(b']') {
                let mut index = 0;
                loop {
                    reader.skip_ws();
                    if reader.peek()? != b'{' {
                        return None;
                    }
                    read(&mut reader, index)?;
                    index += 1;
                    if !reader.separator(b']')? {
                        break;
                    }
                }
            }
            reader.leave();
        }
        _ => return None,
    }
    Some(reader.pos)
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// Containers currently open.
    depth: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// Skip the four bytes JSON calls whitespace (not form feed or
    /// Unicode spaces, which serde refuses).
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Next non-whitespace byte, consumed.
    fn next_token(&mut self) -> Option<u8> {
        self.skip_ws();
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    /// Only whitespace may follow the value.
    fn finish(&mut self) -> Option<()> {
        self.skip_ws();
        (self.pos == self.text.len()).then_some(())
    }

    /// Open a container; serde's limit refuses the `MAX_NESTING_DEPTH`th
    /// level, so this does too.
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.pos += 1;
        (self.depth < MAX_NESTING_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array().map(Value::Array),
            b'"' => self.string().map(|s| Value::String(s.into_owned())),
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Option<Value> {
        let rest = self.bytes().get(self.pos..)?;
        if !rest.starts_with(word.as_bytes()) {
            return None;
        }
        self.pos += word.len();
        Some(value)
    }

    /// After an element: `true` at `,`, `false` at the closing `close`.
    fn separator(&mut self, close: u8) -> Option<bool> {
        match self.next_token()? {
            b',' => Some(true),
            b if b == close => Some(false),
            _ => None,
        }
    }

    /// `true` (consumed) when the container closes right away.
    fn closes_empty(&mut self, close: u8) -> bool {
        self.skip_ws();
        let empty = self.peek() == Some(close);
        if empty {
            self.pos += 1;
        }
        empty
    }

    fn array(&mut self) -> Option<Vec<Value>> {
        self.enter()?;
        let mut items = Vec::new();
        if !self.closes_empty(b']') {
            loop {
                items.push(self.value()?);
                if !self.separator(b']')? {
                    break;
                }
            }
        }
        self.leave();
        Some(items)
    }

    /// `"key":` with the reader left before the value.
    fn key(&mut self) -> Option<Cow<'a, str>> {
        self.skip_ws();
        if self.peek()? != b'"' {
            return None;
        }
        let key = self.string()?;
        (self.next_token()? == b':').then_some(key)
    }

    fn object(&mut self) -> Option<Value> {
        self.enter()?;
        let mut map = Map::new();
        if !self.closes_empty(b'}') {
            loop {
                let key = self.key()?;
                let value = self.value()?;
                match map.entry(key.into_owned()) {
                    serde_json::map::Entry::Vacant(slot) => {
                        slot.insert(value);
                    }
                    // serde reports the repeat with its location.
                    serde_json::map::Entry::Occupied(_) => return None,
                }
                if !self.separator(b'}')? {
                    break;
                }
            }
        }
        self.leave();
        Some(Value::Object(map))
    }

    /// The items of a top-level array of calls: objects are read as call
    /// fields, anything else is checked and dropped.
    fn call_items(&mut self) -> Option<Vec<CallItem>> {
        self.enter()?;
        let mut items = Vec::new();
        if !self.closes_empty(b']') {
            loop {
                self.skip_ws();
                let item = if self.peek()? == b'{' {
                    CallItem::Call(Box::new(self.fields()?))
                } else {
                    self.value()?;
                    CallItem::NotAnObject
                };
                items.push(item);
                if !self.separator(b']')? {
                    break;
                }
            }
        }
        self.leave();
        Some(items)
    }

    /// A call object read into its recognised fields, with the reader at
    /// its `{`. Every key may appear once, as in any strict object.
    fn fields(&mut self) -> Option<CallFields> {
        let mut fields = CallFields::default();
        self.fields_into(&mut fields)?;
        Some(fields)
    }

    /// [`fields`](Self::fields) into a record the caller owns (the record
    /// is big enough that moving it around shows).
    fn fields_into(&mut self, fields: &mut CallFields) -> Option<()> {
        self.enter()?;
        if !self.closes_empty(b'}') {
            let mut first = true;
            loop {
                let key = self.key()?;
                fields.note_key(&key, matches!(key, Cow::Owned(_)), first);
                first = false;
                self.field(fields, key)?;
                if !self.separator(b'}')? {
                    break;
                }
            }
        }
        self.leave();
        Some(())
    }

    /// Read the value of `key` into its place in `fields`.
    fn field(&mut self, fields: &mut CallFields, key: Cow<'a, str>) -> Option<()> {
        let key = key.as_ref();
        if let Some(part) = Part::of(key) {
            // serde reports a repeat with its location.
            if !fields.first_time(part) {
                return None;
            }
            let value = self.value()?;
            fields.offer(part, value);
            return Some(());
        }
        if fields.others.iter().any(|k| k == key)
            || (key == "function" && fields.function.is_some())
        {
            return None;
        }
        self.skip_ws();
        if key == "function" && self.peek()? == b'{' {
            fields.function = Some(Box::new(self.fields()?));
        } else {
            self.value()?;
            fields.others.push(key.to_owned());
        }
        Some(())
    }

    /// A string with the reader at its opening quote; borrowed unless it
    /// has escapes.
    #[inline]
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let bytes = self.bytes();
        let start = self.pos + 1;
        let at = start + plain_run(bytes.get(start..)?);
        match *bytes.get(at)? {
            b'"' => {
                self.pos = at + 1;
                self.text.get(start..at).map(Cow::Borrowed)
            }
            b'\\' => self.escaped(start, at).map(Cow::Owned),
            // serde refuses raw control characters in strings.
            _ => None,
        }
    }

    /// The rest of a string from its first backslash at `at`.
    #[cold]
    fn escaped(&mut self, start: usize, mut at: usize) -> Option<String> {
        let bytes = self.bytes();
        // Decoding only shrinks text, so the literal's length bounds the
        // string's; sizing once avoids regrowing long file contents.
        let end = super::string_end(bytes, start - 1)?;
        let mut out = String::with_capacity(end - start);
        out.push_str(self.text.get(start..at)?);
        loop {
            match *bytes.get(at)? {
                b'"' => {
                    self.pos = at + 1;
                    return Some(out);
                }
                b'\\' => {
                    let (c, len) = unescape(bytes.get(at + 1..)?)?;
                    out.push(c);
                    at += 1 + len;
                }
                b if b < 0x20 => return None,
                _ => {
                    let run = at;
                    at += plain_run(bytes.get(at..)?);
                    out.push_str(self.text.get(run..at)?);
                }
            }
        }
    }

    /// A number: plain integers are converted here; fractions, exponents,
    /// `-0` and integers beyond 64 bits go through serde's own number
    /// parser, so floats round exactly as on the serde route.
    fn number(&mut self) -> Option<Value> {
        let bytes = self.bytes();
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        let digits = start + usize::from(negative);
        let mut at = digits;
        let mut magnitude = Some(0u64);
        while let Some(&d @ b'0'..=b'9') = bytes.get(at) {
            magnitude = magnitude
                .and_then(|m| m.checked_mul(10))
                .and_then(|m| m.checked_add(u64::from(d - b'0')));
            at += 1;
        }
        let count = at - digits;
        if count == 0 || (count > 1 && bytes.get(digits) == Some(&b'0')) {
            return None;
        }
        let plain = !matches!(bytes.get(at), Some(b'.' | b'e' | b'E'));
        if plain {
            let int = match (negative, magnitude) {
                (false, Some(m)) => Some(Value::from(m)),
                (true, Some(m)) if m != 0 => 0i64.checked_sub_unsigned(m).map(Value::from),
                _ => None,
            };
            if let Some(int) = int {
                self.pos = at;
                return Some(int);
            }
        }
        while bytes
            .get(at)
            .is_some_and(|b| matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            at += 1;
        }
        let number: Number = self.text.get(start..at)?.parse().ok()?;
        self.pos = at;
        Some(Value::Number(number))
    }
}

/// Bytes that end a run of plain string content: quote, backslash and
/// the control characters JSON forbids inside strings.
// Built at compile time, where an out-of-bounds index is a build error.
#[allow(clippy::indexing_slicing)]
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Length of the leading run of `bytes` that needs no attention inside a
/// string (all of it when nothing stops the run).
fn plain_run(bytes: &[u8]) -> usize {
    let stops = |b: &u8| STRING_STOP.get(usize::from(*b)).copied().unwrap_or(true);
    // Keys and most values are short: look at their bytes one by one.
    let head = bytes.get(..SHORT_RUN).unwrap_or(bytes);
    if let Some(at) = head.iter().position(stops) {
        return at;
    }
    // Longer contents go eight bytes at a time while none can stop the run.
    let mut skipped = head.len();
    let rest = bytes.get(skipped..).unwrap_or_default();
    for word in rest.chunks_exact(8) {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        if may_stop(u64::from_le_bytes(word)) {
            break;
        }
        skipped += 8;
    }
    let rest = bytes.get(skipped..).unwrap_or_default();
    skipped + rest.iter().position(stops).unwrap_or(rest.len())
}

/// How many bytes [`plain_run`] checks one by one before going by words.
const SHORT_RUN: usize = 16;

/// Whether any byte of `word` is a quote, a backslash or below 0x20
/// (exact as a yes/no answer; the caller then looks byte by byte).
fn may_stop(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
    below_space
        || has_zero(word ^ (ONES * u64::from(b'"')))
        || has_zero(word ^ (ONES * u64::from(b'\\')))
}

/// The character of the escape whose letter starts `rest` (just after
/// the backslash) and how many bytes the escape takes after the
/// backslash. Lone or mismatched surrogates are left to serde.
fn unescape(rest: &[u8]) -> Option<(char, usize)> {
    let c = match *rest.first()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = hex4(rest.get(1..5)?)?;
            if !(0xD800..0xDC00).contains(&unit) {
                // Non-surrogates decode; a lone low surrogate fails here.
                return char::from_u32(unit).map(|c| (c, 5));
            }
            if rest.get(5..7)? != b"\\u" {
                return None;
            }
            let low = hex4(rest.get(7..11)?)?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?;
            return Some((c, 11));
        }
        _ => return None,
    };
    Some((c, 1))
}

/// Four hex digits (either case) as a number.
fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        char::from(d).to_digit(16).map(|v| acc * 16 + v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The serde route's value for `text`, or `None` when it errors.
    fn serde_value(text: &str) -> Option<Value> {
        super::super::parse_one::<super::super::Strict>(text, "t", "arguments", "f")
            .ok()
            .map(|super::super::Strict(v)| v)
    }

    /// Where the fast reader answers, it answers like serde.
    fn agrees(text: &str) -> Option<Value> {
        let fast = value(text);
        if let Some(fast) = &fast {
            let slow = serde_value(text);
            assert_eq!(Some(fast), slow.as_ref(), "{text:?}");
            // `Value` equality treats 0.0 and -0.0 alike; the bits must match too.
            assert_eq!(
                fast.to_string(),
                slow.map(|v| v.to_string()).unwrap_or_default()
            );
        }
        fast
    }

    #[test]
    fn reads_the_common_shapes() {
        let text = " {\"a\": [1, -2, 3.5, true, false, null, \"x\"], \"b\": {}, \"c\": []}\n";
        assert_eq!(
            agrees(text),
            Some(json!({"a": [1, -2, 3.5, true, false, null, "x"], "b": {}, "c": []}))
        );
        assert_eq!(agrees("\"東京 🙂\""), Some(json!("東京 🙂")));
        assert_eq!(
            agrees(r#""a\"b\\c\/d\n\t\u00e9\ud83d\ude42""#),
            Some(json!("a\"b\\c/d\n\té🙂"))
        );
    }

    #[test]
    fn plain_runs_stop_at_every_special_byte() {
        for special in (0u8..0x20).chain([b'"', b'\\']) {
            for len in 0..40 {
                for at in 0..=len {
                    let mut bytes = vec![b'a'; len];
                    bytes.insert(at, special);
                    bytes.extend_from_slice("é~\x7f".as_bytes());
                    assert_eq!(plain_run(&bytes), at, "{special} {len} {at}");
                }
                let plain = "é🙂x~\u{7f} ".repeat(len);
                assert_eq!(plain_run(plain.as_bytes()), plain.len());
            }
        }
    }

    #[test]
    fn numbers_at_the_edges_match_serde() {
        for text in [
            "0",
            "-0",
            "-0.0",
            "1",
            "-1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551616",
            "1e5",
            "1E+5",
            "1e-5",
            "2.5e-3",
            "1.7976931348623157e308",
            "5e-324",
            "0.1",
            "123456789012345678901234567890",
            "3.141592653589793238462643383279",
            "1e-400",
        ] {
            assert!(agrees(text).is_some(), "{text}");
        }
    }

    #[test]
    fn bails_on_anything_unusual() {
        for text in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\":1}{\"a\":1}",
            "{\"a\":1} x",
            "{\"a\":1,\"a\":2}",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "1e400",
            "-1e400",
            "tru",
            "nul",
            "True",
            "\"a\u{1}b\"",
            "\"a\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"\\u12g4\"",
            "\"\\u+123\"",
            "\u{a0}1",
            "1\u{c}",
            "{'a': 1}",
            "[1 2]",
            "{\"a\" 1}",
            "\"open",
        ] {
            assert_eq!(agrees(text), None, "{text:?}");
        }
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(agrees(&deep(MAX_NESTING_DEPTH - 1)).is_some());
        assert_eq!(agrees(&deep(MAX_NESTING_DEPTH)), None);
        assert!(serde_value(&deep(MAX_NESTING_DEPTH)).is_none());
        assert!(serde_value(&deep(MAX_NESTING_DEPTH - 1)).is_some());
    }

    #[test]
    fn call_docs_bail_where_serde_decides() {
        for text in [
            "3",
            "\"x\"",
            r#"{"name": "f", "name": "g"}"#,
            r#"{"function": {"name": "f"}, "function": 1}"#,
            r#"{"function": 1, "function": {"name": "f"}}"#,
            r#"{"x": 1, "x": 1}"#,
            r#"[{"name": "f"}, {"a": [1, {"b": 1, "b": 2}]}]"#,
            r#"{"name": "f"} {"name": "g"}"#,
        ] {
            assert!(call_doc(text).is_none(), "{text}");
        }
        assert!(call_doc(r#"[{"name": "f"}, 3, {"function": {"name": "g"}}]"#).is_some());
    }

    /// Random JSON values, including keys that may repeat.
    fn json_value() -> impl Strategy<Value = Value> {
        let scalar = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1)].prop_map(Value::from),
            Just(Value::from(u64::MAX)),
            ".*".prop_map(Value::String),
            "[a-c\"\\\\/\u{0}-\u{1f}é🙂]{0,6}".prop_map(Value::String),
        ];
        scalar.prop_recursive(6, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-d]{0,2}|.{0,4}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Literal spellings serde reads but never writes.
    fn number_literal() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just(""), Just("-")],
            "(0|[1-9][0-9]{0,25})",
            prop_oneof![Just(String::new()), "\\.[0-9]{1,20}"],
            prop_oneof![Just(String::new()), "[eE][+-]?[0-9]{1,3}"],
        )
            .prop_map(|(sign, int, frac, exp)| format!("{sign}{int}{frac}{exp}"))
    }

    /// Every report from a call document: result, calls and warnings.
    fn reports(doc: super::super::CallDoc) -> String {
        let mut cx = crate::normalizer::format::ParseCx::detached(None);
        let result = super::super::report_doc(doc, 0, "t", &mut cx);
        format!("{result:?} {:?} {:?}", cx.calls(), cx.warnings())
    }

    /// Call-like objects whose keys may repeat, written out by hand.
    fn call_object(depth: u32) -> BoxedStrategy<String> {
        let key = prop::sample::select(vec![
            "name",
            "tool_name",
            "arguments",
            "parameters",
            "input",
            "args",
            "id",
            "tool_call_id",
            "call_id",
            "function",
            "type",
            "x",
        ]);
        let leaf = prop_oneof![
            json_value().prop_map(|v| v.to_string()),
            Just("\"readread\"".to_owned()),
            Just("\"get_weather\"".to_owned()),
            Just("\"{\\\"a\\\": 1}\"".to_owned()),
            Just("7".to_owned()),
        ];
        let value = if depth == 0 {
            leaf.boxed()
        } else {
            prop_oneof![3 => leaf, 1 => call_object(depth - 1)].boxed()
        };
        prop::collection::vec((key, value), 0..6)
            .prop_map(|entries| {
                let body: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect();
                format!("{{{}}}", body.join(", "))
            })
            .boxed()
    }

    fn call_text() -> impl Strategy<Value = String> {
        prop_oneof![
            call_object(2),
            prop::collection::vec(
                prop_oneof![3 => call_object(2), 1 => json_value().prop_map(|v| v.to_string())],
                0..4,
            )
            .prop_map(|items| format!("[{}]", items.join(", "))),
        ]
    }

    proptest! {
        #[test]
        fn fast_values_equal_serde_values(value in json_value(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                value.to_string()
            };
            prop_assert!(agrees(&text).is_some(), "{}", text);
        }

        #[test]
        fn spliced_text_agrees_with_serde(
            value in json_value(),
            cut in any::<prop::sample::Index>(),
            insert in prop_oneof![
                Just(","), Just("\"a\":1,"), Just("\\u00e9"), Just("\\ud83d"), Just("\\"),
                Just(" "), Just("}"), Just("]"), Just("[{"), Just("1e999"), Just("-0"),
            ],
        ) {
            let mut text = value.to_string();
            let mut at = cut.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, insert);
            agrees(&text);
        }

        #[test]
        fn number_literals_agree_with_serde(literal in number_literal()) {
            agrees(&literal);
            agrees(&format!("[{literal}]"));
        }

        #[test]
        fn duplicate_keys_always_bail(key in ".{0,5}", a in json_value(), b in json_value()) {
            let text = format!(
                "{{{k}: {a}, {k}: {b}}}",
                k = Value::String(key.clone()),
            );
            prop_assert_eq!(value(&text), None);
        }

        #[test]
        fn call_docs_report_like_serde(text in call_text()) {
            if let Some(fast) = call_doc(&text) {
                let fast = match fast {
                    Doc::One(fields) => super::super::CallDoc::One(Box::new(fields)),
                    Doc::Many(items) => super::super::CallDoc::Many(items),
                };
                let slow = super::super::parse_one::<super::super::CallDoc>(
                    &text, "t", "tool call", "",
                );
                prop_assert!(slow.is_ok(), "{}", text);
                if let Ok(slow) = slow {
                    prop_assert_eq!(reports(fast), reports(slow), "{}", text);
                }
            }
        }

        #[test]
        fn deep_nesting_agrees_with_serde(depth in 100usize..140, object in any::<bool>()) {
            let (open, close) = if object { ("{\"k\":", "}") } else { ("[", "]") };
            let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            let fast = agrees(&text);
            prop_assert_eq!(fast.is_some(), depth < MAX_NESTING_DEPTH);
        }
    }
}
