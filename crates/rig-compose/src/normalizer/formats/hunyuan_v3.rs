//! Hunyuan V3: `<tool_call>NAME<tool_sep>` blocks of
//! `<arg_key>`/`<arg_value>` pairs inside `<tool_calls>`.

use super::xml_params::{self, Grammar, KeyStyle, NameStyle};
use crate::normalizer::format::ToolCallFormat;

const NAME: &str = "hunyuan_v3";

const GRAMMAR: Grammar = Grammar {
    format: NAME,
    wrapper: Some(("<tool_calls>", "</tool_calls>")),
    call_open: &["<tool_call>"],
    name: NameStyle::Bare {
        sep: Some("<tool_sep>"),
    },
    call_close: &["</tool_call>"],
    param_open: "<arg_key>",
    key: KeyStyle::Pair {
        key_close: "</arg_key>",
        value_open: "<arg_value>",
    },
    param_close: "</arg_value>",
    unclosed_params: false,
};

/// Tencent Hunyuan V3 tool calls (SGLang `hunyuan`):
///
/// ```text
/// <tool_calls>
/// <tool_call>get_weather<tool_sep>
/// <arg_key>city</arg_key>
/// <arg_value>Paris</arg_value>
/// </tool_call>
/// </tool_calls>
/// ```
///
/// Several `<tool_call>` blocks may share the wrapper. Values are typed
/// with the tool's argument schema like GLM's. `<tool_calls>` also opens
/// JSON arrays (Jamba, Hunyuan-A13B) and MiniMax M1 JSON lines: only a
/// nested `<tool_call>NAME<tool_sep>` is Hunyuan V3. An `</arg_value>`
/// inside a value is text unless whitespace and the next `<arg_key>` or
/// `</tool_call>` follow it.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::HunyuanV3};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(HunyuanV3)
///     .normalize_text(
///         "<tool_calls>\n<tool_call>get_weather<tool_sep>\n<arg_key>city</arg_key>\n\
///          <arg_value>Paris</arg_value>\n</tool_call>\n</tool_calls>",
///     )
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HunyuanV3;

impl ToolCallFormat for HunyuanV3 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["hunyuan"]
    }

    fn describe(&self) -> &'static str {
        "<tool_calls><tool_call>NAME<tool_sep><arg_key>KEY</arg_key><arg_value>value</arg_value></tool_call></tool_calls>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &["<tool_calls>"]
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &["</tool_calls>"]
    }

    xml_params::grammar_methods!(|_| Some(&GRAMMAR));
}
