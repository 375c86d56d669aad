//! The tool-call formats shipped with the crate, one file per model family.
//!
//! Each type here implements [`ToolCallFormat`](super::ToolCallFormat);
//! use one with [`TextNormalizer::new`](super::TextNormalizer::new), or
//! look formats up by name with [`format_by_name`](super::format_by_name).
//! Shared machinery: `tagged_json` (JSON between markers), the byte
//! scanner and Python-literal parser of the parent module.

// Shared machinery.
pub(crate) mod lfm;
pub(crate) mod tagged_json;

// Special-token families.
mod deepseek;
mod gemma;
mod harmony;
mod kimi_k2;
mod lfm2;
mod pythonic;
mod special;
pub use deepseek::{DeepSeekV3, DeepSeekV31};
pub use gemma::{FunctionGemma, Gemma4};
pub use harmony::Harmony;
pub use kimi_k2::KimiK2;
pub use lfm2::Lfm2;
pub use pythonic::{Olmo3, Pythonic};

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
mod cohere;
mod functionary;
mod generic_json;
mod granite;
mod internlm;
mod json_array;
mod llama3_json;
mod minimax_m1;
mod mistral;
pub use cohere::Cohere;
pub use functionary::{FunctionaryV31, FunctionaryV32};
pub use generic_json::GenericJson;
pub use granite::{Granite, Granite20bFc};
pub use internlm::InternLm;
pub use json_array::{Apertus, Apriel, HunyuanA13b, Jamba, Nemotron, Phi4Mini, Xlam};
pub use llama3_json::Llama3Json;
pub use minimax_m1::MiniMaxM1;
pub use mistral::Mistral;

// (end of JSON families)
