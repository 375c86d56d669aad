//! The unit of context handed to the packer.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ContextProvenance, ContextSourceKind};

/// One ranked, prompt-ready piece of context competing for space in a
/// bounded model window.
///
/// Producers (memory stores, resource adapters, tool wrappers, test
/// harnesses) project their native records into this neutral shape so the
/// same [`ContextPack`](super::ContextPack) logic, and the same assertions,
/// work for all of them.
///
/// [`ContextItem::new`] sets [`Self::estimated_chars`] to the number of
/// Unicode scalar values in `text`; `rank` and `score` start at zero and
/// both JSON fields at `null`.
///
/// ```rust
/// use rig_compose::{ContextItem, ContextSourceKind};
/// use serde_json::json;
///
/// let item = ContextItem::new(ContextSourceKind::ToolResult, "call-7", "température: 21°C")
///     .with_rank(3)
///     .with_score(0.8)
///     .with_metadata(json!({"tool": "weather"}));
///
/// assert_eq!(item.rank, 3);
/// assert_eq!(item.estimated_chars, 17); // characters, not bytes
/// assert!(item.provenance.is_null());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextItem {
    /// Kind of producer the item came from.
    pub source: ContextSourceKind,
    /// Identifier of the record within its source.
    pub source_id: String,
    /// Zero-based position assigned by the source; the packer orders by it.
    pub rank: usize,
    /// Relevance score from the source or planner (informational only; the
    /// packer orders by [`Self::rank`]).
    pub score: f64,
    /// Text rendered into the prompt.
    pub text: String,
    /// Caller's size estimate in characters. The packer charges the larger
    /// of this and the real character count of [`Self::text`].
    pub estimated_chars: usize,
    /// Source-specific origin data (frame id, URI, tool call, path, ...).
    /// See [`ContextProvenance`] for the shared keys.
    pub provenance: Value,
    /// Free-form caller data that the packer ignores.
    pub metadata: Value,
}

impl ContextItem {
    /// New item with the given source, source-local id and text.
    #[must_use]
    pub fn new(kind: ContextSourceKind, id: impl Into<String>, body: impl Into<String>) -> Self {
        let text: String = body.into();
        let estimated_chars = text.chars().count();
        Self {
            source: kind,
            source_id: id.into(),
            text,
            estimated_chars,
            rank: 0,
            score: 0.0,
            metadata: Value::Null,
            provenance: Value::Null,
        }
    }

    /// Builder: set [`Self::rank`], the key [`ContextPack::pack`](super::ContextPack::pack) sorts by.
    #[must_use]
    pub fn with_rank(self, position: usize) -> Self {
        Self {
            rank: position,
            ..self
        }
    }

    /// Builder: set [`Self::score`].
    #[must_use]
    pub fn with_score(self, relevance: f64) -> Self {
        Self {
            score: relevance,
            ..self
        }
    }

    /// Builder: replace the character estimate, e.g. with a tokenizer-based
    /// figure. The packer still never charges less than the text's length.
    #[must_use]
    pub fn with_estimated_chars(self, chars: usize) -> Self {
        Self {
            estimated_chars: chars,
            ..self
        }
    }

    /// Builder: set [`Self::provenance`] to arbitrary JSON.
    #[must_use]
    pub fn with_provenance(self, origin: Value) -> Self {
        Self {
            provenance: origin,
            ..self
        }
    }

    /// Builder: set [`Self::provenance`] from the shared typed vocabulary.
    ///
    /// The value is stored as a JSON object holding only the fields that are
    /// set.
    #[must_use]
    pub fn with_context_provenance(self, origin: ContextProvenance) -> Self {
        // Serializing plain strings/numbers into a `Value` cannot fail (a
        // non-finite confidence becomes JSON null), but fall back to null
        // rather than panic just in case.
        let encoded = serde_json::to_value(origin).unwrap_or(Value::Null);
        self.with_provenance(encoded)
    }

    /// Read [`Self::provenance`] back as a [`ContextProvenance`].
    ///
    /// A `null` provenance yields the empty (default) value. Unknown keys are
    /// ignored.
    ///
    /// # Errors
    ///
    /// Returns the serde error when the provenance is not `null` and not an
    /// object compatible with [`ContextProvenance`] (for instance a string, or
    /// a known key holding a value of the wrong type).
    pub fn context_provenance(&self) -> serde_json::Result<ContextProvenance> {
        match &self.provenance {
            Value::Null => Ok(ContextProvenance::default()),
            // Deserializing from a borrowed `Value` avoids cloning the tree.
            other => ContextProvenance::deserialize(other),
        }
    }

    /// Builder: set [`Self::metadata`].
    #[must_use]
    pub fn with_metadata(self, extra: Value) -> Self {
        Self {
            metadata: extra,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ContextItem;
    use crate::context::{ContextProjectionState, ContextProvenance, ContextSourceKind};
    use serde_json::{Value, json};

    fn note(text: &str) -> ContextItem {
        ContextItem::new(ContextSourceKind::Reasoning, "note", text)
    }

    #[test]
    fn new_counts_characters_not_bytes() {
        let item = note("naïve 🦀");
        assert_eq!(item.estimated_chars, 7);
        assert_eq!(item.rank, 0);
        assert_eq!(item.score, 0.0);
        assert_eq!(item.provenance, Value::Null);
        assert_eq!(item.metadata, Value::Null);
    }

    #[test]
    fn builders_replace_only_their_field() {
        let item = note("abc")
            .with_rank(4)
            .with_score(-1.5)
            .with_estimated_chars(99)
            .with_provenance(json!({"path": "/tmp/x"}))
            .with_metadata(json!([1]));
        assert_eq!(item.text, "abc");
        assert_eq!(item.source_id, "note");
        assert_eq!(item.rank, 4);
        assert_eq!(item.score, -1.5);
        assert_eq!(item.estimated_chars, 99);
        assert_eq!(item.provenance, json!({"path": "/tmp/x"}));
        assert_eq!(item.metadata, json!([1]));
    }

    #[test]
    fn typed_provenance_round_trips() -> serde_json::Result<()> {
        let origin = ContextProvenance::new()
            .with_version_key("k")
            .with_source_frame_id_value(json!(9))
            .with_projection_state(ContextProjectionState::Stale);
        let item = note("x").with_context_provenance(origin.clone());
        assert_eq!(
            item.provenance,
            json!({"version_key": "k", "source_frame_id": 9, "projection_state": "stale"})
        );
        assert_eq!(item.context_provenance()?, origin);
        Ok(())
    }

    #[test]
    fn null_provenance_decodes_as_empty() -> serde_json::Result<()> {
        assert_eq!(note("x").context_provenance()?, ContextProvenance::new());
        Ok(())
    }

    #[test]
    fn incompatible_provenance_is_an_error_not_a_panic() {
        assert!(
            note("x")
                .with_provenance(json!("memory://a"))
                .context_provenance()
                .is_err()
        );
        assert!(
            note("x")
                .with_provenance(json!({"recorded_at_millis": "yesterday"}))
                .context_provenance()
                .is_err()
        );
    }

    #[test]
    fn non_finite_confidence_becomes_null() {
        let item =
            note("x").with_context_provenance(ContextProvenance::new().with_confidence(f64::NAN));
        assert_eq!(item.provenance, json!({"confidence": null}));
    }

    #[test]
    fn every_field_is_required_when_deserializing() {
        let wire = json!({
            "source": "File", "source_id": "a", "rank": 1, "score": 2.0, "text": "t",
            "estimated_chars": 1, "provenance": null
        });
        assert!(serde_json::from_value::<ContextItem>(wire).is_err());
    }
}
