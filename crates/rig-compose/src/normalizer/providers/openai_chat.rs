//! OpenAI Chat Completions (and the many servers that copy it: vLLM,
//! llama.cpp, SGLang, Mistral, DeepSeek, OpenRouter, ...).
//!
//! Whole: `choices[i].message` with `content`, `tool_calls[] {id, type,
//! function {name, arguments}}` where `arguments` is JSON text, and the
//! non-standard `reasoning_content` / `reasoning` that reasoning servers
//! add. Streamed: `choices[i].delta` with the same members in pieces; a
//! call's first delta carries its `index`, `id` and name, later ones only
//! `index` and argument text. Parallel calls interleave by `index`. Calls
//! finish when the choice's `finish_reason` arrives (or, failing that, at
//! the end of the stream if their JSON is complete).

use serde_json::Value;

use super::Provider;
use super::common::{
    Args, CallSpec, Calls, Collect, Empty, Key, Obj, Path, Res, Shape, Whole, primary,
    reasoning_event, text_event,
};
use crate::normalizer::stream::StreamEvent;
use crate::normalizer::text::Normalized;

const SHAPE: Shape = Shape(Provider::OpenAiChat.name());

/// A whole response, or a bare assistant message.
pub(super) fn whole(value: &Value) -> Res<Normalized> {
    let root = Path::root();
    let object = SHAPE.object(value, &root, "a chat completion object")?;
    let mut out = Whole::new(SHAPE);
    if object.contains_key("choices") {
        let at = root.key("choices");
        let choices = SHAPE.opt_array(object, "choices", &root)?;
        if let Some((pos, choice)) = primary(choices) {
            let at = at.at(pos);
            let choice = SHAPE.object(choice, &at, "a choice object")?;
            let message = SHAPE.req_object(choice, "message", &at)?;
            read_message(message, &at.key("message"), &mut out)?;
        }
    } else if ["role", "content", "tool_calls", "function_call"]
        .iter()
        .any(|key| object.contains_key(*key))
    {
        read_message(object, &root, &mut out)?;
    } else {
        return Err(SHAPE.err(&root, "expected `choices` or a message"));
    }
    Ok(out.done())
}

/// Visible text: a string, or (some servers) an array of text parts.
fn read_content(object: &Obj, at: &Path, text_out: &mut dyn FnMut(&str)) -> Res<()> {
    match object.get("content") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => text_out(text),
        Some(Value::Array(parts)) => {
            let at = at.key("content");
            for (pos, part) in parts.iter().enumerate() {
                let at = at.at(pos);
                let part = SHAPE.object(part, &at, "a content part")?;
                if let Some(text) = SHAPE.opt_str(part, "text", &at)? {
                    text_out(text);
                }
            }
        }
        Some(_) => {
            return Err(SHAPE.err(
                &at.key("content"),
                "expected `content` to be a string or an array of parts",
            ));
        }
    }
    if let Some(refusal) = SHAPE.opt_str(object, "refusal", at)? {
        text_out(refusal);
    }
    Ok(())
}

/// Reasoning text under the names reasoning servers use; the first one
/// present wins, since some servers send the same text under both.
fn reasoning_of<'v>(object: &'v Obj, at: &Path) -> Res<Option<&'v str>> {
    match SHAPE.opt_str(object, "reasoning_content", at)? {
        Some(text) => Ok(Some(text)),
        None => SHAPE.opt_str(object, "reasoning", at),
    }
}

fn read_message(message: &Obj, at: &Path, out: &mut Whole) -> Res<()> {
    if let Some(reasoning) = reasoning_of(message, at)? {
        out.reasoning(reasoning);
    }
    read_content(message, at, &mut |text| out.text(text))?;
    let calls_at = at.key("tool_calls");
    for (pos, call) in SHAPE
        .opt_array(message, "tool_calls", at)?
        .iter()
        .enumerate()
    {
        let at = calls_at.at(pos);
        let call = SHAPE.object(call, &at, "a tool call object")?;
        check_type(call, &at)?;
        let id = SHAPE.opt_id(call, "id", &at)?;
        let fn_at = at.key("function");
        let function = SHAPE.req_object(call, "function", &at)?;
        out.call(spec(function, id, &fn_at)?)?;
    }
    // The pre-`tools` API: one call, no id.
    if let Some(function) = SHAPE.opt_object(message, "function_call", at)? {
        out.call(spec(function, None, &at.key("function_call"))?)?;
    }
    Ok(())
}

/// Only `function` tool calls carry a name and JSON arguments.
fn check_type(call: &Obj, at: &Path) -> Res<()> {
    match SHAPE.opt_str(call, "type", at)? {
        None | Some("function") => Ok(()),
        Some(other) => Err(SHAPE.err(
            &at.key("type"),
            format!("unsupported tool call type `{other}`"),
        )),
    }
}

fn spec<'v>(function: &'v Obj, id: Option<String>, at: &Path) -> Res<CallSpec<'v>> {
    let name = SHAPE.req_str(function, "name", at)?;
    let args = match function.get("arguments") {
        None => Args::Missing,
        Some(Value::String(text)) => Args::Text(text),
        // Some compatible servers send the object itself.
        Some(value @ (Value::Object(_) | Value::Null)) => Args::Value(value),
        Some(_) => {
            return Err(SHAPE.err(
                &at.key("arguments"),
                "expected `arguments` to be a JSON string",
            ));
        }
    };
    Ok(CallSpec {
        name,
        id,
        args,
        name_at: at.key("name"),
        args_at: at.key("arguments"),
    })
}

/// Streaming state: the calls of the first choice, by `index`.
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
        let chunk = SHAPE.object(event, at, "a chat completion chunk")?;
        if let Some(error) = chunk.get("error") {
            return Err(SHAPE.reported(&at.key("error"), error));
        }
        let choices_at = at.key("choices");
        // The last chunk may carry only `usage`, with no choices.
        for (pos, choice) in SHAPE.opt_array(chunk, "choices", at)?.iter().enumerate() {
            let at = choices_at.at(pos);
            let choice = SHAPE.object(choice, &at, "a choice object")?;
            let index = SHAPE.opt_index(choice, "index", &at)?.unwrap_or(pos as u64);
            if index != 0 {
                continue;
            }
            if let Some(delta) = SHAPE.opt_object(choice, "delta", &at)? {
                self.delta(delta, &at.key("delta"), out)?;
            }
            if SHAPE.opt_str(choice, "finish_reason", &at)?.is_some() {
                // `length` included: a call cut by it has incomplete JSON
                // and is reported as such.
                self.calls.finish_all(Empty::Object, out)?;
            }
        }
        Ok(())
    }

    fn delta(&mut self, delta: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        if let Some(reasoning) = reasoning_of(delta, at)? {
            reasoning_event(out, reasoning);
        }
        read_content(delta, at, &mut |text| text_event(out, text))?;
        let calls_at = at.key("tool_calls");
        for (pos, call) in SHAPE.opt_array(delta, "tool_calls", at)?.iter().enumerate() {
            let at = calls_at.at(pos);
            let call = SHAPE.object(call, &at, "a tool call delta")?;
            self.call_delta(call, &at, out)?;
        }
        if let Some(function) = SHAPE.opt_object(delta, "function_call", at)? {
            let at = at.key("function_call");
            let slot = match self.calls.find(&Key::Legacy) {
                Some(slot) => slot,
                None => self.calls.open(Some(Key::Legacy), at.clone()),
            };
            self.function_delta(slot, function, &at, out)?;
        }
        Ok(())
    }

    fn call_delta(&mut self, call: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        check_type(call, at)?;
        let id = SHAPE.opt_id(call, "id", at)?;
        let fn_at = at.key("function");
        let slot = match (SHAPE.opt_index(call, "index", at)?, &id) {
            (Some(index), _) => match self.calls.find(&Key::Index(index)) {
                Some(slot) => slot,
                None => self.calls.open(Some(Key::Index(index)), fn_at.clone()),
            },
            // Servers that leave out `index`: a new id is a new call, and
            // a delta without either continues the latest call.
            (None, Some(id)) => match self.calls.find(&Key::Id(id.clone())) {
                Some(slot) => slot,
                None => self.calls.open(Some(Key::Id(id.clone())), fn_at.clone()),
            },
            (None, None) => match self.calls.last_open() {
                Some(slot) => slot,
                None => self.calls.open(None, fn_at.clone()),
            },
        };
        if let Some(id) = id {
            self.calls.alias(Key::Id(id.clone()), slot);
            self.calls.id(slot, id);
        }
        if let Some(function) = SHAPE.opt_object(call, "function", at)? {
            self.function_delta(slot, function, &fn_at, out)?;
        }
        Ok(())
    }

    fn function_delta(
        &mut self,
        slot: usize,
        function: &Obj,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        if let Some(name) = SHAPE.opt_str(function, "name", at)?
            && !name.is_empty()
        {
            self.calls.name(slot, name, &at.key("name"), out)?;
        }
        let args_at = at.key("arguments");
        match function.get("arguments") {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(fragment)) => self.calls.args(slot, fragment, &args_at, out),
            // A server that sends the decoded object sends it whole.
            Some(value @ Value::Object(_)) => {
                self.calls.args(slot, &value.to_string(), &args_at, out)
            }
            Some(_) => Err(SHAPE.err(&args_at, "expected `arguments` to be a string fragment")),
        }
    }

    /// End of stream: calls whose `finish_reason` never came still count
    /// if their JSON is complete; anything else is unfinished.
    pub(super) fn finish(&mut self, out: &mut Vec<StreamEvent>) -> Res<()> {
        self.calls.finish_all(Empty::Incomplete, out)
    }
}
