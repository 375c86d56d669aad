//! DeepSeek V3.2 DSML, and its plain-tag variant.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;
use crate::xml_support::*;

fn dsml() -> TextNormalizer {
    normalizer("deepseek_v32")
}

const SPOT: &str = "<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"get_favorite_tourist_spot\">\n<｜DSML｜parameter name=\"city\" string=\"true\">San Francisco</｜DSML｜parameter>\n<｜DSML｜parameter name=\"days\" string=\"false\">3</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>";

#[test]
fn one_call_with_string_flags() {
    let out = ok(&dsml(), SPOT);
    assert_eq!(names(&out), ["get_favorite_tourist_spot"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "San Francisco", "days": 3})
    );
    for alias in ["deepseekv32", "deepseek_v3.2", "dsml"] {
        assert_eq!(ok(&normalizer(alias), SPOT).calls.len(), 1, "{alias}");
    }
}

#[test]
fn string_true_keeps_json_looking_text_and_false_parses_json() {
    let raw = "<｜DSML｜function_calls><｜DSML｜invoke name=\"f\">\
        <｜DSML｜parameter name=\"s\" string=\"true\">{\"a\": 1}</｜DSML｜parameter>\
        <｜DSML｜parameter name=\"j\" string=\"false\">{\"a\": [1, \"}\"]}</｜DSML｜parameter>\
        <｜DSML｜parameter name=\"b\" string=\"false\">true</｜DSML｜parameter>\
        <｜DSML｜parameter name=\"z\" string=\"false\">null</｜DSML｜parameter>\
        <｜DSML｜parameter name=\"t\">7</｜DSML｜parameter>\
        </｜DSML｜invoke></｜DSML｜function_calls>";
    let out = ok(&dsml(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"s": "{\"a\": 1}", "j": {"a": [1, "}"]}, "b": true, "z": null, "t": 7})
    );
    assert!(out.warnings.is_empty());
}

#[test]
fn non_json_marked_false_is_typed_or_kept_with_a_warning() {
    let raw = "<｜DSML｜function_calls><｜DSML｜invoke name=\"f\">\
        <｜DSML｜parameter name=\"n\" string=\"false\">007</｜DSML｜parameter>\
        <｜DSML｜parameter name=\"o\" string=\"false\">{'k': None}</｜DSML｜parameter>\
        <｜DSML｜parameter name=\"w\" string=\"false\">hello</｜DSML｜parameter>\
        </｜DSML｜invoke></｜DSML｜function_calls>";
    let typed = dsml().with_schemas(schemas(&[(
        "f",
        json!({"n": {"type": "integer"}, "o": {"type": "object"}}),
    )]));
    let out = ok(&typed, raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"n": 7, "o": {"k": null}, "w": "hello"})
    );
    assert_eq!(
        untyped(&out),
        [(
            "f".to_owned(),
            "w".to_owned(),
            "json".to_owned(),
            raw.find("hello").unwrap()
        )]
    );
    // Without schemas all three stay text, each with a warning.
    let out = ok(&dsml(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"n": "007", "o": "{'k': None}", "w": "hello"})
    );
    assert_eq!(untyped(&out).len(), 3);
}

#[test]
fn parallel_calls_text_around_and_plain_variant() {
    let plain = "<function_calls>\n<invoke name=\"a\">\n<parameter name=\"x\" string=\"true\">1</parameter>\n</invoke>\n<invoke name=\"b\">\n<parameter name=\"y\" string=\"false\">[2]</parameter>\n</invoke>\n</function_calls>";
    let out = ok(&dsml(), &format!("Both:\n{plain}\nand {SPOT} done"));
    assert_eq!(names(&out), ["a", "b", "get_favorite_tourist_spot"]);
    assert_eq!(out.calls[0].invocation.args, json!({"x": "1"}));
    assert_eq!(out.calls[1].invocation.args, json!({"y": [2]}));
    assert_eq!(out.text, "Both:\n\nand  done");
}

#[test]
fn closing_tags_braces_and_unicode_inside_values() {
    let raw = "<｜DSML｜function_calls><｜DSML｜invoke name=\"write\">\
        <｜DSML｜parameter name=\"text\" string=\"true\">a </｜DSML｜parameter> b </｜DSML｜invoke></｜DSML｜function_calls> { \"}\" } 日本語 🎌</｜DSML｜parameter>\
        </｜DSML｜invoke></｜DSML｜function_calls>";
    let out = ok(&dsml(), raw);
    assert_eq!(
        out.calls[0].invocation.args["text"],
        "a </｜DSML｜parameter> b </｜DSML｜invoke></｜DSML｜function_calls> { \"}\" } 日本語 🎌"
    );
}

#[test]
fn truncated_output_is_incomplete() {
    let cut = &SPOT[..SPOT.find("San").unwrap() + 5];
    let e = err(&dsml(), &format!("ok {cut}"));
    let NormalizeError::Incomplete {
        offset, partial, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 3);
    assert_eq!(
        partial.unwrap().name.as_deref(),
        Some("get_favorite_tourist_spot")
    );
    assert!(err(&dsml(), "<function_calls>\n<invoke name=\"a\">").is_incomplete());
}

#[test]
fn reasoning_around_and_calls_inside_ignored() {
    let out = ok(
        &dsml(),
        &format!("<think>I might write {SPOT}</think>Result:{SPOT}"),
    );
    assert_eq!(out.calls.len(), 1);
    assert_eq!(out.reasoning, format!("I might write {SPOT}"));
    assert_eq!(out.text, "Result:");
}

#[test]
fn other_function_calls_bodies_are_text() {
    // Olmo 3 writes pythonic calls in `<function_calls>`.
    for raw in [
        "<function_calls>\nget_weather(city=\"Paris\")\n</function_calls>",
        "<｜DSML｜function_calls>{\"name\": \"f\"}</｜DSML｜function_calls>",
    ] {
        let out = ok(&dsml(), raw);
        assert!(out.calls.is_empty(), "{raw:?}");
        assert_eq!(out.text, raw);
    }
}

#[test]
fn malformed_regions_say_where() {
    let raw = "<｜DSML｜function_calls><｜DSML｜invoke name=\"f\"><｜DSML｜parameter name=\"a\" string=\"true\">1</｜DSML｜parameter></｜DSML｜invoke> stray </｜DSML｜function_calls>";
    let e = err(&dsml(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find("stray"));
    let raw = "<｜DSML｜function_calls><｜DSML｜invoke name=\"f\"><｜DSML｜parameter name=\"a\" string=\"true>1</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜function_calls>";
    // The unterminated attribute swallows the rest: the output ends inside
    // the tag.
    assert!(err(&dsml(), raw).is_incomplete());
}

#[test]
fn auto_detection_and_hint() {
    let out = TextNormalizer::auto().normalize_text(SPOT).unwrap();
    assert_eq!(out.format, Some("deepseek_v32"));
    assert_eq!(
        TextNormalizer::auto_for_model("deepseek-ai/DeepSeek-V3.2-Exp").preferred_format(),
        Some("deepseek_v32")
    );
}

#[test]
fn streaming_announces_calls() {
    let events = events(&dsml(), SPOT, 6);
    assert_eq!(
        started(&events),
        [(0, "get_favorite_tourist_spot".to_owned())]
    );
    assert!(started_before_finished(&events, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(520)) {
        let raw = format!(
            "é<think><function_calls></think>{SPOT} mid <function_calls><invoke name=\"b\"><parameter name=\"q\" string=\"true\">x</parameter>y</parameter></invoke></function_calls>."
        );
        prop_chunkings(&dsml(), &raw, &cuts);
    }
}
