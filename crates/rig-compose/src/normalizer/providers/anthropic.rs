//! Anthropic Messages API.
//!
//! Whole: `content[]` blocks `text`, `thinking` and `tool_use {id, name,
//! input}`; other blocks (redacted thinking, server-side tools and their
//! results) are skipped. Streamed: `content_block_start` opens a block by
//! `index` (a `tool_use` with `input: {}`), `content_block_delta` carries
//! `text_delta`, `thinking_delta` or `input_json_delta.partial_json`, and
//! `content_block_stop` ends it, which is when a call finishes.

use std::collections::HashMap;

use serde_json::Value;

use super::Provider;
use super::common::{
    Args, CallSpec, Calls, Collect, Empty, Key, Obj, Path, Res, Shape, Whole, reasoning_event,
    text_event,
};
use crate::normalizer::stream::StreamEvent;
use crate::normalizer::text::Normalized;

const SHAPE: Shape = Shape(Provider::Anthropic.name());

/// A whole message (`{"content": [...], "stop_reason": ...}`).
pub(super) fn whole(value: &Value) -> Res<Normalized> {
    let root = Path::root();
    let message = SHAPE.object(value, &root, "a message object")?;
    if !message.contains_key("content") {
        return Err(SHAPE.err(&root, "missing `content` array"));
    }
    let blocks = SHAPE.opt_array(message, "content", &root)?;
    let blocks_at = root.key("content");
    // Cut at max_tokens inside a tool_use block, the API still returns the
    // block with whatever input it could decode: the last call is not a
    // call the model finished.
    let truncated = SHAPE.opt_str(message, "stop_reason", &root)? == Some("max_tokens");
    let mut out = Whole::new(SHAPE);
    for (pos, block) in blocks.iter().enumerate() {
        let at = blocks_at.at(pos);
        let block = SHAPE.object(block, &at, "a content block")?;
        match SHAPE.opt_str(block, "type", &at)? {
            Some("text") => out.text(SHAPE.req_str(block, "text", &at)?),
            Some("thinking") => out.reasoning(SHAPE.req_str(block, "thinking", &at)?),
            Some("tool_use") => {
                let call = tool_use(block, &at)?;
                if truncated && pos + 1 == blocks.len() {
                    let input = block.get("input").map(Value::to_string).unwrap_or_default();
                    return Err(SHAPE.incomplete(call.name, call.id.as_deref(), &input));
                }
                out.call(call)?;
            }
            _ => {}
        }
    }
    Ok(out.done())
}

fn tool_use<'v>(block: &'v Obj, at: &Path) -> Res<CallSpec<'v>> {
    Ok(CallSpec {
        name: SHAPE.req_str(block, "name", at)?,
        id: SHAPE.opt_id(block, "id", at)?,
        args: block.get("input").map_or(Args::Missing, Args::Value),
        name_at: at.key("name"),
        args_at: at.key("input"),
    })
}

/// What a started block is.
#[derive(Debug, Clone)]
enum Block {
    /// A client tool call, and the `input` its start event carried (used
    /// when no `partial_json` follows).
    Tool { slot: usize, preset: Option<Value> },
    /// Text, thinking, or something whose deltas are not ours
    /// (`server_tool_use` also streams `input_json_delta`).
    Other,
}

/// Streaming state: open blocks by index.
#[derive(Debug, Clone)]
pub(super) struct Stream {
    calls: Calls,
    blocks: HashMap<u64, Block>,
}

impl Stream {
    pub(super) fn new() -> Self {
        Self {
            calls: Calls::new(SHAPE),
            blocks: HashMap::new(),
        }
    }

    pub(super) fn event(
        &mut self,
        event: &Value,
        at: &Path,
        out: &mut Vec<StreamEvent>,
    ) -> Res<()> {
        let event = SHAPE.object(event, at, "a stream event object")?;
        match SHAPE.req_str(event, "type", at)? {
            "content_block_start" => self.start(event, at, out),
            "content_block_delta" => self.delta(event, at, out),
            "content_block_stop" => self.stop(event, at, out),
            "error" => {
                Err(SHAPE.reported(&at.key("error"), event.get("error").unwrap_or(&Value::Null)))
            }
            // message_start / message_delta / message_stop / ping, and
            // event types added later.
            _ => Ok(()),
        }
    }

    fn index(event: &Obj, at: &Path) -> Res<u64> {
        SHAPE
            .opt_index(event, "index", at)?
            .ok_or_else(|| SHAPE.err(at, "missing block `index`"))
    }

    fn start(&mut self, event: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        let index = Self::index(event, at)?;
        let block_at = at.key("content_block");
        let block = SHAPE.req_object(event, "content_block", at)?;
        let kind = match SHAPE.opt_str(block, "type", &block_at)? {
            Some("tool_use") => {
                let slot = self.calls.open(Some(Key::Index(index)), block_at.clone());
                if let Some(id) = SHAPE.opt_id(block, "id", &block_at)? {
                    self.calls.id(slot, id);
                }
                let name = SHAPE.req_str(block, "name", &block_at)?;
                self.calls.name(slot, name, &block_at.key("name"), out)?;
                // `{}` is the placeholder the API always sends; anything
                // else is a proxy that put the whole input here.
                let preset = match block.get("input") {
                    Some(Value::Object(input)) if input.is_empty() => None,
                    Some(Value::Null) | None => None,
                    Some(input) => Some(input.clone()),
                };
                Block::Tool { slot, preset }
            }
            Some("text") => {
                text_event(out, SHAPE.opt_str(block, "text", &block_at)?.unwrap_or(""));
                Block::Other
            }
            Some("thinking") => {
                let thinking = SHAPE.opt_str(block, "thinking", &block_at)?.unwrap_or("");
                reasoning_event(out, thinking);
                Block::Other
            }
            _ => Block::Other,
        };
        self.blocks.insert(index, kind);
        Ok(())
    }

    fn delta(&mut self, event: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        let index = Self::index(event, at)?;
        let delta_at = at.key("delta");
        let delta = SHAPE.req_object(event, "delta", at)?;
        match SHAPE.opt_str(delta, "type", &delta_at)? {
            Some("text_delta") => text_event(out, SHAPE.req_str(delta, "text", &delta_at)?),
            Some("thinking_delta") => {
                reasoning_event(out, SHAPE.req_str(delta, "thinking", &delta_at)?);
            }
            Some("input_json_delta") => {
                let fragment = SHAPE.req_str(delta, "partial_json", &delta_at)?;
                match self.blocks.get(&index) {
                    Some(Block::Tool { slot, .. }) => {
                        let slot = *slot;
                        self.calls
                            .args(slot, fragment, &delta_at.key("partial_json"), out)?;
                    }
                    Some(Block::Other) => {}
                    None => {
                        return Err(SHAPE.err(
                            &at.key("index"),
                            format!("input for block {index}, which was never started"),
                        ));
                    }
                }
            }
            // signature_delta, citations_delta, and later additions.
            _ => {}
        }
        Ok(())
    }

    fn stop(&mut self, event: &Obj, at: &Path, out: &mut Vec<StreamEvent>) -> Res<()> {
        let index = Self::index(event, at)?;
        let Some(Block::Tool { slot, preset }) = self.blocks.remove(&index) else {
            return Ok(());
        };
        let args_at = at.key("partial_json");
        match preset {
            Some(input) if self.calls.args_of(slot).is_empty() => {
                self.calls
                    .finish_with(slot, Args::Value(&input), &args_at, out)
            }
            // No partial_json at all is a tool without parameters.
            _ => self.calls.finish(slot, Empty::Object, &args_at, out),
        }
    }

    /// End of stream: a tool_use block never stopped is unfinished.
    pub(super) fn finish(&mut self, _out: &mut Vec<StreamEvent>) -> Res<()> {
        match self.calls.unfinished() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}
