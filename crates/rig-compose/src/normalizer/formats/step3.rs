//! Step3: `<steptml:invoke>` blocks between full-width-bar special tokens.

use super::xml_params::{self, Grammar, KeyStyle, NameStyle};
use crate::normalizer::format::ToolCallFormat;

const NAME: &str = "step3";

// `｜` is U+FF5C (full width); the underscores are ASCII.
const GRAMMAR: Grammar = Grammar {
    format: NAME,
    wrapper: Some(("<｜tool_calls_begin｜>", "<｜tool_calls_end｜>")),
    call_open: &[
        "<｜tool_call_begin｜>",
        "function",
        "<｜tool_sep｜>",
        "<steptml:invoke ",
    ],
    name: NameStyle::Attr,
    call_close: &["</steptml:invoke>", "<｜tool_call_end｜>"],
    param_open: "<steptml:parameter ",
    key: KeyStyle::Attr,
    param_close: "</steptml:parameter>",
    unclosed_params: false,
};

/// StepFun Step3 tool calls (vLLM / SGLang `step3`); `｜` is the full-width
/// bar U+FF5C and the underscores are ASCII:
///
/// ```text
/// <｜tool_calls_begin｜>
/// <｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name="get_weather">
/// <steptml:parameter name="city">Paris</steptml:parameter>
/// </steptml:invoke><｜tool_call_end｜>
/// <｜tool_calls_end｜>
/// ```
///
/// Whitespace is allowed between the tokens that open and close a call.
/// Values are typed with the tool's argument schema like the other
/// XML-style formats; a `</steptml:parameter>` inside a value is text
/// unless whitespace and the next `<steptml:parameter ` or
/// `</steptml:invoke>` follow it. DeepSeek-style bodies after the same
/// opener (`…<｜tool_sep｜>get_weather` with JSON) are not Step3 calls.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Step3};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(Step3)
///     .normalize_text(
///         "<｜tool_calls_begin｜>\n<｜tool_call_begin｜>function<｜tool_sep｜>\
///          <steptml:invoke name=\"get_weather\">\n\
///          <steptml:parameter name=\"city\">Paris</steptml:parameter>\n\
///          </steptml:invoke><｜tool_call_end｜>\n<｜tool_calls_end｜>",
///     )
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Step3;

impl ToolCallFormat for Step3 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn describe(&self) -> &'static str {
        "<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name=\"NAME\"><steptml:parameter name=\"KEY\">value</steptml:parameter></steptml:invoke><｜tool_call_end｜><｜tool_calls_end｜>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &["<｜tool_calls_begin｜>"]
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &["<｜tool_calls_end｜>"]
    }

    xml_params::grammar_methods!(|_| Some(&GRAMMAR));
}
