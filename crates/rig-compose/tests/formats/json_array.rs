//! The JSON-array-in-tags family: Jamba, Hunyuan-A13B, Apriel, Nemotron,
//! Apertus, Phi-4-mini (`functools[…]`) and xLAM.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;

/// The members whose array sits between two tags: (format, open, close).
const TAGGED: [(&str, &str, &str); 5] = [
    ("jamba", "<tool_calls>", "</tool_calls>"),
    ("hunyuan_a13b", "<tool_calls>", "</tool_calls>"),
    ("apriel", "<tool_calls>", "</tool_calls>"),
    ("nemotron", "<TOOLCALL>", "</TOOLCALL>"),
    ("apertus", "<|tools_prefix|>", "<|tools_suffix|>"),
];

fn call(name: &str, args: &str) -> String {
    format!("{{\"name\": \"{name}\", \"arguments\": {args}}}")
}

#[test]
fn one_call_each() {
    for (format, open, close) in TAGGED {
        let raw = format!(
            "{open}[{}]{close}",
            call("get_weather", "{\"city\": \"Paris\"}")
        );
        let out = ok(&normalizer(format), &raw);
        assert_eq!(names(&out), ["get_weather"], "{format}");
        assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
        assert_eq!(out.text, "", "{format}");
    }
}

#[test]
fn parallel_calls_and_text_around_each() {
    for (format, open, close) in TAGGED {
        let raw = format!(
            "Looking up.\n{open}[{}, {}]{close}\nDone.",
            call("get_weather", "{\"city\": \"Paris\"}"),
            call("get_time", "{\"tz\": \"UTC\"}")
        );
        let out = ok(&normalizer(format), &raw);
        assert_eq!(names(&out), ["get_weather", "get_time"], "{format}");
        assert_eq!(out.text, "Looking up.\n\nDone.", "{format}");
    }
}

#[test]
fn nested_braces_quotes_and_closing_tags_in_strings_each() {
    for (format, open, close) in TAGGED {
        let args = format!(
            "{{\"code\": \"x = {{\\\"a\\\": [1, 2]}}; // {close} ]\", \"n\": {{\"m\": [{{}}]}}}}"
        );
        let raw = format!("{open}[{}]{close}", call("run", &args));
        let out = ok(&normalizer(format), &raw);
        assert_eq!(
            out.calls[0].invocation.args,
            json!({"code": format!("x = {{\"a\": [1, 2]}}; // {close} ]"), "n": {"m": [{}]}}),
            "{format}"
        );
    }
}

#[test]
fn unicode_each() {
    for (format, open, close) in TAGGED {
        let raw = format!(
            "Ça va ✓ {open}[{}]{close} ありがとう",
            call("say", "{\"text\": \"héllo 世界 🎉\"}")
        );
        let out = ok(&normalizer(format), &raw);
        assert_eq!(out.calls[0].invocation.args["text"], "héllo 世界 🎉");
        assert_eq!(out.text, "Ça va ✓  ありがとう", "{format}");
    }
}

#[test]
fn truncated_output_is_incomplete_each() {
    for (format, open, _) in TAGGED {
        let raw = format!(
            "{open}[{}, {{\"name\": \"get_time\", \"arguments\": {{\"tz\": \"U",
            call("a", "{}")
        );
        let e = err(&normalizer(format), &raw);
        let NormalizeError::Incomplete { partial, .. } = &e else {
            panic!("{format}: {e:?}")
        };
        let partial = partial.as_ref().unwrap();
        assert_eq!(partial.name.as_deref(), Some("get_time"), "{format}");
        assert_eq!(partial.arguments, "{\"tz\": \"U");
    }
}

#[test]
fn reasoning_around_each() {
    for (format, open, close) in TAGGED {
        let (think, end) = if format == "apriel" {
            ("<thinking>", "</thinking>")
        } else {
            ("<think>", "</think>")
        };
        let inner = format!("{open}[{}]{close}", call("rm", "{}"));
        let raw = format!(
            "{think}Maybe {inner}.{end}{open}[{}]{close}",
            call("ls", "{}")
        );
        let out = ok(&normalizer(format), &raw);
        assert_eq!(names(&out), ["ls"], "{format}");
        assert_eq!(out.reasoning, format!("Maybe {inner}."), "{format}");
    }
}

#[test]
fn malformed_input_is_located_each() {
    for (format, open, close) in TAGGED {
        let raw = format!("ab{open}[{{\"name\": \"f\", \"arguments\": {{\"a\": 01}}}}]{close}");
        let e = err(&normalizer(format), &raw);
        assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
        assert!(e.offset().unwrap() > 2 + open.len(), "{format}: {e}");
        let raw = format!("{open}[{}]{}{close}", call("f", "{}"), call("f", "{}"));
        let e = err(&normalizer(format), &raw);
        assert!(
            matches!(
                e,
                NormalizeError::ConcatenatedArguments { .. } | NormalizeError::Malformed { .. }
            ),
            "{format}: {e:?}"
        );
    }
}

#[test]
fn tool_calls_tag_is_shared_but_only_arrays_are_ours() {
    for format in ["jamba", "hunyuan_a13b", "apriel"] {
        for raw in [
            "<tool_calls>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_calls>",
            "<tool_calls>\n<tool_call>get_weather<tool_sep>\n</tool_call>\n</tool_calls>",
        ] {
            let out = ok(&normalizer(format), raw);
            assert!(out.calls.is_empty(), "{format}: {raw:?}");
            assert_eq!(out.text, raw);
        }
    }
}

#[test]
fn auto_detection_reports_jamba_for_the_shared_syntax() {
    let out = ok(
        &TextNormalizer::auto(),
        "<tool_calls>[{\"name\": \"a\", \"arguments\": {}}]</tool_calls>",
    );
    assert_eq!(out.format, Some("jamba"));
    for (model, format) in [
        ("ai21labs/AI21-Jamba-1.5-Mini", "jamba"),
        ("tencent/Hunyuan-A13B-Instruct", "hunyuan_a13b"),
        ("ServiceNow-AI/Apriel-Nemotron-15b-Thinker", "apriel"),
        ("nvidia/Llama-3_3-Nemotron-Super-49B-v1", "nemotron"),
        ("swiss-ai/Apertus-8B-Instruct-2509", "apertus"),
        ("microsoft/Phi-4-mini-instruct", "phi4_mini"),
        ("Salesforce/xLAM-2-8b-fc-r", "xlam"),
    ] {
        assert_eq!(
            TextNormalizer::auto_for_model(model).preferred_format(),
            Some(format),
            "{model}"
        );
    }
}

#[test]
fn hunyuan_arguments_may_be_a_string() {
    let out = ok(
        &normalizer("hunyuan_a13b"),
        r#"<think>Paris.</think><tool_calls>[{"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}]</tool_calls>"#,
    );
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.reasoning, "Paris.");
}

#[test]
fn apertus_short_form_and_inner_reasoning() {
    let apertus = normalizer("apertus");
    let out = ok(
        &apertus,
        "<|inner_prefix|>Need weather.<|inner_suffix|><|tools_prefix|>[{\"get_weather\": {\"city\": \"Paris\"}}, {\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}, {\"ping\": {}}]<|tools_suffix|>",
    );
    assert_eq!(names(&out), ["get_weather", "get_time", "ping"]);
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.reasoning, "Need weather.");
    let e = err(
        &apertus,
        "<|tools_prefix|>[{\"a\": {}, \"b\": {}}]<|tools_suffix|>",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    let e = err(
        &apertus,
        "<|tools_prefix|>[{\"get weather\": {}}]<|tools_suffix|>",
    );
    assert!(matches!(e, NormalizeError::InvalidToolName { .. }), "{e:?}");
}

#[test]
fn apertus_short_form_streams_its_name() {
    let mut stream = normalizer("apertus").stream();
    let mut events = stream
        .feed("<|tools_prefix|>[{\"get_weather\": {\"city\": \"Pa")
        .unwrap();
    events.extend(stream.feed("ris\"}}]<|tools_suffix|>").unwrap());
    events.extend(stream.finish().unwrap());
    assert!(matches!(
        &events[0],
        rig_compose::normalizer::StreamEvent::CallStarted { name, .. } if name == "get_weather"
    ));
}

fn phi() -> TextNormalizer {
    normalizer("phi4_mini")
}

#[test]
fn phi4_mini_functools() {
    assert_eq!(
        normalizer("phi4_mini_json").preferred_format(),
        Some("phi4_mini")
    );
    let out = ok(
        &phi(),
        "functools[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}]",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    // Firefunction v2: leading space (kept as text), text after.
    let out = ok(
        &phi(),
        " functools[{\"name\": \"f\", \"arguments\": {\"s\": \"functools[ ]\"}}] then text ✓",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"s": "functools[ ]"}));
    assert_eq!(out.text, "  then text ✓");
    // The Python module in prose is text.
    let raw = "Import functools and use functools.reduce or functools [x].";
    assert_eq!(ok(&phi(), raw).text, raw);
    assert!(err(&phi(), "functools[{\"name\": \"f\", \"argu").is_incomplete());
    let out = ok(
        &phi(),
        "<think>functools[{\"name\": \"x\", \"arguments\": {}}]</think>functools[{\"name\": \"y\", \"arguments\": {}}]",
    );
    assert_eq!(names(&out), ["y"]);
    let e = err(&phi(), "functools[{\"name\": \"f\", \"arguments\": {]}]");
    assert_eq!(e.offset(), Some(38), "{e}");
}

fn xlam() -> TextNormalizer {
    normalizer("xlam")
}

#[test]
fn xlam_bare_array_at_the_start() {
    let out = ok(
        &xlam(),
        "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}]",
    );
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    // After reasoning.
    let out = ok(
        &xlam(),
        "<think>Two calls.</think>\n[{\"name\": \"a\", \"arguments\": {}}]",
    );
    assert_eq!(names(&out), ["a"]);
    assert_eq!(out.reasoning, "Two calls.");
    // The template opened the reasoning: only its closing tag shows.
    let out = ok(
        &xlam(),
        "The user wants two things.</think>\n\n[{\"name\": \"a\", \"arguments\": {}}]",
    );
    assert_eq!(names(&out), ["a"]);
    assert_eq!(out.text, "The user wants two things.");
    let raw = "Done.</think> [1, 2]";
    assert_eq!(ok(&xlam(), raw).text, raw);
    // Later in the text, a bare array is prose.
    let raw = "Here: [{\"name\": \"a\", \"arguments\": {}}]";
    assert!(ok(&xlam(), raw).calls.is_empty());
    // Other JSON at the start is text.
    let raw = "[{\"id\": 1, \"value\": \"x\"}]";
    assert_eq!(ok(&xlam(), raw).text, raw);
}

#[test]
fn xlam_fence_and_markers() {
    let out = ok(
        &xlam(),
        "Sure:\n```json\n[{\"name\": \"a\", \"arguments\": {\"q\": \"```\"}}]\n```\nok",
    );
    assert_eq!(names(&out), ["a"]);
    assert_eq!(out.calls[0].invocation.args, json!({"q": "```"}));
    assert_eq!(out.text, "Sure:\n\nok");
    let fenced = "```json\n{\"config\": true}\n```";
    assert_eq!(ok(&xlam(), fenced).text, fenced);
    let out = ok(
        &xlam(),
        "x [TOOL_CALLS][{\"name\": \"b\", \"arguments\": {}}] <tool_call>[{\"name\": \"c\", \"arguments\": {\"u\": \"ü\"}}]</tool_call>",
    );
    assert_eq!(names(&out), ["b", "c"]);
    assert_eq!(out.text, "x  ");
}

#[test]
fn xlam_truncated_and_malformed() {
    let e = err(&xlam(), "[{\"name\": \"get_weather\", \"arguments\": {\"ci");
    let NormalizeError::Incomplete { partial, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(partial.unwrap().name.as_deref(), Some("get_weather"));
    let e = err(
        &xlam(),
        "<tool_call>[{\"name\": \"a\", \"arguments\": {\"x\": 1 2}}]</tool_call>",
    );
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert!(e.offset().unwrap() > 11);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_chunkings_agree_jamba(cuts in cuts(170)) {
        let raw = "A<think>t</think><tool_calls>[{\"name\": \"a\", \"arguments\": {\"s\": \"é</tool_calls>\"}}, {\"name\": \"b\", \"arguments\": \"{}\"}]</tool_calls>B";
        prop_chunkings(&normalizer("jamba"), raw, &cuts);
    }

    #[test]
    fn random_chunkings_agree_apertus(cuts in cuts(150)) {
        let raw = "<|inner_prefix|>x<|inner_suffix|>A<|tools_prefix|>[{\"a\": {\"s\": \"]}\"}}, {\"name\": \"b\", \"arguments\": {}}]<|tools_suffix|>B";
        prop_chunkings(&normalizer("apertus"), raw, &cuts);
    }

    #[test]
    fn random_chunkings_agree_nemotron_phi_xlam(cuts in cuts(120)) {
        let n = "<TOOLCALL>[{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {\"k\": \"ü\"}}]</TOOLCALL> ok";
        prop_chunkings(&normalizer("nemotron"), n, &cuts);
        let p = " functools[{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {\"k\": \"]\"}}] ok";
        prop_chunkings(&phi(), p, &cuts);
        let x = "\n[{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {\"k\": \"]\"}}] ok";
        prop_chunkings(&xlam(), x, &cuts);
    }
}

/// Bare JSON is a call only by the shape of its keys; the one-pass reader
/// must judge the same objects as the scanning route (the harness compares
/// both), including key order, repeated-looking keys and escaped keys.
#[test]
fn xlam_key_shapes_judged_alike_by_both_routes() {
    let calls = [
        // A string name and arguments, in either order.
        ("[{\"arguments\": {}, \"name\": \"a\"}]", 1),
        // The first name key in text order decides: `tool_name` holds no
        // string, so `name` after it does not make a call.
        (
            "[{\"tool_name\": 1, \"name\": \"a\", \"arguments\": {}}]",
            0,
        ),
        (
            "[{\"name\": \"a\", \"tool_name\": 1, \"arguments\": {}}]",
            1,
        ),
        // A name without arguments is not enough for xLAM.
        ("[{\"name\": \"a\"}]", 0),
        // The first key must be one a call can begin with.
        (
            "[{\"city\": \"Paris\", \"name\": \"a\", \"arguments\": {}}]",
            0,
        ),
        // ...but only for the first element.
        (
            "[{\"name\": \"a\", \"arguments\": {}}, {\"x\": 1, \"name\": \"b\", \"args\": {}}]",
            2,
        ),
        // Every element must be a call object.
        ("[{\"name\": \"a\", \"arguments\": {}}, 3]", 0),
        ("[]", 0),
        // OpenAI nesting.
        (
            "[{\"type\": \"function\", \"function\": {\"name\": \"a\", \"arguments\": \"{}\"}}]",
            1,
        ),
        // Escaped keys are compared as written by the scanning route.
        ("[{\"n\\u0061me\": \"a\", \"arguments\": {}}]", 0),
        ("[{\"name\": \"a\", \"\\u0061rguments\": {}}]", 0),
    ];
    for (raw, expected) in calls {
        let out = ok(&xlam(), raw);
        assert_eq!(out.calls.len(), expected, "{raw}");
        if expected == 0 {
            assert_eq!(out.text, raw);
        }
    }
    let granite = normalizer("granite_20b_fc");
    for (raw, expected) in [
        ("<function_call> {\"name\": \"a\"}", 1),
        ("<function_call> {\"tool_name\": [], \"name\": \"a\"}", 0),
        ("<function_call> {\"x\": 1, \"name\": \"a\"}", 0),
        ("<function_call> {\"n\\u0061me\": \"a\"}", 0),
    ] {
        assert_eq!(ok(&granite, raw).calls.len(), expected, "{raw}");
    }
}
