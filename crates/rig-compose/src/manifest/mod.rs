//! Portable agent manifests (feature `manifest`).
//!
//! An [`AgentManifest`] holds the host-neutral parts of an agent's startup
//! configuration: persona, model selector, host tools, MCP servers,
//! delegates and knowledge settings. It is read from YAML or JSON with
//! [`AgentManifest::from_yaml`], [`AgentManifest::from_json`] or
//! [`AgentManifest::from_path`], and its tools and delegates are turned into
//! a [`ToolRegistry`](crate::ToolRegistry) by
//! [`materialize_local_and_delegate_tools_with_delegates`]. Starting MCP
//! servers and building model clients is left to the host.
//!
//! YAML is parsed with `serde_norway`, a maintained fork of the
//! `serde_yaml` crate the original rig-compose used; see [`ManifestError`].
//!
//! # Limits
//!
//! Manifests may come from untrusted places, so loading is bounded. Every
//! loader rejects the following with a [`ManifestError::Io`] of kind
//! `InvalidData` whose inner error is a [`ManifestLimitExceeded`] naming the
//! [`ManifestLimit`] and, where known, the [`SourceLocation`]
//! ([`ManifestError::limit_exceeded`] returns it):
//!
//! * input longer than [`MAX_MANIFEST_BYTES`], before any parsing;
//! * collections nested deeper than [`MAX_MANIFEST_DEPTH`], as soon as the
//!   parser reaches that depth, so the stack stays bounded;
//! * documents that expand to more than [`MAX_MANIFEST_VALUES`] values or
//!   [`MAX_MANIFEST_EXPANDED_BYTES`] bytes of text, counting each YAML alias
//!   use as a full copy, which stops alias ("billion laughs") bombs.
//!
//! Loading never panics; every failure is a [`ManifestError`], whose
//! variants are exactly the published crate's (limit violations have no
//! variant of their own so that exhaustive matches downstream still hold).
//!
//! ```
//! use rig_compose::manifest::{AgentManifest, ManifestLimit, MAX_MANIFEST_DEPTH};
//!
//! let hostile = format!("metadata: {}{}", "[".repeat(500), "]".repeat(500));
//! let err = AgentManifest::from_yaml(&hostile).unwrap_err();
//! match err.limit_exceeded() {
//!     Some(rejected) => {
//!         assert_eq!(rejected.limit, ManifestLimit::Depth { max: MAX_MANIFEST_DEPTH });
//!         assert_eq!(rejected.location.map(|at| at.line), Some(1));
//!     }
//!     None => panic!("expected a depth error, got {err:?}"),
//! }
//! ```

mod error;
mod guard;
mod load;
mod materialize;
mod prescan;
mod spec;

pub use error::{ManifestError, ManifestLimit, ManifestLimitExceeded, SourceLocation};
pub use load::{
    MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH, MAX_MANIFEST_EXPANDED_BYTES, MAX_MANIFEST_VALUES,
};
pub use materialize::{
    delegate_stub, materialize_local_and_delegate_tools,
    materialize_local_and_delegate_tools_with_delegates,
};
pub use spec::{
    AgentManifest, DelegateKind, DelegateSpec, InstructionsSpec, KnowledgeSpec, McpServerSpec,
    ModelSpec, ToolSpec,
};

#[cfg(test)]
mod tests;
