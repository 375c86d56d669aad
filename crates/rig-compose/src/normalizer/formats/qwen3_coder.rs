//! Qwen3-Coder / Qwen3.5 / Step-3.5 XML tool calls:
//! `<tool_call><function=NAME><parameter=KEY>value</parameter></function></tool_call>`.

use super::xml_params::{self, Grammar, KeyStyle, NameStyle};
use crate::normalizer::format::{RegionStart, ToolCallFormat};

const NAME: &str = "qwen3_coder";

/// The body shared with Seed-OSS, inside a wrapper.
pub(crate) const fn body_in(
    format: &'static str,
    open: &'static str,
    close: &'static str,
) -> Grammar {
    Grammar {
        format,
        wrapper: Some((open, close)),
        call_open: &["<function="],
        name: NameStyle::Eq,
        call_close: &["</function>"],
        param_open: "<parameter=",
        key: KeyStyle::Eq,
        param_close: "</parameter>",
        unclosed_params: true,
    }
}

const WRAPPED: Grammar = body_in(NAME, "<tool_call>", "</tool_call>");

/// `<function=NAME>…</function>` written without the `<tool_call>` wrapper.
const BARE: Grammar = Grammar {
    wrapper: None,
    ..WRAPPED
};

const OPENERS: [&str; 2] = ["<tool_call>", "<function="];

/// Qwen3-Coder XML tool calls, also written by Qwen3.5 and Step-3.5
/// (vLLM `qwen3_coder` / `qwen3_xml`):
///
/// ```text
/// <tool_call>
/// <function=get_weather>
/// <parameter=city>
/// Paris
/// </parameter>
/// <parameter=days>
/// 3
/// </parameter>
/// </function>
/// </tool_call>
/// ```
///
/// * One newline after the opening and one before the closing parameter
///   tag are dropped; everything else in a value is kept.
/// * Values are typed with the tool's argument schema when one is given
///   ([`TextNormalizer::with_schemas`](crate::normalizer::TextNormalizer::with_schemas)):
///   integer, number, boolean, null, object/array, enum, `anyOf`/`oneOf`.
///   A value that does not fit stays text and yields a
///   [`NormalizeWarning::UntypedValue`](crate::normalizer::NormalizeWarning);
///   without a schema a value is JSON when it parses as JSON, else text.
/// * A `<parameter=…>` may be left unclosed: it then ends at the next
///   `<parameter=` or at the `</function>` that ends the call.
/// * The `<tool_call>` wrapper may be missing (`<function=NAME>` opens the
///   call); `<function=NAME>{…}` with a JSON body is Hermes / Functionary
///   syntax and is left to those formats. Several `<function>` blocks may
///   share one wrapper, and a missing `</function>` before `</tool_call>`
///   or a missing `</tool_call>` at the end of the output is accepted.
/// * A `</parameter>` inside a value is text unless whitespace and the next
///   `<parameter=` or `</function>` follow it; `</tool_call>` and
///   `</function>` inside a closed value are always text.
///
/// ```
/// use rig_compose::normalizer::{SchemaSet, TextNormalizer, formats::Qwen3Coder};
/// use serde_json::json;
///
/// let mut schemas = SchemaSet::new();
/// schemas.insert("get_weather", json!({"type": "object", "properties": {
///     "city": {"type": "string"}, "days": {"type": "integer"}}}));
/// let out = TextNormalizer::new(Qwen3Coder)
///     .with_schemas(schemas)
///     .normalize_text(
///         "Checking.\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n\
///          <parameter=days>\n3\n</parameter>\n</function>\n</tool_call>",
///     )
///     .unwrap();
/// assert_eq!(out.text, "Checking.\n");
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris", "days": 3}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Qwen3Coder;

fn grammar(start: RegionStart) -> Option<&'static Grammar> {
    match start {
        RegionStart::Opener(0) => Some(&WRAPPED),
        RegionStart::Opener(1) => Some(&BARE),
        _ => None,
    }
}

impl ToolCallFormat for Qwen3Coder {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["qwen3_xml", "step3p5", "step3.5"]
    }

    fn describe(&self) -> &'static str {
        "<tool_call><function=NAME><parameter=KEY>value</parameter></function></tool_call>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &OPENERS
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &["</tool_call>", "</function>"]
    }

    xml_params::grammar_methods!(grammar);
}
