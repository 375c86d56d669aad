//! Provider JSON shapes: OpenAI Responses `function_call` items and Chat
//! Completions `tool_calls`.

use std::fmt::{self, Display};

use serde_json::{Map, Value};

use super::ToolInvocation;
use super::diag::{Clipped, Excerpt};
use super::limits::{MAX_INPUT_BYTES, MAX_NESTING_DEPTH};
use super::scan::is_name_byte;
use crate::registry::KernelError;

/// Normalizer for the structured tool calls of provider APIs, read from
/// `serde_json::Value` so the kernel needs no provider SDK types.
///
/// Understood shapes:
///
/// * OpenAI Responses: a full response `{"output": [...]}`, the `output`
///   array itself, or one `{"type": "function_call", ...}` item.
/// * OpenAI Chat Completions: a full response `{"choices": [...]}`, a
///   message `{"tool_calls": [...]}`, the `tool_calls` array itself, or one
///   `{"function": {...}}` call.
///
/// `arguments` may be a JSON-encoded string (as the APIs send it) or an
/// already-decoded value; missing, `null` or blank arguments become `{}`.
/// Anything unrecognised yields no calls. Errors name the JSON path of the
/// offending item, e.g. `$.choices[0].message.tool_calls[1]`, and the tool
/// when known.
///
/// ```
/// use rig_compose::normalizer::StructuredToolCallNormalizer;
/// use serde_json::json;
///
/// let response = json!({
///     "choices": [{"message": {"tool_calls": [{
///         "id": "call_1",
///         "type": "function",
///         "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}
///     }]}}]
/// });
/// let calls = StructuredToolCallNormalizer::normalize(&response).unwrap();
/// assert_eq!(calls[0].name, "get_weather");
/// assert_eq!(calls[0].args, json!({"city": "Oslo"}));
///
/// let broken = json!({"type": "function_call", "name": "f", "arguments": "{oops"});
/// let err = StructuredToolCallNormalizer::normalize_openai_responses(&broken).unwrap_err();
/// assert!(err.to_string().contains("arguments JSON"));
/// assert!(err.to_string().contains("$.arguments"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct StructuredToolCallNormalizer;

impl StructuredToolCallNormalizer {
    /// Calls from an OpenAI Responses payload: a full response object, its
    /// `output` array, or a single `function_call` item. Other output items
    /// (messages, reasoning, ...) are skipped.
    pub fn normalize_openai_responses(value: &Value) -> Result<Vec<ToolInvocation>, KernelError> {
        let root = Path::Root;
        match value {
            Value::Object(object) => match object.get("output") {
                Some(output) => responses_output(output, &root.key("output")),
                None => responses_item(object, &root),
            },
            Value::Array(items) => responses_items(items, &root),
            _ => Ok(Vec::new()),
        }
    }

    /// Calls from an OpenAI Chat Completions payload: a full response (every
    /// choice's message), one message, its `tool_calls` array, or a single
    /// tool call.
    pub fn normalize_openai_chat_completions(
        value: &Value,
    ) -> Result<Vec<ToolInvocation>, KernelError> {
        chat(value, &Path::Root, 0)
    }

    /// Calls in every supported shape: Responses calls first, then Chat
    /// Completions calls, each in payload order.
    pub fn normalize(value: &Value) -> Result<Vec<ToolInvocation>, KernelError> {
        let mut calls = Self::normalize_openai_responses(value)?;
        calls.extend(Self::normalize_openai_chat_completions(value)?);
        Ok(calls)
    }
}

// ── Locations ─────────────────────────────────────────────────────────────

/// A JSON path kept as a chain of stack frames; only rendered on error.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'static str),
    Index(&'p Path<'p>, usize),
}

impl<'p> Path<'p> {
    fn key(&'p self, key: &'static str) -> Path<'p> {
        Path::Key(self, key)
    }

    fn index(&'p self, index: usize) -> Path<'p> {
        Path::Index(self, index)
    }
}

impl Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

fn fail(what: impl Display, at: &Path<'_>, tool: Option<&str>) -> KernelError {
    let message = match tool {
        Some(tool) => format!("{what} (at `{at}`, tool `{}`)", Clipped(tool)),
        None => format!("{what} (at `{at}`)"),
    };
    KernelError::NormalizerFailed(message)
}

// ── OpenAI Responses ──────────────────────────────────────────────────────

fn responses_output(output: &Value, at: &Path<'_>) -> Result<Vec<ToolInvocation>, KernelError> {
    match output {
        Value::Array(items) => responses_items(items, at),
        Value::Object(object) => responses_item(object, at),
        _ => Ok(Vec::new()),
    }
}

fn responses_items(items: &[Value], at: &Path<'_>) -> Result<Vec<ToolInvocation>, KernelError> {
    let mut calls = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if let Value::Object(object) = item {
            calls.extend(responses_item(object, &at.index(index))?);
        }
    }
    Ok(calls)
}

/// One output item: a call if its `type` is `function_call`, else nothing.
fn responses_item(
    object: &Map<String, Value>,
    at: &Path<'_>,
) -> Result<Vec<ToolInvocation>, KernelError> {
    if object.get("type").and_then(Value::as_str) != Some("function_call") {
        return Ok(Vec::new());
    }
    let call = invocation(object, at, "OpenAI Responses function_call")?;
    Ok(vec![call])
}

// ── OpenAI Chat Completions ───────────────────────────────────────────────

fn chat(value: &Value, at: &Path<'_>, depth: usize) -> Result<Vec<ToolInvocation>, KernelError> {
    match value {
        Value::Object(object) => {
            if let Some(choices) = object.get("choices") {
                return chat_choices(choices, &at.key("choices"), depth);
            }
            if let Some(tool_calls) = object.get("tool_calls") {
                let at = at.key("tool_calls");
                return match tool_calls {
                    Value::Array(items) => chat_calls(items, &at),
                    Value::Object(call) if call.contains_key("function") => {
                        chat_call(call, &at).map(|call| vec![call])
                    }
                    _ => Ok(Vec::new()),
                };
            }
            if object.contains_key("function") {
                return chat_call(object, at).map(|call| vec![call]);
            }
            Ok(Vec::new())
        }
        Value::Array(items) => chat_calls(items, at),
        _ => Ok(Vec::new()),
    }
}

fn chat_choices(
    choices: &Value,
    at: &Path<'_>,
    depth: usize,
) -> Result<Vec<ToolInvocation>, KernelError> {
    let Value::Array(choices) = choices else {
        return Err(fail(
            "OpenAI Chat Completions choices must be an array",
            at,
            None,
        ));
    };
    let mut calls = Vec::new();
    for (index, choice) in choices.iter().enumerate() {
        let Some(message) = choice.get("message") else {
            continue;
        };
        let at = at.index(index);
        // A message may itself hold `choices`; bound that recursion.
        if depth >= MAX_NESTING_DEPTH {
            return Err(fail(
                format_args!(
                    "OpenAI Chat Completions choices nested deeper than {MAX_NESTING_DEPTH} levels"
                ),
                &at,
                None,
            ));
        }
        calls.extend(chat(message, &at.key("message"), depth + 1)?);
    }
    Ok(calls)
}

fn chat_calls(items: &[Value], at: &Path<'_>) -> Result<Vec<ToolInvocation>, KernelError> {
    let mut calls = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let at = at.index(index);
        let call = match item {
            Value::Object(object) if object.contains_key("function") => chat_call(object, &at)?,
            Value::Object(_) => {
                return Err(fail(
                    "OpenAI Chat Completions tool call missing function payload",
                    &at,
                    None,
                ));
            }
            _ => {
                return Err(fail(
                    "OpenAI Chat Completions tool call must be an object",
                    &at,
                    None,
                ));
            }
        };
        calls.push(call);
    }
    Ok(calls)
}

fn chat_call(object: &Map<String, Value>, at: &Path<'_>) -> Result<ToolInvocation, KernelError> {
    let at = at.key("function");
    let Some(Value::Object(function)) = object.get("function") else {
        return Err(fail(
            "OpenAI Chat Completions tool call missing function object",
            &at,
            None,
        ));
    };
    invocation(function, &at, "OpenAI Chat Completions function")
}

// ── Shared: name + arguments ──────────────────────────────────────────────

/// Build the call described by `object`'s `name` and `arguments` fields.
/// Checks run in a fixed order — name present, arguments decodable, name
/// valid — so a payload with several problems always reports the same one.
fn invocation(
    object: &Map<String, Value>,
    at: &Path<'_>,
    what: &str,
) -> Result<ToolInvocation, KernelError> {
    let Some(name) = object.get("name").and_then(Value::as_str) else {
        return Err(fail(format_args!("{what} missing `name` string"), at, None));
    };
    let args = match object.get("arguments") {
        Some(raw) => arguments(raw, &at.key("arguments"), name)?,
        None => Value::Object(Map::new()),
    };
    if name.trim().is_empty() {
        return Err(fail("empty tool name in structured tool call", at, None));
    }
    if !name.bytes().all(is_name_byte) {
        return Err(fail(
            format_args!("invalid tool name: {}", Excerpt(name)),
            at,
            None,
        ));
    }
    Ok(ToolInvocation {
        name: name.to_owned(),
        args,
    })
}

/// Decode an `arguments` field: a JSON string is parsed, blank or `null`
/// means no arguments, any other value is taken as already decoded.
fn arguments(raw: &Value, at: &Path<'_>, tool: &str) -> Result<Value, KernelError> {
    match raw {
        Value::String(text) => {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Ok(Value::Object(Map::new()));
            }
            if trimmed.len() > MAX_INPUT_BYTES {
                return Err(fail(
                    format_args!(
                        "tool-call arguments JSON of {} bytes exceeds the limit of {MAX_INPUT_BYTES} bytes",
                        trimmed.len()
                    ),
                    at,
                    Some(tool),
                ));
            }
            serde_json::from_str(trimmed).map_err(|err| {
                let lead = text.len() - text.trim_start().len();
                let offset = lead + offset_in(trimmed, err.line(), err.column());
                fail(
                    format_args!(
                        "failed to parse standard tool-call arguments JSON: {err}; byte {offset} of the string"
                    ),
                    at,
                    Some(tool),
                )
            })
        }
        Value::Null => Ok(Value::Object(Map::new())),
        other => {
            // Cloning is recursive; refuse values too deep to clone safely.
            if nested_deeper_than(other, MAX_NESTING_DEPTH) {
                return Err(fail(
                    format_args!(
                        "tool-call arguments nested deeper than {MAX_NESTING_DEPTH} levels"
                    ),
                    at,
                    Some(tool),
                ));
            }
            Ok(other.clone())
        }
    }
}

/// Byte offset of serde_json's 1-based (line, column) position in `text`.
fn offset_in(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(at, _)| at + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Whether `value` has more than `limit` levels of arrays/objects. Recurses
/// at most `limit + 1` frames deep whatever the input.
fn nested_deeper_than(value: &Value, limit: usize) -> bool {
    let Some(inner) = limit.checked_sub(1) else {
        return matches!(value, Value::Array(_) | Value::Object(_));
    };
    match value {
        Value::Array(items) => items.iter().any(|item| nested_deeper_than(item, inner)),
        Value::Object(map) => map.values().any(|item| nested_deeper_than(item, inner)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type N = StructuredToolCallNormalizer;

    fn names(calls: &[ToolInvocation]) -> Vec<&str> {
        calls.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn responses_shapes() {
        let item = json!({"type": "function_call", "name": "a", "arguments": "{\"x\": 1}"});
        let calls = N::normalize_openai_responses(&item).unwrap();
        assert_eq!(calls[0].args, json!({"x": 1}));
        let full = json!({"output": [{"type": "message"}, item, 7, {"type": "function_call", "name": "b"}]});
        assert_eq!(
            names(&N::normalize_openai_responses(&full).unwrap()),
            ["a", "b"]
        );
        let bare = json!([item, {"type": "reasoning"}]);
        assert_eq!(names(&N::normalize_openai_responses(&bare).unwrap()), ["a"]);
        // `output` wins even when it holds nothing useful.
        let both = json!({"output": "x", "type": "function_call", "name": "c"});
        assert!(N::normalize_openai_responses(&both).unwrap().is_empty());
        assert!(
            N::normalize_openai_responses(&json!("text"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn chat_shapes() {
        let call = json!({"id": "1", "function": {"name": "a", "arguments": {"k": "v"}}});
        let full = json!({"choices": [{"message": {"tool_calls": [call]}}, {"index": 1}, 5]});
        assert_eq!(
            names(&N::normalize_openai_chat_completions(&full).unwrap()),
            ["a"]
        );
        let single = json!({"tool_calls": call});
        assert_eq!(
            names(&N::normalize_openai_chat_completions(&single).unwrap()),
            ["a"]
        );
        assert_eq!(
            names(&N::normalize_openai_chat_completions(&call).unwrap()),
            ["a"]
        );
        let array = json!([call, call]);
        assert_eq!(
            N::normalize_openai_chat_completions(&array).unwrap().len(),
            2
        );
    }

    #[test]
    fn arguments_forms() {
        for (raw, want) in [
            (json!("  "), json!({})),
            (json!(null), json!({})),
            (json!("null"), json!(null)),
            (json!("[1]"), json!([1])),
            (json!(3), json!(3)),
            (json!({"a": [1]}), json!({"a": [1]})),
        ] {
            let item = json!({"type": "function_call", "name": "f", "arguments": raw});
            assert_eq!(N::normalize(&item).unwrap()[0].args, want);
        }
        let item = json!({"type": "function_call", "name": "f"});
        assert_eq!(N::normalize(&item).unwrap()[0].args, json!({}));
    }

    #[test]
    fn errors_carry_paths_and_tools() {
        let cases = [
            (
                json!({"output": [{}, {"type": "function_call"}]}),
                "OpenAI Responses function_call missing `name` string (at `$.output[1]`)",
            ),
            (
                json!({"type": "function_call", "name": "f", "arguments": "\n {\"a\": }"}),
                "failed to parse standard tool-call arguments JSON: expected value at line 1 column 7; byte 8 of the string (at `$.arguments`, tool `f`)",
            ),
            (
                json!({"choices": {"message": {}}}),
                "OpenAI Chat Completions choices must be an array (at `$.choices`)",
            ),
            (
                json!({"choices": [{"message": {"tool_calls": [{"function": {"name": "ok"}}, {"id": 1}]}}]}),
                "OpenAI Chat Completions tool call missing function payload (at `$.choices[0].message.tool_calls[1]`)",
            ),
            (
                json!({"tool_calls": [1]}),
                "OpenAI Chat Completions tool call must be an object (at `$.tool_calls[0]`)",
            ),
            (
                json!({"function": "f"}),
                "OpenAI Chat Completions tool call missing function object (at `$.function`)",
            ),
            (
                json!({"function": {"arguments": "{}"}}),
                "OpenAI Chat Completions function missing `name` string (at `$.function`)",
            ),
            (
                json!({"function": {"name": " "}}),
                "empty tool name in structured tool call (at `$.function`)",
            ),
            (
                json!({"function": {"name": "a b"}}),
                "invalid tool name: \"a b\" (at `$.function`)",
            ),
        ];
        for (value, want) in cases {
            let err = N::normalize(&value).unwrap_err();
            assert!(matches!(err, KernelError::NormalizerFailed(_)));
            assert_eq!(
                err.to_string(),
                format!("tool-call normalizer failed: {want}")
            );
        }
    }

    #[test]
    fn bad_arguments_are_reported_before_a_bad_name() {
        let value = json!({"function": {"name": "a b", "arguments": "{"}});
        let err = N::normalize(&value).unwrap_err().to_string();
        assert!(err.contains("arguments JSON"), "{err}");
    }

    #[test]
    fn a_bare_array_is_read_by_both_standards() {
        // As Chat tool calls, a Responses item lacks `function`: an error.
        let value = json!([{"type": "function_call", "name": "a"}]);
        assert_eq!(N::normalize_openai_responses(&value).unwrap().len(), 1);
        assert!(N::normalize(&value).is_err());
    }

    #[test]
    fn deep_payloads_are_bounded() {
        let mut message = json!({"tool_calls": [{"function": {"name": "f"}}]});
        for _ in 0..MAX_NESTING_DEPTH {
            message = json!({"choices": [{"message": message}]});
        }
        assert_eq!(
            N::normalize_openai_chat_completions(&message)
                .unwrap()
                .len(),
            1
        );
        let deeper = json!({"choices": [{"message": message}]});
        let err = N::normalize_openai_chat_completions(&deeper)
            .unwrap_err()
            .to_string();
        assert!(err.contains("nested deeper than 128 levels"), "{err}");

        let mut args = json!(1);
        for _ in 0..MAX_NESTING_DEPTH {
            args = json!([args]);
        }
        let ok = json!({"function": {"name": "f", "arguments": args}});
        assert!(N::normalize(&ok).is_ok());
        let too_deep = json!({"function": {"name": "f", "arguments": [args]}});
        let err = N::normalize(&too_deep).unwrap_err().to_string();
        assert!(err.contains("arguments nested deeper than 128"), "{err}");
    }

    #[test]
    fn offsets_from_line_and_column() {
        assert_eq!(offset_in("abc", 1, 2), 1);
        assert_eq!(offset_in("a\nbc\nd", 3, 1), 5);
        assert_eq!(offset_in("a", 9, 9), 1);
    }
}
