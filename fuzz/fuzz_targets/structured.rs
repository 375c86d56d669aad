//! Any JSON value, and any text as an `arguments` string: the structured
//! normalizer must answer without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rig_compose::KernelError;
use rig_compose::normalizer::StructuredToolCallNormalizer as N;
use serde_json::{Value, json};

fn check(value: &Value) {
    for result in [
        N::normalize(value),
        N::normalize_openai_responses(value),
        N::normalize_openai_chat_completions(value),
    ] {
        match result {
            Ok(_) | Err(KernelError::NormalizerFailed(_)) => {}
            Err(other) => panic!("unexpected error kind: {other:?}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        check(&value);
        check(&json!({"output": [value.clone()]}));
        check(&json!({"choices": [{"message": {"tool_calls": [value]}}]}));
    }
    let text = String::from_utf8_lossy(data);
    check(&json!({"type": "function_call", "name": "f", "arguments": text}));
    check(&json!({"function": {"name": text, "arguments": text}}));
});
