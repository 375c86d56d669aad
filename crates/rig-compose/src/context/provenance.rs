//! Typed vocabulary for the JSON provenance carried by context items.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Lifecycle state a producer assigned to a context candidate before packing.
///
/// This is purely descriptive: [`ContextPack::pack`](super::ContextPack::pack)
/// never reads it. It lets a host explain, for replay or evaluation, what
/// happened to a candidate *upstream* of the packer; budget and item-count
/// decisions made by the packer itself are reported separately through
/// [`ContextOmissionReason`](super::ContextOmissionReason).
///
/// Serialized in `snake_case`: `"candidate"`, `"superseded"`,
/// `{"other":"quarantined"}`.
///
/// ```rust
/// use rig_compose::ContextProjectionState;
///
/// let state: ContextProjectionState = serde_json::from_str("\"superseded\"")?;
/// assert_eq!(state, ContextProjectionState::Superseded);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextProjectionState {
    /// Eligible to be packed.
    Candidate,
    /// Derived by expanding a source record into additional context.
    Expanded,
    /// Passed over by the producer before packing.
    Skipped,
    /// Hidden because of a caller policy.
    Suppressed,
    /// Refused by a caller policy.
    Rejected,
    /// Replaced by a newer or more authoritative record.
    Superseded,
    /// Out of date compared with a newer version of the same fact.
    Stale,
    /// Contradicts another candidate; the host has to resolve it.
    Conflict,
    /// Handed to a higher-level process for handling.
    Escalated,
    /// A state defined by the caller.
    Other(String),
}

/// Well-known provenance fields shared by memory, resource, graph and
/// tool-result producers.
///
/// [`ContextItem::provenance`](super::ContextItem::provenance) stays a free-form
/// JSON value so producers can add their own keys without depending on each
/// other; this struct names the keys that replay, evaluation and omission
/// reports rely on. Attach it with
/// [`ContextItem::with_context_provenance`](super::ContextItem::with_context_provenance)
/// and read it back with
/// [`ContextItem::context_provenance`](super::ContextItem::context_provenance).
///
/// Every field is optional: unset fields are left out of the JSON and
/// missing keys decode as `None`.
///
/// ```rust
/// use rig_compose::{ContextItem, ContextProjectionState, ContextProvenance, ContextSourceKind};
///
/// let origin = ContextProvenance::new()
///     .with_source_uri("kb://runbooks/dns")
///     .with_scope("team-net")
///     .with_recorded_at_millis(1_700_000_000_000)
///     .with_projection_state(ContextProjectionState::Candidate);
///
/// let item = ContextItem::new(ContextSourceKind::Resource, "runbook-dns", "flush the resolver cache")
///     .with_context_provenance(origin.clone());
///
/// assert_eq!(item.provenance["scope"], "team-net");
/// assert_eq!(item.context_provenance()?, origin);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContextProvenance {
    /// Locator (URI, path, key) of the original record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_uri: Option<String>,
    /// Actor, tenant, subject or principal the record belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Caller-defined scope, e.g. tenant, workspace, profile or project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Retention or archival tier of the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_tier: Option<String>,
    /// When the record was written, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at_millis: Option<i64>,
    /// When the record took effect, in milliseconds since the Unix epoch;
    /// used to compare freshness and supersession.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_at_millis: Option<i64>,
    /// Confidence reported by the source itself, independent of
    /// [`ContextItem::score`](super::ContextItem::score).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Key shared by competing versions of one fact, for supersession checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_key: Option<String>,
    /// Frame or document id in the source store.
    ///
    /// Kept as raw JSON because some stores use numeric frame ids and others
    /// string keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_frame_id: Option<Value>,
    /// State the producer assigned before the packer ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_state: Option<ContextProjectionState>,
    /// Machine-readable explanation for [`Self::projection_state`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ContextProvenance {
    /// Empty provenance; populate it with the `with_*` builders.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder: set [`Self::source_uri`].
    #[must_use]
    pub fn with_source_uri(self, uri: impl Into<String>) -> Self {
        Self {
            source_uri: Some(uri.into()),
            ..self
        }
    }

    /// Builder: set [`Self::principal`].
    #[must_use]
    pub fn with_principal(self, who: impl Into<String>) -> Self {
        Self {
            principal: Some(who.into()),
            ..self
        }
    }

    /// Builder: set [`Self::scope`].
    #[must_use]
    pub fn with_scope(self, scope_name: impl Into<String>) -> Self {
        Self {
            scope: Some(scope_name.into()),
            ..self
        }
    }

    /// Builder: set [`Self::retention_tier`].
    #[must_use]
    pub fn with_retention_tier(self, tier: impl Into<String>) -> Self {
        Self {
            retention_tier: Some(tier.into()),
            ..self
        }
    }

    /// Builder: set [`Self::recorded_at_millis`].
    #[must_use]
    pub fn with_recorded_at_millis(self, millis: i64) -> Self {
        Self {
            recorded_at_millis: Some(millis),
            ..self
        }
    }

    /// Builder: set [`Self::effective_at_millis`].
    #[must_use]
    pub fn with_effective_at_millis(self, millis: i64) -> Self {
        Self {
            effective_at_millis: Some(millis),
            ..self
        }
    }

    /// Builder: set [`Self::confidence`].
    #[must_use]
    pub fn with_confidence(self, value: f64) -> Self {
        Self {
            confidence: Some(value),
            ..self
        }
    }

    /// Builder: set [`Self::version_key`].
    #[must_use]
    pub fn with_version_key(self, key: impl Into<String>) -> Self {
        Self {
            version_key: Some(key.into()),
            ..self
        }
    }

    /// Builder: set [`Self::source_frame_id`] to a JSON string.
    #[must_use]
    pub fn with_source_frame_id(self, frame_id: impl Into<String>) -> Self {
        self.with_source_frame_id_value(Value::String(frame_id.into()))
    }

    /// Builder: set [`Self::source_frame_id`] to an arbitrary JSON value, e.g.
    /// a numeric frame id.
    #[must_use]
    pub fn with_source_frame_id_value(self, frame_id: Value) -> Self {
        Self {
            source_frame_id: Some(frame_id),
            ..self
        }
    }

    /// Builder: set [`Self::projection_state`].
    #[must_use]
    pub fn with_projection_state(self, state: ContextProjectionState) -> Self {
        Self {
            projection_state: Some(state),
            ..self
        }
    }

    /// Builder: set [`Self::reason`].
    #[must_use]
    pub fn with_reason(self, why: impl Into<String>) -> Self {
        Self {
            reason: Some(why.into()),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ContextProjectionState, ContextProvenance};
    use serde_json::json;

    #[test]
    fn empty_provenance_serializes_to_empty_object() -> serde_json::Result<()> {
        assert_eq!(serde_json::to_value(ContextProvenance::new())?, json!({}));
        let decoded: ContextProvenance = serde_json::from_value(json!({}))?;
        assert_eq!(decoded, ContextProvenance::default());
        Ok(())
    }

    #[test]
    fn builders_fill_exactly_their_field() -> serde_json::Result<()> {
        let full = ContextProvenance::new()
            .with_source_uri("u")
            .with_principal("p")
            .with_scope("s")
            .with_retention_tier("cold")
            .with_recorded_at_millis(-5)
            .with_effective_at_millis(7)
            .with_confidence(0.25)
            .with_version_key("v")
            .with_source_frame_id("f")
            .with_projection_state(ContextProjectionState::Other("held".into()))
            .with_reason("r");
        assert_eq!(
            serde_json::to_value(&full)?,
            json!({
                "source_uri": "u",
                "principal": "p",
                "scope": "s",
                "retention_tier": "cold",
                "recorded_at_millis": -5,
                "effective_at_millis": 7,
                "confidence": 0.25,
                "version_key": "v",
                "source_frame_id": "f",
                "projection_state": {"other": "held"},
                "reason": "r"
            })
        );
        let numeric = ContextProvenance::new().with_source_frame_id_value(json!(42));
        assert_eq!(numeric.source_frame_id, Some(json!(42)));
        assert_eq!(numeric.source_uri, None);
        Ok(())
    }

    #[test]
    fn unknown_keys_are_ignored_and_nulls_decode_as_none() -> serde_json::Result<()> {
        let decoded: ContextProvenance =
            serde_json::from_value(json!({"scope": "prod", "extra": [1, 2], "reason": null}))?;
        assert_eq!(decoded, ContextProvenance::new().with_scope("prod"));
        Ok(())
    }

    #[test]
    fn projection_states_use_snake_case() -> serde_json::Result<()> {
        let states = [
            (ContextProjectionState::Candidate, "candidate"),
            (ContextProjectionState::Expanded, "expanded"),
            (ContextProjectionState::Skipped, "skipped"),
            (ContextProjectionState::Suppressed, "suppressed"),
            (ContextProjectionState::Rejected, "rejected"),
            (ContextProjectionState::Superseded, "superseded"),
            (ContextProjectionState::Stale, "stale"),
            (ContextProjectionState::Conflict, "conflict"),
            (ContextProjectionState::Escalated, "escalated"),
        ];
        for (state, name) in states {
            assert_eq!(serde_json::to_value(&state)?, json!(name));
        }
        Ok(())
    }
}
