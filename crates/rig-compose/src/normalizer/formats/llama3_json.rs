//! Llama 3.x JSON tool calls: call objects (optionally after
//! `<|python_tag|>`), `;`-separated or in an array, and the built-in tools'
//! `name.call(key="value")` form.

use serde_json::{Map, Value};

use super::tagged_json::{self, CallJson, skip_ws};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json::{self, CallShape, JsonEnd, value_end};
use crate::normalizer::limits::MAX_NESTING_DEPTH;
use crate::normalizer::literal::{Bail, Fast};
use crate::normalizer::scan::{Cursor, is_name_byte, skip_quoted};

const NAME: &str = "llama3_json";
const PYTHON_TAG: &str = "<|python_tag|>";
/// Built-in tools are invoked as `brave_search.call(query="...")`.
const CALL_SUFFIX: &str = ".call";

/// Llama 3.1 / 3.2 / 3.3 (and Llama 4 in JSON mode) tool calls:
///
/// ```text
/// <|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}
/// {"name": "a", "parameters": {}}; {"name": "b", "arguments": {"x": 1}}
/// [{"name": "a", "parameters": {}}, {"name": "b", "parameters": {}}]
/// <|python_tag|>brave_search.call(query="weather in Paris")
/// ```
///
/// `<|python_tag|>` is optional: without it the calls must start the
/// visible output (after any reasoning), and must be call objects. Calls
/// are separated by `;` or given as one JSON array; the arguments key is
/// `parameters` or `arguments`. After `<|python_tag|>`, built-in tools may
/// be called Python-style (`name.call(k=v, ...)`, values are Python
/// literals); the tool name is the part before `.call`.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Llama3Json};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(Llama3Json)
///     .normalize_text(
///         "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}; \
///          {\"name\": \"get_time\", \"parameters\": {\"tz\": \"UTC\"}}",
///     )
///     .unwrap();
/// assert_eq!(out.calls.len(), 2);
/// assert_eq!(out.calls[1].invocation.args, json!({"tz": "UTC"}));
///
/// let out = TextNormalizer::new(Llama3Json)
///     .normalize_text("<|python_tag|>brave_search.call(query=\"weather Paris\")")
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.name, "brave_search");
/// assert_eq!(out.calls[0].invocation.args, json!({"query": "weather Paris"}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Llama3Json;

/// What one item of a region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// A JSON call object or array of them, `text[at..end]`.
    Json { end: usize },
    /// A built-in tool call: the name ends at `name_end` (before `.call`),
    /// the arguments sit between the parentheses at `open` and `end - 1`.
    Builtin {
        name_end: usize,
        open: usize,
        end: usize,
    },
    /// JSON broken at some byte; the region is claimed through `end` so
    /// the parser reports it.
    Broken { end: usize },
}

impl Item {
    fn end(self) -> usize {
        match self {
            Self::Json { end } | Self::Builtin { end, .. } | Self::Broken { end } => end,
        }
    }
}

/// Reading one item gave no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoItem {
    NeedMore,
    NotACall,
}

/// Where the built-in call whose `(` is at `open` ends: just past the
/// matching `)`, skipping Python strings.
fn paren_end(text: &str, open: usize) -> Result<Item, NoItem> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' | b'"' => {
                i = skip_quoted(text, i).ok_or(NoItem::NeedMore)?;
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING_DEPTH {
                    return Ok(Item::Broken { end: i + 1 });
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(if b == b')' {
                        Item::Builtin {
                            name_end: 0,
                            open,
                            end: i + 1,
                        }
                    } else {
                        Item::Broken { end: i + 1 }
                    });
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(NoItem::NeedMore)
}

/// Read the item at `at` (whitespace skipped). `tagged` says the region
/// began with `<|python_tag|>`: then any JSON and built-in calls are
/// accepted; bare items must be call objects.
fn item(text: &str, at: usize, tagged: bool) -> Result<Item, NoItem> {
    let bytes = text.as_bytes();
    match bytes.get(at) {
        None => Err(NoItem::NeedMore),
        Some(b'{' | b'[') if tagged => match value_end(text, at) {
            JsonEnd::Complete(end) => Ok(Item::Json { end }),
            JsonEnd::Incomplete => Err(NoItem::NeedMore),
            JsonEnd::Invalid(bad) => Ok(Item::Broken { end: bad + 1 }),
        },
        Some(b'{' | b'[') => match tagged_json::call_json(text, at, true) {
            CallJson::Calls(end) => Ok(Item::Json { end }),
            CallJson::NeedMore => Err(NoItem::NeedMore),
            CallJson::NotCalls => Err(NoItem::NotACall),
        },
        Some(&b) if tagged && is_name_byte(b) => {
            let rest = bytes.get(at..).unwrap_or_default();
            let Some(run) = rest.iter().position(|&b| !is_name_byte(b)) else {
                return Err(NoItem::NeedMore);
            };
            let word = text.get(at..at + run).unwrap_or_default();
            let name_len = word
                .strip_suffix(CALL_SUFFIX)
                .filter(|name| !name.is_empty())
                .ok_or(NoItem::NotACall)?
                .len();
            if rest.get(run) != Some(&b'(') {
                return Err(NoItem::NotACall);
            }
            match paren_end(text, at + run)? {
                Item::Builtin { open, end, .. } => Ok(Item::Builtin {
                    name_end: at + name_len,
                    open,
                    end,
                }),
                other => Ok(other),
            }
        }
        Some(_) => Err(NoItem::NotACall),
    }
}

/// Where the first item of a region starts.
fn first_item(start: RegionStart) -> (bool, usize) {
    match start {
        RegionStart::Opener(_) => (true, PYTHON_TAG.len()),
        RegionStart::OutputStart => (false, 0),
    }
}

/// Calls `visit(at, item)` for each item of a complete region, in order.
fn each_item(
    region: &str,
    start: RegionStart,
    mut visit: impl FnMut(usize, Item) -> Result<(), NormalizeError>,
) -> Result<(), NormalizeError> {
    let bytes = region.as_bytes();
    let (tagged, mut pos) = first_item(start);
    loop {
        let at = skip_ws(bytes, pos);
        let Ok(found) = item(region, at, tagged) else {
            return Ok(());
        };
        visit(at, found)?;
        let next = skip_ws(bytes, found.end());
        if bytes.get(next) != Some(&b';') {
            return Ok(());
        }
        pos = next + 1;
    }
}

/// Parse `name.call(k=v, ...)` arguments: `inner` is the text between the
/// parentheses, at `offset` in the region.
fn kwargs(inner: &str, offset: usize, tool: &str) -> Result<Map<String, Value>, NormalizeError> {
    let mut cur = Cursor::new(inner);
    let mut args = Map::new();
    let at = |cur: &Cursor<'_>| offset + cur.pos();
    loop {
        cur.skip_ws();
        if cur.peek().is_none() {
            return Ok(args);
        }
        let key_start = cur.take_while(|b| b.is_ascii_alphanumeric() || b == b'_');
        let key = cur.slice(key_start, cur.pos());
        if key.is_empty() {
            return Err(NormalizeError::malformed(
                NAME,
                at(&cur),
                format!("expected a keyword argument of `{tool}`"),
            ));
        }
        cur.skip_ws();
        if cur.peek() != Some(b'=') {
            return Err(NormalizeError::malformed(
                NAME,
                at(&cur),
                format!("expected `=` after `{key}`"),
            ));
        }
        cur.bump();
        cur.skip_ws();
        let value_at = at(&cur);
        let value = Fast::value(&mut cur, 0).map_err(|Bail| {
            NormalizeError::malformed(NAME, value_at, format!("`{key}` is not a Python literal"))
        })?;
        if args.contains_key(key) {
            return Err(NormalizeError::DuplicateKey {
                format: NAME,
                offset: at(&cur),
                key: key.to_owned(),
            });
        }
        args.insert(key.to_owned(), value);
        cur.skip_ws();
        match cur.peek() {
            None => return Ok(args),
            Some(b',') => cur.bump(),
            Some(_) => {
                return Err(NormalizeError::malformed(
                    NAME,
                    at(&cur),
                    format!("expected `,` or `)` after the value of `{key}`"),
                ));
            }
        }
    }
}

impl ToolCallFormat for Llama3Json {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["llama3", "llama4_json"]
    }

    fn describe(&self) -> &'static str {
        "[<|python_tag|>]{\"name\": …, \"parameters\": {…}}; … (or a JSON array, or name.call(k=v))"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[PYTHON_TAG]
    }

    fn bare_at_start(&self) -> bool {
        true
    }

    fn end_bytes(&self) -> &'static [u8] {
        // Calls end with their JSON (or `)`), once the next byte shows no
        // `;` follows: usually the end of the output (always scanned) or a
        // special token such as `<|eom_id|>`.
        b"<"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        let bytes = text.as_bytes();
        let (tagged, mut pos) = first_item(start);
        let mut first = true;
        loop {
            let at = skip_ws(bytes, pos);
            if !first && at >= text.len() {
                // `…;` so far: another call may follow.
                return if at_eof {
                    RegionScan::Complete(pos)
                } else {
                    RegionScan::NeedMore
                };
            }
            let end = match item(text, at, tagged) {
                Ok(Item::Broken { end }) => return RegionScan::Complete(end),
                Ok(found) => found.end(),
                Err(NoItem::NeedMore) => return RegionScan::NeedMore,
                // A dangling `;` stays with the calls it follows.
                Err(NoItem::NotACall) if !first => return RegionScan::Complete(pos),
                Err(NoItem::NotACall) => return RegionScan::NotACall,
            };
            first = false;
            let next = skip_ws(bytes, end);
            match bytes.get(next) {
                None if at_eof => return RegionScan::Complete(end),
                None => return RegionScan::NeedMore,
                Some(b';') => pos = next + 1,
                Some(_) => return RegionScan::Complete(end),
            }
        }
    }

    /// `scan` at the end of the output and `parse` in one walk: JSON items
    /// are read once, straight into calls.
    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        // Another `;`-separated call may always follow: only the end of the
        // output settles the region.
        if !at_eof {
            return None;
        }
        let bytes = text.as_bytes();
        let (tagged, mut pos) = first_item(start);
        let mut first = true;
        loop {
            let at = skip_ws(bytes, pos);
            if !first && at >= text.len() {
                return Some(pos);
            }
            let end = match bytes.get(at) {
                Some(b'{' | b'[') => {
                    let shape = if tagged {
                        CallShape::Any
                    } else {
                        CallShape::Calls { need_args: true }
                    };
                    at + json::report_calls_prefix(text.get(at..)?, at, NAME, shape, cx)?
                }
                _ => match item(text, at, tagged) {
                    Ok(Item::Builtin {
                        name_end,
                        open,
                        end,
                    }) => {
                        let name = text.get(at..name_end)?;
                        let args = kwargs(text.get(open + 1..end - 1)?, open + 1, name).ok()?;
                        let args = Value::Object(args);
                        json::report_call(cx, NAME, at, name.to_owned(), args, None).ok()?;
                        end
                    }
                    // A dangling `;` stays with the calls it follows.
                    Err(NoItem::NotACall) if !first => return Some(pos),
                    _ => return None,
                },
            };
            first = false;
            let next = skip_ws(bytes, end);
            match bytes.get(next) {
                Some(b';') => pos = next + 1,
                _ => return Some(end),
            }
        }
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        each_item(region, start, |at, found| match found {
            Item::Json { end } | Item::Broken { end } => {
                let body = region.get(at..end).unwrap_or_default();
                tagged_json::parse_calls_json(body, at, NAME, cx)
            }
            Item::Builtin {
                name_end,
                open,
                end,
            } => {
                let name = region.get(at..name_end).unwrap_or_default();
                let inner = region.get(open + 1..end - 1).unwrap_or_default();
                let args = kwargs(inner, open + 1, name)?;
                json::report_call(cx, NAME, at, name.to_owned(), Value::Object(args), None)
            }
        })
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        let bytes = region.as_bytes();
        let (tagged, mut pos) = first_item(start);
        let mut out = Vec::new();
        loop {
            let at = skip_ws(bytes, pos);
            let rest = region.get(at..).unwrap_or_default();
            let end = match item(region, at, tagged) {
                Ok(Item::Json { end }) => {
                    out.extend(tagged_json::partial_calls(
                        region.get(at..end).unwrap_or_default(),
                    ));
                    end
                }
                Ok(Item::Builtin {
                    name_end,
                    open,
                    end,
                }) => {
                    out.push(PartialCall {
                        name: region.get(at..name_end).map(str::to_owned),
                        id: None,
                        arguments: region.get(open + 1..end - 1).unwrap_or_default().to_owned(),
                    });
                    end
                }
                Ok(Item::Broken { .. }) | Err(NoItem::NotACall) => return out,
                Err(NoItem::NeedMore) => {
                    if matches!(bytes.get(at), Some(b'{' | b'[')) {
                        out.extend(tagged_json::partial_calls(rest));
                    } else if let Some((word, args)) = rest.split_once('(')
                        && let Some(name) = word.strip_suffix(CALL_SUFFIX)
                        && !name.is_empty()
                        && word.bytes().all(is_name_byte)
                    {
                        out.push(PartialCall {
                            name: Some(name.to_owned()),
                            id: None,
                            arguments: args.to_owned(),
                        });
                    }
                    return out;
                }
            };
            let next = skip_ws(bytes, end);
            if bytes.get(next) != Some(&b';') {
                return out;
            }
            pos = next + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scan(text: &str, at_eof: bool) -> RegionScan {
        Llama3Json.scan(text, RegionStart::OutputStart, at_eof)
    }

    #[test]
    fn bare_scan_is_decided_as_early_as_possible() {
        assert_eq!(scan("{\"city\"", false), RegionScan::NotACall);
        assert_eq!(scan("{\"name\": \"f\"", false), RegionScan::NeedMore);
        assert_eq!(
            scan("{\"name\": \"f\", \"args\": 1} ", false),
            RegionScan::NeedMore
        );
        assert_eq!(
            scan("{\"name\": \"f\", \"args\": 1} ok", false),
            RegionScan::Complete(24)
        );
        assert_eq!(
            scan("{\"name\": \"f\", \"args\": 1}; ", false),
            RegionScan::NeedMore
        );
        assert_eq!(
            scan("{\"name\": \"f\", \"args\": 1}; ", true),
            RegionScan::Complete(25)
        );
        assert_eq!(
            scan("{\"name\": \"f\", \"args\": 1}; x", false),
            RegionScan::Complete(25)
        );
        assert_eq!(scan("brave_search.call(q=1)", true), RegionScan::NotACall);
        // A `name` without arguments is some other JSON.
        assert_eq!(scan("{\"name\": \"f\"} ", true), RegionScan::NotACall);
    }

    #[test]
    fn tagged_builtin_scan_and_partial() {
        let text = "<|python_tag|>wolfram_alpha.call(query=\"x)\")";
        let start = RegionStart::Opener(0);
        assert_eq!(
            Llama3Json.scan(text, start, false),
            RegionScan::NeedMore,
            "a `;` may follow"
        );
        assert_eq!(
            Llama3Json.scan(text, start, true),
            RegionScan::Complete(text.len())
        );
        let partial = Llama3Json.partial("<|python_tag|>wolfram_alpha.call(query=\"x", start);
        assert_eq!(partial[0].name.as_deref(), Some("wolfram_alpha"));
        assert_eq!(partial[0].arguments, "query=\"x");
    }

    #[test]
    fn kwargs_errors_are_located() {
        let err = kwargs("q=1, q=2", 10, "t").unwrap_err();
        assert!(
            matches!(err, NormalizeError::DuplicateKey { offset: 18, .. }),
            "{err:?}"
        );
        let err = kwargs("q 1", 10, "t").unwrap_err();
        assert_eq!(err.offset(), Some(12));
        let err = kwargs("'x'", 10, "t").unwrap_err();
        assert_eq!(err.offset(), Some(10));
        assert_eq!(
            Value::Object(kwargs("a=[1, 'b'], c=True", 0, "t").unwrap()),
            json!({"a": [1, "b"], "c": true})
        );
    }
}
