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

// (end of XML-style families)

// JSON between markers, and bare JSON.
mod hermes;
pub use hermes::Hermes;

// (end of JSON families)
