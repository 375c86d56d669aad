//! # rig-compose
//!
//! Composable, cost-bounded agent kernel.
#![forbid(unsafe_code)]

pub mod context;

pub use context::{
    ContextItem, ContextOmissionReason, ContextPack, ContextPackConfig, ContextProjectionState,
    ContextProvenance, ContextSourceKind, Evidence, InvestigationContext, NextAction,
    OmittedContextItem, Signal,
};
