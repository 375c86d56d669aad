//! Qwen3-Coder / Qwen3.5 / Step-3.5 XML: `<tool_call><function=…>`.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;
use crate::xml_support::*;

fn qwen() -> TextNormalizer {
    normalizer("qwen3_coder")
}

const WEATHER: &str = "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>";

#[test]
fn one_call() {
    let out = ok(&qwen(), WEATHER);
    assert_eq!(names(&out), ["get_weather"]);
    // No schema: `3` is JSON, `Paris` is not.
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "Paris", "days": 3})
    );
    assert_eq!(out.calls[0].id, None);
    assert_eq!(out.text, "");
    assert_eq!(out.format, Some("qwen3_coder"));
}

#[test]
fn aliases_resolve() {
    for alias in ["qwen3_xml", "Qwen3-Coder", "step3p5", "step3.5"] {
        let out = ok(&normalizer(alias), WEATHER);
        assert_eq!(names(&out), ["get_weather"], "{alias}");
    }
}

#[test]
fn parallel_calls_in_blocks_and_in_one_wrapper() {
    let raw = format!("{WEATHER}\n{}", WEATHER.replace("Paris", "Tokyo"));
    let out = ok(&qwen(), &raw);
    assert_eq!(out.calls.len(), 2);
    assert_eq!(out.calls[1].invocation.args["city"], "Tokyo");
    assert_eq!(out.text, "\n");
    let out = ok(
        &qwen(),
        "<tool_call>\n<function=a>\n<parameter=x>\n1\n</parameter>\n</function>\n<function=b>\n</function>\n</tool_call>",
    );
    assert_eq!(names(&out), ["a", "b"]);
    assert_eq!(out.calls[1].invocation.args, json!({}));
}

#[test]
fn text_before_and_after() {
    let out = ok(&qwen(), &format!("Let me check.\n\n{WEATHER}\nDone."));
    assert_eq!(out.text, "Let me check.\n\n\nDone.");
    assert_eq!(names(&out), ["get_weather"]);
}

#[test]
fn nested_braces_and_quotes_in_string_arguments() {
    let raw = "<tool_call>\n<function=run>\n<parameter=code>\nif (x) { y(\"}\"); } // {'a': \"[\"}\n</parameter>\n<parameter=json>\n{\"a\": {\"b\": [1, \"}]\"]}}\n</parameter>\n</function>\n</tool_call>";
    let out = ok(&qwen(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "if (x) { y(\"}\"); } // {'a': \"[\"}", "json": {"a": {"b": [1, "}]"]}}})
    );
    // With a string schema the JSON-looking value stays text.
    let typed = qwen().with_schemas(schemas(&[(
        "run",
        json!({"code": {"type": "string"}, "json": {"type": "string"}}),
    )]));
    let out = ok(&typed, raw);
    assert_eq!(
        out.calls[0].invocation.args["json"],
        "{\"a\": {\"b\": [1, \"}]\"]}}"
    );
}

#[test]
fn closing_tags_inside_a_string_argument() {
    let raw = "<tool_call>\n<function=write>\n<parameter=body>\n<a>x</parameter> is a tag; so are </function> and </tool_call>.\n</parameter>\n<parameter=n>\n1\n</parameter>\n</function>\n</tool_call> after";
    let out = ok(&qwen(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"body": "<a>x</parameter> is a tag; so are </function> and </tool_call>.", "n": 1})
    );
    assert_eq!(out.text, " after");
    // A closing tag at the very end of a value, followed by more text.
    let out = ok(
        &qwen(),
        "<tool_call><function=f><parameter=s>a</parameter></parameter></function></tool_call>",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"s": "a</parameter>"}));
}

#[test]
fn unicode_everywhere() {
    let out = ok(
        &qwen(),
        "Météo ☀️ <tool_call>\n<function=get_weather>\n<parameter=city>\n北京\n</parameter>\n<parameter=note>\n🌧 «pluie»\n</parameter>\n</function>\n</tool_call> 終わり",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "北京", "note": "🌧 «pluie»"})
    );
    assert_eq!(out.text, "Météo ☀️  終わり");
}

#[test]
fn truncated_output_is_incomplete_not_a_call() {
    let cut = "Sure. <tool_call>\n<function=get_weather>\n<parameter=city>\nPar";
    let e = err(&qwen(), cut);
    let NormalizeError::Incomplete {
        format,
        offset,
        partial,
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!((format, offset), ("qwen3_coder", 6));
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, "\n<parameter=city>\nPar");
    // Cut after a complete parameter, or before `</tool_call>` arrived.
    for cut in [
        "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n",
        "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</function",
        "<tool_call>\n<function=f",
        "<function=f>\n<parameter=a>1</parameter>",
        "text <tool_call>",
    ] {
        assert!(err(&qwen(), cut).is_incomplete(), "{cut:?}");
    }
}

#[test]
fn missing_closing_tags_that_are_tolerated() {
    // `</tool_call>` missing at the end of the output.
    let out = ok(
        &qwen(),
        "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</function>\n",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"a": 1}));
    assert_eq!(out.text, "\n");
    // `</function>` missing before `</tool_call>`.
    let out = ok(
        &qwen(),
        "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</tool_call>",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"a": 1}));
}

#[test]
fn unclosed_parameters() {
    let out = ok(
        &qwen(),
        "<tool_call>\n<function=edit>\n<parameter=path>\nsrc/main.rs\n<parameter=line>\n12\n</function>\n</tool_call>",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"path": "src/main.rs", "line": 12})
    );
    // Inside the wrapper, a `</function>` that the end does not follow is
    // still value text.
    let out = ok(
        &qwen(),
        "<tool_call><function=f><parameter=s>a</function> b</function></tool_call>",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"s": "a</function> b"}));
}

#[test]
fn without_the_tool_call_wrapper() {
    let out = ok(
        &qwen(),
        "I'll look.\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\nthen more",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    assert_eq!(out.text, "I'll look.\n\nthen more");
}

#[test]
fn hermes_and_functionary_json_bodies_are_not_claimed() {
    for raw in [
        "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
        "<function=f>{\"a\": 1}</function>",
        "<tool_call>[{\"name\": \"f\"}]</tool_call>",
        "<tool_call>f\n<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>",
        "<function=f>\n{\"a\": 1}\n</function>",
        "a <function=f(x)> b",
    ] {
        let out = ok(&qwen(), raw);
        assert!(out.calls.is_empty(), "{raw:?}");
        assert_eq!(out.text, raw);
    }
}

#[test]
fn reasoning_is_separated_and_calls_in_it_are_ignored() {
    let out = ok(
        &qwen(),
        &format!(
            "<think>Maybe {WEATHER}? No: Tokyo.</think>\n{}",
            WEATHER.replace("Paris", "Tokyo")
        ),
    );
    assert_eq!(out.calls.len(), 1);
    assert_eq!(out.calls[0].invocation.args["city"], "Tokyo");
    assert_eq!(out.reasoning, format!("Maybe {WEATHER}? No: Tokyo."));
    assert_eq!(out.text, "\n");
    // A template that already opened the reasoning.
    let out = ok(
        &qwen().starting_in_reasoning(true),
        &format!("hmm</think>{WEATHER}"),
    );
    assert_eq!(out.reasoning, "hmm");
    assert_eq!(out.calls.len(), 1);
}

#[test]
fn values_are_typed_with_the_schema() {
    let typed = qwen().with_schemas(schemas(&[(
        "book",
        json!({
            "guests": {"type": "integer"},
            "price": {"type": "number"},
            "breakfast": {"type": "boolean"},
            "notes": {"type": ["string", "null"]},
            "rooms": {"type": "array"},
            "extras": {"type": "object"},
            "size": {"enum": ["single", "double"]},
            "code": {"type": "string"},
            "when": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        }),
    )]));
    let raw = "<tool_call>\n<function=book>\n\
        <parameter=guests>\n2\n</parameter>\n\
        <parameter=price>\n99.5\n</parameter>\n\
        <parameter=breakfast>\nTrue\n</parameter>\n\
        <parameter=notes>\nNone\n</parameter>\n\
        <parameter=rooms>\n['a', 'b']\n</parameter>\n\
        <parameter=extras>\n{\"late\": true}\n</parameter>\n\
        <parameter=size>\ndouble\n</parameter>\n\
        <parameter=code>\n007\n</parameter>\n\
        <parameter=when>\ntomorrow\n</parameter>\n\
        <parameter=other>\n[1]\n</parameter>\n\
        </function>\n</tool_call>";
    let out = ok(&typed, raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({
            "guests": 2, "price": 99.5, "breakfast": true, "notes": null,
            "rooms": ["a", "b"], "extras": {"late": true}, "size": "double",
            "code": "007", "when": "tomorrow", "other": [1],
        })
    );
    assert!(out.warnings.is_empty());
}

#[test]
fn values_that_do_not_convert_keep_their_text_and_warn() {
    let typed = qwen().with_schemas(schemas(&[(
        "get_weather",
        json!({"city": {"type": "string"}, "days": {"type": "integer"}}),
    )]));
    let raw = "Hi <tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\nthree\n</parameter>\n</function>\n</tool_call>";
    let out = ok(&typed, raw);
    // The call is kept, with the text as written.
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"city": "Paris", "days": "three"})
    );
    assert_eq!(
        untyped(&out),
        [(
            "get_weather".to_owned(),
            "days".to_owned(),
            "integer".to_owned(),
            raw.find("three").unwrap()
        )]
    );
}

#[test]
fn malformed_regions_say_where() {
    let raw = "ok <tool_call>\n<function=f>\n<parameter=a>1</parameter>\n</function> junk </tool_call> rest";
    let e = err(&qwen(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find("junk"), "{e}");
    let raw = "<tool_call>\n<function=f>\n<parameter=>1</parameter>\n</function>\n</tool_call>";
    let e = err(&qwen(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find(">1"), "{e}");
    // A parameter name cut by a newline.
    let raw = "<tool_call><function=f><parameter=a\nb>1</parameter></function></tool_call>";
    let e = err(&qwen(), raw);
    assert_eq!(e.offset(), raw.find('\n'), "{e}");
    // The same parameter twice.
    let raw = "<tool_call><function=f><parameter=a>1</parameter><parameter=a>2</parameter></function></tool_call>";
    let e = err(&qwen(), raw);
    assert!(
        matches!(e, NormalizeError::DuplicateKey { ref key, .. } if key == "a"),
        "{e:?}"
    );
}

#[test]
fn streaming_announces_the_call_and_its_argument_text() {
    let events = events(&qwen(), &format!("Hi {WEATHER}"), 7);
    assert_eq!(started(&events), [(0, "get_weather".to_owned())]);
    assert!(started_before_finished(&events, 0));
    let args = argument_text(&events, 0);
    assert!(
        "\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n"
            .starts_with(&args)
            && args.contains("Paris"),
        "{args:?}"
    );
}

#[test]
fn auto_detection_and_model_hints() {
    let auto = TextNormalizer::auto();
    let out = auto.normalize_text(WEATHER).unwrap();
    assert_eq!(out.format, Some("qwen3_coder"));
    assert_eq!(out.calls[0].invocation.args["days"], 3);
    // Hermes JSON after the same tag is still Hermes.
    let out = auto
        .normalize_text("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>")
        .unwrap();
    assert_eq!(out.format, Some("hermes"));
    for model in [
        "Qwen/Qwen3-Coder-30B-A3B-Instruct",
        "Qwen/Qwen3.5-397B-A17B",
        "stepfun-ai/Step-3.5-Flash",
    ] {
        assert_eq!(
            TextNormalizer::auto_for_model(model).preferred_format(),
            Some("qwen3_coder"),
            "{model}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(260)) {
        let raw = "Hi <think>hmm <tool_call></think><tool_call>\n<function=a>\n<parameter=s>\né</parameter> x\n</parameter>\n<parameter=n>\n2\n</function>\n<function=b>\n</function>\n</tool_call> and <function=c>\n<parameter=k>\n{\"v\": [1]}\n</parameter>\n</function>.";
        prop_chunkings(&qwen(), raw, &cuts);
    }
}
