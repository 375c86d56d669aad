//! MeetKai Functionary: v3.1 `<function=NAME>{…}</function>` and v3.2
//! `NAME\n{…}>>>NAME\n{…}` with `all` for plain text.

use super::tagged_json::{
    could_become, json_after, scan_value_then, skip_ws, value_body, value_then_read,
};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json::{self, JsonEnd, value_end};
use crate::normalizer::scan::is_name_byte;

const V31: &str = "functionary_v3_1";
const V32: &str = "functionary_v3_2";

const FUNCTION_OPEN: &str = "<function=";
const FUNCTION_CLOSE: &str = "</function>";

/// Functionary v3.1 (Llama 3.1 based) tool calls:
///
/// ```text
/// <function=get_weather>{"city": "Paris"}</function><function=get_time>{"tz": "UTC"}</function>
/// ```
///
/// The name is in the tag, the body is the arguments object. The closing
/// `</function>` may be missing. (Hermes accepts this syntax too; this is
/// the format to name when the model is Functionary.)
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::FunctionaryV31};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(FunctionaryV31)
///     .normalize_text("<function=get_weather>{\"city\": \"Paris\"}</function>")
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.name, "get_weather");
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FunctionaryV31;

/// Length of a complete name run starting at `at`: `Err` while it may
/// still grow, or when there is none.
fn name_run(text: &str, at: usize) -> Result<usize, RegionScan> {
    let rest = text.as_bytes().get(at..).unwrap_or_default();
    match rest.iter().position(|&b| !is_name_byte(b)) {
        None => Err(RegionScan::NeedMore),
        Some(0) => Err(RegionScan::NotACall),
        Some(len) => Ok(len),
    }
}

/// The name range and the index of the arguments object of a v3.1 region.
fn v31_head(text: &str) -> Result<((usize, usize), usize), RegionScan> {
    let at = FUNCTION_OPEN.len();
    let len = name_run(text, at)?;
    match text.as_bytes().get(at + len) {
        Some(b'>') => {}
        _ => return Err(RegionScan::NotACall),
    }
    let args = json_after(text, at + len + 1, b"{")?;
    Ok(((at, at + len), args))
}

impl ToolCallFormat for FunctionaryV31 {
    fn name(&self) -> &'static str {
        V31
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["functionary_v31", "functionary_llama_3_1"]
    }

    fn describe(&self) -> &'static str {
        "<function=NAME>{…arguments}</function>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[FUNCTION_OPEN]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // `</function>` or the next `<function=`; the end of the output is
        // always scanned.
        b"<>"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start == RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        match v31_head(text) {
            Ok((_, args)) => scan_value_then(text, args, Some(FUNCTION_CLOSE), at_eof),
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
        let ((from, to), args) = v31_head(text).ok()?;
        let name = text.get(from..to)?;
        value_then_read(text, args, Some(FUNCTION_CLOSE), at_eof, |json| {
            let (value, len) = json::value_prefix(json)?;
            json::report_call(cx, V31, from, name.to_owned(), value, None).ok()?;
            Some(len)
        })
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let Ok(((from, to), args)) = v31_head(region) else {
            return Err(NormalizeError::malformed(
                V31,
                0,
                "malformed <function=…> tag",
            ));
        };
        let name = region.get(from..to).unwrap_or_default();
        let body = value_body(region, args, Some(FUNCTION_CLOSE));
        let value =
            json::parse_value(body, V31, "arguments", name).map_err(|err| err.shifted(args))?;
        json::report_call(cx, V31, from, name.to_owned(), value, None)
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        let at = FUNCTION_OPEN.len();
        let Ok(len) = name_run(region, at) else {
            return Vec::new();
        };
        if region.as_bytes().get(at + len) != Some(&b'>') {
            return Vec::new();
        }
        vec![PartialCall {
            name: region.get(at..at + len).map(str::to_owned),
            id: None,
            arguments: region
                .get(at + len + 1..)
                .unwrap_or_default()
                .trim_start()
                .to_owned(),
        }]
    }
}

const SEPARATOR: &str = ">>>";
/// The recipient that means "plain text for the user".
const ALL: &str = "all";

/// Functionary v3.2 (and v3 "small"/"medium") output: segments of a
/// recipient line and its content, separated by `>>>`:
///
/// ```text
/// get_weather
/// {"city": "Paris"}>>>get_time
/// {"tz": "UTC"}
/// ```
///
/// ```text
/// all
/// Let me check.>>>get_weather
/// {"city": "Paris"}
/// ```
///
/// The first segment may come without `>>>`, at the start of the output.
/// Recipient `all` introduces plain text, reported as text; any other
/// recipient is a tool, whose content is its arguments object.
///
/// Because a line holding one word followed by a JSON object is all it
/// takes, auto-detection uses this format only with a model hint
/// (`functionary-…-v3.2`).
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::FunctionaryV32};
///
/// let out = TextNormalizer::new(FunctionaryV32)
///     .normalize_text("all\nChecking.>>>get_weather\n{\"city\": \"Paris\"}>>>get_time\n{\"tz\": \"UTC\"}")
///     .unwrap();
/// assert_eq!(out.text, "Checking.");
/// assert_eq!(out.calls.len(), 2);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FunctionaryV32;

/// One `recipient\ncontent` segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    /// `all`: plain text from `from` to `to`.
    Text { from: usize, to: usize },
    /// A call: the name range and the arguments object `args..end`.
    Call {
        name: (usize, usize),
        args: usize,
        end: usize,
    },
}

/// Read the segment whose recipient starts at `at`. With `to_separator`
/// an `all` segment runs to the next `>>>` (or the end of the output);
/// otherwise it is only its recipient line.
fn segment(text: &str, at: usize, to_separator: bool, at_eof: bool) -> Result<Segment, RegionScan> {
    match head(text, at, to_separator, at_eof)? {
        Head::Text { from, to } => Ok(Segment::Text { from, to }),
        Head::Call { name, args } => {
            let end = match value_end(text, args) {
                JsonEnd::Complete(end) => end,
                JsonEnd::Incomplete => return Err(RegionScan::NeedMore),
                // Claimed through the bad byte; the parser says what is wrong.
                JsonEnd::Invalid(bad) => bad + 1,
            };
            Ok(Segment::Call { name, args, end })
        }
    }
}

/// A segment as far as its recipient line tells: [`Segment`] without the
/// end of a call's arguments.
enum Head {
    Text { from: usize, to: usize },
    Call { name: (usize, usize), args: usize },
}

/// [`segment`] up to the start of a call's arguments.
fn head(text: &str, at: usize, to_separator: bool, at_eof: bool) -> Result<Head, RegionScan> {
    let len = name_run(text, at)?;
    let name = (at, at + len);
    let bytes = text.as_bytes();
    let header_end = match bytes.get(at + len) {
        Some(b'\n') => at + len + 1,
        Some(b'\r') => match bytes.get(at + len + 1) {
            Some(b'\n') => at + len + 2,
            None => return Err(RegionScan::NeedMore),
            Some(_) => return Err(RegionScan::NotACall),
        },
        _ => return Err(RegionScan::NotACall),
    };
    if text.get(at..at + len) == Some(ALL) {
        if !to_separator {
            return Ok(Head::Text {
                from: header_end,
                to: header_end,
            });
        }
        return match text.get(header_end..).and_then(|r| r.find(SEPARATOR)) {
            Some(found) => Ok(Head::Text {
                from: header_end,
                to: header_end + found,
            }),
            None if at_eof => Ok(Head::Text {
                from: header_end,
                to: text.len(),
            }),
            None => Err(RegionScan::NeedMore),
        };
    }
    let args = json_after(text, header_end, b"{")?;
    Ok(Head::Call { name, args })
}

/// Where a segment chain starting at `at` ends (the output-start region:
/// the whole chain, so an auto normalizer sees it as one piece).
fn scan_chain(text: &str, mut at: usize, at_eof: bool) -> RegionScan {
    let bytes = text.as_bytes();
    let mut end_so_far = None;
    loop {
        let seg = match segment(text, at, true, at_eof) {
            Ok(seg) => seg,
            Err(RegionScan::NotACall) => {
                // `>>>` followed by something else ends the chain before it.
                return end_so_far.map_or(RegionScan::NotACall, RegionScan::Complete);
            }
            Err(answer) => return answer,
        };
        match seg {
            Segment::Text { to, .. } => {
                if to >= text.len() {
                    return RegionScan::Complete(to);
                }
                end_so_far = Some(to);
                at = to + SEPARATOR.len();
            }
            Segment::Call { end, .. } => {
                end_so_far = Some(end);
                let next = skip_ws(bytes, end);
                let rest = text.get(next..).unwrap_or_default();
                if rest.starts_with(SEPARATOR) {
                    at = next + SEPARATOR.len();
                } else if rest.is_empty() || could_become(rest, SEPARATOR) {
                    return if at_eof {
                        RegionScan::Complete(end)
                    } else {
                        RegionScan::NeedMore
                    };
                } else {
                    return RegionScan::Complete(end);
                }
            }
        }
    }
}

/// Whole-text shortcut: [`scan_chain`] at the end of the output (or one
/// segment after an opener, `chain` false) with the segments reported to
/// `cx` as they are read. `None` where that route could answer otherwise.
fn scan_parse_segments(text: &str, chain: bool, cx: &mut ParseCx<'_>) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = if chain { 0 } else { SEPARATOR.len() };
    let mut end_so_far = None;
    loop {
        let end = match head(text, at, chain, true) {
            Ok(Head::Text { from, to }) => {
                cx.text(text.get(from..to)?);
                if !chain || to >= text.len() {
                    return Some(to);
                }
                end_so_far = Some(to);
                at = to + SEPARATOR.len();
                continue;
            }
            Ok(Head::Call { name, args }) => {
                let tool = text.get(name.0..name.1)?;
                let (value, len) = json::value_prefix(text.get(args..)?)?;
                json::report_call(cx, V32, name.0, tool.to_owned(), value, None).ok()?;
                args + len
            }
            // `>>>` followed by something else ends the chain before it.
            Err(RegionScan::NotACall) if chain => return end_so_far,
            Err(_) => return None,
        };
        let next = skip_ws(bytes, end);
        if !chain || !text.get(next..)?.starts_with(SEPARATOR) {
            return Some(end);
        }
        end_so_far = Some(end);
        at = next + SEPARATOR.len();
    }
}

/// The segments of a complete region, in order.
fn segments(region: &str, start: RegionStart) -> Vec<Segment> {
    let mut out = Vec::new();
    match start {
        RegionStart::Opener(_) => {
            if let Ok(seg) = segment(region, SEPARATOR.len(), false, true) {
                out.push(seg);
            }
        }
        RegionStart::OutputStart => {
            let mut at = 0;
            while let Ok(seg) = segment(region, at, true, true) {
                out.push(seg);
                let end = match seg {
                    Segment::Text { to, .. } => to,
                    Segment::Call { end, .. } => end,
                };
                let next = skip_ws(region.as_bytes(), end);
                if !region
                    .get(next..)
                    .unwrap_or_default()
                    .starts_with(SEPARATOR)
                {
                    break;
                }
                at = next + SEPARATOR.len();
            }
        }
    }
    out
}

impl ToolCallFormat for FunctionaryV32 {
    fn name(&self) -> &'static str {
        V32
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["functionary_v32", "functionary"]
    }

    fn describe(&self) -> &'static str {
        "NAME\\n{…arguments}>>>NAME\\n{…} (`all` = plain text)"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[SEPARATOR]
    }

    fn bare_at_start(&self) -> bool {
        true
    }

    fn end_bytes(&self) -> &'static [u8] {
        // The next `>>>` (segments also end at the end of the output,
        // which is always scanned).
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        match start {
            RegionStart::OutputStart => scan_chain(text, 0, at_eof),
            RegionStart::Opener(_) => match segment(text, SEPARATOR.len(), false, at_eof) {
                Ok(Segment::Text { to, .. }) => RegionScan::Complete(to),
                Ok(Segment::Call { end, .. }) => RegionScan::Complete(end),
                Err(answer) => answer,
            },
        }
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        let chain = start == RegionStart::OutputStart;
        // A chain may always go on with `>>>`: only its end settles it.
        if chain && !at_eof {
            return None;
        }
        scan_parse_segments(text, chain, cx)
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        for seg in segments(region, start) {
            match seg {
                Segment::Text { from, to } => cx.text(region.get(from..to).unwrap_or_default()),
                Segment::Call { name, args, end } => {
                    let tool = region.get(name.0..name.1).unwrap_or_default();
                    let body = region.get(args..end).unwrap_or_default();
                    let value = json::parse_value(body, V32, "arguments", tool)
                        .map_err(|err| err.shifted(args))?;
                    json::report_call(cx, V32, name.0, tool.to_owned(), value, None)?;
                }
            }
        }
        Ok(())
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        let chain = start == RegionStart::OutputStart;
        let mut at = if chain { 0 } else { SEPARATOR.len() };
        let mut out = Vec::new();
        loop {
            let seg = match segment(region, at, chain, false) {
                Ok(seg) => seg,
                Err(_) => {
                    // An unfinished call: name and the arguments so far.
                    if let Ok(len) = name_run(region, at)
                        && region.get(at..at + len) != Some(ALL)
                        && let Some(rest) = region.get(at + len..)
                        && let Some(args) = rest.strip_prefix('\n').or(rest.strip_prefix("\r\n"))
                    {
                        out.push(PartialCall {
                            name: region.get(at..at + len).map(str::to_owned),
                            id: None,
                            arguments: args.trim_start().to_owned(),
                        });
                    }
                    return out;
                }
            };
            let end = match seg {
                Segment::Text { to, .. } => to,
                Segment::Call { name, args, end } => {
                    out.push(PartialCall {
                        name: region.get(name.0..name.1).map(str::to_owned),
                        id: None,
                        arguments: region.get(args..end).unwrap_or_default().to_owned(),
                    });
                    end
                }
            };
            let next = skip_ws(region.as_bytes(), end);
            if !chain
                || !region
                    .get(next..)
                    .unwrap_or_default()
                    .starts_with(SEPARATOR)
            {
                return out;
            }
            at = next + SEPARATOR.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_scan() {
        let scan = |t: &str, eof| scan_chain(t, 0, eof);
        assert_eq!(scan("Hello there", false), RegionScan::NotACall);
        assert_eq!(scan("get_weather", false), RegionScan::NeedMore);
        assert_eq!(scan("f\n{}", false), RegionScan::NeedMore);
        assert_eq!(scan("f\n{}", true), RegionScan::Complete(4));
        assert_eq!(scan("f\n{} ok", false), RegionScan::Complete(4));
        assert_eq!(scan("f\n{}>>>g\n{}>", false), RegionScan::NeedMore);
        assert_eq!(scan("f\n{}>>> no", false), RegionScan::Complete(4));
        assert_eq!(scan("all\nhi>>", false), RegionScan::NeedMore);
        assert_eq!(scan("all\nhi", true), RegionScan::Complete(6));
        assert_eq!(scan("f\nnot json", false), RegionScan::NotACall);
    }

    #[test]
    fn v31_head_needs_the_whole_tag() {
        assert_eq!(v31_head("<function=get"), Err(RegionScan::NeedMore));
        assert_eq!(v31_head("<function=get "), Err(RegionScan::NotACall));
        assert_eq!(v31_head("<function=get>"), Err(RegionScan::NeedMore));
        assert_eq!(v31_head("<function=get> {"), Ok(((10, 13), 15)));
    }
}
