//! Any text through the auto normalizer and through every catalog format
//! by name: each must answer without panicking, and what it answers must
//! be coherent (errors located inside the input, calls only where some
//! format's marker or a bare call could start, a detected format that the
//! catalog knows). The one-pass whole-text route must also agree exactly
//! (calls, text, reasoning, warnings, or the same error) with scanning and
//! then parsing (`one_pass(false)`).
//!
//! Formats are taken from `all_formats()`, so formats added to the catalog
//! are fuzzed without touching this file.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use rig_compose::normalizer::{
    NormalizeError, Normalized, TextNormalizer, ToolCallNormalizer, all_formats, format_by_name,
};

/// Auto-detection, plain and for outputs that start inside reasoning, then
/// one normalizer per catalog format.
static NORMALIZERS: LazyLock<Vec<(&'static str, TextNormalizer)>> = LazyLock::new(|| {
    let mut all = vec![
        ("auto", TextNormalizer::auto()),
        (
            "auto, starting in reasoning",
            TextNormalizer::auto().starting_in_reasoning(true),
        ),
    ];
    all.extend(all_formats().map(|f| (f.name(), TextNormalizer::new(f))));
    all
});

fn check(label: &str, normalizer: &TextNormalizer, raw: &str) {
    let result = normalizer.normalize_text(raw);
    let two_pass = normalizer.clone().one_pass(false).normalize_text(raw);
    assert_eq!(result, two_pass, "{label}: one-pass vs scan + parse of {raw:?}");
    match result {
        Ok(out) => check_result(label, normalizer, raw, &out),
        Err(err) => check_error(label, raw, &err),
    }
}

fn check_result(label: &str, normalizer: &TextNormalizer, raw: &str, out: &Normalized) {
    if !out.calls.is_empty() {
        // Calls come from regions, and regions start at an opener or at a
        // bare call: the cheap applicability test must see them.
        assert!(
            normalizer.is_applicable(raw),
            "{label}: calls found but is_applicable is false for {raw:?}"
        );
        assert!(out.format.is_some(), "{label}: calls without a format");
    }
    for call in &out.calls {
        assert!(
            !call.invocation.name.trim().is_empty(),
            "{label}: empty tool name from {raw:?}"
        );
    }
    if let Some(name) = out.format {
        assert!(
            format_by_name(name).is_ok(),
            "{label}: detected format {name} is not in the catalog"
        );
    }
}

fn check_error(label: &str, raw: &str, err: &NormalizeError) {
    assert!(
        !matches!(
            err,
            NormalizeError::UnknownFormat { .. } | NormalizeError::InvalidUtf8 { .. }
        ),
        "{label}: impossible error for text input: {err:?}"
    );
    if let Some(offset) = err.offset() {
        assert!(
            offset <= raw.len(),
            "{label}: error offset {offset} past the end ({} bytes): {err}",
            raw.len()
        );
    }
    // Display must not panic either.
    let _ = err.to_string();
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    for (label, normalizer) in NORMALIZERS.iter() {
        check(label, normalizer, raw);
    }
});
