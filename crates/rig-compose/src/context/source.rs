//! Where a piece of packable context originated.

use serde::{Deserialize, Serialize};

/// Origin category of a [`ContextItem`](super::ContextItem).
///
/// The variants describe *what kind* of producer created the text, never
/// *which* backend: the kernel must stay independent of memory stores,
/// MCP servers or vector databases, so adapters pick the closest variant
/// (or [`ContextSourceKind::Other`]) when they project their records.
///
/// Serialized with serde's default external tagging, e.g. `"Memory"` or
/// `{"Other":"ticket"}`.
///
/// ```rust
/// use rig_compose::ContextSourceKind;
///
/// let custom = ContextSourceKind::Other("ticket".to_owned());
/// assert_eq!(serde_json::to_string(&custom)?, r#"{"Other":"ticket"}"#);
/// assert_eq!(
///     serde_json::to_string(&ContextSourceKind::ToolResult)?,
///     r#""ToolResult""#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContextSourceKind {
    /// Recalled memory: episodes, summaries, facts or memory cards.
    Memory,
    /// Output produced by invoking a tool.
    ToolResult,
    /// A looked-up resource (baseline, graph, policy, document store, ...).
    Resource,
    /// Contents of a file or document chosen for the task.
    File,
    /// Transient reasoning state such as plans, notes or hypotheses.
    Reasoning,
    /// Instructions from the system, developer or application.
    Instruction,
    /// The user's current request or task text.
    UserInput,
    /// A category defined by the caller.
    Other(String),
}

#[cfg(test)]
mod tests {
    use super::ContextSourceKind;

    #[test]
    fn unit_variants_serialize_as_bare_names() -> serde_json::Result<()> {
        let kinds = [
            (ContextSourceKind::Memory, "\"Memory\""),
            (ContextSourceKind::ToolResult, "\"ToolResult\""),
            (ContextSourceKind::Resource, "\"Resource\""),
            (ContextSourceKind::File, "\"File\""),
            (ContextSourceKind::Reasoning, "\"Reasoning\""),
            (ContextSourceKind::Instruction, "\"Instruction\""),
            (ContextSourceKind::UserInput, "\"UserInput\""),
        ];
        for (kind, wire) in kinds {
            assert_eq!(serde_json::to_string(&kind)?, wire);
            assert_eq!(serde_json::from_str::<ContextSourceKind>(wire)?, kind);
        }
        Ok(())
    }

    #[test]
    fn other_variant_is_externally_tagged() -> serde_json::Result<()> {
        let kind: ContextSourceKind = serde_json::from_str(r#"{"Other":"calendar"}"#)?;
        assert_eq!(kind, ContextSourceKind::Other("calendar".into()));
        assert!(serde_json::from_str::<ContextSourceKind>("\"memory\"").is_err());
        Ok(())
    }
}
