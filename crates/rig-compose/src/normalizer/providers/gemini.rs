//! Google Gemini `generateContent`.
//!
//! Whole: `candidates[].content.parts[]`, each part `text` (reasoning when
//! `thought: true`) or `functionCall {name, args, id?}` with `args` an
//! object; parallel calls are several parts. Streamed
//! (`streamGenerateContent`): a sequence of responses of the same shape,
//! each function call whole within one part. Only the first candidate is
//! read.

use serde_json::Value;

use super::Provider;
use super::common::{Args, CallSpec, Calls, Collect, Emit, Path, Res, Shape, Whole, primary};
use crate::normalizer::stream::StreamEvent;
use crate::normalizer::text::Normalized;

const SHAPE: Shape = Shape(Provider::Gemini.name());

/// A whole response, or (what `streamGenerateContent` returns without
/// SSE) an array of them.
pub(super) fn whole(value: &Value) -> Res<Normalized> {
    let root = Path::root();
    let mut out = Whole::new(SHAPE);
    match value {
        Value::Array(chunks) => {
            for (pos, chunk) in chunks.iter().enumerate() {
                read(chunk, &root.at(pos), &mut out)?;
            }
        }
        other => read(other, &root, &mut out)?,
    }
    Ok(out.done())
}

/// One `GenerateContentResponse`.
fn read(value: &Value, at: &Path, out: &mut dyn Collect) -> Res<()> {
    let response = SHAPE.object(value, at, "a GenerateContentResponse object")?;
    if let Some(error) = response.get("error") {
        return Err(SHAPE.reported(&at.key("error"), error));
    }
    // A blocked prompt has `promptFeedback` and no candidates.
    let candidates = SHAPE.opt_array(response, "candidates", at)?;
    let Some((pos, candidate)) = primary(candidates) else {
        return Ok(());
    };
    let at = at.key("candidates").at(pos);
    let candidate = SHAPE.object(candidate, &at, "a candidate object")?;
    // A candidate stopped by a safety filter may have no content.
    let Some(content) = SHAPE.opt_object(candidate, "content", &at)? else {
        return Ok(());
    };
    let at = at.key("content");
    let parts_at = at.key("parts");
    for (pos, part) in SHAPE.opt_array(content, "parts", &at)?.iter().enumerate() {
        let at = parts_at.at(pos);
        let part = SHAPE.object(part, &at, "a part object")?;
        if let Some(call) = SHAPE.opt_object(part, "functionCall", &at)? {
            let at = at.key("functionCall");
            out.call(CallSpec {
                name: SHAPE.req_str(call, "name", &at)?,
                id: SHAPE.opt_id(call, "id", &at)?,
                args: call.get("args").map_or(Args::Missing, Args::Value),
                name_at: at.key("name"),
                args_at: at.key("args"),
            })?;
        } else if let Some(text) = SHAPE.opt_str(part, "text", &at)? {
            let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
            if thought {
                out.reasoning(text);
            } else {
                out.text(text);
            }
        }
        // Other parts (code execution, inline data, thought signatures)
        // carry no text or client calls.
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
