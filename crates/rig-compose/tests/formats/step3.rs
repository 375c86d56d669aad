//! Step3: `<steptml:invoke>` between `<｜tool_calls_begin｜>` tokens.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;
use crate::xml_support::*;

fn step3() -> TextNormalizer {
    normalizer("step3")
}

fn call(name: &str, params: &str) -> String {
    format!(
        "<｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name=\"{name}\">\n{params}</steptml:invoke><｜tool_call_end｜>"
    )
}

fn param(key: &str, value: &str) -> String {
    format!("<steptml:parameter name=\"{key}\">{value}</steptml:parameter>\n")
}

fn block(calls: &[String]) -> String {
    format!(
        "<｜tool_calls_begin｜>\n{}\n<｜tool_calls_end｜>",
        calls.join("\n")
    )
}

#[test]
fn one_call() {
    let raw = block(&[call("get_weather", &param("city", "Paris"))]);
    let out = ok(&step3(), &raw);
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.text, "");
}

#[test]
fn parallel_calls_with_text_around() {
    let raw = format!(
        "Checking.\n{}\nDone.",
        block(&[
            call("get_weather", &param("city", "Paris")),
            call("get_time", &(param("tz", "UTC") + &param("fmt", "24"))),
        ])
    );
    let out = ok(&step3(), &raw);
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(
        out.calls[1].invocation.args,
        json!({"tz": "UTC", "fmt": 24})
    );
    assert_eq!(out.text, "Checking.\n\nDone.");
}

#[test]
fn whitespace_between_the_call_tokens() {
    let raw = "<｜tool_calls_begin｜><｜tool_call_begin｜> function <｜tool_sep｜>\n<steptml:invoke name=\"f\"></steptml:invoke>\n<｜tool_call_end｜><｜tool_calls_end｜>";
    assert_eq!(names(&ok(&step3(), raw)), ["f"]);
}

#[test]
fn nested_braces_quotes_closing_tags_and_unicode_in_values() {
    let raw = block(&[call(
        "write",
        &(param(
            "text",
            "{\"x\": \"}\"} </steptml:parameter> then <｜tool_call_end｜></steptml:invoke>!",
        ) + &param("city", "Zürich 🏔")),
    )]);
    let out = ok(&step3(), &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({
            "text": "{\"x\": \"}\"} </steptml:parameter> then <｜tool_call_end｜></steptml:invoke>!",
            "city": "Zürich 🏔",
        })
    );
}

#[test]
fn truncated_output_is_incomplete() {
    let raw = block(&[call("get_weather", &param("city", "Paris"))]);
    let cut = &raw[..raw.find("Paris").unwrap() + 3];
    let e = err(&step3(), cut);
    let NormalizeError::Incomplete {
        offset, partial, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 0);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, "\n<steptml:parameter name=\"city\">Par");
    let cut = &raw[..raw.find("<｜tool_call_end｜>").unwrap()];
    assert!(err(&step3(), cut).is_incomplete());
}

#[test]
fn reasoning_around_and_calls_inside_ignored() {
    let inner = block(&[call("rm", "")]);
    let raw = format!("<think>maybe {inner}</think>{}", block(&[call("ls", "")]));
    let out = ok(&step3(), &raw);
    assert_eq!(names(&out), ["ls"]);
    assert_eq!(out.reasoning, format!("maybe {inner}"));
}

#[test]
fn typing_with_schema() {
    let typed = step3().with_schemas(schemas(&[(
        "f",
        json!({"n": {"type": "integer"}, "on": {"type": "boolean"}, "tags": {"type": "array"}}),
    )]));
    let raw = block(&[call(
        "f",
        &(param("n", "4") + &param("on", "True") + &param("tags", "[\"a\"]")),
    )]);
    let out = ok(&typed, &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"n": 4, "on": true, "tags": ["a"]})
    );
    let raw = block(&[call("f", &param("n", "four"))]);
    let out = ok(&typed, &raw);
    assert_eq!(out.calls[0].invocation.args, json!({"n": "four"}));
    assert_eq!(untyped(&out)[0].3, raw.find("four").unwrap());
}

#[test]
fn deepseek_bodies_and_prose_are_not_step3() {
    for raw in [
        "<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜>get_weather\n```json\n{}\n```<｜tool_call_end｜><｜tool_calls_end｜>",
        "<｜tool_calls_begin｜> is a token",
    ] {
        let out = ok(&step3(), raw);
        assert!(out.calls.is_empty(), "{raw:?}");
        assert_eq!(out.text, raw);
    }
}

#[test]
fn malformed_regions_say_where() {
    let raw = "<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name=\"f\"></steptml:invoke><｜oops｜><｜tool_calls_end｜>";
    let e = err(&step3(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find("<｜oops"));
    let raw = "<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name=\"f\"><steptml:parameter name=\"a\">1</steptml:parameter><steptml:parameter name=\"a\">2</steptml:parameter></steptml:invoke><｜tool_call_end｜><｜tool_calls_end｜>";
    assert!(matches!(
        err(&step3(), raw),
        NormalizeError::DuplicateKey { .. }
    ));
}

#[test]
fn auto_detection_and_hint() {
    let raw = block(&[call("get_weather", &param("city", "Paris"))]);
    let out = TextNormalizer::auto().normalize_text(&raw).unwrap();
    assert_eq!(out.format, Some("step3"));
    assert_eq!(out.calls.len(), 1);
    assert_eq!(
        TextNormalizer::auto_for_model("stepfun-ai/step3").preferred_format(),
        Some("step3")
    );
}

#[test]
fn streaming_announces_calls() {
    let raw = block(&[call("a", &param("x", "1")), call("b", "")]);
    let events = events(&step3(), &raw, 4);
    assert_eq!(started(&events), [(0, "a".to_owned()), (1, "b".to_owned())]);
    assert!(started_before_finished(&events, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(420)) {
        let raw = format!(
            "x<think><｜tool_calls_begin｜></think>y{}z",
            block(&[
                call("a", &(param("s", "é</steptml:parameter>!") + &param("n", "1"))),
                call("b", ""),
            ])
        );
        prop_chunkings(&step3(), &raw, &cuts);
    }
}
