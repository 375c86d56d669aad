//! Near-miss inputs for the special-token and pythonic formats: valid
//! outputs with random cuts, deletions and inserted marker fragments must
//! never panic, and streaming them in random chunks must give exactly the
//! whole-text result (calls, text, reasoning, or the same error), both
//! with the format fixed and with auto-detection.

use proptest::prelude::*;
use rig_compose::normalizer::TextNormalizer;

use crate::harness::*;

/// A valid output per format.
const SEEDS: &[(&str, &str)] = &[
    (
        "deepseek_v3",
        "Hi <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Tokyo\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>f<｜tool▁sep｜>{\"a\": [1]}<｜tool▁call▁end｜><｜tool▁calls▁end｜> bye",
    ),
    (
        "deepseek_v31",
        "x</think>ok<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get<｜tool▁sep｜>{\"s\": \"<｜tool▁call▁end｜>\"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>h<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
    ),
    (
        "kimi_k2",
        "<think>a<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{\"a\": \"}\"}<|tool_call_end|><|tool_calls_section_end|></think>t<|tool_call_begin|>g:1<|tool_call_argument_begin|>{}<|tool_call_end|>",
    ),
    (
        "harmony",
        "<|channel|>analysis<|message|>Need.<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{\"a\":\"<|call|>\"}<|call|><|start|>assistant to=g<|channel|>analysis code<|message|>print(1)<|call|><|channel|>final<|message|>done<|return|>",
    ),
    (
        "function_gemma",
        "a<start_function_call>call:f{x:<escape>}<escape>,n:[1,{m:true}]}<end_function_call> b <start_function_call>call:g{}call:h{y:2}<end_function_call>",
    ),
    (
        "gemma4",
        "<|tool_call>call:edit{path:<|\"|>a<tool_call|><|\"|>,e:[{o:<|\"|>x<|\"|>}]}<tool_call|>\n<|tool_call>call:g{}<tool_call|>",
    ),
    (
        "pythonic",
        " [f(a='x)]', b=[1, {'k': None}], c=(1,2)), g()] then <|python_start|>h(s=\"<|python_end|>\")<|python_end|>",
    ),
    (
        "olmo3",
        "<function_calls>\nf(a=\"</function_calls>\", b=true)\ng()\n</function_calls> <function_calls><invoke name=\"x\"></invoke></function_calls>",
    ),
    (
        "lfm2",
        "Hi<|tool_call_start|>[f(s='<|tool_call_end|>', t=\"it's\"), g(x=07)]<|tool_call_end|> and 'q' <|tool_call_start|>[{\"name\": \"c\", \"arguments\": {\"k\": \"v\"}}]<|tool_call_end|>",
    ),
];

/// Marker fragments and structural bytes to insert.
const FRAGMENTS: &[&str] = &[
    "<｜tool▁call▁begin｜>",
    "<｜tool▁sep｜>",
    "<｜tool▁call▁end｜>",
    "<｜tool▁calls▁end｜>",
    "```",
    "<|tool_call_begin|>",
    "<|tool_call_argument_begin|>",
    "<|tool_call_end|>",
    "<|start|>",
    "<|channel|>",
    "<|message|>",
    "<|end|>",
    "<|call|>",
    " to=functions.f ",
    "<|tool_call>",
    "<tool_call|>",
    "<|\"|>",
    "<escape>",
    "call:f",
    "<|python_end|>",
    "</function_calls>",
    "<invoke",
    "<think>",
    "</think>",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "'",
    "\"",
    "\\",
    ",",
    "=",
    "\n",
    "é",
];

/// A seed with a few random edits, and the format it belongs to.
fn mutated() -> impl Strategy<Value = (&'static str, String)> {
    let edit = (
        0usize..400,
        0usize..12,
        prop::sample::select(FRAGMENTS),
        0u8..3,
    );
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(edit, 1..4),
    )
        .prop_map(|((format, seed), edits)| {
            let mut chars: Vec<char> = seed.chars().collect();
            for (at, len, fragment, kind) in edits {
                let at = at.min(chars.len());
                match kind {
                    0 => {
                        let end = (at + len).min(chars.len());
                        chars.drain(at..end);
                    }
                    1 => {
                        for (k, c) in fragment.chars().enumerate() {
                            chars.insert(at + k, c);
                        }
                    }
                    _ => chars.truncate(at),
                }
            }
            (format, chars.into_iter().collect())
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn near_misses_stream_like_whole_text((format, raw) in mutated(), cuts in cuts(400)) {
        prop_chunkings(&normalizer(format), &raw, &cuts);
        prop_chunkings(&TextNormalizer::auto(), &raw, &cuts);
    }
}
