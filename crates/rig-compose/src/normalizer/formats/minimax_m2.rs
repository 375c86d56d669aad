//! MiniMax M2: `<invoke name="…">` blocks with `<parameter name="…">`
//! values inside `<minimax:tool_call>`.

use super::xml_params::{self, Grammar, KeyStyle, NameStyle};
use crate::normalizer::format::ToolCallFormat;

const NAME: &str = "minimax_m2";

const GRAMMAR: Grammar = Grammar {
    format: NAME,
    wrapper: Some(("<minimax:tool_call>", "</minimax:tool_call>")),
    call_open: &["<invoke "],
    name: NameStyle::Attr,
    call_close: &["</invoke>"],
    param_open: "<parameter ",
    key: KeyStyle::Attr,
    param_close: "</parameter>",
    unclosed_params: false,
};

/// MiniMax M2 / M2.1 tool calls (vLLM `minimax_m2`):
///
/// ```text
/// <minimax:tool_call>
/// <invoke name="get_weather">
/// <parameter name="city">Paris</parameter>
/// </invoke>
/// <invoke name="get_time">
/// <parameter name="tz">UTC</parameter>
/// </invoke>
/// </minimax:tool_call>
/// ```
///
/// Values are typed with the tool's argument schema (enum, `anyOf`/`oneOf`
/// and type lists included; `null`, `none` and `nil` are null where the
/// schema allows null); without a schema a value is JSON when it parses as
/// JSON, else text. One newline after the opening and one before the
/// closing parameter tag are dropped. A `</parameter>` inside a value is
/// text unless whitespace and the next `<parameter ` or `</invoke>` follow
/// it. A missing `</minimax:tool_call>` at the end of the output is
/// accepted.
///
/// ```
/// use rig_compose::normalizer::{SchemaSet, TextNormalizer, formats::MiniMaxM2};
/// use serde_json::json;
///
/// let mut schemas = SchemaSet::new();
/// schemas.insert("search", json!({"type": "object", "properties": {
///     "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}));
/// let out = TextNormalizer::new(MiniMaxM2)
///     .with_schemas(schemas)
///     .normalize_text(
///         "<minimax:tool_call>\n<invoke name=\"search\">\n\
///          <parameter name=\"query\">rust</parameter>\n\
///          <parameter name=\"limit\">none</parameter>\n</invoke>\n</minimax:tool_call>",
///     )
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"query": "rust", "limit": null}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MiniMaxM2;

impl ToolCallFormat for MiniMaxM2 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn describe(&self) -> &'static str {
        "<minimax:tool_call><invoke name=\"NAME\"><parameter name=\"KEY\">value</parameter></invoke></minimax:tool_call>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &["<minimax:tool_call>"]
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &["</minimax:tool_call>"]
    }

    xml_params::grammar_methods!(|_| Some(&GRAMMAR));
}
