//! Kimi K2: `functions.NAME:IDX` call ids inside a tool-calls section;
//! calls inside reasoning are real.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, ReasoningCalls, TextNormalizer};
use serde_json::json;

use crate::harness::*;

const SECTION: &str = "<|tool_calls_section_begin|>";
const SECTION_END: &str = "<|tool_calls_section_end|>";
const CALL_END: &str = "<|tool_call_end|>";

fn kimi() -> TextNormalizer {
    normalizer("kimi_k2")
}

fn call(id: &str, args: &str) -> String {
    format!("<|tool_call_begin|>{id}<|tool_call_argument_begin|>{args}{CALL_END}")
}

fn section(calls: &[String]) -> String {
    format!("{SECTION}{}{SECTION_END}", calls.concat())
}

#[test]
fn one_call_with_its_id() {
    let out = ok(
        &kimi(),
        &section(&[call("functions.get_weather:0", r#"{"city": "Paris"}"#)]),
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.calls[0].id.as_deref(), Some("functions.get_weather:0"));
    assert_eq!(out.text, "");
    assert_eq!(normalizer("kimik2").preferred_format(), Some("kimi_k2"));
}

#[test]
fn parallel_calls_with_text_around() {
    let raw = format!(
        "Let me check.\n{}\nBack soon.",
        section(&[
            call("functions.get_weather:0", r#"{"city": "Paris"}"#),
            "\n".into(),
            call("functions.get_time:1", r#"{"tz": "UTC"}"#),
        ])
    );
    let out = ok(&kimi(), &raw);
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    let ids: Vec<_> = out.calls.iter().map(|c| c.id.as_deref().unwrap()).collect();
    assert_eq!(ids, ["functions.get_weather:0", "functions.get_time:1"]);
    assert_eq!(out.text, "Let me check.\n\nBack soon.");
}

#[test]
fn ids_without_prefix_and_dotted_names() {
    let out = ok(
        &kimi(),
        &section(&[
            call("get_weather:0", "{}"),
            call("functions.web.search:1", r#"{"q": "x"}"#),
            call(" plain ", "{}"),
        ]),
    );
    assert_eq!(names(&out), ["get_weather", "web.search", "plain"]);
    assert_eq!(out.calls[1].id.as_deref(), Some("functions.web.search:1"));
    assert_eq!(out.calls[2].id.as_deref(), Some("plain"));
}

#[test]
fn nested_braces_quotes_and_end_tokens_inside_strings() {
    let args = format!(
        r#"{{"code": "fn f() {{ \"}}\" }}", "t": "{CALL_END}{SECTION_END}", "n": [{{"a": {{"b": "]"}}}}]}}"#
    );
    let out = ok(&kimi(), &section(&[call("functions.run:0", &args)]));
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "fn f() { \"}\" }", "t": format!("{CALL_END}{SECTION_END}"), "n": [{"a": {"b": "]"}}]})
    );
}

#[test]
fn unicode_everywhere() {
    let raw = format!(
        "天气 🌤 {} 好的",
        section(&[call(
            "functions.get_weather:0",
            r#"{"city": "北京", "e": "é"}"#
        )])
    );
    let out = ok(&kimi(), &raw);
    assert_eq!(out.calls[0].invocation.args["city"], "北京");
    assert_eq!(out.text, "天气 🌤  好的");
}

#[test]
fn truncated_output_is_incomplete() {
    let full = section(&[call("functions.get_weather:0", r#"{"city": "Paris"}"#)]);
    let cut = full.find("Par").unwrap();
    let e = err(&kimi(), &full[..cut]);
    let NormalizeError::Incomplete {
        partial, offset, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 0);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.id.as_deref(), Some("functions.get_weather:0"));
    assert_eq!(partial.arguments, r#"{"city": ""#);
    // After the JSON, before the call's end token.
    let raw = format!("{SECTION}<|tool_call_begin|>f:0<|tool_call_argument_begin|>{{}}");
    assert!(err(&kimi(), &raw).is_incomplete());
}

#[test]
fn calls_inside_reasoning_are_real() {
    let raw = format!(
        "<think>First the weather. {} Then answer.</think>It is sunny.",
        section(&[call("functions.get_weather:0", r#"{"city": "Paris"}"#)])
    );
    let out = ok(&kimi(), &raw);
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.reasoning, "First the weather.  Then answer.");
    assert_eq!(out.text, "It is sunny.");
    // The policy can be overridden: then the call stays in the reasoning.
    let ignoring = kimi().with_reasoning_calls(ReasoningCalls::Ignore);
    let out = ok(&ignoring, &raw);
    assert!(out.calls.is_empty());
    assert!(out.reasoning.contains(SECTION));
}

#[test]
fn variants() {
    // Singular section opener.
    let raw = format!(
        "<|tool_call_section_begin|>{}<|tool_call_section_end|>",
        call("functions.f:0", "{}")
    );
    let out = ok(&kimi(), &raw);
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, "");
    // A call without a section, and empty arguments.
    let out = ok(&kimi(), &format!("a {} b", call("functions.ping:3", "")));
    assert_eq!(names(&out), ["ping"]);
    assert_eq!(out.calls[0].invocation.args, json!({}));
    assert_eq!(out.text, "a  b");
    // The section end never came.
    let out = ok(
        &kimi(),
        &format!("{SECTION}{}", call("functions.f:0", "{}")),
    );
    assert_eq!(names(&out), ["f"]);
    // The section token in prose.
    let prose = format!("The {SECTION} token.");
    let out = ok(&kimi(), &prose);
    assert!(out.calls.is_empty());
    assert_eq!(out.text, prose);
}

#[test]
fn auto_detection_and_model_hint() {
    let raw = section(&[call("functions.f:0", "{}")]);
    assert_eq!(ok(&TextNormalizer::auto(), &raw).format, Some("kimi_k2"));
    let hinted = TextNormalizer::auto_for_model("moonshotai/Kimi-K2-Instruct-0905");
    assert_eq!(hinted.preferred_format(), Some("kimi_k2"));
}

#[test]
fn malformed_input_is_a_typed_error_with_an_offset() {
    let raw = format!("ab{}", section(&[call("functions.f:0", r#"{"a": [1}"#)]));
    let e = err(&kimi(), &raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() >= raw.find("{\"a\"").unwrap(), "{e}");
    let raw = section(&[call("functions.f:0", r#"{"a": 1} {"a": 1}"#)]);
    let e = err(&kimi(), &raw);
    assert!(
        matches!(e, NormalizeError::ConcatenatedArguments { offset, .. } if offset == raw.rfind("{\"a\"").unwrap()),
        "{e:?}"
    );
    // A second call without its argument token.
    let raw = section(&[
        call("functions.f:0", "{}"),
        format!("<|tool_call_begin|>functions.g:1 {{}}{CALL_END}"),
    ]);
    let e = err(&kimi(), &raw);
    assert!(
        matches!(e, NormalizeError::Malformed { offset, .. } if offset == raw.find(" {}").unwrap() + 1),
        "{e:?}"
    );
    // An id that is not a usable name.
    let e = err(&kimi(), &section(&[call("functions.a:b:0", "{}")]));
    assert!(matches!(e, NormalizeError::InvalidToolName { .. }), "{e:?}");
}

#[test]
fn streaming_announces_the_call_and_its_arguments() {
    let raw = section(&[call(
        "functions.get_weather:0",
        r#"{"city": "Paris", "days": 3}"#,
    )]);
    let (name, id, deltas) = announced(&streamed(&kimi(), &raw));
    assert_eq!(name, "get_weather");
    assert_eq!(id, Some("functions.get_weather:0".to_string()));
    assert!(!deltas.is_empty(), "no argument deltas");
    let args: &str = r#"{"city": "Paris", "days": 3}"#;
    assert!(args.starts_with(&deltas), "{deltas:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(420)) {
        let raw = format!(
            "Hi <think>so {}</think>ok {} end",
            section(&[call("functions.a:0", r#"{"s": "é<|tool_call_end|>"}"#)]),
            section(&[call("functions.b:1", "{}"), call("c:2", r#"{"n": [1, {"m": null}]}"#)]),
        );
        prop_chunkings(&kimi(), &raw, &cuts);
    }
}
