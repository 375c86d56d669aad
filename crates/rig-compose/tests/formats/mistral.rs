//! Mistral: pre-v11 `[TOOL_CALLS] [...]`, v11+ `[TOOL_CALLS]name{...}`,
//! `[CALL_ID]`/`[ARGS]`, Magistral `[THINK]`.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, StreamEvent, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn mistral() -> TextNormalizer {
    normalizer("mistral")
}

#[test]
fn names_and_hints() {
    assert_eq!(normalizer("magistral").preferred_format(), Some("mistral"));
    for model in [
        "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
        "mistralai/Magistral-Small-2509",
        "mistralai/Devstral-Small-2507",
        "mistralai/Ministral-8B-Instruct-2410",
    ] {
        assert_eq!(
            TextNormalizer::auto_for_model(model).preferred_format(),
            Some("mistral"),
            "{model}"
        );
    }
}

#[test]
fn pre_v11_array() {
    let out = ok(
        &mistral(),
        "[TOOL_CALLS] [{\"name\": \"add\", \"arguments\": {\"a\": 3.5, \"b\": 4}}, {\"name\": \"get_current_weather\", \"arguments\":{\"city\": \"San Francisco\", \"state\": \"CA\", \"unit\": \"celsius\"}}]",
    );
    assert_eq!(names(&out), ["add", "get_current_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"a": 3.5, "b": 4}));
    // Keys reversed, and an id.
    let out = ok(
        &mistral(),
        "[TOOL_CALLS][{\"arguments\": {\"x\": 1}, \"name\": \"f\", \"id\": \"a1B2c3D4e\"}]",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"x": 1}));
    assert_eq!(out.calls[0].id.as_deref(), Some("a1B2c3D4e"));
}

#[test]
fn v11_one_and_parallel_calls() {
    let out = ok(&mistral(), "[TOOL_CALLS]add{\"a\": 3.5, \"b\": 4}");
    assert_eq!(names(&out), ["add"]);
    assert_eq!(out.calls[0].invocation.args, json!({"a": 3.5, "b": 4}));
    let out = ok(
        &mistral(),
        "[TOOL_CALLS]add{\"a\": 3.5, \"b\": 4}[TOOL_CALLS] multiply{\"a\": 3, \"b\": 6}",
    );
    assert_eq!(names(&out), ["add", "multiply"]);
    assert_eq!(out.text, "");
}

#[test]
fn v11_call_id_and_args_tokens() {
    let out = ok(
        &mistral(),
        "[TOOL_CALLS]get_weather[CALL_ID]abc123XYZ[ARGS]{\"city\": \"Paris\"}[TOOL_CALLS]get_time[ARGS]{\"tz\": \"UTC\"}",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.calls[0].id.as_deref(), Some("abc123XYZ"));
    assert_eq!(out.calls[1].id, None);
    assert_eq!(out.calls[1].invocation.args, json!({"tz": "UTC"}));
}

#[test]
fn text_before_and_after() {
    let out = ok(
        &mistral(),
        "Let me add those. [TOOL_CALLS]add{\"a\": 1, \"b\": 2} I'll report back.",
    );
    assert_eq!(names(&out), ["add"]);
    assert_eq!(out.text, "Let me add those.  I'll report back.");
    // `[TOOL_CALLS]` followed by prose is text.
    let raw = "[TOOL_CALLS] I cannot call tools.";
    assert_eq!(ok(&mistral(), raw).text, raw);
}

#[test]
fn nested_braces_quotes_and_markers_in_strings() {
    let raw = r#"[TOOL_CALLS]run{"code": "f({\"a\": [1]}) # [TOOL_CALLS]x{} ]", "o": {"p": [{"q": "}"}]}}"#;
    let out = ok(&mistral(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "f({\"a\": [1]}) # [TOOL_CALLS]x{} ]", "o": {"p": [{"q": "}"}]}})
    );
}

#[test]
fn unicode() {
    let out = ok(
        &mistral(),
        "Voilà ✨ [TOOL_CALLS]traduire{\"texte\": \"こんにちは\", \"émoji\": \"🙂\"}",
    );
    assert_eq!(out.calls[0].invocation.args["émoji"], "🙂");
    assert_eq!(out.text, "Voilà ✨ ");
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &mistral(),
        "[TOOL_CALLS]get_weather[CALL_ID]abc123XYZ[ARGS]{\"city\": \"Pa",
    );
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.id.as_deref(), Some("abc123XYZ"));
    assert_eq!(partial.arguments, "{\"city\": \"Pa");
    assert!(err(&mistral(), "[TOOL_CALLS]get_wea").is_incomplete());
    assert!(err(&mistral(), "[TOOL_CALLS] [{\"name\": \"x\"").is_incomplete());
}

#[test]
fn magistral_reasoning() {
    let out = ok(
        &mistral(),
        "[THINK]I should add. [TOOL_CALLS]bad{}[/THINK]Adding.[TOOL_CALLS]add{\"a\": 1}",
    );
    assert_eq!(names(&out), ["add"]);
    assert_eq!(out.reasoning, "I should add. [TOOL_CALLS]bad{}");
    assert_eq!(out.text, "Adding.");
    let out = ok(&mistral(), "<think>hm</think>[TOOL_CALLS]f{}");
    assert_eq!(out.reasoning, "hm");
}

#[test]
fn concatenated_and_malformed_arguments() {
    let e = err(&mistral(), "[TOOL_CALLS]add{\"a\":1}{\"a\":1}");
    assert_eq!(
        e,
        NormalizeError::ConcatenatedArguments {
            format: "mistral",
            offset: 22,
            tool: "add".into()
        }
    );
    let e = err(&mistral(), "ok [TOOL_CALLS]add{\"a\": 1, \"a\": 2}");
    assert!(matches!(e, NormalizeError::DuplicateKey { .. }), "{e:?}");
    let e = err(&mistral(), "[TOOL_CALLS]add{\"a\": }");
    assert!(
        matches!(e, NormalizeError::Malformed { offset: 21, .. }),
        "{e:?}"
    );
    let e = err(&mistral(), "[TOOL_CALLS]add[CALL_ID]abc[ARGS]{\"a\": 1]");
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
}

#[test]
fn streaming_reports_name_and_id_early() {
    let mut stream = mistral().stream();
    let mut events = stream
        .feed("[TOOL_CALLS]get_weather[CALL_ID]abc123XYZ[ARGS]{\"city\": \"Pa")
        .unwrap();
    assert_eq!(
        events[0],
        StreamEvent::CallStarted {
            index: 0,
            name: "get_weather".into(),
            id: Some("abc123XYZ".into())
        }
    );
    events.extend(stream.feed("ris\"}").unwrap());
    events.extend(stream.finish().unwrap());
    assert!(matches!(
        events.last(),
        Some(StreamEvent::CallFinished { .. })
    ));
}

#[test]
fn auto_detection() {
    let out = ok(
        &TextNormalizer::auto(),
        "[TOOL_CALLS]add{\"a\": 3.5, \"b\": 4}",
    );
    assert_eq!(out.format, Some("mistral"));
    let out = ok(
        &TextNormalizer::auto(),
        "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {}}]",
    );
    assert_eq!(out.format, Some("mistral"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(170)) {
        let raw = "[THINK]a[/THINK]Hi [TOOL_CALLS]a[CALL_ID]x1Y2z3W4v[ARGS]{\"s\": \"é}\"} [TOOL_CALLS]b{}[TOOL_CALLS] [{\"name\": \"c\", \"arguments\": {}}] bye";
        prop_chunkings(&mistral(), raw, &cuts);
    }
}
