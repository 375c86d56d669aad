//! IBM Granite: `<|tool_call|>` (or, in Granite 3.1, `<tool_call>`)
//! followed by a JSON array of calls, and granite-20b-functioncalling's
//! `<function_call> {…}` sequence.

use super::tagged_json::{CallJson, MarkedJson, call_json, json_after};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json::CallShape;

const GRANITE: &str = "granite";
const GRANITE_20B: &str = "granite_20b_fc";

const TOOL_CALL_TOKEN: &str = "<|tool_call|>";
const TOOL_CALL_TAG: &str = "<tool_call>";
const FUNCTION_CALL: &str = "<function_call>";

/// Granite 3.x tool calls: a JSON array after the `<|tool_call|>` token,
/// or after the plain string `<tool_call>` (Granite 3.1):
///
/// ```text
/// <|tool_call|>[{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {"tz": "UTC"}}]
/// <tool_call>[{"name": "get_weather", "arguments": {"city": "Paris"}}]
/// ```
///
/// There is no closing marker: the calls end with the JSON (a
/// `</tool_call>` right after it is consumed if present). After
/// `<tool_call>` only an array is taken; `<tool_call>{…}` is Hermes.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Granite};
///
/// let out = TextNormalizer::new(Granite)
///     .normalize_text("<|tool_call|>[{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}]")
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.name, "get_time");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Granite;

/// The layout after each of [`Granite`]'s openers.
fn granite_layout(opener: usize) -> MarkedJson {
    if opener == 0 {
        MarkedJson {
            open_len: TOOL_CALL_TOKEN.len(),
            accept: b"[{",
            closer: None,
        }
    } else {
        MarkedJson {
            open_len: TOOL_CALL_TAG.len(),
            accept: b"[",
            closer: Some("</tool_call>"),
        }
    }
}

impl ToolCallFormat for Granite {
    fn name(&self) -> &'static str {
        GRANITE
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["granite3"]
    }

    fn describe(&self) -> &'static str {
        "<|tool_call|>[{\"name\": …, \"arguments\": {…}}, …]"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[TOOL_CALL_TOKEN, TOOL_CALL_TAG]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // The array ends the region once the next byte is known: the end of
        // the output (always scanned), a closing tag or a special token.
        b"<>"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        match start {
            RegionStart::Opener(opener) => granite_layout(opener).scan(text, at_eof),
            RegionStart::OutputStart => RegionScan::NotACall,
        }
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        match start {
            RegionStart::Opener(opener) => {
                granite_layout(opener).scan_parse(text, at_eof, GRANITE, CallShape::Any, cx)
            }
            RegionStart::OutputStart => None,
        }
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        match start {
            RegionStart::Opener(opener) => granite_layout(opener).parse(region, GRANITE, cx),
            RegionStart::OutputStart => Ok(()),
        }
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        match start {
            RegionStart::Opener(opener) => granite_layout(opener).partial(region),
            RegionStart::OutputStart => Vec::new(),
        }
    }
}

/// granite-20b-functioncalling: each call is `<function_call>` followed by
/// a JSON call object, with no closing marker:
///
/// ```text
/// <function_call> {"name": "get_weather", "arguments": {"city": "Paris"}} <function_call> {"name": "get_time", "arguments": {"tz": "UTC"}}
/// ```
///
/// A call ends with its JSON object (a `</function_call>` right after it
/// is consumed if present); JSON that is not a call object stays text.
/// Also found as `granite-20b-fc`.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Granite20bFc};
///
/// let out = TextNormalizer::new(Granite20bFc)
///     .normalize_text(
///         "<function_call> {\"name\": \"a\", \"arguments\": {}} \
///          <function_call> {\"name\": \"b\", \"arguments\": {\"x\": 1}}",
///     )
///     .unwrap();
/// assert_eq!(out.calls.len(), 2);
/// assert_eq!(out.text, " ");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Granite20bFc;

const FUNCTION_CALL_LAYOUT: MarkedJson = MarkedJson {
    open_len: FUNCTION_CALL.len(),
    accept: b"{",
    closer: Some("</function_call>"),
};

impl ToolCallFormat for Granite20bFc {
    fn name(&self) -> &'static str {
        GRANITE_20B
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["granite_20b_functioncalling"]
    }

    fn describe(&self) -> &'static str {
        "<function_call> {\"name\": …, \"arguments\": {…}} <function_call> …"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[FUNCTION_CALL]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // The next `<function_call>`, a closing tag, or the end of the
        // output (always scanned).
        b"<>"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start == RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        // `<function_call>` is a generic tag (Hermes-style models wrap
        // other JSON in it too): only a call object is taken.
        let at = match json_after(text, FUNCTION_CALL.len(), b"{") {
            Ok(at) => at,
            Err(answer) => return answer,
        };
        match call_json(text, at, false) {
            CallJson::Calls(_) => FUNCTION_CALL_LAYOUT.scan(text, at_eof),
            CallJson::NeedMore => RegionScan::NeedMore,
            CallJson::NotCalls => RegionScan::NotACall,
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
        // Only a call object is taken, as in `scan`.
        let shape = CallShape::Calls { need_args: false };
        FUNCTION_CALL_LAYOUT.scan_parse(text, at_eof, GRANITE_20B, shape, cx)
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        match start {
            RegionStart::Opener(_) => FUNCTION_CALL_LAYOUT.parse(region, GRANITE_20B, cx),
            RegionStart::OutputStart => Ok(()),
        }
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        match start {
            RegionStart::Opener(_) => FUNCTION_CALL_LAYOUT.partial(region),
            RegionStart::OutputStart => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_call_tag_takes_only_arrays() {
        let start = RegionStart::Opener(1);
        assert_eq!(
            Granite.scan("<tool_call>{\"name\"", start, false),
            RegionScan::NotACall
        );
        assert_eq!(
            Granite.scan("<tool_call> ", start, false),
            RegionScan::NeedMore
        );
        assert_eq!(
            Granite.scan("<tool_call>[] </tool_call>", start, false),
            RegionScan::Complete(26)
        );
    }

    #[test]
    fn function_call_ends_with_its_object() {
        let text = "<function_call> {\"name\": \"a\"} <function_call>";
        assert_eq!(
            Granite20bFc.scan(text, RegionStart::Opener(0), false),
            RegionScan::Complete(29)
        );
    }
}
