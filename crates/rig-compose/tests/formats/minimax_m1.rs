//! MiniMax M1 / Text-01: `<tool_calls>` + one JSON object per line.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, ReasoningCalls, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn m1() -> TextNormalizer {
    normalizer("minimax_m1")
}

#[test]
fn names_and_hints() {
    assert_eq!(normalizer("minimax").preferred_format(), Some("minimax_m1"));
    for model in ["MiniMaxAI/MiniMax-M1-80k", "MiniMaxAI/MiniMax-Text-01"] {
        assert_eq!(
            TextNormalizer::auto_for_model(model).preferred_format(),
            Some("minimax_m1")
        );
    }
}

#[test]
fn one_call() {
    let out = ok(
        &m1(),
        "<tool_calls>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_calls>",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.text, "");
}

#[test]
fn parallel_calls_and_text_around() {
    let out = ok(
        &m1(),
        "I'll check both.\n<tool_calls>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}\n</tool_calls>\nBack soon.",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.text, "I'll check both.\n\nBack soon.");
}

#[test]
fn nested_braces_quotes_and_closing_tag_in_strings() {
    let raw = "<tool_calls>\n{\"name\": \"sh\", \"arguments\": {\"cmd\": \"echo '}</tool_calls>\\n{' \\\"x\\\"\", \"o\": {\"a\": [{\"b\": {}}]}}}\n</tool_calls>";
    let out = ok(&m1(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"cmd": "echo '}</tool_calls>\n{' \"x\"", "o": {"a": [{"b": {}}]}})
    );
}

#[test]
fn unicode() {
    let out = ok(
        &m1(),
        "好的 🚀\n<tool_calls>\n{\"name\": \"search\", \"arguments\": {\"q\": \"Zürich 天気\"}}\n</tool_calls>",
    );
    assert_eq!(out.calls[0].invocation.args["q"], "Zürich 天気");
    assert_eq!(out.text, "好的 🚀\n");
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &m1(),
        "<tool_calls>\n{\"name\": \"a\", \"arguments\": {}}\n{\"name\": \"get_time\", \"arguments\": {\"tz\"",
    );
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_time"));
    assert_eq!(partial.arguments, "{\"tz\"");
    assert!(err(&m1(), "<tool_calls>\n").is_incomplete());
    // The closing tag may be missing when the output ends after an object.
    let out = ok(
        &m1(),
        "<tool_calls>\n{\"name\": \"a\", \"arguments\": {}}\n",
    );
    assert_eq!(names(&out), ["a"]);
}

#[test]
fn tool_calls_inside_think_are_ignored_by_default() {
    let raw = "<think>Maybe\n<tool_calls>\n{\"name\": \"rm\", \"arguments\": {}}\n</tool_calls>\nno.</think>\n<tool_calls>\n{\"name\": \"ls\", \"arguments\": {}}\n</tool_calls>";
    let out = ok(&m1(), raw);
    assert_eq!(names(&out), ["ls"]);
    assert!(out.reasoning.contains("\"rm\""));
    let parse_all = m1().with_reasoning_calls(ReasoningCalls::Parse);
    let out = ok(&parse_all, raw);
    assert_eq!(names(&out), ["rm", "ls"]);
}

#[test]
fn other_tool_calls_syntaxes_stay_text() {
    for raw in [
        "<tool_calls>[{\"name\": \"a\", \"arguments\": {}}]</tool_calls>",
        "<tool_calls>\n<tool_call>a<tool_sep>\n</tool_call>\n</tool_calls>",
    ] {
        let out = ok(&m1(), raw);
        assert!(out.calls.is_empty());
        assert_eq!(out.text, raw);
    }
    let out = ok(
        &TextNormalizer::auto(),
        "<tool_calls>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_calls>",
    );
    assert_eq!(out.format, Some("minimax_m1"));
}

#[test]
fn malformed_input_is_located() {
    let e = err(
        &m1(),
        "<tool_calls>\n{\"name\": \"a\", \"arguments\": {}}\nnot json\n</tool_calls>",
    );
    assert_eq!(e.offset(), Some(44), "{e}");
    let e = err(
        &m1(),
        "<tool_calls>\n{\"name\": \"a\", \"arguments\": {\"x\": 1, \"x\": 2}}\n</tool_calls>",
    );
    assert!(matches!(e, NormalizeError::DuplicateKey { .. }), "{e:?}");
    let e = err(
        &m1(),
        "<tool_calls>\n{\"name\": \"a\", \"arguments\": {]}\n</tool_calls>",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(170)) {
        let raw = "<think>x <tool_calls></think>Hi\n<tool_calls>\n{\"name\": \"a\", \"arguments\": {\"s\": \"é}\"}}\n{\"name\": \"b\", \"arguments\": {}}\n</tool_calls>\nok";
        prop_chunkings(&m1(), raw, &cuts);
    }
}
