//! Context vocabulary shared by skills, producers and prompt builders.
//!
//! Two groups of types live here:
//!
//! * **Investigation state** — [`InvestigationContext`] is the mutable
//!   object an agent threads through its skills during one step,
//!   accumulating [`Signal`]s,
//!   [`Evidence`] and advisory [`NextAction`]s.
//! * **Context-window packing** — producers project their records into
//!   backend-neutral [`ContextItem`]s (tagged with a [`ContextSourceKind`]
//!   and optionally a typed [`ContextProvenance`]), and
//!   [`ContextPack::pack`] chooses which of them fit a
//!   [`ContextPackConfig`], recording an [`OmittedContextItem`] with a
//!   [`ContextOmissionReason`] for every item left out.
//!
//! ```rust
//! use rig_compose::context::{ContextItem, ContextPack, ContextPackConfig, ContextSourceKind};
//!
//! let items = vec![
//!     ContextItem::new(ContextSourceKind::UserInput, "task", "summarise the outage").with_rank(0),
//!     ContextItem::new(ContextSourceKind::Memory, "m-1", "outage began 09:12").with_rank(1),
//! ];
//! let pack = ContextPack::pack(items, ContextPackConfig::default());
//! assert_eq!(pack.render_text(), "summarise the outage\noutage began 09:12");
//! ```

mod config;
mod investigation;
mod item;
mod pack;
mod provenance;
mod source;

pub use config::ContextPackConfig;
pub use investigation::{Evidence, InvestigationContext, NextAction, Signal};
pub use item::ContextItem;
pub use pack::{ContextOmissionReason, ContextPack, OmittedContextItem};
pub use provenance::{ContextProjectionState, ContextProvenance};
pub use source::ContextSourceKind;
