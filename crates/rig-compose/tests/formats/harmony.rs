//! gpt-oss Harmony: one region per message; analysis is reasoning, final
//! is text, a message with a recipient is a call.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn harmony() -> TextNormalizer {
    normalizer("harmony")
}

fn call(name: &str, args: &str) -> String {
    format!(
        "<|start|>assistant<|channel|>commentary to=functions.{name} <|constrain|>json<|message|>{args}<|call|>"
    )
}

#[test]
fn aliases_resolve() {
    for alias in ["openai", "gpt_oss", "GPT-OSS"] {
        assert_eq!(normalizer(alias).preferred_format(), Some("harmony"));
    }
    let hinted = TextNormalizer::auto_for_model("openai/gpt-oss-120b");
    assert_eq!(hinted.preferred_format(), Some("harmony"));
}

#[test]
fn analysis_then_one_call() {
    let raw = format!(
        "<|channel|>analysis<|message|>Need weather.<|end|>{}",
        call("get_weather", r#"{"city":"Paris"}"#)
    );
    let out = ok(&harmony(), &raw);
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.reasoning, "Need weather.");
    assert_eq!(out.text, "");
    assert_eq!(ok(&TextNormalizer::auto(), &raw).format, Some("harmony"));
}

#[test]
fn parallel_calls_and_a_final_answer() {
    let raw = format!(
        "<|start|>assistant<|channel|>analysis<|message|>Two cities.<|end|>{}{}<|start|>assistant<|channel|>final<|message|>Checking both.<|return|>",
        call("get_weather", r#"{"city":"Paris"}"#),
        call("get_weather", r#"{"city":"Tokyo"}"#),
    );
    let out = ok(&harmony(), &raw);
    assert_eq!(names(&out), ["get_weather", "get_weather"]);
    assert_eq!(out.calls[1].invocation.args["city"], "Tokyo");
    assert_eq!(out.text, "Checking both.");
    assert_eq!(out.reasoning, "Two cities.");
}

#[test]
fn final_messages_are_text_whatever_ends_them() {
    for raw in [
        "<|channel|>final<|message|>Sunny, 21 °C.<|return|>",
        "<|channel|>final<|message|>Sunny, 21 °C.<|end|>",
        "<|start|>assistant<|channel|>final<|message|>Sunny, 21 °C.",
    ] {
        let out = ok(&harmony(), raw);
        assert_eq!(out.text, "Sunny, 21 °C.", "{raw}");
        assert!(out.calls.is_empty() && out.reasoning.is_empty());
    }
    // Commentary without a recipient is a preamble shown to the user.
    let out = ok(
        &harmony(),
        "<|channel|>commentary<|message|>Let me look that up.<|end|>",
    );
    assert_eq!(out.text, "Let me look that up.");
}

#[test]
fn text_outside_messages_is_kept() {
    let raw = format!("Before {} after", call("f", "{}"));
    let out = ok(&harmony(), &raw);
    assert_eq!(names(&out), ["f"]);
    assert_eq!(out.text, "Before  after");
}

#[test]
fn recipient_before_the_channel() {
    let raw = "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{\"city\": \"Oslo\"}<|call|>";
    let out = ok(&harmony(), raw);
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Oslo"}));
}

#[test]
fn calls_on_the_analysis_channel_and_builtin_tools() {
    let raw = "<|channel|>analysis<|message|>Search first.<|end|><|start|>assistant<|channel|>analysis to=browser.search code<|message|>{\"query\": \"weather\"}<|call|>";
    let out = ok(&harmony(), raw);
    assert_eq!(names(&out), ["browser.search"]);
    assert_eq!(out.calls[0].invocation.args, json!({"query": "weather"}));
    assert_eq!(out.reasoning, "Search first.");
    // A code body is passed on as a string.
    let raw = "<|channel|>analysis to=python code<|message|>print(sum({1: 2}))<|call|>";
    let out = ok(&harmony(), raw);
    assert_eq!(names(&out), ["python"]);
    assert_eq!(out.calls[0].invocation.args, json!("print(sum({1: 2}))"));
}

#[test]
fn bare_constraint_and_names_without_prefix() {
    let raw = "<|start|>assistant<|channel|>commentary to=get_weather json<|message|>{\"city\": \"Rome\"}<|call|>";
    let out = ok(&harmony(), raw);
    assert_eq!(names(&out), ["get_weather"]);
    let raw = "<|channel|>commentary to=functions.lookup<|constrain|>json<|message|> {}\n<|call|>";
    let out = ok(&harmony(), raw);
    assert_eq!(names(&out), ["lookup"]);
    assert_eq!(out.calls[0].invocation.args, json!({}));
}

#[test]
fn stop_tokens_left_out_by_the_server() {
    // The call's `<|call|>` stop token is not part of the output.
    let raw = "<|channel|>analysis<|message|>ok<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\": 1}";
    let out = ok(&harmony(), raw);
    assert_eq!(names(&out), ["f"]);
    // A message whose `<|end|>` is missing ends at the next message.
    let raw =
        "<|channel|>analysis<|message|>thinking<|start|>assistant<|channel|>final<|message|>done";
    let out = ok(&harmony(), raw);
    assert_eq!(out.reasoning, "thinking");
    assert_eq!(out.text, "done");
}

#[test]
fn nested_braces_quotes_and_end_tokens_inside_strings() {
    let args =
        r#"{"code": "if (a) { b(\"}\"); } <|call|><|end|><|start|>", "n": {"d": [{"e": "]"}]}}"#;
    let out = ok(&harmony(), &call("run", args));
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "if (a) { b(\"}\"); } <|call|><|end|><|start|>", "n": {"d": [{"e": "]"}]}})
    );
}

#[test]
fn unicode_everywhere() {
    let raw = format!(
        "<|channel|>analysis<|message|>東京の天気 🌧<|end|>{}<|channel|>final<|message|>Ça marche ✓<|return|>",
        call("get_weather", r#"{"city": "東京"}"#)
    );
    let out = ok(&harmony(), &raw);
    assert_eq!(out.reasoning, "東京の天気 🌧");
    assert_eq!(out.calls[0].invocation.args["city"], "東京");
    assert_eq!(out.text, "Ça marche ✓");
}

#[test]
fn truncated_call_is_incomplete() {
    let full = call("get_weather", r#"{"city": "Paris"}"#);
    let cut = full.find("Par").unwrap();
    let e = err(
        &harmony(),
        &format!("<|channel|>analysis<|message|>x<|end|>{}", &full[..cut]),
    );
    let NormalizeError::Incomplete {
        partial, offset, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, "<|channel|>analysis<|message|>x<|end|>".len());
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, r#"{"city": ""#);
    // Cut inside the header.
    assert!(err(&harmony(), "<|start|>assistant<|channel|>comm").is_incomplete());
}

#[test]
fn think_tags_are_plain_text_and_reasoning_surrounds_calls() {
    let raw = format!(
        "<|channel|>analysis<|message|>Use <think> literally.<|end|>{}<|channel|>analysis<|message|>Got it.<|end|>",
        call("f", "{}")
    );
    let out = ok(&harmony(), &raw);
    assert_eq!(out.reasoning, "Use <think> literally.Got it.");
    assert_eq!(names(&out), ["f"]);
    let out = ok(&harmony(), "<think>not reasoning</think>");
    assert_eq!(out.text, "<think>not reasoning</think>");
}

#[test]
fn tokens_in_prose_are_text() {
    let raw = "Write <|channel|>, then the channel name.\nOr <|start|> alone!";
    let out = ok(&harmony(), raw);
    assert!(out.calls.is_empty());
    assert_eq!(out.text, raw);
    // Header-like words up to the end of the output could be a header cut
    // off by max_tokens: that is reported, not guessed.
    assert!(err(&harmony(), "Or <|start|> alone").is_incomplete());
}

#[test]
fn malformed_input_is_a_typed_error_with_an_offset() {
    let raw = call("f", r#"{"a": tru}"#);
    let e = err(&harmony(), &raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() >= raw.find("{\"a\"").unwrap(), "{e}");
    let raw = call("f", r#"{"a": 1}{"a": 1}"#);
    let e = err(&harmony(), &raw);
    assert!(
        matches!(e, NormalizeError::ConcatenatedArguments { offset, .. } if offset == raw.rfind("{\"a\"").unwrap()),
        "{e:?}"
    );
    // A json content type with a body that is not JSON.
    let raw = call("f", "city=Paris");
    let e = err(&harmony(), &raw);
    assert!(
        matches!(e, NormalizeError::Malformed { offset, .. } if offset == raw.find("city=").unwrap()),
        "{e:?}"
    );
    // A recipient that is not a tool name.
    let e = err(
        &harmony(),
        "<|channel|>commentary to=functions.a:b json<|message|>{}<|call|>",
    );
    assert!(matches!(e, NormalizeError::InvalidToolName { .. }), "{e:?}");
}

#[test]
fn streaming_announces_the_call_and_its_arguments() {
    // Long enough that argument text streams before the message ends (a
    // pending call's arguments are re-read every few hundred bytes).
    let args = format!(r#"{{"city": "Paris", "note": "{}"}}"#, "x".repeat(1200));
    let raw = call("get_weather", &args);
    let (name, id, deltas) = announced(&streamed(&harmony(), &raw));
    assert_eq!(name, "get_weather");
    assert_eq!(id, None);
    assert!(!deltas.is_empty(), "no argument deltas");
    assert!(args.starts_with(&deltas), "{deltas:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(420)) {
        let raw = format!(
            "<|channel|>analysis<|message|>Plan é.<|end|>{}{}<|start|>assistant<|channel|>final<|message|>Done <|return|>",
            call("a", r#"{"s": "<|call|>"}"#),
            "<|start|>assistant to=functions.b<|channel|>commentary json<|message|>{\"n\": [1, {\"m\": null}]}<|call|>",
        );
        prop_chunkings(&harmony(), &raw, &cuts);
    }
}
