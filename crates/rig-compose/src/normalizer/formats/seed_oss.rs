//! Seed-OSS: the Qwen3-Coder body inside `<seed:tool_call>`, reasoning in
//! `<seed:think>`.

use super::qwen3_coder::body_in;
use super::xml_params::{self, Grammar};
use crate::normalizer::format::{ReasoningTags, THINK_TAGS, ToolCallFormat};

const NAME: &str = "seed_oss";

const GRAMMAR: Grammar = body_in(NAME, "<seed:tool_call>", "</seed:tool_call>");

const REASONING: [ReasoningTags; 2] = [
    ReasoningTags {
        open: "<seed:think>",
        close: "</seed:think>",
    },
    THINK_TAGS,
];

/// ByteDance Seed-OSS tool calls (vLLM `seed_oss`): the
/// [`Qwen3Coder`](super::Qwen3Coder) call body inside `<seed:tool_call>`,
/// with reasoning in `<seed:think>…</seed:think>` (plain `<think>` is
/// accepted too):
///
/// ```text
/// <seed:think>The user wants the weather.</seed:think>
/// <seed:tool_call>
/// <function=get_weather>
/// <parameter=city>Paris</parameter>
/// </function>
/// </seed:tool_call>
/// ```
///
/// Values, unclosed parameters and closing tags inside values follow the
/// Qwen3-Coder rules. Calls written inside the reasoning are not run.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::SeedOss};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(SeedOss)
///     .normalize_text(
///         "<seed:think>Weather lookup.</seed:think><seed:tool_call>\n<function=get_weather>\n\
///          <parameter=city>Paris</parameter>\n</function>\n</seed:tool_call>",
///     )
///     .unwrap();
/// assert_eq!(out.reasoning, "Weather lookup.");
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SeedOss;

impl ToolCallFormat for SeedOss {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["seedoss"]
    }

    fn describe(&self) -> &'static str {
        "<seed:tool_call><function=NAME><parameter=KEY>value</parameter></function></seed:tool_call>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &["<seed:tool_call>"]
    }

    fn reasoning_tags(&self) -> &'static [ReasoningTags] {
        &REASONING
    }

    fn end_markers(&self) -> &'static [&'static str] {
        &["</seed:tool_call>", "</function>"]
    }

    xml_params::grammar_methods!(|_| Some(&GRAMMAR));
}
