//! Shared machinery for formats that put JSON call objects (or an array of
//! them) between an opening and a closing marker: Hermes, the JSON-array
//! family, InternLM, Cohere and others.
//!
//! The end of the JSON is found by balanced scanning, so a closing marker
//! written inside a string argument does not end the region.

use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan};
use crate::normalizer::json::{self, CALL_OPENING_KEYS, CallShape, JsonEnd, string_end, value_end};

/// How a tagged-JSON region is delimited.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tags {
    /// Length of the opening marker the region starts with.
    pub(crate) open_len: usize,
    /// Closing marker.
    pub(crate) close: &'static str,
    /// Accept a region whose closing marker is missing when the output
    /// ends right after the JSON (models often stop instead of closing).
    pub(crate) close_optional_at_eof: bool,
    /// Only claim the region when the JSON starts like a call object
    /// (first key `name`, `tool_name` or `function`), for generic tags such
    /// as `<response>` that also wrap other JSON.
    pub(crate) require_call_key: bool,
}

/// Index of the first non-whitespace byte at or after `i`.
pub(crate) fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Whether `rest` could still grow into `marker` (it is a proper prefix).
pub(crate) fn could_become(rest: &str, marker: &str) -> bool {
    rest.len() < marker.len() && marker.starts_with(rest)
}

/// The first key of the object starting at `open`, if it is complete.
pub(crate) fn first_key(text: &str, open: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    let quote = skip_ws(bytes, open + 1);
    if bytes.get(quote) != Some(&b'"') {
        return None;
    }
    let end = string_end(bytes, quote)?;
    text.get(quote + 1..end - 1)
}

/// Where a tagged-JSON region starting at the top of `text` ends.
pub(crate) fn scan(text: &str, tags: Tags, at_eof: bool) -> RegionScan {
    let bytes = text.as_bytes();
    let start = skip_ws(bytes, tags.open_len);
    let Some(&first) = bytes.get(start) else {
        return RegionScan::NeedMore;
    };
    if first != b'{' && first != b'[' {
        return RegionScan::NotACall;
    }
    if tags.require_call_key {
        let object = if first == b'[' {
            skip_ws(bytes, start + 1)
        } else {
            start
        };
        match bytes.get(object) {
            None => return RegionScan::NeedMore,
            Some(b'{') => {
                let quote = skip_ws(bytes, object + 1);
                match bytes.get(quote) {
                    None if !at_eof => return RegionScan::NeedMore,
                    Some(b'"') => match first_key(text, object) {
                        Some("name" | "tool_name" | "function") => {}
                        None if !at_eof && string_end(bytes, quote).is_none() => {
                            return RegionScan::NeedMore;
                        }
                        _ => return RegionScan::NotACall,
                    },
                    _ => return RegionScan::NotACall,
                }
            }
            Some(_) => return RegionScan::NotACall,
        }
    }
    let json_end = match value_end(text, start) {
        JsonEnd::Complete(end) => end,
        JsonEnd::Incomplete => return RegionScan::NeedMore,
        JsonEnd::Invalid(at) => {
            // Broken JSON inside the tags: claim up to the closing marker
            // so the parser reports where it broke.
            return match text.get(at..).and_then(|rest| rest.find(tags.close)) {
                Some(found) => RegionScan::Complete(at + found + tags.close.len()),
                None => RegionScan::NeedMore,
            };
        }
    };
    let after = skip_ws(bytes, json_end);
    let rest = text.get(after..).unwrap_or_default();
    if rest.starts_with(tags.close) {
        return RegionScan::Complete(after + tags.close.len());
    }
    if rest.is_empty() || could_become(rest, tags.close) {
        return if at_eof && tags.close_optional_at_eof && rest.is_empty() {
            RegionScan::Complete(json_end)
        } else {
            RegionScan::NeedMore
        };
    }
    // More than whitespace before the closing marker (a repeated object,
    // stray text): claim through the marker and let the parser say what.
    match rest.find(tags.close) {
        Some(found) => RegionScan::Complete(after + found + tags.close.len()),
        None => RegionScan::NeedMore,
    }
}

/// Whole-text shortcut for [`scan`] at the end of the output followed by
/// [`parse`]: one pass over the JSON instead of a scan and a parse. `None`
/// whenever the answer could differ from that route (errors included), so
/// the caller then takes it.
pub(crate) fn scan_parse(
    text: &str,
    tags: Tags,
    at_eof: bool,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Option<usize> {
    scan_read(text, tags, at_eof, |json, at| {
        json::report_calls_prefix(json, at, format, CallShape::Any, cx)
    })
}

/// [`scan_parse`] with the reading of the JSON left to `read`, which gets
/// the text from the JSON on and its offset in the region, reports what it
/// holds and answers its length (or `None`).
pub(crate) fn scan_read(
    text: &str,
    tags: Tags,
    at_eof: bool,
    read: impl FnOnce(&str, usize) -> Option<usize>,
) -> Option<usize> {
    if tags.require_call_key {
        return None;
    }
    let bytes = text.as_bytes();
    let start = skip_ws(bytes, tags.open_len);
    if !matches!(bytes.get(start), Some(b'{' | b'[')) {
        return None;
    }
    let json_end = start + read(text.get(start..)?, start)?;
    let after = skip_ws(bytes, json_end);
    let rest = text.get(after..)?;
    if rest.starts_with(tags.close) {
        Some(after + tags.close.len())
    } else if at_eof
        && rest.is_empty()
        && tags.close_optional_at_eof
        // [`body`] would cut such a closer off the JSON.
        && !text.ends_with(tags.close)
    {
        Some(json_end)
    } else {
        None
    }
}

/// The JSON text of a complete region, and its offset in the region.
pub(crate) fn body(region: &str, tags: Tags) -> (&str, usize) {
    let inner = region.get(tags.open_len..).unwrap_or_default();
    let inner = inner.strip_suffix(tags.close).unwrap_or(inner);
    let trimmed = inner.trim_start();
    (
        trimmed.trim_end(),
        tags.open_len + inner.len() - trimmed.len(),
    )
}

/// Parse a complete region: one call object or an array of them.
pub(crate) fn parse(
    region: &str,
    tags: Tags,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let (text, offset) = body(region, tags);
    parse_calls_json(text, offset, format, cx)
}

/// Parse `text` (at `offset` in the region) as a call object or an array
/// of call objects and report the calls.
pub(crate) fn parse_calls_json(
    text: &str,
    offset: usize,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    json::report_calls_json(text, offset, format, cx)
}

/// What has been written of the calls in the JSON `text` (the body of an
/// unfinished region): one object, or the elements of an array.
pub(crate) fn partial_calls(text: &str) -> Vec<PartialCall> {
    // One object is the common case (and runs at every streaming re-scan):
    // read it without collecting the elements first.
    let start = skip_ws(text.as_bytes(), 0);
    match text.as_bytes().get(start) {
        Some(b'{') => vec![partial_object(text.get(start..).unwrap_or_default())],
        _ => partial_elements(text)
            .into_iter()
            .map(partial_object)
            .collect(),
    }
}

/// The (possibly unfinished) objects in the JSON `text`: the object itself,
/// or the objects of an array up to the first unfinished one.
pub(crate) fn partial_elements(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let start = skip_ws(bytes, 0);
    match bytes.get(start) {
        Some(b'{') => vec![text.get(start..).unwrap_or_default()],
        Some(b'[') => {
            let mut out = Vec::new();
            let mut i = start + 1;
            loop {
                i = skip_ws(bytes, i);
                match bytes.get(i) {
                    Some(b',') => i += 1,
                    Some(b'{') => match value_end(text, i) {
                        JsonEnd::Complete(end) => {
                            out.push(text.get(i..end).unwrap_or_default());
                            i = end;
                        }
                        _ => {
                            out.push(text.get(i..).unwrap_or_default());
                            return out;
                        }
                    },
                    _ => return out,
                }
            }
        }
        _ => Vec::new(),
    }
}

/// The name, id and raw argument text of a (possibly unfinished) call
/// object, read in one pass over its top-level members. Key preferences
/// follow the final parse (`name` over `tool_name`, `arguments` over
/// `parameters`, ...), whatever order the members come in.
pub(crate) fn partial_object(object: &str) -> PartialCall {
    fn keep<'a>(slot: &mut Option<(usize, &'a str)>, rank: usize, value: &'a str) {
        if slot.is_none_or(|(best, _)| rank < best) {
            *slot = Some((rank, value));
        }
    }
    const NAMES: [&str; 2] = ["name", "tool_name"];
    const IDS: [&str; 3] = ["id", "tool_call_id", "call_id"];
    const ARGS: [&str; 4] = ["arguments", "parameters", "input", "args"];
    // Best (lowest preference index) value span seen for each field.
    let mut name: Option<(usize, &str)> = None;
    let mut id: Option<(usize, &str)> = None;
    let mut args: Option<(usize, &str)> = None;
    let bytes = object.as_bytes();
    let mut i = 1; // past `{`
    loop {
        i = skip_ws(bytes, i);
        if bytes.get(i) == Some(&b',') {
            i = skip_ws(bytes, i + 1);
        }
        if bytes.get(i) != Some(&b'"') {
            break;
        }
        let Some(key_end) = string_end(bytes, i) else {
            break;
        };
        let key = object.get(i + 1..key_end - 1).unwrap_or_default();
        let colon = skip_ws(bytes, key_end);
        if bytes.get(colon) != Some(&b':') {
            break;
        }
        let at = skip_ws(bytes, colon + 1);
        let (value, complete, next) = match value_end(object, at) {
            JsonEnd::Complete(end) => (object.get(at..end).unwrap_or_default(), true, end),
            _ => (object.get(at..).unwrap_or_default(), false, object.len()),
        };
        if let Some(rank) = ARGS.iter().position(|k| *k == key) {
            keep(&mut args, rank, value);
        } else if complete && let Some(rank) = NAMES.iter().position(|k| *k == key) {
            keep(&mut name, rank, value);
        } else if complete && let Some(rank) = IDS.iter().position(|k| *k == key) {
            keep(&mut id, rank, value);
        }
        if !complete {
            break;
        }
        i = next;
    }
    PartialCall {
        name: name.and_then(|(_, v)| scalar_text(v)),
        id: id.and_then(|(_, v)| scalar_text(v)),
        arguments: args.map(|(_, v)| v.to_owned()).unwrap_or_default(),
    }
}

/// A complete JSON string (decoded) or integer, as text.
fn scalar_text(value: &str) -> Option<String> {
    match value.as_bytes().first() {
        Some(b'"') => match value.get(1..value.len() - 1) {
            Some(inner) if !inner.contains('\\') => Some(inner.to_owned()),
            _ => serde_json::from_str(value).ok(),
        },
        Some(b'0'..=b'9') if value.bytes().all(|b| b.is_ascii_digit()) => Some(value.to_owned()),
        _ => None,
    }
}

/// Position just after `"key"` followed by `:` at the top level of `object`.
fn after_key(object: &str, keys: &[&str]) -> Option<usize> {
    let bytes = object.as_bytes();
    let mut i = 1; // past `{`
    let mut depth = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                let end = string_end(bytes, i)?;
                if depth == 0 {
                    let colon = skip_ws(bytes, end);
                    let key = object.get(i + 1..end - 1)?;
                    if bytes.get(colon) == Some(&b':') && keys.contains(&key) {
                        return Some(skip_ws(bytes, colon + 1));
                    }
                }
                i = end;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The raw text of a top-level field, from its value to the end of what
/// has been written (or of the value, when it is complete).
pub(crate) fn raw_field<'a>(object: &'a str, keys: &[&str]) -> Option<&'a str> {
    let at = after_key(object, keys)?;
    match value_end(object, at) {
        JsonEnd::Complete(end) => object.get(at..end),
        _ => object.get(at..),
    }
}

/// Index of the JSON value after an opener of `open_len` bytes, when its
/// first byte is one of `accept` (whitespace skipped). `Err` holds the
/// answer for a scan: wait for that byte, or not a call.
pub(crate) fn json_after(text: &str, open_len: usize, accept: &[u8]) -> Result<usize, RegionScan> {
    let at = skip_ws(text.as_bytes(), open_len);
    match text.as_bytes().get(at) {
        None => Err(RegionScan::NeedMore),
        Some(b) if accept.contains(b) => Ok(at),
        Some(_) => Err(RegionScan::NotACall),
    }
}

/// A region made of an opening marker, one JSON value (a call object or an
/// array of them) and an optional closing marker, for formats whose calls
/// end with their JSON (Granite, Phi-4-mini `functools[…]`, ...).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarkedJson {
    /// Length of the opening marker.
    pub(crate) open_len: usize,
    /// Bytes the JSON may start with (`b"["`, `b"{["`).
    pub(crate) accept: &'static [u8],
    /// A closing marker consumed when it follows the JSON.
    pub(crate) closer: Option<&'static str>,
}

impl MarkedJson {
    /// See [`ToolCallFormat::scan`](crate::normalizer::ToolCallFormat::scan).
    pub(crate) fn scan(self, text: &str, at_eof: bool) -> RegionScan {
        match json_after(text, self.open_len, self.accept) {
            Ok(at) => scan_value_then(text, at, self.closer, at_eof),
            Err(answer) => answer,
        }
    }

    /// Whole-text shortcut for [`scan`](Self::scan) at the end of the
    /// output followed by [`parse`](Self::parse); see [`scan_parse`].
    /// `shape` says which call documents to take.
    pub(crate) fn scan_parse(
        self,
        text: &str,
        at_eof: bool,
        format: &'static str,
        shape: CallShape,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        let at = json_after(text, self.open_len, self.accept).ok()?;
        value_then_parse(text, at, self.closer, at_eof, format, shape, cx)
    }

    /// The JSON of a complete region and its offset in the region.
    pub(crate) fn body(self, region: &str) -> (&str, usize) {
        let at = skip_ws(region.as_bytes(), self.open_len);
        (value_body(region, at, self.closer), at)
    }

    /// Report the calls of a complete region.
    pub(crate) fn parse(
        self,
        region: &str,
        format: &'static str,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let (body, at) = self.body(region);
        parse_calls_json(body, at, format, cx)
    }

    /// What has been written of the calls of an unfinished region.
    pub(crate) fn partial(self, region: &str) -> Vec<PartialCall> {
        partial_calls(region.get(self.open_len..).unwrap_or_default())
    }
}

// A bare JSON value whose first key is complete and is none of
// `CALL_OPENING_KEYS` is not a call, so formats with markerless calls can let
// ordinary JSON go without waiting for its end.
/// Whether the complete JSON object `object` is a call: it has a top-level
/// string `name` / `tool_name` (and, with `need_args`, an arguments key
/// too, so that `{"name": "Ada", "age": 36}` is not taken for a call), or
/// a `function` object (OpenAI nesting).
pub(crate) fn is_call_object(object: &str, need_args: bool) -> bool {
    let bytes = object.as_bytes();
    if after_key(object, &["name", "tool_name"]).is_some_and(|at| bytes.get(at) == Some(&b'"')) {
        return !need_args
            || after_key(object, &["arguments", "parameters", "input", "args"]).is_some();
    }
    after_key(object, &["function"]).is_some_and(|at| bytes.get(at) == Some(&b'{'))
}

/// What a markerless JSON value turned out to be (see [`call_json`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallJson {
    /// A call object, or a non-empty array of call objects, ending just
    /// before this index.
    Calls(usize),
    /// Some other value (or not JSON at all).
    NotCalls,
    /// The text ends before this can be told.
    NeedMore,
}

/// Whether the object opening at `open` can still be a call, judging by
/// its first key: `Some(false)` as soon as that key rules it out.
fn opening_key_allows_call(text: &str, open: usize) -> Option<bool> {
    let bytes = text.as_bytes();
    let quote = skip_ws(bytes, open + 1);
    match bytes.get(quote) {
        None => None,
        Some(b'"') => first_key(text, open).map(|key| CALL_OPENING_KEYS.contains(&key)),
        Some(_) => Some(false),
    }
}

/// Whether the array `text[open..end]` is a non-empty list of call objects.
fn elements_are_calls(text: &str, open: usize, end: usize, need_args: bool) -> bool {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, open + 1);
    loop {
        if bytes.get(i) != Some(&b'{') {
            return false;
        }
        let JsonEnd::Complete(element_end) = value_end(text, i) else {
            return false;
        };
        if !is_call_object(text.get(i..element_end).unwrap_or_default(), need_args) {
            return false;
        }
        i = skip_ws(bytes, element_end);
        match bytes.get(i) {
            Some(b',') => i = skip_ws(bytes, i + 1),
            Some(b']') => return i + 1 == end,
            _ => return false,
        }
    }
}

/// Whether the JSON value at `at` (no leading whitespace) is a call object
/// or a non-empty array of call objects (see [`is_call_object`] for
/// `need_args`), for formats whose calls may come without a marker or
/// behind a generic one. Ordinary JSON is turned down as early as its first
/// key allows; the answer is monotone in the text.
pub(crate) fn call_json(text: &str, at: usize, need_args: bool) -> CallJson {
    let bytes = text.as_bytes();
    let object = match bytes.get(at) {
        None => return CallJson::NeedMore,
        Some(b'{') => at,
        Some(b'[') => {
            let first = skip_ws(bytes, at + 1);
            match bytes.get(first) {
                None => return CallJson::NeedMore,
                Some(b'{') => first,
                Some(_) => return CallJson::NotCalls,
            }
        }
        Some(_) => return CallJson::NotCalls,
    };
    if opening_key_allows_call(text, object) == Some(false) {
        return CallJson::NotCalls;
    }
    let end = match value_end(text, at) {
        JsonEnd::Complete(end) => end,
        JsonEnd::Incomplete => return CallJson::NeedMore,
        JsonEnd::Invalid(_) => return CallJson::NotCalls,
    };
    let calls = if object == at {
        is_call_object(text.get(at..end).unwrap_or_default(), need_args)
    } else {
        elements_are_calls(text, at, end, need_args)
    };
    if calls {
        CallJson::Calls(end)
    } else {
        CallJson::NotCalls
    }
}

/// Index just past the character at `at` (for claiming a region through a
/// byte that broke the JSON).
fn past_char(text: &str, at: usize) -> usize {
    at + text
        .get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(1, char::len_utf8)
}

/// Where a region ends whose body is the JSON value opening at `at` (a `{`
/// or `[`), followed by an optional `closer` marker.
///
/// Formats without closers end with the value, but only once the next
/// non-whitespace byte is known: another object right after an object is
/// kept in the region so that the parser reports the concatenated
/// arguments (`{"a":1}{"a":1}`) instead of leaving half of them as text.
/// Broken JSON is claimed through the offending byte so the parser can say
/// where it broke.
pub(crate) fn scan_value_then(
    text: &str,
    at: usize,
    closer: Option<&str>,
    at_eof: bool,
) -> RegionScan {
    let end = match value_end(text, at) {
        JsonEnd::Complete(end) => end,
        JsonEnd::Incomplete => return RegionScan::NeedMore,
        JsonEnd::Invalid(bad) => return RegionScan::Complete(past_char(text, bad)),
    };
    let bytes = text.as_bytes();
    let next = skip_ws(bytes, end);
    let rest = text.get(next..).unwrap_or_default();
    if let Some(close) = closer {
        if rest.starts_with(close) {
            return RegionScan::Complete(next + close.len());
        }
        if !rest.is_empty() && could_become(rest, close) {
            return if at_eof {
                RegionScan::Complete(end)
            } else {
                RegionScan::NeedMore
            };
        }
    }
    match rest.as_bytes().first() {
        None if at_eof => RegionScan::Complete(end),
        None => RegionScan::NeedMore,
        Some(b'{') if bytes.get(at) == Some(&b'{') => match value_end(text, next) {
            JsonEnd::Complete(second) => RegionScan::Complete(second),
            JsonEnd::Incomplete => RegionScan::NeedMore,
            JsonEnd::Invalid(bad) => RegionScan::Complete(past_char(text, bad)),
        },
        Some(_) => RegionScan::Complete(end),
    }
}

/// Whole-text shortcut for [`scan_value_then`] at the end of the output
/// followed by reporting the calls of [`value_body`]: `None` whenever that
/// route could answer differently (errors, a second object, a closer the
/// body would cut off), so the caller then takes it.
pub(crate) fn value_then_parse(
    text: &str,
    at: usize,
    closer: Option<&str>,
    at_eof: bool,
    format: &'static str,
    shape: CallShape,
    cx: &mut ParseCx<'_>,
) -> Option<usize> {
    value_then_read(text, at, closer, at_eof, |json| {
        json::report_calls_prefix(json, at, format, shape, cx)
    })
}

/// [`value_then_parse`] with the reading of the value left to `read`,
/// which gets the text from the value on and answers the value's length
/// (or `None`).
pub(crate) fn value_then_read(
    text: &str,
    at: usize,
    closer: Option<&str>,
    at_eof: bool,
    read: impl FnOnce(&str) -> Option<usize>,
) -> Option<usize> {
    let end = at + read(text.get(at..)?)?;
    let bytes = text.as_bytes();
    let next = skip_ws(bytes, end);
    let rest = text.get(next..)?;
    if let Some(close) = closer {
        if rest.starts_with(close) {
            return Some(next + close.len());
        }
        if text.get(..end)?.ends_with(close) {
            return None;
        }
    }
    // Before the end of the output, the byte after the value must show
    // that nothing (a closer, a second object) extends the region.
    let undecided = rest.is_empty() || closer.is_some_and(|close| could_become(rest, close));
    if undecided && !at_eof {
        return None;
    }
    match rest.as_bytes().first() {
        Some(b'{') if bytes.get(at) == Some(&b'{') => None,
        _ => Some(end),
    }
}

/// The JSON text of a region scanned by [`scan_value_then`] whose value
/// opens at `at`, without the closer and trailing whitespace.
pub(crate) fn value_body<'a>(region: &'a str, at: usize, closer: Option<&str>) -> &'a str {
    let inner = region.get(at..).unwrap_or_default();
    let inner = closer
        .and_then(|close| inner.strip_suffix(close))
        .unwrap_or(inner);
    inner.trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGS: Tags = Tags {
        open_len: "<tool_call>".len(),
        close: "</tool_call>",
        close_optional_at_eof: true,
        require_call_key: false,
    };

    #[test]
    fn scan_finds_the_closing_tag_after_the_json() {
        let region =
            r#"<tool_call>{"name": "f", "arguments": {"s": "</tool_call>"}}</tool_call> after"#;
        let RegionScan::Complete(len) = scan(region, TAGS, false) else {
            panic!()
        };
        assert_eq!(&region[len..], " after");
        assert_eq!(
            scan("<tool_call>{\"name\"", TAGS, false),
            RegionScan::NeedMore
        );
        assert_eq!(
            scan("<tool_call>{}</tool_", TAGS, false),
            RegionScan::NeedMore
        );
        assert_eq!(scan("<tool_call>{}", TAGS, true), RegionScan::Complete(13));
        assert_eq!(scan("<tool_call> hi", TAGS, false), RegionScan::NotACall);
    }

    #[test]
    fn partial_reads_name_and_raw_arguments() {
        let p = partial_object(r#"{"name": "get_weather", "arguments": {"city": "Par"#);
        assert_eq!(p.name.as_deref(), Some("get_weather"));
        assert_eq!(p.arguments, r#"{"city": "Par"#);
        let calls = partial_calls(r#"[{"name": "a", "arguments": {}}, {"name": "b""#);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[1].name.as_deref(), Some("b"));
        assert_eq!(partial_object(r#"{"name": "get_wea"#).name, None);
    }
    #[test]
    fn call_json_tells_calls_from_other_json() {
        let calls = r#"[{"name": "a", "arguments": {}}, {"arguments": {}, "name": "b"}] x"#;
        assert_eq!(call_json(calls, 0, true), CallJson::Calls(calls.len() - 2));
        assert_eq!(call_json(r#"{"name": "a"}"#, 0, false), CallJson::Calls(13));
        assert_eq!(call_json(r#"{"name": "a"}"#, 0, true), CallJson::NotCalls);
        assert_eq!(
            call_json(r#"{"name": "Ada", "age": 36}"#, 0, true),
            CallJson::NotCalls
        );
        assert_eq!(call_json(r#"{"city": "#, 0, true), CallJson::NotCalls);
        assert_eq!(call_json(r#"{"name": "a", "#, 0, true), CallJson::NeedMore);
        assert_eq!(
            call_json(r#"{"parameters": {}}"#, 0, true),
            CallJson::NotCalls
        );
        assert_eq!(call_json("[1, 2]", 0, true), CallJson::NotCalls);
        assert_eq!(call_json("[]", 0, true), CallJson::NotCalls);
        assert_eq!(
            call_json(r#"[{"name": "a"}, 3]"#, 0, false),
            CallJson::NotCalls
        );
        assert_eq!(
            call_json(r#"[{"name": "a"},]"#, 0, false),
            CallJson::NotCalls
        );
        assert_eq!(call_json("[ ", 0, true), CallJson::NeedMore);
        assert_eq!(call_json("hello", 0, true), CallJson::NotCalls);
    }

    #[test]
    fn value_then_waits_for_the_next_byte() {
        assert_eq!(
            scan_value_then("{} x", 0, None, false),
            RegionScan::Complete(2)
        );
        assert_eq!(
            scan_value_then("{}  ", 0, None, false),
            RegionScan::NeedMore
        );
        assert_eq!(
            scan_value_then("{}  ", 0, None, true),
            RegionScan::Complete(2)
        );
        assert_eq!(
            scan_value_then("{}{\"a\":1}", 0, None, false),
            RegionScan::Complete(9)
        );
        assert_eq!(
            scan_value_then("[]{}", 0, None, false),
            RegionScan::Complete(2)
        );
        assert_eq!(
            scan_value_then("{} </x>", 0, Some("</x>"), false),
            RegionScan::Complete(7)
        );
        assert_eq!(
            scan_value_then("{} </", 0, Some("</x>"), false),
            RegionScan::NeedMore
        );
        assert_eq!(
            scan_value_then("{} </", 0, Some("</x>"), true),
            RegionScan::Complete(2)
        );
        assert_eq!(
            scan_value_then("{\"a\": ]", 0, None, false),
            RegionScan::Complete(7)
        );
        assert_eq!(value_body("<x>{} </x>", 3, Some("</x>")), "{}");
    }
}
