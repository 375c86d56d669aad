//! InternLM2 / InternLM2.5 / Intern-S1: a JSON call object between
//! `<|action_start|><|plugin|>` and `<|action_end|>`.

use super::tagged_json::{self, Tags, could_become, skip_ws};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};

const NAME: &str = "internlm";
const ACTION_START: &str = "<|action_start|>";
const PLUGIN: &str = "<|plugin|>";
const ACTION_END: &str = "<|action_end|>";

/// InternLM2.5 and Intern-S1 tool calls:
///
/// ```text
/// What's the weather like?<|action_start|> <|plugin|>
/// {"name": "get_weather", "parameters": {"location": "Tokyo"}}<|action_end|>
/// ```
///
/// Only the `<|plugin|>` action is a tool call; other actions (such as the
/// code interpreter's `<|interpreter|>`) stay text. The closing
/// `<|action_end|>` may be missing when the output ends after the JSON.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::InternLm};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(InternLm)
///     .normalize_text(
///         "Let me look.<|action_start|> <|plugin|>\n\
///          {\"name\": \"get_weather\", \"parameters\": {\"location\": \"Tokyo\"}}<|action_end|>",
///     )
///     .unwrap();
/// assert_eq!(out.text, "Let me look.");
/// assert_eq!(out.calls[0].invocation.args, json!({"location": "Tokyo"}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct InternLm;

/// The tags of a region whose head (`<|action_start|>`, whitespace,
/// `<|plugin|>`) is complete, or the scan answer while it is not.
fn tags(text: &str) -> Result<Tags, RegionScan> {
    let plugin = skip_ws(text.as_bytes(), ACTION_START.len());
    let rest = text.get(plugin..).unwrap_or_default();
    if rest.starts_with(PLUGIN) {
        Ok(Tags {
            open_len: plugin + PLUGIN.len(),
            close: ACTION_END,
            close_optional_at_eof: true,
            require_call_key: false,
        })
    } else if rest.is_empty() || could_become(rest, PLUGIN) {
        Err(RegionScan::NeedMore)
    } else {
        Err(RegionScan::NotACall)
    }
}

impl ToolCallFormat for InternLm {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["internlm2", "internlm2_5", "intern_s1", "interns1"]
    }

    fn describe(&self) -> &'static str {
        "<|action_start|><|plugin|>{\"name\": …, \"parameters\": {…}}<|action_end|>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[ACTION_START]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // Regions end with `<|action_end|>`, or at the end of the output
        // (always scanned).
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start == RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        match tags(text) {
            Ok(tags) => tagged_json::scan(text, tags, at_eof),
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
        tagged_json::scan_parse(text, tags(text).ok()?, at_eof, NAME, cx)
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        match tags(region) {
            Ok(tags) => tagged_json::parse(region, tags, NAME, cx),
            Err(_) => Err(NormalizeError::malformed(
                NAME,
                ACTION_START.len(),
                "expected <|plugin|>",
            )),
        }
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        match tags(region) {
            Ok(tags) => tagged_json::partial_calls(region.get(tags.open_len..).unwrap_or_default()),
            Err(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plugin_actions_are_calls() {
        let start = RegionStart::Opener(0);
        assert_eq!(
            InternLm.scan("<|action_start|><|interpreter|>", start, false),
            RegionScan::NotACall
        );
        assert_eq!(
            InternLm.scan("<|action_start|> <|plu", start, false),
            RegionScan::NeedMore
        );
        assert_eq!(
            InternLm.scan("<|action_start|><|plugin|>{}<|action_end|>", start, false),
            RegionScan::Complete(42)
        );
    }
}
