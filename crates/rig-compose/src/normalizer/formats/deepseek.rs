//! DeepSeek V3 / R1 and V3.1: calls between full-width-bar special tokens.
//!
//! Both versions wrap their calls in `<｜tool▁calls▁begin｜>` …
//! `<｜tool▁calls▁end｜>` and each call in `<｜tool▁call▁begin｜>` …
//! `<｜tool▁call▁end｜>`; they differ in what a call holds:
//!
//! * V3 / R1: `function<｜tool▁sep｜>NAME` then the arguments in a
//!   `` ```json `` fence;
//! * V3.1: `NAME<｜tool▁sep｜>` then the raw arguments JSON.
//!
//! The bars are U+FF5C and the word separators U+2581. Models sometimes
//! write the separators as `_` or spaces, so every token is matched with
//! any of the three between its words.

use serde_json::{Map, Value};

use super::special::{Tok, any_lit, find_from, lit, run_end, skip_ws, slice};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json::{self, JsonEnd, value_end};
use crate::normalizer::scan::is_name_byte;

/// Openers, most specific first. The last one opens a single call written
/// without the surrounding calls block.
const OPENERS: [&str; 5] = [
    "<｜tool▁calls▁begin｜>",
    "<｜tool_calls_begin｜>",
    "<｜tool calls begin｜>",
    "<｜tool▁calls｜>",
    "<｜tool▁call▁begin｜>",
];
/// Index of the lone-call opener in [`OPENERS`].
const LONE_CALL: usize = 4;

const CALL_BEGIN: &[&str] = &["tool", "call", "begin"];
const SEP: &[&str] = &["tool", "sep"];
const CALL_END: &[&str] = &["tool", "call", "end"];
const CALLS_END: &[&str] = &["tool", "calls", "end"];

const FENCE: &str = "```";

/// A DeepSeek special token: `<｜`, the words joined by `▁`, `_` or a
/// space, then `｜>`.
fn token(text: &str, at: usize, words: &[&str]) -> Tok {
    let mut i = at;
    match lit(text, i, "<｜") {
        Tok::Full(n) => i += n,
        other => return other,
    }
    for (k, word) in words.iter().enumerate() {
        if k > 0 {
            match any_lit(text, i, &["▁", "_", " "]) {
                Tok::Full(n) => i += n,
                other => return other,
            }
        }
        match lit(text, i, word) {
            Tok::Full(n) => i += n,
            other => return other,
        }
    }
    match lit(text, i, "｜>") {
        Tok::Full(n) => Tok::Full(i + n - at),
        other => other,
    }
}

/// The first call-end or calls-end token at or after `from`: its position,
/// length, and whether it ends the whole block.
fn next_end(text: &str, from: usize) -> Option<(usize, usize, bool)> {
    let mut at = from;
    while let Some(found) = find_from(text, at, "<｜") {
        if let Tok::Full(n) = token(text, found, CALL_END) {
            return Some((found, n, false));
        }
        if let Tok::Full(n) = token(text, found, CALLS_END) {
            return Some((found, n, true));
        }
        at = found + 1;
    }
    None
}

/// Which call layouts a format claims a block for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// Both layouts (V3/R1 with `function` and a fence, V3.1 raw).
    Any,
    /// Only blocks whose first call uses the V3.1 layout, so that
    /// auto-detection tells the versions apart.
    V31First,
}

/// A call whose parts have been located.
#[derive(Debug, Clone, Copy)]
struct Call {
    /// Where `<｜tool▁call▁begin｜>` starts.
    begin: usize,
    name: (usize, usize),
    /// The arguments JSON (possibly with trailing junk the parser reports).
    args: (usize, usize),
}

/// The head of a call: name and where the arguments start.
#[derive(Debug, Clone, Copy)]
struct Head {
    name: (usize, usize),
    args: usize,
    fenced: bool,
}

/// Why a walk over a region stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// The region is complete and this long.
    Done(usize),
    NeedMore,
    NotACall,
    /// The region is ours but broken at this offset.
    Broken(usize, &'static str),
}

/// A mismatch in a call head: before the first call is recognised the
/// opener was just text; after, the block is broken.
fn mismatch(first: bool, at: usize, why: &'static str) -> Walk {
    if first {
        Walk::NotACall
    } else {
        Walk::Broken(at, why)
    }
}

/// Read the head of the call whose begin token is at `begin`.
fn head(text: &str, begin: usize, first: bool, claim: Claim) -> Result<Head, Walk> {
    let start = match token(text, begin, CALL_BEGIN) {
        Tok::Full(n) => begin + n,
        Tok::Prefix => return Err(Walk::NeedMore),
        Tok::No => return Err(mismatch(first, begin, "expected <｜tool▁call▁begin｜>")),
    };
    let word_end = run_end(text, start, is_name_byte);
    let sep_at = skip_ws(text, word_end);
    let after_sep = match token(text, sep_at, SEP) {
        Tok::Full(n) => sep_at + n,
        Tok::Prefix => return Err(Walk::NeedMore),
        Tok::No => return Err(mismatch(first, sep_at, "expected <｜tool▁sep｜>")),
    };
    let at = skip_ws(text, after_sep);
    match text.as_bytes().get(at) {
        None => Err(Walk::NeedMore),
        // V3.1: the name came before the separator.
        Some(b'{' | b'[') => Ok(Head {
            name: (start, word_end),
            args: at,
            fenced: false,
        }),
        // V3 / R1: a type word, the separator, the name, then a fence.
        Some(&b) if is_name_byte(b) => {
            if first && claim == Claim::V31First {
                return Err(Walk::NotACall);
            }
            let name_end = run_end(text, at, is_name_byte);
            let mut j = skip_ws(text, name_end);
            if j >= text.len() {
                return Err(Walk::NeedMore);
            }
            let mut fenced = false;
            match lit(text, j, FENCE) {
                Tok::Full(n) => {
                    fenced = true;
                    // The language tag (`json`) and the newline after it.
                    j = skip_ws(text, run_end(text, j + n, |b| b.is_ascii_alphanumeric()));
                    if j >= text.len() {
                        return Err(Walk::NeedMore);
                    }
                }
                Tok::Prefix => return Err(Walk::NeedMore),
                Tok::No => {}
            }
            match text.as_bytes().get(j) {
                Some(b'{' | b'[') => Ok(Head {
                    name: (at, name_end),
                    args: j,
                    fenced,
                }),
                _ => Err(mismatch(first, j, "expected the arguments JSON")),
            }
        }
        Some(_) => Err(mismatch(
            first,
            at,
            "expected a tool name or arguments after <｜tool▁sep｜>",
        )),
    }
}

/// Read the arguments of a call and its end token. Returns the call and
/// where the text after it starts.
fn tail(text: &str, begin: usize, head: Head) -> Result<(Call, usize), Walk> {
    let call = |end: usize| Call {
        begin,
        name: head.name,
        args: (head.args, end),
    };
    let search_from = match value_end(text, head.args) {
        JsonEnd::Complete(end) => {
            let mut k = skip_ws(text, end);
            if head.fenced {
                match lit(text, k, FENCE) {
                    Tok::Full(n) => k = skip_ws(text, k + n),
                    Tok::Prefix => return Err(Walk::NeedMore),
                    Tok::No => {}
                }
            }
            match token(text, k, CALL_END) {
                Tok::Full(n) => return Ok((call(end), k + n)),
                Tok::Prefix => return Err(Walk::NeedMore),
                Tok::No => end,
            }
        }
        // An unfinished string may still hold a literal end token.
        JsonEnd::Incomplete => return Err(Walk::NeedMore),
        JsonEnd::Invalid(at) => at,
    };
    // Broken JSON or something after it: the arguments run to the next
    // end token and the JSON parser says what is wrong with them.
    match next_end(text, search_from) {
        Some((at, n, block_end)) => {
            let raw = slice(text, head.args, at).trim_end();
            let raw = if head.fenced {
                raw.strip_suffix(FENCE).map_or(raw, str::trim_end)
            } else {
                raw
            };
            // A calls-end token is left for the block to end on.
            let next = if block_end { at } else { at + n };
            Ok((call(head.args + raw.len()), next))
        }
        None => Err(Walk::NeedMore),
    }
}

/// Walk a region from its opener, handing each call to `on_call`.
fn walk(
    text: &str,
    opener: usize,
    claim: Claim,
    at_eof: bool,
    on_call: &mut dyn FnMut(Call),
) -> Walk {
    let mut at = if opener == LONE_CALL {
        0
    } else {
        let len = OPENERS.get(opener).map_or(0, |o| o.len());
        let at = skip_ws(text, len);
        match token(text, at, CALL_BEGIN) {
            Tok::Full(_) => at,
            Tok::Prefix => return Walk::NeedMore,
            Tok::No => {
                return match token(text, at, CALLS_END) {
                    Tok::Full(n) => Walk::Done(at + n),
                    Tok::Prefix => Walk::NeedMore,
                    Tok::No => Walk::NotACall,
                };
            }
        }
    };
    let mut first = true;
    loop {
        let call = head(text, at, first, claim).and_then(|h| tail(text, at, h));
        let (call, end) = match call {
            Ok(found) => found,
            Err(walk) => return walk,
        };
        on_call(call);
        first = false;
        let next = skip_ws(text, end);
        let more = token(text, next, CALL_BEGIN);
        let close = token(text, next, CALLS_END);
        match (more, close) {
            (Tok::Full(_), _) => at = next,
            (_, Tok::Full(n)) => return Walk::Done(next + n),
            // Maybe a token is on its way; at the end the block simply
            // stopped without its closing token.
            (Tok::Prefix, _) | (_, Tok::Prefix) if !at_eof => return Walk::NeedMore,
            _ => return Walk::Done(end),
        }
    }
}

fn scan_with(text: &str, start: RegionStart, at_eof: bool, claim: Claim) -> RegionScan {
    let RegionStart::Opener(opener) = start else {
        return RegionScan::NotACall;
    };
    match walk(text, opener, claim, at_eof, &mut |_| {}) {
        Walk::Done(len) => RegionScan::Complete(len),
        Walk::NeedMore => RegionScan::NeedMore,
        Walk::NotACall => RegionScan::NotACall,
        // Claim through the next end token so the parser can report it.
        Walk::Broken(at, _) => match next_end(text, at) {
            Some((end, n, _)) => RegionScan::Complete(end + n),
            None if at_eof => RegionScan::Complete(text.len()),
            None => RegionScan::NeedMore,
        },
    }
}

fn parse_with(
    region: &str,
    start: RegionStart,
    claim: Claim,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let RegionStart::Opener(opener) = start else {
        return Ok(());
    };
    let mut calls = Vec::new();
    match walk(region, opener, claim, true, &mut |call| calls.push(call)) {
        Walk::Done(_) => {}
        Walk::Broken(at, why) => return Err(NormalizeError::malformed(format, at, why)),
        Walk::NeedMore | Walk::NotACall => {
            return Err(NormalizeError::malformed(
                format,
                0,
                "unfinished tool-calls block",
            ));
        }
    }
    for call in calls {
        report(region, call, format, cx)?;
    }
    Ok(())
}

/// Whole-text shortcut: [`scan_with`] at the end of the output and
/// [`parse_with`] in one walk, each call reported as it is found.
fn scan_parse_with(
    text: &str,
    start: RegionStart,
    at_eof: bool,
    claim: Claim,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Option<usize> {
    let RegionStart::Opener(opener) = start else {
        return None;
    };
    let mut reported = true;
    let walked = walk(text, opener, claim, at_eof, &mut |call| {
        reported = reported && report(text, call, format, cx).is_ok();
    });
    match walked {
        Walk::Done(len) if reported => Some(len),
        _ => None,
    }
}

/// Parse one call's arguments and report it.
fn report(
    text: &str,
    call: Call,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let name = slice(text, call.name.0, call.name.1);
    let args_text = slice(text, call.args.0, call.args.1);
    let args = json::parse_value(args_text, format, "arguments", name)
        .map_err(|err| err.shifted(call.args.0))?;
    let args = match args {
        Value::Null => Value::Object(Map::new()),
        other => other,
    };
    json::report_call(cx, format, call.begin, name.to_owned(), args, None)
}

fn partial_with(region: &str, start: RegionStart) -> Vec<PartialCall> {
    let RegionStart::Opener(opener) = start else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut at = if opener == LONE_CALL {
        0
    } else {
        skip_ws(region, OPENERS.get(opener).map_or(0, |o| o.len()))
    };
    while let Ok(h) = head(region, at, false, Claim::Any) {
        let name = Some(slice(region, h.name.0, h.name.1).to_owned());
        match tail(region, at, h) {
            Ok((call, end)) => {
                out.push(PartialCall {
                    name,
                    id: None,
                    arguments: slice(region, call.args.0, call.args.1).to_owned(),
                });
                at = skip_ws(region, end);
            }
            Err(_) => {
                // Stop the raw text at the end of the JSON once it is
                // complete, so the closing fence is not streamed as
                // argument text.
                let end = match value_end(region, h.args) {
                    JsonEnd::Complete(end) => end,
                    _ => region.len(),
                };
                out.push(PartialCall {
                    name,
                    id: None,
                    arguments: slice(region, h.args, end).to_owned(),
                });
                break;
            }
        }
    }
    out
}

/// The trait impl of a DeepSeek version: the two differ only in names and
/// in which calls a block may start with ([`Claim`]).
macro_rules! deepseek_format {
    ($format:ident, $name:literal, [$($alias:literal),*], $describe:literal, $claim:expr) => {
        impl ToolCallFormat for $format {
            fn name(&self) -> &'static str {
                $name
            }

            fn aliases(&self) -> &'static [&'static str] {
                &[$($alias),*]
            }

            fn describe(&self) -> &'static str {
                $describe
            }

            fn openers(&self) -> &'static [&'static str] {
                &OPENERS
            }

            fn end_bytes(&self) -> &'static [u8] {
                b">"
            }

            fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
                scan_with(text, start, at_eof, $claim)
            }

            fn parse(
                &self,
                region: &str,
                start: RegionStart,
                cx: &mut ParseCx<'_>,
            ) -> Result<(), NormalizeError> {
                parse_with(region, start, $claim, $name, cx)
            }

            fn scan_parse(
                &self,
                text: &str,
                start: RegionStart,
                at_eof: bool,
                cx: &mut ParseCx<'_>,
            ) -> Option<usize> {
                scan_parse_with(text, start, at_eof, $claim, $name, cx)
            }

            fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
                partial_with(region, start)
            }
        }
    };
}

/// DeepSeek V3 and R1 (vLLM `deepseek_v3`):
///
/// ```text
/// <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather
/// ```json
/// {"city": "Tokyo"}
/// ```<｜tool▁call▁end｜><｜tool▁calls▁end｜>
/// ```
///
/// `｜` is U+FF5C and `▁` U+2581. Also accepted: the misspelled openers
/// `<｜tool_calls_begin｜>`, `<｜tool calls begin｜>` and `<｜tool▁calls｜>`,
/// `_` or spaces for `▁` in any token, a missing fence, a call written
/// without the surrounding block, a block whose closing token never came
/// (at the end of the output), and the V3.1 layout
/// (`NAME<｜tool▁sep｜>{…}`, see [`DeepSeekV31`]). Reasoning is in
/// `<think>` … `</think>`.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::DeepSeekV3};
///
/// let raw = "Let me check.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n\
///            ```json\n{\"city\": \"Tokyo\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
/// let out = TextNormalizer::new(DeepSeekV3).normalize_text(raw).unwrap();
/// assert_eq!(out.text, "Let me check.");
/// assert_eq!(out.calls[0].invocation.name, "get_weather");
/// assert_eq!(out.calls[0].invocation.args["city"], "Tokyo");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DeepSeekV3;

deepseek_format!(
    DeepSeekV3,
    "deepseek_v3",
    ["deepseekv3", "deepseek_r1", "deepseekr1"],
    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\\n```json\\n{…}\\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
    Claim::Any
);

/// DeepSeek V3.1 (vLLM `deepseek_v31`): raw JSON arguments, no `function`
/// word and no fence.
///
/// ```text
/// <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"city": "Tokyo"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>
/// ```
///
/// V3.1 chat templates open the reasoning block themselves, so the output
/// starts mid-reasoning and the first marker is `</think>`: use
/// [`TextNormalizer::starting_in_reasoning`](crate::normalizer::TextNormalizer::starting_in_reasoning).
/// A block whose first call is in the V3/R1 layout is left to
/// [`DeepSeekV3`] (which reads both), so auto-detection names the version
/// correctly; otherwise the same tolerances apply.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::DeepSeekV31};
///
/// let raw = "The user wants Tokyo.</think>\
///            <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Tokyo\"}\
///            <｜tool▁call▁end｜><｜tool▁calls▁end｜>";
/// let out = TextNormalizer::new(DeepSeekV31)
///     .starting_in_reasoning(true)
///     .normalize_text(raw)
///     .unwrap();
/// assert_eq!(out.reasoning, "The user wants Tokyo.");
/// assert_eq!(out.calls[0].invocation.args["city"], "Tokyo");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DeepSeekV31;

deepseek_format!(
    DeepSeekV31,
    "deepseek_v31",
    ["deepseekv31", "deepseek_v3.1"],
    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
    Claim::V31First
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_accept_every_separator_and_know_prefixes() {
        for spelled in [
            "<｜tool▁call▁end｜>",
            "<｜tool_call_end｜>",
            "<｜tool call end｜>",
            "<｜tool▁call_end｜>",
        ] {
            assert_eq!(token(spelled, 0, CALL_END), Tok::Full(spelled.len()));
        }
        assert_eq!(token("<｜tool▁ca", 0, CALL_END), Tok::Prefix);
        // Cut inside the multi-byte separator.
        assert_eq!(token("<｜tool\u{e2}", 0, CALL_END), Tok::No);
        assert_eq!(token("<｜tool-call-end｜>", 0, CALL_END), Tok::No);
        assert_eq!(token("<｜tool▁calls▁end｜>", 0, CALL_END), Tok::No);
    }

    #[test]
    fn v31_claim_leaves_v3_blocks_alone() {
        let v3 = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        let start = RegionStart::Opener(0);
        assert_eq!(
            scan_with(v3, start, false, Claim::Any),
            RegionScan::Complete(v3.len())
        );
        assert_eq!(
            scan_with(v3, start, false, Claim::V31First),
            RegionScan::NotACall
        );
        // Undecided until the byte after the separator arrives.
        let cut = v3.find("f\n").unwrap();
        assert_eq!(
            scan_with(&v3[..cut], start, false, Claim::V31First),
            RegionScan::NeedMore
        );
    }

    #[test]
    fn walk_reports_where_a_later_call_breaks() {
        let raw = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁call▁begin｜>g!<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        let mut n = 0;
        let walked = walk(raw, 0, Claim::Any, true, &mut |_| n += 1);
        let bang = raw.find('!').unwrap();
        assert_eq!(walked, Walk::Broken(bang, "expected <｜tool▁sep｜>"));
        assert_eq!(n, 1);
    }
}
