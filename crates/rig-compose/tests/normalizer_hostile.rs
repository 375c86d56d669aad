//! Hostile model output: the normalizers must return a located
//! `NormalizerFailed` error (or calls), never panic, overflow the stack or
//! take unbounded time.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rig_compose::KernelError;
use rig_compose::normalizer::{
    LfmNormalizer, MAX_INPUT_BYTES, MAX_NESTING_DEPTH, StructuredToolCallNormalizer,
    ToolCallNormalizer,
};
use serde_json::{Value, json};

const START: &str = "<|tool_call_start|>";
const END: &str = "<|tool_call_end|>";

fn lfm_error(raw: &str) -> String {
    match LfmNormalizer.normalize(raw) {
        Err(KernelError::NormalizerFailed(message)) => message,
        other => panic!("expected NormalizerFailed, got {other:?}"),
    }
}

/// Run `f` on a thread with a deliberately small stack (512 KiB, a quarter
/// of a default Rust thread's), so that unbounded recursion would crash the
/// test instead of passing by luck. Recursion bounded by
/// `MAX_NESTING_DEPTH` fits even in unoptimized builds.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_hundred_thousand_nested_brackets_are_rejected_without_recursing() {
    for (open, close) in [("[", "]"), ("{'k': ", "}")] {
        let nested = format!("{}1{}", open.repeat(100_000), close.repeat(100_000));
        let raw = format!("{START}[deep(arg={nested})]{END}");
        let started = Instant::now();
        let message = on_small_stack(move || lfm_error(&raw));
        // Work is O(length x MAX_NESTING_DEPTH): well under a second in
        // release builds. The bound is loose for unoptimized builds on busy
        // machines; it only has to catch a quadratic blow-up.
        assert!(started.elapsed() < Duration::from_secs(60));
        assert!(message.contains("tool `deep`"), "{message}");
        assert!(
            message.contains(&format!("nested deeper than {MAX_NESTING_DEPTH} levels")),
            "{message}"
        );
    }
    // Parentheses are not literals: the published parser takes the whole
    // thing as a bare-word string, and so do we, without recursing.
    let nested = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let raw = format!("{START}[deep(arg={nested})]{END}");
    let calls = on_small_stack(move || LfmNormalizer.normalize(&raw).unwrap());
    assert_eq!(calls[0].args["arg"].as_str().map(str::len), Some(200_001));
    // Bare braces: the outer dict's only entry has no top-level ':'.
    let raw = format!(
        "{START}[deep(arg={}{})]{END}",
        "{".repeat(100_000),
        "}".repeat(100_000)
    );
    let message = on_small_stack(move || lfm_error(&raw));
    assert!(message.contains("object entry without ':'"), "{message}");
    // Unbalanced: only openers.
    let raw = format!("{START}[deep(arg={})]{END}", "[".repeat(100_000));
    let message = on_small_stack(move || lfm_error(&raw));
    assert!(message.contains("unterminated list literal"), "{message}");
}

#[test]
fn nesting_up_to_the_limit_still_parses() {
    let nested = format!(
        "{}1{}",
        "[".repeat(MAX_NESTING_DEPTH),
        "]".repeat(MAX_NESTING_DEPTH)
    );
    let raw = format!("{START}[deep(arg={nested})]{END}");
    let calls = on_small_stack(move || LfmNormalizer.normalize(&raw).unwrap());
    let mut value = &calls[0].args["arg"];
    for _ in 0..MAX_NESTING_DEPTH {
        value = &value[0];
    }
    assert_eq!(value, &json!(1));
}

#[test]
fn a_fifty_megabyte_input_is_rejected_quickly() {
    let raw = format!("{START}[f(x='{}')]{END}", "a".repeat(50 * 1024 * 1024));
    let started = Instant::now();
    let message = lfm_error(&raw);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        message.contains("exceeds the limit of 16777216 bytes"),
        "{message}"
    );
    assert!(
        message.contains(&format!("(at byte {MAX_INPUT_BYTES})")),
        "{message}"
    );
    // Just under the limit is fine, and linear.
    let body = "a".repeat(MAX_INPUT_BYTES - 100);
    let raw = format!("{START}[f(x='{body}')]{END}");
    let started = Instant::now();
    let calls = LfmNormalizer.normalize(&raw).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(calls[0].args["x"].as_str().unwrap().len(), body.len());
}

#[test]
fn markers_cut_inside_multibyte_characters() {
    // Text that is almost a marker, with multi-byte characters right where
    // the marker breaks off, is prose.
    for raw in [
        "<|tool_call_stä".to_owned(),
        "<|tool_call_€rt|>".to_owned(),
        format!("{}é{}", &START[..10], &START[10..]),
        "日本<|tool_ca日本".to_owned(),
        "<".repeat(1000) + "é",
    ] {
        assert!(LfmNormalizer.normalize(&raw).unwrap().is_empty(), "{raw:?}");
    }
    // A real start marker followed by a cut end marker is unclosed.
    let raw = format!("é{START}[f(x='ü')]{}ö", &END[..9]);
    let message = lfm_error(&raw);
    assert!(
        message.contains("unclosed <|tool_call_start|> marker (at byte 2)"),
        "{message}"
    );
    // Multi-byte text around every delimiter is handled on boundaries.
    let raw = format!("{START}[é(x=1)]{END}");
    assert!(lfm_error(&raw).contains("invalid tool name: \"é\""));
    let raw = format!("{START}[f(x=日本, y='ü,ö', z=[ä])]{END}");
    let calls = LfmNormalizer.normalize(&raw).unwrap();
    assert_eq!(calls[0].args, json!({"x": "日本", "y": "ü,ö", "z": ["ä"]}));
}

#[test]
fn unterminated_quotes_and_other_breakage_are_located() {
    let cases = [
        ("[f(x='abc)]", "unterminated single-quoted string", 24),
        ("[f(x=\"abc)]", "unterminated double-quoted string", 24),
        // The escaped quote does not close the string, which then swallows
        // the rest of the arguments.
        (
            "[f(x='abc\\', y=1)]",
            "unterminated single-quoted string",
            24,
        ),
        ("[f(x={'a': 1)]", "unterminated object literal", 24),
        ("[f(x=1]", "missing closing ')'", 20),
        ("[f(x=1), g]", "expected '(' in call: \"g\"", 28),
        ("[f(x=inf)]", "non-finite float", 24),
    ];
    for (block, problem, offset) in cases {
        let message = lfm_error(&format!("{START}{block}{END}"));
        assert!(message.contains(problem), "{block}: {message}");
        assert!(
            message.contains(&format!("at byte {offset}")),
            "{block}: {message}"
        );
    }
}

#[test]
fn excerpts_in_messages_are_bounded() {
    let junk = "x".repeat(10_000);
    let message = lfm_error(&format!("{START}[{junk}]{END}"));
    assert!(message.len() < 400, "{} bytes", message.len());
    assert!(message.contains("more bytes)"), "{message}");
}

#[test]
fn structured_arguments_are_bounded_too() {
    type N = StructuredToolCallNormalizer;
    // 100k nested brackets inside a JSON arguments string: serde_json's own
    // recursion limit answers, as a located normalizer error.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let value = json!({"type": "function_call", "name": "deep", "arguments": deep});
    let err = on_small_stack(move || N::normalize(&value).unwrap_err().to_string());
    assert!(err.contains("recursion limit exceeded"), "{err}");
    assert!(err.contains("tool `deep`"), "{err}");

    // A 50 MB arguments string is refused before parsing.
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(50 * 1024 * 1024));
    let value = json!({"function": {"name": "big", "arguments": big}});
    let started = Instant::now();
    let err = N::normalize(&value).unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(err.contains("exceeds the limit"), "{err}");

    // A programmatically built, absurdly deep arguments value is refused
    // instead of being cloned recursively.
    let mut args = json!(0);
    for _ in 0..100_000 {
        args = Value::Array(vec![args]);
    }
    let value = json!({"function": {"name": "deep", "arguments": null}});
    let mut value = value;
    value["function"]["arguments"] = args;
    let (err, value) = on_small_stack(move || {
        let err = N::normalize(&value).unwrap_err().to_string();
        (err, value)
    });
    assert!(
        err.contains("arguments nested deeper than 128 levels"),
        "{err}"
    );
    dismantle(value);
}

/// Drop a deeply nested value iteratively (the default drop would recurse).
fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Arbitrary text inside markers: an answer, never a panic; errors are
    /// always `NormalizerFailed` and carry an in-range offset.
    #[test]
    fn lfm_never_panics(body in "\\PC{0,80}", structural in "[\\[\\](){}'\",=:\\\\ a1é]{0,80}") {
        for inner in [&body, &structural] {
            let raw = format!("pre {START}{inner}{END} post");
            match LfmNormalizer.normalize(&raw) {
                Ok(_) => {}
                Err(KernelError::NormalizerFailed(message)) => {
                    let offset: usize = message
                        .rsplit("at byte ")
                        .next()
                        .and_then(|tail| tail.split([',', ')']).next())
                        .and_then(|n| n.parse().ok())
                        .unwrap();
                    prop_assert!(offset <= raw.len(), "{message}");
                }
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }
    }

    /// Arbitrary bytes, decoded lossily, anywhere (not only inside markers).
    #[test]
    fn lfm_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = LfmNormalizer.normalize(&text);
        let _ = LfmNormalizer.normalize(&format!("{START}{text}"));
        let _ = LfmNormalizer.normalize(&format!("{START}[f({text})]{END}"));
    }
}
