//! Cohere chat, API v2 and v1.
//!
//! v2 whole: `message {content[] (text / thinking parts), tool_plan,
//! tool_calls[] {id, type, function {name, arguments}}}` with `arguments`
//! JSON text, as in OpenAI Chat. The `tool_plan` (what the model means to
//! do with the tools) is reported as reasoning. v2 streamed: typed events
//! `content-delta`, `tool-plan-delta`, `tool-call-start`,
//! `tool-call-delta` and `tool-call-end`, matched by `index`.
//!
//! v1 whole: `text` and `tool_calls[] {name, parameters}` with
//! `parameters` an object and no ids. v1 streamed: `event_type`
//! `text-generation`, `tool-calls-chunk` (`tool_call_delta {index, name,
//! parameters}` with parameter text in pieces, and the tool plan as `text`)
//! and `tool-calls-generation`, which lists the finished calls.

use serde_json::Value;

use super::Provider;
use super::common::{
    Args, CallSpec, Calls, Collect, Empty, Key, Obj, Path, Res, Shape, Whole, reasoning_event,
    text_event,
};
use crate::normalizer::stream::StreamEvent;
use crate::normalizer::text::Normalized;

const V2: Shape = Shape(Provider::CohereV2.name());
const V1: Shape = Shape(Provider::CohereV1.name());

// ── v2 ────────────────────────────────────────────────────────────────────

/// A whole v2 chat response.
pub(super) fn whole_v2(value: &Value) -> Res<Normalized> {
    let root = Path::root();
    let response = V2.object(value, &root, "a chat response object")?;
    let at = root.key("message");
    let message = V2.req_object(response, "message", &root)?;
    let mut out = Whole::new(V2);
    match message.get("content") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => out.text(text),
        Some(Value::Array(parts)) => {
            let content_at = at.key("content");
            for (pos, part) in parts.iter().enumerate() {
                let at = content_at.at(pos);
                let part = V2.object(part, &at, "a content part")?;
                content_part(part, &at, &mut out)?;
            }
        }
        Some(_) => {
            return Err(V2.err(
                &at.key("content"),
                "expected `content` to be an array of parts",
            ));
        }
    }
    if let Some(plan) = V2.opt_str(message, "tool_plan", &at)? {
        out.reasoning(plan);
    }
    let calls_at = at.key("tool_calls");
    for (pos, call) in V2.opt_array(message, "tool_calls", &at)?.iter().enumerate() {
        let at = calls_at.at(pos);
        let call = V2.object(call, &at, "a tool call object")?;
        let id = V2.opt_id(call, "id", &at)?;
        let fn_at = at.key("function");
        let function = V2.req_object(call, "function", &at)?;
        out.call(CallSpec {
            name: V2.req_str(function, "name", &fn_at)?,
            id,
            args: function.get("arguments").map_or(Args::Missing, Args::Value),
            name_at: fn_at.key("name"),
            args_at: fn_at.key("arguments"),
        })?;
    }
    Ok(out.done())
}

/// A `text` or `thinking` content part (whole, or a streamed piece).
fn content_part(part: &Obj, at: &Path, out: &mut dyn Collect) -> Res<()> {
    if let Some(text) = V2.opt_str(part, "text", at)? {
        out.text(text);
    }
    if let Some(thinking) = V2.opt_str(part, "thinking", at)? {
        out.reasoning(thinking);
    }
    Ok(())
}

/// Text and reasoning of streamed content parts, as events.
struct Events<'a>(&'a mut Vec<StreamEvent>);

impl Collect for Events<'_> {
    fn text(&mut self, text: &str) {
        text_event(self.0, text);
    }

    fn reasoning(&mut self, text: &str) {
        reasoning_event(self.0, text);
    }

    fn call(&mut self, call: CallSpec<'_>) -> Res<()> {
        Err(V2.err(&call.name_at, "unexpected tool call inside content"))
    }
}

/// `delta.message` of a v2 event.
fn delta_message<'v>(event: &'v Obj, at: &Path) -> Res<Option<(&'v Obj, Path)>> {
    let Some(delta) = V2.opt_object(event, "delta", at)? else {
        return Ok(None);
    };
    let at = at.key("delta");
    Ok(V2
        .opt_object(delta, "message", &at)?
        .map(|m| (m, at.key("message"))))
}

/// v2 streaming state: calls by `index`.
#[derive(Debug, Clone)]
pub(super) struct StreamV2 {
    calls: Calls,
}

impl StreamV2 {
    pub(super) fn new() -> Self {
        Self {
            calls: Calls::new(V2),
        }
    }

    pub(super) fn event(
        &mut self,
        event: &Value,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        let event = V2.object(event, at, "a stream event object")?;
        match V2.req_str(event, "type", at)? {
            "content-start" | "content-delta" => {
                if let Some((message, at)) = delta_message(event, at)?
                    && let Some(part) = V2.opt_object(message, "content", &at)?
                {
                    content_part(part, &at.key("content"), &mut Events(out))?;
                }
            }
            "tool-plan-delta" => {
                if let Some((message, at)) = delta_message(event, at)?
                    && let Some(plan) = V2.opt_str(message, "tool_plan", &at)?
                {
                    reasoning_event(out, plan);
                }
            }
            "tool-call-start" => {
                let index = Self::index(event, at)?;
                let slot = self.calls.open(Some(Key::Index(index)), at.clone());
                if let Some((call, call_at)) = self.call_delta(event, at)? {
                    self.function(slot, call, &call_at, out)?;
                }
            }
            "tool-call-delta" => {
                let index = Self::index(event, at)?;
                let slot = match self.calls.find(&Key::Index(index)) {
                    Some(slot) => slot,
                    None => self.calls.open(Some(Key::Index(index)), at.clone()),
                };
                if let Some((call, call_at)) = self.call_delta(event, at)? {
                    self.function(slot, call, &call_at, out)?;
                }
            }
            "tool-call-end" => {
                let index = Self::index(event, at)?;
                let Some(slot) = self.calls.find(&Key::Index(index)) else {
                    return Err(V2.err(
                        &at.key("index"),
                        format!("end of tool call {index}, which was never started"),
                    ));
                };
                self.calls
                    .finish(slot, Empty::Object, &at.key("index"), out)?;
            }
            // message-start / message-end / content-end / citations, and
            // event types added later.
            _ => {}
        }
        Ok(())
    }

    fn index(event: &Obj, at: &Path) -> Res<u64> {
        V2.opt_index(event, "index", at)?
            .ok_or_else(|| V2.err(at, "missing tool call `index`"))
    }

    /// `delta.message.tool_calls`: one call object (an array of one is
    /// accepted too).
    fn call_delta<'v>(&self, event: &'v Obj, at: &Path) -> Res<Option<(&'v Obj, Path)>> {
        let Some((message, at)) = delta_message(event, at)? else {
            return Ok(None);
        };
        let at = at.key("tool_calls");
        match message.get("tool_calls") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(call)) => Ok(Some((call, at))),
            Some(Value::Array(calls)) if calls.len() == 1 => {
                let at = at.at(0);
                let call = calls.first().map_or(Ok(None), |c| {
                    V2.object(c, &at, "a tool call object").map(Some)
                })?;
                Ok(call.map(|c| (c, at)))
            }
            Some(_) => Err(V2.err(&at, "expected one tool call object")),
        }
    }

    fn function(
        &mut self,
        slot: usize,
        call: &Obj,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        if let Some(id) = V2.opt_id(call, "id", at)? {
            self.calls.id(slot, id);
        }
        let Some(function) = V2.opt_object(call, "function", at)? else {
            return Ok(());
        };
        let at = at.key("function");
        if let Some(name) = V2.opt_str(function, "name", &at)?
            && !name.is_empty()
        {
            self.calls.name(slot, name, &at.key("name"), out)?;
        }
        if let Some(fragment) = V2.opt_str(function, "arguments", &at)? {
            self.calls.args(slot, fragment, &at.key("arguments"), out)?;
        }
        Ok(())
    }

    /// End of stream: a call without `tool-call-end` is unfinished.
    pub(super) fn finish(&mut self, _out: &mut Vec<StreamEvent>) -> Res<()> {
        match self.calls.unfinished() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

// ── v1 ────────────────────────────────────────────────────────────────────

/// A whole v1 chat response.
pub(super) fn whole_v1(value: &Value) -> Res<Normalized> {
    let root = Path::root();
    let response = V1.object(value, &root, "a chat response object")?;
    let mut out = Whole::new(V1);
    if let Some(text) = V1.opt_str(response, "text", &root)? {
        out.text(text);
    }
    read_v1_calls(response, &root, &mut out)?;
    Ok(out.done())
}

/// `tool_calls[] {name, parameters}` of a response or a
/// `tool-calls-generation` event.
fn read_v1_calls(object: &Obj, at: &Path, out: &mut dyn Collect) -> Res<()> {
    let calls_at = at.key("tool_calls");
    for (pos, call) in V1.opt_array(object, "tool_calls", at)?.iter().enumerate() {
        let at = calls_at.at(pos);
        let call = V1.object(call, &at, "a tool call object")?;
        out.call(v1_spec(call, &at)?)?;
    }
    Ok(())
}

fn v1_spec<'v>(call: &'v Obj, at: &Path) -> Res<CallSpec<'v>> {
    Ok(CallSpec {
        name: V1.req_str(call, "name", at)?,
        id: None,
        args: call.get("parameters").map_or(Args::Missing, Args::Value),
        name_at: at.key("name"),
        args_at: at.key("parameters"),
    })
}

/// v1 streaming state: calls announced by chunks, by `index`.
#[derive(Debug, Clone)]
pub(super) struct StreamV1 {
    calls: Calls,
    /// Whether the tool plan came as chunk text (then the copy in
    /// `tool-calls-generation` is not sent again).
    plan_streamed: bool,
}

impl StreamV1 {
    pub(super) fn new() -> Self {
        Self {
            calls: Calls::new(V1),
            plan_streamed: false,
        }
    }

    pub(super) fn event(
        &mut self,
        event: &Value,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        let event = V1.object(event, at, "a stream event object")?;
        match V1.req_str(event, "event_type", at)? {
            "text-generation" => {
                text_event(out, V1.opt_str(event, "text", at)?.unwrap_or(""));
            }
            "tool-calls-chunk" => {
                if let Some(text) = V1.opt_str(event, "text", at)?
                    && !text.is_empty()
                {
                    self.plan_streamed = true;
                    text_event(out, text);
                }
                if let Some(delta) = V1.opt_object(event, "tool_call_delta", at)? {
                    self.chunk(delta, &at.key("tool_call_delta"), out)?;
                }
            }
            "tool-calls-generation" => self.generation(event, at, out)?,
            // stream-start / stream-end / search and citation events, and
            // event types added later.
            _ => {}
        }
        Ok(())
    }

    fn chunk(&mut self, delta: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        let slot = match V1.opt_index(delta, "index", at)? {
            Some(index) => match self.calls.find(&Key::Index(index)) {
                Some(slot) => slot,
                None => self.calls.open(Some(Key::Index(index)), at.clone()),
            },
            None => match self.calls.last_open() {
                Some(slot) => slot,
                None => self.calls.open(None, at.clone()),
            },
        };
        if let Some(name) = V1.opt_str(delta, "name", at)?
            && !name.is_empty()
        {
            self.calls.name(slot, name, &at.key("name"), out)?;
        }
        if let Some(fragment) = V1.opt_str(delta, "parameters", at)? {
            self.calls
                .args(slot, fragment, &at.key("parameters"), out)?;
        }
        Ok(())
    }

    /// The finished calls, in order; those announced by chunks are
    /// matched by position.
    fn generation(&mut self, event: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        if !self.plan_streamed
            && let Some(text) = V1.opt_str(event, "text", at)?
        {
            text_event(out, text);
        }
        let calls_at = at.key("tool_calls");
        let calls = V1.opt_array(event, "tool_calls", at)?;
        for (pos, call) in calls.iter().enumerate() {
            let at = calls_at.at(pos);
            let call = V1.object(call, &at, "a tool call object")?;
            let spec = v1_spec(call, &at)?;
            let slot = match self.calls.find(&Key::Index(pos as u64)) {
                Some(slot) if self.calls.is_open(slot) => slot,
                _ => self.calls.open(None, at.clone()),
            };
            self.calls.name(slot, spec.name, &spec.name_at, out)?;
            self.calls
                .finish_with(slot, spec.args, &spec.args_at, out)?;
        }
        if let Some(slot) = self.calls.first_open() {
            let name = self.calls.name_of(slot).unwrap_or("?");
            return Err(V1.err(
                &calls_at,
                format!(
                    "call {slot} (`{name}`), announced by tool-calls-chunk events, is missing from the {} finished calls",
                    calls.len()
                ),
            ));
        }
        Ok(())
    }

    /// End of stream: a call never listed by `tool-calls-generation` is
    /// unfinished.
    pub(super) fn finish(&mut self, _out: &mut Vec<StreamEvent>) -> Res<()> {
        match self.calls.unfinished() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}
