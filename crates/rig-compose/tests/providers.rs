//! Provider JSON shapes, whole and streamed.
//!
//! Every response is described once ([`Resp`]) and rendered both as the
//! provider's whole payload and as its stream events, with the argument
//! text cut into fragments in every way tested. Folding the stream events
//! must give exactly what the whole payload gives, and both must give what
//! the description says.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use proptest::prelude::*;
use rig_compose::normalizer::{
    MAX_INPUT_BYTES, MAX_NESTING_DEPTH, NormalizeError, Normalized, Provider, ProviderStream,
    StreamEvent, normalize_provider, normalize_provider_events,
};
use serde_json::{Value, json};

// ── Describing a response ─────────────────────────────────────────────────

#[derive(Debug, Clone)]
struct Call {
    name: &'static str,
    id: &'static str,
    /// Argument JSON text, as OpenAI would send it.
    args: String,
}

#[derive(Debug, Clone, Default)]
struct Resp {
    reasoning: String,
    text: String,
    calls: Vec<Call>,
}

fn call(name: &'static str, id: &'static str, args: Value) -> Call {
    Call {
        name,
        id,
        args: args.to_string(),
    }
}

impl Call {
    fn value(&self) -> Value {
        serde_json::from_str(&self.args).unwrap()
    }
}

/// What a normalizer should report for `r` from provider `p`.
fn expected(p: Provider, r: &Resp) -> Outcome {
    Outcome {
        calls: r
            .calls
            .iter()
            .map(|c| {
                let id = (p != Provider::CohereV1).then(|| c.id.to_owned());
                (c.name.to_owned(), c.value(), id)
            })
            .collect(),
        text: r.text.clone(),
        reasoning: if p == Provider::CohereV1 {
            String::new()
        } else {
            r.reasoning.clone()
        },
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    calls: Vec<(String, Value, Option<String>)>,
    text: String,
    reasoning: String,
}

impl From<&Normalized> for Outcome {
    fn from(n: &Normalized) -> Self {
        Self {
            calls: n
                .calls
                .iter()
                .map(|c| {
                    (
                        c.invocation.name.clone(),
                        c.invocation.args.clone(),
                        c.id.clone(),
                    )
                })
                .collect(),
            text: n.text.clone(),
            reasoning: n.reasoning.clone(),
        }
    }
}

/// How a stream cuts and orders argument text: fragments per call, and the
/// order in which calls get their next fragment.
#[derive(Debug, Clone)]
struct Plan {
    frags: Vec<Vec<String>>,
    order: Vec<usize>,
}

impl Plan {
    /// Each call's arguments whole, one call after another.
    fn whole(r: &Resp) -> Self {
        Self::sequential(r.calls.iter().map(|c| vec![c.args.clone()]).collect())
    }

    fn sequential(frags: Vec<Vec<String>>) -> Self {
        let order = frags
            .iter()
            .enumerate()
            .flat_map(|(k, f)| std::iter::repeat_n(k, f.len()))
            .collect();
        Self { frags, order }
    }

    /// Fragments in plan order, as (call, fragment).
    fn steps(&self) -> Vec<(usize, String)> {
        let mut next = vec![0; self.frags.len()];
        self.order
            .iter()
            .map(|&k| {
                let frag = self.frags[k][next[k]].clone();
                next[k] += 1;
                (k, frag)
            })
            .collect()
    }
}

/// `text` cut at the given byte positions (moved down to char
/// boundaries); empty pieces dropped.
fn cut(text: &str, cuts: &[usize]) -> Vec<String> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|&c| {
            let mut c = c.min(text.len());
            while !text.is_char_boundary(c) {
                c -= 1;
            }
            c
        })
        .collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut from = 0;
    for p in points.into_iter().chain([text.len()]) {
        if p > from {
            out.push(text[from..p].to_owned());
            from = p;
        }
    }
    out
}

/// Text pieces for streaming visible text and reasoning.
fn pieces(text: &str) -> Vec<String> {
    let cuts: Vec<usize> = (1..text.len()).step_by(5).collect();
    cut(text, &cuts)
}

// ── Rendering: whole payloads ─────────────────────────────────────────────

fn whole(p: Provider, r: &Resp) -> Value {
    match p {
        Provider::OpenAiChat => {
            let calls: Vec<Value> = r
                .calls
                .iter()
                .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.args}}))
                .collect();
            let mut message = json!({"role": "assistant", "content": null});
            if !r.text.is_empty() {
                message["content"] = json!(r.text);
            }
            if !r.reasoning.is_empty() {
                message["reasoning_content"] = json!(r.reasoning);
            }
            if !calls.is_empty() {
                message["tool_calls"] = json!(calls);
            }
            json!({"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
                   "choices": [{"index": 0, "message": message,
                                "finish_reason": if r.calls.is_empty() { "stop" } else { "tool_calls" }}]})
        }
        Provider::OpenAiResponses => {
            let mut output = Vec::new();
            if !r.reasoning.is_empty() {
                output.push(json!({"type": "reasoning", "id": "rs_1",
                                   "summary": [{"type": "summary_text", "text": r.reasoning}]}));
            }
            if !r.text.is_empty() {
                output.push(json!({"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                                   "content": [{"type": "output_text", "text": r.text, "annotations": []}]}));
            }
            for (k, c) in r.calls.iter().enumerate() {
                output.push(
                    json!({"type": "function_call", "id": format!("fc_{k}"), "call_id": c.id,
                                   "name": c.name, "arguments": c.args, "status": "completed"}),
                );
            }
            json!({"id": "resp_1", "object": "response", "status": "completed", "output": output})
        }
        Provider::Anthropic => {
            let mut content = Vec::new();
            if !r.reasoning.is_empty() {
                content
                    .push(json!({"type": "thinking", "thinking": r.reasoning, "signature": "sig"}));
            }
            if !r.text.is_empty() {
                content.push(json!({"type": "text", "text": r.text}));
            }
            for c in &r.calls {
                content.push(
                    json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.value()}),
                );
            }
            json!({"id": "msg_1", "type": "message", "role": "assistant", "content": content,
                   "stop_reason": if r.calls.is_empty() { "end_turn" } else { "tool_use" }})
        }
        Provider::Gemini => {
            let mut parts = Vec::new();
            if !r.reasoning.is_empty() {
                parts.push(json!({"text": r.reasoning, "thought": true}));
            }
            if !r.text.is_empty() {
                parts.push(json!({"text": r.text}));
            }
            for c in &r.calls {
                parts
                    .push(json!({"functionCall": {"name": c.name, "args": c.value(), "id": c.id}}));
            }
            json!({"candidates": [{"index": 0, "finishReason": "STOP",
                                   "content": {"role": "model", "parts": parts}}]})
        }
        Provider::Ollama => {
            let calls: Vec<Value> = r
                .calls
                .iter()
                .enumerate()
                .map(|(k, c)| json!({"id": c.id, "function": {"index": k, "name": c.name, "arguments": c.value()}}))
                .collect();
            let mut message = json!({"role": "assistant", "content": r.text});
            if !r.reasoning.is_empty() {
                message["thinking"] = json!(r.reasoning);
            }
            if !calls.is_empty() {
                message["tool_calls"] = json!(calls);
            }
            json!({"model": "qwen3", "created_at": "2025-01-01T00:00:00Z", "message": message,
                   "done": true, "done_reason": "stop"})
        }
        Provider::CohereV2 => {
            let calls: Vec<Value> = r
                .calls
                .iter()
                .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.args}}))
                .collect();
            let mut message = json!({"role": "assistant"});
            if !r.text.is_empty() {
                message["content"] = json!([{"type": "text", "text": r.text}]);
            }
            if !r.reasoning.is_empty() {
                message["tool_plan"] = json!(r.reasoning);
            }
            if !calls.is_empty() {
                message["tool_calls"] = json!(calls);
            }
            json!({"id": "c1", "message": message,
                   "finish_reason": if r.calls.is_empty() { "COMPLETE" } else { "TOOL_CALL" }})
        }
        Provider::CohereV1 => {
            let calls: Vec<Value> = r
                .calls
                .iter()
                .map(|c| json!({"name": c.name, "parameters": c.value()}))
                .collect();
            json!({"text": r.text, "generation_id": "g1", "tool_calls": calls,
                   "finish_reason": "COMPLETE"})
        }
        _ => unreachable!(),
    }
}

// ── Rendering: streams ────────────────────────────────────────────────────

fn events(p: Provider, r: &Resp, plan: &Plan) -> Vec<Value> {
    let mut ev = Vec::new();
    match p {
        Provider::OpenAiChat => {
            let chunk = |delta: Value| {
                json!({"id": "c", "object": "chat.completion.chunk",
                                              "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
            };
            ev.push(chunk(json!({"role": "assistant", "content": ""})));
            for piece in pieces(&r.reasoning) {
                ev.push(chunk(json!({"reasoning_content": piece})));
            }
            for piece in pieces(&r.text) {
                ev.push(chunk(json!({"content": piece})));
            }
            for (k, c) in r.calls.iter().enumerate() {
                ev.push(chunk(json!({"tool_calls": [{"index": k, "id": c.id, "type": "function",
                                                     "function": {"name": c.name, "arguments": ""}}]})));
            }
            for (k, frag) in plan.steps() {
                ev.push(chunk(
                    json!({"tool_calls": [{"index": k, "function": {"arguments": frag}}]}),
                ));
            }
            ev.push(json!({"id": "c", "choices": [{"index": 0, "delta": {},
                "finish_reason": if r.calls.is_empty() { "stop" } else { "tool_calls" }}]}));
            ev.push(json!({"id": "c", "choices": [], "usage": {"total_tokens": 9}}));
        }
        Provider::OpenAiResponses => {
            ev.push(json!({"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1"}}));
            let mut out_index = 0;
            if !r.reasoning.is_empty() {
                ev.push(
                    json!({"type": "response.output_item.added", "output_index": out_index,
                               "item": {"type": "reasoning", "id": "rs_1", "summary": []}}),
                );
                for piece in pieces(&r.reasoning) {
                    ev.push(
                        json!({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1",
                                   "output_index": out_index, "summary_index": 0, "delta": piece}),
                    );
                }
                ev.push(
                    json!({"type": "response.reasoning_summary_text.done", "item_id": "rs_1",
                               "output_index": out_index, "summary_index": 0, "text": r.reasoning}),
                );
                out_index += 1;
            }
            if !r.text.is_empty() {
                ev.push(json!({"type": "response.output_item.added", "output_index": out_index,
                               "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []}}));
                ev.push(json!({"type": "response.content_part.added", "item_id": "msg_1", "output_index": out_index,
                               "content_index": 0, "part": {"type": "output_text", "text": ""}}));
                for piece in pieces(&r.text) {
                    ev.push(
                        json!({"type": "response.output_text.delta", "item_id": "msg_1",
                                   "output_index": out_index, "content_index": 0, "delta": piece}),
                    );
                }
                ev.push(
                    json!({"type": "response.output_text.done", "item_id": "msg_1",
                               "output_index": out_index, "content_index": 0, "text": r.text}),
                );
                ev.push(
                    json!({"type": "response.output_item.done", "output_index": out_index,
                               "item": {"type": "message", "id": "msg_1", "role": "assistant",
                                        "content": [{"type": "output_text", "text": r.text}]}}),
                );
                out_index += 1;
            }
            for (k, c) in r.calls.iter().enumerate() {
                ev.push(json!({"type": "response.output_item.added", "output_index": out_index + k,
                               "item": {"type": "function_call", "id": format!("fc_{k}"), "call_id": c.id,
                                        "name": c.name, "arguments": "", "status": "in_progress"}}));
            }
            for (k, frag) in plan.steps() {
                ev.push(json!({"type": "response.function_call_arguments.delta", "item_id": format!("fc_{k}"),
                               "output_index": out_index + k, "delta": frag}));
            }
            for (k, c) in r.calls.iter().enumerate() {
                ev.push(json!({"type": "response.function_call_arguments.done", "item_id": format!("fc_{k}"),
                               "output_index": out_index + k, "arguments": c.args}));
                ev.push(json!({"type": "response.output_item.done", "output_index": out_index + k,
                               "item": {"type": "function_call", "id": format!("fc_{k}"), "call_id": c.id,
                                        "name": c.name, "arguments": c.args, "status": "completed"}}));
            }
            ev.push(json!({"type": "response.completed", "response": {"id": "resp_1", "status": "completed"}}));
        }
        Provider::Anthropic => {
            ev.push(
                json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
                           "role": "assistant", "content": []}}),
            );
            let mut index = 0;
            if !r.reasoning.is_empty() {
                ev.push(json!({"type": "content_block_start", "index": index,
                               "content_block": {"type": "thinking", "thinking": ""}}));
                for piece in pieces(&r.reasoning) {
                    ev.push(json!({"type": "content_block_delta", "index": index,
                                   "delta": {"type": "thinking_delta", "thinking": piece}}));
                }
                ev.push(json!({"type": "content_block_delta", "index": index,
                               "delta": {"type": "signature_delta", "signature": "sig"}}));
                ev.push(json!({"type": "content_block_stop", "index": index}));
                index += 1;
            }
            if !r.text.is_empty() {
                ev.push(json!({"type": "content_block_start", "index": index,
                               "content_block": {"type": "text", "text": ""}}));
                ev.push(json!({"type": "ping"}));
                for piece in pieces(&r.text) {
                    ev.push(json!({"type": "content_block_delta", "index": index,
                                   "delta": {"type": "text_delta", "text": piece}}));
                }
                ev.push(json!({"type": "content_block_stop", "index": index}));
                index += 1;
            }
            for (k, c) in r.calls.iter().enumerate() {
                ev.push(json!({"type": "content_block_start", "index": index + k,
                               "content_block": {"type": "tool_use", "id": c.id, "name": c.name, "input": {}}}));
            }
            for (k, frag) in plan.steps() {
                ev.push(json!({"type": "content_block_delta", "index": index + k,
                               "delta": {"type": "input_json_delta", "partial_json": frag}}));
            }
            for k in 0..r.calls.len() {
                ev.push(json!({"type": "content_block_stop", "index": index + k}));
            }
            ev.push(
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {}}),
            );
            ev.push(json!({"type": "message_stop"}));
        }
        Provider::Gemini => {
            let chunk = |parts: Value| json!({"candidates": [{"index": 0, "content": {"role": "model", "parts": parts}}]});
            for piece in pieces(&r.reasoning) {
                ev.push(chunk(json!([{"text": piece, "thought": true}])));
            }
            for piece in pieces(&r.text) {
                ev.push(chunk(json!([{"text": piece}])));
            }
            // Parallel calls: the first alone, the rest together.
            let parts: Vec<Value> = r
                .calls
                .iter()
                .map(|c| json!({"functionCall": {"name": c.name, "args": c.value(), "id": c.id}}))
                .collect();
            if let Some((first, rest)) = parts.split_first() {
                ev.push(chunk(json!([first])));
                if !rest.is_empty() {
                    ev.push(chunk(json!(rest)));
                }
            }
            ev.push(json!({"candidates": [{"index": 0, "finishReason": "STOP",
                           "content": {"role": "model", "parts": [{"text": ""}]}}],
                           "usageMetadata": {"totalTokenCount": 3}}));
        }
        Provider::Ollama => {
            let chunk = |message: Value| json!({"model": "qwen3", "created_at": "t", "message": message, "done": false});
            for piece in pieces(&r.reasoning) {
                ev.push(chunk(
                    json!({"role": "assistant", "content": "", "thinking": piece}),
                ));
            }
            for piece in pieces(&r.text) {
                ev.push(chunk(json!({"role": "assistant", "content": piece})));
            }
            for (k, c) in r.calls.iter().enumerate() {
                ev.push(chunk(json!({"role": "assistant", "content": "", "tool_calls": [
                    {"id": c.id, "function": {"index": k, "name": c.name, "arguments": c.value()}}]})));
            }
            ev.push(json!({"model": "qwen3", "created_at": "t", "message": {"role": "assistant", "content": ""},
                           "done": true, "done_reason": "stop"}));
        }
        Provider::CohereV2 => {
            ev.push(json!({"type": "message-start", "id": "c1", "delta": {"message": {"role": "assistant"}}}));
            for piece in pieces(&r.reasoning) {
                ev.push(
                    json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}}),
                );
            }
            for (k, c) in r.calls.iter().enumerate() {
                ev.push(json!({"type": "tool-call-start", "index": k, "delta": {"message": {"tool_calls":
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": ""}}}}}));
            }
            for (k, frag) in plan.steps() {
                ev.push(json!({"type": "tool-call-delta", "index": k, "delta": {"message": {"tool_calls":
                    {"function": {"arguments": frag}}}}}));
            }
            for k in 0..r.calls.len() {
                ev.push(json!({"type": "tool-call-end", "index": k}));
            }
            if !r.text.is_empty() {
                ev.push(json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}}));
                for piece in pieces(&r.text) {
                    ev.push(json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": piece}}}}));
                }
                ev.push(json!({"type": "content-end", "index": 0}));
            }
            ev.push(json!({"type": "message-end", "delta": {"finish_reason": "TOOL_CALL"}}));
        }
        Provider::CohereV1 => {
            ev.push(
                json!({"event_type": "stream-start", "generation_id": "g1", "is_finished": false}),
            );
            let text_event = if r.calls.is_empty() {
                "text-generation"
            } else {
                "tool-calls-chunk"
            };
            for piece in pieces(&r.text) {
                ev.push(json!({"event_type": text_event, "text": piece, "is_finished": false}));
            }
            for (k, c) in r.calls.iter().enumerate() {
                ev.push(json!({"event_type": "tool-calls-chunk", "tool_call_delta": {"index": k, "name": c.name}}));
            }
            for (k, frag) in plan.steps() {
                ev.push(json!({"event_type": "tool-calls-chunk", "tool_call_delta": {"index": k, "parameters": frag}}));
            }
            if !r.calls.is_empty() {
                let calls: Vec<Value> = r
                    .calls
                    .iter()
                    .map(|c| json!({"name": c.name, "parameters": c.value()}))
                    .collect();
                ev.push(json!({"event_type": "tool-calls-generation", "text": r.text, "tool_calls": calls}));
            }
            ev.push(json!({"event_type": "stream-end", "finish_reason": "COMPLETE", "response": whole(p, r)}));
        }
        _ => unreachable!(),
    }
    ev
}

// ── Checks ────────────────────────────────────────────────────────────────

/// Providers whose streams carry argument text in fragments.
const FRAGMENTED: [Provider; 5] = [
    Provider::OpenAiChat,
    Provider::OpenAiResponses,
    Provider::Anthropic,
    Provider::CohereV2,
    Provider::CohereV1,
];

/// Stream `events`, checking the event protocol: indexes count up from 0
/// in finish order, every finished call was started first with the same
/// name, and argument deltas of a call add up to text that parses to its
/// arguments.
fn stream(p: Provider, events: &[Value]) -> Result<Normalized, NormalizeError> {
    let mut s = ProviderStream::new(p);
    let mut all = Vec::new();
    for e in events {
        all.extend(s.feed_event(e)?);
    }
    all.extend(s.finish()?);
    check_protocol(&all);
    let folded = Normalized::from_events(all);
    let helper = normalize_provider_events(p, events).unwrap();
    assert_eq!(helper.calls, folded.calls);
    assert_eq!(helper.format, Some(p.name()));
    Ok(folded)
}

fn check_protocol(all: &[StreamEvent]) {
    let mut started: Vec<(usize, String)> = Vec::new();
    let mut args: std::collections::HashMap<usize, String> = Default::default();
    let mut finished = Vec::new();
    for e in all {
        match e {
            StreamEvent::CallStarted { index, name, .. } => {
                assert!(!started.iter().any(|(i, _)| i == index), "started twice");
                started.push((*index, name.clone()));
            }
            StreamEvent::ArgumentsDelta { index, delta } => {
                assert!(
                    started.iter().any(|(i, _)| i == index),
                    "delta before start"
                );
                args.entry(*index).or_default().push_str(delta);
            }
            StreamEvent::CallFinished { index, call } => {
                let (_, name) = started
                    .iter()
                    .find(|(i, _)| i == index)
                    .expect("finished before start");
                assert_eq!(name, &call.invocation.name);
                if let Some(text) = args.get(index) {
                    let value: Value = serde_json::from_str(text).unwrap();
                    assert_eq!(value, call.invocation.args, "deltas of call {index}");
                }
                finished.push(*index);
            }
            _ => {}
        }
    }
    assert_eq!(finished, (0..finished.len()).collect::<Vec<_>>());
}

/// Whole and streamed (with `plan`) both give what `r` says.
fn check_plan(p: Provider, r: &Resp, plan: &Plan) -> Normalized {
    let want = expected(p, r);
    let whole_out = normalize_provider(p, &whole(p, r)).unwrap_or_else(|e| panic!("{p}: {e}"));
    assert_eq!(Outcome::from(&whole_out), want, "{p}: whole");
    assert_eq!(whole_out.format, Some(p.name()));
    let evs = events(p, r, plan);
    let streamed = stream(p, &evs).unwrap_or_else(|e| panic!("{p}: stream: {e}"));
    assert_eq!(Outcome::from(&streamed), want, "{p}: stream {plan:?}");
    whole_out
}

/// [`check_plan`] for every provider, with whole fragments and with one
/// fragment per character.
fn check_all(r: &Resp) {
    for p in Provider::ALL {
        check_plan(p, r, &Plan::whole(r));
        let chars = Plan::sequential(
            r.calls
                .iter()
                .map(|c| c.args.chars().map(String::from).collect())
                .collect(),
        );
        check_plan(p, r, &chars);
    }
}

fn weather(city: &str) -> Value {
    json!({"city": city, "units": "metric"})
}

fn sample() -> Resp {
    Resp {
        reasoning: "The user wants weather in two cities.".into(),
        text: "Let me check both.".into(),
        calls: vec![
            call("get_weather", "call_1", weather("Paris")),
            call("get_weather", "call_2", weather("Tokyo")),
            call(
                "run_code",
                "call_3",
                json!({"code": "fn main() { println!(\"{}\", \"}\"); }", "deps": [{"name": "x", "v": [1, {"a": "]"}]}]}),
            ),
        ],
    }
}

// ── Whole and streamed agree ──────────────────────────────────────────────

#[test]
fn single_call() {
    check_all(&Resp {
        calls: vec![call("get_weather", "call_a", weather("Oslo"))],
        ..Resp::default()
    });
}

#[test]
fn parallel_calls() {
    check_all(&Resp {
        calls: (0..4)
            .map(|k| call("lookup", ["c0", "c1", "c2", "c3"][k], json!({"k": k})))
            .collect(),
        ..Resp::default()
    });
}

#[test]
fn text_reasoning_and_calls() {
    check_all(&sample());
}

#[test]
fn text_only() {
    check_all(&Resp {
        reasoning: "Nothing to call.".into(),
        text: "Hello there, no tools today.".into(),
        calls: vec![],
    });
}

#[test]
fn unicode_everywhere() {
    check_all(&Resp {
        reasoning: "Ünïcödé réasoning 思考 🤔".into(),
        text: "Wetter in Zürich 🌦️ und 東京".into(),
        calls: vec![
            call(
                "get_weather",
                "call_ü",
                json!({"city": "Zürich", "note": "🌍 \u{2028} é"}),
            ),
            call(
                "translate",
                "call_2",
                json!({"text": "東京タワー", "to": "ελληνικά"}),
            ),
        ],
    });
}

#[test]
fn nested_braces_and_quotes_in_arguments() {
    check_all(&Resp {
        calls: vec![call(
            "write_file",
            "call_1",
            json!({
                "path": "a\"b}.txt",
                "content": "{\"not\": \"a call\"}}}]]] \\\" </tool_call>",
                "nested": {"a": {"b": {"c": [[[{}]]]}}}
            }),
        )],
        ..Resp::default()
    });
}

#[test]
fn calls_without_arguments() {
    check_all(&Resp {
        calls: vec![
            call("ping", "call_1", json!({})),
            call("now", "call_2", json!({})),
        ],
        ..Resp::default()
    });
}

// ── Every split position ──────────────────────────────────────────────────

#[test]
fn arguments_split_at_every_char_boundary() {
    let r = Resp {
        text: "ok".into(),
        calls: vec![call(
            "get_weather",
            "call_1",
            json!({"city": "São Paulo 🌎", "q": "{\"x\": [1, 2]}"}),
        )],
        ..Resp::default()
    };
    let args = r.calls[0].args.clone();
    for p in FRAGMENTED {
        for at in (0..=args.len()).filter(|&i| args.is_char_boundary(i)) {
            let plan = Plan::sequential(vec![cut(&args, &[at])]);
            check_plan(p, &r, &plan);
        }
    }
}

#[test]
fn parallel_arguments_split_at_every_position_of_each_call() {
    let r = sample();
    for p in FRAGMENTED {
        for k in 0..r.calls.len() {
            let args = &r.calls[k].args;
            for at in (0..=args.len()).filter(|&i| args.is_char_boundary(i)) {
                let frags = r
                    .calls
                    .iter()
                    .enumerate()
                    .map(|(j, c)| {
                        if j == k {
                            cut(&c.args, &[at])
                        } else {
                            vec![c.args.clone()]
                        }
                    })
                    .collect();
                check_plan(p, &r, &Plan::sequential(frags));
            }
        }
    }
}

#[test]
fn text_split_at_every_char_boundary_across_chunks() {
    // Gemini and Ollama send calls whole; what splits is the text.
    let text = "Grüße aus Köln 🎉 — fine";
    for p in [Provider::Gemini, Provider::Ollama] {
        for at in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let parts = cut(text, &[at]);
            let mut evs: Vec<Value> = parts
                .iter()
                .map(|piece| match p {
                    Provider::Gemini => {
                        json!({"candidates": [{"content": {"parts": [{"text": piece}]}}]})
                    }
                    _ => json!({"message": {"role": "assistant", "content": piece}, "done": false}),
                })
                .collect();
            evs.push(match p {
                Provider::Gemini => json!({"candidates": [{"content": {"parts": [
                    {"functionCall": {"name": "f", "args": {"a": 1}}}]}}]}),
                _ => json!({"message": {"role": "assistant", "content": "",
                    "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}, "done": true}),
            });
            let out = stream(p, &evs).unwrap();
            assert_eq!(out.text, text);
            assert_eq!(out.calls[0].invocation.args, json!({"a": 1}));
            assert_eq!(out.calls[0].id, None);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Random fragmentations of every call's arguments, interleaved in a
    /// random order, for every provider that streams fragments.
    #[test]
    fn random_fragmentation_and_interleaving(
        provider in 0..FRAGMENTED.len(),
        cuts in prop::collection::vec(prop::collection::vec(0usize..200, 0..10), 3),
        picks in prop::collection::vec(0usize..3, 0..64),
    ) {
        let p = FRAGMENTED[provider];
        let r = sample();
        let frags: Vec<Vec<String>> = r
            .calls
            .iter()
            .zip(&cuts)
            .map(|(c, cuts)| cut(&c.args, cuts))
            .collect();
        // Interleave: each pick gives the next fragment of a call that
        // still has some; then the rest in order.
        let mut left: Vec<usize> = frags.iter().map(Vec::len).collect();
        let mut order = Vec::new();
        for pick in picks {
            let live: Vec<usize> = (0..left.len()).filter(|&k| left[k] > 0).collect();
            if live.is_empty() {
                break;
            }
            let k = live[pick % live.len()];
            left[k] -= 1;
            order.push(k);
        }
        for (k, n) in left.iter().enumerate() {
            order.extend(std::iter::repeat_n(k, *n));
        }
        check_plan(p, &r, &Plan { frags, order });
    }
}

// ── Truncation ────────────────────────────────────────────────────────────

/// Every prefix of a stream either fails as `Incomplete` or reports only
/// calls that are exactly right (a prefix of the real ones).
#[test]
fn truncated_streams_never_finish_a_wrong_call() {
    let r = sample();
    for p in Provider::ALL {
        let want = expected(p, &r);
        let frags = r.calls.iter().map(|c| cut(&c.args, &[3, 10, 20])).collect();
        let evs = events(p, &r, &Plan::sequential(frags));
        let mut incomplete = 0;
        for n in 0..evs.len() {
            match stream(p, &evs[..n]) {
                Ok(out) => {
                    let got = Outcome::from(&out).calls;
                    assert_eq!(got[..], want.calls[..got.len()], "{p}: prefix {n}");
                }
                Err(err) => {
                    assert!(err.is_incomplete(), "{p}: prefix {n}: {err}");
                    let NormalizeError::Incomplete {
                        format, partial, ..
                    } = err
                    else {
                        unreachable!()
                    };
                    assert_eq!(format, p.name());
                    let partial = partial.expect("partial call");
                    assert!(
                        want.calls
                            .iter()
                            .any(|(name, ..)| Some(name) == partial.name.as_ref())
                    );
                    incomplete += 1;
                }
            }
        }
        if FRAGMENTED.contains(&p) {
            assert!(incomplete > 0, "{p}: no prefix was incomplete");
        }
    }
}

fn expect_incomplete(p: Provider, evs: &[Value]) -> Box<rig_compose::normalizer::PartialCall> {
    match stream(p, evs) {
        Err(NormalizeError::Incomplete { partial, .. }) => partial.unwrap(),
        other => panic!("{p}: expected Incomplete, got {other:?}"),
    }
}

#[test]
fn chat_cut_mid_arguments_is_incomplete_with_the_partial_call() {
    let evs = [
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_9", "type": "function",
               "function": {"name": "delete_file", "arguments": "{\"path\": \"/tm"}}]}}]}),
    ];
    let partial = expect_incomplete(Provider::OpenAiChat, &evs);
    assert_eq!(partial.name.as_deref(), Some("delete_file"));
    assert_eq!(partial.id.as_deref(), Some("call_9"));
    assert_eq!(partial.arguments, "{\"path\": \"/tm");
    // Started but no arguments yet, no finish_reason: not a call either.
    let started = [
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c",
                    "function": {"name": "f", "arguments": ""}}]}}]}),
    ];
    expect_incomplete(Provider::OpenAiChat, &started);
}

#[test]
fn chat_finish_reason_length_mid_arguments_fails_at_that_event() {
    let mut s = ProviderStream::new(Provider::OpenAiChat);
    s.feed_event(
        &json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c",
        "function": {"name": "f", "arguments": "{\"a\": [1, 2"}}]}}]}),
    )
    .unwrap();
    let err = s
        .feed_event(&json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}))
        .unwrap_err();
    assert!(err.is_incomplete(), "{err}");
    // The stream stays failed.
    assert_eq!(s.finish().unwrap_err(), err);
}

#[test]
fn chat_tolerates_empty_deltas_after_finish_reason_but_not_new_text() {
    let start = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c",
                       "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}]});
    let end = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]});
    let empty = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c",
                       "function": {"name": "f", "arguments": ""}}]}}]});
    let out = stream(Provider::OpenAiChat, &[start.clone(), end.clone(), empty]).unwrap();
    assert_eq!(out.calls.len(), 1);
    let more = json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
                      "function": {"arguments": "{}"}}]}}]});
    let (path, message) = provider_error(stream(Provider::OpenAiChat, &[start, end, more]));
    assert_eq!(
        path,
        "event[2].choices[0].delta.tool_calls[0].function.arguments"
    );
    assert!(message.contains("already finished"), "{message}");
}

#[test]
fn chat_without_finish_reason_keeps_calls_whose_json_is_complete() {
    let evs = [
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c",
                "function": {"name": "f", "arguments": "{\"a\": 1}"}}]}}]}),
    ];
    let out = stream(Provider::OpenAiChat, &evs).unwrap();
    assert_eq!(out.calls[0].invocation.args, json!({"a": 1}));
}

#[test]
fn anthropic_block_without_stop_is_incomplete_even_with_complete_json() {
    let evs = [
        json!({"type": "content_block_start", "index": 0,
               "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}),
        json!({"type": "content_block_delta", "index": 0,
               "delta": {"type": "input_json_delta", "partial_json": "{\"a\": 1}"}}),
    ];
    let partial = expect_incomplete(Provider::Anthropic, &evs);
    assert_eq!(partial.arguments, "{\"a\": 1}");
    assert_eq!(partial.id.as_deref(), Some("toolu_1"));
}

#[test]
fn anthropic_stop_with_unfinished_json_is_incomplete() {
    let evs = [
        json!({"type": "content_block_start", "index": 1,
               "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}),
        json!({"type": "content_block_delta", "index": 1,
               "delta": {"type": "input_json_delta", "partial_json": "{\"a\": \"}"}}),
        json!({"type": "content_block_stop", "index": 1}),
    ];
    let mut s = ProviderStream::new(Provider::Anthropic);
    s.feed_event(&evs[0]).unwrap();
    s.feed_event(&evs[1]).unwrap();
    assert!(s.feed_event(&evs[2]).unwrap_err().is_incomplete());
}

#[test]
fn anthropic_whole_cut_at_max_tokens_inside_tool_use_is_incomplete() {
    let message = json!({"type": "message", "stop_reason": "max_tokens", "content": [
        {"type": "text", "text": "Writing it."},
        {"type": "tool_use", "id": "toolu_1", "name": "write", "input": {"path": "a"}}]});
    let err = normalize_provider(Provider::Anthropic, &message).unwrap_err();
    assert!(err.is_incomplete(), "{err}");
    // A call that was not last is fine.
    let message = json!({"type": "message", "stop_reason": "max_tokens", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "write", "input": {"path": "a"}},
        {"type": "text", "text": "and then"}]});
    assert_eq!(
        normalize_provider(Provider::Anthropic, &message)
            .unwrap()
            .calls
            .len(),
        1
    );
}

#[test]
fn responses_cut_before_done_is_incomplete() {
    let evs = [
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": ""}}),
        json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 0,
               "delta": "{\"a\": 1}"}),
    ];
    let partial = expect_incomplete(Provider::OpenAiResponses, &evs);
    assert_eq!(partial.id.as_deref(), Some("call_1"));
    assert_eq!(partial.arguments, "{\"a\": 1}");
}

#[test]
fn responses_incomplete_status_is_never_a_call() {
    let whole = json!({"output": [{"type": "function_call", "id": "fc_1", "call_id": "call_1",
                        "name": "f", "arguments": "{\"a\": ", "status": "incomplete"}]});
    assert!(
        normalize_provider(Provider::OpenAiResponses, &whole)
            .unwrap_err()
            .is_incomplete()
    );
    let done = json!({"type": "response.output_item.done", "output_index": 0,
                      "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f",
                               "arguments": "{\"a\": 1}", "status": "incomplete"}});
    expect_incomplete(Provider::OpenAiResponses, &[done]);
}

#[test]
fn cohere_without_end_events_is_incomplete() {
    let v2 = [
        json!({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls":
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}}}}),
    ];
    expect_incomplete(Provider::CohereV2, &v2);
    let v1 = [
        json!({"event_type": "tool-calls-chunk", "tool_call_delta": {"index": 0, "name": "f",
                     "parameters": "{}"}}),
    ];
    expect_incomplete(Provider::CohereV1, &v1);
}

#[test]
fn chat_whole_with_truncated_arguments_is_incomplete() {
    let response = json!({"choices": [{"index": 0, "finish_reason": "length", "message": {
        "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{\"a\": [1"}}]}}]});
    let err = normalize_provider(Provider::OpenAiChat, &response).unwrap_err();
    let NormalizeError::Incomplete { partial, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(partial.unwrap().arguments, "{\"a\": [1");
}

// ── Malformed input ───────────────────────────────────────────────────────

fn provider_error(result: Result<Normalized, NormalizeError>) -> (String, String) {
    match result {
        Err(NormalizeError::Provider { path, message, .. }) => (path, message),
        other => panic!("expected a Provider error, got {other:?}"),
    }
}

#[test]
fn wrong_shapes_name_their_json_path() {
    let chat = |message: Value| json!({"choices": [{"index": 0, "message": message}]});
    let cases: Vec<(Provider, Value, &str)> = vec![
        (Provider::OpenAiChat, json!([1]), "$"),
        (Provider::OpenAiChat, json!({"choices": {}}), "$.choices"),
        (
            Provider::OpenAiChat,
            json!({"choices": [{"index": 0}]}),
            "$.choices[0]",
        ),
        (
            Provider::OpenAiChat,
            chat(json!({"tool_calls": {}})),
            "$.choices[0].message.tool_calls",
        ),
        (
            Provider::OpenAiChat,
            chat(json!({"tool_calls": [{"id": "a", "function": {"name": "f"}}, 7]})),
            "$.choices[0].message.tool_calls[1]",
        ),
        (
            Provider::OpenAiChat,
            chat(
                json!({"tool_calls": [{"id": "a", "function": {"name": "f"}},
            {"id": "b", "function": {"name": "g", "arguments": 5}}]}),
            ),
            "$.choices[0].message.tool_calls[1].function.arguments",
        ),
        (
            Provider::OpenAiChat,
            chat(json!({"tool_calls": [{"id": "a", "function": {"arguments": "{}"}}]})),
            "$.choices[0].message.tool_calls[0].function",
        ),
        (
            Provider::OpenAiChat,
            chat(json!({"tool_calls": [{"id": "a", "function": {"name": "rm -rf"}}]})),
            "$.choices[0].message.tool_calls[0].function.name",
        ),
        (
            Provider::OpenAiChat,
            chat(json!({"tool_calls": [{"id": "a", "type": "custom", "custom": {}}]})),
            "$.choices[0].message.tool_calls[0].type",
        ),
        (
            Provider::OpenAiChat,
            chat(json!({"content": 5})),
            "$.choices[0].message.content",
        ),
        (Provider::OpenAiResponses, json!({"id": "r"}), "$"),
        (
            Provider::OpenAiResponses,
            json!({"output": [{"type": "function_call", "arguments": "{}"}]}),
            "$.output[0]",
        ),
        (
            Provider::OpenAiResponses,
            json!({"output": [{"type": "message", "content": [{"type": "output_text"}]}]}),
            "$.output[0].content[0]",
        ),
        (Provider::Anthropic, json!({"content": "hi"}), "$.content"),
        (
            Provider::Anthropic,
            json!({"content": [{"type": "text", "text": "a"}, {"type": "tool_use", "id": "t"}]}),
            "$.content[1]",
        ),
        (
            Provider::Gemini,
            json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": 3}}]}}]}),
            "$.candidates[0].content.parts[0].functionCall.name",
        ),
        (
            Provider::Gemini,
            json!({"candidates": [{"content": {"parts": {}}}]}),
            "$.candidates[0].content.parts",
        ),
        (Provider::Ollama, json!({"done": true}), "$"),
        (
            Provider::Ollama,
            json!({"message": {"tool_calls": [{"function": {"name": "f", "arguments": 3}}]}}),
            "$.message.tool_calls[0].function.arguments",
        ),
        (
            Provider::CohereV2,
            json!({"message": {"tool_calls": [{"id": "a"}]}}),
            "$.message.tool_calls[0]",
        ),
        (
            Provider::CohereV1,
            json!({"tool_calls": [{"parameters": {}}]}),
            "$.tool_calls[0]",
        ),
    ];
    for (p, payload, want) in cases {
        let (path, message) = provider_error(normalize_provider(p, &payload));
        assert_eq!(path, want, "{p}: {payload} ({message})");
    }
}

#[test]
fn ollama_and_gemini_number_arguments_are_rejected_with_a_path() {
    // A number where an object belongs would otherwise become the args.
    let (path, _) = provider_error(normalize_provider(
        Provider::Ollama,
        &json!({"message": {"tool_calls": [{"function": {"name": "f", "arguments": 3}}]}}),
    ));
    assert_eq!(path, "$.message.tool_calls[0].function.arguments");
    let (path, _) = provider_error(normalize_provider(
        Provider::Gemini,
        &json!({"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": [1]}}]}}]}),
    ));
    assert_eq!(path, "$.candidates[0].content.parts[0].functionCall.args");
    // JSON text where an object is expected is decoded, as some proxies send it.
    let out = normalize_provider(
        Provider::Ollama,
        &json!({"message": {"tool_calls": [{"function": {"name": "f", "arguments": "{\"a\": 1}"}}]}}),
    )
    .unwrap();
    assert_eq!(out.calls[0].invocation.args, json!({"a": 1}));
}

#[test]
fn invalid_argument_json_names_the_call() {
    let response = json!({"choices": [{"index": 0, "message": {"tool_calls": [
        {"id": "call_7", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": Paris}"}}]}}]});
    let (path, message) = provider_error(normalize_provider(Provider::OpenAiChat, &response));
    assert_eq!(
        path,
        "$.choices[0].message.tool_calls[0].function.arguments"
    );
    assert!(
        message.contains("`get_weather`") && message.contains("call_7"),
        "{message}"
    );
    assert!(message.contains("byte 9"), "{message}");
    // The same from a stream, located at the event that finished the call.
    let evs = [
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_7",
               "function": {"name": "get_weather", "arguments": "{\"city\": Paris}"}}]}}]}),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
    ];
    let (path, message) = provider_error(stream(Provider::OpenAiChat, &evs));
    assert!(
        path.starts_with("event[0].choices[0].delta.tool_calls[0]"),
        "{path}"
    );
    assert!(message.contains("`get_weather`"), "{message}");
}

#[test]
fn concatenated_arguments_are_detected_whole_and_streamed() {
    let twice = "{\"a\":1}{\"a\":1}";
    for p in FRAGMENTED {
        if p == Provider::CohereV1 {
            continue; // v1 parameters are objects.
        }
        let r = Resp {
            calls: vec![Call {
                name: "f",
                id: "c1",
                args: twice.into(),
            }],
            ..Resp::default()
        };
        let text_args = matches!(
            p,
            Provider::OpenAiChat | Provider::OpenAiResponses | Provider::CohereV2
        );
        if text_args {
            let err = normalize_provider(p, &whole(p, &r)).unwrap_err();
            assert_eq!(
                err,
                NormalizeError::ConcatenatedArguments {
                    format: p.name(),
                    offset: 7,
                    tool: "f".into()
                },
                "{p}"
            );
        }
        let plan = Plan::sequential(vec![cut(twice, &[4, 7, 9])]);
        let err = stream(p, &events(p, &r, &plan)).unwrap_err();
        assert!(
            matches!(&err, NormalizeError::ConcatenatedArguments { tool, offset: 7, .. } if tool == "f"),
            "{p}: {err:?}"
        );
    }
}

#[test]
fn duplicate_keys_are_detected() {
    let response = json!({"output": [{"type": "function_call", "id": "fc", "call_id": "c", "name": "f",
                          "arguments": "{\"path\": \"a\", \"path\": \"b\"}", "status": "completed"}]});
    let err = normalize_provider(Provider::OpenAiResponses, &response).unwrap_err();
    assert!(
        matches!(&err, NormalizeError::DuplicateKey { key, .. } if key == "path"),
        "{err:?}"
    );
    let evs = [
        json!({"type": "content_block_start", "index": 0,
               "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}}),
        json!({"type": "content_block_delta", "index": 0,
               "delta": {"type": "input_json_delta", "partial_json": "{\"k\": 1, \"k\": 1}"}}),
        json!({"type": "content_block_stop", "index": 0}),
    ];
    assert!(matches!(
        stream(Provider::Anthropic, &evs),
        Err(NormalizeError::DuplicateKey { .. })
    ));
}

#[test]
fn nesting_limits_apply_to_text_and_object_arguments() {
    let deep_text = format!(
        "{}{}",
        "[".repeat(MAX_NESTING_DEPTH + 10),
        "]".repeat(MAX_NESTING_DEPTH + 10)
    );
    let chat = json!({"choices": [{"message": {"tool_calls": [
        {"id": "c", "function": {"name": "f", "arguments": deep_text}}]}}]});
    assert!(matches!(
        normalize_provider(Provider::OpenAiChat, &chat),
        Err(NormalizeError::LimitExceeded { .. })
    ));
    // A programmatically built value can be deeper than serde would parse.
    let mut deep = json!(1);
    for _ in 0..MAX_NESTING_DEPTH {
        deep = json!([deep]);
    }
    let message =
        json!({"content": [{"type": "tool_use", "id": "t", "name": "f", "input": {"deep": deep}}]});
    let err = normalize_provider(Provider::Anthropic, &message).unwrap_err();
    assert!(
        matches!(&err, NormalizeError::LimitExceeded { limit, .. } if limit.contains("128")),
        "{err:?}"
    );
    let mut ok = json!(1);
    for _ in 0..MAX_NESTING_DEPTH - 1 {
        ok = json!({"a": ok});
    }
    let message = json!({"content": [{"type": "tool_use", "id": "t", "name": "f", "input": ok}]});
    assert!(normalize_provider(Provider::Anthropic, &message).is_ok());
}

#[test]
fn size_limits_apply_to_one_string_and_to_accumulated_fragments() {
    let big = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_INPUT_BYTES));
    let response = json!({"output": [{"type": "function_call", "call_id": "c", "name": "f",
                          "arguments": big, "status": "completed"}]});
    assert!(matches!(
        normalize_provider(Provider::OpenAiResponses, &response),
        Err(NormalizeError::LimitExceeded { .. })
    ));
    let half = "x".repeat(MAX_INPUT_BYTES / 2 + 1);
    let mut s = ProviderStream::new(Provider::CohereV2);
    s.feed_event(
        &json!({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls":
        {"id": "c", "function": {"name": "f", "arguments": "{\"a\": \""}}}}}),
    )
    .unwrap();
    let delta = json!({"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls":
        {"function": {"arguments": half}}}}});
    s.feed_event(&delta).unwrap();
    let err = s.feed_event(&delta).unwrap_err();
    assert!(
        matches!(
            err,
            NormalizeError::LimitExceeded {
                format: "cohere-v2",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn malformed_stream_events_name_the_event() {
    let cases: Vec<(Provider, Vec<Value>, &str)> = vec![
        (
            Provider::OpenAiChat,
            vec![json!({"choices": [{"index": 0, "delta": {}}]}), json!("x")],
            "event[1]",
        ),
        (
            Provider::OpenAiChat,
            vec![json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": -1}]}}]})],
            "event[0].choices[0].delta.tool_calls[0].index",
        ),
        (
            Provider::OpenAiResponses,
            vec![json!({"sequence_number": 1})],
            "event[0]",
        ),
        (
            Provider::OpenAiResponses,
            vec![json!({"type": "response.output_text.delta", "delta": 4})],
            "event[0].delta",
        ),
        (
            Provider::Anthropic,
            vec![json!({"type": "content_block_delta", "index": 3,
            "delta": {"type": "input_json_delta", "partial_json": "{"}})],
            "event[0].index",
        ),
        (
            Provider::Anthropic,
            vec![json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "input": {}}})],
            "event[0].content_block",
        ),
        (
            Provider::Gemini,
            vec![json!({"candidates": [{"content": {"parts": [{"text": 1}]}}]})],
            "event[0].candidates[0].content.parts[0].text",
        ),
        (
            Provider::Ollama,
            vec![json!({"message": "hi"})],
            "event[0].message",
        ),
        (
            Provider::CohereV2,
            vec![json!({"type": "tool-call-end", "index": 0})],
            "event[0].index",
        ),
        (
            Provider::CohereV1,
            vec![json!({"text": "no event type"})],
            "event[0]",
        ),
    ];
    for (p, evs, want) in cases {
        let (path, message) = provider_error(stream(p, &evs));
        assert_eq!(path, want, "{p}: {message}");
    }
}

#[test]
fn renaming_a_started_call_is_an_error() {
    let evs = [
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "c",
               "function": {"name": "read", "arguments": ""}}]}}]}),
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
               "function": {"name": "read", "arguments": "{}"}}]}}]}),
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
               "function": {"name": "write"}}]}}]}),
    ];
    // Repeating the same name is tolerated; a different one is not.
    let (path, message) = provider_error(stream(Provider::OpenAiChat, &evs));
    assert_eq!(
        path,
        "event[2].choices[0].delta.tool_calls[0].function.name"
    );
    assert!(message.contains("renamed"), "{message}");
}

#[test]
fn provider_error_events_become_errors() {
    let cases = [
        (
            Provider::Anthropic,
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ),
        (
            Provider::OpenAiResponses,
            json!({"type": "error", "code": "server_error", "message": "boom", "sequence_number": 3}),
        ),
        (
            Provider::OpenAiResponses,
            json!({"type": "response.failed", "response": {"error": {"code": "x", "message": "boom"}}}),
        ),
        (
            Provider::Gemini,
            json!({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}),
        ),
        (Provider::Ollama, json!({"error": "model not found"})),
        (
            Provider::OpenAiChat,
            json!({"error": {"message": "bad", "type": "invalid_request_error"}}),
        ),
    ];
    for (p, event) in cases {
        let (_, message) = provider_error(stream(p, &[event]));
        assert!(
            message.starts_with("the provider reported an error"),
            "{p}: {message}"
        );
    }
}

#[test]
fn unknown_event_types_are_ignored() {
    let r = Resp {
        text: "hi".into(),
        calls: vec![call("f", "c1", json!({"x": 1}))],
        ..Resp::default()
    };
    for p in Provider::ALL {
        let mut evs = events(p, &r, &Plan::whole(&r));
        let novel = match p {
            Provider::OpenAiResponses => {
                json!({"type": "response.future_feature.delta", "delta": 1})
            }
            Provider::Anthropic => json!({"type": "content_block_future", "index": 0}),
            Provider::CohereV2 => json!({"type": "future-event"}),
            Provider::CohereV1 => json!({"event_type": "future-event"}),
            Provider::OpenAiChat => json!({"choices": [], "system_fingerprint": "x"}),
            Provider::Gemini => json!({"usageMetadata": {"totalTokenCount": 1}}),
            _ => json!({"model": "m", "done": false}),
        };
        evs.insert(1, novel.clone());
        evs.push(novel);
        assert_eq!(
            Outcome::from(&stream(p, &evs).unwrap()),
            expected(p, &r),
            "{p}"
        );
    }
}

#[test]
fn a_finished_stream_refuses_more_input() {
    let mut s = ProviderStream::new(Provider::Gemini);
    s.finish().unwrap();
    let err = s.feed_event(&json!({})).unwrap_err();
    assert!(matches!(err, NormalizeError::Provider { .. }), "{err:?}");
}

// ── Shape-specific behaviour ──────────────────────────────────────────────

#[test]
fn calls_finish_in_first_appearance_order() {
    // Responses finishes call 1 before call 0: CallFinished still comes
    // in order, once call 0 is done.
    let added = |k: usize| {
        json!({"type": "response.output_item.added", "output_index": k,
        "item": {"type": "function_call", "id": format!("fc_{k}"), "call_id": format!("call_{k}"),
                 "name": "f", "arguments": ""}})
    };
    let done = |k: usize| {
        json!({"type": "response.function_call_arguments.done", "item_id": format!("fc_{k}"),
        "output_index": k, "arguments": format!("{{\"k\": {k}}}")})
    };
    let mut s = ProviderStream::new(Provider::OpenAiResponses);
    s.feed_event(&added(0)).unwrap();
    s.feed_event(&added(1)).unwrap();
    let early = s.feed_event(&done(1)).unwrap();
    assert!(
        !early
            .iter()
            .any(|e| matches!(e, StreamEvent::CallFinished { .. })),
        "{early:?}"
    );
    let both = s.feed_event(&done(0)).unwrap();
    let finished: Vec<(usize, Value)> = both
        .iter()
        .filter_map(|e| match e {
            StreamEvent::CallFinished { index, call } => {
                Some((*index, call.invocation.args.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![(0, json!({"k": 0})), (1, json!({"k": 1}))]);
}

#[test]
fn chat_deltas_without_index_follow_ids() {
    let evs = [
        json!({"choices": [{"delta": {"tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{\"x\""}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"function": {"arguments": ": 1}"}}]}}]}),
        json!({"choices": [{"delta": {"tool_calls": [{"id": "b", "function": {"name": "g", "arguments": "{}"}}]}}]}),
        json!({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]}),
    ];
    let out = stream(Provider::OpenAiChat, &evs).unwrap();
    assert_eq!(
        Outcome::from(&out).calls,
        vec![
            ("f".into(), json!({"x": 1}), Some("a".into())),
            ("g".into(), json!({}), Some("b".into())),
        ]
    );
}

#[test]
fn chat_reads_only_the_first_choice() {
    let response = json!({"choices": [
        {"index": 1, "message": {"content": "second"}},
        {"index": 0, "message": {"content": "first", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": ""}}]}}]});
    let out = normalize_provider(Provider::OpenAiChat, &response).unwrap();
    assert_eq!(out.text, "first");
    assert_eq!(out.calls[0].invocation.args, json!({}));
    let evs = [
        json!({"choices": [{"index": 1, "delta": {"content": "B"}}, {"index": 0, "delta": {"content": "A"}}]}),
    ];
    assert_eq!(stream(Provider::OpenAiChat, &evs).unwrap().text, "A");
}

#[test]
fn chat_accepts_a_bare_message_legacy_function_call_and_part_arrays() {
    let message = json!({"role": "assistant", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                         "reasoning": "r", "function_call": {"name": "legacy", "arguments": "{\"v\": 2}"}});
    let out = normalize_provider(Provider::OpenAiChat, &message).unwrap();
    assert_eq!((out.text.as_str(), out.reasoning.as_str()), ("ab", "r"));
    assert_eq!(
        Outcome::from(&out).calls,
        vec![("legacy".into(), json!({"v": 2}), None)]
    );
    let evs = [
        json!({"choices": [{"index": 0, "delta": {"function_call": {"name": "legacy", "arguments": "{\"v\""}}}]}),
        json!({"choices": [{"index": 0, "delta": {"function_call": {"arguments": ": 2}"}}}]}),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "function_call"}]}),
    ];
    assert_eq!(stream(Provider::OpenAiChat, &evs).unwrap().calls, out.calls);
}

#[test]
fn anthropic_skips_server_tools_and_redacted_thinking() {
    let evs = [
        json!({"type": "content_block_start", "index": 0,
               "content_block": {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}}),
        json!({"type": "content_block_delta", "index": 0,
               "delta": {"type": "input_json_delta", "partial_json": "{\"query\": \"x\"}"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1,
               "content_block": {"type": "redacted_thinking", "data": "abc"}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "content_block_start", "index": 2,
               "content_block": {"type": "tool_use", "id": "toolu_1", "name": "ping", "input": {}}}),
        json!({"type": "content_block_stop", "index": 2}),
    ];
    let out = stream(Provider::Anthropic, &evs).unwrap();
    assert_eq!(
        Outcome::from(&out).calls,
        vec![("ping".into(), json!({}), Some("toolu_1".into()))]
    );
    let whole = json!({"content": [
        {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
        {"type": "redacted_thinking", "data": "abc"},
        {"type": "tool_use", "id": "toolu_1", "name": "ping", "input": {}}]});
    assert_eq!(
        normalize_provider(Provider::Anthropic, &whole)
            .unwrap()
            .calls,
        out.calls
    );
}

#[test]
fn anthropic_input_given_whole_in_the_start_event() {
    let evs = [
        json!({"type": "content_block_start", "index": 0,
               "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {"a": [1]}}}),
        json!({"type": "content_block_stop", "index": 0}),
    ];
    assert_eq!(
        stream(Provider::Anthropic, &evs).unwrap().calls[0]
            .invocation
            .args,
        json!({"a": [1]})
    );
}

#[test]
fn responses_reads_refusals_reasoning_text_and_skips_hosted_tools() {
    let response = json!({"output": [
        {"type": "reasoning", "id": "rs", "summary": [{"type": "summary_text", "text": "S1 "}, {"type": "summary_text", "text": "S2"}],
         "content": [{"type": "reasoning_text", "text": " raw"}]},
        {"type": "web_search_call", "id": "ws", "status": "completed"},
        {"type": "message", "content": [{"type": "refusal", "refusal": "No."}]},
        {"type": "function_call", "id": "fc", "call_id": "call_1", "name": "f", "arguments": ""}]});
    let out = normalize_provider(Provider::OpenAiResponses, &response).unwrap();
    assert_eq!(out.reasoning, "S1 S2 raw");
    assert_eq!(out.text, "No.");
    assert_eq!(
        Outcome::from(&out).calls,
        vec![("f".into(), json!({}), Some("call_1".into()))]
    );
    // The bare output array works too.
    let items = response["output"].clone();
    assert_eq!(
        normalize_provider(Provider::OpenAiResponses, &items).unwrap(),
        out
    );
}

#[test]
fn responses_done_must_agree_with_the_deltas() {
    let evs = [
        json!({"type": "response.output_item.added", "output_index": 0,
               "item": {"type": "function_call", "id": "fc_1", "call_id": "c", "name": "f", "arguments": ""}}),
        json!({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "{\"a\":"}),
        json!({"type": "response.function_call_arguments.done", "item_id": "fc_1", "arguments": "{\"b\": 2}"}),
    ];
    let (path, message) = provider_error(stream(Provider::OpenAiResponses, &evs));
    assert_eq!(path, "event[2].arguments");
    assert!(message.contains("differ"), "{message}");
    // A done event that completes what the deltas missed is fine.
    let evs = [
        evs[0].clone(),
        evs[1].clone(),
        json!({"type": "response.function_call_arguments.done", "item_id": "fc_1", "arguments": "{\"a\": 1}"}),
    ];
    let mut s = ProviderStream::new(Provider::OpenAiResponses);
    let mut all = Vec::new();
    for e in &evs {
        all.extend(s.feed_event(e).unwrap());
    }
    assert!(
        all.contains(&StreamEvent::ArgumentsDelta {
            index: 0,
            delta: " 1}".into()
        }),
        "{all:?}"
    );
}

#[test]
fn responses_item_done_alone_is_a_call() {
    // Some proxies send only the final item.
    let evs = [
        json!({"type": "response.output_item.done", "output_index": 0,
        "item": {"type": "function_call", "id": "fc_1", "call_id": "c", "name": "f",
                 "arguments": "{\"a\": 1}", "status": "completed"}}),
    ];
    let out = stream(Provider::OpenAiResponses, &evs).unwrap();
    assert_eq!(
        Outcome::from(&out).calls,
        vec![("f".into(), json!({"a": 1}), Some("c".into()))]
    );
}

#[test]
fn gemini_reads_the_first_candidate_and_array_streams() {
    let response = json!({"candidates": [
        {"index": 0, "content": {"parts": [{"text": "a"}, {"thoughtSignature": "x"},
            {"functionCall": {"name": "f"}}, {"executableCode": {"code": "1"}}]}},
        {"index": 1, "content": {"parts": [{"text": "other"}]}}]});
    let out = normalize_provider(Provider::Gemini, &response).unwrap();
    assert_eq!(out.text, "a");
    assert_eq!(
        Outcome::from(&out).calls,
        vec![("f".into(), json!({}), None)]
    );
    // streamGenerateContent without SSE returns an array of responses.
    let r = sample();
    let evs = events(Provider::Gemini, &r, &Plan::whole(&r));
    let array = normalize_provider(Provider::Gemini, &Value::Array(evs)).unwrap();
    assert_eq!(Outcome::from(&array), expected(Provider::Gemini, &r));
    // A blocked prompt has no candidates: nothing, not an error.
    let blocked = json!({"promptFeedback": {"blockReason": "SAFETY"}});
    assert_eq!(
        normalize_provider(Provider::Gemini, &blocked)
            .unwrap()
            .calls,
        vec![]
    );
}

#[test]
fn cohere_v1_generation_without_chunks_and_mismatched_names() {
    let evs = [
        json!({"event_type": "text-generation", "text": "I will "}),
        json!({"event_type": "tool-calls-generation", "text": "ignored?", "tool_calls": [{"name": "f", "parameters": {"a": 1}}]}),
    ];
    let out = stream(Provider::CohereV1, &evs).unwrap();
    // No plan came as chunk text, so the generation's text is the plan.
    assert_eq!(out.text, "I will ignored?");
    assert_eq!(
        Outcome::from(&out).calls,
        vec![("f".into(), json!({"a": 1}), None)]
    );
    let evs = [
        json!({"event_type": "tool-calls-chunk", "tool_call_delta": {"index": 0, "name": "f"}}),
        json!({"event_type": "tool-calls-generation", "tool_calls": [{"name": "g", "parameters": {}}]}),
    ];
    let (_, message) = provider_error(stream(Provider::CohereV1, &evs));
    assert!(message.contains("renamed"), "{message}");
    let evs = [
        json!({"event_type": "tool-calls-chunk", "tool_call_delta": {"index": 0, "name": "f"}}),
        json!({"event_type": "tool-calls-chunk", "tool_call_delta": {"index": 1, "name": "g"}}),
        json!({"event_type": "tool-calls-generation", "tool_calls": [{"name": "f", "parameters": {}}]}),
    ];
    let (path, message) = provider_error(stream(Provider::CohereV1, &evs));
    assert_eq!(path, "event[2].tool_calls");
    assert!(message.contains("missing"), "{message}");
}

#[test]
fn cohere_v2_thinking_content_is_reasoning() {
    let response = json!({"message": {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Answer"}]},
        "finish_reason": "COMPLETE"});
    let out = normalize_provider(Provider::CohereV2, &response).unwrap();
    assert_eq!(
        (out.reasoning.as_str(), out.text.as_str()),
        ("hmm", "Answer")
    );
    let evs = [
        json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"thinking": "hmm"}}}}),
        json!({"type": "content-delta", "index": 1, "delta": {"message": {"content": {"text": "Answer"}}}}),
    ];
    let streamed = stream(Provider::CohereV2, &evs).unwrap();
    assert_eq!(
        (streamed.reasoning, streamed.text),
        (out.reasoning, out.text)
    );
}

// ── Names and detection ───────────────────────────────────────────────────

#[test]
fn names_and_aliases_are_unique_and_found() {
    let mut seen = std::collections::HashSet::new();
    for p in Provider::ALL {
        assert_eq!(Provider::from_name(p.name()).unwrap(), p);
        assert_eq!(p.name().parse::<Provider>().unwrap(), p);
        assert_eq!(p.to_string(), p.name());
        for name in std::iter::once(p.name()).chain(p.aliases().iter().copied()) {
            assert!(seen.insert(name), "{name} twice");
            assert_eq!(
                Provider::from_name(&name.to_uppercase().replace('-', "_")).unwrap(),
                p
            );
        }
    }
    for (name, p) in [
        ("openai", Provider::OpenAiChat),
        ("openai-chat", Provider::OpenAiChat),
        ("openai-responses", Provider::OpenAiResponses),
        ("anthropic", Provider::Anthropic),
        ("gemini", Provider::Gemini),
        ("ollama", Provider::Ollama),
        ("cohere-v1", Provider::CohereV1),
        ("cohere-v2", Provider::CohereV2),
        ("cohere", Provider::CohereV2),
    ] {
        assert_eq!(Provider::from_name(name).unwrap(), p);
    }
    assert_eq!(
        Provider::from_name("palm").unwrap_err(),
        NormalizeError::UnknownFormat {
            name: "palm".into()
        }
    );
}

#[test]
fn detection_recognises_every_payload_and_event() {
    let r = sample();
    for p in Provider::ALL {
        assert_eq!(Provider::detect(&whole(p, &r)), Some(p), "{p} whole");
        for e in events(p, &r, &Plan::whole(&r)) {
            assert_eq!(Provider::detect(&e), Some(p), "{p}: {e}");
        }
    }
    assert_eq!(Provider::detect(&json!({})), None);
    assert_eq!(Provider::detect(&json!([1])), None);
    assert_eq!(
        Provider::detect(&json!({"message": {"content": "hi"}})),
        None
    );
}

// ── SSE and NDJSON framing ────────────────────────────────────────────────

/// `events` as an SSE body with `event:` lines, comments and CRLF endings.
fn sse_body(evs: &[Value]) -> String {
    let mut body = String::from(": keep-alive\r\n\r\n");
    for e in evs {
        if let Some(kind) = e.get("type").and_then(Value::as_str) {
            body.push_str(&format!("event: {kind}\r\n"));
        }
        body.push_str(&format!("data: {e}\r\n\r\n"));
    }
    body.push_str("data: [DONE]\r\n\r\n");
    body
}

fn run_bytes(p: Provider, body: &[u8], cuts: &[usize]) -> Result<Normalized, NormalizeError> {
    let mut s = ProviderStream::new(p);
    let mut all = Vec::new();
    let mut from = 0;
    for &c in cuts.iter().chain([&body.len()]) {
        all.extend(s.feed_sse_bytes(&body[from..c])?);
        from = c;
    }
    all.extend(s.finish()?);
    Ok(Normalized::from_events(all))
}

#[test]
fn sse_bytes_split_at_every_byte() {
    let r = Resp {
        text: "Zü".into(),
        calls: vec![call("f", "c", json!({"k": "é"}))],
        ..Resp::default()
    };
    for p in [Provider::Anthropic, Provider::OpenAiChat] {
        let body = sse_body(&events(p, &r, &Plan::whole(&r)));
        let want = expected(p, &r);
        for at in 0..=body.len() {
            let out = run_bytes(p, body.as_bytes(), &[at]).unwrap();
            assert_eq!(Outcome::from(&out), want, "{p}: split at {at}");
        }
    }
}

#[test]
fn ndjson_lines_work_for_ollama_and_cohere_v1() {
    let r = sample();
    for p in [Provider::Ollama, Provider::CohereV1] {
        let body: String = events(p, &r, &Plan::whole(&r))
            .iter()
            .map(|e| format!("{e}\n"))
            .collect();
        let every: Vec<usize> = (1..body.len()).step_by(13).collect();
        let out = run_bytes(p, body.as_bytes(), &every).unwrap();
        assert_eq!(Outcome::from(&out), expected(p, &r), "{p}");
    }
}

#[test]
fn sse_multi_line_data_and_a_missing_final_newline() {
    let mut s = ProviderStream::new(Provider::Gemini);
    let mut all = Vec::new();
    for line in [
        "data: {\"candidates\": [{\"content\":",
        "data:  {\"parts\": [{\"text\": \"hi\"}]}}]}",
        "",
        "id: 7",
        "retry: 10",
    ] {
        all.extend(s.feed_sse_line(line).unwrap());
    }
    all.extend(
        s.feed_sse_bytes(
            b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"!\"}]}}]}",
        )
        .unwrap(),
    );
    all.extend(s.finish().unwrap());
    assert_eq!(Normalized::from_events(all).text, "hi!");
}

#[test]
fn sse_errors() {
    let mut s = ProviderStream::new(Provider::Anthropic);
    let err = s.feed_sse_line("data: {nope}").unwrap_err();
    assert!(
        matches!(&err, NormalizeError::Provider { message, .. } if message.contains("not JSON")),
        "{err:?}"
    );
    let mut s = ProviderStream::new(Provider::Anthropic);
    let err = s.feed_sse_bytes(b"data: \"\xff\"\n").unwrap_err();
    assert_eq!(err, NormalizeError::InvalidUtf8 { offset: 7 });
    // Cut mid-event: the dropped connection is reported.
    let mut s = ProviderStream::new(Provider::Anthropic);
    s.feed_sse_bytes(b"data: {\"type\": \"ping\"}\n\ndata: {\"type\": \"content_bl")
        .unwrap();
    let (_, message) = provider_error(s.finish().map(Normalized::from_events));
    assert!(message.contains("ended inside an event"), "{message}");
    // …unless an unfinished call says more.
    let mut s = ProviderStream::new(Provider::Anthropic);
    let start = json!({"type": "content_block_start", "index": 0,
        "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}});
    s.feed_sse_bytes(format!("data: {start}\n\ndata: {{\"type\": \"content_bl").as_bytes())
        .unwrap();
    assert!(s.finish().unwrap_err().is_incomplete());
}
