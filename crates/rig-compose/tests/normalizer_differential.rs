//! Differential tests against the published rig-compose 0.5.0 normalizers.
//!
//! For generated model outputs: whenever the published crate returns calls,
//! ours returns the same calls; whenever it returns an error, ours returns a
//! `NormalizerFailed` whose message starts with the published message (ours
//! then adds the location). Generated nesting stays far below the published
//! parser's stack limit and our `MAX_NESTING_DEPTH`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rig_compose::normalizer::{LfmNormalizer, StructuredToolCallNormalizer, ToolCallNormalizer};
use rig_compose::{KernelError, ToolInvocation};
use rig_compose_published as published;
use rig_compose_published::normalizer::ToolCallNormalizer as _;
use serde_json::{Value, json};

const START: &str = "<|tool_call_start|>";
const END: &str = "<|tool_call_end|>";

// ── Generators ───────────────────────────────────────────────────────────

fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        6 => Just(""),
        6 => Just(" "),
        1 => Just("  "),
        1 => Just("\n"),
        1 => Just("\t"),
        1 => Just("\u{3000}"),
        1 => Just("\u{a0}"),
        1 => Just("\x0B"),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        10 => "[a-z_][a-z0-9_]{0,8}",
        2 => "[a-z]{1,4}[.-][a-z]{1,4}",
        1 => "[0-9-][a-z0-9]{0,3}",
        1 => prop_oneof![Just(String::new()), Just("bad/name".into()), Just("a b".into()), Just("é".into())],
    ]
}

fn string_body() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z0-9 ]{0,12}",
        4 => proptest::collection::vec(
            prop_oneof![
                Just("a"), Just(" "), Just(","), Just("("), Just(")"), Just("["), Just("]"),
                Just("{"), Just("}"), Just(":"), Just("="), Just("\\"), Just("\\'"),
                Just("\\\""), Just("'"), Just("\""), Just("é"), Just("日本"), Just("\n"),
                Just("<|tool_call_start|>"),
            ],
            0..8,
        ).prop_map(|parts| parts.concat()),
    ]
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => string_body().prop_map(|s| format!("'{s}'")),
        3 => string_body().prop_map(|s| format!("\"{s}\"")),
        3 => any::<i64>().prop_map(|n| n.to_string()),
        2 => any::<f64>().prop_map(|f| f.to_string()),
        1 => prop_oneof![
            Just("True"), Just("False"), Just("None"), Just("null"), Just("+7"), Just(".5"),
            Just("1e3"), Just("-0.0"), Just("07"), Just("inf"), Just("nan"), Just("1e999"),
            Just("99999999999999999999"), Just("Berlin"), Just("New York"), Just("a:b"),
            Just("x=y"), Just("f(1)"), Just(""), Just("0x1F"), Just("1_000"),
        ].prop_map(String::from),
    ]
}

fn value() -> impl Strategy<Value = String> {
    scalar().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec((inner.clone(), ws(), ws()), 0..4).prop_map(|items| {
                let body: Vec<String> = items
                    .into_iter()
                    .map(|(v, a, b)| format!("{a}{v}{b}"))
                    .collect();
                format!("[{}]", body.join(","))
            }),
            proptest::collection::vec((dict_key(), inner, ws()), 0..4).prop_map(|entries| {
                let body: Vec<String> = entries
                    .into_iter()
                    .map(|(k, v, w)| format!("{w}{k}:{w}{v}"))
                    .collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

fn dict_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z]{1,5}".prop_map(|k| format!("'{k}'")),
        2 => "[a-z]{1,5}".prop_map(|k| format!("\"{k}\"")),
        1 => "[a-z]{1,5}",
        1 => prop_oneof![Just("1"), Just("None"), Just("'dup'"), Just("")].prop_map(String::from),
    ]
}

fn kwarg() -> impl Strategy<Value = String> {
    (
        prop_oneof![8 => "[a-z][a-z0-9_]{0,5}", 1 => Just("x".to_string()), 1 => Just(String::new())],
        ws(),
        ws(),
        value(),
        prop_oneof![20 => Just("="), 1 => Just(""), 1 => Just("==")],
    )
        .prop_map(|(k, a, b, v, eq)| format!("{k}{a}{eq}{b}{v}"))
}

fn call() -> impl Strategy<Value = String> {
    (
        name(),
        ws(),
        proptest::collection::vec((kwarg(), ws()), 0..4),
        ws(),
    )
        .prop_map(|(name, pad, args, tail)| {
            let args: Vec<String> = args.into_iter().map(|(a, w)| format!("{w}{a}")).collect();
            format!("{name}{pad}({}){tail}", args.join(","))
        })
}

fn block() -> impl Strategy<Value = String> {
    (proptest::collection::vec(call(), 0..3), any::<bool>(), ws()).prop_map(
        |(calls, bracketed, pad)| {
            let body = calls.join(", ");
            if bracketed {
                format!("{pad}[{body}]{pad}")
            } else {
                format!("{pad}{body}")
            }
        },
    )
}

/// Random local edits, so that near-miss inputs are covered too.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let structural = prop_oneof![
        Just('('),
        Just(')'),
        Just('['),
        Just(']'),
        Just('{'),
        Just('}'),
        Just(','),
        Just('='),
        Just(':'),
        Just('\''),
        Just('"'),
        Just('\\'),
        Just(' '),
        Just('é'),
    ];
    prop_oneof![
        (any::<usize>(), structural).prop_map(|(at, ch)| Edit::Insert(at, ch)),
        (any::<usize>(), 1..4usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len();
        match *edit {
            Edit::Insert(at, ch) => chars.insert(at % (len + 1), ch),
            Edit::Delete(at, n) if len > 0 => {
                let at = at % len;
                chars.drain(at..(at + n).min(len));
            }
            Edit::Truncate(at) => chars.truncate(at % (len + 1)),
            Edit::Delete(..) => {}
        }
    }
    chars.into_iter().collect()
}

fn model_output() -> impl Strategy<Value = String> {
    (
        "[A-Za-z .]{0,12}",
        proptest::collection::vec((block(), "[a-z \n]{0,6}"), 1..3),
        prop_oneof![8 => Just(vec![]), 2 => proptest::collection::vec(edit(), 1..3)],
    )
        .prop_map(|(prose, blocks, edits)| {
            let mut out = prose;
            for (block, between) in blocks {
                out.push_str(START);
                out.push_str(&block);
                out.push_str(END);
                out.push_str(&between);
            }
            apply(&out, &edits)
        })
}

// ── Comparison ───────────────────────────────────────────────────────────

fn same_calls(ours: &[ToolInvocation], theirs: &[published::ToolInvocation]) -> bool {
    ours.len() == theirs.len()
        && ours
            .iter()
            .zip(theirs)
            .all(|(a, b)| a.name == b.name && a.args == b.args)
}

fn compare(
    input: &dyn std::fmt::Debug,
    ours: Result<Vec<ToolInvocation>, KernelError>,
    theirs: Result<Vec<published::ToolInvocation>, published::KernelError>,
) -> Result<(), TestCaseError> {
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            prop_assert!(
                same_calls(&ours, &theirs),
                "{input:?}: {ours:?} vs {theirs:?}"
            );
        }
        (Err(ours), Err(theirs)) => {
            prop_assert!(matches!(ours, KernelError::NormalizerFailed(_)), "{ours:?}");
            let (ours, theirs) = (ours.to_string(), theirs.to_string());
            // Ours shortens long quoted excerpts; then only the text before
            // the excerpt (the message class) can be compared.
            let expected = if ours.contains("more bytes)") {
                theirs.split('"').next().unwrap_or_default()
            } else {
                theirs.as_str()
            };
            prop_assert!(
                ours.starts_with(expected),
                "{input:?}:\n ours:   {ours}\n theirs: {theirs}"
            );
        }
        (ours, theirs) => {
            prop_assert!(false, "{input:?}: ours {ours:?}, published {theirs:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn lfm_matches_published(raw in model_output()) {
        compare(
            &raw,
            LfmNormalizer.normalize(&raw),
            published::normalizer::LfmNormalizer.normalize(&raw),
        )?;
        prop_assert_eq!(
            LfmNormalizer.is_applicable(&raw),
            published::normalizer::LfmNormalizer.is_applicable(&raw)
        );
    }

    #[test]
    fn lfm_matches_published_on_random_call_text(args in "[a-c0-9 ,()\\[\\]{}:='\"\\\\.+-]{0,30}") {
        let raw = format!("{START}[f(x={args})]{END}");
        compare(
            &raw,
            LfmNormalizer.normalize(&raw),
            published::normalizer::LfmNormalizer.normalize(&raw),
        )?;
    }
}

// ── Structured payloads ──────────────────────────────────────────────────

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("get_weather"),
            Just("search.docs"),
            Just(""),
            Just(" "),
            Just("a b"),
            Just("function_call"),
            Just("{\"city\": \"Oslo\"}"),
            Just("{bad"),
            Just("  "),
            Just("null"),
            Just("[1, 2]"),
        ]
        .prop_map(|s| json!(s)),
    ]
}

fn arguments() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        json_leaf().prop_map(Some),
        Just(Some(json!({"q": [1, {"deep": true}]}))),
    ]
}

fn responses_item() -> impl Strategy<Value = Value> {
    (
        prop_oneof![4 => Just(json!("function_call")), 1 => Just(json!("message")), 1 => json_leaf()],
        prop_oneof![4 => name().prop_map(|n| json!(n)), 1 => json_leaf()],
        arguments(),
        any::<bool>(),
    )
        .prop_map(|(kind, name, args, has_name)| {
            let mut item = json!({"type": kind, "id": "fc_1"});
            if has_name {
                item["name"] = name;
            }
            if let Some(args) = args {
                item["arguments"] = args;
            }
            item
        })
}

fn chat_call() -> impl Strategy<Value = Value> {
    (
        prop_oneof![4 => name().prop_map(|n| json!(n)), 1 => json_leaf()],
        arguments(),
        0..6u8,
    )
        .prop_map(|(name, args, shape)| {
            let mut function = json!({"name": name});
            if let Some(args) = args {
                function["arguments"] = args;
            }
            match shape {
                0 => json!({"id": "call_1"}),
                1 => json!({"function": "not an object"}),
                2 => json!(7),
                _ => json!({"id": "call_1", "type": "function", "function": function}),
            }
        })
}

fn payload() -> impl Strategy<Value = Value> {
    let items = proptest::collection::vec(responses_item(), 0..3).boxed();
    let calls = proptest::collection::vec(chat_call(), 0..3).boxed();
    prop_oneof![
        items
            .clone()
            .prop_map(|items| json!({"id": "resp", "output": items})),
        items.prop_map(Value::Array),
        responses_item(),
        calls.clone().prop_map(
            |calls| json!({"choices": [{"message": {"tool_calls": calls}}, {"index": 1}]})
        ),
        calls
            .clone()
            .prop_map(|calls| json!({"role": "assistant", "tool_calls": calls})),
        calls.clone().prop_map(Value::Array),
        chat_call(),
        chat_call().prop_map(|call| json!({"tool_calls": call})),
        json_leaf().prop_map(|leaf| json!({"choices": leaf})),
        json_leaf(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn structured_matches_published(value in payload()) {
        type Ours = StructuredToolCallNormalizer;
        type Theirs = published::normalizer::StructuredToolCallNormalizer;
        compare(&value, Ours::normalize(&value), Theirs::normalize(&value))?;
        compare(
            &value,
            Ours::normalize_openai_responses(&value),
            Theirs::normalize_openai_responses(&value),
        )?;
        compare(
            &value,
            Ours::normalize_openai_chat_completions(&value),
            Theirs::normalize_openai_chat_completions(&value),
        )?;
    }
}
