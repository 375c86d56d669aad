//! DeepSeek V3.2 DSML: `<｜DSML｜invoke>` blocks inside
//! `<｜DSML｜function_calls>`, and the same without the `｜DSML｜` prefix.

use super::xml_params::{self, Grammar, KeyStyle, NameStyle};
use crate::normalizer::format::{RegionStart, ToolCallFormat};

const NAME: &str = "deepseek_v32";

// `｜` is U+FF5C (full width).
const DSML: Grammar = Grammar {
    format: NAME,
    wrapper: Some(("<｜DSML｜function_calls>", "</｜DSML｜function_calls>")),
    call_open: &["<｜DSML｜invoke "],
    name: NameStyle::Attr,
    call_close: &["</｜DSML｜invoke>"],
    param_open: "<｜DSML｜parameter ",
    key: KeyStyle::Attr,
    param_close: "</｜DSML｜parameter>",
    unclosed_params: false,
};

const PLAIN: Grammar = Grammar {
    format: NAME,
    wrapper: Some(("<function_calls>", "</function_calls>")),
    call_open: &["<invoke "],
    name: NameStyle::Attr,
    call_close: &["</invoke>"],
    param_open: "<parameter ",
    key: KeyStyle::Attr,
    param_close: "</parameter>",
    unclosed_params: false,
};

const OPENERS: [&str; 2] = ["<｜DSML｜function_calls>", "<function_calls>"];

/// DeepSeek V3.2 tool calls in DSML (SGLang `deepseekv32`); `｜` is the
/// full-width bar U+FF5C:
///
/// ```text
/// <｜DSML｜function_calls>
/// <｜DSML｜invoke name="get_favorite_tourist_spot">
/// <｜DSML｜parameter name="city" string="true">San Francisco</｜DSML｜parameter>
/// <｜DSML｜parameter name="days" string="false">3</｜DSML｜parameter>
/// </｜DSML｜invoke>
/// </｜DSML｜function_calls>
/// ```
///
/// * `string="true"`: the value is the raw text (one newline after the
///   opening and one before the closing tag dropped).
/// * `string="false"`: the value is JSON; text that is not JSON is typed
///   with the tool's argument schema, and without one kept as text with a
///   [`NormalizeWarning::UntypedValue`](crate::normalizer::NormalizeWarning)
///   (`expected: "json"`).
/// * No `string` attribute: typed with the schema like the other XML-style
///   formats.
/// * The plain-tag variant `<function_calls><invoke name="…"><parameter
///   name="…" string="…">…</parameter></invoke></function_calls>` is read
///   the same way. `<function_calls>` followed by anything but `<invoke `
///   (Olmo 3 writes pythonic calls there) is not this format.
/// * A closing parameter tag inside a value is text unless whitespace and
///   the next parameter or the end of the invoke follow it.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::DeepSeekV32};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(DeepSeekV32)
///     .normalize_text(
///         "<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"spot\">\n\
///          <｜DSML｜parameter name=\"city\" string=\"true\">San Francisco</｜DSML｜parameter>\n\
///          <｜DSML｜parameter name=\"days\" string=\"false\">3</｜DSML｜parameter>\n\
///          </｜DSML｜invoke>\n</｜DSML｜function_calls>",
///     )
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "San Francisco", "days": 3}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DeepSeekV32;

fn grammar(start: RegionStart) -> Option<&'static Grammar> {
    match start {
        RegionStart::Opener(0) => Some(&DSML),
        RegionStart::Opener(1) => Some(&PLAIN),
        _ => None,
    }
}

impl ToolCallFormat for DeepSeekV32 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["deepseekv32", "deepseek_v3.2", "dsml"]
    }

    fn describe(&self) -> &'static str {
        "<｜DSML｜function_calls><｜DSML｜invoke name=\"NAME\"><｜DSML｜parameter name=\"KEY\" string=\"true|false\">value</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜function_calls>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &OPENERS
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &["</｜DSML｜function_calls>", "</function_calls>"]
    }

    xml_params::grammar_methods!(grammar);
}
