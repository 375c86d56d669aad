//! LiquidAI LFM: `<|tool_call_start|>[name(key=value, ...)]<|tool_call_end|>`.

use serde_json::{Map, Value};

use crate::normalizer::diag::{Clipped, Excerpt, Site};
use crate::normalizer::limits::MAX_INPUT_BYTES;
use crate::normalizer::literal::{Bail, Fast, Tolerant};
use crate::normalizer::scan::{Cursor, TopLevelParts, is_name_byte};
use crate::normalizer::{ToolCallNormalizer, ToolInvocation};
use crate::registry::KernelError;

const START: &str = "<|tool_call_start|>";
const END: &str = "<|tool_call_end|>";
/// Prefix of error messages from this format.
const FORMAT: &str = "LFM";

/// Normalizer for LiquidAI LFM models (such as LFM2), which write tool calls
/// into their text between `<|tool_call_start|>` and `<|tool_call_end|>`
/// markers as Python-style calls with keyword arguments:
///
/// ```text
/// <|tool_call_start|>[get_weather(city='Berlin', days=3)]<|tool_call_end|>
/// ```
///
/// A block may hold several comma-separated calls, with or without the
/// surrounding `[` `]`, and a message may hold several blocks; calls come
/// back in order. Argument values are Python literals: quoted strings,
/// `True`/`False`/`None` (or `null`), integers, floats, lists and dicts;
/// anything else is taken as a bare string.
///
/// Errors say what was wrong, the byte offset in `raw` and, once known, the
/// tool name. Inputs over
/// [`MAX_INPUT_BYTES`](crate::normalizer::limits::MAX_INPUT_BYTES) and
/// literals nested deeper than
/// [`MAX_NESTING_DEPTH`](crate::normalizer::limits::MAX_NESTING_DEPTH) are
/// rejected; nothing panics or recurses without bound.
///
/// ```
/// use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};
/// use serde_json::json;
///
/// let raw = "Checking.<|tool_call_start|>[add(x=3, y=[1.5, None]), \
///            note(text='a, b')]<|tool_call_end|>";
/// let calls = LfmNormalizer.normalize(raw).unwrap();
/// assert_eq!(calls[0].name, "add");
/// assert_eq!(calls[0].args, json!({"x": 3, "y": [1.5, null]}));
/// assert_eq!(calls[1].args, json!({"text": "a, b"}));
///
/// let err = LfmNormalizer
///     .normalize("<|tool_call_start|>[add(x=1, x=2)]<|tool_call_end|>")
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "tool-call normalizer failed: LFM: duplicate kwarg: x (at byte 29, tool `add`)"
/// );
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LfmNormalizer;

impl ToolCallNormalizer for LfmNormalizer {
    fn normalize(&self, raw: &str) -> Result<Vec<ToolInvocation>, KernelError> {
        let site = Site::new(raw);
        if raw.len() > MAX_INPUT_BYTES {
            return Err(site.fail_at(
                MAX_INPUT_BYTES,
                format_args!(
                    "{FORMAT}: input of {} bytes exceeds the limit of {MAX_INPUT_BYTES} bytes",
                    raw.len()
                ),
            ));
        }
        let mut calls = Vec::new();
        let mut from = 0;
        while let Some(start) = find(raw, START, from) {
            let body = start + START.len();
            let Some(end) = find(raw, END, body) else {
                return Err(site.fail_at(start, format_args!("{FORMAT}: unclosed {START} marker")));
            };
            from = end + END.len();
            let block = raw.get(body..end).unwrap_or_default();
            let kept = calls.len();
            let fast = fast_block(block, |call| {
                calls.push(call);
                Ok(())
            });
            if fast.is_err() {
                calls.truncate(kept);
                tolerant_block(site, block, &mut calls)?;
            }
        }
        Ok(calls)
    }

    fn is_applicable(&self, raw: &str) -> bool {
        raw.contains(START)
    }
}

/// Byte index of the first `marker` in `haystack` at or after `from`.
///
/// Both markers start with `<`, which is rare in prose, so jumping between
/// `<` bytes (`str::find(char)` uses memchr) and comparing there beats a
/// general substring search on typical model output.
fn find(haystack: &str, marker: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let rest = haystack.get(at..)?;
        at += rest.find('<')?;
        if haystack.get(at..)?.starts_with(marker) {
            return Some(at);
        }
        at += 1;
    }
}

/// The calls region of a block: the trimmed block without one pair of
/// enclosing square brackets, if it has them.
fn calls_region(block: &str) -> &str {
    let block = block.trim();
    match block.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
        Some(inner) => inner,
        None => block,
    }
}

// ── Fast path: one forward pass over well-formed blocks ───────────────────

/// Parse a well-formed block, handing each call to `push` as it is read;
/// [`Bail`] on anything else, or when `push` says so (the caller then drops
/// what it took and re-parses the block with [`tolerant_block`]). Shared
/// with the `lfm2` format, which finds blocks its own way and takes the
/// calls straight into its parse context.
pub(crate) fn fast_block(
    block: &str,
    mut push: impl FnMut(ToolInvocation) -> Result<(), Bail>,
) -> Result<(), Bail> {
    let mut cur = Cursor::new(calls_region(block));
    loop {
        cur.skip_ws();
        match cur.peek() {
            None => return Ok(()),
            Some(b',') => {
                cur.bump();
                continue;
            }
            Some(_) => {}
        }
        push(fast_call(&mut cur)?)?;
        cur.skip_ws();
        match cur.peek() {
            None => return Ok(()),
            Some(b',') => cur.bump(),
            Some(_) => return Err(Bail),
        }
    }
}

fn fast_call(cur: &mut Cursor<'_>) -> Result<ToolInvocation, Bail> {
    let start = cur.take_while(is_name_byte);
    let name = cur.slice(start, cur.pos());
    if name.is_empty() {
        return Err(Bail);
    }
    cur.skip_ws();
    if cur.peek() != Some(b'(') {
        return Err(Bail);
    }
    cur.bump();
    let mut args = Map::new();
    loop {
        cur.skip_ws();
        match cur.peek() {
            Some(b')') => break,
            Some(b',') => {
                cur.bump();
                continue;
            }
            _ => {}
        }
        let start = cur.take_while(is_name_byte);
        let key = cur.slice(start, cur.pos());
        cur.skip_ws();
        if key.is_empty() || cur.peek() != Some(b'=') {
            return Err(Bail);
        }
        cur.bump();
        cur.skip_ws();
        let value = Fast::value(cur, 0)?;
        match args.entry(key) {
            serde_json::map::Entry::Vacant(slot) => {
                slot.insert(value);
            }
            serde_json::map::Entry::Occupied(_) => return Err(Bail),
        }
        cur.skip_ws();
        match cur.peek() {
            Some(b',') => cur.bump(),
            Some(b')') => break,
            _ => return Err(Bail),
        }
    }
    cur.bump();
    Ok(ToolInvocation {
        name: name.to_owned(),
        args: Value::Object(args),
    })
}

// ── Tolerant path: every input the published parser handled ──────────────

/// Parse a block with the published parser's rules, appending its calls or
/// returning the error that parser would have reported (plus location).
pub(crate) fn tolerant_block(
    site: Site<'_>,
    block: &str,
    calls: &mut Vec<ToolInvocation>,
) -> Result<(), KernelError> {
    for part in TopLevelParts::new(calls_region(block), b',') {
        let expr = part.text.trim();
        if !expr.is_empty() {
            calls.push(tolerant_call(site, expr)?);
        }
    }
    Ok(())
}

/// `name(kwargs)`: the name ends at the first `(`, the arguments at the
/// last `)`, and only whitespace may follow.
fn tolerant_call<'s>(site: Site<'s>, expr: &'s str) -> Result<ToolInvocation, KernelError> {
    let Some(open) = expr.find('(') else {
        return Err(site.fail(
            expr,
            format_args!("{FORMAT}: expected '(' in call: {}", Excerpt(expr)),
        ));
    };
    let name = expr.get(..open).unwrap_or_default().trim();
    if name.is_empty() {
        return Err(site.fail(
            expr,
            format_args!("{FORMAT}: empty tool name in call expression"),
        ));
    }
    if !name.bytes().all(is_name_byte) {
        return Err(site.fail(expr, format_args!("invalid tool name: {}", Excerpt(name))));
    }
    let site = site.with_tool(name);
    let rest = expr.get(open + 1..).unwrap_or_default();
    let Some(close) = rest.rfind(')') else {
        return Err(site.fail(
            expr,
            format_args!("{FORMAT}: missing closing ')' in: {}", Excerpt(expr)),
        ));
    };
    let trailing = rest.get(close + 1..).unwrap_or_default();
    if !trailing.trim().is_empty() {
        return Err(site.fail(
            trailing,
            format_args!(
                "{FORMAT}: trailing content after call expression: {}",
                Excerpt(trailing)
            ),
        ));
    }
    let args = tolerant_kwargs(site, rest.get(..close).unwrap_or_default())?;
    Ok(ToolInvocation {
        name: name.to_owned(),
        args,
    })
}

/// `key=value, ...`: each key ends at the first `=` of its pair.
fn tolerant_kwargs<'s>(site: Site<'s>, text: &'s str) -> Result<Value, KernelError> {
    let literals = Tolerant::new(site, FORMAT);
    let mut args = Map::new();
    for part in TopLevelParts::new(text, b',') {
        let pair = part.text.trim();
        if pair.is_empty() {
            continue;
        }
        let Some(eq) = pair.find('=') else {
            return Err(site.fail(
                pair,
                format_args!("{FORMAT}: kwarg without '=': {}", Excerpt(pair)),
            ));
        };
        let key = pair.get(..eq).unwrap_or_default().trim();
        if key.is_empty() {
            return Err(site.fail(pair, format_args!("{FORMAT}: empty kwarg name")));
        }
        if !key.bytes().all(is_name_byte) {
            return Err(site.fail(pair, format_args!("invalid kwarg name: {}", Excerpt(key))));
        }
        match args.entry(key) {
            serde_json::map::Entry::Occupied(_) => {
                return Err(site.fail(
                    pair,
                    format_args!("{FORMAT}: duplicate kwarg: {}", Clipped(key)),
                ));
            }
            serde_json::map::Entry::Vacant(slot) => {
                let value = pair.get(eq + 1..).unwrap_or_default().trim();
                slot.insert(literals.value(value, 0)?);
            }
        }
    }
    Ok(Value::Object(args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wrap(block: &str) -> String {
        format!("{START}{block}{END}")
    }

    fn parse(block: &str) -> Result<Vec<ToolInvocation>, KernelError> {
        LfmNormalizer.normalize(&wrap(block))
    }

    fn fast(block: &str) -> Result<Vec<ToolInvocation>, Bail> {
        let mut calls = Vec::new();
        fast_block(block, |call| {
            calls.push(call);
            Ok(())
        })
        .map(|()| calls)
    }

    fn tolerant(block: &str) -> Result<Vec<ToolInvocation>, KernelError> {
        let mut calls = Vec::new();
        tolerant_block(Site::new(block), block, &mut calls).map(|()| calls)
    }

    fn call(name: &str, args: Value) -> ToolInvocation {
        ToolInvocation {
            name: name.into(),
            args,
        }
    }

    #[test]
    fn well_formed_blocks_take_the_fast_path() {
        let cases = [
            ("[f()]", vec![call("f", json!({}))]),
            ("g(a=1)", vec![call("g", json!({"a": 1}))]),
            (
                " [ a.b-c ( x = 'y' , z=[1, {'k': None}] ) , d(),] ",
                vec![
                    call("a.b-c", json!({"x": "y", "z": [1, {"k": null}]})),
                    call("d", json!({})),
                ],
            ),
            ("[f(x=, y=2)]", vec![call("f", json!({"x": "", "y": 2}))]),
            ("[f(,x=1,,)]", vec![call("f", json!({"x": 1}))]),
            ("[]", vec![]),
            ("", vec![]),
        ];
        for (block, want) in cases {
            assert_eq!(fast(block).unwrap(), want, "{block}");
            assert_eq!(tolerant(block).unwrap(), want, "{block}");
            assert_eq!(parse(block).unwrap(), want, "{block}");
        }
    }

    #[test]
    fn odd_but_accepted_blocks_match_the_published_rules() {
        let cases = [
            // The arguments end at the last `)` of the call.
            ("f(a=1) g(b=2)", vec![call("f", json!({"a": "1) g(b=2"}))]),
            ("[f(x=g(1))]", vec![call("f", json!({"x": "g(1)"}))]),
            (
                "[f(x=a b, y=p=q)]",
                vec![call("f", json!({"x": "a b", "y": "p=q"}))],
            ),
            (
                "[f(x=[a]b[c, d])]",
                vec![call("f", json!({"x": ["a]b[c, d"]}))],
            ),
        ];
        for (block, want) in cases {
            assert_eq!(tolerant(block).unwrap(), want, "{block}");
            assert_eq!(parse(block).unwrap(), want, "{block}");
        }
    }

    #[test]
    fn errors_locate_the_problem() {
        let cases = [
            (
                "[not_a_call]",
                "LFM: expected '(' in call: \"not_a_call\" (at byte 20)",
            ),
            (
                "[(x=1)]",
                "LFM: empty tool name in call expression (at byte 20)",
            ),
            (
                "[bad/name(x=1)]",
                "invalid tool name: \"bad/name\" (at byte 20)",
            ),
            (
                "[f(x=1]",
                "LFM: missing closing ')' in: \"f(x=1\" (at byte 20, tool `f`)",
            ),
            (
                "[f(x=1) extra]",
                "LFM: trailing content after call expression: \" extra\" (at byte 26, tool `f`)",
            ),
            (
                "[f(badarg)]",
                "LFM: kwarg without '=': \"badarg\" (at byte 22, tool `f`)",
            ),
            ("[f(=1)]", "LFM: empty kwarg name (at byte 22, tool `f`)"),
            (
                "[f(a b=1)]",
                "invalid kwarg name: \"a b\" (at byte 22, tool `f`)",
            ),
            (
                "[f(c=1, c=2)]",
                "LFM: duplicate kwarg: c (at byte 27, tool `f`)",
            ),
            (
                "[f(items=['a', 'b')]",
                "LFM: unterminated list literal (at byte 28, tool `f`)",
            ),
            (
                "[f(x=nan)]",
                "LFM: non-finite float in argument: \"nan\" (at byte 24, tool `f`)",
            ),
        ];
        for (block, want) in cases {
            let err = parse(block).unwrap_err();
            assert!(matches!(err, KernelError::NormalizerFailed(_)));
            assert_eq!(
                err.to_string(),
                format!("tool-call normalizer failed: {want}")
            );
            assert_eq!(fast(block), Err(Bail), "{block}");
        }
    }

    #[test]
    fn markers() {
        let err = LfmNormalizer
            .normalize("text <|tool_call_start|>[f()]")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "tool-call normalizer failed: LFM: unclosed <|tool_call_start|> marker (at byte 5)"
        );
        // Calls from several blocks keep their order; prose is ignored.
        let raw = format!("a {} b {} c", wrap("[f(n=1)]"), wrap("g(n=2), h()"));
        let names: Vec<_> = LfmNormalizer
            .normalize(&raw)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["f", "g", "h"]);
        // An end marker inside a string still ends the block, as before.
        assert!(parse("[f(x='<|tool_call_end|>')]").is_err());
        assert!(LfmNormalizer.normalize("no calls here").unwrap().is_empty());
        assert!(LfmNormalizer.is_applicable(&wrap("")));
        assert!(!LfmNormalizer.is_applicable(END));
    }

    #[test]
    fn a_failed_fast_parse_leaves_no_partial_calls() {
        // The first call parses fast, the second makes the fast path give up;
        // the block must not contribute the first call twice.
        let calls = parse("[f(a=1), g(x=h(2))]").unwrap();
        assert_eq!(
            calls,
            [call("f", json!({"a": 1})), call("g", json!({"x": "h(2)"}))]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Whenever the fast path accepts a block, the tolerant path (the
        /// published rules) accepts it with the same calls.
        #[test]
        fn fast_path_agrees_with_tolerant_path(
            head in "[a-c_]{1,3}",
            args in "[a-c0-9 ,()\\[\\]{}:='\"\\\\.+-]{0,24}",
            tail in "[a-c0-9 ,=\\[\\]{}':]{0,12}",
        ) {
            for block in [
                format!("[{head}(x={args})]"),
                format!("{head}(x={args}, y=[{tail}])"),
                format!("[{head}(k={{{tail}}}), {head}(z={args})]"),
            ] {
                if let Ok(fast) = fast(&block) {
                    proptest::prop_assert_eq!(Some(fast), tolerant(&block).ok(), "{}", block);
                }
            }
        }
    }

    #[test]
    fn oversized_input_is_rejected_up_front() {
        let raw = "x".repeat(MAX_INPUT_BYTES + 1);
        let err = LfmNormalizer.normalize(&raw).unwrap_err().to_string();
        assert!(err.contains("exceeds the limit of 16777216 bytes"), "{err}");
    }
}
