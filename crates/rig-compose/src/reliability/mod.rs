//! Reliability helpers for host-driven tool loops.
//!
//! A host that runs a normalized tool loop usually needs three things on top
//! of plain dispatch, and this module provides each as a small, synchronous
//! building block that never touches a transport:
//!
//! * **Should this failure be retried?** [`RetryClassifier`] maps a
//!   [`KernelError`](crate::KernelError) onto a [`RetryClass`];
//!   [`DefaultRetryClassifier`] gives a verdict for every kernel error
//!   variant, and hosts with richer transports can supply their own.
//! * **Is this the same call again?** [`ToolCallFingerprint`], obtained from
//!   [`ToolInvocation::fingerprint`](crate::ToolInvocation::fingerprint),
//!   identifies a call by its tool name and canonical arguments, so retries
//!   and stuck loops can be spotted without comparing whole JSON trees.
//! * **What should the model see?** [`repair_history`] folds a raw log of
//!   [`HistoryEntry`] values into one entry per distinct call, so a model is
//!   not shown a pile of failed attempts next to the answer that finally
//!   arrived.
//!
//! # Example
//!
//! ```
//! use rig_compose::{
//!     DefaultRetryClassifier, HistoryEntry, KernelError, RetryClass, RetryClassifier,
//!     ToolInvocation, repair_history,
//! };
//! use serde_json::json;
//!
//! let classifier = DefaultRetryClassifier;
//! let call = ToolInvocation::new("fetch_page", json!({"url": "https://example.org"})).unwrap();
//!
//! // The first attempt hit a flaky backend: worth another try.
//! let flake = KernelError::ToolFailed("connection reset".into());
//! assert_eq!(classifier.classify(&flake), RetryClass::Transient);
//!
//! let log = vec![
//!     HistoryEntry::failed(call.clone(), &flake, &classifier),
//!     HistoryEntry::Completed { invocation: call, output: json!({"status": 200}) },
//! ];
//!
//! // The model only needs to see the attempt that worked.
//! let shown = repair_history(&log);
//! assert_eq!(shown.len(), 1);
//! assert!(matches!(&shown[0], HistoryEntry::Completed { output, .. } if output["status"] == 200));
//! ```

mod fingerprint;
mod history;
mod retry;

pub use fingerprint::ToolCallFingerprint;
pub use history::{HistoryEntry, repair_history};
pub use retry::{DefaultRetryClassifier, RetryClass, RetryClassifier};
