//! Hermes / Qwen2.5 / QwQ / Qwen3: a JSON call object between
//! `<tool_call>` and `</tool_call>`, plus the other wrappers llama.cpp
//! accepts for the same JSON.

use serde_json::{Map, Value};

use super::tagged_json::{self, Tags, could_become};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json::{self, JsonEnd, value_end};

const NAME: &str = "hermes";

/// `<function=NAME>` and `<function name="NAME">` put the name in the
/// opener and the arguments object in the body.
const FUNCTION_EQ: &str = "<function=";
const FUNCTION_NAME: &str = "<function name=\"";
const FUNCTION_CLOSE: &str = "</function>";

/// Openers whose body is a JSON call object, with their closers. Only
/// `<tool_call>` is Hermes proper; the rest are wrappers seen from models
/// of the same lineage, claimed only when the JSON starts with a call key.
const WRAPPERS: [(&str, &str, bool); 7] = [
    ("<tool_call>", "</tool_call>", false),
    ("<function_call>", "</function_call>", true),
    ("<tools>", "</tools>", true),
    ("<tool>", "</tool>", true),
    ("<response>", "</response>", true),
    ("<json>", "</json>", true),
    ("```json", "```", true),
];

const OPENERS: [&str; 9] = [
    "<tool_call>",
    "<function_call>",
    "<tools>",
    "<tool>",
    "<response>",
    "<json>",
    "```json",
    FUNCTION_EQ,
    FUNCTION_NAME,
];

/// Hermes-style tool calls (NousResearch Hermes, Qwen2.5, QwQ, Qwen3):
///
/// ```text
/// <tool_call>
/// {"name": "get_weather", "arguments": {"city": "Paris"}}
/// </tool_call>
/// ```
///
/// Also accepted, as llama.cpp does: the same JSON inside
/// `<function_call>`, `<tools>`, `<tool>`, `<response>`, `<json>` or a
/// `` ```json `` fence (only when it starts with a `name` key), and
/// `<function=NAME>{…}</function>` / `<function name="NAME">{…}</function>`.
/// A bare `{"name": …}` in prose is never a call. The closing
/// `</tool_call>` may be missing when the output ends right after the JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hermes;

fn wrapper(opener: usize) -> Option<Tags> {
    let (open, close, require_call_key) = *WRAPPERS.get(opener)?;
    Some(Tags {
        open_len: open.len(),
        close,
        close_optional_at_eof: opener == 0,
        require_call_key,
    })
}

/// Length of the name part of a `<function…>` opener, through its `>`.
fn function_head(text: &str, opener: usize) -> Result<(usize, &str), RegionScan> {
    let (open, name_end) = if opener == 7 {
        (FUNCTION_EQ, ">")
    } else {
        (FUNCTION_NAME, "\">")
    };
    let rest = text.get(open.len()..).unwrap_or_default();
    let name_len = rest
        .bytes()
        .position(|b| !crate::normalizer::scan::is_name_byte(b))
        .unwrap_or(rest.len());
    let after = rest.get(name_len..).unwrap_or_default();
    if after.starts_with(name_end) {
        let name = rest.get(..name_len).unwrap_or_default();
        if name.is_empty() {
            return Err(RegionScan::NotACall);
        }
        return Ok((open.len() + name_len + name_end.len(), name));
    }
    if could_become(after, name_end) {
        Err(RegionScan::NeedMore)
    } else {
        Err(RegionScan::NotACall)
    }
}

impl ToolCallFormat for Hermes {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["qwen25", "qwen", "qwq", "nous"]
    }

    fn describe(&self) -> &'static str {
        "<tool_call>{\"name\": …, \"arguments\": {…}}</tool_call>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &OPENERS
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &[
            "</tool_call>",
            "</function_call>",
            "</tools>",
            "</tool>",
            "</response>",
            "</json>",
            "```",
            "</function>",
        ]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // Every region ends with a closing tag or fence; a region without
        // one only ends at the end of the output, which is always scanned.
        b">`"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        let RegionStart::Opener(opener) = start else {
            return RegionScan::NotACall;
        };
        if let Some(tags) = wrapper(opener) {
            return tagged_json::scan(text, tags, at_eof);
        }
        let (head, _) = match function_head(text, opener) {
            Ok(head) => head,
            Err(scan) => return scan,
        };
        let bytes = text.as_bytes();
        let body = head
            + text
                .get(head..)
                .map_or(0, |r| r.len() - r.trim_start().len());
        match bytes.get(body) {
            None => return RegionScan::NeedMore,
            Some(b'{') => {}
            Some(_) => return RegionScan::NotACall,
        }
        let end = match value_end(text, body) {
            JsonEnd::Complete(end) => end,
            JsonEnd::Incomplete => return RegionScan::NeedMore,
            JsonEnd::Invalid(_) => return RegionScan::NotACall,
        };
        let rest = text.get(end..).unwrap_or_default();
        let close_at = end + (rest.len() - rest.trim_start().len());
        let rest = rest.trim_start();
        if rest.starts_with(FUNCTION_CLOSE) {
            RegionScan::Complete(close_at + FUNCTION_CLOSE.len())
        } else if rest.is_empty() || could_become(rest, FUNCTION_CLOSE) {
            if at_eof && rest.is_empty() {
                RegionScan::Complete(end)
            } else {
                RegionScan::NeedMore
            }
        } else {
            RegionScan::NotACall
        }
    }

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
        tagged_json::scan_parse(text, wrapper(opener)?, at_eof, NAME, cx)
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
        if let Some(tags) = wrapper(opener) {
            return tagged_json::parse(region, tags, NAME, cx);
        }
        let Ok((head, name)) = function_head(region, opener) else {
            return Err(NormalizeError::malformed(
                NAME,
                0,
                "malformed <function> opener",
            ));
        };
        let body = region.get(head..).unwrap_or_default();
        let body = body.strip_suffix(FUNCTION_CLOSE).unwrap_or(body).trim();
        let args =
            json::parse_value(body, NAME, "arguments", name).map_err(|err| err.shifted(head))?;
        let args = match args {
            Value::Null => Value::Object(Map::new()),
            other => other,
        };
        json::report_call(cx, NAME, 0, name.to_owned(), args, None)
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        let RegionStart::Opener(opener) = start else {
            return Vec::new();
        };
        if let Some(tags) = wrapper(opener) {
            return tagged_json::partial_calls(region.get(tags.open_len..).unwrap_or_default());
        }
        match function_head(region, opener) {
            Ok((head, name)) => vec![PartialCall {
                name: Some(name.to_owned()),
                id: None,
                arguments: region
                    .get(head..)
                    .unwrap_or_default()
                    .trim_start()
                    .to_owned(),
            }],
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalizer::TextNormalizer;
    use serde_json::json;

    fn run(raw: &str) -> crate::normalizer::Normalized {
        TextNormalizer::new(Hermes).normalize_text(raw).unwrap()
    }

    #[test]
    fn parallel_calls_with_text_around() {
        let out = run(
            "Checking both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n\
             <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Tokyo\"}}\n</tool_call>\nDone.",
        );
        assert_eq!(out.calls.len(), 2);
        assert_eq!(out.calls[1].invocation.args, json!({"city": "Tokyo"}));
        assert_eq!(out.text, "Checking both.\n\n\nDone.");
    }

    #[test]
    fn closing_tag_inside_a_string_argument() {
        let out = run(
            r#"<tool_call>{"name": "write", "arguments": {"text": "use </tool_call> {here}"}}</tool_call>"#,
        );
        assert_eq!(
            out.calls[0].invocation.args["text"],
            "use </tool_call> {here}"
        );
    }

    #[test]
    fn other_wrappers_and_function_tags() {
        let out = run(
            "<function=get_time>{\"tz\": \"UTC\"}</function> and <function name=\"ping\">{}</function>\
             ```json\n{\"name\": \"f\", \"arguments\": {}}\n```",
        );
        let names: Vec<_> = out
            .calls
            .iter()
            .map(|c| c.invocation.name.as_str())
            .collect();
        assert_eq!(names, ["get_time", "ping", "f"]);
        // A fence holding other JSON stays text.
        let plain = run("```json\n{\"a\": 1}\n```");
        assert!(plain.calls.is_empty());
        assert_eq!(plain.text, "```json\n{\"a\": 1}\n```");
    }

    #[test]
    fn concatenated_arguments_are_reported() {
        let err = TextNormalizer::new(Hermes)
            .normalize_text(r#"<tool_call>{"name": "f", "arguments": {"a":1}}{"name": "f", "arguments": {"a":1}}</tool_call>"#)
            .unwrap_err();
        assert!(
            matches!(
                err,
                NormalizeError::ConcatenatedArguments { offset: 46, .. }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_call_is_incomplete() {
        let err = TextNormalizer::new(Hermes)
            .normalize_text("ok <tool_call>{\"name\": \"f\", \"arguments\": {\"a\":")
            .unwrap_err();
        let NormalizeError::Incomplete {
            offset, partial, ..
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(offset, 3);
        assert_eq!(partial.unwrap().name.as_deref(), Some("f"));
    }

    #[test]
    fn json_in_prose_is_text() {
        let out = run("Call it like {\"name\": \"f\", \"arguments\": {}} please.");
        assert!(out.calls.is_empty());
    }
}
