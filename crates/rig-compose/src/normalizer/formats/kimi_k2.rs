//! Kimi K2: calls in a section of `<|…|>` special tokens, each with the
//! call id the model assigned (`functions.NAME:IDX`).

use serde_json::{Map, Value};

use super::special::{Tok, any_lit, find_from, lit, run_end, skip_ws, slice};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{
    ParseCx, PartialCall, ReasoningCalls, RegionScan, RegionStart, ToolCallFormat,
};
use crate::normalizer::json::{self, JsonEnd, value_end};
use crate::normalizer::scan::is_name_byte;

const NAME: &str = "kimi_k2";

/// Openers: the section (plural, and the singular spelling also seen),
/// then a lone call written without a section.
const OPENERS: [&str; 3] = [
    "<|tool_calls_section_begin|>",
    "<|tool_call_section_begin|>",
    CALL_BEGIN,
];
const LONE_CALL: usize = 2;

const CALL_BEGIN: &str = "<|tool_call_begin|>";
const ARGS_BEGIN: &str = "<|tool_call_argument_begin|>";
const CALL_END: &str = "<|tool_call_end|>";
const SECTION_END: [&str; 2] = ["<|tool_calls_section_end|>", "<|tool_call_section_end|>"];

/// The id prefix Kimi puts before every function name.
const FUNCTIONS: &str = "functions.";

/// The first call-end or section-end token at or after `from`: position,
/// length, and whether it ends the section.
fn next_end(text: &str, from: usize) -> Option<(usize, usize, bool)> {
    let mut at = from;
    while let Some(found) = find_from(text, at, "<|") {
        if let Tok::Full(n) = lit(text, found, CALL_END) {
            return Some((found, n, false));
        }
        if let Tok::Full(n) = any_lit(text, found, &SECTION_END) {
            return Some((found, n, true));
        }
        at = found + 2;
    }
    None
}

/// The tool name inside a call id: without the `functions.` prefix and
/// the `:IDX` suffix (names themselves may contain dots).
fn name_of(id: &str) -> &str {
    let name = id.strip_prefix(FUNCTIONS).unwrap_or(id);
    match name.rsplit_once(':') {
        Some((name, index)) if index.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => name,
    }
}

#[derive(Debug, Clone, Copy)]
struct Call {
    begin: usize,
    id: (usize, usize),
    /// The arguments text; empty means no arguments.
    args: (usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    Done(usize),
    NeedMore,
    NotACall,
    Broken(usize, &'static str),
}

/// The id and where the arguments start, for the call at `begin`.
fn head(text: &str, begin: usize, first: bool) -> Result<((usize, usize), usize), Walk> {
    let broken = |at, why| {
        if first {
            Walk::NotACall
        } else {
            Walk::Broken(at, why)
        }
    };
    let start = match lit(text, begin, CALL_BEGIN) {
        Tok::Full(n) => skip_ws(text, begin + n),
        Tok::Prefix => return Err(Walk::NeedMore),
        Tok::No => return Err(broken(begin, "expected <|tool_call_begin|>")),
    };
    let id_end = run_end(text, start, |b| is_name_byte(b) || b == b':');
    let marker = skip_ws(text, id_end);
    match lit(text, marker, ARGS_BEGIN) {
        Tok::Full(n) if id_end > start => Ok(((start, id_end), skip_ws(text, marker + n))),
        Tok::Full(_) => Err(broken(start, "expected a call id")),
        Tok::Prefix => Err(Walk::NeedMore),
        Tok::No => Err(broken(marker, "expected <|tool_call_argument_begin|>")),
    }
}

/// The arguments and end token of a call; returns it and where the text
/// after it starts.
fn tail(text: &str, begin: usize, id: (usize, usize), args: usize) -> Result<(Call, usize), Walk> {
    let call = |end: usize| Call {
        begin,
        id,
        args: (args, end),
    };
    let search_from = match text.as_bytes().get(args) {
        None => return Err(Walk::NeedMore),
        Some(b'{' | b'[') => match value_end(text, args) {
            JsonEnd::Complete(end) => {
                let k = skip_ws(text, end);
                match lit(text, k, CALL_END) {
                    Tok::Full(n) => return Ok((call(end), k + n)),
                    Tok::Prefix => return Err(Walk::NeedMore),
                    Tok::No => end,
                }
            }
            // An unfinished string may still hold a literal end token.
            JsonEnd::Incomplete => return Err(Walk::NeedMore),
            JsonEnd::Invalid(at) => at,
        },
        Some(_) => match lit(text, args, CALL_END) {
            // No arguments at all.
            Tok::Full(n) => return Ok((call(args), args + n)),
            Tok::Prefix => return Err(Walk::NeedMore),
            Tok::No => args,
        },
    };
    // Broken JSON, or something after it: the arguments run to the next
    // end token and the JSON parser says what is wrong.
    match next_end(text, search_from) {
        Some((at, n, section_end)) => {
            let raw = slice(text, args, at).trim_end();
            Ok((
                call(args + raw.len()),
                if section_end { at } else { at + n },
            ))
        }
        None => Err(Walk::NeedMore),
    }
}

fn walk(text: &str, opener: usize, at_eof: bool, on_call: &mut dyn FnMut(Call)) -> Walk {
    let mut at = if opener == LONE_CALL {
        0
    } else {
        let at = skip_ws(text, OPENERS.get(opener).map_or(0, |o| o.len()));
        match lit(text, at, CALL_BEGIN) {
            Tok::Full(_) => at,
            Tok::Prefix => return Walk::NeedMore,
            Tok::No => {
                return match any_lit(text, at, &SECTION_END) {
                    Tok::Full(n) => Walk::Done(at + n),
                    Tok::Prefix => Walk::NeedMore,
                    Tok::No => Walk::NotACall,
                };
            }
        }
    };
    let mut first = true;
    loop {
        let found = head(text, at, first).and_then(|(id, args)| tail(text, at, id, args));
        let (call, end) = match found {
            Ok(found) => found,
            Err(walk) => return walk,
        };
        on_call(call);
        first = false;
        let next = skip_ws(text, end);
        match (
            lit(text, next, CALL_BEGIN),
            any_lit(text, next, &SECTION_END),
        ) {
            (Tok::Full(_), _) => at = next,
            (_, Tok::Full(n)) => return Walk::Done(next + n),
            (Tok::Prefix, _) | (_, Tok::Prefix) if !at_eof => return Walk::NeedMore,
            _ => return Walk::Done(end),
        }
    }
}

/// Kimi K2 (vLLM and SGLang `kimi_k2`):
///
/// ```text
/// <|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{"city": "Paris"}<|tool_call_end|><|tool_calls_section_end|>
/// ```
///
/// The whole `functions.NAME:IDX` is reported as the call id and `NAME` as
/// the tool (the prefix may be absent; names may contain dots). Also
/// accepted: the singular `<|tool_call_section_begin|>`, a call without a
/// section, a section whose end token never came (at the end of the
/// output) and empty arguments. Kimi K2 really calls tools while
/// thinking, so calls inside `<think>` are reported
/// ([`ReasoningCalls::Parse`]).
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::KimiK2};
///
/// let raw = "<think>Weather first.<|tool_calls_section_begin|><|tool_call_begin|>\
///            functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Paris\"}\
///            <|tool_call_end|><|tool_calls_section_end|></think>";
/// let out = TextNormalizer::new(KimiK2).normalize_text(raw).unwrap();
/// assert_eq!(out.reasoning, "Weather first.");
/// assert_eq!(out.calls[0].invocation.name, "get_weather");
/// assert_eq!(out.calls[0].id.as_deref(), Some("functions.get_weather:0"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct KimiK2;

impl ToolCallFormat for KimiK2 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["kimik2", "kimi"]
    }

    fn describe(&self) -> &'static str {
        "<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:IDX<|tool_call_argument_begin|>{…}<|tool_call_end|><|tool_calls_section_end|>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &OPENERS
    }

    fn reasoning_calls(&self) -> ReasoningCalls {
        ReasoningCalls::Parse
    }

    fn end_bytes(&self) -> &'static [u8] {
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        let RegionStart::Opener(opener) = start else {
            return RegionScan::NotACall;
        };
        match walk(text, opener, at_eof, &mut |_| {}) {
            Walk::Done(len) => RegionScan::Complete(len),
            Walk::NeedMore => RegionScan::NeedMore,
            Walk::NotACall => RegionScan::NotACall,
            Walk::Broken(at, _) => match next_end(text, at) {
                Some((end, n, _)) => RegionScan::Complete(end + n),
                None if at_eof => RegionScan::Complete(text.len()),
                None => RegionScan::NeedMore,
            },
        }
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let RegionStart::Opener(opener) = start else {
            return Ok(());
        };
        let mut calls = Vec::new();
        match walk(region, opener, true, &mut |call| calls.push(call)) {
            Walk::Done(_) => {}
            Walk::Broken(at, why) => return Err(NormalizeError::malformed(NAME, at, why)),
            Walk::NeedMore | Walk::NotACall => {
                return Err(NormalizeError::malformed(
                    NAME,
                    0,
                    "unfinished tool-call section",
                ));
            }
        }
        for call in calls {
            report(region, call, cx)?;
        }
        Ok(())
    }

    /// `scan` at the end of the output and `parse` in one walk, each call
    /// reported as it is found.
    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        let RegionStart::Opener(opener) = start else {
            return None;
        };
        let mut reported = true;
        let walked = walk(text, opener, at_eof, &mut |call| {
            reported = reported && report(text, call, cx).is_ok();
        });
        match walked {
            Walk::Done(len) if reported => Some(len),
            _ => None,
        }
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        let RegionStart::Opener(opener) = start else {
            return Vec::new();
        };
        let mut at = if opener == LONE_CALL {
            0
        } else {
            skip_ws(region, OPENERS.get(opener).map_or(0, |o| o.len()))
        };
        let mut out = Vec::new();
        while let Ok((id, args)) = head(region, at, false) {
            let id_text = slice(region, id.0, id.1);
            let mut call = PartialCall {
                name: Some(name_of(id_text).to_owned()),
                id: Some(id_text.to_owned()),
                arguments: String::new(),
            };
            match tail(region, at, id, args) {
                Ok((found, end)) => {
                    call.arguments = slice(region, found.args.0, found.args.1).to_owned();
                    out.push(call);
                    at = skip_ws(region, end);
                }
                Err(_) => {
                    let end = match value_end(region, args) {
                        JsonEnd::Complete(end) => end,
                        JsonEnd::Incomplete => region.len(),
                        JsonEnd::Invalid(_) => args,
                    };
                    call.arguments = slice(region, args, end).to_owned();
                    out.push(call);
                    break;
                }
            }
        }
        out
    }
}

/// Parse one call's arguments and report it with its id.
fn report(text: &str, call: Call, cx: &mut ParseCx<'_>) -> Result<(), NormalizeError> {
    let id = slice(text, call.id.0, call.id.1);
    let name = name_of(id);
    let args_text = slice(text, call.args.0, call.args.1);
    let args = if args_text.is_empty() {
        Value::Object(Map::new())
    } else {
        match json::parse_value(args_text, NAME, "arguments", name)
            .map_err(|err| err.shifted(call.args.0))?
        {
            Value::Null => Value::Object(Map::new()),
            other => other,
        }
    };
    json::report_call(
        cx,
        NAME,
        call.begin,
        name.to_owned(),
        args,
        Some(id.to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_of_ids() {
        assert_eq!(name_of("functions.get_weather:0"), "get_weather");
        assert_eq!(name_of("functions.web.search:12"), "web.search");
        assert_eq!(name_of("get_weather:3"), "get_weather");
        assert_eq!(name_of("get_weather"), "get_weather");
        assert_eq!(name_of("a:b"), "a:b");
    }

    #[test]
    fn prose_mentioning_the_section_token_is_not_a_call() {
        let text = "<|tool_calls_section_begin|> is how calls start";
        assert_eq!(
            KimiK2.scan(text, RegionStart::Opener(0), false),
            RegionScan::NotACall
        );
        assert_eq!(
            KimiK2.scan(
                "<|tool_calls_section_begin|>  <|tool_c",
                RegionStart::Opener(0),
                false
            ),
            RegionScan::NeedMore
        );
    }
}
