//! Shared machinery for formats that put JSON call objects (or an array of
//! them) between an opening and a closing marker: Hermes, the JSON-array
//! family, InternLM, Cohere and others.
//!
//! The end of the JSON is found by balanced scanning, so a closing marker
//! written inside a string argument does not end the region.

use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan};
use crate::normalizer::json::{self, JsonEnd, string_end, value_end};

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

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
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
fn first_key(text: &str, open: usize) -> Option<&str> {
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
    let bytes = text.as_bytes();
    let start = skip_ws(bytes, 0);
    match bytes.get(start) {
        Some(b'{') => vec![partial_object(text.get(start..).unwrap_or_default())],
        Some(b'[') => {
            let mut out = Vec::new();
            let mut i = start + 1;
            loop {
                i = skip_ws(bytes, i);
                match bytes.get(i) {
                    Some(b',') => i += 1,
                    Some(b'{') => match value_end(text, i) {
                        JsonEnd::Complete(end) => {
                            out.push(partial_object(text.get(i..end).unwrap_or_default()));
                            i = end;
                        }
                        _ => {
                            out.push(partial_object(text.get(i..).unwrap_or_default()));
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
/// object.
pub(crate) fn partial_object(object: &str) -> PartialCall {
    PartialCall {
        name: string_field(object, &["name", "tool_name"]),
        id: string_field(object, &["id", "tool_call_id", "call_id"]),
        arguments: raw_field(object, &["arguments", "parameters", "input", "args"])
            .unwrap_or_default()
            .to_owned(),
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

/// A complete top-level string field of `object`, decoded.
fn string_field(object: &str, keys: &[&str]) -> Option<String> {
    let at = after_key(object, keys)?;
    let bytes = object.as_bytes();
    match bytes.get(at) {
        Some(b'"') => {
            let end = string_end(bytes, at)?;
            serde_json::from_str(object.get(at..end)?).ok()
        }
        Some(b'0'..=b'9') => {
            let len = bytes.get(at..)?.iter().position(|b| !b.is_ascii_digit())?;
            object.get(at..at + len).map(str::to_owned)
        }
        _ => None,
    }
}

/// The raw text of a top-level field, from its value to the end of what
/// has been written (or of the value, when it is complete).
fn raw_field<'a>(object: &'a str, keys: &[&str]) -> Option<&'a str> {
    let at = after_key(object, keys)?;
    match value_end(object, at) {
        JsonEnd::Complete(end) => object.get(at..end),
        _ => object.get(at..),
    }
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
}
