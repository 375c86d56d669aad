//! [`AgentId`]: the identity of one agent instance.

use std::fmt;

use uuid::Uuid;

/// A random, per-instance identifier. Two agents built from the same
/// configuration still get different ids.
///
/// ```
/// use rig_compose::AgentId;
///
/// let a = AgentId::new();
/// assert_ne!(a, AgentId::new());
/// assert_eq!(a.to_string(), a.0.to_string());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgentId(pub Uuid);

impl AgentId {
    /// A fresh random (v4) id.
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Default for AgentId {
    /// Same as [`AgentId::new`]: a default id is still unique.
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_display_as_uuid() {
        let ids: HashSet<AgentId> = (0..64).map(|_| AgentId::default()).collect();
        assert_eq!(ids.len(), 64);
        let id = AgentId::new();
        let text = id.to_string();
        assert_eq!(Uuid::parse_str(&text).unwrap(), id.0);
        assert_eq!(text.len(), 36);
    }
}
