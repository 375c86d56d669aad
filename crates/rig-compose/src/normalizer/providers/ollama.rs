//! Ollama `/api/chat`.
//!
//! Whole: `message {content, thinking?, tool_calls[] {id?, function
//! {index?, name, arguments}}}` with `arguments` an object. Streamed: a
//! sequence of objects of the same shape (newline-delimited JSON), each
//! tool call whole within one chunk; the last has `done: true`.

use serde_json::Value;

use super::Provider;
use super::common::{Args, CallSpec, Calls, Collect, Emit, Path, Res, Shape, Whole};
use crate::normalizer::stream::StreamEvent;
use crate::normalizer::text::Normalized;

const SHAPE: Shape = Shape(Provider::Ollama.name());

/// A whole (non-streamed) chat response.
pub(super) fn whole(value: &Value) -> Res<Normalized> {
    let root = Path::root();
    let mut out = Whole::new(SHAPE);
    let response = SHAPE.object(value, &root, "a chat response object")?;
    if !response.contains_key("message") {
        if let Some(error) = response.get("error") {
            return Err(SHAPE.reported(&root.key("error"), error));
        }
        return Err(SHAPE.err(&root, "missing `message` object"));
    }
    read(value, &root, &mut out)?;
    Ok(out.done())
}

/// One response or stream chunk.
fn read(value: &Value, at: &Path, out: &mut dyn Collect) -> Res<()> {
    let chunk = SHAPE.object(value, at, "a chat response object")?;
    if let Some(error) = chunk.get("error") {
        return Err(SHAPE.reported(&at.key("error"), error));
    }
    let Some(message) = SHAPE.opt_object(chunk, "message", at)? else {
        return Ok(());
    };
    let at = at.key("message");
    if let Some(thinking) = SHAPE.opt_str(message, "thinking", &at)? {
        out.reasoning(thinking);
    }
    if let Some(content) = SHAPE.opt_str(message, "content", &at)? {
        out.text(content);
    }
    let calls_at = at.key("tool_calls");
    for (pos, call) in SHAPE
        .opt_array(message, "tool_calls", &at)?
        .iter()
        .enumerate()
    {
        let at = calls_at.at(pos);
        let call = SHAPE.object(call, &at, "a tool call object")?;
        let fn_at = at.key("function");
        let function = SHAPE.req_object(call, "function", &at)?;
        let id = match SHAPE.opt_id(call, "id", &at)? {
            Some(id) => Some(id),
            None => SHAPE.opt_id(function, "id", &fn_at)?,
        };
        out.call(CallSpec {
            name: SHAPE.req_str(function, "name", &fn_at)?,
            id,
            args: function.get("arguments").map_or(Args::Missing, Args::Value),
            name_at: fn_at.key("name"),
            args_at: fn_at.key("arguments"),
        })?;
    }
    Ok(())
}

/// Streaming state: only the call numbering, since every call arrives
/// whole.
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
        let mut emit = Emit {
            calls: &mut self.calls,
            out,
        };
        read(event, at, &mut emit)
    }

    pub(super) fn finish(&mut self, _out: &mut Vec<StreamEvent>) -> Res<()> {
        Ok(())
    }
}
