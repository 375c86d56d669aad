//! The JSON-array-in-tags family: a JSON array of call objects between a
//! model's own markers (Jamba, Hunyuan-A13B, Apriel, Nemotron, Apertus,
//! Phi-4-mini, xLAM).
//!
//! The call syntax is the same across the family; what differs is the
//! markers, the reasoning tags, and for Apertus a short element form.

use serde_json::Value;

use super::tagged_json::{self, CallJson, MarkedJson, Tags, first_key, json_after, skip_ws};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{
    ParseCx, PartialCall, ReasoningTags, RegionScan, RegionStart, THINK_TAGS, ToolCallFormat,
};
use crate::normalizer::json::{self, CallShape};

/// One member of the family whose array sits between two tags.
struct TaggedArray {
    name: &'static str,
    aliases: &'static [&'static str],
    describe: &'static str,
    /// Opening and closing tag; the opener is taken only when `[` follows.
    open: &'static str,
    close: &'static str,
    reasoning: &'static [ReasoningTags],
    /// Elements may also be `{"tool_name": {arguments}}` (Apertus).
    short_form: bool,
}

impl TaggedArray {
    fn tags(&self) -> Tags {
        Tags {
            open_len: self.open.len(),
            close: self.close,
            close_optional_at_eof: true,
            require_call_key: false,
        }
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start == RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        // `<tool_calls>` also opens MiniMax M1 (`{` per line) and Hunyuan V3
        // (`<tool_call>` blocks): only an array is ours.
        match json_after(text, self.open.len(), b"[") {
            Ok(_) => tagged_json::scan(text, self.tags(), at_eof),
            Err(answer) => answer,
        }
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        if start == RegionStart::OutputStart {
            return None;
        }
        json_after(text, self.open.len(), b"[").ok()?;
        if !self.short_form {
            return tagged_json::scan_parse(text, self.tags(), at_eof, self.name, cx);
        }
        tagged_json::scan_read(text, self.tags(), at_eof, |body, offset| {
            let (value, len) = json::value_prefix(body)?;
            let items = match value {
                Value::Array(items) => items,
                other => vec![other],
            };
            for item in items {
                report_short_form(item, offset, self.name, cx).ok()?;
            }
            Some(len)
        })
    }

    fn parse(&self, region: &str, cx: &mut ParseCx<'_>) -> Result<(), NormalizeError> {
        if !self.short_form {
            return tagged_json::parse(region, self.tags(), self.name, cx);
        }
        let (body, offset) = tagged_json::body(region, self.tags());
        let value = json::parse_value(body, self.name, "tool call", "")
            .map_err(|err| err.shifted(offset))?;
        let items = match value {
            Value::Array(items) => items,
            other => vec![other],
        };
        for item in items {
            report_short_form(item, offset, self.name, cx)?;
        }
        Ok(())
    }

    fn partial(&self, region: &str) -> Vec<PartialCall> {
        let body = region.get(self.open.len()..).unwrap_or_default();
        if !self.short_form {
            return tagged_json::partial_calls(body);
        }
        tagged_json::partial_elements(body)
            .into_iter()
            .map(partial_short_form)
            .collect()
    }
}

/// Whether `item` is a full call object: a string `name` / `tool_name`,
/// or an OpenAI-style `function` object with a string `name`.
fn is_call_value(item: &Value) -> bool {
    let Some(object) = item.as_object() else {
        return false;
    };
    let named = |o: &serde_json::Map<String, Value>, keys: &[&str]| {
        keys.iter().any(|k| o.get(*k).is_some_and(Value::is_string))
    };
    named(object, &["name", "tool_name"])
        || object
            .get("function")
            .and_then(Value::as_object)
            .is_some_and(|f| named(f, &["name"]))
}

/// Report a call object, or Apertus' `{"tool_name": {arguments}}`.
fn report_short_form(
    item: Value,
    offset: usize,
    format: &'static str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    if is_call_value(&item) {
        return json::report_call_object(item, offset, format, cx);
    }
    match item {
        Value::Object(object) if object.len() == 1 => {
            let Some((name, args)) = object.into_iter().next() else {
                return Ok(());
            };
            let args = match args {
                Value::Null => Value::Object(serde_json::Map::new()),
                Value::String(encoded) => json::parse_value(&encoded, format, "arguments", &name)
                    .map_err(|err| {
                    NormalizeError::malformed(
                        format,
                        offset,
                        format!("arguments string of `{name}`: {err}"),
                    )
                })?,
                other => other,
            };
            json::report_call(cx, format, offset, name, args, None)
        }
        _ => Err(NormalizeError::malformed(
            format,
            offset,
            "expected a call object or {\"tool_name\": {arguments}}",
        )),
    }
}

/// Partial of an element that may be in the short form.
fn partial_short_form(element: &str) -> PartialCall {
    let call = tagged_json::partial_object(element);
    if call.name.is_some() || tagged_json::raw_field(element, &["name", "tool_name"]).is_some() {
        return call;
    }
    // `{"get_weather": {"city": "Par` — the key is the name once its value
    // has begun.
    match first_key(element, 0) {
        Some(key) if !key.contains('\\') => match tagged_json::raw_field(element, &[key]) {
            Some(raw) => PartialCall {
                name: Some(key.to_owned()),
                id: None,
                arguments: raw.to_owned(),
            },
            None => call,
        },
        _ => call,
    }
}

const TOOL_CALLS_OPEN: &str = "<tool_calls>";
const TOOL_CALLS_CLOSE: &str = "</tool_calls>";

const JAMBA: TaggedArray = TaggedArray {
    name: "jamba",
    aliases: &["jamba_1_5", "jamba_1_6"],
    describe: "<tool_calls>[{\"name\": …, \"arguments\": {…}}, …]</tool_calls>",
    open: TOOL_CALLS_OPEN,
    close: TOOL_CALLS_CLOSE,
    reasoning: &[THINK_TAGS],
    short_form: false,
};

const HUNYUAN_A13B: TaggedArray = TaggedArray {
    name: "hunyuan_a13b",
    aliases: &[],
    describe: "<tool_calls>[{\"name\": …, \"arguments\": {…} or \"…\"}, …]</tool_calls>",
    open: TOOL_CALLS_OPEN,
    close: TOOL_CALLS_CLOSE,
    reasoning: &[THINK_TAGS],
    short_form: false,
};

/// Apriel's reasoning tags.
const THINKING_TAGS: ReasoningTags = ReasoningTags {
    open: "<thinking>",
    close: "</thinking>",
};

const APRIEL: TaggedArray = TaggedArray {
    name: "apriel",
    aliases: &[],
    describe: "<thinking>…</thinking><tool_calls>[{\"name\": …, \"arguments\": {…}}, …]</tool_calls>",
    open: TOOL_CALLS_OPEN,
    close: TOOL_CALLS_CLOSE,
    reasoning: &[THINKING_TAGS, THINK_TAGS],
    short_form: false,
};

const NEMOTRON: TaggedArray = TaggedArray {
    name: "nemotron",
    aliases: &["nemotron_v2", "llama_nemotron"],
    describe: "<TOOLCALL>[{\"name\": …, \"arguments\": {…}}, …]</TOOLCALL>",
    open: "<TOOLCALL>",
    close: "</TOOLCALL>",
    reasoning: &[THINK_TAGS],
    short_form: false,
};

/// Apertus' "inner" (reasoning) block.
const INNER_TAGS: ReasoningTags = ReasoningTags {
    open: "<|inner_prefix|>",
    close: "<|inner_suffix|>",
};

const APERTUS: TaggedArray = TaggedArray {
    name: "apertus",
    aliases: &[],
    describe: "<|tools_prefix|>[{\"name\": {…arguments}} or call objects, …]<|tools_suffix|>",
    open: "<|tools_prefix|>",
    close: "<|tools_suffix|>",
    reasoning: &[INNER_TAGS, THINK_TAGS],
    short_form: true,
};

macro_rules! tagged_array_format {
    ($(#[$doc:meta])* $ty:ident, $spec:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;

        impl ToolCallFormat for $ty {
            fn name(&self) -> &'static str {
                $spec.name
            }

            fn aliases(&self) -> &'static [&'static str] {
                $spec.aliases
            }

            fn describe(&self) -> &'static str {
                $spec.describe
            }

            fn openers(&self) -> &'static [&'static str] {
                const OPENERS: &[&str] = &[$spec.open];
                OPENERS
            }

            fn reasoning_tags(&self) -> &'static [ReasoningTags] {
                $spec.reasoning
            }

            fn end_bytes(&self) -> &'static [u8] {
                // Every closing tag ends in `>`; a region without one only
                // ends at the end of the output, which is always scanned.
                b">"
            }

            fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
                $spec.scan(text, start, at_eof)
            }

            fn scan_parse(
                &self,
                text: &str,
                start: RegionStart,
                at_eof: bool,
                cx: &mut ParseCx<'_>,
            ) -> Option<usize> {
                $spec.scan_parse(text, start, at_eof, cx)
            }

            fn parse(
                &self,
                region: &str,
                _start: RegionStart,
                cx: &mut ParseCx<'_>,
            ) -> Result<(), NormalizeError> {
                $spec.parse(region, cx)
            }

            fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
                $spec.partial(region)
            }
        }
    };
}

tagged_array_format!(
    /// AI21 Jamba 1.5 / 1.6 / 1.7 tool calls:
    ///
    /// ```text
    /// <tool_calls>[{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {"tz": "UTC"}}]</tool_calls>
    /// ```
    ///
    /// `<tool_calls>` also opens MiniMax M1 and Hunyuan V3 calls; it is
    /// taken here only when a JSON array follows. Hunyuan-A13B and Apriel
    /// write the same syntax; auto-detection reports it as `jamba`.
    ///
    /// ```
    /// use rig_compose::normalizer::{TextNormalizer, formats::Jamba};
    ///
    /// let out = TextNormalizer::new(Jamba)
    ///     .normalize_text("<tool_calls>[{\"name\": \"ping\", \"arguments\": {}}]</tool_calls>")
    ///     .unwrap();
    /// assert_eq!(out.calls[0].invocation.name, "ping");
    /// ```
    Jamba,
    JAMBA
);

tagged_array_format!(
    /// Tencent Hunyuan-A13B tool calls: Jamba's syntax, with arguments
    /// given as an object or as a JSON-encoded string.
    ///
    /// ```text
    /// <tool_calls>[{"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}]</tool_calls>
    /// ```
    ///
    /// ```
    /// use rig_compose::normalizer::{TextNormalizer, formats::HunyuanA13b};
    /// use serde_json::json;
    ///
    /// let out = TextNormalizer::new(HunyuanA13b)
    ///     .normalize_text(r#"<tool_calls>[{"name": "f", "arguments": "{\"x\": 1}"}]</tool_calls>"#)
    ///     .unwrap();
    /// assert_eq!(out.calls[0].invocation.args, json!({"x": 1}));
    /// ```
    HunyuanA13b,
    HUNYUAN_A13B
);

tagged_array_format!(
    /// ServiceNow Apriel tool calls: Jamba's syntax, with reasoning in
    /// `<thinking>` … `</thinking>` (or `<think>` … `</think>`).
    ///
    /// ```text
    /// <thinking>The user wants the weather.</thinking><tool_calls>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</tool_calls>
    /// ```
    ///
    /// ```
    /// use rig_compose::normalizer::{TextNormalizer, formats::Apriel};
    ///
    /// let out = TextNormalizer::new(Apriel)
    ///     .normalize_text("<thinking>Weather.</thinking><tool_calls>[{\"name\": \"w\", \"arguments\": {}}]</tool_calls>")
    ///     .unwrap();
    /// assert_eq!(out.reasoning, "Weather.");
    /// assert_eq!(out.calls.len(), 1);
    /// ```
    Apriel,
    APRIEL
);

tagged_array_format!(
    /// NVIDIA Nemotron (Llama-Nemotron, Nemotron Nano v2) tool calls:
    ///
    /// ```text
    /// <TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</TOOLCALL>
    /// ```
    ///
    /// ```
    /// use rig_compose::normalizer::{TextNormalizer, formats::Nemotron};
    ///
    /// let out = TextNormalizer::new(Nemotron)
    ///     .normalize_text("<TOOLCALL>[{\"name\": \"ping\", \"arguments\": {}}]</TOOLCALL>")
    ///     .unwrap();
    /// assert_eq!(out.calls[0].invocation.name, "ping");
    /// ```
    Nemotron,
    NEMOTRON
);

tagged_array_format!(
    /// Swiss AI Apertus tool calls: a JSON array between
    /// `<|tools_prefix|>` and `<|tools_suffix|>`, whose elements are call
    /// objects or the short form `{"tool_name": {arguments}}`:
    ///
    /// ```text
    /// <|tools_prefix|>[{"get_weather": {"city": "Paris"}}]<|tools_suffix|>
    /// ```
    ///
    /// Reasoning sits in `<|inner_prefix|>` … `<|inner_suffix|>` (or
    /// `<think>` … `</think>`).
    ///
    /// ```
    /// use rig_compose::normalizer::{TextNormalizer, formats::Apertus};
    /// use serde_json::json;
    ///
    /// let out = TextNormalizer::new(Apertus)
    ///     .normalize_text("<|tools_prefix|>[{\"get_weather\": {\"city\": \"Paris\"}}]<|tools_suffix|>")
    ///     .unwrap();
    /// assert_eq!(out.calls[0].invocation.name, "get_weather");
    /// assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    /// ```
    Apertus,
    APERTUS
);

const FUNCTOOLS: &str = "functools";

const FUNCTOOLS_LAYOUT: MarkedJson = MarkedJson {
    open_len: FUNCTOOLS.len(),
    accept: b"[",
    closer: None,
};

/// Phi-4-mini (and Firefunction v2) tool calls: `functools` directly
/// followed by a JSON array of calls, with no closing marker:
///
/// ```text
/// functools[{"name": "get_weather", "arguments": {"city": "Paris"}}]
/// ```
///
/// Firefunction v2 writes a space before `functools`; that space is kept
/// as text. `functools` not followed by `[` (Python's module in prose) is
/// text.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Phi4Mini};
///
/// let out = TextNormalizer::new(Phi4Mini)
///     .normalize_text("functools[{\"name\": \"ping\", \"arguments\": {}}]")
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.name, "ping");
/// let prose = TextNormalizer::new(Phi4Mini)
///     .normalize_text("Use functools.partial here.")
///     .unwrap();
/// assert!(prose.calls.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Phi4Mini;

impl ToolCallFormat for Phi4Mini {
    fn name(&self) -> &'static str {
        "phi4_mini"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["phi4_mini_json", "firefunction_v2"]
    }

    fn describe(&self) -> &'static str {
        "functools[{\"name\": …, \"arguments\": {…}}, …]"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[FUNCTOOLS]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // The array ends the region once the next byte is known: the end
        // of the output (always scanned) or a special token.
        b"<"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start == RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        // Exactly `functools[`: `functools [` reads like prose.
        match text.as_bytes().get(FUNCTOOLS.len()) {
            None => RegionScan::NeedMore,
            Some(b'[') => FUNCTOOLS_LAYOUT.scan(text, at_eof),
            Some(_) => RegionScan::NotACall,
        }
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        if start == RegionStart::OutputStart || text.as_bytes().get(FUNCTOOLS.len()) != Some(&b'[')
        {
            return None;
        }
        FUNCTOOLS_LAYOUT.scan_parse(text, at_eof, "phi4_mini", CallShape::Any, cx)
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        FUNCTOOLS_LAYOUT.parse(region, "phi4_mini", cx)
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        FUNCTOOLS_LAYOUT.partial(region)
    }
}

const XLAM: &str = "xlam";
const FENCE: &str = "```json";
/// `</think>` opens a region only when the chat template already opened
/// the reasoning, so the output shows a bare closing tag: calls follow it.
const THINK_CLOSE: &str = "</think>";
const XLAM_OPENERS: [&str; 4] = [FENCE, "[TOOL_CALLS]", "<tool_call>", THINK_CLOSE];

/// The layout of an xLAM region per opener; `None` is the output start.
fn xlam_layout(start: RegionStart) -> MarkedJson {
    match start {
        RegionStart::Opener(0) => MarkedJson {
            open_len: FENCE.len(),
            accept: b"[{",
            closer: Some("```"),
        },
        RegionStart::Opener(1) => MarkedJson {
            open_len: "[TOOL_CALLS]".len(),
            accept: b"[{",
            closer: None,
        },
        RegionStart::Opener(2) => MarkedJson {
            open_len: "<tool_call>".len(),
            accept: b"[{",
            closer: Some("</tool_call>"),
        },
        RegionStart::Opener(_) => MarkedJson {
            open_len: THINK_CLOSE.len(),
            accept: b"[{",
            closer: None,
        },
        RegionStart::OutputStart => MarkedJson {
            open_len: 0,
            accept: b"[{",
            closer: None,
        },
    }
}

/// Bare and fenced JSON is everywhere: there only call objects count.
fn xlam_guarded(start: RegionStart) -> bool {
    matches!(
        start,
        RegionStart::OutputStart | RegionStart::Opener(0) | RegionStart::Opener(3)
    )
}

/// Salesforce xLAM tool calls: a JSON array of call objects, bare at the
/// start of the output (after any reasoning, including right after a lone
/// `</think>` when the template opened the reasoning), in a `` ```json ``
/// fence, or after `[TOOL_CALLS]` or `<tool_call>`:
///
/// ````text
/// [{"name": "get_weather", "arguments": {"city": "Paris"}}]
/// ```json
/// [{"name": "get_weather", "arguments": {"city": "Paris"}}]
/// ```
/// ````
///
/// A single call object is accepted too. Bare and fenced JSON is a call
/// only when it is made of call objects with arguments, so other JSON
/// stays text. In
/// auto-detection Hermes, Mistral and Llama 3 claim their own markers and
/// bare calls first; xLAM only differs from them in name.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Xlam};
///
/// let xlam = TextNormalizer::new(Xlam);
/// let out = xlam
///     .normalize_text("<think>ok</think>[{\"name\": \"ping\", \"arguments\": {}}]")
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.name, "ping");
/// let other = xlam.normalize_text("```json\n{\"a\": 1}\n```").unwrap();
/// assert!(other.calls.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Xlam;

impl ToolCallFormat for Xlam {
    fn name(&self) -> &'static str {
        XLAM
    }

    fn describe(&self) -> &'static str {
        "[{\"name\": …, \"arguments\": {…}}, …] (bare, fenced, or after [TOOL_CALLS] / <tool_call>)"
    }

    fn openers(&self) -> &'static [&'static str] {
        &XLAM_OPENERS
    }

    fn bare_at_start(&self) -> bool {
        true
    }

    fn end_bytes(&self) -> &'static [u8] {
        // Closing tags and fences, special tokens after bare arrays; the
        // end of the output is always scanned.
        b"<>`"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        let layout = xlam_layout(start);
        if xlam_guarded(start) {
            let at = match json_after(text, layout.open_len, layout.accept) {
                Ok(at) => at,
                Err(answer) => return answer,
            };
            match tagged_json::call_json(text, at, true) {
                CallJson::Calls(_) => {}
                CallJson::NotCalls => return RegionScan::NotACall,
                CallJson::NeedMore => return RegionScan::NeedMore,
            }
        }
        layout.scan(text, at_eof)
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        let shape = if xlam_guarded(start) {
            CallShape::Calls { need_args: true }
        } else {
            CallShape::Any
        };
        xlam_layout(start).scan_parse(text, at_eof, XLAM, shape, cx)
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        xlam_layout(start).parse(region, XLAM, cx)
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        let layout = xlam_layout(start);
        let at = skip_ws(region.as_bytes(), layout.open_len);
        tagged_json::partial_calls(region.get(at..).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_tag_needs_an_array() {
        let start = RegionStart::Opener(0);
        assert_eq!(
            Jamba.scan("<tool_calls>\n{", start, false),
            RegionScan::NotACall
        );
        assert_eq!(
            Jamba.scan("<tool_calls>\n", start, false),
            RegionScan::NeedMore
        );
        assert_eq!(
            Jamba.scan("<tool_calls><tool_call>", start, false),
            RegionScan::NotACall
        );
        assert_eq!(
            Jamba.scan("<tool_calls>[]</tool_calls>", start, false),
            RegionScan::Complete(27)
        );
    }

    #[test]
    fn short_form_partials_name_the_key() {
        let calls = Apertus.partial(
            "<|tools_prefix|>[{\"a\": {}}, {\"get_weather\": {\"city\": \"Pa",
            RegionStart::Opener(0),
        );
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name.as_deref(), Some("a"));
        assert_eq!(calls[1].name.as_deref(), Some("get_weather"));
        assert_eq!(calls[1].arguments, "{\"city\": \"Pa");
    }

    #[test]
    fn xlam_bare_json_must_be_calls() {
        let start = RegionStart::OutputStart;
        assert_eq!(Xlam.scan("[1, 2]", start, false), RegionScan::NotACall);
        assert_eq!(Xlam.scan("{\"x\"", start, false), RegionScan::NotACall);
        assert_eq!(
            Xlam.scan("[{\"name\": \"a\", \"arguments\": {}}] ", start, true),
            RegionScan::Complete(32)
        );
    }
}
