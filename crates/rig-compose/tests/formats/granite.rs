//! IBM Granite: `<|tool_call|>[…]`, Granite 3.1 `<tool_call>[…]`, and
//! granite-20b-functioncalling `<function_call> {…}`.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn granite() -> TextNormalizer {
    normalizer("granite")
}

fn fc() -> TextNormalizer {
    normalizer("granite-20b-fc")
}

#[test]
fn names_and_hints() {
    assert_eq!(fc().preferred_format(), Some("granite_20b_fc"));
    assert_eq!(
        TextNormalizer::auto_for_model("ibm-granite/granite-3.1-8b-instruct").preferred_format(),
        Some("granite")
    );
    assert_eq!(
        TextNormalizer::auto_for_model("ibm-granite/granite-20b-functioncalling")
            .preferred_format(),
        Some("granite_20b_fc")
    );
}

#[test]
fn one_call() {
    let out = ok(
        &granite(),
        "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.text, "");
}

#[test]
fn parallel_calls_and_text_around() {
    let out = ok(
        &granite(),
        "Checking.<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}]<|end_of_text|>",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.text, "Checking.<|end_of_text|>");
}

#[test]
fn granite_3_1_plain_tool_call_string() {
    let out = ok(
        &granite(),
        "<tool_call>[{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {\"n\": 2}}] ok",
    );
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.text, " ok");
    // A closing tag, when present, is consumed.
    let out = ok(
        &granite(),
        "<tool_call>[{\"name\": \"a\", \"arguments\": {}}]</tool_call>",
    );
    assert_eq!(out.text, "");
    // `<tool_call>{…}` is Hermes, not Granite.
    let out = ok(
        &granite(),
        "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>",
    );
    assert!(out.calls.is_empty());
}

#[test]
fn nested_braces_quotes_and_closing_tags_in_strings() {
    let raw = r#"<|tool_call|>[{"name": "w", "arguments": {"t": "]}<|tool_call|></tool_call> \"q\" {", "n": [[{"a": {}}]]}}]"#;
    let out = ok(&granite(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"t": "]}<|tool_call|></tool_call> \"q\" {", "n": [[{"a": {}}]]})
    );
}

#[test]
fn unicode() {
    let out = ok(
        &granite(),
        "Grüße 👋<|tool_call|>[{\"name\": \"translate\", \"arguments\": {\"text\": \"東京タワー\"}}]",
    );
    assert_eq!(out.calls[0].invocation.args["text"], "東京タワー");
    assert_eq!(out.text, "Grüße 👋");
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &granite(),
        "<|tool_call|>[{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"get_time\", \"arguments\": {\"tz",
    );
    let NormalizeError::Incomplete {
        partial, offset, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 0);
    assert_eq!(partial.unwrap().name.as_deref(), Some("get_time"));
    assert!(err(&granite(), "hi <|tool_call|>").is_incomplete());
    assert!(err(&fc(), "<function_call> {\"name\": \"f\"").is_incomplete());
}

#[test]
fn reasoning_is_separated() {
    let out = ok(
        &granite(),
        "<think>Use <|tool_call|>[{\"name\": \"x\", \"arguments\": {}}]?</think><|tool_call|>[{\"name\": \"y\", \"arguments\": {}}]",
    );
    assert_eq!(names(&out), ["y"]);
    assert_eq!(
        out.reasoning,
        "Use <|tool_call|>[{\"name\": \"x\", \"arguments\": {}}]?"
    );
}

#[test]
fn function_call_sequence() {
    let out = ok(
        &fc(),
        "Sure. <function_call> {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}} <function_call> {\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.text, "Sure.  ");
    let out = ok(
        &fc(),
        "<function_call> {\"name\": \"f\", \"arguments\": {\"s\": \"<function_call> }\"}}</function_call> after",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"s": "<function_call> }"})
    );
    assert_eq!(out.text, " after");
    // Prose mentioning the tag stays text.
    let out = ok(&fc(), "The <function_call> tag starts a call.");
    assert!(out.calls.is_empty());
}

#[test]
fn malformed_and_concatenated() {
    let e = err(
        &granite(),
        "xy<|tool_call|>[{\"name\": \"f\", \"arguments\": {\"a\": 1,}}]",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() > 15, "{e}");
    let e = err(
        &fc(),
        "<function_call> {\"name\": \"f\", \"arguments\": {\"a\": 1}}{\"name\": \"f\", \"arguments\": {\"a\": 1}}",
    );
    assert!(
        matches!(e, NormalizeError::ConcatenatedArguments { offset: 52, .. }),
        "{e:?}"
    );
    let e = err(&granite(), "<|tool_call|>[{\"arguments\": {}}]");
    assert_eq!(e.offset(), Some(13), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(170)) {
        let raw = "Hi<|tool_call|>[{\"name\": \"a\", \"arguments\": {\"s\": \"ü]\"}}, {\"name\": \"b\", \"arguments\": {}}] <tool_call>[{\"name\": \"c\", \"arguments\": {}}]</tool_call>.";
        prop_chunkings(&granite(), raw, &cuts);
    }

    #[test]
    fn random_chunkings_agree_20b(cuts in cuts(130)) {
        let raw = "<function_call> {\"name\": \"a\", \"arguments\": {\"s\": \"}\"}} <function_call> {\"name\": \"b\", \"arguments\": {}}</function_call>";
        prop_chunkings(&fc(), raw, &cuts);
    }
}

#[test]
fn function_call_in_auto_mode() {
    let auto = TextNormalizer::auto();
    let out = ok(
        &auto,
        "<function_call> {\"name\": \"a\", \"arguments\": {}} <function_call> {\"name\": \"b\", \"arguments\": {\"x\": 1}}",
    );
    assert_eq!(out.format, Some("granite_20b_fc"));
    assert_eq!(names(&out), ["a", "b"]);
    // Other JSON in the tag is left to Hermes, which leaves it as text.
    let raw = "<function_call>{\"a\": 1}</function_call>";
    assert_eq!(ok(&auto, raw).text, raw);
    assert_eq!(ok(&fc(), raw).text, raw);
}
