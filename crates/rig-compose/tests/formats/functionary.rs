//! Functionary v3.1 (`<function=NAME>{…}</function>`) and v3.2
//! (`NAME\n{…}>>>NAME\n{…}`, `all` for text).

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn v31() -> TextNormalizer {
    normalizer("functionary_v3_1")
}

fn v32() -> TextNormalizer {
    normalizer("functionary_v3_2")
}

#[test]
fn names_and_hints() {
    assert_eq!(
        normalizer("functionary").preferred_format(),
        Some("functionary_v3_2")
    );
    for (model, format) in [
        ("meetkai/functionary-small-v3.1", "functionary_v3_1"),
        ("meetkai/functionary-medium-v3.1", "functionary_v3_1"),
        ("meetkai/functionary-small-v3.2", "functionary_v3_2"),
        ("meetkai/functionary-medium-v3.2", "functionary_v3_2"),
    ] {
        assert_eq!(
            TextNormalizer::auto_for_model(model).preferred_format(),
            Some(format),
            "{model}"
        );
    }
}

#[test]
fn v31_one_and_parallel_calls_with_text() {
    let out = ok(
        &v31(),
        "<function=get_weather>{\"city\": \"Paris\"}</function>",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    let out = ok(
        &v31(),
        "Checking. <function=get_weather>{\"city\": \"Paris\"}</function>\n<function=get_time>{\"tz\": \"UTC\"}</function> Done.",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.text, "Checking. \n Done.");
    // Closing tag missing.
    let out = ok(&v31(), "<function=f>{}");
    assert_eq!(names(&out), ["f"]);
}

#[test]
fn v31_strings_unicode_and_reasoning() {
    let raw = r#"<think>maybe <function=rm>{}</function></think>日本<function=w>{"s": "</function> {\"}\" ü", "n": {"a": [{}]}}</function>"#;
    let out = ok(&v31(), raw);
    assert_eq!(names(&out), ["w"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"s": "</function> {\"}\" ü", "n": {"a": [{}]}})
    );
    assert_eq!(out.reasoning, "maybe <function=rm>{}</function>");
    assert_eq!(out.text, "日本");
}

#[test]
fn v31_truncated_and_malformed() {
    let e = err(&v31(), "<function=get_weather>{\"city\": \"Pa");
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, "{\"city\": \"Pa");
    let e = err(&v31(), "<function=f>{\"a\": 1}{\"a\": 1}</function>");
    assert!(
        matches!(e, NormalizeError::ConcatenatedArguments { offset: 20, .. }),
        "{e:?}"
    );
    let e = err(&v31(), "ab<function=f>{\"a\": x}</function>");
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() >= 20, "{e}");
    // Not a function tag: text.
    let raw = "<function=a b>{}</function>";
    assert_eq!(ok(&v31(), raw).text, raw);
}

#[test]
fn v32_one_call_and_parallel_calls() {
    let out = ok(&v32(), "get_weather\n{\"city\": \"Paris\"}");
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.text, "");
    let out = ok(
        &v32(),
        "get_weather\n{\"city\": \"Paris\"}>>>get_time\n{\"tz\": \"UTC\"}",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    let out = ok(
        &v32(),
        ">>>get_weather\n{\"city\": \"Paris\"}>>>get_time\n{\"tz\": \"UTC\"}",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.text, "");
}

#[test]
fn v32_all_is_text() {
    let out = ok(
        &v32(),
        "all\nLet me check the weather.>>>get_weather\n{\"city\": \"Paris\"}",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.text, "Let me check the weather.");
    let out = ok(
        &v32(),
        "get_weather\n{\"city\": \"Paris\"}>>>all\nIt is sunny. ☀️",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.text, "It is sunny. ☀️");
    let out = ok(&v32(), ">>>all\nHello!");
    assert_eq!(out.text, "Hello!");
    // Plain prose that starts like a recipient is text.
    let raw = "Hello there, >>> is a prompt.";
    assert_eq!(ok(&v32(), raw).text, raw);
    let raw = "Hello\nworld";
    assert_eq!(ok(&v32(), raw).text, raw);
}

#[test]
fn v32_strings_unicode_and_reasoning() {
    let raw = "<think>maybe rm\n{}</think>write\n{\"text\": \">>>all\\n} {\\\"x\\\"} 漢字\", \"n\": [{\"a\": {}}]}";
    let out = ok(&v32(), raw);
    assert_eq!(names(&out), ["write"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"text": ">>>all\n} {\"x\"} 漢字", "n": [{"a": {}}]})
    );
    assert_eq!(out.reasoning, "maybe rm\n{}");
}

#[test]
fn v32_truncated_and_malformed() {
    let e = err(&v32(), "get_weather\n{\"city\": \"Par");
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(partial.unwrap().name.as_deref(), Some("get_weather"));
    let e = err(&v32(), "a\n{}>>>get_time\n{\"tz\"");
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(partial.unwrap().name.as_deref(), Some("get_time"));
    let e = err(&v32(), "f\n{\"a\": 1,}");
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() >= 10, "{e}");
}

#[test]
fn v32_is_not_auto_detected_without_a_hint() {
    let raw = "get_weather\n{\"city\": \"Paris\"}";
    let out = ok(&TextNormalizer::auto(), raw);
    assert!(out.calls.is_empty());
    let hinted = TextNormalizer::auto_for_model("meetkai/functionary-small-v3.2");
    let out = ok(&hinted, raw);
    assert_eq!(out.format, Some("functionary_v3_2"));
    let out = ok(
        &hinted,
        "get_weather\n{\"city\": \"Paris\"}>>>get_time\n{\"tz\": \"UTC\"}",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    let out = ok(&hinted, "all\nHi!>>>f\n{}");
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, "Hi!");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree_v32(cuts in cuts(120)) {
        let raw = "all\nOne moment é.>>>a\n{\"s\": \">>>\"}>>>b\n{}>>>all\nDone.";
        prop_chunkings(&v32(), raw, &cuts);
    }

    #[test]
    fn random_chunkings_agree_v31(cuts in cuts(120)) {
        let raw = "Hi <function=a>{\"s\": \"</function>é\"}</function><function=b>{}</function> bye";
        prop_chunkings(&v31(), raw, &cuts);
    }
}
