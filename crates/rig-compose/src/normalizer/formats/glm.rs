//! GLM-4.5 / 4.6 and GLM-4.7 / 5: `<tool_call>NAME` followed by
//! `<arg_key>`/`<arg_value>` pairs.

use super::xml_params::{self, Grammar, KeyStyle, NameStyle};
use crate::normalizer::format::ToolCallFormat;

/// The GLM call: no wrapper, one call per `<tool_call>`.
const fn glm(format: &'static str) -> Grammar {
    Grammar {
        format,
        wrapper: None,
        call_open: &["<tool_call>"],
        name: NameStyle::Bare { sep: None },
        call_close: &["</tool_call>"],
        param_open: "<arg_key>",
        key: KeyStyle::Pair {
            key_close: "</arg_key>",
            value_open: "<arg_value>",
        },
        param_close: "</arg_value>",
        unclosed_params: false,
    }
}

const GLM45: Grammar = glm("glm45");
const GLM47: Grammar = glm("glm47");

/// GLM-4.5 and GLM-4.6 tool calls (vLLM `glm45`, SGLang `glm4_moe`): the
/// name on its own line, then one line per tag:
///
/// ```text
/// <tool_call>get_weather
/// <arg_key>city</arg_key>
/// <arg_value>北京</arg_value>
/// <arg_key>date</arg_key>
/// <arg_value>2024-06-27</arg_value>
/// </tool_call>
/// ```
///
/// * A call without arguments is `<tool_call>get_time</tool_call>`.
/// * Values are typed with the tool's argument schema; without one a value
///   is JSON when it parses as JSON (or, written with `\"` escapes, when it
///   unescapes to a JSON object or array), else text.
/// * `<tool_call>` also opens Hermes (`{` follows), Qwen3-Coder
///   (`<function=`) and Granite 3.1 (`[`) calls; only a bare tool name
///   followed by `<arg_key>` or `</tool_call>` is GLM.
/// * An `</arg_value>` inside a value is text unless whitespace and the next
///   `<arg_key>` or `</tool_call>` follow it; `</tool_call>` inside a value
///   is always text.
/// * The separators between the name and the tags are whitespace of any
///   kind or nothing at all, so this format also reads the compact
///   [`Glm47`] layout (GLM-4.5 outputs with spaces or without newlines
///   occur in practice).
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Glm45};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(Glm45)
///     .normalize_text(
///         "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>北京</arg_value>\n\
///          <arg_key>days</arg_key>\n<arg_value>3</arg_value>\n</tool_call>",
///     )
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "北京", "days": 3}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Glm45;

/// GLM-4.7 and GLM-5 tool calls (vLLM `glm47`): the GLM-4.5 tags written
/// without the newlines, the name directly followed by the first
/// `<arg_key>`:
///
/// ```text
/// <tool_call>get_weather<arg_key>city</arg_key><arg_value>上海</arg_value></tool_call>
/// ```
///
/// The grammar is the one of [`Glm45`] (both read both layouts, since the
/// models drift between them); the two stay separate formats so the vLLM
/// parser names, the model hints and the described layout match each
/// model. Typing, no-argument calls and closing tags inside values work as
/// described there.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Glm47};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(Glm47)
///     .normalize_text(
///         "<tool_call>get_weather<arg_key>city</arg_key><arg_value>上海</arg_value></tool_call>",
///     )
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "上海"}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Glm47;

impl ToolCallFormat for Glm45 {
    fn name(&self) -> &'static str {
        "glm45"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["glm4_moe", "glm4.5", "glm4.6", "glm"]
    }

    fn describe(&self) -> &'static str {
        "<tool_call>NAME\\n<arg_key>KEY</arg_key>\\n<arg_value>value</arg_value>\\n</tool_call>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &["<tool_call>"]
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &["</tool_call>"]
    }

    xml_params::grammar_methods!(|_| Some(&GLM45));
}

impl ToolCallFormat for Glm47 {
    fn name(&self) -> &'static str {
        "glm47"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["glm4.7", "glm5"]
    }

    fn describe(&self) -> &'static str {
        "<tool_call>NAME<arg_key>KEY</arg_key><arg_value>value</arg_value></tool_call>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &["<tool_call>"]
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &["</tool_call>"]
    }

    xml_params::grammar_methods!(|_| Some(&GLM47));
}
