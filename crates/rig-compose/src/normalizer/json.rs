//! JSON pieces shared by the JSON-speaking formats: finding where a value
//! ends without parsing it, strict parsing (duplicate keys and
//! back-to-back values are errors, with byte offsets), and reading a call
//! object whichever key names its parts.
//!
//! Object boundaries are found by balanced scanning that skips strings, so
//! `}` or a closing tag inside a string argument never ends a call.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::ToolInvocation;
use super::error::NormalizeError;
use super::format::{NormalizeWarning, ParseCx};
use super::limits::MAX_NESTING_DEPTH;

mod fast;

/// Where a JSON value that starts at some position ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonEnd {
    /// The value ends just before this byte index.
    Complete(usize),
    /// The text ends inside the value.
    Incomplete,
    /// The value cannot be JSON: a closing bracket that does not match, or
    /// nesting beyond [`MAX_NESTING_DEPTH`]. Holds the byte index.
    Invalid(usize),
}

/// End of the JSON value starting at `from` (leading whitespace skipped).
///
/// Containers and strings are scanned with bracket matching and string
/// skipping; scalars run to the next delimiter. Only structure is checked;
/// [`parse_value`] validates the rest. A bare scalar ending at the end of
/// the text is `Incomplete` (`12` may become `123`).
pub(crate) fn value_end(text: &str, from: usize) -> JsonEnd {
    let bytes = text.as_bytes();
    let mut i = from;
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    let Some(&first) = bytes.get(i) else {
        return JsonEnd::Incomplete;
    };
    match first {
        b'{' | b'[' => container_end(bytes, i),
        b'"' => match string_end(bytes, i) {
            Some(end) => JsonEnd::Complete(end),
            None => JsonEnd::Incomplete,
        },
        b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
            let run = bytes
                .get(i..)
                .unwrap_or_default()
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')));
            match run {
                Some(len) => JsonEnd::Complete(i + len),
                None => JsonEnd::Incomplete,
            }
        }
        _ => JsonEnd::Invalid(i),
    }
}

/// Index just past the string whose opening quote is at `open`.
pub(crate) fn string_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        i += quote_or_backslash(bytes.get(i..)?)?;
        if bytes.get(i) == Some(&b'\\') {
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
}

/// How many bytes [`quote_or_backslash`] checks one by one before handing
/// the rest to memchr.
const SHORT_STRING: usize = 16;

/// Index of the first `"` or `\` in `hay`. Most strings in calls are keys
/// and short values, for which a plain loop beats memchr's setup; long
/// ones (file contents, code) still get the vectorised search.
fn quote_or_backslash(hay: &[u8]) -> Option<usize> {
    let head = hay.get(..SHORT_STRING).unwrap_or(hay);
    if let Some(at) = head.iter().position(|&b| b == b'"' || b == b'\\') {
        return Some(at);
    }
    let tail = hay.get(SHORT_STRING..)?;
    memchr::memchr2(b'"', b'\\', tail).map(|at| at + SHORT_STRING)
}

/// Bytes the balanced scan stops at: quotes and brackets.
// Evaluated at compile time, where an index out of bounds is a build error,
// not a panic.
#[allow(clippy::indexing_slicing)]
static STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// End of the object or array opening at `open`.
fn container_end(bytes: &[u8], open: usize) -> JsonEnd {
    // The open containers as a bit stack (set: object), so the scan needs
    // no allocation; its height is bounded by the depth limit.
    let mut objects = [0u64; MAX_NESTING_DEPTH.div_ceil(64)];
    let mut depth = 0usize;
    let mut i = open;
    while let Some(&b) = bytes.get(i) {
        if !STRUCTURAL.get(usize::from(b)).copied().unwrap_or(false) {
            i += 1;
            continue;
        }
        match b {
            b'"' => match string_end(bytes, i) {
                Some(end) => {
                    i = end;
                    continue;
                }
                None => return JsonEnd::Incomplete,
            },
            b'{' | b'[' => {
                if depth >= MAX_NESTING_DEPTH {
                    return JsonEnd::Invalid(i);
                }
                let Some(word) = objects.get_mut(depth / 64) else {
                    return JsonEnd::Invalid(i);
                };
                let bit = 1u64 << (depth % 64);
                if b == b'{' {
                    *word |= bit;
                } else {
                    *word &= !bit;
                }
                depth += 1;
            }
            _ => {
                let Some(inner) = depth.checked_sub(1) else {
                    return JsonEnd::Invalid(i);
                };
                let object = objects
                    .get(inner / 64)
                    .is_some_and(|word| word & (1u64 << (inner % 64)) != 0);
                if object != (b == b'}') {
                    return JsonEnd::Invalid(i);
                }
                depth = inner;
                if depth == 0 {
                    return JsonEnd::Complete(i + 1);
                }
            }
        }
        i += 1;
    }
    JsonEnd::Incomplete
}

/// Message prefix that marks our duplicate-key error inside serde's error.
const DUPLICATE: &str = "\u{1}duplicate key:";

/// A JSON value that rejects objects with repeated keys.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let Strict(value) = access.next_value()?;
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(slot) => {
                    return Err(de::Error::custom(format_args!("{DUPLICATE}{}", slot.key())));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// Byte offset of serde_json's 1-based `line`/`column` in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(at, _)| at + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Parse `text` as exactly one JSON value.
///
/// Errors (offsets relative to `text`): repeated keys are
/// [`NormalizeError::DuplicateKey`]; a second value after the first is
/// [`NormalizeError::ConcatenatedArguments`] for `tool`; nesting beyond
/// the limit is [`NormalizeError::LimitExceeded`]; anything else is
/// [`NormalizeError::Malformed`] with serde's description. `what` names
/// the value in messages (e.g. `arguments`).
pub(crate) fn parse_value(
    text: &str,
    format: &'static str,
    what: &str,
    tool: &str,
) -> Result<Value, NormalizeError> {
    // The hand-written reader covers the common case; whenever it is not
    // sure (including every error) serde decides, with its messages.
    if let Some(value) = fast::value(text) {
        return Ok(value);
    }
    parse_one::<Strict>(text, format, what, tool).map(|Strict(value)| value)
}

/// [`parse_value`] for any strict deserializable shape.
fn parse_one<'a, T: Deserialize<'a>>(
    text: &'a str,
    format: &'static str,
    what: &str,
    tool: &str,
) -> Result<T, NormalizeError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<T>();
    let value = match stream.next() {
        Some(Ok(value)) => value,
        Some(Err(err)) => return Err(from_serde(text, format, what, &err)),
        None => {
            return Err(NormalizeError::malformed(
                format,
                text.len(),
                format!("expected {what} JSON, found nothing"),
            ));
        }
    };
    let end = stream.byte_offset();
    let rest = text.get(end..).unwrap_or_default();
    let trailing = rest.len() - rest.trim_start().len();
    match rest.trim_start().as_bytes().first() {
        None => Ok(value),
        Some(b'{' | b'[') => Err(NormalizeError::ConcatenatedArguments {
            format,
            offset: end + trailing,
            tool: tool.to_owned(),
        }),
        Some(_) => Err(NormalizeError::malformed(
            format,
            end + trailing,
            format!("unexpected text after the {what} JSON"),
        )),
    }
}

/// Parse `text` as one call object or an array of call objects and report
/// every call to `cx`. Reads the call objects' fields directly instead of
/// building and then taking apart a map, which matters on the hot path;
/// the rules are those of [`report_call_object`]. `offset` locates `text`
/// in the region.
pub(crate) fn report_calls_json(
    text: &str,
    offset: usize,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    // The common case reports each call as it is read; anything else
    // (errors included) is undone and decided the careful way below.
    let (calls, warnings) = (cx.calls.len(), cx.warnings.len());
    let read = fast::each_call_prefix(text, |fields, _| {
        report_fields_in(fields, offset, format, cx).ok()
    });
    let json_ws = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    if read.is_some_and(|end| {
        text.as_bytes()
            .get(end..)
            .is_some_and(|rest| rest.iter().all(|&b| json_ws(b)))
    }) {
        return Ok(());
    }
    cx.calls.truncate(calls);
    cx.warnings.truncate(warnings);
    let doc = match fast::call_doc(text) {
        Some(fast::Doc::One(fields)) => return report_fields(fields, offset, format, cx),
        Some(fast::Doc::Many(items)) => CallDoc::Many(items),
        None => {
            parse_one::<CallDoc>(text, format, "tool call", "").map_err(|e| e.shifted(offset))?
        }
    };
    report_doc(doc, offset, format, cx)
}

/// Whole-text shortcut: the JSON value that starts `text` and the index
/// just past it, or `None` when [`parse_value`] on exactly that value could
/// answer differently (errors included).
pub(crate) fn value_prefix(text: &str) -> Option<(Value, usize)> {
    fast::value_prefix(text)
}

/// Whole-text shortcut: read the call document (object or array) that
/// starts `text`, report its calls and return the index just past it.
/// `None` (on anything unusual, including errors) means: scan and parse
/// the region the ordinary way, which gives the same calls or the located
/// error; `cx` may then hold part of the calls and must be dropped.
pub(crate) fn report_calls_prefix(
    text: &str,
    offset: usize,
    format: &'static str,
    shape: CallShape,
    cx: &mut ParseCx<'_>,
) -> Option<usize> {
    let mut calls = 0;
    let end = fast::each_call_prefix(text, |fields, index| {
        if let CallShape::Calls { need_args } = shape
            && !fields.is_call(need_args, index == 0)?
        {
            return None;
        }
        calls += 1;
        report_fields_in(fields, offset, format, cx).ok()
    })?;
    // `[]` holds no call object.
    (shape == CallShape::Any || calls > 0).then_some(end)
}

/// Report the calls of a parsed call document.
fn report_doc(
    doc: CallDoc,
    offset: usize,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let items = match doc {
        CallDoc::One(fields) => return report_fields(*fields, offset, format, cx),
        CallDoc::Many(items) => items,
    };
    for item in items {
        match item {
            CallItem::Call(fields) => report_fields(*fields, offset, format, cx)?,
            CallItem::NotAnObject => {
                return Err(NormalizeError::malformed(
                    format,
                    offset,
                    "expected a call object",
                ));
            }
        }
    }
    Ok(())
}

/// What a call object says, read field by field: for each part the value
/// of the most preferred key so far (by its index in [`NAME_KEYS`],
/// [`ARG_KEYS`] or [`ID_KEYS`]). Kept small: it is moved around whole.
#[derive(Default)]
struct CallFields {
    /// One bit per known key already seen, to refuse repeats.
    seen: u16,
    /// The best-ranked `name` key holding a string.
    name: Option<(usize, String)>,
    /// The best-ranked arguments key, whatever its value.
    args: Option<(usize, Value)>,
    /// The best-ranked id key holding a string or a number, as text.
    id: Option<(usize, String)>,
    /// OpenAI nesting: `{"function": {"name", "arguments"}}`.
    function: Option<Box<CallFields>>,
    /// Other keys, kept only to notice repeats.
    others: Vec<String>,
    /// How the object is laid out, for [`CallShape`] checks.
    layout: Layout,
}

/// Key-order facts about a call object that the scanning route's
/// [`call_json`](crate::normalizer::formats::tagged_json::call_json) judges
/// by, collected while reading so that the one-pass route can judge the
/// same without a second look at the text.
#[derive(Default, Clone, Copy)]
struct Layout {
    /// Some key was written with escapes (the scanning route compares raw
    /// key text, so the decoded keys cannot answer for it).
    escaped_key: bool,
    /// The first key is one a call object may begin with.
    opens_like_call: bool,
    /// Whether the first `name`/`tool_name` key, in text order, held a
    /// string (`None`: there is none).
    first_name_is_string: Option<bool>,
}

/// Which call documents the one-pass route may accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallShape {
    /// Whatever the parser accepts.
    Any,
    /// Only what `call_json(.., need_args)` calls a call document: an
    /// object (or non-empty array of objects) with a string name, or an
    /// OpenAI `function` object.
    Calls { need_args: bool },
}

/// Which part of a call a known key holds, and its preference rank.
#[derive(Clone, Copy)]
enum Part {
    Name(usize),
    Args(usize),
    Id(usize),
}

impl Part {
    /// The part `key` names, if it is one of the known keys.
    fn of(key: &str) -> Option<Self> {
        let rank = |keys: &[&str]| keys.iter().position(|k| *k == key);
        rank(&NAME_KEYS)
            .map(Part::Name)
            .or_else(|| rank(&ARG_KEYS).map(Part::Args))
            .or_else(|| rank(&ID_KEYS).map(Part::Id))
    }

    /// A distinct bit per known key.
    fn bit(self) -> u16 {
        let index = match self {
            Part::Name(rank) => rank,
            Part::Args(rank) => NAME_KEYS.len() + rank,
            Part::Id(rank) => NAME_KEYS.len() + ARG_KEYS.len() + rank,
        };
        1 << index
    }
}

impl CallFields {
    /// Record the layout facts of `key` (`escaped`: written with escapes;
    /// `first`: the object's first key).
    fn note_key(&mut self, key: &str, escaped: bool, first: bool) {
        self.layout.escaped_key |= escaped;
        if first {
            self.layout.opens_like_call = CALL_OPENING_KEYS.contains(&key);
        }
    }

    /// Whether this object is a call in `call_json`'s sense (`first`: it
    /// is the document or its first element, whose first key is judged);
    /// `None` when only the scanning route can tell.
    fn is_call(&self, need_args: bool, first: bool) -> Option<bool> {
        let layout = self.layout;
        if layout.escaped_key {
            return None;
        }
        if first && !layout.opens_like_call {
            return Some(false);
        }
        if layout.first_name_is_string == Some(true) {
            let args_bits = ARG_KEYS
                .iter()
                .enumerate()
                .fold(0, |bits, (rank, _)| bits | Part::Args(rank).bit());
            return Some(!need_args || self.seen & args_bits != 0);
        }
        Some(self.function.is_some())
    }

    /// Note that the key of `part` appeared; `false` when it already had.
    fn first_time(&mut self, part: Part) -> bool {
        let fresh = self.seen & part.bit() == 0;
        self.seen |= part.bit();
        fresh
    }

    /// Keep `value` for `part` when it is usable there and its key beats
    /// the one kept so far.
    fn offer(&mut self, part: Part, value: Value) {
        fn better<T>(slot: &Option<(usize, T)>, rank: usize) -> bool {
            slot.as_ref().is_none_or(|(kept, _)| rank < *kept)
        }
        if let Part::Name(_) = part {
            self.layout
                .first_name_is_string
                .get_or_insert(matches!(value, Value::String(_)));
        }
        match (part, value) {
            (Part::Name(rank), Value::String(name)) if better(&self.name, rank) => {
                self.name = Some((rank, name));
            }
            (Part::Args(rank), value) if better(&self.args, rank) => {
                self.args = Some((rank, value));
            }
            (Part::Id(rank), Value::String(id)) if better(&self.id, rank) => {
                self.id = Some((rank, id));
            }
            (Part::Id(rank), Value::Number(n)) if better(&self.id, rank) => {
                self.id = Some((rank, n.to_string()));
            }
            _ => {}
        }
    }
}

enum CallDoc {
    One(Box<CallFields>),
    Many(Vec<CallItem>),
}

enum CallItem {
    Call(Box<CallFields>),
    NotAnObject,
}

impl<'de> Deserialize<'de> for CallDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DocVisitor;
        impl<'de> Visitor<'de> for DocVisitor {
            type Value = CallDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a call object or an array of call objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<CallDoc, A::Error> {
                FieldsVisitor
                    .visit_map(access)
                    .map(|f| CallDoc::One(Box::new(f)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CallDoc, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<CallItem>()? {
                    items.push(item);
                }
                Ok(CallDoc::Many(items))
            }
        }
        deserializer.deserialize_any(DocVisitor)
    }
}

impl<'de> Deserialize<'de> for CallItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Strict::deserialize_fields_or_skip(deserializer)? {
            Some(fields) => Ok(CallItem::Call(Box::new(fields))),
            None => Ok(CallItem::NotAnObject),
        }
    }
}

impl Strict {
    /// Read an object as call fields; any other value is skipped (strictly:
    /// duplicate keys inside it are still errors).
    fn deserialize_fields_or_skip<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<CallFields>, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Option<CallFields>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a call object")
            }
            fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
                FieldsVisitor.visit_map(access).map(Some)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                StrictVisitor.visit_seq(seq).map(|_| None)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

/// A key, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A `function` field: call fields when it is an object, else nothing.
struct FunctionField(Option<CallFields>);

impl<'de> Deserialize<'de> for FunctionField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Strict::deserialize_fields_or_skip(deserializer).map(FunctionField)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = CallFields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a call object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<CallFields, A::Error> {
        let mut fields = CallFields::default();
        let duplicate = |key: &str| de::Error::custom(format_args!("{DUPLICATE}{key}"));
        while let Some(Key(key)) = access.next_key::<Key<'de>>()? {
            if let Some(part) = Part::of(&key) {
                if !fields.first_time(part) {
                    return Err(duplicate(&key));
                }
                let Strict(value) = access.next_value()?;
                fields.offer(part, value);
            } else if key == "function" {
                if fields.function.is_some() || fields.others.iter().any(|k| k == "function") {
                    return Err(duplicate(&key));
                }
                let FunctionField(inner) = access.next_value()?;
                match inner {
                    Some(inner) => fields.function = Some(Box::new(inner)),
                    None => fields.others.push(key.into_owned()),
                }
            } else {
                if fields.others.iter().any(|k| *k == key) {
                    return Err(duplicate(&key));
                }
                let Strict(_) = access.next_value()?;
                fields.others.push(key.into_owned());
            }
        }
        Ok(fields)
    }
}

/// Report the call described by `fields` (see [`report_call_object`]).
fn report_fields(
    mut fields: CallFields,
    offset: usize,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    report_fields_in(&mut fields, offset, format, cx)
}

/// [`report_fields`] taking the parts out of a record the caller keeps.
fn report_fields_in(
    fields: &mut CallFields,
    offset: usize,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let outer_id = fields.id.take().map(|(_, id)| id);
    let (name, args, id) = match fields.function.take() {
        Some(mut inner) => {
            let id = outer_id.or_else(|| inner.id.take().map(|(_, id)| id));
            (inner.name.take(), inner.args.take(), id)
        }
        None => (fields.name.take(), fields.args.take(), outer_id),
    };
    let (_, name) = name.ok_or_else(|| {
        NormalizeError::malformed(format, offset, "call object has no string `name`")
    })?;
    let args = decode_args(args.map(|(_, args)| args), &name, offset, format)?;
    report_call(cx, format, offset, name, args, id)
}

/// Arguments as written: missing, `null` or a blank string are `{}`; a
/// string holds JSON.
fn decode_args(
    args: Option<Value>,
    name: &str,
    offset: usize,
    format: &'static str,
) -> Result<Value, NormalizeError> {
    match args {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(Value::String(encoded)) if encoded.trim().is_empty() => Ok(Value::Object(Map::new())),
        Some(Value::String(encoded)) => parse_value(&encoded, format, "arguments", name)
            // Offsets inside a decoded string do not map onto the output.
            .map_err(|err| relocate(err, offset)),
        Some(args) => Ok(args),
    }
}

/// Translate a serde_json error on `text` into a located error.
fn from_serde(
    text: &str,
    format: &'static str,
    what: &str,
    err: &serde_json::Error,
) -> NormalizeError {
    let offset = offset_of(text, err.line(), err.column());
    let message = err.to_string();
    if let Some(rest) = message.strip_prefix(DUPLICATE) {
        // serde appends " at line L column C"; the key is what precedes it.
        let key = rest.rsplit_once(" at line ").map_or(rest, |(key, _)| key);
        return NormalizeError::DuplicateKey {
            format,
            offset,
            key: key.to_owned(),
        };
    }
    if message.starts_with("recursion limit exceeded") {
        return NormalizeError::LimitExceeded {
            format,
            offset,
            limit: format!("nesting depth {MAX_NESTING_DEPTH}"),
        };
    }
    let reason = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(reason, _)| reason);
    if err.is_eof() {
        return NormalizeError::malformed(
            format,
            offset,
            format!("{what} JSON ends early: {reason}"),
        );
    }
    NormalizeError::malformed(format, offset, format!("invalid {what} JSON: {reason}"))
}

/// Keys a call object may begin with (see
/// [`call_json`](crate::normalizer::formats::tagged_json::call_json)).
pub(crate) const CALL_OPENING_KEYS: [&str; 10] = [
    "name",
    "tool_name",
    "function",
    "arguments",
    "parameters",
    "input",
    "args",
    "id",
    "tool_call_id",
    "type",
];

/// Keys that hold the tool name, in order of preference.
const NAME_KEYS: [&str; 2] = ["name", "tool_name"];
/// Keys that hold the arguments, in order of preference.
const ARG_KEYS: [&str; 4] = ["arguments", "parameters", "input", "args"];
/// Keys that hold a call id, in order of preference.
const ID_KEYS: [&str; 3] = ["id", "tool_call_id", "call_id"];

/// Turn a call object into a call and report it to `cx`.
///
/// Accepts `name`/`tool_name` for the name, `arguments`/`parameters`/
/// `input`/`args` for the arguments (an object, or a string holding JSON),
/// `id`/`tool_call_id`/`call_id` for the id, and the OpenAI nesting
/// `{"function": {"name", "arguments"}}`. `offset` locates the object in
/// the region for errors.
pub(crate) fn report_call_object(
    value: Value,
    offset: usize,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let Value::Object(mut object) = value else {
        return Err(NormalizeError::malformed(
            format,
            offset,
            "expected a call object",
        ));
    };
    if let Some(Value::Object(function)) = object.remove("function") {
        // OpenAI nesting: the id stays on the outer object.
        let id = take_id(&mut object);
        let mut inner = function;
        if let Some(id) = id {
            inner.insert("id".into(), Value::String(id));
        }
        object = inner;
    }
    let name = NAME_KEYS
        .iter()
        .find_map(|k| match object.remove(*k) {
            Some(Value::String(name)) => Some(name),
            _ => None,
        })
        .ok_or_else(|| {
            NormalizeError::malformed(format, offset, "call object has no string `name`")
        })?;
    let args = decode_args(
        ARG_KEYS.iter().find_map(|k| object.remove(*k)),
        &name,
        offset,
        format,
    )?;
    let id = take_id(&mut object);
    report_call(cx, format, offset, name, args, id)
}

/// Pin an error from a decoded string onto the object that held it.
fn relocate(err: NormalizeError, offset: usize) -> NormalizeError {
    match err {
        NormalizeError::Malformed {
            format, message, ..
        } => NormalizeError::Malformed {
            format,
            offset,
            message: format!("{message} (inside the arguments string)"),
        },
        NormalizeError::ConcatenatedArguments { format, tool, .. } => {
            NormalizeError::ConcatenatedArguments {
                format,
                offset,
                tool,
            }
        }
        NormalizeError::DuplicateKey { format, key, .. } => NormalizeError::DuplicateKey {
            format,
            offset,
            key,
        },
        other => other,
    }
}

fn take_id(object: &mut Map<String, Value>) -> Option<String> {
    ID_KEYS.iter().find_map(|k| match object.remove(*k) {
        Some(Value::String(id)) => Some(id),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Validate `name` and report the call, warning about doubled names.
pub(crate) fn report_call(
    cx: &mut ParseCx<'_>,
    format: &'static str,
    offset: usize,
    name: String,
    args: Value,
    id: Option<String>,
) -> Result<(), NormalizeError> {
    if is_doubled(&name) {
        cx.warn(NormalizeWarning::RepeatedName {
            name: name.clone(),
            offset,
        });
    }
    // Identifier characters are all ASCII, so checking bytes is the same
    // rule as `ToolInvocation::new`'s, minus the UTF-8 decoding.
    if name.is_empty() || !name.bytes().all(is_identifier_byte) {
        return Err(NormalizeError::InvalidToolName {
            format,
            offset,
            name: super::diag::Clipped(&name).to_string(),
        });
    }
    cx.call(ToolInvocation { name, args }, id);
    Ok(())
}

/// [`is_identifier_char`](super::invocation::is_identifier_char) for one
/// byte of a name.
fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// `abcabc`-style names: some models repeat the tool name when they loop.
fn is_doubled(name: &str) -> bool {
    let len = name.len();
    len >= 6 && len.is_multiple_of(2) && name.is_char_boundary(len / 2) && {
        let (a, b) = name.split_at(len / 2);
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        /// The byte-wise name check is `ToolInvocation::new`'s rule.
        #[test]
        fn name_bytes_follow_the_identifier_rule(name in "[a-zA-Z0-9_.\\- é\u{3000}\t]{0,8}") {
            let by_chars = !name.trim().is_empty()
                && name.chars().all(crate::normalizer::invocation::is_identifier_char);
            let by_bytes = !name.is_empty() && name.bytes().all(is_identifier_byte);
            prop_assert_eq!(by_chars, by_bytes);
        }
    }

    #[test]
    fn value_end_skips_strings_and_nesting() {
        let text = r#"{"a": "}</tool_call>{", "b": [1, {"c": "\"]"}]} tail"#;
        let JsonEnd::Complete(end) = value_end(text, 0) else {
            panic!("not complete");
        };
        assert_eq!(&text[end..], " tail");
        assert_eq!(value_end(r#"{"a": "x"#, 0), JsonEnd::Incomplete);
        assert_eq!(value_end(r#"{"a": ]"#, 0), JsonEnd::Invalid(6));
        assert_eq!(value_end("  12,", 0), JsonEnd::Complete(4));
        assert_eq!(value_end("12", 0), JsonEnd::Incomplete);
        assert_eq!(value_end("x", 0), JsonEnd::Invalid(0));
        let deep = "[".repeat(MAX_NESTING_DEPTH + 1);
        assert_eq!(value_end(&deep, 0), JsonEnd::Invalid(MAX_NESTING_DEPTH));
    }

    #[test]
    fn string_end_handles_escapes_on_both_sides_of_the_short_run() {
        for len in [0, 1, 14, 15, 16, 17, 40] {
            let body = "x".repeat(len);
            for text in [
                format!(r#""{body}" tail"#),
                format!(r#""{body}\"{body}\\" tail"#),
                format!(r#""\"{body}" tail"#),
            ] {
                let end = string_end(text.as_bytes(), 0).unwrap();
                assert_eq!(&text[end..], " tail", "{text}");
                let open = &text[..end - 1];
                assert_eq!(string_end(open.as_bytes(), 0), None, "{open}");
            }
        }
    }

    #[test]
    fn value_end_matches_brackets_past_64_levels() {
        // The bit stack spans two words; mismatches in either are caught.
        let open: String = (0..100)
            .map(|i| if i % 3 == 0 { '[' } else { '{' })
            .collect();
        let close: String = open
            .chars()
            .rev()
            .map(|c| if c == '[' { ']' } else { '}' })
            .collect();
        let mut good = open.replace('{', "{\"k\":");
        good.push_str(&close);
        assert_eq!(value_end(&good, 0), JsonEnd::Complete(good.len()));
        let mut bad = open.replace('{', "{\"k\":");
        let mut wrong = close.clone().into_bytes();
        wrong[40] = if wrong[40] == b']' { b'}' } else { b']' };
        bad.push_str(std::str::from_utf8(&wrong).unwrap());
        let start = bad.len() - close.len();
        assert_eq!(value_end(&bad, 0), JsonEnd::Invalid(start + 40));
        assert_eq!(value_end("}", 0), JsonEnd::Invalid(0));
        assert_eq!(value_end("[1]]", 0), JsonEnd::Complete(3));
    }

    #[test]
    fn strict_parse_reports_duplicates_and_concatenation() {
        assert_eq!(
            parse_value(r#" {"a": 1} "#, "t", "arguments", "f").unwrap(),
            json!({"a": 1})
        );
        let dup = parse_value(r#"{"a": 1, "a": 2}"#, "t", "arguments", "f").unwrap_err();
        assert!(
            matches!(&dup, NormalizeError::DuplicateKey { key, .. } if key == "a"),
            "{dup:?}"
        );
        let twice = parse_value(r#"{"a":1}{"a":1}"#, "t", "arguments", "f").unwrap_err();
        assert_eq!(
            twice,
            NormalizeError::ConcatenatedArguments {
                format: "t",
                offset: 7,
                tool: "f".into()
            }
        );
        let bad = parse_value("{\n  \"a\": tru }", "t", "arguments", "f").unwrap_err();
        assert!(bad.to_string().contains("invalid arguments JSON"), "{bad}");
        assert_eq!(bad.offset(), Some(12));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(
            parse_value(&deep, "t", "arguments", "f"),
            Err(NormalizeError::LimitExceeded { .. })
        ));
    }

    #[test]
    fn direct_field_reading_matches_the_value_route() {
        let docs = [
            r#"{"name": "f", "arguments": {"x": 1}}"#,
            r#"{"tool_name": "f", "input": {"x": 1}, "tool_call_id": 7}"#,
            r#"{"name": "f", "parameters": {"x": 1}, "arguments": "{\"y\": 2}"}"#,
            r#"{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}", "id": "c2"}}"#,
            r#"{"function": "nope", "name": "g"}"#,
            r#"{"name": 5, "tool_name": "h", "extra": [1, {"z": null}]}"#,
            r#"{"name": "f", "arguments": null, "call_id": "k"}"#,
            r#"{"arguments": {}}"#,
            r#"{"name": "f", "arguments": "{\"a\":1}{\"a\":1}"}"#,
            r#"[{"name": "a"}, {"name": "b", "args": {"q": [1]}}]"#,
            r#"[{"name": "a"}, 3]"#,
        ];
        for doc in docs {
            let mut direct = ParseCx::detached(None);
            let direct_result = report_calls_json(doc, 0, "t", &mut direct);
            let mut routed = ParseCx::detached(None);
            let routed_result = match serde_json::from_str::<Value>(doc).unwrap() {
                Value::Array(items) => items
                    .into_iter()
                    .try_for_each(|item| report_call_object(item, 0, "t", &mut routed)),
                object => report_call_object(object, 0, "t", &mut routed),
            };
            assert_eq!(direct_result, routed_result, "{doc}");
            assert_eq!(direct.calls(), routed.calls(), "{doc}");
        }
        let mut cx = ParseCx::detached(None);
        let dup =
            report_calls_json(r#"{"name": "f", "x": 1, "x": 2}"#, 0, "t", &mut cx).unwrap_err();
        assert!(
            matches!(dup, NormalizeError::DuplicateKey { ref key, .. } if key == "x"),
            "{dup:?}"
        );
        let dup = report_calls_json(r#"{"name": "f", "name": "g"}"#, 0, "t", &mut cx).unwrap_err();
        assert!(
            matches!(dup, NormalizeError::DuplicateKey { ref key, .. } if key == "name"),
            "{dup:?}"
        );
    }

    #[test]
    fn call_objects_accept_every_key_spelling() {
        let mut cx = ParseCx::detached(None);
        for object in [
            json!({"name": "f", "arguments": {"x": 1}}),
            json!({"name": "f", "parameters": {"x": 1}}),
            json!({"tool_name": "f", "input": {"x": 1}, "tool_call_id": "7"}),
            json!({"args": {"x": 1}, "name": "f"}),
            json!({"name": "f", "arguments": "{\"x\": 1}"}),
            json!({"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}}),
        ] {
            report_call_object(object, 0, "t", &mut cx).unwrap();
        }
        assert!(
            cx.calls()
                .iter()
                .all(|c| c.invocation.args == json!({"x": 1}))
        );
        assert_eq!(cx.calls()[2].id.as_deref(), Some("7"));
        assert_eq!(cx.calls()[5].id.as_deref(), Some("c1"));
        let err = report_call_object(json!({"arguments": {}}), 4, "t", &mut cx).unwrap_err();
        assert_eq!(err.offset(), Some(4));
        let bad_name = report_call_object(json!({"name": "a b"}), 0, "t", &mut cx).unwrap_err();
        assert!(matches!(bad_name, NormalizeError::InvalidToolName { .. }));
        report_call_object(json!({"name": "readread"}), 0, "t", &mut cx).unwrap();
        assert!(matches!(
            cx.warnings()[0],
            NormalizeWarning::RepeatedName { .. }
        ));
    }
}
