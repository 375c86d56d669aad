//! FunctionGemma (`<escape>` strings) and Gemma 4 (`<|"|>` strings).

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

const Q: &str = "<|\"|>";

fn gemma4() -> TextNormalizer {
    normalizer("gemma4")
}

fn fgemma() -> TextNormalizer {
    normalizer("function_gemma")
}

fn g4(body: &str) -> String {
    format!("<|tool_call>{body}<tool_call|>")
}

fn fg(body: &str) -> String {
    format!("<start_function_call>{body}<end_function_call>")
}

#[test]
fn aliases_and_hints() {
    assert_eq!(
        normalizer("functiongemma").preferred_format(),
        Some("function_gemma")
    );
    assert_eq!(normalizer("gemma").preferred_format(), Some("gemma4"));
    assert_eq!(
        TextNormalizer::auto_for_model("google/functiongemma-270m-it").preferred_format(),
        Some("function_gemma")
    );
    assert_eq!(
        TextNormalizer::auto_for_model("google/gemma-4-31b-it").preferred_format(),
        Some("gemma4")
    );
}

#[test]
fn function_gemma_one_call() {
    let out = ok(
        &fgemma(),
        &fg("call:get_weather{location:<escape>London<escape>}"),
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"location": "London"}));
    assert_eq!(out.text, "");
}

#[test]
fn gemma4_one_call_with_nesting() {
    let raw = g4(&format!(
        "call:edit{{path:{Q}test.txt{Q},edits:[{{newText:{Q}orange{Q},oldText:{Q}apple{Q}}}]}}"
    ));
    let out = ok(&gemma4(), &raw);
    assert_eq!(names(&out), ["edit"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"path": "test.txt", "edits": [{"newText": "orange", "oldText": "apple"}]})
    );
}

#[test]
fn bare_numbers_booleans_and_words() {
    let raw = g4(&format!(
        "call:set{{n:42, x:-1.5e2, on:true, off:false, none:null, unit:celsius, s:{Q}42{Q}, e:{{}}, l:[]}}"
    ));
    let out = ok(&gemma4(), &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"n": 42, "x": -150.0, "on": true, "off": false, "none": null, "unit": "celsius", "s": "42", "e": {}, "l": []})
    );
}

#[test]
fn parallel_calls_with_text_around() {
    let raw = format!(
        "Checking.\n{}{}\nDone.",
        g4(&format!("call:get_weather{{city:{Q}Paris{Q}}}")),
        g4(&format!("call:get_time{{tz:{Q}UTC{Q}}}"))
    );
    let out = ok(&gemma4(), &raw);
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.text, "Checking.\n\nDone.");
    // Several calls in one block.
    let raw = fg("call:a{x:1} call:b{y:<escape>2<escape>}");
    let out = ok(&fgemma(), &raw);
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.calls[1].invocation.args, json!({"y": "2"}));
}

#[test]
fn strings_hold_braces_quotes_and_closing_tokens() {
    let s = "if (a) { b(\"}\") } ] , : <tool_call|> 'x'";
    let raw = g4(&format!(
        "call:run{{code:{Q}{s}{Q},n:{{deep:[{{a:{Q}]{Q}}}]}}}}"
    ));
    let out = ok(&gemma4(), &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": s, "n": {"deep": [{"a": "]"}]}})
    );
    let raw = fg("call:f{t:<escape><end_function_call>}<escape>}");
    let out = ok(&fgemma(), &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"t": "<end_function_call>}"})
    );
}

#[test]
fn unicode_everywhere() {
    let raw = format!(
        "Météo ☀️ {} 終わり",
        g4(&format!("call:get_weather{{city:{Q}東京{Q},note:{Q}🌧{Q}}}"))
    );
    let out = ok(&gemma4(), &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "東京", "note": "🌧"})
    );
    assert_eq!(out.text, "Météo ☀️  終わり");
}

#[test]
fn truncated_output_is_incomplete() {
    let full = g4(&format!("call:get_weather{{city:{Q}Paris{Q}}}"));
    let cut = full.find("Par").unwrap();
    let e = err(&gemma4(), &format!("ok {}", &full[..cut]));
    let NormalizeError::Incomplete {
        partial, offset, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 3);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, format!("{{city:{Q}"));
    assert!(err(&fgemma(), "<start_function_call>call:f{a:1").is_incomplete());
}

#[test]
fn closing_token_left_out() {
    let out = ok(&gemma4(), "<|tool_call>call:f{a:1}");
    assert_eq!(out.calls[0].invocation.args, json!({"a": 1}));
    let out = ok(&gemma4(), "<|tool_call>call:f{a:1} and more");
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, " and more");
}

#[test]
fn reasoning_around_and_calls_inside_are_ignored() {
    let inner = g4("call:rm{}");
    let raw = format!("<think>maybe {inner}</think>{}", g4("call:ls{}"));
    let out = ok(&gemma4(), &raw);
    assert_eq!(names(&out), ["ls"]);
    assert_eq!(out.reasoning, format!("maybe {inner}"));
}

#[test]
fn openers_in_prose_are_text() {
    let raw = "Use <|tool_call> to start, and <start_function_call> too.";
    for n in [gemma4(), fgemma()] {
        let out = ok(&n, raw);
        assert!(out.calls.is_empty());
        assert_eq!(out.text, raw);
    }
    assert_eq!(
        ok(&TextNormalizer::auto(), &g4("call:f{}")).format,
        Some("gemma4")
    );
}

#[test]
fn malformed_input_is_a_typed_error_with_an_offset() {
    // A bare value runs to the next `,` or bracket, so `{a:1 b:2}` is the
    // string "1 b:2"; a key without `:` is an error at the point it is seen.
    let raw = g4("call:f{a:1,b 2}");
    let e = err(&gemma4(), &raw);
    assert!(
        matches!(e, NormalizeError::Malformed { offset, .. } if offset == raw.find("2}").unwrap() + 1),
        "{e:?}"
    );
    let raw = g4("call:f{a:1,a:2}");
    let e = err(&gemma4(), &raw);
    assert!(
        matches!(e, NormalizeError::DuplicateKey { offset, ref key, .. } if key == "a" && offset == raw.rfind("a:").unwrap()),
        "{e:?}"
    );
    let raw = g4("call:f{a:[1}]}");
    let e = err(&gemma4(), &raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() > raw.find('[').unwrap(), "{e}");
    // A later entry that is not a call.
    let raw = g4("call:f{} oops");
    let out = ok(&gemma4(), &raw);
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, " oops<tool_call|>");
    let raw = g4("call:bad/name{}");
    let e = err(&gemma4(), &raw);
    assert!(
        matches!(e, NormalizeError::Malformed { offset, .. } if offset == raw.find('/').unwrap()),
        "{e:?}"
    );
    let deep = g4(&format!(
        "call:f{{a:{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    ));
    let e = err(&gemma4(), &deep);
    assert!(matches!(e, NormalizeError::LimitExceeded { .. }), "{e:?}");
}

#[test]
fn streaming_announces_the_call_and_its_arguments() {
    let raw = g4(&format!("call:get_weather{{city:{Q}Paris{Q},days:3}}"));
    let (name, id, deltas) = announced(&streamed(&gemma4(), &raw));
    assert_eq!(name, "get_weather");
    assert_eq!(id, None);
    assert!(!deltas.is_empty(), "no argument deltas");
    let args: &str = &format!("{{city:{Q}Paris{Q},days:3}}");
    assert!(args.starts_with(&deltas), "{deltas:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(300)) {
        let raw = format!(
            "Hi <think>x</think>{} and {}.",
            g4(&format!("call:a{{s:{Q}é<tool_call|>}}{Q},n:[1,{{m:null}}]}}")),
            g4(&format!("call:b{{}} call:c{{k:{Q}v{Q}}}")),
        );
        prop_chunkings(&gemma4(), &raw, &cuts);
    }
}
