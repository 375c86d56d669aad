//! Per-format tests for the text normalizers: one module per model family,
//! all built on the checks in `harness`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod harness;

// JSON families.
mod hermes;

// (end of JSON families)

// Special-token families.
mod deepseek;
mod gemma;
mod harmony;
mod kimi_k2;
mod lfm2;
mod pythonic;
mod special_mutations;

// (end of special-token families)

// XML-style families.

// (end of XML-style families)

// Auto-detection and cross-format checks.

// (end of cross-format checks)
