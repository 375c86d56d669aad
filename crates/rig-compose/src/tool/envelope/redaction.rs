//! JSON-pointer redaction applied to tool results before any size limit.
//!
//! Pointers are compared textually against the canonical pointer of every
//! visited value (RFC 6901 escaping: `~` becomes `~0`, `/` becomes `~1`;
//! array elements use their decimal index). No pattern syntax is supported.

use serde::{Deserialize, Serialize};

/// Replacement used by [`RedactionPolicy::deny_pointers`] and
/// [`RedactionPolicy::allow_pointers`] until changed.
pub const DEFAULT_REDACTION_REPLACEMENT: &str = "[redacted]";

/// A single deny-list entry: the value at `pointer` is replaced by a string.
///
/// # Example
///
/// ```
/// use rig_compose::RedactionRule;
///
/// let rule = RedactionRule { pointer: "/session/cookie".into(), replacement: None };
/// assert_eq!(
///     serde_json::to_string(&rule).unwrap(),
///     r#"{"pointer":"/session/cookie"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionRule {
    /// Canonical JSON Pointer of the value to hide, e.g. `/secret/token`.
    pub pointer: String,
    /// Text substituted for the value; `None` means the policy's
    /// [`default_replacement`](RedactionPolicy::default_replacement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

/// Which parts of a tool result must never leave the tool boundary.
///
/// A value is replaced by a string when its pointer equals a `deny` rule
/// (the first matching rule wins), or, when `allow` is set, when its pointer
/// is neither equal to, an ancestor of, nor a descendant of any allowed
/// pointer. Keeping ancestors means containers on the way to an allowed
/// value survive, while their other members are replaced. A replaced value
/// is not descended into and its replacement is not clamped by the string
/// limit (the total byte budget still applies).
///
/// # Example
///
/// ```
/// use rig_compose::{RedactionPolicy, ToolResultEnvelope, ToolResultEnvelopeConfig};
/// use serde_json::json;
///
/// let policy = RedactionPolicy::allow_pointers(["/user/name"])
///     .with_default_replacement("***");
/// let config = ToolResultEnvelopeConfig::default().with_redaction_policy(policy);
/// let envelope = ToolResultEnvelope::bound(
///     json!({"user": {"name": "ada", "email": "ada@example.org"}, "token": "t0k"}),
///     &config,
/// );
///
/// assert_eq!(
///     envelope.payload,
///     json!({"user": {"name": "ada", "email": "***"}, "token": "***"})
/// );
/// assert_eq!(envelope.redacted_values, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionPolicy {
    /// Pointers that are always replaced, checked before `allow`.
    pub deny: Vec<RedactionRule>,
    /// When present, only these pointers (plus their ancestors and
    /// descendants) are kept; everything else is replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// Text used for replaced values that have no rule-specific replacement.
    pub default_replacement: String,
}

impl RedactionPolicy {
    /// A policy with the given rules and the standard replacement text.
    fn from_lists(deny: Vec<RedactionRule>, allow: Option<Vec<String>>) -> Self {
        Self {
            default_replacement: DEFAULT_REDACTION_REPLACEMENT.to_owned(),
            deny,
            allow,
        }
    }

    /// A policy that replaces exactly the values at `pointers`.
    #[must_use]
    pub fn deny_pointers<I, S>(pointers: I) -> Self
    where
        S: Into<String>,
        I: IntoIterator<Item = S>,
    {
        let rule = |pointer: S| RedactionRule {
            pointer: pointer.into(),
            replacement: None,
        };
        Self::from_lists(pointers.into_iter().map(rule).collect(), None)
    }

    /// A policy that keeps only the values at `pointers` (with their
    /// ancestors and descendants) and replaces everything else.
    #[must_use]
    pub fn allow_pointers<I, S>(pointers: I) -> Self
    where
        S: Into<String>,
        I: IntoIterator<Item = S>,
    {
        let allowed = pointers.into_iter().map(S::into).collect();
        Self::from_lists(Vec::new(), Some(allowed))
    }

    /// Change the text used when no rule-specific replacement applies.
    #[must_use]
    pub fn with_default_replacement(self, replacement: impl Into<String>) -> Self {
        Self {
            default_replacement: replacement.into(),
            ..self
        }
    }

    /// Give `pointer` its own replacement text.
    ///
    /// Updates the first deny rule for `pointer` if there is one, otherwise
    /// appends a new deny rule (so this also adds `pointer` to the deny list).
    #[must_use]
    pub fn with_replacement(
        self,
        pointer: impl Into<String>,
        replacement: impl Into<String>,
    ) -> Self {
        let mut policy = self;
        let (pointer, text) = (pointer.into(), replacement.into());
        if let Some(rule) = policy.deny.iter_mut().find(|rule| rule.pointer == pointer) {
            rule.replacement = Some(text);
        } else {
            policy.deny.push(RedactionRule {
                replacement: Some(text),
                pointer,
            });
        }
        policy
    }

    /// The text that replaces the value at `pointer`, or `None` if the
    /// value is kept.
    ///
    /// ```
    /// use rig_compose::RedactionPolicy;
    ///
    /// let policy = RedactionPolicy::deny_pointers(["/a"]).with_replacement("/b", "B");
    /// assert_eq!(policy.replacement_for("/a"), Some("[redacted]"));
    /// assert_eq!(policy.replacement_for("/b"), Some("B"));
    /// assert_eq!(policy.replacement_for("/a/child"), None);
    /// ```
    #[must_use]
    pub fn replacement_for(&self, pointer: &str) -> Option<&str> {
        if let Some(rule) = self.deny.iter().find(|rule| rule.pointer == pointer) {
            return Some(
                rule.replacement
                    .as_deref()
                    .unwrap_or(&self.default_replacement),
            );
        }
        let allow = self.allow.as_ref()?;
        if allow.iter().any(|allowed| on_same_branch(pointer, allowed)) {
            None
        } else {
            Some(&self.default_replacement)
        }
    }
}

/// True when one pointer equals the other or lies beneath it. The empty
/// pointer (the whole document) is on every branch.
fn on_same_branch(first: &str, second: &str) -> bool {
    first.is_empty()
        || second.is_empty()
        || first == second
        || lies_beneath(first, second)
        || lies_beneath(second, first)
}

/// True when `pointer` names a strict descendant of the non-empty `ancestor`.
fn lies_beneath(pointer: &str, ancestor: &str) -> bool {
    pointer
        .strip_prefix(ancestor)
        .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // fixed-size fixtures
mod tests {
    // Policy construction and pointer matching rules.
    use super::*;
    use serde_json::json;

    #[test]
    fn deny_pointers_uses_default_replacement() {
        let policy = RedactionPolicy::deny_pointers(["/x", "/y/0"]);
        assert_eq!(policy.default_replacement, "[redacted]");
        assert_eq!(policy.allow, None);
        assert_eq!(policy.replacement_for("/x"), Some("[redacted]"));
        assert_eq!(policy.replacement_for("/y/0"), Some("[redacted]"));
        assert_eq!(policy.replacement_for("/y"), None);
        assert_eq!(policy.replacement_for(""), None);
        assert_eq!(policy.replacement_for("/x/deeper"), None);
    }

    #[test]
    fn with_replacement_updates_first_matching_rule_or_appends() {
        let policy = RedactionPolicy::deny_pointers(["/a", "/a"])
            .with_replacement("/a", "first")
            .with_replacement("/new", "appended");
        assert_eq!(policy.deny.len(), 3);
        assert_eq!(policy.deny[0].replacement.as_deref(), Some("first"));
        assert_eq!(policy.deny[1].replacement, None);
        assert_eq!(
            policy.deny[2],
            RedactionRule {
                pointer: "/new".into(),
                replacement: Some("appended".into())
            }
        );
        assert_eq!(policy.replacement_for("/a"), Some("first"));
        assert_eq!(policy.replacement_for("/new"), Some("appended"));
    }

    #[test]
    fn default_replacement_can_be_changed() {
        let policy = RedactionPolicy::deny_pointers(["/k"]).with_default_replacement("<gone>");
        assert_eq!(policy.replacement_for("/k"), Some("<gone>"));
    }

    #[test]
    fn allow_list_keeps_ancestors_and_descendants() {
        let policy = RedactionPolicy::allow_pointers(["/a/b"]);
        assert_eq!(policy.replacement_for(""), None);
        assert_eq!(policy.replacement_for("/a"), None);
        assert_eq!(policy.replacement_for("/a/b"), None);
        assert_eq!(policy.replacement_for("/a/b/c"), None);
        assert_eq!(policy.replacement_for("/a/c"), Some("[redacted]"));
        // A shared textual prefix is not an ancestor relationship.
        assert_eq!(policy.replacement_for("/a/bc"), Some("[redacted]"));
        assert_eq!(policy.replacement_for("/ab"), Some("[redacted]"));
    }

    #[test]
    fn empty_allow_list_redacts_the_root() {
        let policy = RedactionPolicy::allow_pointers(Vec::<String>::new());
        assert_eq!(policy.replacement_for(""), Some("[redacted]"));
    }

    #[test]
    fn allowing_the_root_keeps_everything() {
        let policy = RedactionPolicy::allow_pointers([""]);
        assert_eq!(policy.replacement_for("/any/thing"), None);
    }

    #[test]
    fn deny_wins_over_allow() {
        let mut policy = RedactionPolicy::allow_pointers(["/a"]);
        policy.deny.push(RedactionRule {
            pointer: "/a/secret".into(),
            replacement: None,
        });
        assert_eq!(policy.replacement_for("/a/secret"), Some("[redacted]"));
        assert_eq!(policy.replacement_for("/a/public"), None);
    }

    #[test]
    fn serde_shape_skips_absent_options() -> Result<(), serde_json::Error> {
        let policy = RedactionPolicy::deny_pointers(["/p"]).with_replacement("/q", "Q");
        let encoded = serde_json::to_value(&policy)?;
        assert_eq!(
            encoded,
            json!({
                "deny": [{"pointer": "/p"}, {"pointer": "/q", "replacement": "Q"}],
                "default_replacement": "[redacted]"
            })
        );
        assert_eq!(serde_json::from_value::<RedactionPolicy>(encoded)?, policy);
        Ok(())
    }
}
