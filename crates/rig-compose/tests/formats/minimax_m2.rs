//! MiniMax M2: `<minimax:tool_call><invoke name=…><parameter name=…>`.

use proptest::prelude::*;
use rig_compose::normalizer::{NormalizeError, TextNormalizer};
use serde_json::json;

use crate::harness::*;
use crate::xml_support::*;

fn m2() -> TextNormalizer {
    normalizer("minimax_m2")
}

const TWO: &str = "<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Paris</parameter>\n</invoke>\n<invoke name=\"get_time\">\n<parameter name=\"tz\">UTC</parameter>\n</invoke>\n</minimax:tool_call>";

#[test]
fn one_and_parallel_calls() {
    let out = ok(
        &m2(),
        "<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Paris</parameter>\n</invoke>\n</minimax:tool_call>",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
    let out = ok(&m2(), TWO);
    assert_eq!(names(&out), ["get_weather", "get_time"]);
    assert_eq!(out.calls[1].invocation.args, json!({"tz": "UTC"}));
    assert_eq!(ok(&normalizer("MiniMax-M2"), TWO).calls.len(), 2);
}

#[test]
fn text_before_and_after_and_reasoning() {
    let out = ok(
        &m2(),
        &format!("<think>I need both.\n{TWO}</think>\nChecking both.\n{TWO}\nDone."),
    );
    assert_eq!(out.calls.len(), 2);
    assert_eq!(out.reasoning, format!("I need both.\n{TWO}"));
    assert_eq!(out.text, "\nChecking both.\n\nDone.");
}

#[test]
fn nested_braces_quotes_and_closing_tags_in_values() {
    let out = ok(
        &m2(),
        "<minimax:tool_call><invoke name=\"write\"><parameter name=\"text\">say \"}{\" </parameter> or </invoke> or </minimax:tool_call></parameter><parameter name=\"obj\">{\"a\": {\"b\": \"</parameter>\"}}</parameter></invoke></minimax:tool_call>",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({
            "text": "say \"}{\" </parameter> or </invoke> or </minimax:tool_call>",
            "obj": {"a": {"b": "</parameter>"}},
        })
    );
}

#[test]
fn unicode_values_and_single_quoted_attributes() {
    let out = ok(
        &m2(),
        "→ <minimax:tool_call><invoke name='translate'><parameter name='text'>héllo wörld 你好 👋</parameter></invoke></minimax:tool_call> ←",
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"text": "héllo wörld 你好 👋"})
    );
    assert_eq!(out.text, "→  ←");
}

#[test]
fn typing_with_enum_any_of_and_null_words() {
    let typed = m2().with_schemas(schemas(&[(
        "search",
        json!({
            "query": {"type": "string"},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "order": {"type": "string", "enum": ["asc", "desc"]},
            "filters": {"oneOf": [{"type": "object"}, {"type": "string"}]},
            "cursor": {"type": ["string", "null"]},
            "exact": {"type": "boolean"},
        }),
    )]));
    let call = |values: &str| {
        format!(
            "<minimax:tool_call>\n<invoke name=\"search\">\n{values}</invoke>\n</minimax:tool_call>"
        )
    };
    let out = ok(
        &typed,
        &call(
            "<parameter name=\"query\">42</parameter>\n<parameter name=\"limit\">nil</parameter>\n\
             <parameter name=\"order\">desc</parameter>\n<parameter name=\"filters\">{\"lang\": \"rust\"}</parameter>\n\
             <parameter name=\"cursor\">none</parameter>\n<parameter name=\"exact\">false</parameter>\n",
        ),
    );
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"query": "42", "limit": null, "order": "desc", "filters": {"lang": "rust"}, "cursor": null, "exact": false})
    );
    // A string under oneOf[object, string] is not JSON-encoded again.
    let raw = call(
        "<parameter name=\"limit\">10</parameter>\n<parameter name=\"filters\">lang:rust</parameter>\n<parameter name=\"order\">random</parameter>\n",
    );
    let out = ok(&typed, &raw);
    assert_eq!(
        out.calls[0].invocation.args,
        json!({"limit": 10, "filters": "lang:rust", "order": "random"})
    );
    assert_eq!(
        untyped(&out),
        [(
            "search".to_owned(),
            "order".to_owned(),
            "enum".to_owned(),
            raw.find("random").unwrap()
        )]
    );
}

#[test]
fn truncated_output_is_incomplete() {
    let e = err(
        &m2(),
        "Checking.<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Par",
    );
    let NormalizeError::Incomplete {
        offset, partial, ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(offset, 9);
    let partial = partial.unwrap();
    assert_eq!(partial.name.as_deref(), Some("get_weather"));
    assert_eq!(partial.arguments, "\n<parameter name=\"city\">Par");
    for cut in [
        "<minimax:tool_call>\n<invoke name=\"get_wea",
        "<minimax:tool_call>\n<invoke name=\"f\">\n<parameter name=\"a\">1</parameter>\n",
        "<minimax:tool_call>",
    ] {
        assert!(err(&m2(), cut).is_incomplete(), "{cut:?}");
    }
    // The wrapper's closing tag missing at the very end is tolerated.
    let out = ok(
        &m2(),
        "<minimax:tool_call>\n<invoke name=\"f\">\n<parameter name=\"a\">1</parameter>\n</invoke>\n",
    );
    assert_eq!(out.calls[0].invocation.args, json!({"a": 1}));
}

#[test]
fn malformed_regions_say_where() {
    let raw = "<minimax:tool_call>\n<invoke name=\"f\">\n</invoke>\ntext in between\n</minimax:tool_call> after";
    let e = err(&m2(), raw);
    assert!(matches!(e, NormalizeError::Malformed { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find("text in"));
    let raw = "<minimax:tool_call><invoke name=\"bad name\"></invoke></minimax:tool_call>";
    let e = err(&m2(), raw);
    assert!(matches!(e, NormalizeError::InvalidToolName { .. }), "{e:?}");
    assert_eq!(e.offset(), raw.find("bad"));
    // Before the first parameter nothing is certain yet: text.
    let raw = "<minimax:tool_call><invoke name=\"f\"><parameter>1</parameter></invoke></minimax:tool_call>";
    assert_eq!(ok(&m2(), raw).text, raw);
    let raw = "<minimax:tool_call><invoke name=\"f\"><parameter id=\"a\">1</parameter></invoke></minimax:tool_call>";
    let e = err(&m2(), raw);
    assert_eq!(e.offset(), raw.find("<parameter"), "{e}");
    // Not an invoke after the opener: plain text.
    let out = ok(&m2(), "<minimax:tool_call> is the tag MiniMax uses.");
    assert!(out.calls.is_empty());
}

#[test]
fn auto_detection_and_hint() {
    let out = TextNormalizer::auto().normalize_text(TWO).unwrap();
    assert_eq!(out.format, Some("minimax_m2"));
    assert_eq!(
        TextNormalizer::auto_for_model("MiniMaxAI/MiniMax-M2.1").preferred_format(),
        Some("minimax_m2")
    );
}

#[test]
fn streaming_announces_each_call() {
    let events = events(&m2(), TWO, 3);
    assert_eq!(
        started(&events),
        [(0, "get_weather".to_owned()), (1, "get_time".to_owned())]
    );
    assert!(started_before_finished(&events, 0));
    assert!(started_before_finished(&events, 1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_agree(cuts in cuts(300)) {
        let raw = "a<think><minimax:tool_call></think>b<minimax:tool_call>\n<invoke name=\"f\">\n<parameter name=\"s\">é</parameter> x</parameter>\n<parameter name=\"n\">3</parameter>\n</invoke>\n<invoke name=\"g\">\n</invoke>\n</minimax:tool_call>c<minimax:tool_call><invoke name=\"h\"><parameter name=\"o\">{\"k\": [1]}</parameter></invoke></minimax:tool_call>";
        prop_chunkings(&m2(), raw, &cuts);
    }
}
