//! The formats shipped with the crate: lookup by name or alias, the
//! auto-detection order, and model-name hints.

use std::sync::Arc;

use super::error::NormalizeError;
use super::format::ToolCallFormat;
use super::formats;

/// One shipped format and how auto-detection treats it.
struct Entry {
    format: &'static dyn ToolCallFormat,
    /// Whether auto-detection tries it without a model hint. Formats whose
    /// calls carry no marker at all (Functionary v3.2) would turn ordinary
    /// text into calls, so they are only tried when hinted.
    auto: bool,
    /// Lower-case fragments of model names that use it (`qwen3-coder`).
    models: &'static [&'static str],
}

/// Every shipped format, in auto-detection priority order: formats with
/// distinctive markers first, then those sharing markers, then bare ones.
static CATALOG: &[Entry] = &[
    // ── Special-token families: DeepSeek, Kimi K2, Harmony, Gemma, LFM2,
    //    pythonic with markers. ──────────────────────────────────────────
    // V3.1 first: it only claims blocks in its own layout, while V3 reads
    // both, so auto-detection names the version that wrote the output.
    Entry {
        format: &formats::DeepSeekV31,
        auto: true,
        models: &["deepseek-v3.1"],
    },
    Entry {
        format: &formats::DeepSeekV3,
        auto: true,
        models: &["deepseek-v3", "deepseek-r1"],
    },
    Entry {
        format: &formats::KimiK2,
        auto: true,
        models: &["kimi-k2"],
    },
    Entry {
        format: &formats::Harmony,
        auto: true,
        models: &["gpt-oss"],
    },
    Entry {
        format: &formats::FunctionGemma,
        auto: true,
        models: &["functiongemma", "function-gemma"],
    },
    Entry {
        format: &formats::Gemma4,
        auto: true,
        models: &["gemma-4", "gemma4"],
    },
    Entry {
        format: &formats::Lfm2,
        auto: true,
        models: &["lfm2", "lfm-2", "liquid"],
    },
    // Before the XML families: `<function_calls>` followed by `<invoke` is
    // DeepSeek V3.2's plain-tag layout, which Olmo 3 declines.
    Entry {
        format: &formats::Olmo3,
        auto: true,
        models: &["olmo-3", "olmo3"],
    },
    //
    // (end of special-token families)
    //
    // ── XML-style families: Qwen3-Coder, Seed-OSS, MiniMax M2, Step3,
    //    DeepSeek V3.2 DSML, GLM, Hunyuan V3. ──────────────────────────────
    // `<tool_call>` is shared with Hermes (below): Qwen3-Coder and GLM only
    // claim it when `<function=` or a bare name follows.
    Entry {
        format: &formats::Qwen3Coder,
        auto: true,
        models: &["qwen3-coder", "qwen3.5", "step-3.5", "step3.5", "step-3p5"],
    },
    Entry {
        format: &formats::SeedOss,
        auto: true,
        models: &["seed-oss"],
    },
    Entry {
        format: &formats::MiniMaxM2,
        auto: true,
        models: &["minimax-m2"],
    },
    Entry {
        format: &formats::Step3,
        auto: true,
        models: &["step3", "step-3"],
    },
    Entry {
        format: &formats::DeepSeekV32,
        auto: true,
        models: &["deepseek-v3.2", "deepseek-v32"],
    },
    Entry {
        format: &formats::Glm45,
        auto: true,
        models: &["glm-4.5", "glm4.5", "glm-4.6", "glm4.6"],
    },
    // Reads exactly what GLM-4.5 reads, so without a hint it never wins;
    // it is here for its name and the GLM-4.7 / GLM-5 hints.
    Entry {
        format: &formats::Glm47,
        auto: true,
        models: &["glm-4.7", "glm4.7", "glm-5", "glm5"],
    },
    Entry {
        format: &formats::HunyuanV3,
        auto: true,
        models: &["hunyuan-v3", "hunyuan3"],
    },
    //
    // (end of XML-style families)
    //
    // ── JSON between markers. ─────────────────────────────────────────────
    // Before Hermes: Hermes also takes `<function_call>{…}`, but needs a
    // closing tag, which granite-20b-functioncalling never writes.
    Entry {
        format: &formats::Granite20bFc,
        auto: true,
        models: &["granite-20b-functioncalling", "granite-20b-fc"],
    },
    // Before Hermes: both read `<tool_call>[…]` (Hermes takes a JSON array
    // there too), and in auto mode the array form is Granite 3.1's.
    Entry {
        format: &formats::Granite,
        auto: true,
        models: &["granite"],
    },
    Entry {
        format: &formats::Hermes,
        auto: true,
        models: &["qwen", "qwq", "hermes", "nous"],
    },
    Entry {
        format: &formats::InternLm,
        auto: true,
        models: &["internlm", "intern-s1"],
    },
    // `<tool_calls>[`: one syntax, three names; auto-detection says `jamba`.
    Entry {
        format: &formats::Jamba,
        auto: true,
        models: &["jamba"],
    },
    Entry {
        format: &formats::HunyuanA13b,
        auto: true,
        models: &["hunyuan-a13b"],
    },
    Entry {
        format: &formats::Apriel,
        auto: true,
        models: &["apriel", "apriel-nemotron"],
    },
    // `<tool_calls>{` (one object per line).
    Entry {
        format: &formats::MiniMaxM1,
        auto: true,
        models: &["minimax-m1", "minimax-text"],
    },
    Entry {
        format: &formats::Nemotron,
        auto: true,
        models: &["nemotron"],
    },
    Entry {
        format: &formats::Apertus,
        auto: true,
        models: &["apertus"],
    },
    Entry {
        format: &formats::Phi4Mini,
        auto: true,
        models: &["phi-4-mini", "phi4-mini", "firefunction-v2"],
    },
    Entry {
        format: &formats::Mistral,
        auto: true,
        models: &[
            "mistral",
            "mixtral",
            "magistral",
            "devstral",
            "ministral",
            "codestral",
        ],
    },
    Entry {
        format: &formats::Cohere,
        auto: true,
        models: &["command-r", "command-a", "c4ai", "cohere"],
    },
    // `<function=NAME>` after Hermes, which accepts it too.
    Entry {
        format: &formats::FunctionaryV31,
        auto: true,
        models: &["functionary-small-v3.1", "functionary-medium-v3.1"],
    },
    //
    // (end of JSON between markers)
    //
    // ── Bare JSON at the output start (no markers). ───────────────────────
    Entry {
        format: &formats::Llama3Json,
        auto: true,
        models: &["llama-3", "llama3"],
    },
    // Its markers (`[TOOL_CALLS]`, `<tool_call>`, ```` ```json ````) and
    // bare arrays are claimed by Mistral, Hermes and Llama 3 first.
    Entry {
        format: &formats::Xlam,
        auto: true,
        models: &["xlam"],
    },
    Entry {
        format: &formats::GenericJson,
        auto: true,
        models: &[],
    },
    // `word\n{` at the output start would make prose into calls: hint only.
    Entry {
        format: &formats::FunctionaryV32,
        auto: false,
        models: &[
            "functionary-small-v3.2",
            "functionary-medium-v3.2",
            "functionary-v3.2",
            "functionary",
        ],
    },
    //
    // (end of bare JSON)
    //
    // ── Bare pythonic lists at the output start. ──────────────────────────
    // Also Llama 4's `<|python_start|>` wrapper, which no other format uses.
    Entry {
        format: &formats::Pythonic,
        auto: true,
        models: &["llama-4", "llama4"],
    },
    //
    // (end of bare pythonic)
];

/// Every format shipped with the crate, in auto-detection order.
///
/// ```
/// use rig_compose::normalizer::all_formats;
///
/// assert!(all_formats().any(|f| f.name() == "hermes"));
/// ```
pub fn all_formats() -> impl Iterator<Item = &'static dyn ToolCallFormat> {
    CATALOG.iter().map(|entry| entry.format)
}

/// The formats [`TextNormalizer::auto`](super::TextNormalizer::auto) tries
/// without a model hint: every shipped format except those whose calls have
/// no marker at all and would turn ordinary text into calls (Functionary
/// v3.2, found with a model hint).
///
/// ```
/// use rig_compose::normalizer::auto_detected_formats;
///
/// assert!(auto_detected_formats().any(|f| f.name() == "kimi_k2"));
/// assert!(!auto_detected_formats().any(|f| f.name() == "functionary_v3_2"));
/// ```
pub fn auto_detected_formats() -> impl Iterator<Item = &'static dyn ToolCallFormat> {
    CATALOG
        .iter()
        .filter(|entry| entry.auto)
        .map(|entry| entry.format)
}

/// Lower-case with `-` for `_`, so `Qwen3_Coder` and `qwen3-coder` match.
fn fold(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// The format with this canonical name or alias (vLLM and SGLang parser
/// names are aliases). Case, `-` and `_` do not matter.
///
/// ```
/// use rig_compose::normalizer::format_by_name;
///
/// assert_eq!(format_by_name("Hermes").unwrap().name(), "hermes");
/// assert!(format_by_name("no-such-format").is_err());
/// ```
pub fn format_by_name(name: &str) -> Result<&'static dyn ToolCallFormat, NormalizeError> {
    let wanted = fold(name);
    CATALOG
        .iter()
        .map(|entry| entry.format)
        .find(|format| {
            fold(format.name()) == wanted || format.aliases().iter().any(|a| fold(a) == wanted)
        })
        .ok_or_else(|| NormalizeError::UnknownFormat {
            name: name.to_owned(),
        })
}

/// The format a model is known to write, from its name or path
/// (`meta-llama/Llama-3.1-8B-Instruct`, `kimi-k2-instruct`, ...). The
/// longest matching name fragment wins, so `deepseek-v3.1` beats
/// `deepseek-v3`.
///
/// ```
/// use rig_compose::normalizer::format_for_model;
///
/// assert_eq!(format_for_model("Qwen/Qwen2.5-7B-Instruct").map(|f| f.name()), Some("hermes"));
/// assert!(format_for_model("my-own-model").is_none());
/// ```
pub fn format_for_model(model: &str) -> Option<&'static dyn ToolCallFormat> {
    let model = fold(model);
    CATALOG
        .iter()
        .flat_map(|entry| entry.models.iter().map(move |m| (*m, entry.format)))
        .filter(|(fragment, _)| model.contains(&fold(fragment)))
        .max_by_key(|(fragment, _)| fragment.len())
        .map(|(_, format)| format)
}

/// Candidates for auto-detection: the hinted format first, then every
/// format that auto-detection tries by default.
pub(crate) fn auto_candidates(
    hint: Option<&'static dyn ToolCallFormat>,
) -> Vec<Arc<dyn ToolCallFormat>> {
    let mut out: Vec<Arc<dyn ToolCallFormat>> = Vec::new();
    if let Some(hint) = hint {
        out.push(Arc::new(hint));
    }
    for entry in CATALOG {
        let already = hint.is_some_and(|h| h.name() == entry.format.name());
        if entry.auto && !already {
            out.push(Arc::new(entry.format));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for format in all_formats() {
            for name in std::iter::once(format.name()).chain(format.aliases().iter().copied()) {
                assert!(seen.insert(fold(name)), "{name} is used twice");
            }
        }
    }

    #[test]
    fn every_format_is_found_by_its_names() {
        for format in all_formats() {
            assert_eq!(format_by_name(format.name()).unwrap().name(), format.name());
            for alias in format.aliases() {
                assert_eq!(format_by_name(alias).unwrap().name(), format.name());
            }
        }
    }
}
