//! Generic grammar-constrained JSON (llama.cpp's fallback for models
//! without a tool-call syntax): the whole output is one object holding
//! `tool_calls`, `tool_call` or `response`.

use serde_json::Value;

use super::tagged_json::{self, first_key, scan_value_then, skip_ws, value_body};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json::{self, CallShape, JsonEnd, string_end, value_end};

const NAME: &str = "generic_json";
/// The only keys the object may have.
const KEYS: [&str; 3] = ["tool_calls", "tool_call", "response"];

/// Generic JSON output, as produced under a JSON grammar by models that
/// have no tool-call syntax of their own:
///
/// ```text
/// {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}
/// {"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}
/// {"response": "It is sunny in Paris."}
/// ```
///
/// The object must start the output (after any reasoning) and have no keys
/// but these; `response` is reported as text. Other JSON stays text.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::GenericJson};
///
/// let generic = TextNormalizer::new(GenericJson);
/// let out = generic
///     .normalize_text("{\"tool_call\": {\"name\": \"ping\", \"arguments\": {}}}")
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.name, "ping");
/// let answer = generic.normalize_text("{\"response\": \"Hi!\"}").unwrap();
/// assert_eq!(answer.text, "Hi!");
/// assert!(answer.calls.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct GenericJson;

/// Whether every top-level key of the complete object at `open..end` is
/// one of [`KEYS`].
fn keys_allowed(text: &str, open: usize) -> bool {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, open + 1);
    loop {
        if bytes.get(at) != Some(&b'"') {
            return false;
        }
        let Some(key_end) = string_end(bytes, at) else {
            return false;
        };
        if !text
            .get(at + 1..key_end - 1)
            .is_some_and(|key| KEYS.contains(&key))
        {
            return false;
        }
        let colon = skip_ws(bytes, key_end);
        if bytes.get(colon) != Some(&b':') {
            return false;
        }
        let JsonEnd::Complete(value) = value_end(text, colon + 1) else {
            return false;
        };
        at = skip_ws(bytes, value);
        match bytes.get(at) {
            Some(b',') => at = skip_ws(bytes, at + 1),
            Some(b'}') => return true,
            _ => return false,
        }
    }
}

impl ToolCallFormat for GenericJson {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["json", "generic"]
    }

    fn describe(&self) -> &'static str {
        "{\"tool_calls\": [{\"name\": …, \"arguments\": {…}}]} / {\"tool_call\": {…}} / {\"response\": \"…\"}"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[]
    }

    fn bare_at_start(&self) -> bool {
        true
    }

    fn end_bytes(&self) -> &'static [u8] {
        // The object is the whole output: it ends at the end of the output,
        // which is always scanned.
        b""
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start != RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        let bytes = text.as_bytes();
        match bytes.first() {
            None => return RegionScan::NeedMore,
            Some(b'{') => {}
            Some(_) => return RegionScan::NotACall,
        }
        // Turn ordinary JSON down at its first key.
        match bytes.get(skip_ws(bytes, 1)) {
            None => return RegionScan::NeedMore,
            Some(b'"') => match first_key(text, 0) {
                Some(key) if KEYS.contains(&key) => {}
                Some(_) => return RegionScan::NotACall,
                None => return RegionScan::NeedMore,
            },
            Some(_) => return RegionScan::NotACall,
        }
        match value_end(text, 0) {
            JsonEnd::Complete(_) if !keys_allowed(text, 0) => RegionScan::NotACall,
            JsonEnd::Complete(_) => scan_value_then(text, 0, None, at_eof),
            JsonEnd::Incomplete => RegionScan::NeedMore,
            JsonEnd::Invalid(_) => RegionScan::NotACall,
        }
    }

    /// The common shape only: one `tool_calls` or `tool_call` key whose
    /// calls are read straight into `cx`.
    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        // The object is the whole output: only its end settles it.
        if !at_eof || start != RegionStart::OutputStart || text.as_bytes().first() != Some(&b'{') {
            return None;
        }
        let bytes = text.as_bytes();
        let quote = skip_ws(bytes, 1);
        if bytes.get(quote) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(bytes, quote)?;
        let value_at = match text.get(quote + 1..key_end - 1)? {
            "tool_calls" | "tool_call" => {
                let colon = skip_ws(bytes, key_end);
                (bytes.get(colon) == Some(&b':')).then(|| skip_ws(bytes, colon + 1))?
            }
            _ => return None,
        };
        if !matches!(bytes.get(value_at), Some(b'{' | b'[')) {
            return None;
        }
        // Offset 0, as `parse` reports these calls.
        let value_end = value_at
            + json::report_calls_prefix(text.get(value_at..)?, 0, NAME, CallShape::Any, cx)?;
        let close = skip_ws(bytes, value_end);
        if bytes.get(close) != Some(&b'}') {
            return None;
        }
        let end = close + 1;
        // A second object after this one is reported by the ordinary route.
        (bytes.get(skip_ws(bytes, end)) != Some(&b'{')).then_some(end)
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let body = value_body(region, 0, None);
        let Value::Object(object) = json::parse_value(body, NAME, "tool call", "")? else {
            return Err(NormalizeError::malformed(NAME, 0, "expected a JSON object"));
        };
        for (key, value) in object {
            match (key.as_str(), value) {
                ("tool_calls", Value::Array(calls)) => {
                    for call in calls {
                        json::report_call_object(call, 0, NAME, cx)?;
                    }
                }
                ("tool_calls" | "tool_call", Value::Null) => {}
                ("tool_calls" | "tool_call", call @ Value::Object(_)) => {
                    json::report_call_object(call, 0, NAME, cx)?;
                }
                ("response", Value::String(text)) => cx.text(&text),
                ("response", Value::Null) => {}
                (key, _) => {
                    return Err(NormalizeError::malformed(
                        NAME,
                        0,
                        format!("unexpected value for `{key}`"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        tagged_json::raw_field(region, &["tool_calls", "tool_call"])
            .map(tagged_json::partial_calls)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_generic_keys() {
        let start = RegionStart::OutputStart;
        assert_eq!(
            GenericJson.scan("{\"name\"", start, false),
            RegionScan::NotACall
        );
        assert_eq!(
            GenericJson.scan("{\"respo", start, false),
            RegionScan::NeedMore
        );
        assert_eq!(
            GenericJson.scan("{\"response\": \"x\", \"extra\": 1}", start, true),
            RegionScan::NotACall
        );
        assert_eq!(
            GenericJson.scan("{\"response\": \"x\"}", start, true),
            RegionScan::Complete(17)
        );
    }
}
