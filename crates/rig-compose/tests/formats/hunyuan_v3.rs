//! Hunyuan V3: `<tool_calls><tool_call>NAME<tool_sep>` with
//! `<arg_key>`/`<arg_value>` pairs.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;
use crate::xml_support::*;

fn hunyuan() -> TextNormalizer {
    normalizer("hunyuan_v3")
}

const SPEC: &str = "<tool_calls>\n<tool_call>get_weather<tool_sep>\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>\n</tool_calls>";

#[test]
fn one_call() {
    let out = ok(&hunyuan(), SPEC);
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.text, "");
    assert_eq!(ok(&normalizer("hunyuan"), SPEC).calls.len(), 1);
}

#[test]
fn parallel_calls_and_text_around() {
    let out = ok(
        &hunyuan(),
        "Both.\n<tool_calls>\n<tool_call>get_weather<tool_sep>\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>\n<tool_call>get_time<tool_sep>\n</tool_call>\n</tool_calls>\nOK.",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.calls[1].invocation.args, json!({}));
    assert_eq!(out.text, "Both.\n\nOK.");
}

#[test]
fn nested_braces_quotes_closing_tags_and_unicode() {
    let raw = "<tool_calls><tool_call>note<tool_sep><arg_key>body</arg_key><arg_value>{\"a\": \"}\"} </arg_value> é </tool_call></tool_calls> 🎉</arg_value><arg_key>n</arg_key><arg_value>2</arg_value></tool_call></tool_calls>";
    let out = ok(&hunyuan(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"body": "{\"a\": \"}\"} </arg_value> é </tool_call></tool_calls> 🎉", "n": 2})
    );
}

#[test]
fn typing_with_schema() {
    let typed = hunyuan().with_schemas(schemas(&[(
        "get_weather",
        json!({"city": {"type": "string"}, "days": {"type": "integer"}}),
    )]));
    let raw = "<tool_calls><tool_call>get_weather<tool_sep><arg_key>city</arg_key><arg_value>123</arg_value><arg_key>days</arg_key><arg_value>two</arg_value></tool_call></tool_calls>";
    let out = ok(&typed, raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "123", "days": "two"})
    );
    assert_eq!(untyped(&out)[0].2, "integer");
    assert_eq!(untyped(&out)[0].3, raw.find("two").unwrap());
}

#[test]
fn json_arrays_and_json_lines_are_not_hunyuan_v3() {
    for raw in [
        "<tool_calls>[{\"name\": \"f\", \"arguments\": {}}]</tool_calls>",
        "<tool_calls>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_calls>",
        "<tool_calls>\n<tool_call>{\"name\": \"f\"}</tool_call>\n</tool_calls>",
        "<tool_calls>\n<tool_call>f\n<arg_key>a</arg_key></tool_call></tool_calls>",
    ] {
        let out = ok(&hunyuan(), raw);
        assert!(out.calls.is_empty(), "{raw:?}");
        assert_eq!(out.text, raw);
    }
}

#[test]
fn truncated_output_is_incomplete() {
    let cut = &SPEC[..SPEC.find("Paris").unwrap() + 2];
    let e = err(&hunyuan(), cut);
    let NormalizeError::Incomplete {
        offset, partial, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 0);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(
        partial.arguments,
        "\n<arg_key>city</arg_key>\n<arg_value>Pa"
    );
    assert!(err(&hunyuan(), "<tool_calls>\n<tool_call>get_we").is_incomplete());
}

#[test]
fn reasoning_around_and_calls_inside_ignored() {
    let out = ok(&hunyuan(), &format!("<think>plan: {SPEC}</think>\n{SPEC}"));
    assert_eq!(out.calls.len(), 1);
    assert_eq!(out.reasoning, format!("plan: {SPEC}"));
    assert_eq!(out.text, "\n");
}

#[test]
fn malformed_regions_say_where() {
    let raw = "<tool_calls><tool_call>f<tool_sep></tool_call> ? </tool_calls>";
    let e = err(&hunyuan(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find('?'));
    let raw = "<tool_calls><tool_call>f<tool_sep><arg_key></arg_key><arg_value>1</arg_value></tool_call></tool_calls>";
    let e = err(&hunyuan(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
}

#[test]
fn auto_detection_and_hint() {
    let out = TextNormalizer::auto().normalize_text(SPEC).unwrap();
    assert_eq!(out.format, Some("hunyuan_v3"));
    assert_eq!(
        TextNormalizer::auto_for_model("tencent/Hunyuan-V3").preferred_format(),
        Some("hunyuan_v3")
    );
}

#[test]
fn streaming_announces_calls() {
    let events = events(&hunyuan(), SPEC, 3);
    assert_eq!(started(&events), [(0, "get_weather".to_owned())]);
    assert!(started_before_finished(&events, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(330)) {
        let raw = format!(
            "é<think><tool_calls></think>{SPEC} <tool_calls>[1]</tool_calls> <tool_calls><tool_call>a<tool_sep><arg_key>k</arg_key><arg_value>v</arg_value>w</arg_value></tool_call><tool_call>b<tool_sep></tool_call></tool_calls>"
        );
        prop_chunkings(&hunyuan(), &raw, &cuts);
    }
}
