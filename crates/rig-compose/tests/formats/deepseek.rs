//! DeepSeek V3 / R1 (fenced JSON after `function<｜tool▁sep｜>NAME`) and
//! V3.1 (raw JSON after `NAME<｜tool▁sep｜>`).

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

const CALLS: &str = "<｜tool▁calls▁begin｜>";
const CALLS_END: &str = "<｜tool▁calls▁end｜>";
const CALL: &str = "<｜tool▁call▁begin｜>";
const CALL_END: &str = "<｜tool▁call▁end｜>";
const SEP: &str = "<｜tool▁sep｜>";

fn v3() -> TextNormalizer {
    normalizer("deepseek_v3")
}

fn v31() -> TextNormalizer {
    normalizer("deepseek_v31")
}

/// One V3 / R1 call.
fn v3_call(name: &str, args: &str) -> String {
    format!("{CALL}function{SEP}{name}\n```json\n{args}\n```{CALL_END}")
}

/// One V3.1 call.
fn v31_call(name: &str, args: &str) -> String {
    format!("{CALL}{name}{SEP}{args}{CALL_END}")
}

fn block(calls: &[String]) -> String {
    format!("{CALLS}{}{CALLS_END}", calls.concat())
}

#[test]
fn aliases_resolve() {
    for alias in ["deepseekv3", "deepseek_r1", "DeepSeek-R1"] {
        assert_eq!(normalizer(alias).preferred_format(), Some("deepseek_v3"));
    }
    for alias in ["deepseekv31", "deepseek-v3.1"] {
        assert_eq!(normalizer(alias).preferred_format(), Some("deepseek_v31"));
    }
}

#[test]
fn v3_one_call() {
    let out = ok(
        &v3(),
        &block(&[v3_call("get_current_weather", r#"{"location": "Tokyo"}"#)]),
    );
    assert_eq!(names(&out), ["get_current_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"location": "Tokyo"}));
    assert_eq!(out.calls[0].id, None);
    assert_eq!(out.text, "");
    assert_eq!(out.format, Some("deepseek_v3"));
}

#[test]
fn v31_one_call() {
    let out = ok(
        &v31(),
        &block(&[v31_call("get_current_weather", r#"{"location": "Tokyo"}"#)]),
    );
    assert_eq!(names(&out), ["get_current_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"location": "Tokyo"}));
    assert_eq!(out.format, Some("deepseek_v31"));
}

#[test]
fn parallel_calls_with_text_around() {
    let raw = format!(
        "Checking both.\n{}\nDone.",
        block(&[
            v3_call("get_weather", r#"{"city": "Paris"}"#),
            "\n".into(),
            v3_call("get_time", r#"{"tz": "UTC"}"#),
        ])
    );
    let out = ok(&v3(), &raw);
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.calls[1].invocation.args, json!({"tz": "UTC"}));
    assert_eq!(out.text, "Checking both.\n\nDone.");

    let raw = format!(
        "Both: {} ok",
        block(&[v31_call("a", r#"{"x": 1}"#), v31_call("b", r#"{"y": [2]}"#),])
    );
    let out = ok(&v31(), &raw);
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.calls[1].invocation.args, json!({"y": [2]}));
    assert_eq!(out.text, "Both:  ok");
}

#[test]
fn nested_braces_quotes_and_end_tokens_inside_strings() {
    let args = format!(
        r#"{{"code": "if (x) {{ y(\"}}\"); }}", "note": "{CALL_END}{CALLS_END} ```", "n": {{"deep": [{{"a": "]"}}]}}}}"#
    );
    let expected = json!({
        "code": "if (x) { y(\"}\"); }",
        "note": format!("{CALL_END}{CALLS_END} ```"),
        "n": {"deep": [{"a": "]"}]},
    });
    let out = ok(&v3(), &block(&[v3_call("run", &args)]));
    assert_eq!(out.calls[0].invocation.args, expected);
    let out = ok(&v31(), &block(&[v31_call("run", &args)]));
    assert_eq!(out.calls[0].invocation.args, expected);
}

#[test]
fn unicode_everywhere() {
    let raw = format!(
        "天気を調べます ☀️{} 終わり",
        block(&[v31_call(
            "get_weather",
            r#"{"city": "東京", "note": "🌧 é"}"#
        )])
    );
    let out = ok(&v31(), &raw);
    assert_eq!(out.calls[0].invocation.args["city"], "東京");
    assert_eq!(out.calls[0].invocation.args["note"], "🌧 é");
    assert_eq!(out.text, "天気を調べます ☀️ 終わり");
}

#[test]
fn truncated_output_is_incomplete() {
    let full = block(&[
        v3_call("a", r#"{"x": 1}"#),
        v3_call("get_weather", r#"{"city": "Paris"}"#),
    ]);
    let cut = full.find("Par").unwrap();
    let e = err(&v3(), &format!("Hi {}", &full[..cut]));
    let NormalizeError::Incomplete {
        offset, partial, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 3);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, r#"{"city": ""#);
    // Cut right after the JSON, before the call's end token.
    let raw = format!("{CALLS}{CALL}f{SEP}{{\"a\": 1}}");
    assert!(err(&v31(), &raw).is_incomplete());
    // Only the opener.
    assert!(err(&v31(), CALLS).is_incomplete());
}

#[test]
fn reasoning_around_and_calls_inside_it_are_ignored() {
    let inside = block(&[v31_call("rm", "{}")]);
    let raw = format!(
        "<think>I could {inside} but no.</think>Fine.{}",
        block(&[v31_call("ls", "{}")])
    );
    let out = ok(&v31(), &raw);
    assert_eq!(names(&out), ["ls"]);
    assert_eq!(out.reasoning, format!("I could {inside} but no."));
    assert_eq!(out.text, "Fine.");
}

#[test]
fn v31_output_starting_mid_reasoning() {
    let raw = format!(
        "The user wants Tokyo weather.</think>Let me look.{}",
        block(&[v31_call("get_weather", r#"{"city": "Tokyo"}"#)])
    );
    let out = ok(&v31().starting_in_reasoning(true), &raw);
    assert_eq!(out.reasoning, "The user wants Tokyo weather.");
    assert_eq!(out.text, "Let me look.");
    assert_eq!(names(&out), ["get_weather"]);
    // Without the setting, the stray closing tag is plain text.
    let out = ok(&v31(), &raw);
    assert_eq!(out.reasoning, "");
    assert!(
        out.text
            .starts_with("The user wants Tokyo weather.</think>")
    );
    // Cut off while still reasoning: no call, nothing visible.
    let out = ok(
        &v31().starting_in_reasoning(true),
        "Still thinking about it",
    );
    assert_eq!(out.reasoning, "Still thinking about it");
    assert!(out.calls.is_empty() && out.text.is_empty());
}

#[test]
fn misspelled_openers_and_separators() {
    let call = v3_call("f", r#"{"a": 1}"#);
    for opener in [
        "<｜tool_calls_begin｜>",
        "<｜tool calls begin｜>",
        "<｜tool▁calls｜>",
    ] {
        let out = ok(&v3(), &format!("{opener}{call}{CALLS_END}"));
        assert_eq!(names(&out), ["f"], "{opener}");
        assert_eq!(out.text, "");
    }
    let ascii = "<｜tool_calls_begin｜><｜tool_call_begin｜>f<｜tool_sep｜>{}<｜tool_call_end｜><｜tool_calls_end｜>";
    let out = ok(&v31(), ascii);
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, "");
}

#[test]
fn v3_reads_both_layouts_and_v31_only_its_own() {
    let v31_block = block(&[v31_call("f", r#"{"a": 1}"#)]);
    let out = ok(&v3(), &v31_block);
    assert_eq!(names(&out), ["f"]);
    // V3.1 leaves a V3 block as text.
    let v3_block = block(&[v3_call("f", r#"{"a": 1}"#)]);
    let out = ok(&v31(), &v3_block);
    assert!(out.calls.is_empty());
    assert_eq!(out.text, v3_block);
    // Auto-detection names each version.
    let auto = TextNormalizer::auto();
    assert_eq!(ok(&auto, &v3_block).format, Some("deepseek_v3"));
    assert_eq!(ok(&auto, &v31_block).format, Some("deepseek_v31"));
    let hinted = TextNormalizer::auto_for_model("deepseek-ai/DeepSeek-V3.1-Terminus");
    assert_eq!(hinted.preferred_format(), Some("deepseek_v31"));
    let hinted = TextNormalizer::auto_for_model("deepseek-ai/DeepSeek-R1-0528");
    assert_eq!(hinted.preferred_format(), Some("deepseek_v3"));
}

#[test]
fn loose_variants() {
    // No fence around the V3 arguments.
    let raw = format!("{CALLS}{CALL}function{SEP}f\n{{\"a\": 1}}{CALL_END}{CALLS_END}");
    assert_eq!(ok(&v3(), &raw).calls[0].invocation.args, json!({"a": 1}));
    // A bare fence without a language tag.
    let raw = format!("{CALLS}{CALL}function{SEP}f\n```\n{{}}\n```{CALL_END}{CALLS_END}");
    assert_eq!(names(&ok(&v3(), &raw)), ["f"]);
    // A call without the surrounding block, followed by text.
    let raw = format!("x {} y", v31_call("f", "{}"));
    let out = ok(&v31(), &raw);
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, "x  y");
    // The closing token never came: fine at the end of the output, and
    // text after the last call ends the block.
    let raw = format!("{CALLS}{}", v31_call("f", "{}"));
    assert_eq!(names(&ok(&v31(), &raw)), ["f"]);
    let raw = format!("{CALLS}{}\nthen text", v31_call("f", "{}"));
    let out = ok(&v31(), &raw);
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, "\nthen text");
    // An empty block.
    let out = ok(&v31(), &format!("a{CALLS}{CALLS_END}b"));
    assert!(out.calls.is_empty());
    assert_eq!(out.text, "ab");
}

#[test]
fn an_opener_in_prose_is_text() {
    let raw = format!("The token {CALLS} starts a block.");
    let out = ok(&v3(), &raw);
    assert!(out.calls.is_empty());
    assert_eq!(out.text, raw);
}

#[test]
fn malformed_input_is_a_typed_error_with_an_offset() {
    // Bad JSON inside the fence.
    let raw = format!("ab{}", block(&[v3_call("f", r#"{"a": tru}"#)]));
    let e = err(&v3(), &raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    let json_at = raw.find("{\"a\"").unwrap();
    assert!(e.offset().unwrap() >= json_at, "{e}");
    // Doubled arguments.
    let raw = block(&[v31_call("f", r#"{"a": 1}{"a": 1}"#)]);
    let e = err(&v31(), &raw);
    let second = raw.rfind("{\"a\"").unwrap();
    assert!(
        matches!(e, NormalizeError::ConcatenatedArguments { offset, ref tool, .. } if offset == second && tool == "f"),
        "{e:?}"
    );
    // Duplicate key.
    let e = err(&v31(), &block(&[v31_call("f", r#"{"a": 1, "a": 2}"#)]));
    assert!(
        matches!(e, NormalizeError::DuplicateKey { ref key, .. } if key == "a"),
        "{e:?}"
    );
    // A second call with no separator.
    let raw = block(&[v31_call("f", "{}"), format!("{CALL}g!{CALL_END}")]);
    let e = err(&v31(), &raw);
    assert!(
        matches!(e, NormalizeError::Malformed { offset, .. } if offset == raw.find('!').unwrap()),
        "{e:?}"
    );
    // An empty tool name.
    let raw = block(&[v31_call("", "{}")]);
    let e = err(&v31(), &raw);
    assert!(
        matches!(e, NormalizeError::InvalidToolName { offset, .. } if offset == CALLS.len()),
        "{e:?}"
    );
}

#[test]
fn streaming_announces_the_call_and_its_arguments() {
    let raw = block(&[
        v31_call("get_weather", r#"{"city": "Paris", "days": 3}"#),
        v31_call("b", "{}"),
    ]);
    let (name, id, deltas) = announced(&streamed(&v31(), &raw));
    assert_eq!(name, "get_weather");
    assert_eq!(id, None);
    assert!(!deltas.is_empty(), "no argument deltas");
    let args: &str = r#"{"city": "Paris", "days": 3}"#;
    assert!(args.starts_with(&deltas), "{deltas:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(400)) {
        let raw = format!(
            "Hi <think>hmm {}</think>ok {} and {}.",
            v31_call("x", "{}"),
            block(&[v3_call("a", r#"{"s": "é<｜tool▁call▁end｜>"}"#), v3_call("b", "{}")]),
            block(&[v31_call("c", r#"{"n": [1, {"m": null}]}"#)]),
        );
        prop_chunkings(&v3(), &raw, &cuts);
    }
}
