//! OpenAI Responses API.
//!
//! Whole: `output[]` items: `message` (`content[]` parts `output_text` /
//! `refusal`), `reasoning` (`summary[]` `summary_text` and `content[]`
//! `reasoning_text`) and `function_call {id, call_id, name, arguments,
//! status}`. Other item types (hosted tools: web search, file search, ...)
//! are run by OpenAI, not by the caller, and are skipped.
//!
//! Streamed: typed events. A call starts with `response.output_item.added`,
//! grows with `response.function_call_arguments.delta {item_id, delta}`
//! and ends with `response.function_call_arguments.done` or
//! `response.output_item.done`; events find their call by `item_id`
//! (falling back to `output_index`). The call id reported is `call_id`,
//! the id a `function_call_output` must echo.

use serde_json::Value;

use super::Provider;
use super::common::{
    Args, CallSpec, Calls, Collect, Empty, Key, Obj, Path, Res, Shape, Whole, kind,
    reasoning_event, text_event,
};
use crate::normalizer::stream::StreamEvent;
use crate::normalizer::text::Normalized;

const SHAPE: Shape = Shape(Provider::OpenAiResponses.name());

/// A whole response (`{"output": [...]}`) or its `output` array.
pub(super) fn whole(value: &Value) -> Res<Normalized> {
    let root = Path::root();
    let (items, at) = match value {
        Value::Array(items) => (items.as_slice(), root),
        Value::Object(object) => {
            if !object.contains_key("output") {
                return Err(SHAPE.err(&root, "missing `output` array"));
            }
            let at = root.key("output");
            (SHAPE.opt_array(object, "output", &root)?, at)
        }
        other => {
            return Err(SHAPE.err(
                &root,
                format!("expected a response object, found {}", kind(other)),
            ));
        }
    };
    let mut out = Whole::new(SHAPE);
    for (pos, item) in items.iter().enumerate() {
        let at = at.at(pos);
        let item = SHAPE.object(item, &at, "an output item")?;
        match SHAPE.opt_str(item, "type", &at)? {
            Some("message") => message_text(item, &at, &mut |text| out.text(text))?,
            Some("reasoning") => reasoning_text(item, &at, &mut |text| out.reasoning(text))?,
            Some("function_call") => {
                let call = call_item(item, &at)?;
                if unfinished(item, &at)? {
                    return Err(SHAPE.incomplete(call.name, call.id.as_deref(), text_of(&call)));
                }
                out.call(call)?;
            }
            _ => {}
        }
    }
    Ok(out.done())
}

fn text_of<'v>(call: &CallSpec<'v>) -> &'v str {
    match call.args {
        Args::Text(text) => text,
        _ => "",
    }
}

/// An item whose `status` says it was cut short (`incomplete`, at
/// `max_output_tokens`) or not yet done (`in_progress`).
fn unfinished(item: &Obj, at: &Path) -> Res<bool> {
    Ok(matches!(
        SHAPE.opt_str(item, "status", at)?,
        Some("incomplete" | "in_progress")
    ))
}

/// Text of a `message` item: `output_text` parts, and refusals (what the
/// user sees instead of an answer).
fn message_text(item: &Obj, at: &Path, out: &mut dyn FnMut(&str)) -> Res<()> {
    let content_at = at.key("content");
    for (pos, part) in SHAPE.opt_array(item, "content", at)?.iter().enumerate() {
        let at = content_at.at(pos);
        let part = SHAPE.object(part, &at, "a content part")?;
        match SHAPE.opt_str(part, "type", &at)? {
            Some("output_text") => out(SHAPE.req_str(part, "text", &at)?),
            Some("refusal") => out(SHAPE.req_str(part, "refusal", &at)?),
            _ => {}
        }
    }
    Ok(())
}

/// Reasoning of a `reasoning` item: its summary, then any raw reasoning
/// text (open-weight models served through the Responses API).
fn reasoning_text(item: &Obj, at: &Path, out: &mut dyn FnMut(&str)) -> Res<()> {
    for key in ["summary", "content"] {
        let list_at = at.key(key);
        for (pos, part) in SHAPE.opt_array(item, key, at)?.iter().enumerate() {
            let at = list_at.at(pos);
            let part = SHAPE.object(part, &at, "a reasoning part")?;
            if let Some(text) = SHAPE.opt_str(part, "text", &at)? {
                out(text);
            }
        }
    }
    Ok(())
}

fn call_item<'v>(item: &'v Obj, at: &Path) -> Res<CallSpec<'v>> {
    let name = SHAPE.req_str(item, "name", at)?;
    let id = match SHAPE.opt_id(item, "call_id", at)? {
        Some(id) => Some(id),
        None => SHAPE.opt_id(item, "id", at)?,
    };
    let args = match SHAPE.opt_str(item, "arguments", at)? {
        Some(text) => Args::Text(text),
        None => Args::Missing,
    };
    Ok(CallSpec {
        name,
        id,
        args,
        name_at: at.key("name"),
        args_at: at.key("arguments"),
    })
}

/// Streaming state: calls by item id and output index.
#[derive(Debug, Clone)]
pub(super) struct Stream {
    calls: Calls,
}

impl Stream {
    pub(super) fn new() -> Self {
        Self {
            calls: Calls::new(SHAPE),
        }
    }

    pub(super) fn event(
        &mut self,
        event: &Value,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        let event = SHAPE.object(event, at, "a stream event object")?;
        let kind = SHAPE.req_str(event, "type", at)?;
        match kind {
            "response.output_text.delta" | "response.refusal.delta" => {
                text_event(out, SHAPE.req_str(event, "delta", at)?)
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                reasoning_event(out, SHAPE.req_str(event, "delta", at)?);
            }
            "response.output_item.added" => self.item_added(event, at, out)?,
            "response.function_call_arguments.delta" => {
                let slot = self.slot_for(event, at)?;
                let delta = SHAPE.req_str(event, "delta", at)?;
                self.calls.args(slot, delta, &at.key("delta"), out)?;
            }
            "response.function_call_arguments.done" => {
                let slot = self.slot_for(event, at)?;
                if let Some(name) = SHAPE.opt_str(event, "name", at)? {
                    self.calls.name(slot, name, &at.key("name"), out)?;
                }
                let args_at = at.key("arguments");
                if let Some(full) = SHAPE.opt_str(event, "arguments", at)? {
                    self.calls.settle_args(slot, full, &args_at, out)?;
                }
                self.calls.finish(slot, Empty::Object, &args_at, out)?;
            }
            "response.output_item.done" => self.item_done(event, at, out)?,
            "error" => return Err(SHAPE.reported(at, &Value::Object(event.clone()))),
            "response.failed" => {
                let error = event
                    .get("response")
                    .and_then(|r| r.get("error"))
                    .cloned()
                    .unwrap_or(Value::Null);
                return Err(SHAPE.reported(&at.key("response"), &error));
            }
            // Lifecycle events, `…done` repeats of streamed text, and event
            // types added after this was written.
            _ => {}
        }
        Ok(())
    }

    fn item_added(&mut self, event: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        let item_at = at.key("item");
        let item = SHAPE.req_object(event, "item", at)?;
        if SHAPE.opt_str(item, "type", &item_at)? != Some("function_call") {
            return Ok(());
        }
        let key = SHAPE.opt_id(item, "id", &item_at)?.map(Key::Id);
        let slot = self.calls.open(key, item_at.clone());
        if let Some(index) = SHAPE.opt_index(event, "output_index", at)? {
            self.calls.alias(Key::Index(index), slot);
        }
        self.fill(slot, item, &item_at, out)
    }

    /// Copy what an item already says (id, name, argument text).
    fn fill(&mut self, slot: usize, item: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        let call_id = SHAPE.opt_id(item, "call_id", at)?;
        if let Some(id) = call_id.or(SHAPE.opt_id(item, "id", at)?) {
            self.calls.id(slot, id);
        }
        if let Some(name) = SHAPE.opt_str(item, "name", at)? {
            self.calls.name(slot, name, &at.key("name"), out)?;
        }
        if let Some(text) = SHAPE.opt_str(item, "arguments", at)? {
            self.calls
                .settle_args(slot, text, &at.key("arguments"), out)?;
        }
        Ok(())
    }

    /// The call an argument event is about: by `item_id`, else by
    /// `output_index`; a call never announced is tracked from here on.
    fn slot_for(&mut self, event: &Obj, at: &Path) -> Res<usize> {
        let item_id = SHAPE.opt_id(event, "item_id", at)?;
        let index = SHAPE.opt_index(event, "output_index", at)?;
        if let Some(slot) = item_id.clone().and_then(|id| self.calls.find(&Key::Id(id))) {
            return Ok(slot);
        }
        if let Some(slot) = index.and_then(|i| self.calls.find(&Key::Index(i))) {
            return Ok(slot);
        }
        if item_id.is_none() && index.is_none() {
            return Err(SHAPE.err(at, "argument event without `item_id` or `output_index`"));
        }
        let slot = self.calls.open(item_id.map(Key::Id), at.clone());
        if let Some(index) = index {
            self.calls.alias(Key::Index(index), slot);
        }
        Ok(slot)
    }

    fn item_done(&mut self, event: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        let item_at = at.key("item");
        let item = SHAPE.req_object(event, "item", at)?;
        if SHAPE.opt_str(item, "type", &item_at)? != Some("function_call") {
            return Ok(());
        }
        let by_id = SHAPE
            .opt_id(item, "id", &item_at)?
            .and_then(|id| self.calls.find(&Key::Id(id)));
        let by_index = SHAPE
            .opt_index(event, "output_index", at)?
            .and_then(|i| self.calls.find(&Key::Index(i)));
        let slot = match by_id.or(by_index) {
            Some(slot) if !self.calls.is_open(slot) => return Ok(()),
            Some(slot) => slot,
            None => self.calls.open(None, item_at.clone()),
        };
        self.fill(slot, item, &item_at, out)?;
        if unfinished(item, &item_at)? {
            // Leave it open: the end of the stream reports it.
            return Ok(());
        }
        self.calls
            .finish(slot, Empty::Object, &item_at.key("arguments"), out)
    }

    /// End of stream: a call without its `done` event is unfinished.
    pub(super) fn finish(&mut self, _out: &mut Vec<StreamEvent>) -> Res<()> {
        match self.calls.unfinished() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}
