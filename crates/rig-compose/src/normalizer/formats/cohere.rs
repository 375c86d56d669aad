//! Cohere Command R7B / Command A / Command 4: a JSON array of calls
//! between `<|START_ACTION|>` and `<|END_ACTION|>`.

use super::tagged_json::{self, Tags};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{
    ParseCx, PartialCall, ReasoningTags, RegionScan, RegionStart, ToolCallFormat,
};

const NAME: &str = "cohere";
const START_ACTION: &str = "<|START_ACTION|>";
const END_ACTION: &str = "<|END_ACTION|>";
const START_RESPONSE: &str = "<|START_RESPONSE|>";
const END_RESPONSE: &str = "<|END_RESPONSE|>";

const OPENERS: [&str; 3] = [START_ACTION, START_RESPONSE, END_RESPONSE];

const THINKING: ReasoningTags = ReasoningTags {
    open: "<|START_THINKING|>",
    close: "<|END_THINKING|>",
};

const ACTION: Tags = Tags {
    open_len: START_ACTION.len(),
    close: END_ACTION,
    close_optional_at_eof: true,
    require_call_key: false,
};

/// Cohere Command R7B, Command A and Command 4 tool calls:
///
/// ```text
/// <|START_THINKING|>I will look up the weather.<|END_THINKING|><|START_ACTION|>[
///     {"tool_call_id": "0", "tool_name": "get_weather", "parameters": {"city": "Paris"}},
///     {"tool_call_id": "1", "tool_name": "get_time", "parameters": {"tz": "UTC"}}
/// ]<|END_ACTION|>
/// ```
///
/// The `tool_call_id`s are reported as call ids. Reasoning is the
/// `<|START_THINKING|>` block; the `<|START_RESPONSE|>` and
/// `<|END_RESPONSE|>` markers around the answer are removed from the text
/// (each marker is a region of its own, so the answer still streams as it
/// is written).
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Cohere};
///
/// let out = TextNormalizer::new(Cohere)
///     .normalize_text(
///         "<|START_THINKING|>Weather.<|END_THINKING|><|START_ACTION|>[{\"tool_call_id\": \"0\", \
///          \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}]<|END_ACTION|>",
///     )
///     .unwrap();
/// assert_eq!(out.reasoning, "Weather.");
/// assert_eq!(out.calls[0].id.as_deref(), Some("0"));
///
/// let answer = TextNormalizer::new(Cohere)
///     .normalize_text("<|START_RESPONSE|>It is sunny.<|END_RESPONSE|>")
///     .unwrap();
/// assert_eq!(answer.text, "It is sunny.");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Cohere;

impl ToolCallFormat for Cohere {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["command_r7b", "command_a", "command"]
    }

    fn describe(&self) -> &'static str {
        "<|START_ACTION|>[{\"tool_call_id\": …, \"tool_name\": …, \"parameters\": {…}}]<|END_ACTION|>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &OPENERS
    }

    fn reasoning_tags(&self) -> &'static [ReasoningTags] {
        &[THINKING]
    }

    fn end_bytes(&self) -> &'static [u8] {
        // `<|END_ACTION|>`; response markers complete at once.
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        match start {
            RegionStart::Opener(0) => tagged_json::scan(text, ACTION, at_eof),
            // A response marker is a region by itself: it only disappears.
            RegionStart::Opener(marker) => match OPENERS.get(marker) {
                Some(opener) => RegionScan::Complete(opener.len()),
                None => RegionScan::NotACall,
            },
            RegionStart::OutputStart => RegionScan::NotACall,
        }
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        match start {
            RegionStart::Opener(0) => tagged_json::scan_parse(text, ACTION, at_eof, NAME, cx),
            _ => None,
        }
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        match start {
            RegionStart::Opener(0) => tagged_json::parse(region, ACTION, NAME, cx),
            _ => Ok(()),
        }
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        match start {
            RegionStart::Opener(0) => {
                tagged_json::partial_calls(region.get(START_ACTION.len()..).unwrap_or_default())
            }
            _ => Vec::new(),
        }
    }
}
