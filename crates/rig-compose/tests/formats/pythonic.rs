//! Pythonic call lists: bare or in Llama 4's `<|python_start|>` wrapper,
//! and Olmo 3's `<function_calls>` lines.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

fn py() -> TextNormalizer {
    normalizer("pythonic")
}

fn olmo() -> TextNormalizer {
    normalizer("olmo3")
}

#[test]
fn names_and_hints() {
    assert_eq!(
        normalizer("llama4_pythonic").preferred_format(),
        Some("pythonic")
    );
    assert_eq!(
        TextNormalizer::auto_for_model("meta-llama/Llama-4-Scout-17B-16E-Instruct")
            .preferred_format(),
        Some("pythonic")
    );
    assert_eq!(
        TextNormalizer::auto_for_model("allenai/Olmo-3-7B-Instruct").preferred_format(),
        Some("olmo3")
    );
}

#[test]
fn one_bare_call() {
    let out = ok(
        &py(),
        "[get_weather(city='San Francisco', metric='celsius')]",
    );
    assert_eq!(names(&out), ["get_weather"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "San Francisco", "metric": "celsius"})
    );
    assert_eq!(out.text, "");
}

#[test]
fn parallel_calls_and_literal_kinds() {
    let raw = "  [get_weather(city='San Francisco', metric=\"celsius\"), get_weather(city='Seattle', days=3, hourly=False, when=None, tags=['a', (1, 2.5)], opts={'k': -1, 2: True}), ping()]\nDone.";
    let out = ok(&py(), raw);
    assert_eq!(names(&out), ["get_weather", "get_weather", "ping"]);
    assert_eq!(
        out.calls[1].invocation.args,
        json!({"city": "Seattle", "days": 3, "hourly": false, "when": null, "tags": ["a", [1, 2.5]], "opts": {"k": -1, "2": true}})
    );
    assert_eq!(out.calls[2].invocation.args, json!({}));
    assert_eq!(out.text, "  \nDone.");
}

#[test]
fn llama4_wrapper_with_text_around() {
    let raw = "Let me check. <|python_start|>[get_weather(city='Paris'), get_time(tz='UTC')]<|python_end|> Back soon.";
    let out = ok(&py(), raw);
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.text, "Let me check.  Back soon.");
    // Without the list brackets.
    let out = ok(&py(), "<|python_start|>get_time(tz='UTC')<|python_end|>");
    assert_eq!(names(&out), ["get_time"]);
    // The end token never came, after a finished list.
    let out = ok(&py(), "<|python_start|>[get_time(tz='UTC')]");
    assert_eq!(names(&out), ["get_time"]);
}

#[test]
fn strings_hold_brackets_quotes_escapes_and_end_tokens() {
    let raw = r#"<|python_start|>[run(code='if (x) { y("}]") }', s="it's <|python_end|> ]", e='a\nb\'c\u00e9')]<|python_end|>"#;
    let out = ok(&py(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "if (x) { y(\"}]\") }", "s": "it's <|python_end|> ]", "e": "a\nb'cé"})
    );
    let out = ok(&py(), "[f(s='''multi\n'line' ''')]");
    assert_eq!(out.calls[0].invocation.args, json!({"s": "multi\n'line' "}));
}

#[test]
fn unicode_everywhere() {
    let out = ok(&py(), "[get_weather(city='東京', note=\"🌧 é\")] 終わり");
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "東京", "note": "🌧 é"})
    );
    assert_eq!(out.text, " 終わり");
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(&py(), "[get_weather(city='Paris'), get_time(tz='UT");
    let NormalizeError::Incomplete {
        partial, offset, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 0);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_time"));
    assert_eq!(partial.arguments, "tz='UT");
    assert!(err(&py(), "ok <|python_start|>[f(a=1), g(").is_incomplete());
    assert!(err(&py(), "[f(a=").is_incomplete());
}

#[test]
fn reasoning_before_a_bare_list_and_calls_inside_it_ignored() {
    let out = ok(&py(), "<think>maybe [rm(path='/')]</think>\n[ls(path='.')]");
    assert_eq!(names(&out), ["ls"]);
    assert_eq!(out.reasoning, "maybe [rm(path='/')]");
    assert_eq!(out.text, "\n");
}

#[test]
fn lists_in_prose_are_text() {
    for raw in [
        "Here: [f(a=1)]",
        "[1, 2, 3] are numbers",
        "[see(below)] for details",
        "[Note: f(a=1)]",
        "[x == y(a==1)]",
    ] {
        let out = ok(&py(), raw);
        assert!(out.calls.is_empty(), "{raw}");
        assert_eq!(out.text, raw);
    }
    // Auto-detection takes a bare list only as the whole output.
    let auto = TextNormalizer::auto();
    let out = ok(&auto, "[get_weather(city='Paris')]");
    assert_eq!(out.format, Some("pythonic"));
    let prose = "[get_weather(city='Paris')] is how you would call it.";
    let out = ok(&auto, prose);
    assert!(out.calls.is_empty());
    assert_eq!(out.text, prose);
}

#[test]
fn malformed_input_is_a_typed_error_with_an_offset() {
    for (raw, at) in [
        // JSON keywords are not Python.
        ("[f(on=true)]", 6),
        ("[f(a=1), g(x=y)]", 13),
        ("[f(a=1, 'b')]", 8),
        ("[f(a=1 b=2)]", 7),
        ("[f(a=[1, 2)]", 10),
        ("[f(a='x\\q'), g(b=1e999)]", 17),
        ("<|python_start|>[f(a='it's')]<|python_end|>", 25),
    ] {
        let e = err(&py(), raw);
        assert!(
            matches!(e, NormalizeError::Malformed { .. }),
            "{raw}: {e:?}"
        );
        assert_eq!(e.offset(), Some(at), "{raw}: {e}");
    }
    let e = err(&py(), "[f(a=1, a=2)]");
    assert!(
        matches!(e, NormalizeError::DuplicateKey { offset: 8, ref key, .. } if key == "a"),
        "{e:?}"
    );
    let deep = format!("[f(a={}{})]", "[".repeat(200), "]".repeat(200));
    assert!(matches!(
        err(&py(), &deep),
        NormalizeError::LimitExceeded { .. }
    ));
}

#[test]
fn olmo3_lines_with_json_keywords() {
    let raw = "I'll check.<function_calls>\nget_weather(city=\"Paris\", detailed=true, extra=null)\nget_time(tz=\"UTC\", dst=False)\n</function_calls>Done.";
    let out = ok(&olmo(), raw);
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "Paris", "detailed": true, "extra": null})
    );
    assert_eq!(
        out.calls[1].invocation.args,
        json!({"tz": "UTC", "dst": false})
    );
    assert_eq!(out.text, "I'll check.Done.");
    // A list inside the tags, and one call.
    let out = ok(&olmo(), "<function_calls>[a(x=1), b()]</function_calls>");
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(
        ok(
            &TextNormalizer::auto(),
            "<function_calls>\nf(a=1)\n</function_calls>"
        )
        .format,
        Some("olmo3")
    );
}

#[test]
fn olmo3_leaves_invoke_blocks_alone() {
    let raw = "<function_calls>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Paris</parameter>\n</invoke>\n</function_calls>";
    let out = ok(&olmo(), raw);
    assert!(out.calls.is_empty());
    assert_eq!(out.text, raw);
    let out = ok(&olmo(), "<function_calls>\n<inv");
    assert_eq!(out.text, "<function_calls>\n<inv");
}

#[test]
fn olmo3_strings_unicode_truncation_and_reasoning() {
    let out = ok(
        &olmo(),
        "<think>plan é</think><function_calls>\nwrite(text=\"</function_calls> {x} 日本\")\n</function_calls>",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"text": "</function_calls> {x} 日本"})
    );
    assert_eq!(out.reasoning, "plan é");
    let e = err(&olmo(), "<function_calls>\nget_weather(city=\"Par");
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(partial.unwrap().arguments, "city=\"Par");
    let e = err(
        &olmo(),
        "<function_calls>\nf(a=1)\ng(b=oops)\n</function_calls>",
    );
    assert!(
        matches!(e, NormalizeError::Malformed { offset: 28, .. }),
        "{e:?}"
    );
}

#[test]
fn streaming_announces_the_call_and_its_arguments() {
    let raw = "[get_weather(city='Paris', days=3), ping()]";
    let (name, id, deltas) = announced(&streamed(&py(), raw));
    assert_eq!(name, "get_weather");
    assert_eq!(id, None);
    // A call this short finishes before argument text is streamed; any
    // that was streamed is the start of the raw arguments.
    let args: &str = "city='Paris', days=3";
    assert!(args.starts_with(&deltas), "{deltas:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(200)) {
        let raw = "<think>x</think> [a(s='é<|python_end|>]', n=[1, {'m': None}]), b()] then <|python_start|>[c(k=\"v\")]<|python_end|>.";
        prop_chunkings(&py(), raw, &cuts);
    }

    #[test]
    fn olmo_random_chunkings_agree(cuts in cuts(160)) {
        let raw = "Hi<function_calls>\na(s=\"</function_calls>\", t=true)\nb()\n</function_calls> and <function_calls><invoke/></function_calls>";
        prop_chunkings(&olmo(), raw, &cuts);
    }
}
