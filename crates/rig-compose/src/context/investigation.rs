//! Per-investigation runtime state threaded through a skill chain.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Name of a lightweight observation (from a sketch, baseline check or an
/// earlier skill) that skills match on in their `applies` predicate.
///
/// Serialized as a plain JSON string.
///
/// ```rust
/// use rig_compose::Signal;
///
/// let signal = Signal::new("auth.failure.burst");
/// assert_eq!(signal.as_str(), "auth.failure.burst");
/// assert_eq!(serde_json::to_string(&signal)?, "\"auth.failure.burst\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signal(pub String);

impl Signal {
    /// Wrap a signal name.
    pub fn new(name: impl Into<String>) -> Self {
        Signal(name.into())
    }

    /// The signal name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A finding recorded by a skill while working on an investigation.
///
/// ```rust
/// use rig_compose::Evidence;
/// use serde_json::json;
///
/// let evidence = Evidence::new("net.fanout", "fanout.high").with_detail(json!({"peers": 212}));
/// assert_eq!(evidence.source_skill, "net.fanout");
/// assert_eq!(evidence.detail["peers"], 212);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Evidence {
    /// Id of the skill that produced the evidence.
    pub source_skill: String,
    /// Short machine-friendly label, e.g. `"memory.hit"`.
    pub label: String,
    /// Structured payload; `null` unless set with [`Evidence::with_detail`].
    pub detail: Value,
    /// Wall-clock time at which the evidence was created.
    pub recorded_at: SystemTime,
}

impl Evidence {
    /// Evidence from `source_skill` with a label, no detail, stamped now.
    pub fn new(source_skill: impl Into<String>, label: impl Into<String>) -> Self {
        Evidence {
            recorded_at: SystemTime::now(),
            detail: Value::Null,
            label: label.into(),
            source_skill: source_skill.into(),
        }
    }

    /// Builder: attach a structured payload.
    pub fn with_detail(self, payload: Value) -> Self {
        Evidence {
            detail: payload,
            ..self
        }
    }
}

/// Advisory hint from a skill about what the agent loop could do next. The
/// loop may follow or ignore it.
///
/// Externally tagged in JSON: `"Conclude"`, `{"RunSkill":"id"}`,
/// `{"InvokeTool":{"tool":"name","args":{...}}}`.
///
/// ```rust
/// use rig_compose::NextAction;
/// use serde_json::json;
///
/// let hint = NextAction::InvokeTool { tool: "whois".into(), args: json!({"ip": "10.0.0.1"}) };
/// assert_eq!(
///     serde_json::to_value(&hint)?,
///     json!({"InvokeTool": {"tool": "whois", "args": {"ip": "10.0.0.1"}}})
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum NextAction {
    /// Run the skill with this id next.
    RunSkill(String),
    /// Call a tool with already prepared arguments.
    InvokeTool {
        /// Tool name.
        tool: String,
        /// JSON arguments for the call.
        args: Value,
    },
    /// Enough evidence has been gathered; finish the investigation.
    Conclude,
    /// The entity looks benign; abandon the investigation.
    Discard,
}

/// Mutable state of one investigation, passed by `&mut` through the skills
/// of an agent step. Skills append evidence and signals and nudge the
/// confidence; the owning agent keeps the value.
///
/// ```rust
/// use rig_compose::{Evidence, InvestigationContext};
///
/// let mut ctx = InvestigationContext::new("host-7", "prod").with_signal("beacon.regular");
/// assert!(ctx.has_signal("beacon.regular"));
/// assert!(!ctx.has_signal("beacon"));
///
/// ctx.evidence.push(Evidence::new("exfil.beacon", "exfil.beacon"));
/// ctx.confidence = 0.4;
/// assert_eq!(ctx.evidence.len(), 1);
/// assert!(ctx.block_id.is_none());
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InvestigationContext {
    /// Caller-defined key of the entity being investigated (a host, actor,
    /// stringified block id, ...).
    pub entity_id: String,
    /// Upstream block that triggered the investigation, if any. A plain UUID
    /// keeps the kernel free of pipeline-specific id types.
    pub block_id: Option<Uuid>,
    /// Caller-defined partition tag.
    pub partition: String,
    /// Triggering signals plus those added by skills along the way.
    pub signals: Vec<Signal>,
    /// Evidence in the order it was recorded.
    pub evidence: Vec<Evidence>,
    /// Running belief in `[0, 1]` that the entity is malicious; skills adjust
    /// it and the agent clamps it after each step.
    pub confidence: f32,
    /// Hints emitted by the skill that ran last.
    pub pending_actions: Vec<NextAction>,
}

impl InvestigationContext {
    /// Fresh investigation of `entity` in `partition_tag`: no block, signals,
    /// evidence or pending actions, and zero confidence.
    pub fn new(entity: impl Into<String>, partition_tag: impl Into<String>) -> Self {
        InvestigationContext {
            entity_id: entity.into(),
            partition: partition_tag.into(),
            block_id: None,
            confidence: 0.0,
            signals: Vec::new(),
            evidence: Vec::new(),
            pending_actions: Vec::new(),
        }
    }

    /// Builder: record the originating block id.
    pub fn with_block<I: Into<Uuid>>(self, id: I) -> Self {
        InvestigationContext {
            block_id: Some(id.into()),
            ..self
        }
    }

    /// Builder: append a signal.
    pub fn with_signal(mut self, name: impl Into<String>) -> Self {
        self.signals.push(Signal::new(name));
        self
    }

    /// Whether a signal with exactly this name is present.
    pub fn has_signal(&self, name: &str) -> bool {
        self.signals.iter().any(|signal| signal.0 == name)
    }
}

#[cfg(test)]
mod tests {
    use super::{Evidence, InvestigationContext, NextAction, Signal};
    use serde_json::json;
    use std::time::{Duration, SystemTime};
    use uuid::Uuid;

    #[test]
    fn new_context_is_empty() {
        let ctx = InvestigationContext::new("e", "p");
        assert_eq!(ctx.entity_id, "e");
        assert_eq!(ctx.partition, "p");
        assert!(ctx.block_id.is_none());
        assert!(
            ctx.signals.is_empty() && ctx.evidence.is_empty() && ctx.pending_actions.is_empty()
        );
        assert_eq!(ctx.confidence, 0.0);
    }

    #[test]
    fn builders_record_block_and_signals_in_order() {
        let block = Uuid::from_u128(7);
        let ctx = InvestigationContext::new("e", "p")
            .with_block(block)
            .with_signal("a")
            .with_signal(String::from("b"));
        assert_eq!(ctx.block_id, Some(block));
        assert_eq!(ctx.signals, [Signal::new("a"), Signal::new("b")]);
        assert!(ctx.has_signal("b"));
        assert!(!ctx.has_signal("c"));
    }

    #[test]
    fn evidence_is_stamped_with_current_time() {
        let before = SystemTime::now();
        let evidence = Evidence::new("skill", "label");
        assert!(evidence.recorded_at >= before);
        assert!(evidence.detail.is_null());
        assert_eq!(evidence.with_detail(json!(1)).detail, json!(1));
    }

    #[test]
    fn context_serde_shape() -> serde_json::Result<()> {
        let mut ctx = InvestigationContext::new("e", "p").with_signal("s");
        let mut evidence = Evidence::new("k", "l");
        evidence.recorded_at = SystemTime::UNIX_EPOCH + Duration::new(5, 6);
        ctx.evidence.push(evidence);
        ctx.pending_actions = vec![
            NextAction::RunSkill("next".into()),
            NextAction::InvokeTool {
                tool: "t".into(),
                args: json!([]),
            },
            NextAction::Conclude,
            NextAction::Discard,
        ];
        let wire = serde_json::to_value(&ctx)?;
        assert_eq!(
            wire,
            json!({
                "entity_id": "e",
                "block_id": null,
                "partition": "p",
                "signals": ["s"],
                "evidence": [{
                    "source_skill": "k",
                    "label": "l",
                    "detail": null,
                    "recorded_at": {"secs_since_epoch": 5, "nanos_since_epoch": 6}
                }],
                "confidence": 0.0,
                "pending_actions": [
                    {"RunSkill": "next"},
                    {"InvokeTool": {"tool": "t", "args": []}},
                    "Conclude",
                    "Discard"
                ]
            })
        );
        let back: InvestigationContext = serde_json::from_value(wire.clone())?;
        assert_eq!(serde_json::to_value(&back)?, wire);
        Ok(())
    }
}
