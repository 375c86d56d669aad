//! Mistral: `[TOOL_CALLS]` followed by a JSON array (tokenizers before
//! v11) or by `name{arguments}` (v11+, optionally with `[CALL_ID]` and
//! `[ARGS]` tokens).

use super::tagged_json::{
    self, could_become, scan_value_then, skip_ws, value_body, value_then_read,
};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{
    ParseCx, PartialCall, ReasoningTags, RegionScan, RegionStart, THINK_TAGS, ToolCallFormat,
};
use crate::normalizer::json::{self, CallShape};
use crate::normalizer::scan::is_name_byte;

const NAME: &str = "mistral";
const TOOL_CALLS: &str = "[TOOL_CALLS]";
const CALL_ID: &str = "[CALL_ID]";
const ARGS: &str = "[ARGS]";

/// Magistral's reasoning block.
const THINK_TOKENS: ReasoningTags = ReasoningTags {
    open: "[THINK]",
    close: "[/THINK]",
};

/// Mistral tool calls (Mistral 7B v0.3, Mixtral, Mistral Small / Medium /
/// Large, Ministral, Devstral, Magistral):
///
/// ```text
/// [TOOL_CALLS] [{"name": "add", "arguments": {"a": 3.5, "b": 4}}, {"name": "mul", "arguments": {"a": 3, "b": 6}}]
/// [TOOL_CALLS]add{"a": 3.5, "b": 4}[TOOL_CALLS]mul{"a": 3, "b": 6}
/// [TOOL_CALLS]add[CALL_ID]a1b2c3d4e[ARGS]{"a": 3.5, "b": 4}
/// [TOOL_CALLS]add[ARGS]{"a": 3.5, "b": 4}
/// ```
///
/// The first line is the pre-v11 layout (one JSON array, keys in any
/// order, `id` reported when present); the others are v11 and later, one
/// `[TOOL_CALLS]` per call, a space after it optional. The id after
/// `[CALL_ID]` is reported. A call ends with its arguments object; text
/// may come before and after. Magistral reasons in `[THINK]` …
/// `[/THINK]`.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Mistral};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(Mistral)
///     .normalize_text("[TOOL_CALLS]add[CALL_ID]a1b2c3d4e[ARGS]{\"a\": 3.5, \"b\": 4}")
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.name, "add");
/// assert_eq!(out.calls[0].invocation.args, json!({"a": 3.5, "b": 4}));
/// assert_eq!(out.calls[0].id.as_deref(), Some("a1b2c3d4e"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Mistral;

/// What follows `[TOOL_CALLS]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Pre-v11: a JSON array (or one call object) at this index.
    Json { at: usize },
    /// v11+: `name`, an optional id, and the arguments object at `args`.
    Named {
        name: (usize, usize),
        id: Option<(usize, usize)>,
        args: usize,
    },
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Index just past `token` at `at`, or what to answer while it is not
/// (yet) there. `None` means some other text.
fn expect(text: &str, at: usize, token: &str) -> Result<Option<usize>, RegionScan> {
    let rest = text.get(at..).unwrap_or_default();
    if rest.starts_with(token) {
        Ok(Some(at + token.len()))
    } else if could_become(rest, token) {
        Err(RegionScan::NeedMore)
    } else {
        Ok(None)
    }
}

/// Read the part of the region before the JSON; `Err` is the scan answer
/// while it is unfinished or not a call.
fn layout(text: &str) -> Result<Layout, RegionScan> {
    let bytes = text.as_bytes();
    let at = skip_ws(bytes, TOOL_CALLS.len());
    match bytes.get(at) {
        None => return Err(RegionScan::NeedMore),
        Some(b'[' | b'{') => return Ok(Layout::Json { at }),
        Some(&b) if is_name_byte(b) => {}
        Some(_) => return Err(RegionScan::NotACall),
    }
    let run = bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .position(|&b| !is_name_byte(b))
        .ok_or(RegionScan::NeedMore)?;
    let name = (at, at + run);
    let mut i = at + run;
    let mut id = None;
    if let Some(id_start) = expect(text, i, CALL_ID)? {
        let id_len = bytes
            .get(id_start..)
            .unwrap_or_default()
            .iter()
            .position(|&b| !is_id_byte(b))
            .ok_or(RegionScan::NeedMore)?;
        id = Some((id_start, id_start + id_len));
        i = id_start + id_len;
        // After an id the arguments token is required.
        i = expect(text, i, ARGS)?.ok_or(RegionScan::NotACall)?;
    } else if let Some(after) = expect(text, i, ARGS)? {
        i = after;
    }
    let args = skip_ws(bytes, i);
    match bytes.get(args) {
        None => Err(RegionScan::NeedMore),
        Some(b'{') => Ok(Layout::Named { name, id, args }),
        Some(_) => Err(RegionScan::NotACall),
    }
}

fn slice(text: &str, (from, to): (usize, usize)) -> &str {
    text.get(from..to).unwrap_or_default()
}

impl ToolCallFormat for Mistral {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["magistral", "devstral"]
    }

    fn describe(&self) -> &'static str {
        "[TOOL_CALLS][{\"name\": …, \"arguments\": {…}}] or [TOOL_CALLS]name[ARGS]{…}"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[TOOL_CALLS]
    }

    fn reasoning_tags(&self) -> &'static [ReasoningTags] {
        &[THINK_TOKENS, THINK_TAGS]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // A call ends with its arguments once the next byte is known:
        // usually the next `[TOOL_CALLS]`, `</s>` or the end of the output
        // (always scanned).
        b"[<"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start == RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        match layout(text) {
            Ok(Layout::Json { at }) | Ok(Layout::Named { args: at, .. }) => {
                scan_value_then(text, at, None, at_eof)
            }
            Err(answer) => answer,
        }
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        if start == RegionStart::OutputStart {
            return None;
        }
        match layout(text).ok()? {
            Layout::Json { at } => {
                tagged_json::value_then_parse(text, at, None, at_eof, NAME, CallShape::Any, cx)
            }
            Layout::Named { name, id, args } => value_then_read(text, args, None, at_eof, |json| {
                let (value, len) = json::value_prefix(json)?;
                let tool = slice(text, name).to_owned();
                let id = id.map(|id| slice(text, id).to_owned());
                json::report_call(cx, NAME, name.0, tool, value, id).ok()?;
                Some(len)
            }),
        }
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        match layout(region) {
            Ok(Layout::Json { at }) => {
                tagged_json::parse_calls_json(value_body(region, at, None), at, NAME, cx)
            }
            Ok(Layout::Named { name, id, args }) => {
                let tool = slice(region, name);
                let value =
                    json::parse_value(value_body(region, args, None), NAME, "arguments", tool)
                        .map_err(|err| err.shifted(args))?;
                let id = id.map(|id| slice(region, id).to_owned());
                json::report_call(cx, NAME, name.0, tool.to_owned(), value, id)
            }
            Err(_) => Err(NormalizeError::malformed(
                NAME,
                TOOL_CALLS.len(),
                "expected a tool call after [TOOL_CALLS]",
            )),
        }
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        match layout(region) {
            Ok(Layout::Json { at }) => {
                tagged_json::partial_calls(region.get(at..).unwrap_or_default())
            }
            Ok(Layout::Named { name, id, args }) => vec![PartialCall {
                name: Some(slice(region, name).to_owned()),
                id: id.map(|id| slice(region, id).to_owned()),
                arguments: region.get(args..).unwrap_or_default().to_owned(),
            }],
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        assert_eq!(layout("[TOOL_CALLS] [{"), Ok(Layout::Json { at: 13 }));
        assert_eq!(
            layout("[TOOL_CALLS]add{"),
            Ok(Layout::Named {
                name: (12, 15),
                id: None,
                args: 15
            })
        );
        assert_eq!(layout("[TOOL_CALLS]add"), Err(RegionScan::NeedMore));
        assert_eq!(layout("[TOOL_CALLS]add["), Err(RegionScan::NeedMore));
        assert_eq!(
            layout("[TOOL_CALLS]add[CALL_ID]ab"),
            Err(RegionScan::NeedMore)
        );
        assert_eq!(
            layout("[TOOL_CALLS]add[CALL_ID]ab["),
            Err(RegionScan::NeedMore)
        );
        assert_eq!(
            layout("[TOOL_CALLS]add[CALL_ID]ab{"),
            Err(RegionScan::NotACall)
        );
        assert_eq!(
            layout("[TOOL_CALLS]add[CALL_ID]ab[ARGS] {"),
            Ok(Layout::Named {
                name: (12, 15),
                id: Some((24, 26)),
                args: 33
            })
        );
        assert_eq!(layout("[TOOL_CALLS] I think"), Err(RegionScan::NotACall));
        assert_eq!(layout("[TOOL_CALLS]add[X]"), Err(RegionScan::NotACall));
    }
}
