//! Auto-detection over the benchmark corpus: every realistic output is
//! read by `TextNormalizer::auto()` exactly as by its own format, prose
//! yields no call, and a model hint picks the right format.

use rig_compose::normalizer::{
    TextNormalizer, auto_detected_formats, format_by_name, format_for_model,
};

use crate::harness::{Outcome, check};

const CORPUS: &str = include_str!("../../benches/formats/corpus.txt");

/// `(header line, format names, expected calls, body)` of every entry.
fn entries() -> Vec<(usize, Vec<String>, usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, Vec<String>, usize, Vec<&str>)> = None;
    for (n, line) in CORPUS.lines().enumerate() {
        if let Some(header) = line.strip_prefix("=== ") {
            if let Some((at, names, calls, body)) = current.take() {
                out.push((at, names, calls, body.join("\n")));
            }
            let mut words = header.split_whitespace();
            let names = words.next().unwrap();
            let calls = words
                .find_map(|w| w.strip_prefix("calls="))
                .map_or(0, |c| c.parse().unwrap());
            let names = if names == "none" {
                Vec::new()
            } else {
                names.split('|').map(str::to_owned).collect()
            };
            current = Some((n + 1, names, calls, Vec::new()));
        } else if let Some((_, _, _, body)) = current.as_mut() {
            body.push(line);
        }
    }
    out.extend(current.map(|(at, names, calls, body)| (at, names, calls, body.join("\n"))));
    out
}

#[test]
fn auto_reads_every_corpus_entry_like_its_format() {
    let auto = TextNormalizer::auto();
    let entries = entries();
    assert!(entries.len() >= 50, "corpus has {} entries", entries.len());
    for (at, names, calls, body) in entries {
        let auto_out = check(&auto, &body).unwrap_or_else(|e| panic!("line {at}: auto: {e}"));
        if names.is_empty() {
            assert!(auto_out.calls.is_empty(), "line {at}: prose became a call");
            continue;
        }
        let format = names
            .iter()
            .find_map(|n| format_by_name(n).ok())
            .unwrap_or_else(|| panic!("line {at}: no format named {names:?}"));
        let fixed = check(&TextNormalizer::new(format), &body)
            .unwrap_or_else(|e| panic!("line {at}: {}: {e}", format.name()));
        assert_eq!(fixed.calls.len(), calls, "line {at}: {}", format.name());
        if auto_detected_formats().any(|f| f.name() == format.name()) {
            assert_eq!(
                Outcome::from(&auto_out),
                Outcome::from(&fixed),
                "line {at}: {}",
                format.name()
            );
        } else {
            assert!(
                auto_out.calls.is_empty(),
                "line {at}: {} is hint-only",
                format.name()
            );
        }
    }
}

#[test]
fn model_hints_pick_the_family_format() {
    for (model, format) in [
        ("Qwen/Qwen2.5-72B-Instruct", "hermes"),
        ("Qwen/Qwen3-Coder-480B-A35B-Instruct", "qwen3_coder"),
        ("meta-llama/Llama-3.1-8B-Instruct", "llama3_json"),
        ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "pythonic"),
        ("deepseek-ai/DeepSeek-V3-0324", "deepseek_v3"),
        ("deepseek-ai/DeepSeek-V3.1", "deepseek_v31"),
        ("deepseek-ai/DeepSeek-V3.2-Exp", "deepseek_v32"),
        ("moonshotai/Kimi-K2-Instruct", "kimi_k2"),
        ("zai-org/GLM-4.5-Air", "glm45"),
        ("zai-org/GLM-4.7", "glm47"),
        ("openai/gpt-oss-120b", "harmony"),
        ("mistralai/Mistral-Small-3.2-24B-Instruct-2506", "mistral"),
        ("LiquidAI/LFM2-1.2B", "lfm2"),
        ("MiniMaxAI/MiniMax-M2", "minimax_m2"),
        ("ByteDance-Seed/Seed-OSS-36B-Instruct", "seed_oss"),
        ("ibm-granite/granite-3.1-8b-instruct", "granite"),
        ("CohereLabs/c4ai-command-r7b-12-2024", "cohere"),
        ("google/functiongemma-270m-it", "function_gemma"),
        ("Salesforce/xLAM-2-8b-fc-r", "xlam"),
        ("microsoft/Phi-4-mini-instruct", "phi4_mini"),
    ] {
        let found = format_for_model(model).map(|f| f.name());
        assert_eq!(found, Some(format), "{model}");
        assert_eq!(
            TextNormalizer::auto_for_model(model).preferred_format(),
            Some(format)
        );
    }
}
