//! LFM2: pythonic or JSON lists between `<|tool_call_start|>` and
//! `<|tool_call_end|>`, read with the 0.5 LFM rules.

use proptest::prelude::*;
use rig_compose::normalizer::{LfmNormalizer, NormalizeError, TextNormalizer, ToolCallNormalizer};
use serde_json::json;

use crate::harness::*;

const START: &str = "<|tool_call_start|>";
const END: &str = "<|tool_call_end|>";

fn lfm2() -> TextNormalizer {
    normalizer("lfm2")
}

fn block(body: &str) -> String {
    format!("{START}{body}{END}")
}

#[test]
fn names_and_hints() {
    for alias in ["lfm", "liquid", "LFM2"] {
        assert_eq!(normalizer(alias).preferred_format(), Some("lfm2"));
    }
    for model in [
        "LiquidAI/LFM2-1.2B-Tool",
        "liquid/lfm-2-vl",
        "LiquidAI/LFM2.5-1.2B-Instruct",
    ] {
        assert_eq!(
            TextNormalizer::auto_for_model(model).preferred_format(),
            Some("lfm2"),
            "{model}"
        );
    }
}

#[test]
fn one_pythonic_call() {
    let out = ok(&lfm2(), &block("[get_weather(city=\"Paris\")]"));
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.text, "");
    assert_eq!(
        ok(&TextNormalizer::auto(), &block("[f()]")).format,
        Some("lfm2")
    );
}

#[test]
fn parallel_calls_json_form_and_text_around() {
    let raw = format!(
        "Checking.{}then{}Done.",
        block("[get_weather(city=\"Paris\"), get_time(tz=\"UTC\")]"),
        block(
            r#"[{"name": "calculator", "arguments": {"expression": "5 * 7"}}, {"name": "noop", "arguments": "{}"}]"#
        )
    );
    let out = ok(&lfm2(), &raw);
    assert_eq!(
        names(&out),
        ["get_weather", "get_time", "calculator", "noop"]
    );
    assert_eq!(out.calls[2].invocation.args, json!({"expression": "5 * 7"}));
    assert_eq!(out.text, "Checking.thenDone.");
}

#[test]
fn what_lfm2_really_writes() {
    let raw = block(
        "[search(from='2024-07-01', to='2024-07-31', month=07), run(cmd=\"grep -r \"TODO\" src | wc -l\"), note(text='line one\nline two')]",
    );
    let out = ok(&lfm2(), &raw);
    assert_eq!(
        out.invocations()
            .into_iter()
            .map(|c| c.args)
            .collect::<Vec<_>>(),
        [
            json!({"from": "2024-07-01", "to": "2024-07-31", "month": 7}),
            json!({"cmd": "grep -r \"TODO\" src | wc -l"}),
            json!({"text": "line one\nline two"}),
        ]
    );
    // Without the list brackets.
    assert_eq!(names(&ok(&lfm2(), &block("f(a=1), g()"))), ["f", "g"]);
}

#[test]
fn end_token_inside_a_quoted_argument() {
    let raw = block(&format!(
        "[write(text='use {END} to close', n={{'k': ')]'}})]"
    ));
    let out = ok(&lfm2(), &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"text": format!("use {END} to close"), "n": {"k": ")]"}})
    );
    // The 0.5 normalizer cuts the block at the first end token.
    assert!(LfmNormalizer.normalize(&raw).is_err());
    let raw = block(&format!(
        r#"[{{"name": "w", "arguments": {{"t": "{END}"}}}}]"#
    ));
    assert_eq!(
        ok(&lfm2(), &raw).calls[0].invocation.args,
        json!({"t": END})
    );
}

#[test]
fn unbalanced_quotes_still_end_at_the_right_token() {
    // The apostrophe leaves a quote open, which swallows the end token;
    // the closing brackets before it decide.
    let raw = format!(
        "{} and 'quoted' text {}",
        block("[say(text='it's fine')]"),
        block("[g()]")
    );
    let out = ok(&lfm2(), &raw);
    assert_eq!(names(&out), ["say", "g"]);
    assert_eq!(out.calls[0].invocation.args, json!({"text": "it's fine"}));
    assert_eq!(out.text, " and 'quoted' text ");
}

#[test]
fn nested_braces_and_unicode() {
    let raw = format!(
        "天気 ☀️{} 終わり",
        block("[f(city='東京', data={'a': [1, {'b': '}{'}], 'c': \"x(y)\"}, e='🌧')]")
    );
    let out = ok(&lfm2(), &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "東京", "data": {"a": [1, {"b": "}{"}], "c": "x(y)"}, "e": "🌧"})
    );
    assert_eq!(out.text, "天気 ☀️ 終わり");
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &lfm2(),
        &format!("ok {START}[get_weather(city='Paris'), get_time(tz='UT"),
    );
    let NormalizeError::Incomplete {
        partial, offset, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 3);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_time"));
    assert_eq!(partial.arguments, "tz='UT");
    let e = err(
        &lfm2(),
        &format!("{START}[{{\"name\": \"calc\", \"arguments\": {{\"x\": 1"),
    );
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(partial.unwrap().name.as_deref(), Some("calc"));
}

#[test]
fn reasoning_around_and_calls_inside_it_ignored() {
    let inner = block("[rm(path='/')]");
    let raw = format!("<think>not {inner}</think>{}", block("[ls()]"));
    let out = ok(&lfm2(), &raw);
    assert_eq!(names(&out), ["ls"]);
    assert_eq!(out.reasoning, format!("not {inner}"));
}

#[test]
fn malformed_input_is_a_typed_error_with_an_offset() {
    let raw = format!("ab{}", block("[f(x=1, x=2)]"));
    let e = err(&lfm2(), &raw);
    assert!(
        matches!(e, NormalizeError::DuplicateKey { ref key, .. } if key == "x"),
        "{e:?}"
    );
    let raw = format!("ab{}", block("[not_a_call]"));
    let e = err(&lfm2(), &raw);
    assert!(
        matches!(e, NormalizeError::Malformed { offset, .. } if offset == raw.find("not_a").unwrap()),
        "{e:?}"
    );
    let raw = block("[bad/name(x=1)]");
    assert!(matches!(
        err(&lfm2(), &raw),
        NormalizeError::InvalidToolName { .. }
    ));
    let raw = block(r#"[{"name": "f", "arguments": {"a": 1}}{"a": 1}]"#);
    assert!(matches!(
        err(&lfm2(), &raw),
        NormalizeError::Malformed { .. } | NormalizeError::ConcatenatedArguments { .. }
    ));
    let raw = block(r#"[{"name": "f", "arguments": {"a": 1, "a": 2}}]"#);
    assert!(matches!(
        err(&lfm2(), &raw),
        NormalizeError::DuplicateKey { .. }
    ));
    let deep = block(&format!("[f(x={}{})]", "[".repeat(200), "]".repeat(200)));
    assert!(
        matches!(err(&lfm2(), &deep), NormalizeError::LimitExceeded { .. }),
        "{:?}",
        err(&lfm2(), &deep)
    );
}

fn literal() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-z ,()\\[\\]{}:=]{0,8}".prop_map(|s| format!("'{s}'")),
        "[a-z ,'()]{0,8}".prop_map(|s| format!("\"{s}\"")),
        any::<i32>().prop_map(|n| n.to_string()),
        prop_oneof![
            Just("True"),
            Just("None"),
            Just("07"),
            Just("1.5"),
            Just("word"),
            Just("-3")
        ]
        .prop_map(String::from),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..3).prop_map(|v| {
                let items: Vec<_> = v.into_iter().map(|(k, x)| format!("'{k}': {x}")).collect();
                format!("{{{}}}", items.join(", "))
            }),
        ]
    })
}

fn pythonic_block() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            "[a-z_]{1,6}",
            prop::collection::vec(("[a-z]{1,4}", literal()), 0..3),
        ),
        1..3,
    )
    .prop_map(|calls| {
        let calls: Vec<_> = calls
            .into_iter()
            .map(|(name, args)| {
                let args: Vec<_> = args.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{name}({})", args.join(", "))
            })
            .collect();
        format!("[{}]", calls.join(", "))
    })
}

#[test]
fn streaming_announces_the_call_and_its_arguments() {
    let raw = block("[get_weather(city='Paris', days=3), ping()]");
    let (name, id, deltas) = announced(&streamed(&lfm2(), &raw));
    assert_eq!(name, "get_weather");
    assert_eq!(id, None);
    // A call this short finishes before argument text is streamed; any
    // that was streamed is the start of the raw arguments.
    let args: &str = "city='Paris', days=3";
    assert!(args.starts_with(&deltas), "{deltas:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the 0.5 normalizer reads from a block, LFM2 reads the same.
    #[test]
    fn agrees_with_the_05_normalizer(body in pythonic_block(), before in "[a-z .]{0,6}") {
        let raw = format!("{before}{}", block(&body));
        if let Ok(expected) = LfmNormalizer.normalize(&raw) {
            let out = lfm2().normalize_text(&raw).unwrap();
            prop_assert_eq!(out.invocations(), expected);
            prop_assert_eq!(out.text, before);
        }
    }

    #[test]
    fn random_chunkings_agree(cuts in cuts(240)) {
        let raw = "Hi <think>x</think>".to_string()
            + &block("[a(s='é<|tool_call_end|>', n=[1, {'m': None}]), b(from='x')]")
            + " and "
            + &block(r#"[{"name": "c", "arguments": {"k": "v"}}]"#)
            + ".";
        prop_chunkings(&lfm2(), &raw, &cuts);
    }
}
