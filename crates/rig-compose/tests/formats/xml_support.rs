//! Helpers shared by the XML-style format tests (schemas, warnings, the
//! events of a stream), and a property over all of those formats: tag soup
//! never panics and streams exactly like the whole text.

use proptest::prelude::*;
use rig_compose::normalizer::{
    NormalizeWarning, Normalized, SchemaSet, StreamEvent, TextNormalizer,
};
use serde_json::Value;

use crate::harness::{cuts, normalizer, prop_chunkings};

/// A schema set from `(tool, properties)` pairs.
pub(crate) fn schemas(tools: &[(&str, Value)]) -> SchemaSet {
    let mut set = SchemaSet::new();
    for (tool, properties) in tools {
        set.insert(
            *tool,
            serde_json::json!({"type": "object", "properties": properties}),
        );
    }
    set
}

/// The `UntypedValue` warnings as `(tool, argument, expected, offset)`.
pub(crate) fn untyped(out: &Normalized) -> Vec<(String, String, String, usize)> {
    out.warnings
        .iter()
        .filter_map(|w| match w {
            NormalizeWarning::UntypedValue {
                tool,
                argument,
                expected,
                offset,
            } => Some((tool.clone(), argument.clone(), expected.clone(), *offset)),
            _ => None,
        })
        .collect()
}

/// Every event of streaming `raw` in chunks of `size` bytes.
pub(crate) fn events(normalizer: &TextNormalizer, raw: &str, size: usize) -> Vec<StreamEvent> {
    let mut stream = normalizer.stream();
    let mut out = Vec::new();
    for chunk in raw.as_bytes().chunks(size) {
        out.extend(stream.feed(chunk).unwrap());
    }
    out.extend(stream.finish().unwrap());
    out
}

/// The names announced by `CallStarted`, in order.
pub(crate) fn started(events: &[StreamEvent]) -> Vec<(usize, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::CallStarted { index, name, .. } => Some((*index, name.clone())),
            _ => None,
        })
        .collect()
}

/// The argument text streamed for call `index`.
pub(crate) fn argument_text(events: &[StreamEvent], index: usize) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ArgumentsDelta { index: i, delta } if *i == index => Some(delta.as_str()),
            _ => None,
        })
        .collect()
}

/// Whether call `index` was announced before it finished.
pub(crate) fn started_before_finished(events: &[StreamEvent], index: usize) -> bool {
    let start = events
        .iter()
        .position(|e| matches!(e, StreamEvent::CallStarted { index: i, .. } if *i == index));
    let finish = events
        .iter()
        .position(|e| matches!(e, StreamEvent::CallFinished { index: i, .. } if *i == index));
    matches!((start, finish), (Some(s), Some(f)) if s < f)
}

/// Pieces of every XML-style syntax, plus text that can sit between them.
const SOUP: &[&str] = &[
    "<tool_call>",
    "</tool_call>",
    "<function=",
    "</function>",
    "<parameter=",
    "</parameter>",
    "<seed:tool_call>",
    "</seed:tool_call>",
    "<seed:think>",
    "</seed:think>",
    "<minimax:tool_call>",
    "</minimax:tool_call>",
    "<invoke ",
    "</invoke>",
    "<parameter ",
    "name=\"f\"",
    "string=\"false\"",
    "<｜tool_calls_begin｜>",
    "<｜tool_call_begin｜>",
    "function",
    "<｜tool_sep｜>",
    "<steptml:invoke ",
    "</steptml:invoke>",
    "<｜tool_call_end｜>",
    "<｜tool_calls_end｜>",
    "<steptml:parameter ",
    "</steptml:parameter>",
    "<｜DSML｜function_calls>",
    "</｜DSML｜function_calls>",
    "<｜DSML｜invoke ",
    "</｜DSML｜invoke>",
    "<｜DSML｜parameter ",
    "</｜DSML｜parameter>",
    "<function_calls>",
    "</function_calls>",
    "<arg_key>",
    "</arg_key>",
    "<arg_value>",
    "</arg_value>",
    "<tool_calls>",
    "</tool_calls>",
    "<tool_sep>",
    "<think>",
    "</think>",
    "f",
    "k",
    "get_weather",
    ">",
    "<",
    "\"",
    "=",
    " ",
    "\n",
    "{\"a\": 1}",
    "[1]",
    "3",
    "None",
    "é",
    "北京",
    "🌧",
];

const XML_FORMATS: [&str; 8] = [
    "qwen3_coder",
    "seed_oss",
    "minimax_m2",
    "step3",
    "deepseek_v32",
    "glm45",
    "glm47",
    "hunyuan_v3",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SOUP), 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn tag_soup_streams_like_the_whole_text(raw in soup(), cut_list in cuts(400)) {
        let typed = schemas(&[("f", serde_json::json!({"k": {"type": "integer"}}))]);
        for name in XML_FORMATS {
            prop_chunkings(&normalizer(name), &raw, &cut_list);
            prop_chunkings(&normalizer(name).with_schemas(typed.clone()), &raw, &cut_list);
        }
        // Auto-detection over the same soup agrees too.
        prop_chunkings(&TextNormalizer::auto(), &raw, &cut_list);
    }
}
