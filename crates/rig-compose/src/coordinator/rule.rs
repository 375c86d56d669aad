//! [`RoutingRule`]: which signals send a context to which specialist.

use crate::context::InvestigationContext;

/// Send the context to the specialist named `agent_name` when it carries
/// any of `signals`. Rules are tried in the order they were added.
///
/// ```
/// use rig_compose::RoutingRule;
///
/// let rule = RoutingRule::new("credential", ["auth.failure.burst", "auth.spray"]);
/// assert_eq!(rule.agent_name, "credential");
/// assert_eq!(rule.signals.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct RoutingRule {
    /// Name of the target specialist, as reported by its
    /// [`Agent::name`](crate::Agent::name).
    pub agent_name: String,
    /// Signal names that trigger the rule; any one suffices.
    pub signals: Vec<String>,
}

impl RoutingRule {
    /// A rule routing any of `signals` to `agent_name`.
    pub fn new(
        agent_name: impl Into<String>,
        signals: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let signals: Vec<String> = signals.into_iter().map(Into::into).collect();
        Self {
            signals,
            agent_name: agent_name.into(),
        }
    }

    /// Whether `ctx` carries at least one of this rule's signals.
    pub(super) fn fires_for(&self, ctx: &InvestigationContext) -> bool {
        self.signals.iter().any(|signal| ctx.has_signal(signal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_on_any_listed_signal() {
        let rule = RoutingRule::new("x", vec!["a".to_owned(), "b".to_owned()]);
        let none = InvestigationContext::new("e", "p").with_signal("c");
        assert!(!rule.fires_for(&none));
        assert!(rule.fires_for(&none.clone().with_signal("b")));
        let empty = RoutingRule::new("x", Vec::<String>::new());
        assert!(!empty.fires_for(&InvestigationContext::new("e", "p").with_signal("a")));
    }
}
