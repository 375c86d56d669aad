//! The tool-call formats shipped with the crate, one file per model family.
//!
//! Each type here implements [`ToolCallFormat`](super::ToolCallFormat);
//! use one with [`TextNormalizer::new`](super::TextNormalizer::new), or
//! look formats up by name with [`format_by_name`](super::format_by_name).
//! Shared machinery: [`tagged_json`] (JSON between markers), the byte
//! scanner and Python-literal parser of the parent module.

// Shared machinery.
pub(crate) mod lfm;
pub(crate) mod tagged_json;

// Special-token families.

// (end of special-token families)

// XML-style families.
mod deepseek_v32;
mod glm;
mod hunyuan_v3;
mod minimax_m2;
mod qwen3_coder;
mod seed_oss;
mod step3;
pub(crate) mod xml_params;
pub use deepseek_v32::DeepSeekV32;
pub use glm::{Glm45, Glm47};
pub use hunyuan_v3::HunyuanV3;
pub use minimax_m2::MiniMaxM2;
pub use qwen3_coder::Qwen3Coder;
pub use seed_oss::SeedOss;
pub use step3::Step3;

// (end of XML-style families)

// JSON between markers, and bare JSON.
mod hermes;
pub use hermes::Hermes;

// (end of JSON families)
