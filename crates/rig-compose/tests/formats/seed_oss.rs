//! Seed-OSS: the Qwen3-Coder body in `<seed:tool_call>`, reasoning in
//! `<seed:think>`.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;
use crate::xml_support::*;

fn seed() -> TextNormalizer {
    normalizer("seed_oss")
}

const CALL: &str = "<seed:tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</seed:tool_call>";

#[test]
fn one_call_with_seed_reasoning() {
    let out = ok(
        &seed(),
        &format!("<seed:think>The user wants the weather.</seed:think>{CALL}"),
    );
    assert_eq!(out.reasoning, "The user wants the weather.");
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "Paris", "days": 3})
    );
    assert_eq!(out.text, "");
    assert_eq!(ok(&normalizer("seedoss"), CALL).calls.len(), 1);
}

#[test]
fn parallel_calls_and_text_around() {
    let out = ok(
        &seed(),
        "Sure.\n<seed:tool_call>\n<function=a>\n<parameter=x>1</parameter>\n</function>\n<function=b>\n</function>\n</seed:tool_call>\n<seed:tool_call><function=c></function></seed:tool_call> Done.",
    );
    assert_eq!(names(&out), ["a", "b", "c"]);
    assert_eq!(out.text, "Sure.\n\n Done.");
}

#[test]
fn nested_braces_quotes_and_closing_tags_in_values() {
    let out = ok(
        &seed(),
        "<seed:tool_call><function=run><parameter=code>\nf({\"a\": \"}\"}) </parameter> x </seed:tool_call> y </function> z\n</parameter></function></seed:tool_call>",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "f({\"a\": \"}\"}) </parameter> x </seed:tool_call> y </function> z"})
    );
}

#[test]
fn unicode_and_unclosed_parameters() {
    let out = ok(
        &seed(),
        "天气 <seed:tool_call>\n<function=get_weather>\n<parameter=city>\n東京\n<parameter=note>\n☔\n</function>\n</seed:tool_call>",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "東京", "note": "☔"})
    );
    assert_eq!(out.text, "天气 ");
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &seed(),
        "<seed:think>ok</seed:think><seed:tool_call>\n<function=get_weather>\n<parameter=city>\nPa",
    );
    let NormalizeError::Incomplete {
        offset, partial, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 27);
    assert_eq!(partial.unwrap().name.as_deref(), Some("get_weather"));
    assert!(err(&seed(), "<seed:tool_call>\n<function=f>\n<parameter=a>1").is_incomplete());
    // Only the wrapper's closing tag missing at the end: accepted.
    assert_eq!(
        ok(&seed(), "<seed:tool_call>\n<function=f>\n</function>")
            .calls
            .len(),
        1
    );
}

#[test]
fn calls_inside_reasoning_are_ignored_and_plain_think_works() {
    let out = ok(
        &seed(),
        &format!("<seed:think>draft: {CALL}</seed:think><think>more</think>ok"),
    );
    assert!(out.calls.is_empty());
    assert_eq!(out.reasoning, format!("draft: {CALL}more"));
    assert_eq!(out.text, "ok");
}

#[test]
fn typing_and_warnings() {
    let typed = seed().with_schemas(schemas(&[(
        "get_weather",
        json!({"city": {"type": "string"}, "days": {"type": "integer"}}),
    )]));
    let raw = CALL.replace("\n3\n", "\nthree\n");
    let out = ok(&typed, &raw);
    assert_eq!(out.calls[0].invocation.args["days"], "three");
    assert_eq!(untyped(&out)[0].3, raw.find("three").unwrap());
    let out = ok(&typed, CALL);
    assert_eq!(out.calls[0].invocation.args["days"], 3);
}

#[test]
fn malformed_and_foreign_bodies() {
    let raw = "<seed:tool_call>\n<function=f>\n</function>\nhello\n</seed:tool_call>";
    let e = err(&seed(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find("hello"));
    // Not a call body at all: plain text.
    let out = ok(
        &seed(),
        "<seed:tool_call>{\"name\": \"f\"}</seed:tool_call>",
    );
    assert!(out.calls.is_empty());
}

#[test]
fn auto_detection_and_hint() {
    let out = TextNormalizer::auto()
        .normalize_text(&format!("<seed:think>x</seed:think>{CALL}"))
        .unwrap();
    assert_eq!(out.format, Some("seed_oss"));
    assert_eq!(out.calls.len(), 1);
    assert_eq!(
        TextNormalizer::auto_for_model("ByteDance-Seed/Seed-OSS-36B-Instruct").preferred_format(),
        Some("seed_oss")
    );
}

#[test]
fn streaming_announces_calls() {
    let events = events(&seed(), CALL, 5);
    assert_eq!(started(&events), [(0, "get_weather".to_owned())]);
    assert!(started_before_finished(&events, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(230)) {
        let raw = "<seed:think>é <seed:tool_call></seed:think>a<seed:tool_call>\n<function=a>\n<parameter=s>\nx</parameter>y\n</parameter>\n</function>\n<function=b>\n<parameter=n>\n2\n</function>\n</seed:tool_call> b <seed:tool_call><function=c></function></seed:tool_call>";
        prop_chunkings(&seed(), raw, &cuts);
    }
}
