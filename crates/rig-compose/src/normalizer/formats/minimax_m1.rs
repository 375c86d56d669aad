//! MiniMax M1 / Text-01: `<tool_calls>`, one JSON call object per line,
//! `</tool_calls>`.

use super::tagged_json::{self, could_become, skip_ws};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json::{self, CallShape, JsonEnd, value_end};

const NAME: &str = "minimax_m1";
const OPEN: &str = "<tool_calls>";
const CLOSE: &str = "</tool_calls>";

/// MiniMax M1 and MiniMax-Text-01 tool calls:
///
/// ```text
/// <tool_calls>
/// {"name": "get_weather", "arguments": {"city": "Paris"}}
/// {"name": "get_time", "arguments": {"tz": "UTC"}}
/// </tool_calls>
/// ```
///
/// `<tool_calls>` also opens the Jamba family (a JSON array) and Hunyuan V3
/// (`<tool_call>` blocks); it is taken here only when a JSON object
/// follows. `<tool_calls>` inside `<think>` is part of the reasoning. The
/// closing tag may be missing when the output ends after the last object.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::MiniMaxM1};
///
/// let out = TextNormalizer::new(MiniMaxM1)
///     .normalize_text(
///         "<think>Two lookups.</think>\n<tool_calls>\n\
///          {\"name\": \"a\", \"arguments\": {}}\n{\"name\": \"b\", \"arguments\": {}}\n</tool_calls>",
///     )
///     .unwrap();
/// assert_eq!(out.calls.len(), 2);
/// assert_eq!(out.reasoning, "Two lookups.");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MiniMaxM1;

/// Where the objects of a region end: the scan answer.
fn scan_objects(text: &str, at_eof: bool) -> RegionScan {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, OPEN.len());
    match bytes.get(at) {
        None => return RegionScan::NeedMore,
        Some(b'{') => {}
        Some(_) => return RegionScan::NotACall,
    }
    // Past the objects, anything but the closing tag is claimed through
    // that tag (when it comes) so the parser can say what is wrong.
    let claim_through_close = |from: usize| match text.get(from..).and_then(|r| r.find(CLOSE)) {
        Some(found) => RegionScan::Complete(from + found + CLOSE.len()),
        None => RegionScan::NeedMore,
    };
    loop {
        let end = match value_end(text, at) {
            JsonEnd::Complete(end) => end,
            JsonEnd::Incomplete => return RegionScan::NeedMore,
            JsonEnd::Invalid(bad) => return claim_through_close(bad),
        };
        at = skip_ws(bytes, end);
        let rest = text.get(at..).unwrap_or_default();
        if rest.starts_with(CLOSE) {
            return RegionScan::Complete(at + CLOSE.len());
        }
        match bytes.get(at) {
            Some(b'{') => {}
            None if at_eof => return RegionScan::Complete(end),
            None => return RegionScan::NeedMore,
            Some(_) if could_become(rest, CLOSE) => {
                return if at_eof {
                    RegionScan::Complete(end)
                } else {
                    RegionScan::NeedMore
                };
            }
            Some(_) => return claim_through_close(at),
        }
    }
}

impl ToolCallFormat for MiniMaxM1 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["minimax", "minimax_text_01"]
    }

    fn describe(&self) -> &'static str {
        "<tool_calls>\\n{\"name\": …, \"arguments\": {…}}\\n…</tool_calls>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[OPEN]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // `</tool_calls>`, or the end of the output (always scanned).
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        match start {
            RegionStart::Opener(_) => scan_objects(text, at_eof),
            RegionStart::OutputStart => RegionScan::NotACall,
        }
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let bytes = region.as_bytes();
        let body_end = region.strip_suffix(CLOSE).unwrap_or(region).len();
        let mut at = skip_ws(bytes, OPEN.len());
        while at < body_end {
            if bytes.get(at) != Some(&b'{') {
                return Err(NormalizeError::malformed(
                    NAME,
                    at,
                    "expected one JSON call object per line, or </tool_calls>",
                ));
            }
            let end = match value_end(region, at) {
                JsonEnd::Complete(end) => end.min(body_end),
                _ => body_end,
            };
            let object = region.get(at..end).unwrap_or_default();
            tagged_json::parse_calls_json(object, at, NAME, cx)?;
            at = skip_ws(bytes, end);
        }
        Ok(())
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        let RegionStart::Opener(_) = start else {
            return None;
        };
        let bytes = text.as_bytes();
        let mut at = skip_ws(bytes, OPEN.len());
        while bytes.get(at) == Some(&b'{') {
            let end =
                at + json::report_calls_prefix(text.get(at..)?, at, NAME, CallShape::Any, cx)?;
            at = skip_ws(bytes, end);
            let rest = text.get(at..)?;
            if rest.starts_with(CLOSE) {
                return Some(at + CLOSE.len());
            }
            if rest.is_empty() || could_become(rest, CLOSE) {
                return at_eof.then_some(end);
            }
        }
        None
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        let bytes = region.as_bytes();
        let mut out = Vec::new();
        let mut at = skip_ws(bytes, OPEN.len());
        while bytes.get(at) == Some(&b'{') {
            match value_end(region, at) {
                JsonEnd::Complete(end) => {
                    out.push(tagged_json::partial_object(
                        region.get(at..end).unwrap_or_default(),
                    ));
                    at = skip_ws(bytes, end);
                }
                _ => {
                    out.push(tagged_json::partial_object(
                        region.get(at..).unwrap_or_default(),
                    ));
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_objects_after_the_tag_are_ours() {
        let start = RegionStart::Opener(0);
        assert_eq!(
            MiniMaxM1.scan("<tool_calls>[", start, false),
            RegionScan::NotACall
        );
        assert_eq!(
            MiniMaxM1.scan("<tool_calls>\n<tool_call>", start, false),
            RegionScan::NotACall
        );
        assert_eq!(
            MiniMaxM1.scan("<tool_calls>\n{}\n{}\n</tool_calls>", start, false),
            RegionScan::Complete(32)
        );
        assert_eq!(
            MiniMaxM1.scan("<tool_calls>\n{}\n</tool", start, false),
            RegionScan::NeedMore
        );
        assert_eq!(
            MiniMaxM1.scan("<tool_calls>\n{}\n", start, true),
            RegionScan::Complete(15)
        );
    }
}
