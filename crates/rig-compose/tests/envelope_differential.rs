//! Differential tests: our envelope against the published rig-compose 0.5.0.
//!
//! Both implementations get the same random payload and configuration; the
//! envelopes must serialize to the same JSON (payload, counters, segments
//! and page tokens alike). Configurations are carried across through their
//! JSON form, which also checks that the serde shapes agree.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use rig_compose::{
    RedactionPolicy, RedactionRule, ToolResultEnvelope, ToolResultEnvelopeConfig,
    decode_tool_result_page_token,
};
use rig_compose_published as published;

/// Re-type a value through JSON; `None` when the shapes disagree.
fn convert<T: DeserializeOwned>(value: &impl Serialize) -> Option<T> {
    serde_json::to_value(value)
        .ok()
        .and_then(|json| serde_json::from_value(json).ok())
}

fn both(payload: &Value, config: &ToolResultEnvelopeConfig) -> (Value, Value) {
    let ours = ToolResultEnvelope::bound(payload.clone(), config);
    let theirs_config: Option<published::ToolResultEnvelopeConfig> = convert(config);
    let theirs = theirs_config
        .map(|theirs_config| published::ToolResultEnvelope::bound(payload.clone(), &theirs_config));
    (
        serde_json::to_value(&ours).unwrap_or(Value::Null),
        theirs
            .and_then(|envelope| serde_json::to_value(&envelope).ok())
            .unwrap_or(Value::Null),
    )
}

const SEGMENTS: [&str; 12] = [
    "a", "b", "c", "~0", "~1", "a~1b", "", "0", "1", "2", "é", "k~0~1",
];
const KEYS: [&str; 10] = ["a", "b", "c", "~", "/", "a/b", "", "é", "0", "k~/"];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => r#"[a-c~/"\\\x00-\x1f\x7fé€😀 ]{0,12}"#,
        1 => any::<String>(),
        1 => "[xé😀\n]{0,200}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(&KEYS[..]).prop_map(str::to_owned),
        1 => "[a-z~/]{1,4}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_filter_map("finite", |float| Number::from_f64(float).map(Value::Number)),
        3 => text().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..9).prop_map(Value::Array),
            btree_map(key(), inner, 0..7)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn pointer() -> impl Strategy<Value = String> {
    vec(select(&SEGMENTS[..]), 0..4).prop_map(|segments| {
        segments
            .iter()
            .map(|segment| format!("/{segment}"))
            .collect()
    })
}

fn policy() -> impl Strategy<Value = RedactionPolicy> {
    let deny = vec((pointer(), proptest::option::of(text())), 0..4).prop_map(|rules| {
        rules
            .into_iter()
            .map(|(pointer, replacement)| RedactionRule {
                pointer,
                replacement,
            })
            .collect::<Vec<_>>()
    });
    (
        deny,
        proptest::option::of(vec(pointer(), 0..4)),
        text(),
        proptest::option::of((pointer(), text())),
    )
        .prop_map(|(deny, allow, default_replacement, extra)| {
            let policy = RedactionPolicy {
                deny,
                allow,
                default_replacement,
            };
            match extra {
                Some((pointer, replacement)) => policy.with_replacement(pointer, replacement),
                None => policy,
            }
        })
}

fn limit(small: std::ops::Range<usize>) -> impl Strategy<Value = usize> {
    prop_oneof![6 => small, 1 => Just(usize::MAX)]
}

fn config() -> impl Strategy<Value = ToolResultEnvelopeConfig> {
    (
        limit(0..12),
        limit(0..7),
        limit(0..400),
        proptest::option::of(policy()),
    )
        .prop_map(|(chars, items, bytes, redaction)| {
            let config = ToolResultEnvelopeConfig::new(chars)
                .with_max_array_items(items)
                .with_max_total_bytes(bytes);
            match redaction {
                Some(policy) => config.with_redaction_policy(policy),
                None => config,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn envelope_matches_published(payload in json_value(), config in config()) {
        let (ours, theirs) = both(&payload, &config);
        prop_assert_ne!(&theirs, &Value::Null, "published side failed to run");
        prop_assert_eq!(ours, theirs);
    }
}

proptest! {
    #[test]
    fn default_config_matches_published(payload in json_value()) {
        let ours = serde_json::to_value(rig_compose::bound_tool_result(payload.clone()));
        let theirs = serde_json::to_value(published::bound_tool_result(payload));
        prop_assert_eq!(ours.ok(), theirs.ok());
    }

    #[test]
    fn page_token_decoding_matches_published(
        body in prop_oneof![
            "[0-9a-fA-F]{0,40}",
            "[0-9a-gA-G:é]{0,10}",
            any::<String>(),
        ],
        prefix in select(&["v1:", "V1:", "", "v2:"][..]),
    ) {
        let token = format!("{prefix}{body}");
        let ours = serde_json::to_value(decode_tool_result_page_token(&token)).ok();
        let theirs = serde_json::to_value(published::decode_tool_result_page_token(&token)).ok();
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn valid_published_tokens_decode_identically(payload in json_value(), config in config()) {
        let Some(theirs_config) = convert::<published::ToolResultEnvelopeConfig>(&config) else {
            return Err(TestCaseError::fail("config did not convert"));
        };
        let envelope = published::ToolResultEnvelope::bound(payload, &theirs_config);
        for segment in &envelope.omitted_segments {
            let ours = serde_json::to_value(decode_tool_result_page_token(&segment.page_token)).ok();
            let theirs =
                serde_json::to_value(published::decode_tool_result_page_token(&segment.page_token)).ok();
            prop_assert!(ours.as_ref().is_some_and(|decoded| !decoded.is_null()));
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn envelopes_deserialize_across_versions(payload in json_value(), config in config()) {
        let ours = ToolResultEnvelope::bound(payload, &config);
        let theirs: Option<published::ToolResultEnvelope> = convert(&ours);
        let back: Option<ToolResultEnvelope> = theirs.as_ref().and_then(convert);
        prop_assert_eq!(back, Some(ours));
    }
}

/// Larger deterministic payloads exercise the budget with many members.
#[test]
fn large_payloads_match_published() {
    let row = |index: usize| {
        serde_json::json!({
            "id": index,
            "label": format!("row {index} \"quoted\" ~/"),
            "body": "é".repeat(index % 50) + &"z".repeat(index * 7 % 300),
            "nested": {"flags": [index.is_multiple_of(2), index.is_multiple_of(3)], "score": index as f64 / 3.0}
        })
    };
    let object: Map<String, Value> = (0..120)
        .map(|index| (format!("k{index}"), row(index)))
        .collect();
    let array: Vec<Value> = (0..120).map(row).collect();
    let long_text: String = (0..5_000_usize)
        .map(|index| if index.is_multiple_of(97) { '€' } else { 'q' })
        .collect();
    let payloads = [
        Value::Object(object),
        Value::Array(array),
        Value::String(long_text),
    ];
    let configs = [
        ToolResultEnvelopeConfig::default(),
        ToolResultEnvelopeConfig::new(100).with_max_total_bytes(20_000),
        ToolResultEnvelopeConfig::new(10_000)
            .with_max_array_items(500)
            .with_max_total_bytes(3_001),
        ToolResultEnvelopeConfig::new(40)
            .with_max_total_bytes(9_000)
            .with_redaction_policy(
                RedactionPolicy::allow_pointers(["/k3", "/7/nested", "/k90/body"])
                    .with_replacement("/k3/label", "L"),
            ),
    ];
    for payload in &payloads {
        for config in &configs {
            let (ours, theirs) = both(payload, config);
            assert_ne!(theirs, Value::Null);
            assert!(ours == theirs, "envelopes differ for config {config:?}");
        }
    }
}
