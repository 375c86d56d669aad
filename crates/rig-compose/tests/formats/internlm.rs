//! InternLM2.5 / Intern-S1: `<|action_start|><|plugin|>{…}<|action_end|>`.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn internlm() -> TextNormalizer {
    normalizer("internlm")
}

#[test]
fn names_and_hints() {
    for alias in ["internlm2", "intern_s1", "interns1"] {
        assert_eq!(normalizer(alias).preferred_format(), Some("internlm"));
    }
    assert_eq!(
        TextNormalizer::auto_for_model("internlm/internlm2_5-7b-chat").preferred_format(),
        Some("internlm")
    );
    assert_eq!(
        TextNormalizer::auto_for_model("internlm/Intern-S1-mini").preferred_format(),
        Some("internlm")
    );
}

#[test]
fn one_call_with_text_before() {
    let out = ok(
        &internlm(),
        "What's the weather like?<|action_start|> <|plugin|>\n{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Tokyo\"}}<|action_end|>\n",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"location": "Tokyo"}));
    assert_eq!(out.text, "What's the weather like?\n");
}

#[test]
fn parallel_calls_and_text_after() {
    let out = ok(
        &internlm(),
        "<|action_start|><|plugin|>{\"name\": \"a\", \"parameters\": {}}<|action_end|><|action_start|><|plugin|>\n{\"name\": \"b\", \"parameters\": {\"k\": [1]}}<|action_end|>Done.",
    );
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.calls[1].invocation.args, json!({"k": [1]}));
    assert_eq!(out.text, "Done.");
}

#[test]
fn nested_braces_quotes_and_closing_marker_in_strings() {
    let raw = r#"<|action_start|><|plugin|>{"name": "echo", "parameters": {"s": "<|action_end|> {\"}\"}", "o": {"p": [{"q": "]]"}]}}}<|action_end|>"#;
    let out = ok(&internlm(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"s": "<|action_end|> {\"}\"}", "o": {"p": [{"q": "]]"}]}})
    );
}

#[test]
fn unicode() {
    let out = ok(
        &internlm(),
        "天气？<|action_start|><|plugin|>{\"name\": \"get_weather\", \"parameters\": {\"location\": \"上海\", \"e\": \"☔\"}}<|action_end|>好的",
    );
    assert_eq!(out.calls[0].invocation.args["location"], "上海");
    assert_eq!(out.text, "天气？好的");
}

#[test]
fn other_actions_stay_text() {
    let raw = "<|action_start|><|interpreter|>\nprint(1)<|action_end|>";
    let out = ok(&internlm(), raw);
    assert!(out.calls.is_empty());
    assert_eq!(out.text, raw);
}

#[test]
fn missing_end_marker_at_the_end_is_accepted() {
    let out = ok(
        &internlm(),
        "<|action_start|><|plugin|>{\"name\": \"f\", \"parameters\": {}}",
    );
    assert_eq!(names(&out), ["f"]);
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &internlm(),
        "ok <|action_start|><|plugin|>\n{\"name\": \"get_weather\", \"parameters\": {\"loc",
    );
    let NormalizeError::Incomplete {
        partial, offset, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 3);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, "{\"loc");
    assert!(err(&internlm(), "<|action_start|> <|plu").is_incomplete());
}

#[test]
fn reasoning_is_separated() {
    let out = ok(
        &internlm(),
        "<think>I could call <|action_start|><|plugin|>{\"name\": \"x\", \"parameters\": {}}<|action_end|></think>Answer<|action_start|><|plugin|>{\"name\": \"y\", \"parameters\": {}}<|action_end|>",
    );
    assert_eq!(names(&out), ["y"]);
    assert!(out.reasoning.starts_with("I could call <|action_start|>"));
    assert_eq!(out.text, "Answer");
}

#[test]
fn malformed_input_is_located() {
    let e = err(
        &internlm(),
        "<|action_start|><|plugin|>{\"name\": \"f\", \"parameters\": {\"a\": nope}}<|action_end|>",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() >= 26, "{e}");
    let e = err(
        &internlm(),
        "<|action_start|><|plugin|>{\"name\": \"f\", \"parameters\": {}} junk<|action_end|>",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(170)) {
        let raw = "Hi<|action_start|> <|plugin|>\n{\"name\": \"a\", \"parameters\": {\"s\": \"é<|action_end|>\"}}<|action_end|>and<|action_start|><|plugin|>{\"name\": \"b\", \"parameters\": {}}<|action_end|>";
        prop_chunkings(&internlm(), raw, &cuts);
    }
}
