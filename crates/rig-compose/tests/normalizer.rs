//! The normalizers through the public API, on realistic model output, and
//! feeding the dispatch loop.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;

use rig_compose::normalizer::{self, MAX_INPUT_BYTES, MAX_NESTING_DEPTH};
use rig_compose::{
    KernelError, LfmNormalizer, LocalTool, StructuredToolCallNormalizer, ToolCallNormalizer,
    ToolInvocation, ToolRegistry, ToolSchema, dispatch_tool_invocations,
};
use serde_json::{Value, json};

fn lfm(raw: &str) -> Vec<ToolInvocation> {
    LfmNormalizer.normalize(raw).unwrap()
}

fn pairs(calls: &[ToolInvocation]) -> Vec<(&str, &Value)> {
    calls.iter().map(|c| (c.name.as_str(), &c.args)).collect()
}

#[test]
fn limits_are_public_and_documented_values() {
    assert_eq!(MAX_NESTING_DEPTH, 128);
    assert_eq!(MAX_INPUT_BYTES, 16 * 1024 * 1024);
    assert_eq!(normalizer::limits::MAX_NESTING_DEPTH, MAX_NESTING_DEPTH);
}

#[test]
fn lfm_transcript_with_reasoning_and_two_blocks() {
    let raw = "<think>The user wants weather and a reminder.</think>\n\
        Sure, checking now.\n\
        <|tool_call_start|>[get_weather(city=\"São Paulo\", days=3, hourly=False)]<|tool_call_end|>\n\
        <|tool_call_start|>[set_reminder(at='2024-07-01T09:00', text='Pack umbrella, maybe', tags=['travel', \"todo\"])]<|tool_call_end|>\n\
        Done.";
    let calls = lfm(raw);
    assert_eq!(
        pairs(&calls),
        [
            (
                "get_weather",
                &json!({"city": "São Paulo", "days": 3, "hourly": false})
            ),
            (
                "set_reminder",
                &json!({"at": "2024-07-01T09:00", "text": "Pack umbrella, maybe", "tags": ["travel", "todo"]})
            ),
        ]
    );
    assert!(LfmNormalizer.is_applicable(raw));
}

#[test]
fn lfm_value_forms_seen_in_the_wild() {
    let raw = "<|tool_call_start|>[run(cmd='echo \\'hi\\'', month=07, ratio=-1.5e-3, \
        empty='', nothing=None, flag=True, path=/tmp/x, nested={'a': {'b': [1, [2, 3]]}})]\
        <|tool_call_end|>";
    let calls = lfm(raw);
    assert_eq!(
        calls[0].args,
        json!({
            "cmd": "echo 'hi'",
            "month": 7,
            "ratio": -0.0015,
            "empty": "",
            "nothing": null,
            "flag": true,
            "path": "/tmp/x",
            "nested": {"a": {"b": [1, [2, 3]]}},
        })
    );
}

#[test]
fn lfm_errors_are_normalizer_failures_with_location() {
    for (raw, fragment) in [
        (
            "<|tool_call_start|>[lookup(id=1)",
            "unclosed <|tool_call_start|> marker (at byte 0)",
        ),
        (
            "ok <|tool_call_start|>[lookup(id=1, id=2)]<|tool_call_end|>",
            "LFM: duplicate kwarg: id (at byte 36, tool `lookup`)",
        ),
        (
            "<|tool_call_start|>[lookup id]<|tool_call_end|>",
            "LFM: expected '(' in call: \"lookup id\" (at byte 20)",
        ),
    ] {
        let err = LfmNormalizer.normalize(raw).unwrap_err();
        assert!(matches!(err, KernelError::NormalizerFailed(_)), "{err:?}");
        assert!(err.to_string().contains(fragment), "{err}");
    }
}

#[test]
fn normalizers_work_as_trait_objects() {
    let boxed: Vec<Arc<dyn ToolCallNormalizer>> = vec![Arc::new(LfmNormalizer)];
    let raw = "<|tool_call_start|>ping()<|tool_call_end|>";
    assert_eq!(boxed[0].normalize(raw).unwrap()[0].name, "ping");
    assert!(!boxed[0].is_applicable("<|tool_call_end|>"));
}

#[test]
fn structured_responses_and_chat_in_one_call() {
    let responses = json!({
        "id": "resp_1",
        "output": [
            {"type": "reasoning", "summary": []},
            {"type": "function_call", "call_id": "c1", "name": "search.docs",
             "arguments": "{\"query\": \"tool calls\", \"k\": 5}"},
            {"type": "function_call", "call_id": "c2", "name": "noop", "arguments": ""},
        ]
    });
    let calls = StructuredToolCallNormalizer::normalize(&responses).unwrap();
    assert_eq!(
        pairs(&calls),
        [
            ("search.docs", &json!({"query": "tool calls", "k": 5})),
            ("noop", &json!({})),
        ]
    );

    let chat = json!({
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}},
                {"id": "b", "type": "function", "function": {"name": "g", "arguments": {"y": [2]}}}
            ]}},
            {"index": 1, "message": {"role": "assistant", "content": "text only"}}
        ]
    });
    let calls = StructuredToolCallNormalizer::normalize(&chat).unwrap();
    assert_eq!(
        pairs(&calls),
        [("f", &json!({"x": 1})), ("g", &json!({"y": [2]}))]
    );
    assert!(
        StructuredToolCallNormalizer::normalize(&json!({"content": "hi"}))
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn one_tool_loop_turn_from_model_text_to_grounded_answer() {
    let tools = ToolRegistry::new();
    tools.register(Arc::new(LocalTool::new(
        ToolSchema {
            name: "get_weather".into(),
            description: "current weather for a city".into(),
            args_schema: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            result_schema: json!({"type": "object"}),
        },
        |args| async move {
            let city = args["city"].as_str().unwrap_or("nowhere").to_owned();
            Ok(json!({"city": city, "forecast": "light rain"}))
        },
    )));

    let first_turn =
        "Let me check.\n<|tool_call_start|>[get_weather(city='Bergen')]<|tool_call_end|>";
    let calls = LfmNormalizer.normalize(first_turn).unwrap();
    let results = dispatch_tool_invocations(&tools, &calls).await.unwrap();
    let answer = results
        .iter()
        .map(|r| {
            format!(
                "{}: {}",
                r.output["city"].as_str().unwrap(),
                r.output["forecast"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    assert_eq!(answer, "Bergen: light rain");
    assert_eq!(results[0].invocation, calls[0]);
}
