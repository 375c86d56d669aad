//! The shared catalogue of [`Skill`]s.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::KernelError;
use crate::skill::{Skill, SkillId};

type SkillMap = HashMap<SkillId, Arc<dyn Skill>>;

/// Catalogue entry describing one registered skill, for discovery,
/// documentation and export. It plays no part in execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillDescriptor {
    /// The skill's registry id.
    pub id: SkillId,
    /// The skill's [`description`](Skill::description); empty if it has none.
    pub description: String,
}

/// A registry of skills indexed by id.
///
/// Clones share one catalogue. Registering under an existing id replaces
/// the earlier skill. Agents resolve their skill chains from here when they
/// are built (see [`resolve_chain`](Self::resolve_chain)), so later changes
/// do not affect agents that already exist.
///
/// ```
/// use std::sync::Arc;
/// use async_trait::async_trait;
/// use rig_compose::{InvestigationContext, KernelError, Skill, SkillOutcome, SkillRegistry, ToolRegistry};
///
/// struct Named(&'static str);
///
/// #[async_trait]
/// impl Skill for Named {
///     fn id(&self) -> &str { self.0 }
///     async fn execute(&self, _: &mut InvestigationContext, _: &ToolRegistry)
///         -> Result<SkillOutcome, KernelError> { Ok(SkillOutcome::noop()) }
/// }
///
/// let skills = SkillRegistry::new();
/// skills.register(Arc::new(Named("b.second")));
/// skills.register(Arc::new(Named("a.first")));
///
/// let chain = skills.resolve_chain(["b.second", "a.first"]).unwrap();
/// assert_eq!(chain[0].id(), "b.second");
/// assert!(matches!(skills.get("zzz"), Err(KernelError::SkillNotFound(_))));
///
/// let ids: Vec<_> = skills.descriptors().into_iter().map(|d| d.id).collect();
/// assert_eq!(ids, ["a.first", "b.second"]);
/// ```
#[derive(Clone, Default)]
pub struct SkillRegistry {
    catalogue: Arc<RwLock<SkillMap>>,
}

impl fmt::Debug for SkillRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<SkillId> = self.descriptors().into_iter().map(|d| d.id).collect();
        f.debug_struct("SkillRegistry")
            .field("skills", &ids)
            .finish()
    }
}

impl SkillRegistry {
    /// Create an empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `skill` under its [`id`](Skill::id), replacing any skill already
    /// registered under that id.
    pub fn register(&self, skill: Arc<dyn Skill>) {
        let id = skill.id().to_owned();
        self.write().insert(id, skill);
    }

    /// Look a skill up by id; [`KernelError::SkillNotFound`] if absent.
    pub fn get(&self, id: &str) -> Result<Arc<dyn Skill>, KernelError> {
        self.read()
            .get(id)
            .cloned()
            .ok_or_else(|| KernelError::SkillNotFound(id.to_owned()))
    }

    /// Look up every id in `ids`, keeping their order, and fail on the first
    /// one that is not registered.
    pub fn resolve_chain<I, S>(&self, ids: I) -> Result<Vec<Arc<dyn Skill>>, KernelError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        // One lock for the whole chain so it resolves against one snapshot.
        let catalogue = self.read();
        let mut chain = Vec::new();
        for id in ids {
            let id = id.as_ref();
            match catalogue.get(id) {
                Some(skill) => chain.push(Arc::clone(skill)),
                None => return Err(KernelError::SkillNotFound(id.to_owned())),
            }
        }
        Ok(chain)
    }

    /// Number of registered skills.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no skill is registered.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// A descriptor for every registered skill, sorted by id.
    pub fn descriptors(&self) -> Vec<SkillDescriptor> {
        // `description` is user code: take handles, then call it unlocked.
        let skills: Vec<(SkillId, Arc<dyn Skill>)> = self
            .read()
            .iter()
            .map(|(id, skill)| (id.clone(), Arc::clone(skill)))
            .collect();
        let mut out: Vec<SkillDescriptor> = skills
            .into_iter()
            .map(|(id, skill)| SkillDescriptor {
                id,
                description: skill.description().to_owned(),
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    // Writers only insert whole entries, so data behind a poisoned lock is
    // still consistent and can be used.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, SkillMap> {
        self.catalogue
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, SkillMap> {
        self.catalogue
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::InvestigationContext;
    use crate::registry::ToolRegistry;
    use crate::skill::SkillOutcome;
    use async_trait::async_trait;

    struct Fixed {
        id: &'static str,
        text: &'static str,
        delta: f32,
    }

    #[async_trait]
    impl Skill for Fixed {
        fn id(&self) -> &str {
            self.id
        }

        fn description(&self) -> &str {
            self.text
        }

        async fn execute(
            &self,
            _context: &mut InvestigationContext,
            _registry: &ToolRegistry,
        ) -> Result<SkillOutcome, KernelError> {
            Ok(SkillOutcome::noop().with_delta(self.delta))
        }
    }

    fn skill(id: &'static str, text: &'static str, delta: f32) -> Arc<dyn Skill> {
        Arc::new(Fixed { id, text, delta })
    }

    #[tokio::test]
    async fn register_replaces_by_id() {
        let reg = SkillRegistry::new();
        assert!(reg.is_empty());
        reg.register(skill("s", "old", 0.1));
        reg.register(skill("s", "new", 0.9));
        assert_eq!(reg.len(), 1);
        assert!(!reg.is_empty());
        let got = reg.get("s").unwrap();
        assert_eq!(got.description(), "new");
        let mut ctx = InvestigationContext::new("e", "p");
        let out = got.execute(&mut ctx, &ToolRegistry::new()).await.unwrap();
        assert_eq!(out.confidence_delta, 0.9);
    }

    #[test]
    fn missing_ids_are_reported_by_name() {
        let reg = SkillRegistry::new();
        reg.register(skill("present", "", 0.0));
        let err = reg.get("absent").err().unwrap();
        assert!(matches!(&err, KernelError::SkillNotFound(id) if id == "absent"));
        assert_eq!(err.to_string(), "skill `absent` not found in registry");

        let err = reg
            .resolve_chain(["present", "gone", "also_gone"])
            .err()
            .unwrap();
        assert!(matches!(err, KernelError::SkillNotFound(id) if id == "gone"));
    }

    #[test]
    fn chain_keeps_declared_order_and_duplicates() {
        let reg = SkillRegistry::new();
        for id in ["a", "b", "c"] {
            reg.register(skill(id, "", 0.0));
        }
        let ids: Vec<String> = reg
            .resolve_chain(vec!["c".to_owned(), "a".to_owned(), "c".to_owned()])
            .unwrap()
            .iter()
            .map(|s| s.id().to_owned())
            .collect();
        assert_eq!(ids, ["c", "a", "c"]);
        assert!(reg.resolve_chain(Vec::<&str>::new()).unwrap().is_empty());
    }

    #[test]
    fn descriptors_are_sorted_and_shared_between_clones() {
        let reg = SkillRegistry::new();
        let clone = reg.clone();
        clone.register(skill("zeta", "last", 0.0));
        reg.register(skill("alpha", "first", 0.0));
        reg.register(skill("mid", "", 0.0));
        let got = reg.descriptors();
        assert_eq!(
            got,
            vec![
                SkillDescriptor {
                    id: "alpha".into(),
                    description: "first".into()
                },
                SkillDescriptor {
                    id: "mid".into(),
                    description: String::new()
                },
                SkillDescriptor {
                    id: "zeta".into(),
                    description: "last".into()
                },
            ]
        );
        assert_eq!(clone.len(), 3);
        assert!(format!("{reg:?}").contains("alpha"));
    }

    #[test]
    fn descriptor_serde_shape() {
        let d = SkillDescriptor {
            id: "x.y".into(),
            description: "d".into(),
        };
        let wire = serde_json::to_value(&d).unwrap();
        assert_eq!(wire, serde_json::json!({"id": "x.y", "description": "d"}));
        let back: SkillDescriptor = serde_json::from_value(wire).unwrap();
        assert_eq!(back, d);
    }
}
