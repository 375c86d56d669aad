//! What every provider shape shares: JSON paths for error messages, typed
//! field access, argument decoding under the limits, the collector for
//! whole payloads and the call tracker for streams.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::normalizer::ToolInvocation;
use crate::normalizer::diag::Excerpt;
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParsedCall, PartialCall};
use crate::normalizer::invocation::is_identifier_char;
use crate::normalizer::json::{self, JsonEnd};
use crate::normalizer::limits::{MAX_INPUT_BYTES, MAX_NESTING_DEPTH};
use crate::normalizer::stream::StreamEvent;
use crate::normalizer::text::Normalized;

pub(super) type Obj = Map<String, Value>;
pub(super) type Res<T> = Result<T, NormalizeError>;

// ── Paths ─────────────────────────────────────────────────────────────────

/// A location in a payload (`$.choices[0].message`) or in a stream
/// (`event[4].delta`), kept as text because it only ever ends up in an
/// error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Path(String);

impl Path {
    /// The root of a whole payload.
    pub(super) fn root() -> Self {
        Self("$".to_owned())
    }

    /// The root of the `n`-th (0-based) stream event.
    pub(super) fn event(n: usize) -> Self {
        Self(format!("event[{n}]"))
    }

    /// A member of this object.
    pub(super) fn key(&self, key: &str) -> Self {
        Self(format!("{}.{key}", self.0))
    }

    /// An element of this array.
    pub(super) fn at(&self, index: usize) -> Self {
        Self(format!("{}[{index}]", self.0))
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a JSON value is described in "expected X, found Y" messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ── Typed access ──────────────────────────────────────────────────────────

/// Which empty argument text means: no arguments (the provider said the
/// call is over) or a call that has not been written yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Empty {
    /// `""` is `{}`.
    Object,
    /// `""` is an unfinished call.
    Incomplete,
}

/// Arguments as a payload carries them.
#[derive(Debug, Clone, Copy)]
pub(super) enum Args<'v> {
    /// JSON text (OpenAI, Cohere v2).
    Text(&'v str),
    /// An already decoded value (Anthropic, Gemini, Ollama, Cohere v1);
    /// `null` means none.
    Value(&'v Value),
    /// The payload has no arguments field.
    Missing,
}

/// The shape being read; every check and error goes through it so errors
/// always name the shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape(pub(super) &'static str);

impl Shape {
    /// A [`NormalizeError::Provider`] at `at`.
    pub(super) fn err(self, at: &Path, message: impl Into<String>) -> NormalizeError {
        NormalizeError::Provider {
            shape: self.0,
            path: at.0.clone(),
            message: message.into(),
        }
    }

    fn expected(self, at: &Path, what: &str, found: &Value) -> NormalizeError {
        self.err(at, format!("expected {what}, found {}", kind(found)))
    }

    /// An error event or error member sent by the provider itself.
    pub(super) fn reported(self, at: &Path, error: &Value) -> NormalizeError {
        let text = match error {
            Value::String(message) => message.clone(),
            Value::Object(object) => {
                let field = |key: &str| object.get(key).and_then(Value::as_str);
                let message = field("message").unwrap_or("no message");
                match field("type").or(field("status")).or(field("code")) {
                    Some(kind) => format!("{kind}: {message}"),
                    None => message.to_owned(),
                }
            }
            other => other.to_string(),
        };
        self.err(
            at,
            format!("the provider reported an error: {}", Excerpt(&text)),
        )
    }

    pub(super) fn object<'v>(self, value: &'v Value, at: &Path, what: &str) -> Res<&'v Obj> {
        value
            .as_object()
            .ok_or_else(|| self.expected(at, what, value))
    }

    /// `object[key]` as a string; absent or `null` is `None`.
    pub(super) fn opt_str<'v>(self, object: &'v Obj, key: &str, at: &Path) -> Res<Option<&'v str>> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(self.expected(&at.key(key), "a string", other)),
        }
    }

    /// `object[key]` as a string that must be there.
    pub(super) fn req_str<'v>(self, object: &'v Obj, key: &str, at: &Path) -> Res<&'v str> {
        self.opt_str(object, key, at)?
            .ok_or_else(|| self.err(at, format!("missing `{key}` string")))
    }

    /// `object[key]` as an array; absent or `null` is empty.
    pub(super) fn opt_array<'v>(self, object: &'v Obj, key: &str, at: &Path) -> Res<&'v [Value]> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.expected(&at.key(key), "an array", other)),
        }
    }

    /// `object[key]` as an object; absent or `null` is `None`.
    pub(super) fn opt_object<'v>(
        self,
        object: &'v Obj,
        key: &str,
        at: &Path,
    ) -> Res<Option<&'v Obj>> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(inner)) => Ok(Some(inner)),
            Some(other) => Err(self.expected(&at.key(key), "an object", other)),
        }
    }

    /// `object[key]` as an object that must be there.
    pub(super) fn req_object<'v>(self, object: &'v Obj, key: &str, at: &Path) -> Res<&'v Obj> {
        self.opt_object(object, key, at)?
            .ok_or_else(|| self.err(at, format!("missing `{key}` object")))
    }

    /// `object[key]` as a non-negative integer (array and block indexes).
    pub(super) fn opt_index(self, object: &Obj, key: &str, at: &Path) -> Res<Option<u64>> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.expected(&at.key(key), "a non-negative integer", value)),
        }
    }

    /// `object[key]` as a call id: a string, or a number some servers send.
    pub(super) fn opt_id(self, object: &Obj, key: &str, at: &Path) -> Res<Option<String>> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(id)) => Ok(Some(id.clone())),
            Some(Value::Number(id)) => Ok(Some(id.to_string())),
            Some(other) => Err(self.expected(&at.key(key), "a string id", other)),
        }
    }

    /// Reject names a registry cannot hold, before anything is announced.
    pub(super) fn tool_name(self, name: &str, at: &Path) -> Res<()> {
        if name.trim().is_empty() {
            return Err(self.err(at, "empty tool name"));
        }
        if !name.chars().all(is_identifier_char) {
            return Err(self.err(at, format!("invalid tool name {}", Excerpt(name))));
        }
        Ok(())
    }

    /// The output stopped inside this call.
    pub(super) fn incomplete(
        self,
        name: &str,
        id: Option<&str>,
        arguments: &str,
    ) -> NormalizeError {
        NormalizeError::Incomplete {
            format: self.0,
            offset: 0,
            partial: Some(Box::new(PartialCall {
                name: Some(name.to_owned()),
                id: id.map(str::to_owned),
                arguments: arguments.to_owned(),
            })),
        }
    }

    fn too_big(self) -> NormalizeError {
        NormalizeError::LimitExceeded {
            format: self.0,
            offset: MAX_INPUT_BYTES,
            limit: format!("arguments size {MAX_INPUT_BYTES} bytes"),
        }
    }

    /// Decode the arguments of the call to `name`.
    pub(super) fn arguments(
        self,
        args: Args<'_>,
        name: &str,
        id: Option<&str>,
        at: &Path,
        empty: Empty,
    ) -> Res<Value> {
        match args {
            Args::Missing | Args::Value(Value::Null) => Ok(Value::Object(Map::new())),
            Args::Text(text) => self.text_arguments(text, name, id, at, empty),
            Args::Value(Value::String(text)) => self.text_arguments(text, name, id, at, empty),
            Args::Value(value) => {
                if !value.is_object() {
                    // A scalar or list would be taken as the whole
                    // argument set; providers that send decoded arguments
                    // always send an object.
                    return Err(self.expected(at, "an arguments object", value));
                }
                if deeper_than(value, MAX_NESTING_DEPTH) {
                    return Err(NormalizeError::LimitExceeded {
                        format: self.0,
                        offset: 0,
                        limit: format!("nesting depth {MAX_NESTING_DEPTH}"),
                    });
                }
                Ok(value.clone())
            }
        }
    }

    /// Parse argument text strictly. Text that stops inside a JSON value is
    /// an unfinished call, never a call.
    fn text_arguments(
        self,
        text: &str,
        name: &str,
        id: Option<&str>,
        at: &Path,
        empty: Empty,
    ) -> Res<Value> {
        if text.len() > MAX_INPUT_BYTES {
            return Err(self.too_big());
        }
        let body = text.trim_start();
        match body.as_bytes().first() {
            None if empty == Empty::Object => return Ok(Value::Object(Map::new())),
            None => return Err(self.incomplete(name, id, text)),
            Some(b'{' | b'[' | b'"') => {
                if json::value_end(text, text.len() - body.len()) == JsonEnd::Incomplete {
                    return Err(self.incomplete(name, id, text));
                }
            }
            Some(_) => {}
        }
        json::parse_value(text, self.0, "arguments", name).map_err(|err| match err {
            NormalizeError::Malformed {
                offset, message, ..
            } => {
                let call = match id {
                    Some(id) => format!("`{name}` (id {})", Excerpt(id)),
                    None => format!("`{name}`"),
                };
                self.err(
                    at,
                    format!("arguments of {call} are not valid JSON: {message} (byte {offset} of the string)"),
                )
            }
            other => other,
        })
    }
}

/// Whether `value` has more than `limit` levels of arrays and objects.
/// Walks with an explicit stack, so hostile depth cannot overflow ours.
fn deeper_than(value: &Value, limit: usize) -> bool {
    let mut todo: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((value, depth)) = todo.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth >= limit {
            return true;
        }
        todo.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

/// The element of a `choices` / `candidates` array that holds the first
/// alternative: the one whose `index` is 0 (elements without `index`
/// count by position). Other alternatives are answers to the same prompt,
/// not more calls.
pub(super) fn primary(items: &[Value]) -> Option<(usize, &Value)> {
    items.iter().enumerate().find(|(pos, item)| {
        let index = item.get("index").and_then(Value::as_u64);
        index.unwrap_or(*pos as u64) == 0
    })
}

// ── Collecting ────────────────────────────────────────────────────────────

/// One call as a payload writes it.
#[derive(Debug)]
pub(super) struct CallSpec<'v> {
    pub(super) name: &'v str,
    pub(super) id: Option<String>,
    pub(super) args: Args<'v>,
    /// Where the name is, for errors.
    pub(super) name_at: Path,
    /// Where the arguments are, for errors.
    pub(super) args_at: Path,
}

/// Where the text, reasoning and complete calls of a payload go: into a
/// [`Normalized`] for whole payloads, into events for streams of complete
/// chunks (Gemini, Ollama). One reader serves both, so they agree.
pub(super) trait Collect {
    fn text(&mut self, text: &str);
    fn reasoning(&mut self, text: &str);
    fn call(&mut self, call: CallSpec<'_>) -> Res<()>;
}

/// Builds the [`Normalized`] of a whole payload.
#[derive(Debug)]
pub(super) struct Whole {
    shape: Shape,
    out: Normalized,
}

impl Whole {
    pub(super) fn new(shape: Shape) -> Self {
        Self {
            shape,
            out: Normalized {
                format: Some(shape.0),
                ..Normalized::default()
            },
        }
    }

    pub(super) fn done(self) -> Normalized {
        self.out
    }
}

impl Collect for Whole {
    fn text(&mut self, text: &str) {
        self.out.text.push_str(text);
    }

    fn reasoning(&mut self, text: &str) {
        self.out.reasoning.push_str(text);
    }

    fn call(&mut self, call: CallSpec<'_>) -> Res<()> {
        self.shape.tool_name(call.name, &call.name_at)?;
        let args = self.shape.arguments(
            call.args,
            call.name,
            call.id.as_deref(),
            &call.args_at,
            Empty::Object,
        )?;
        let invocation = ToolInvocation {
            name: call.name.to_owned(),
            args,
        };
        self.out.calls.push(ParsedCall {
            invocation,
            id: call.id,
        });
        Ok(())
    }
}

/// Sends complete chunks of a stream out as events.
pub(super) struct Emit<'a> {
    pub(super) calls: &'a mut Calls,
    pub(super) out: &'a mut Vec<StreamEvent>,
}

impl Collect for Emit<'_> {
    fn text(&mut self, text: &str) {
        text_event(self.out, text);
    }

    fn reasoning(&mut self, text: &str) {
        reasoning_event(self.out, text);
    }

    fn call(&mut self, call: CallSpec<'_>) -> Res<()> {
        let slot = self.calls.open(None, call.name_at.clone());
        if let Some(id) = call.id {
            self.calls.id(slot, id);
        }
        self.calls.name(slot, call.name, &call.name_at, self.out)?;
        self.calls
            .finish_with(slot, call.args, &call.args_at, self.out)
    }
}

pub(super) fn text_event(out: &mut Vec<StreamEvent>, text: &str) {
    if !text.is_empty() {
        out.push(StreamEvent::TextDelta(text.to_owned()));
    }
}

pub(super) fn reasoning_event(out: &mut Vec<StreamEvent>, text: &str) {
    if !text.is_empty() {
        out.push(StreamEvent::ReasoningDelta(text.to_owned()));
    }
}

// ── Streams ───────────────────────────────────────────────────────────────

/// How a stream refers to a call across events.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Key {
    /// A numeric index (Chat `tool_calls[].index`, Anthropic block index,
    /// Responses `output_index`, Cohere `index`).
    Index(u64),
    /// A string id (Responses `item_id`, a Chat call id without index).
    Id(String),
    /// The one legacy Chat `function_call`.
    Legacy,
}

#[derive(Debug, Clone)]
enum Phase {
    Open,
    /// Parsed, waiting for the calls before it to finish.
    Done(ParsedCall),
    /// `CallFinished` sent.
    Released,
}

#[derive(Debug, Clone)]
struct Slot {
    name: Option<String>,
    id: Option<String>,
    args: String,
    /// `CallStarted` sent.
    announced: bool,
    phase: Phase,
    /// Where the call was first seen, for errors about it as a whole.
    origin: Path,
}

/// The calls of one stream, in order of first appearance; their position
/// is the event `index`.
///
/// `CallFinished` goes out in that order even when a provider finishes a
/// later call first, so folding the events gives the calls in the order
/// the whole payload lists them.
#[derive(Debug, Clone)]
pub(super) struct Calls {
    shape: Shape,
    slots: Vec<Slot>,
    keys: HashMap<Key, usize>,
    /// Slots before this have been released.
    released: usize,
}

impl Calls {
    pub(super) fn new(shape: Shape) -> Self {
        Self {
            shape,
            slots: Vec::new(),
            keys: HashMap::new(),
            released: 0,
        }
    }

    pub(super) fn find(&self, key: &Key) -> Option<usize> {
        self.keys.get(key).copied()
    }

    /// Start tracking a new call, under `key` if given (a key used before
    /// now names the new call).
    pub(super) fn open(&mut self, key: Option<Key>, origin: Path) -> usize {
        let slot = self.slots.len();
        self.slots.push(Slot {
            name: None,
            id: None,
            args: String::new(),
            announced: false,
            phase: Phase::Open,
            origin,
        });
        if let Some(key) = key {
            self.keys.insert(key, slot);
        }
        slot
    }

    /// Let `key` find `slot` too.
    pub(super) fn alias(&mut self, key: Key, slot: usize) {
        self.keys.insert(key, slot);
    }

    /// The most recent call, while it is still open.
    pub(super) fn last_open(&self) -> Option<usize> {
        let last = self.slots.len().checked_sub(1)?;
        self.is_open(last).then_some(last)
    }

    pub(super) fn is_open(&self, slot: usize) -> bool {
        self.slots
            .get(slot)
            .is_some_and(|s| matches!(s.phase, Phase::Open))
    }

    /// The slot, open, or an error saying the call is already over.
    fn open_slot(&mut self, slot: usize, at: &Path) -> Res<&mut Slot> {
        let shape = self.shape;
        match self.slots.get_mut(slot) {
            Some(s) if matches!(s.phase, Phase::Open) => Ok(s),
            _ => Err(shape.err(at, format!("event for call {slot}, which already finished"))),
        }
    }

    pub(super) fn name_of(&self, slot: usize) -> Option<&str> {
        self.slots.get(slot).and_then(|s| s.name.as_deref())
    }

    pub(super) fn args_of(&self, slot: usize) -> &str {
        self.slots.get(slot).map_or("", |s| s.args.as_str())
    }

    /// Record the call id unless one is known.
    pub(super) fn id(&mut self, slot: usize, id: String) {
        if let Some(s) = self.slots.get_mut(slot) {
            s.id.get_or_insert(id);
        }
    }

    /// Record the tool name; the first time, announce the call. Servers
    /// that repeat the name in every delta are fine; a different name is
    /// an error, since the call was already announced under the first.
    pub(super) fn name(
        &mut self,
        slot: usize,
        name: &str,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        if self.name_of(slot) == Some(name) {
            // Repeated, possibly after the call finished: nothing new.
            return Ok(());
        }
        let shape = self.shape;
        let s = self.open_slot(slot, at)?;
        if let Some(known) = &s.name {
            let message = format!(
                "call {slot} renamed from {} to {}",
                Excerpt(known),
                Excerpt(name)
            );
            return Err(shape.err(at, message));
        }
        shape.tool_name(name, at)?;
        s.name = Some(name.to_owned());
        self.announce(slot, out);
        Ok(())
    }

    /// `CallStarted` (plus the argument text that came before the name),
    /// once the name is known.
    fn announce(&mut self, slot: usize, out: &mut Vec<StreamEvent>) {
        let Some(s) = self.slots.get_mut(slot) else {
            return;
        };
        let Some(name) = s.name.clone() else {
            return;
        };
        if s.announced {
            return;
        }
        s.announced = true;
        out.push(StreamEvent::CallStarted {
            index: slot,
            name,
            id: s.id.clone(),
        });
        if !s.args.is_empty() {
            out.push(StreamEvent::ArgumentsDelta {
                index: slot,
                delta: s.args.clone(),
            });
        }
    }

    /// Append argument text.
    pub(super) fn args(
        &mut self,
        slot: usize,
        fragment: &str,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        if fragment.is_empty() {
            // Servers send empty fragments freely, even after the end.
            return Ok(());
        }
        let shape = self.shape;
        let s = self.open_slot(slot, at)?;
        if s.args.len().saturating_add(fragment.len()) > MAX_INPUT_BYTES {
            return Err(shape.too_big());
        }
        s.args.push_str(fragment);
        if s.announced {
            out.push(StreamEvent::ArgumentsDelta {
                index: slot,
                delta: fragment.to_owned(),
            });
        }
        Ok(())
    }

    /// Take the final argument text a provider repeats when a call ends
    /// (Responses `…arguments.done`): whatever the deltas missed is sent
    /// as one more delta; text that contradicts them is an error.
    pub(super) fn settle_args(
        &mut self,
        slot: usize,
        full: &str,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        let so_far = self.args_of(slot);
        match full.strip_prefix(so_far) {
            Some(rest) => {
                let rest = rest.to_owned();
                self.args(slot, &rest, at, out)
            }
            None => Err(self.shape.err(
                at,
                format!("final arguments of call {slot} differ from the streamed fragments"),
            )),
        }
    }

    /// Finish a call from its accumulated argument text.
    pub(super) fn finish(
        &mut self,
        slot: usize,
        empty: Empty,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        let text = std::mem::take(&mut self.open_slot(slot, at)?.args);
        let result = self.complete(slot, Args::Text(&text), empty, at, out);
        if let Some(s) = self.slots.get_mut(slot)
            && matches!(s.phase, Phase::Open)
        {
            // Not finished after all: keep the text for the Incomplete report.
            s.args = text;
        }
        result
    }

    /// Finish a call with arguments given whole.
    pub(super) fn finish_with(
        &mut self,
        slot: usize,
        args: Args<'_>,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        self.complete(slot, args, Empty::Object, at, out)
    }

    fn complete(
        &mut self,
        slot: usize,
        args: Args<'_>,
        empty: Empty,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        let shape = self.shape;
        let s = self.open_slot(slot, at)?;
        let Some(name) = s.name.clone() else {
            return Err(shape.err(
                &s.origin,
                format!("call {slot} ended before its tool name arrived"),
            ));
        };
        let value = shape.arguments(args, &name, s.id.as_deref(), at, empty)?;
        let id = s.id.clone();
        s.phase = Phase::Done(ParsedCall {
            invocation: ToolInvocation { name, args: value },
            id,
        });
        self.announce(slot, out);
        self.release(out);
        Ok(())
    }

    /// Send `CallFinished` for every done call not waiting on an earlier
    /// open one.
    fn release(&mut self, out: &mut Vec<StreamEvent>) {
        while let Some(s) = self.slots.get_mut(self.released) {
            if !matches!(s.phase, Phase::Done(_)) {
                break;
            }
            if let Phase::Done(call) = std::mem::replace(&mut s.phase, Phase::Released) {
                s.args = String::new();
                out.push(StreamEvent::CallFinished {
                    index: self.released,
                    call,
                });
            }
            self.released += 1;
        }
    }

    /// Finish every open call from its text, in order (a Chat
    /// `finish_reason`, or the end of a Chat stream).
    pub(super) fn finish_all(&mut self, empty: Empty, out: &mut Vec<StreamEvent>) -> Res<()> {
        for slot in self.released..self.slots.len() {
            if !self.is_open(slot) {
                continue;
            }
            let at = self
                .slots
                .get(slot)
                .map_or_else(Path::root, |s| s.origin.key("arguments"));
            self.finish(slot, empty, &at, out)?;
        }
        Ok(())
    }

    /// The first call still open.
    pub(super) fn first_open(&self) -> Option<usize> {
        (self.released..self.slots.len()).find(|&slot| self.is_open(slot))
    }

    /// At the end of a stream: the first call still open, as the
    /// [`NormalizeError::Incomplete`] it is.
    pub(super) fn unfinished(&self) -> Option<NormalizeError> {
        let s = self.slots.get(self.first_open()?)?;
        Some(NormalizeError::Incomplete {
            format: self.shape.0,
            offset: 0,
            partial: Some(Box::new(PartialCall {
                name: s.name.clone(),
                id: s.id.clone(),
                arguments: s.args.clone(),
            })),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: Shape = Shape("test");

    #[test]
    fn depth_is_measured_without_recursion() {
        assert!(!deeper_than(&json!(1), 0));
        assert!(deeper_than(&json!([]), 0));
        assert!(!deeper_than(&json!({"a": [1]}), 2));
        assert!(deeper_than(&json!({"a": [[1]]}), 2));
    }

    #[test]
    fn the_primary_alternative_is_index_zero() {
        let items = [json!({"index": 1}), json!({"index": 0, "x": 1})];
        assert_eq!(primary(&items).map(|(pos, _)| pos), Some(1));
        assert_eq!(
            primary(&[json!({}), json!({})]).map(|(pos, _)| pos),
            Some(0)
        );
        assert_eq!(primary(&[json!({"index": 3})]), None);
    }

    #[test]
    fn empty_and_unfinished_argument_text() {
        let at = Path::root();
        let args = |text, empty| T.arguments(Args::Text(text), "f", Some("c"), &at, empty);
        assert_eq!(args("  ", Empty::Object).unwrap(), json!({}));
        assert!(args("", Empty::Incomplete).unwrap_err().is_incomplete());
        assert!(
            args("{\"a\": [1", Empty::Object)
                .unwrap_err()
                .is_incomplete()
        );
        assert!(args("\"abc", Empty::Object).unwrap_err().is_incomplete());
        assert_eq!(args("7", Empty::Object).unwrap(), json!(7));
        let err = args("{\"a\": }", Empty::Object).unwrap_err();
        assert!(
            matches!(&err, NormalizeError::Provider { message, .. } if message.contains("`f` (id \"c\")")),
            "{err:?}"
        );
    }

    #[test]
    fn calls_are_released_in_order_and_announced_once_named() {
        let mut calls = Calls::new(T);
        let mut out = Vec::new();
        let at = Path::event(0);
        let a = calls.open(Some(Key::Index(0)), at.clone());
        let b = calls.open(Some(Key::Index(1)), at.clone());
        // Arguments before the name are held, then sent with the start.
        calls.args(a, "{\"x\"", &at, &mut out).unwrap();
        assert!(out.is_empty());
        calls.name(a, "f", &at, &mut out).unwrap();
        calls.args(a, ": 1}", &at, &mut out).unwrap();
        calls.name(b, "g", &at, &mut out).unwrap();
        calls.finish(b, Empty::Object, &at, &mut out).unwrap();
        assert!(
            !out.iter()
                .any(|e| matches!(e, StreamEvent::CallFinished { .. }))
        );
        calls.finish(a, Empty::Object, &at, &mut out).unwrap();
        let order: Vec<usize> = out
            .iter()
            .filter_map(|e| match e {
                StreamEvent::CallFinished { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(order, [0, 1]);
        assert_eq!(
            out.first(),
            Some(&StreamEvent::CallStarted {
                index: 0,
                name: "f".into(),
                id: None
            })
        );
        assert!(calls.args(a, "more", &at, &mut out).is_err());
        assert!(calls.unfinished().is_none());
    }

    #[test]
    fn a_call_that_fails_to_finish_stays_reportable() {
        let mut calls = Calls::new(T);
        let mut out = Vec::new();
        let at = Path::root();
        let slot = calls.open(None, at.clone());
        calls.name(slot, "f", &at, &mut out).unwrap();
        calls.args(slot, "{\"a\":", &at, &mut out).unwrap();
        assert!(
            calls
                .finish(slot, Empty::Object, &at, &mut out)
                .unwrap_err()
                .is_incomplete()
        );
        let Some(NormalizeError::Incomplete { partial, .. }) = calls.unfinished() else {
            panic!("no unfinished call");
        };
        assert_eq!(partial.unwrap().arguments, "{\"a\":");
    }
}
