//! Generic grammar-constrained JSON: `{"tool_calls": […]}`,
//! `{"tool_call": {…}}`, `{"response": "…"}`.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn generic() -> TextNormalizer {
    normalizer("generic_json")
}

#[test]
fn aliases() {
    assert_eq!(normalizer("json").preferred_format(), Some("generic_json"));
}

#[test]
fn one_call_both_shapes() {
    for raw in [
        "{\"tool_call\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}}",
        "{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]}",
        "  {\"tool_calls\": [{\"id\": \"c1\", \"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]}\n",
    ] {
        let out = ok(&generic(), raw);
        assert_eq!(names(&out), ["get_weather"], "{raw:?}");
        assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
        assert_eq!(out.text.trim(), "");
    }
}

#[test]
fn parallel_calls() {
    let out = ok(
        &generic(),
        "{\"tool_calls\": [{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": \"{\\\"x\\\": 2}\"}]}",
    );
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.calls[1].invocation.args, json!({"x": 2}));
}

#[test]
fn response_is_text() {
    let out = ok(
        &generic(),
        "{\"response\": \"It is sunny in Paris. ☀️ 天気\"}",
    );
    assert!(out.calls.is_empty());
    assert_eq!(out.text, "It is sunny in Paris. ☀️ 天気");
    assert_eq!(out.format, Some("generic_json"));
}

#[test]
fn text_before_and_after() {
    // The object must start the output: later JSON is prose.
    let raw = "Answer: {\"tool_call\": {\"name\": \"f\", \"arguments\": {}}}";
    assert_eq!(ok(&generic(), raw).text, raw);
    let out = ok(
        &generic(),
        "<think>plan</think>{\"tool_call\": {\"name\": \"f\", \"arguments\": {}}} trailing",
    );
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, " trailing");
    assert_eq!(out.reasoning, "plan");
}

#[test]
fn nested_braces_and_quotes_in_strings() {
    let raw = r#"{"tool_call": {"name": "run", "arguments": {"code": "x = {\"tool_calls\": [\"}\"]}", "o": [{"p": {}}]}}}"#;
    let out = ok(&generic(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "x = {\"tool_calls\": [\"}\"]}", "o": [{"p": {}}]})
    );
}

#[test]
fn other_json_is_text() {
    for raw in [
        "{\"name\": \"f\", \"arguments\": {}}",
        "{\"response\": \"x\", \"confidence\": 0.9}",
        "[{\"tool_call\": 1}]",
    ] {
        let out = ok(&generic(), raw);
        assert!(out.calls.is_empty(), "{raw:?}");
        assert_eq!(out.text, raw);
    }
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &generic(),
        "{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"ci",
    );
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, "{\"ci");
}

#[test]
fn malformed_input_is_located() {
    let e = err(&generic(), "{\"tool_call\": {\"arguments\": {}}}");
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    let e = err(&generic(), "{\"response\": 42}");
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    let e = err(
        &generic(),
        "{\"tool_call\": {\"name\": \"f\", \"arguments\": {\"a\": 1, \"a\": 1}}}",
    );
    assert!(
        matches!(e, NormalizeError::DuplicateKey { offset: 56, .. }),
        "{e:?}"
    );
}

#[test]
fn auto_detection_only_for_the_whole_output() {
    let auto = TextNormalizer::auto();
    let out = ok(
        &auto,
        "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": {}}]}",
    );
    assert_eq!(out.format, Some("generic_json"));
    assert_eq!(names(&out), ["f"]);
    let raw = "{\"tool_call\": {\"name\": \"f\", \"arguments\": {}}} and more";
    assert!(ok(&auto, raw).calls.is_empty());
}

/// Found by the `stream` fuzz target: a key without its opening quote is
/// not JSON, so the output is text, by both routes and streamed.
#[test]
fn a_key_without_its_quote_is_text() {
    for raw in [
        "{\u{1f}tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]}",
        "{xtool_call\": {\"name\": \"f\", \"arguments\": {}}}",
    ] {
        for normalizer in [generic(), TextNormalizer::auto()] {
            let out = ok(&normalizer, raw);
            assert!(out.calls.is_empty(), "{raw:?}");
            assert_eq!(out.text, raw);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(140)) {
        let raw = "<think>x</think> {\"tool_calls\": [{\"name\": \"a\", \"arguments\": {\"s\": \"é}\"}}, {\"name\": \"b\", \"arguments\": {}}], \"response\": \"hi\"} ";
        prop_chunkings(&generic(), raw, &cuts);
    }
}
