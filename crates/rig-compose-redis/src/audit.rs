//! An optional, synchronous record of every change a budget handle makes.

use std::sync::Arc;

use rig_compose::budget::{HoldClose, HoldId, Settlement};

/// One change a budget made in Redis, as Redis reported it.
///
/// `seq` numbers come from one counter per tree, taken inside the scripts,
/// so they order the events of every process sharing the tree exactly as
/// Redis applied them. Replaying events in `seq` order reproduces each
/// level's state, which is how the multi-process tests check that no
/// admission ever exceeded a capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditEvent {
    /// A hold was admitted (or, for the counter-style guard, units taken).
    Reserved {
        /// The hold's id (equal to `seq`).
        hold: HoldId,
        /// Position in the tree's order of events.
        seq: u64,
        /// Units reserved.
        amount: u64,
        /// Whether the units became spend at once (counter-style guard)
        /// rather than a hold.
        taken: bool,
        /// Lease deadline, ms since the epoch on the server's clock.
        lease_deadline: Option<u64>,
        /// Server time of the admission, ms since the epoch.
        server_millis: u64,
        /// Per level, root first: spend + holds + debt right after the
        /// admission.
        in_use: Vec<u64>,
    },
    /// A hold was closed.
    Closed {
        /// The hold's id.
        hold: HoldId,
        /// Position in the tree's order of events; `None` when the close
        /// repeated an earlier one and changed nothing.
        seq: Option<u64>,
        /// Units the hold reserved.
        amount: u64,
        /// How it was closed.
        close: HoldClose,
        /// What the close did.
        settlement: Settlement,
        /// Server time of the close, ms since the epoch.
        server_millis: u64,
    },
    /// Usage charged without a hold, or spend given back.
    Adjusted {
        /// Position in the tree's order of events.
        seq: u64,
        /// Units charged (positive) or given back (negative).
        units: i128,
        /// Units charged beyond what the budget could cover.
        debt_incurred: u64,
        /// Server time, ms since the epoch.
        server_millis: u64,
    },
}

/// Receives [`AuditEvent`]s. Called inline on the operation's task: keep it
/// quick (append to a buffer, send on a channel).
pub type AuditSink = Arc<dyn Fn(&AuditEvent) + Send + Sync>;
