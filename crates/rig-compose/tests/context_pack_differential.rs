//! Differential tests: our `context` module against the published
//! rig-compose 0.5.0 (`rig_compose_published`).
//!
//! Both crates are driven from the same randomly generated description, and
//! their outputs are compared through JSON, which is the representation
//! downstream crates persist and replay.

use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use rig_compose as ours;
use rig_compose_published as theirs;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum KindSpec {
    Memory,
    ToolResult,
    Resource,
    File,
    Reasoning,
    Instruction,
    UserInput,
    Custom(String),
}

impl KindSpec {
    fn ours(&self) -> ours::ContextSourceKind {
        use ours::ContextSourceKind as K;
        match self {
            Self::Memory => K::Memory,
            Self::ToolResult => K::ToolResult,
            Self::Resource => K::Resource,
            Self::File => K::File,
            Self::Reasoning => K::Reasoning,
            Self::Instruction => K::Instruction,
            Self::UserInput => K::UserInput,
            Self::Custom(name) => K::Other(name.clone()),
        }
    }

    fn theirs(&self) -> theirs::ContextSourceKind {
        use theirs::ContextSourceKind as K;
        match self {
            Self::Memory => K::Memory,
            Self::ToolResult => K::ToolResult,
            Self::Resource => K::Resource,
            Self::File => K::File,
            Self::Reasoning => K::Reasoning,
            Self::Instruction => K::Instruction,
            Self::UserInput => K::UserInput,
            Self::Custom(name) => K::Other(name.clone()),
        }
    }
}

fn kind_spec() -> impl Strategy<Value = KindSpec> {
    prop_oneof![
        Just(KindSpec::Memory),
        Just(KindSpec::ToolResult),
        Just(KindSpec::Resource),
        Just(KindSpec::File),
        Just(KindSpec::Reasoning),
        Just(KindSpec::Instruction),
        Just(KindSpec::UserInput),
        "[a-z]{0,6}".prop_map(KindSpec::Custom),
    ]
}

/// Index into the projection-state variants; 9 means `Other`.
#[derive(Debug, Clone)]
struct StateSpec(u8, String);

impl StateSpec {
    fn ours(&self) -> ours::ContextProjectionState {
        use ours::ContextProjectionState as S;
        match self.0 {
            0 => S::Candidate,
            1 => S::Expanded,
            2 => S::Skipped,
            3 => S::Suppressed,
            4 => S::Rejected,
            5 => S::Superseded,
            6 => S::Stale,
            7 => S::Conflict,
            8 => S::Escalated,
            _ => S::Other(self.1.clone()),
        }
    }

    fn theirs(&self) -> theirs::ContextProjectionState {
        use theirs::ContextProjectionState as S;
        match self.0 {
            0 => S::Candidate,
            1 => S::Expanded,
            2 => S::Skipped,
            3 => S::Suppressed,
            4 => S::Rejected,
            5 => S::Superseded,
            6 => S::Stale,
            7 => S::Conflict,
            8 => S::Escalated,
            _ => S::Other(self.1.clone()),
        }
    }
}

fn state_spec() -> impl Strategy<Value = StateSpec> {
    (0u8..10, "[a-z_]{0,6}").prop_map(|(tag, name)| StateSpec(tag, name))
}

#[derive(Debug, Clone)]
enum FrameSpec {
    Text(String),
    Json(Value),
}

#[derive(Debug, Clone, Default)]
struct ProvenanceSpec {
    source_uri: Option<String>,
    principal: Option<String>,
    scope: Option<String>,
    retention_tier: Option<String>,
    recorded_at_millis: Option<i64>,
    effective_at_millis: Option<i64>,
    confidence: Option<f64>,
    version_key: Option<String>,
    frame: Option<FrameSpec>,
    state: Option<StateSpec>,
    reason: Option<String>,
}

macro_rules! build_provenance {
    ($krate:ident, $spec:expr, $state:ident) => {{
        let spec = $spec;
        let mut p = $krate::ContextProvenance::new();
        if let Some(v) = &spec.source_uri {
            p = p.with_source_uri(v.as_str());
        }
        if let Some(v) = &spec.principal {
            p = p.with_principal(v.clone());
        }
        if let Some(v) = &spec.scope {
            p = p.with_scope(v.as_str());
        }
        if let Some(v) = &spec.retention_tier {
            p = p.with_retention_tier(v.as_str());
        }
        if let Some(v) = spec.recorded_at_millis {
            p = p.with_recorded_at_millis(v);
        }
        if let Some(v) = spec.effective_at_millis {
            p = p.with_effective_at_millis(v);
        }
        if let Some(v) = spec.confidence {
            p = p.with_confidence(v);
        }
        if let Some(v) = &spec.version_key {
            p = p.with_version_key(v.as_str());
        }
        match &spec.frame {
            Some(FrameSpec::Text(v)) => p = p.with_source_frame_id(v.as_str()),
            Some(FrameSpec::Json(v)) => p = p.with_source_frame_id_value(v.clone()),
            None => {}
        }
        if let Some(v) = &spec.state {
            p = p.with_projection_state(v.$state());
        }
        if let Some(v) = &spec.reason {
            p = p.with_reason(v.as_str());
        }
        p
    }};
}

impl ProvenanceSpec {
    fn ours(&self) -> ours::ContextProvenance {
        build_provenance!(ours, self, ours)
    }

    fn theirs(&self) -> theirs::ContextProvenance {
        build_provenance!(theirs, self, theirs)
    }
}

fn small_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,18}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn odd_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -10.0f64..10.0,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(-0.0),
        1 => any::<f64>(),
    ]
}

fn provenance_spec() -> impl Strategy<Value = ProvenanceSpec> {
    let strings = (
        proptest::option::of("\\PC{0,10}"),
        proptest::option::of("[a-z]{0,5}"),
        proptest::option::of("[a-z]{0,5}"),
        proptest::option::of("[a-z]{0,5}"),
        proptest::option::of("[a-z:]{0,8}"),
        proptest::option::of("[a-z_]{0,8}"),
    );
    let others = (
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(odd_f64()),
        proptest::option::of(prop_oneof![
            "[0-9a-z]{0,4}".prop_map(FrameSpec::Text),
            small_json().prop_map(FrameSpec::Json),
        ]),
        proptest::option::of(state_spec()),
    );
    (strings, others).prop_map(
        |(
            (source_uri, principal, scope, retention_tier, version_key, reason),
            (recorded_at_millis, effective_at_millis, confidence, frame, state),
        )| ProvenanceSpec {
            source_uri,
            principal,
            scope,
            retention_tier,
            recorded_at_millis,
            effective_at_millis,
            confidence,
            version_key,
            frame,
            state,
            reason,
        },
    )
}

#[derive(Debug, Clone)]
enum OriginSpec {
    Null,
    Typed(Box<ProvenanceSpec>),
    Raw(Value),
}

#[derive(Debug, Clone)]
struct ItemSpec {
    kind: KindSpec,
    source_id: String,
    rank: usize,
    score: Option<f64>,
    text: String,
    estimate: Option<usize>,
    origin: OriginSpec,
    metadata: Option<Value>,
}

macro_rules! build_item {
    ($krate:ident, $spec:expr, $method:ident) => {{
        let spec = $spec;
        let mut item = $krate::ContextItem::new(
            spec.kind.$method(),
            spec.source_id.as_str(),
            spec.text.as_str(),
        )
        .with_rank(spec.rank);
        if let Some(score) = spec.score {
            item = item.with_score(score);
        }
        if let Some(estimate) = spec.estimate {
            item = item.with_estimated_chars(estimate);
        }
        match &spec.origin {
            OriginSpec::Null => {}
            OriginSpec::Typed(p) => item = item.with_context_provenance(p.$method()),
            OriginSpec::Raw(v) => item = item.with_provenance(v.clone()),
        }
        if let Some(meta) = &spec.metadata {
            item = item.with_metadata(meta.clone());
        }
        item
    }};
}

impl ItemSpec {
    fn ours(&self) -> ours::ContextItem {
        build_item!(ours, self, ours)
    }

    fn theirs(&self) -> theirs::ContextItem {
        build_item!(theirs, self, theirs)
    }
}

fn text_spec() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z ]{0,12}",
        2 => "\\PC{0,12}",
        1 => "[é日🦀a]{0,8}",
        1 => Just(String::new()),
    ]
}

fn estimate_spec() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![
        4 => Just(None),
        3 => (0usize..40).prop_map(Some),
        1 => (0usize..4).prop_map(|d| Some(usize::MAX - d)),
        1 => (0usize..4).prop_map(|d| Some(usize::MAX / 2 + d)),
    ]
}

fn item_spec() -> impl Strategy<Value = ItemSpec> {
    (
        kind_spec(),
        "[a-z0-9/]{0,6}",
        prop_oneof![8 => 0usize..6, 1 => any::<usize>()],
        proptest::option::of(odd_f64()),
        text_spec(),
        estimate_spec(),
        prop_oneof![
            2 => Just(OriginSpec::Null),
            2 => provenance_spec().prop_map(|p| OriginSpec::Typed(Box::new(p))),
            1 => small_json().prop_map(OriginSpec::Raw),
        ],
        proptest::option::of(small_json()),
    )
        .prop_map(
            |(kind, source_id, rank, score, text, estimate, origin, metadata)| ItemSpec {
                kind,
                source_id,
                rank,
                score,
                text,
                estimate,
                origin,
                metadata,
            },
        )
}

#[derive(Debug, Clone)]
struct ConfigSpec {
    max_chars: Option<usize>,
    max_items: Option<usize>,
    reserve: Option<usize>,
    separator: Option<String>,
}

macro_rules! build_config {
    ($krate:ident, $spec:expr) => {{
        let spec = $spec;
        let mut config = match spec.max_chars {
            Some(chars) => $krate::ContextPackConfig::new(chars),
            None => $krate::ContextPackConfig::default(),
        };
        if let Some(limit) = spec.max_items {
            config = config.with_max_items(limit);
        }
        if let Some(reserve) = spec.reserve {
            config = config.with_reserve_chars(reserve);
        }
        if let Some(separator) = &spec.separator {
            config = config.with_separator(separator.as_str());
        }
        config
    }};
}

impl ConfigSpec {
    fn ours(&self) -> ours::ContextPackConfig {
        build_config!(ours, self)
    }

    fn theirs(&self) -> theirs::ContextPackConfig {
        build_config!(theirs, self)
    }
}

fn config_spec() -> impl Strategy<Value = ConfigSpec> {
    (
        prop_oneof![
            1 => Just(None),
            6 => (0usize..80).prop_map(Some),
            1 => Just(Some(usize::MAX)),
            1 => (0usize..3).prop_map(|d| Some(usize::MAX - d)),
        ],
        prop_oneof![
            1 => Just(None),
            6 => (0usize..8).prop_map(Some),
            1 => Just(Some(usize::MAX)),
        ],
        prop_oneof![
            3 => Just(None),
            2 => (0usize..30).prop_map(Some),
            1 => any::<usize>().prop_map(Some),
        ],
        proptest::option::of(prop_oneof![
            "\\PC{0,3}",
            Just(String::new()),
            Just("\n---\n".to_owned())
        ]),
    )
        .prop_map(|(max_chars, max_items, reserve, separator)| ConfigSpec {
            max_chars,
            max_items,
            reserve,
            separator,
        })
}

// ---------------------------------------------------------------------------
// Comparison helpers
// ---------------------------------------------------------------------------

/// Serialize both values and require identical JSON text (which also pins
/// field order), returning the shared `Value`.
fn same_json<A: Serialize, B: Serialize>(ours: &A, theirs: &B) -> Result<Value, TestCaseError> {
    let ours_text = serde_json::to_string(ours).map_err(|e| TestCaseError::fail(e.to_string()));
    let theirs_text = serde_json::to_string(theirs).map_err(|e| TestCaseError::fail(e.to_string()));
    let (ours_text, theirs_text) = (ours_text?, theirs_text?);
    prop_assert_eq!(&ours_text, &theirs_text);
    serde_json::from_str(&ours_text).map_err(|e| TestCaseError::fail(e.to_string()))
}

/// Decode `wire` with both crates: both must reject it (with the same
/// message) or both accept it and re-encode to the same JSON.
fn same_decode<A, B>(wire: &Value) -> Result<(), TestCaseError>
where
    A: Serialize + DeserializeOwned,
    B: Serialize + DeserializeOwned,
{
    let ours = serde_json::from_value::<A>(wire.clone());
    let theirs = serde_json::from_value::<B>(wire.clone());
    match (ours, theirs) {
        (Ok(a), Ok(b)) => {
            same_json(&a, &b)?;
        }
        (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
        (a, b) => {
            return Err(TestCaseError::fail(format!(
                "decoders disagree on {wire}: ours ok={} theirs ok={}",
                a.is_ok(),
                b.is_ok()
            )));
        }
    }
    Ok(())
}

/// Our JSON must decode with the published crate and vice versa, and both
/// decoders must agree with each other.
fn cross_round_trip<A, B>(ours: &A, theirs: &B) -> Result<(), TestCaseError>
where
    A: Serialize + DeserializeOwned,
    B: Serialize + DeserializeOwned,
{
    let wire = same_json(ours, theirs)?;
    same_decode::<A, B>(&wire)
}

/// Variants of a JSON object with one key removed or nulled, to exercise
/// `default` / required-field behaviour.
fn damaged_variants(wire: &Value) -> Vec<Value> {
    let Value::Object(map) = wire else {
        return Vec::new();
    };
    let mut variants = Vec::new();
    for key in map.keys() {
        let mut removed = map.clone();
        removed.remove(key);
        variants.push(Value::Object(removed));
        let mut nulled = map.clone();
        nulled.insert(key.clone(), Value::Null);
        variants.push(Value::Object(nulled));
    }
    variants
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn pack_matches_published(
        specs in prop::collection::vec(item_spec(), 0..24),
        config in config_spec(),
    ) {
        let ours_items: Vec<_> = specs.iter().map(ItemSpec::ours).collect();
        let theirs_items: Vec<_> = specs.iter().map(ItemSpec::theirs).collect();
        same_json(&ours_items, &theirs_items)?;

        let ours_pack = ours::ContextPack::pack(ours_items, config.ours());
        let theirs_pack = theirs::ContextPack::pack(theirs_items, config.theirs());

        // Whole-pack JSON covers selected, omitted (+ reasons), total and config.
        same_json(&ours_pack, &theirs_pack)?;
        prop_assert_eq!(ours_pack.total_estimated_chars, theirs_pack.total_estimated_chars);
        prop_assert_eq!(ours_pack.render_text(), theirs_pack.render_text());

        // Published JSON decodes with our types and back.
        cross_round_trip(&ours_pack, &theirs_pack)?;
    }

    #[test]
    fn items_and_provenance_match_published(spec in item_spec()) {
        let ours_item = spec.ours();
        let theirs_item = spec.theirs();
        cross_round_trip(&ours_item, &theirs_item)?;

        match (ours_item.context_provenance(), theirs_item.context_provenance()) {
            (Ok(a), Ok(b)) => {
                same_json(&a, &b)?;
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => {
                return Err(TestCaseError::fail(format!(
                    "context_provenance disagrees: ours {a:?} theirs {b:?}"
                )));
            }
        }

        let item_wire = serde_json::to_value(&ours_item).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for damaged in damaged_variants(&item_wire) {
            same_decode::<ours::ContextItem, theirs::ContextItem>(&damaged)?;
        }
        let provenance_wire = item_wire.get("provenance").cloned().unwrap_or(Value::Null);
        same_decode::<ours::ContextProvenance, theirs::ContextProvenance>(&provenance_wire)?;
        for damaged in damaged_variants(&provenance_wire) {
            same_decode::<ours::ContextProvenance, theirs::ContextProvenance>(&damaged)?;
        }
    }

    #[test]
    fn typed_provenance_round_trips(spec in provenance_spec()) {
        cross_round_trip(&spec.ours(), &spec.theirs())?;
    }

    #[test]
    fn config_round_trips(spec in config_spec()) {
        let (a, b) = (spec.ours(), spec.theirs());
        cross_round_trip(&a, &b)?;
        let wire = serde_json::to_value(&a).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for damaged in damaged_variants(&wire) {
            same_decode::<ours::ContextPackConfig, theirs::ContextPackConfig>(&damaged)?;
        }
    }

    #[test]
    fn enums_round_trip(kind in kind_spec(), state in state_spec()) {
        cross_round_trip(&kind.ours(), &kind.theirs())?;
        cross_round_trip(&state.ours(), &state.theirs())?;
    }

    #[test]
    fn arbitrary_json_is_decoded_alike(wire in small_json()) {
        same_decode::<ours::ContextProvenance, theirs::ContextProvenance>(&wire)?;
        same_decode::<ours::ContextSourceKind, theirs::ContextSourceKind>(&wire)?;
        same_decode::<ours::ContextProjectionState, theirs::ContextProjectionState>(&wire)?;
        same_decode::<ours::ContextOmissionReason, theirs::ContextOmissionReason>(&wire)?;
        same_decode::<ours::NextAction, theirs::NextAction>(&wire)?;
        same_decode::<ours::Signal, theirs::Signal>(&wire)?;
    }

    #[test]
    fn investigation_state_round_trips(
        entity in "\\PC{0,8}",
        partition in "[a-z]{0,5}",
        block in proptest::option::of(any::<u128>()),
        signals in prop::collection::vec("[a-z.]{0,8}", 0..4),
        evidence in prop::collection::vec(("[a-z.]{0,6}", "[a-z.]{0,6}", small_json(), 0u64..4_000_000_000, 0u32..1_000_000_000), 0..3),
        confidence in prop_oneof![-1.0f32..2.0, Just(f32::NAN)],
        action_seeds in prop::collection::vec((0u8..4, "[a-z]{0,5}", small_json()), 0..4),
    ) {
        let mut ctx_ours = ours::InvestigationContext::new(entity.as_str(), partition.as_str());
        let mut ctx_theirs = theirs::InvestigationContext::new(entity.as_str(), partition.as_str());
        if let Some(raw) = block {
            ctx_ours = ctx_ours.with_block(uuid::Uuid::from_u128(raw));
            ctx_theirs = ctx_theirs.with_block(uuid::Uuid::from_u128(raw));
        }
        for name in &signals {
            ctx_ours = ctx_ours.with_signal(name.as_str());
            ctx_theirs = ctx_theirs.with_signal(name.as_str());
            prop_assert!(ctx_ours.has_signal(name));
        }
        for (skill, label, detail, secs, nanos) in &evidence {
            let at = SystemTime::UNIX_EPOCH + Duration::new(*secs, *nanos);
            let mut a = ours::Evidence::new(skill.as_str(), label.as_str()).with_detail(detail.clone());
            a.recorded_at = at;
            let mut b = theirs::Evidence::new(skill.as_str(), label.as_str()).with_detail(detail.clone());
            b.recorded_at = at;
            cross_round_trip(&a, &b)?;
            ctx_ours.evidence.push(a);
            ctx_theirs.evidence.push(b);
        }
        ctx_ours.confidence = confidence;
        ctx_theirs.confidence = confidence;
        for (tag, name, args) in &action_seeds {
            let (a, b) = match tag {
                0 => (ours::NextAction::RunSkill(name.clone()), theirs::NextAction::RunSkill(name.clone())),
                1 => (
                    ours::NextAction::InvokeTool { tool: name.clone(), args: args.clone() },
                    theirs::NextAction::InvokeTool { tool: name.clone(), args: args.clone() },
                ),
                2 => (ours::NextAction::Conclude, theirs::NextAction::Conclude),
                _ => (ours::NextAction::Discard, theirs::NextAction::Discard),
            };
            cross_round_trip(&a, &b)?;
            ctx_ours.pending_actions.push(a);
            ctx_theirs.pending_actions.push(b);
        }
        cross_round_trip(&ctx_ours, &ctx_theirs)?;
        for signal in &signals {
            cross_round_trip(&ours::Signal::new(signal.as_str()), &theirs::Signal::new(signal.as_str()))?;
        }
        let wire = serde_json::to_value(&ctx_ours).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for damaged in damaged_variants(&wire) {
            same_decode::<ours::InvestigationContext, theirs::InvestigationContext>(&damaged)?;
        }
    }
}

// ---------------------------------------------------------------------------
// Fixed cases worth keeping regardless of what the generator finds
// ---------------------------------------------------------------------------

#[test]
fn omitted_items_and_reasons_round_trip_across_crates() -> Result<(), TestCaseError> {
    let ours_omitted = ours::OmittedContextItem {
        item: ours::ContextItem::new(ours::ContextSourceKind::File, "f", "body"),
        reason: ours::ContextOmissionReason::OverBudget,
    };
    let theirs_omitted = theirs::OmittedContextItem {
        item: theirs::ContextItem::new(theirs::ContextSourceKind::File, "f", "body"),
        reason: theirs::ContextOmissionReason::OverBudget,
    };
    cross_round_trip(&ours_omitted, &theirs_omitted)?;
    cross_round_trip(
        &ours::ContextOmissionReason::MaxItems,
        &theirs::ContextOmissionReason::MaxItems,
    )?;
    Ok(())
}

#[test]
fn evidence_before_epoch_fails_to_serialize_in_both() {
    let before_epoch = SystemTime::UNIX_EPOCH - Duration::from_secs(1);
    let mut a = ours::Evidence::new("s", "l");
    a.recorded_at = before_epoch;
    let mut b = theirs::Evidence::new("s", "l");
    b.recorded_at = before_epoch;
    let (ea, eb) = (serde_json::to_value(&a), serde_json::to_value(&b));
    assert!(ea.is_err());
    assert_eq!(
        ea.err().map(|e| e.to_string()),
        eb.err().map(|e| e.to_string())
    );
}

#[test]
fn default_configs_are_identical() -> Result<(), TestCaseError> {
    cross_round_trip(
        &ours::ContextPackConfig::default(),
        &theirs::ContextPackConfig::default(),
    )
}

#[test]
fn large_shuffled_pack_matches_published() -> Result<(), TestCaseError> {
    // Deterministic pseudo-random ranks with many ties, bigger than the
    // proptest inputs, to exercise the index-sort path at scale.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut ours_items = Vec::new();
    let mut theirs_items = Vec::new();
    for n in 0..3_000u64 {
        let rank = (next() % 500) as usize;
        let text = "ü".repeat((next() % 20) as usize) + &"x".repeat((next() % 30) as usize);
        ours_items.push(
            ours::ContextItem::new(
                ours::ContextSourceKind::Memory,
                format!("{n}"),
                text.as_str(),
            )
            .with_rank(rank),
        );
        theirs_items.push(
            theirs::ContextItem::new(
                theirs::ContextSourceKind::Memory,
                format!("{n}"),
                text.as_str(),
            )
            .with_rank(rank),
        );
    }
    for (budget, limit) in [(1_000, 16), (20_000, 2_000), (usize::MAX, usize::MAX)] {
        let a = ours::ContextPack::pack(
            ours_items.clone(),
            ours::ContextPackConfig::new(budget).with_max_items(limit),
        );
        let b = theirs::ContextPack::pack(
            theirs_items.clone(),
            theirs::ContextPackConfig::new(budget).with_max_items(limit),
        );
        same_json(&a, &b)?;
        prop_assert_eq!(a.render_text(), b.render_text());
    }
    Ok(())
}
