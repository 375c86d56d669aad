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
mod cohere;
mod functionary;
mod generic_json;
mod granite;
mod hermes;
mod internlm;
mod json_array;
mod llama3_json;
mod minimax_m1;
mod mistral;

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
mod deepseek_v32;
mod glm;
mod hunyuan_v3;
mod minimax_m2;
mod qwen3_coder;
mod seed_oss;
mod step3;
mod xml_support;

// (end of XML-style families)

// Auto-detection and cross-format checks.
mod auto;
mod cross;
mod readme;

// (end of cross-format checks)
