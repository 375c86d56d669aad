//! Cohere Command R7B / A / 4: `<|START_ACTION|>[…]<|END_ACTION|>`.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, StreamEvent, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn cohere() -> TextNormalizer {
    normalizer("cohere")
}

#[test]
fn names_and_hints() {
    assert_eq!(normalizer("command_r7b").preferred_format(), Some("cohere"));
    for model in [
        "CohereLabs/c4ai-command-r7b-12-2024",
        "CohereLabs/c4ai-command-a-03-2025",
        "command-r-plus",
    ] {
        assert_eq!(
            TextNormalizer::auto_for_model(model).preferred_format(),
            Some("cohere"),
            "{model}"
        );
    }
}

#[test]
fn one_call_with_id() {
    let out = ok(
        &cohere(),
        "<|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}]<|END_ACTION|>",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.calls[0].id.as_deref(), Some("0"));
}

#[test]
fn parallel_calls_with_reasoning() {
    let out = ok(
        &cohere(),
        "<|START_THINKING|>I will look up the weather.<|END_THINKING|><|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}},\n    {\"tool_call_id\": \"1\", \"tool_name\": \"get_time\", \"parameters\": {\"tz\": \"UTC\"}}\n]<|END_ACTION|>",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.calls[1].id.as_deref(), Some("1"));
    assert_eq!(out.reasoning, "I will look up the weather.");
    assert_eq!(out.text, "");
}

#[test]
fn response_markers_are_removed() {
    let out = ok(
        &cohere(),
        "<|START_THINKING|>Easy.<|END_THINKING|><|START_RESPONSE|>It is sunny in Paris.<|END_RESPONSE|>",
    );
    assert_eq!(out.text, "It is sunny in Paris.");
    assert_eq!(out.reasoning, "Easy.");
    assert!(out.calls.is_empty());
    // The answer streams while it is written.
    let mut stream = cohere().stream();
    let events = stream.feed("<|START_RESPONSE|>It is sunny").unwrap();
    assert!(events.contains(&StreamEvent::TextDelta("It is sunny".into())));
}

#[test]
fn text_before_and_after() {
    let out = ok(
        &cohere(),
        "Let me check.<|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"f\", \"parameters\": {}}]<|END_ACTION|>Done.",
    );
    assert_eq!(out.text, "Let me check.Done.");
}

#[test]
fn nested_braces_quotes_and_closing_marker_in_strings() {
    let raw = r#"<|START_ACTION|>[{"tool_call_id": "0", "tool_name": "py", "parameters": {"code": "d = {\"k\": [1]} # <|END_ACTION|> ]", "n": {"a": [{}]}}}]<|END_ACTION|>"#;
    let out = ok(&cohere(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "d = {\"k\": [1]} # <|END_ACTION|> ]", "n": {"a": [{}]}})
    );
}

#[test]
fn unicode() {
    let out = ok(
        &cohere(),
        "<|START_RESPONSE|>Voilà 🎯<|END_RESPONSE|><|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"note\", \"parameters\": {\"t\": \"ß∂ƒ 한국어\"}}]<|END_ACTION|>",
    );
    assert_eq!(out.calls[0].invocation.args["t"], "ß∂ƒ 한국어");
    assert_eq!(out.text, "Voilà 🎯");
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &cohere(),
        "<|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"ci",
    );
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.id.as_deref(), Some("0"));
    assert_eq!(partial.arguments, "{\"ci");
    // An answer cut short is still text.
    let out = ok(&cohere(), "<|START_RESPONSE|>It is sun");
    assert_eq!(out.text, "It is sun");
}

#[test]
fn calls_in_thinking_are_ignored() {
    let out = ok(
        &cohere(),
        "<|START_THINKING|>Not <|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"rm\", \"parameters\": {}}]<|END_ACTION|><|END_THINKING|><|START_ACTION|>[{\"tool_call_id\": \"1\", \"tool_name\": \"ls\", \"parameters\": {}}]<|END_ACTION|>",
    );
    assert_eq!(names(&out), ["ls"]);
    assert!(out.reasoning.contains("\"rm\""));
}

#[test]
fn malformed_input_is_located() {
    let e = err(
        &cohere(),
        "<|START_ACTION|>[{\"tool_call_id\": \"0\", \"parameters\": {}}]<|END_ACTION|>",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), Some(16));
    let e = err(
        &cohere(),
        "<|START_ACTION|>[{\"tool_name\": \"f\", \"parameters\": {\"a\" 1}}]<|END_ACTION|>",
    );
    assert!(e.offset().unwrap() > 16, "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(200)) {
        let raw = "<|START_THINKING|>t<|END_THINKING|><|START_ACTION|>[{\"tool_call_id\": \"0\", \"tool_name\": \"a\", \"parameters\": {\"s\": \"é]\"}}, {\"tool_call_id\": \"1\", \"tool_name\": \"b\", \"parameters\": {}}]<|END_ACTION|><|START_RESPONSE|>ok<|END_RESPONSE|>";
        prop_chunkings(&cohere(), raw, &cuts);
    }
}
