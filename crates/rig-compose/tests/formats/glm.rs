//! GLM-4.5 / 4.6 (`glm45`) and GLM-4.7 / 5 (`glm47`): `<tool_call>NAME`
//! with `<arg_key>`/`<arg_value>` pairs.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;
use crate::xml_support::*;

fn glm45() -> TextNormalizer {
    normalizer("glm45")
}

fn glm47() -> TextNormalizer {
    normalizer("glm47")
}

const SPEC: &str = "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>北京</arg_value>\n<arg_key>date</arg_key>\n<arg_value>2024-06-27</arg_value>\n</tool_call>\n<tool_call>get_weather<arg_key>city</arg_key><arg_value>上海</arg_value></tool_call>";

#[test]
fn both_layouts_in_both_formats() {
    for glm in [glm45(), glm47()] {
        let out = ok(&glm, SPEC);
        assert_eq!(names(&out), ["get_weather", "get_weather"]);
        assert_eq!(
            out.calls[0].invocation.args,
            json!({"city": "北京", "date": "2024-06-27"})
        );
        assert_eq!(out.calls[1].invocation.args, json!({"city": "上海"}));
        assert_eq!(out.text, "\n");
    }
    assert_eq!(ok(&glm45(), SPEC).format, Some("glm45"));
    assert_eq!(ok(&glm47(), SPEC).format, Some("glm47"));
    // Spaces instead of newlines, as GLM-4.5 sometimes writes.
    let out = ok(
        &glm45(),
        "<tool_call>ls <arg_key>dirPath</arg_key> <arg_value>backend</arg_value> </tool_call>",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"dirPath": "backend"}));
}

#[test]
fn aliases_resolve() {
    for (alias, name) in [
        ("glm4_moe", "glm45"),
        ("glm4.5", "glm45"),
        ("glm4.6", "glm45"),
        ("glm", "glm45"),
        ("glm4.7", "glm47"),
        ("glm5", "glm47"),
    ] {
        assert_eq!(ok(&normalizer(alias), SPEC).format, Some(name), "{alias}");
    }
}

#[test]
fn no_argument_calls_and_text_around() {
    let out = ok(
        &glm47(),
        "Let me check the time.\n<tool_call>get_time</tool_call>\nand <tool_call>\nping\n</tool_call> done",
    );
    assert_eq!(names(&out), ["get_time", "ping"]);
    assert_eq!(out.calls[0].invocation.args, json!({}));
    assert_eq!(out.text, "Let me check the time.\n\nand  done");
}

#[test]
fn untyped_values_fall_back_json_then_unescaped_json_then_text() {
    let out = ok(
        &glm45(),
        "<tool_call>f\n<arg_key>n</arg_key>\n<arg_value>3</arg_value>\n\
         <arg_key>list</arg_key>\n<arg_value>[1, \"a\"]</arg_value>\n\
         <arg_key>escaped</arg_key>\n<arg_value>{\\\"k\\\": \\\"v\\\"}</arg_value>\n\
         <arg_key>flag</arg_key>\n<arg_value>false</arg_value>\n\
         <arg_key>text</arg_key>\n<arg_value>hello world</arg_value>\n</tool_call>",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"n": 3, "list": [1, "a"], "escaped": {"k": "v"}, "flag": false, "text": "hello world"})
    );
}

#[test]
fn values_are_typed_with_the_schema() {
    let typed = glm45().with_schemas(schemas(&[(
        "book",
        json!({
            "zip": {"type": "string"},
            "nights": {"type": "integer"},
            "pets": {"type": "boolean"},
            "room": {"enum": ["single", "double"]},
            "extras": {"anyOf": [{"type": "array"}, {"type": "null"}]},
        }),
    )]));
    let raw = "<tool_call>book\n<arg_key>zip</arg_key>\n<arg_value>01234</arg_value>\n\
        <arg_key>nights</arg_key>\n<arg_value>2</arg_value>\n\
        <arg_key>pets</arg_key>\n<arg_value>False</arg_value>\n\
        <arg_key>room</arg_key>\n<arg_value>suite</arg_value>\n\
        <arg_key>extras</arg_key>\n<arg_value>None</arg_value>\n</tool_call>";
    let out = ok(&typed, raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"zip": "01234", "nights": 2, "pets": false, "room": "suite", "extras": null})
    );
    assert_eq!(
        untyped(&out),
        [(
            "book".to_owned(),
            "room".to_owned(),
            "enum".to_owned(),
            raw.find("suite").unwrap()
        )]
    );
}

#[test]
fn nested_braces_quotes_and_closing_tags_in_values() {
    let raw = "<tool_call>write\n<arg_key>code</arg_key>\n<arg_value>fn f() { let s = \"}</arg_value>\"; } </tool_call> <arg_key>x</arg_key></arg_value>\n</tool_call>";
    let out = ok(&glm45(), raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"code": "fn f() { let s = \"}</arg_value>\"; } </tool_call> <arg_key>x</arg_key>"})
    );
}

#[test]
fn other_tool_call_bodies_are_not_glm() {
    for raw in [
        "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
        "<tool_call>\n<function=f>\n</function>\n</tool_call>",
        "<tool_call>[{\"name\": \"f\"}]</tool_call>",
        "Use <tool_call> tags to call tools.",
        "<tool_call>get weather</tool_call>",
    ] {
        let out = ok(&glm45(), raw);
        assert!(out.calls.is_empty(), "{raw:?}");
        assert_eq!(out.text, raw);
    }
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &glm47(),
        "Sure <tool_call>get_weather<arg_key>city</arg_key><arg_value>Bei",
    );
    let NormalizeError::Incomplete {
        offset, partial, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 5);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, "<arg_key>city</arg_key><arg_value>Bei");
    for cut in [
        "<tool_call>get_weather",
        "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>x</arg_value>\n",
        "<tool_call>f</tool_ca",
    ] {
        assert!(err(&glm45(), cut).is_incomplete(), "{cut:?}");
    }
}

#[test]
fn reasoning_around_and_calls_inside_ignored() {
    let out = ok(
        &glm45(),
        "<think>maybe <tool_call>rm</tool_call></think>\n<tool_call>ls</tool_call>",
    );
    assert_eq!(names(&out), ["ls"]);
    assert_eq!(out.reasoning, "maybe <tool_call>rm</tool_call>");
}

#[test]
fn malformed_calls_say_where() {
    let raw = "<tool_call>f\n<arg_key>a</arg_key>\nno value tag\n</tool_call>";
    let e = err(&glm45(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find("no value"));
    let raw = "<tool_call>f<arg_key>a<b</arg_key><arg_value>1</arg_value></tool_call>";
    let e = err(&glm45(), raw);
    assert_eq!(e.offset(), raw.find("<b"), "{e}");
    let raw = "<tool_call>f<arg_key>a</arg_key><arg_value>1</arg_value><arg_key>a</arg_key><arg_value>2</arg_value></tool_call>";
    assert!(matches!(
        err(&glm45(), raw),
        NormalizeError::DuplicateKey { .. }
    ));
}

#[test]
fn auto_detection_and_hints() {
    let out = TextNormalizer::auto().normalize_text(SPEC).unwrap();
    assert_eq!(out.format, Some("glm45"));
    assert_eq!(out.calls.len(), 2);
    for (model, name) in [
        ("zai-org/GLM-4.5-Air", "glm45"),
        ("zai-org/GLM-4.6", "glm45"),
        ("zai-org/GLM-4.7-Flash", "glm47"),
        ("zai-org/GLM-5", "glm47"),
    ] {
        let hinted = TextNormalizer::auto_for_model(model);
        assert_eq!(hinted.preferred_format(), Some(name), "{model}");
        assert_eq!(hinted.normalize_text(SPEC).unwrap().format, Some(name));
    }
}

#[test]
fn streaming_announces_calls() {
    let events = events(&glm45(), SPEC, 4);
    assert_eq!(
        started(&events),
        [(0, "get_weather".to_owned()), (1, "get_weather".to_owned())]
    );
    assert!(started_before_finished(&events, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(280)) {
        let raw = format!(
            "a<think><tool_call>x</tool_call></think>{SPEC} <tool_call>{{\"name\": 1}}</tool_call> <tool_call>f<arg_key>k</arg_key><arg_value>é</arg_value>!</arg_value></tool_call>"
        );
        prop_chunkings(&glm45(), &raw, &cuts);
        prop_chunkings(&glm47(), &raw, &cuts);
    }
}
