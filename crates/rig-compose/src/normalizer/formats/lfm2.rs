//! LFM2 (LiquidAI): a pythonic or JSON list of calls between
//! `<|tool_call_start|>` and `<|tool_call_end|>`.
//!
//! The pythonic list is read by the same parsers as the 0.5
//! [`LfmNormalizer`](crate::normalizer::LfmNormalizer) (a fast path for
//! well-formed blocks and the published crate's tolerant rules as
//! fallback), so everything it accepted still parses the same way. What
//! differs is how a block ends: here an end token inside a quoted argument
//! does not end it.

use super::lfm::{fast_block, tolerant_block};
use super::pythonic::partial_calls;
use super::special::{skip_ws, slice};
use super::tagged_json;
use crate::normalizer::ToolInvocation;
use crate::normalizer::diag::Site;
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json;
use crate::normalizer::limits::MAX_NESTING_DEPTH;
use crate::normalizer::literal::Bail;
use crate::normalizer::scan::scan_quoted;
use crate::registry::KernelError;

const NAME: &str = "lfm2";
const START: &str = "<|tool_call_start|>";
const END: &str = "<|tool_call_end|>";

/// Tracks, for increasing positions, whether a position lies inside a
/// quoted run (`'…'` or `"…"` with backslash escapes, as the LFM literal
/// parser reads them).
struct Quotes<'t> {
    text: &'t str,
    /// Where to look for the next quoted run.
    cursor: usize,
    /// The next quoted run at or after `cursor`: its start and end (`None`
    /// while it is unclosed).
    run: Option<(usize, Option<usize>)>,
}

impl<'t> Quotes<'t> {
    fn new(text: &'t str, from: usize) -> Self {
        Self {
            text,
            cursor: from,
            run: None,
        }
    }

    /// Whether `at` is inside a quoted run. Positions must not decrease.
    fn inside(&mut self, at: usize) -> bool {
        loop {
            let (start, end) = match self.run {
                Some(run) => run,
                None => {
                    let bytes = self.text.as_bytes().get(self.cursor..).unwrap_or_default();
                    let Some(found) = memchr::memchr2(b'\'', b'"', bytes) else {
                        return false;
                    };
                    let start = self.cursor + found;
                    let run = (start, scan_quoted(self.text, start).map(|(end, _)| end));
                    self.run = Some(run);
                    run
                }
            };
            if start >= at {
                return false;
            }
            match end {
                Some(end) if end <= at => {
                    self.cursor = end;
                    self.run = None;
                }
                _ => return true,
            }
        }
    }
}

/// Where the block starting after `START` ends: the first end token that
/// is outside quotes, or (for arguments with unbalanced quotes, such as an
/// apostrophe in a single-quoted string) that closes every bracket and
/// follows a `)`, `]` or `}`. At the end of the output the first end token
/// of any kind is taken.
fn block_end(text: &str, at_eof: bool) -> Option<usize> {
    let content = START.len();
    let mut quotes = Quotes::new(text, content);
    let mut depth: i64 = 0;
    let mut counted = content;
    let mut from = content;
    while let Some(at) = find_end(text, from) {
        // The bracket rule is checked first: it settles the common case
        // (`…)]` right before the token) with one branch-free pass, and
        // the quote walk only runs when it fails.
        depth += bracket_balance(slice(text, counted, at).as_bytes());
        counted = at;
        let before = slice(text, content, at).trim_end();
        if (depth == 0 && before.ends_with([')', ']', '}'])) || !quotes.inside(at) {
            return Some(at);
        }
        from = at + END.len();
    }
    if at_eof {
        find_end(text, content)
    } else {
        None
    }
}

/// Opening minus closing brackets in `bytes`, quotes ignored.
fn bracket_balance(bytes: &[u8]) -> i64 {
    // Byte counters per chunk (a chunk of 255 bytes cannot overflow them)
    // and no early exits, so the compiler can vectorize the loop.
    let mut total = 0i64;
    for chunk in bytes.chunks(255) {
        let (mut opens, mut closes) = (0u8, 0u8);
        for &b in chunk {
            opens += u8::from(b == b'(') + u8::from(b == b'[') + u8::from(b == b'{');
            closes += u8::from(b == b')') + u8::from(b == b']') + u8::from(b == b'}');
        }
        total += i64::from(opens) - i64::from(closes);
    }
    total
}

/// The first end token at or after `from`. It starts with `<`, which is
/// rare in arguments, so hopping between `<` bytes with memchr beats a
/// general substring search on short blocks.
fn find_end(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        at += memchr::memchr(b'<', bytes.get(at..)?)?;
        if bytes.get(at..)?.starts_with(END.as_bytes()) {
            return Some(at);
        }
        at += 1;
    }
}

/// Report one call of a block.
fn report(cx: &mut ParseCx<'_>, call: ToolInvocation) -> Result<(), NormalizeError> {
    // Both LFM parsers only accept names made of identifier bytes, so the
    // call is valid as it is; only a doubled name (`getget`) needs the
    // shared check and its warning.
    if repeats(&call.name) {
        json::report_call(cx, NAME, 0, call.name, call.args, None)
    } else {
        cx.call(call, None);
        Ok(())
    }
}

/// Whether `name` is some name written twice, which `report_call` warns
/// about.
fn repeats(name: &str) -> bool {
    let half = name.len() / 2;
    name.len() >= 6 && name.len().is_multiple_of(2) && name.get(..half) == name.get(half..)
}

/// Whether a block holds the JSON list form (`[{"name": …}]`).
fn is_json(block: &str) -> bool {
    let bytes = block.as_bytes();
    let first = skip_ws(block, 0);
    match bytes.get(first) {
        Some(b'{') => true,
        Some(b'[') => bytes.get(skip_ws(block, first + 1)) == Some(&b'{'),
        _ => false,
    }
}

/// Turn an error of the 0.5 LFM parsers (`LFM: what (at byte N, tool
/// `t`)`, located in the region) into a typed error.
fn located(err: KernelError) -> NormalizeError {
    let message = match err {
        KernelError::NormalizerFailed(message) => message,
        other => other.to_string(),
    };
    let (what, offset, tool) = match message.rsplit_once(" (at byte ") {
        Some((what, location)) => {
            let location = location.strip_suffix(')').unwrap_or(location);
            let (number, tool) = location.split_once(", ").unwrap_or((location, ""));
            (what, number.parse().unwrap_or(0), tool)
        }
        None => (message.as_str(), 0, ""),
    };
    let what = what.strip_prefix("LFM: ").unwrap_or(what);
    for prefix in ["duplicate kwarg: ", "duplicate object key: "] {
        if let Some(key) = what.strip_prefix(prefix) {
            return NormalizeError::DuplicateKey {
                format: NAME,
                offset,
                key: key.to_owned(),
            };
        }
    }
    if let Some(name) = what.strip_prefix("invalid tool name: ") {
        return NormalizeError::InvalidToolName {
            format: NAME,
            offset,
            name: name.trim_matches('"').to_owned(),
        };
    }
    if what.contains("nested deeper than") {
        return NormalizeError::LimitExceeded {
            format: NAME,
            offset,
            limit: format!("nesting depth {MAX_NESTING_DEPTH}"),
        };
    }
    if tool.is_empty() {
        NormalizeError::malformed(NAME, offset, what)
    } else {
        NormalizeError::malformed(NAME, offset, format!("{what} ({tool})"))
    }
}

/// LFM2 (SGLang `lfm2`):
///
/// ```text
/// <|tool_call_start|>[get_weather(city="Paris"), get_time(tz="UTC")]<|tool_call_end|>
/// <|tool_call_start|>[{"name": "calculator", "arguments": {"expression": "5 * 7"}}]<|tool_call_end|>
/// ```
///
/// Pythonic lists are read with the rules of the 0.5
/// [`LfmNormalizer`](crate::normalizer::LfmNormalizer), which copes with
/// what LFM2 really writes: Python keywords as argument names (`from=`),
/// unescaped quotes inside strings (shell commands), raw newlines in
/// strings and zero-padded integers (`month=07`). Unlike it, an end token
/// inside a quoted argument does not end the block.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Lfm2};
/// use serde_json::json;
///
/// let raw = "<|tool_call_start|>[search(from='2024-07-01', query=\"say \"hi\"\", month=07)]<|tool_call_end|>";
/// let out = TextNormalizer::new(Lfm2).normalize_text(raw).unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"from": "2024-07-01", "query": "say \"hi\"", "month": 7}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Lfm2;

impl ToolCallFormat for Lfm2 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["lfm", "liquid"]
    }

    fn describe(&self) -> &'static str {
        "<|tool_call_start|>[NAME(key=\"value\"), …]<|tool_call_end|> or a JSON list of calls"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[START]
    }

    fn end_bytes(&self) -> &'static [u8] {
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start == RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        match block_end(text, at_eof) {
            Some(at) => RegionScan::Complete(at + END.len()),
            None => RegionScan::NeedMore,
        }
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let inner_end = region.len().saturating_sub(END.len()).max(START.len());
        let block = slice(region, START.len(), inner_end);
        if is_json(block) {
            let trimmed = block.trim_start();
            let offset = START.len() + block.len() - trimmed.len();
            return tagged_json::parse_calls_json(trimmed.trim_end(), offset, NAME, cx);
        }
        // Well-formed blocks go straight into `cx`; anything else is undone
        // and read by the tolerant parser.
        let (calls, warnings) = (cx.calls.len(), cx.warnings.len());
        if fast_block(block, |call| report(cx, call).map_err(|_| Bail)).is_ok() {
            return Ok(());
        }
        cx.calls.truncate(calls);
        cx.warnings.truncate(warnings);
        let mut calls = Vec::new();
        tolerant_block(Site::new(region), block, &mut calls).map_err(located)?;
        for call in calls {
            report(cx, call)?;
        }
        Ok(())
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        let block = slice(region, START.len(), region.len());
        if is_json(block) {
            let json_at = skip_ws(block, 0);
            let body = slice(block, json_at, block.len());
            return tagged_json::partial_calls(body);
        }
        partial_calls(region, START.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(block: &str, at_eof: bool) -> Option<String> {
        let text = format!("{START}{block}");
        block_end(&text, at_eof).map(|at| text[START.len()..at].to_owned())
    }

    #[test]
    fn end_tokens_inside_quotes_do_not_end_a_block() {
        assert_eq!(
            end("[f(a=1)]<|tool_call_end|> x", false).as_deref(),
            Some("[f(a=1)]")
        );
        assert_eq!(
            end("[f(s='<|tool_call_end|>')]<|tool_call_end|>", false).as_deref(),
            Some("[f(s='<|tool_call_end|>')]")
        );
        // An apostrophe leaves a quote open; the bracket rule still ends it.
        assert_eq!(
            end("[f(s='it's')]<|tool_call_end|> and 'more'", false).as_deref(),
            Some("[f(s='it's')]")
        );
        // Unbalanced quotes and no closing bracket before the token: only
        // the end of the output decides.
        assert_eq!(end("[f(s='it's' <|tool_call_end|>", false), None);
        assert_eq!(
            end("[f(s='it's' <|tool_call_end|>", true).as_deref(),
            Some("[f(s='it's' ")
        );
        assert_eq!(end("[f(s='a')]", true), None);
    }

    #[test]
    fn errors_of_the_published_rules_become_typed() {
        let err = located(KernelError::NormalizerFailed(
            "LFM: duplicate kwarg: x (at byte 29, tool `add`)".into(),
        ));
        assert_eq!(
            err,
            NormalizeError::DuplicateKey {
                format: NAME,
                offset: 29,
                key: "x".into()
            }
        );
        let err = located(KernelError::NormalizerFailed(
            "LFM: kwarg without '=': \"x\" (at byte 7, tool `f`)".into(),
        ));
        assert_eq!(
            err.to_string(),
            "lfm2: kwarg without '=': \"x\" (tool `f`) (at byte 7)"
        );
        let err = located(KernelError::NormalizerFailed(
            "invalid tool name: \"a/b\" (at byte 3)".into(),
        ));
        assert!(
            matches!(err, NormalizeError::InvalidToolName { offset: 3, ref name, .. } if name == "a/b")
        );
    }
}
