//! Llama 3.x JSON: `<|python_tag|>` optional, `;`-separated calls, bare
//! arrays, built-in `name.call(...)` tools.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, StreamEvent, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn llama() -> TextNormalizer {
    normalizer("llama3_json")
}

#[test]
fn aliases_resolve() {
    for alias in ["llama3", "llama4_json", "LLAMA3_JSON"] {
        assert_eq!(
            normalizer(alias).preferred_format(),
            Some("llama3_json"),
            "{alias}"
        );
    }
}

#[test]
fn one_call_with_and_without_python_tag() {
    for raw in [
        "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}",
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}",
        "\n  {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n",
    ] {
        let out = ok(&llama(), raw);
        assert_eq!(names(&out), ["get_weather"], "{raw:?}");
        assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
        assert_eq!(out.text.trim(), "");
    }
}

#[test]
fn parallel_calls_separated_by_semicolons() {
    let out = ok(
        &llama(),
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}; {\"name\": \"get_time\", \"parameters\": {\"tz\": \"UTC\"}}",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.calls[1].invocation.args, json!({"tz": "UTC"}));
    // With the tag, and a dangling separator.
    let out = ok(
        &llama(),
        "<|python_tag|>{\"name\": \"a\", \"parameters\": {}};{\"name\": \"b\", \"parameters\": {}};",
    );
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.text, "");
}

#[test]
fn parallel_calls_as_a_bare_array() {
    let out = ok(
        &llama(),
        "[{\"name\": \"a\", \"parameters\": {\"x\": 1}}, {\"name\": \"b\", \"parameters\": {}}]",
    );
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.calls[0].invocation.args, json!({"x": 1}));
}

#[test]
fn text_before_and_after() {
    // With the tag, text may come before; after the calls it is text.
    let out = ok(
        &llama(),
        "Let me check. <|python_tag|>{\"name\": \"f\", \"parameters\": {}}<|eom_id|> done",
    );
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, "Let me check. <|eom_id|> done");
    // Bare calls must start the output: later JSON is prose.
    let out = ok(
        &llama(),
        "Call it as {\"name\": \"f\", \"parameters\": {}} please.",
    );
    assert!(out.calls.is_empty());
    assert_eq!(
        out.text,
        "Call it as {\"name\": \"f\", \"parameters\": {}} please."
    );
    // A bare call followed by text (fixed format, not auto).
    let out = ok(
        &llama(),
        "{\"name\": \"f\", \"parameters\": {}}\nThat is all.",
    );
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, "\nThat is all.");
}

#[test]
fn nested_braces_quotes_and_tags_in_strings() {
    let raw = r#"<|python_tag|>{"name": "run", "parameters": {"code": "if (a) { b(\"}\"); } <|python_tag|> ; {\"x\": [1]}", "deep": {"l": [{"m": "]"}]}}}"#;
    let out = ok(&llama(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "if (a) { b(\"}\"); } <|python_tag|> ; {\"x\": [1]}", "deep": {"l": [{"m": "]"}]}})
    );
}

#[test]
fn unicode() {
    let out = ok(
        &llama(),
        "Météo ☀️<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"北京\", \"note\": \"🌧 ü\"}}",
    );
    assert_eq!(out.calls[0].invocation.args["city"], "北京");
    assert_eq!(out.text, "Météo ☀️");
}

#[test]
fn builtin_tools_use_python_keywords() {
    let out = ok(
        &llama(),
        "<|python_tag|>brave_search.call(query=\"weather in Paris, \\\"today\\\"\")",
    );
    assert_eq!(names(&out), ["brave_search"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"query": "weather in Paris, \"today\""})
    );
    let out = ok(
        &llama(),
        "<|python_tag|>wolfram_alpha.call(query='solve x^2 = 4 (x > 0)', limit=3, exact=True); {\"name\": \"f\", \"parameters\": {}}",
    );
    assert_eq!(names(&out), ["wolfram_alpha", "f"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"query": "solve x^2 = 4 (x > 0)", "limit": 3, "exact": true})
    );
    // Without the tag a built-in call is just text.
    let out = ok(&llama(), "brave_search.call(query=\"x\")");
    assert!(out.calls.is_empty());
}

#[test]
fn truncated_output_is_incomplete() {
    for raw in [
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Pa",
        "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {",
        "{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"get_weather\", \"para",
        "<|python_tag|>brave_search.call(query=\"wea",
    ] {
        let e = err(&llama(), raw);
        let NormalizeError::Incomplete { partial, .. } = &e else {
            panic!("{raw:?}: {e:?}")
        };
        let partial = partial.as_ref().expect("partial call");
        assert!(
            partial.name.as_deref() == Some("get_weather")
                || partial.name.as_deref() == Some("brave_search"),
            "{partial:?}"
        );
    }
}

#[test]
fn reasoning_is_separated_and_calls_in_it_ignored() {
    let out = ok(
        &llama(),
        "<think>Maybe <|python_tag|>{\"name\": \"rm\", \"parameters\": {}}?</think>\n{\"name\": \"ls\", \"parameters\": {}}",
    );
    assert_eq!(names(&out), ["ls"]);
    assert_eq!(
        out.reasoning,
        "Maybe <|python_tag|>{\"name\": \"rm\", \"parameters\": {}}?"
    );
    assert_eq!(out.text, "\n");
}

#[test]
fn ordinary_json_at_the_start_is_text() {
    for raw in [
        "{\"city\": \"Paris\"}",
        "[1, 2, 3] are numbers",
        "[{\"a\": 1}]",
        "{\"parameters\": {}}",
        "{\"name\": \"Ada Lovelace\", \"born\": 1815}",
        "[{\"name\": \"Ada\"}, {\"name\": \"Alan\"}]",
    ] {
        let out = ok(&llama(), raw);
        assert!(out.calls.is_empty(), "{raw:?}");
        assert_eq!(out.text, raw);
    }
}

#[test]
fn malformed_input_is_located() {
    let e = err(
        &llama(),
        "ab<|python_tag|>{\"name\": \"f\", \"parameters\": {\"a\": tru}}",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() > 16, "{e}");
    let e = err(
        &llama(),
        "<|python_tag|>{\"name\": \"f\", \"name\": \"g\", \"parameters\": {}}",
    );
    assert!(
        matches!(&e, NormalizeError::DuplicateKey { key, .. } if key == "name"),
        "{e:?}"
    );
    let e = err(
        &llama(),
        "<|python_tag|>brave_search.call(query=\"a\", query=\"b\")",
    );
    assert!(matches!(e, NormalizeError::DuplicateKey { .. }), "{e:?}");
    let e = err(&llama(), "<|python_tag|>brave_search.call(\"positional\")");
    assert_eq!(e.offset(), Some(32), "{e}");
    let e = err(
        &llama(),
        "<|python_tag|>{\"name\": \"f\", \"parameters\": ]}",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
}

#[test]
fn streaming_announces_calls_before_they_finish() {
    let mut stream = llama().stream();
    let mut events = Vec::new();
    for chunk in [
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": ",
        "\"Paris\"}}; {\"name\": \"get_time\", \"parameters\": ",
        "{\"tz\": \"UTC\"}}",
    ] {
        events.extend(stream.feed(chunk).unwrap());
    }
    events.extend(stream.finish().unwrap());
    let started = events
        .iter()
        .position(|e| matches!(e, StreamEvent::CallStarted { name, .. } if name == "get_weather"))
        .unwrap();
    let finished = events
        .iter()
        .position(|e| matches!(e, StreamEvent::CallFinished { .. }))
        .unwrap();
    assert!(started < finished);
}

#[test]
fn auto_detection_takes_only_a_whole_bare_output() {
    let auto = TextNormalizer::auto();
    let out = ok(&auto, "{\"name\": \"f\", \"parameters\": {\"x\": 1}}");
    assert_eq!(out.format, Some("llama3_json"));
    assert_eq!(names(&out), ["f"]);
    let out = ok(
        &auto,
        "{\"name\": \"f\", \"parameters\": {}} is how you call it.",
    );
    assert!(out.calls.is_empty());
    let out = ok(&auto, "<|python_tag|>brave_search.call(query=\"x\")");
    assert_eq!(out.format, Some("llama3_json"));
    let hinted = TextNormalizer::auto_for_model("meta-llama/Llama-3.1-8B-Instruct");
    assert_eq!(hinted.preferred_format(), Some("llama3_json"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(180)) {
        let raw = "<think>ok</think> {\"name\": \"a\", \"parameters\": {\"s\": \"é;}\"}}; {\"name\": \"b\", \"arguments\": {}};[{\"name\": \"c\", \"parameters\": {}}] tail";
        prop_chunkings(&llama(), raw, &cuts);
    }
}
