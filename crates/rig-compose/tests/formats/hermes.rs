//! Hermes / Qwen2.5 / QwQ / Qwen3 JSON in `<tool_call>` tags.

use proptest::prelude::*;
use rig_compose::normalizer::NormalizeError;
use serde_json::json;

use crate::harness::*;

fn hermes() -> rig_compose::normalizer::TextNormalizer {
    normalizer("hermes")
}

#[test]
fn one_call() {
    let out = ok(
        &hermes(),
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.text, "");
}

#[test]
fn parallel_calls_and_text_around() {
    let out = ok(
        &hermes(),
        "Sure.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {\"x\": 1}}\n</tool_call>\nThat's all.",
    );
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.text, "Sure.\n\n\nThat's all.");
}

#[test]
fn nested_braces_quotes_and_closing_tag_in_strings() {
    let raw = r#"<tool_call>{"name": "run", "arguments": {"code": "if (x) { y(\"}\"); } // </tool_call>", "n": {"deep": [{"a": "]"}]}}}</tool_call>"#;
    let out = ok(&hermes(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "if (x) { y(\"}\"); } // </tool_call>", "n": {"deep": [{"a": "]"}]}})
    );
}

#[test]
fn unicode_everywhere() {
    let out = ok(
        &hermes(),
        "Météo ☀️ <tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"北京\", \"note\": \"🌧\"}}</tool_call> 終わり",
    );
    assert_eq!(out.calls[0].invocation.args["city"], "北京");
    assert_eq!(out.text, "Météo ☀️  終わり");
}

#[test]
fn truncated_output_is_incomplete_not_a_call() {
    let e = err(
        &hermes(),
        "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Pa",
    );
    let NormalizeError::Incomplete {
        partial, offset, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 0);
    assert_eq!(partial.unwrap().name.as_deref(), Some("get_weather"));
    assert!(err(&hermes(), "text <tool_call>").is_incomplete());
}

#[test]
fn missing_close_tag_at_the_end_is_accepted() {
    let out = ok(&hermes(), "<tool_call>{\"name\": \"f\", \"arguments\": {}}");
    assert_eq!(names(&out), ["f"]);
}

#[test]
fn reasoning_is_separated_and_calls_in_it_ignored() {
    let out = ok(
        &hermes(),
        "<think>I could <tool_call>{\"name\": \"rm\", \"arguments\": {}}</tool_call> but no.</think>Fine.<tool_call>{\"name\": \"ls\", \"arguments\": {}}</tool_call>",
    );
    assert_eq!(names(&out), ["ls"]);
    assert_eq!(
        out.reasoning,
        "I could <tool_call>{\"name\": \"rm\", \"arguments\": {}}</tool_call> but no."
    );
    assert_eq!(out.text, "Fine.");
}

#[test]
fn duplicated_arguments_and_keys_are_errors() {
    let e = err(
        &hermes(),
        r#"<tool_call>{"name": "f", "arguments": {"a":1}}{"a":1}</tool_call>"#,
    );
    assert!(
        matches!(e, NormalizeError::ConcatenatedArguments { .. }),
        "{e:?}"
    );
    let e = err(
        &hermes(),
        r#"<tool_call>{"name": "f", "name": "g", "arguments": {}}</tool_call>"#,
    );
    assert!(
        matches!(e, NormalizeError::DuplicateKey { ref key, offset: 30, .. } if key == "name"),
        "{e:?}"
    );
}

#[test]
fn arguments_as_a_json_string() {
    let out = ok(
        &hermes(),
        r#"<tool_call>{"name": "f", "arguments": "{\"a\": [1, 2]}"}</tool_call>"#,
    );
    assert_eq!(out.calls[0].invocation.args, json!({"a": [1, 2]}));
}

#[test]
fn malformed_json_says_where() {
    let e = err(
        &hermes(),
        r#"ab<tool_call>{"name": "f", "arguments": {"a": tru}}</tool_call>"#,
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() >= 2 + 11, "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(160)) {
        let raw = "Hi <think>hmm</think><tool_call>{\"name\": \"a\", \"arguments\": {\"s\": \"é</tool_call>\"}}</tool_call> and <tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>.";
        prop_chunkings(&hermes(), raw, &cuts);
    }
}
