//! Loading the shipped example price files and price files from disk.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};

use rig_compose::budget::{ModelPrice, PriceError, PriceFormat, PriceTable, TokenUsage};

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

/// A scratch file that is removed when the test ends.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "rig-compose-{}-{}-{name}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn sample_json_loads_with_list_prices() {
    let table = PriceTable::from_path(data("prices.json")).unwrap();
    assert_eq!(table.len(), 11);
    assert_eq!(
        *table.pricing("gpt-4o").unwrap().base(),
        ModelPrice::new(2_500_000, 10_000_000).with_cached_input(1_250_000)
    );
    // OpenAI has no cache-write price: it defaults to the input price.
    assert_eq!(
        table.pricing("gpt-4o-mini").unwrap().base().cache_write,
        150_000
    );
    assert_eq!(
        table.pricing("o4-mini").unwrap().base().cached_input,
        275_000
    );
    assert_eq!(
        table.canonical_name("claude-3-5-haiku-latest"),
        Some("claude-3-5-haiku")
    );
    let gemini = table.pricing("gemini-2.5-pro").unwrap();
    assert_eq!(gemini.long_context().len(), 1);
    assert_eq!(gemini.long_context()[0].price.cached_input, 625_000);
    assert_eq!(gemini.long_context()[0].price.cache_write, 2_500_000);
}

#[test]
fn sample_table_prices_a_cached_anthropic_call() {
    let table = PriceTable::from_path(data("prices.json")).unwrap();
    // A call that re-reads a 40k-token cached system prompt, writes 2k new
    // tokens to the cache and sends 300 fresh tokens.
    let usage = TokenUsage::new(300, 1_000)
        .with_cached_input(40_000)
        .with_cache_write(2_000);
    let cost = table.cost("claude-sonnet-4-20250514", &usage).unwrap();
    // 300×3 + 40000×0.3 + 2000×3.75 + 1000×15 micro-dollars.
    assert_eq!(cost.as_micros(), 900 + 12_000 + 7_500 + 15_000);
    assert_eq!(cost.to_string(), "$0.035400");

    // The same shape of call with a 300k-token prompt is billed at the
    // long-context tier.
    let long = TokenUsage::new(258_000, 1_000)
        .with_cached_input(40_000)
        .with_cache_write(2_000);
    let cost = table.cost("claude-sonnet-4", &long).unwrap();
    assert_eq!(cost.as_micros(), 1_548_000 + 24_000 + 15_000 + 22_500);
}

#[cfg(feature = "toml")]
#[test]
fn sample_toml_matches_sample_json() {
    let json = PriceTable::from_path(data("prices.json")).unwrap();
    let toml = PriceTable::from_path(data("prices.toml")).unwrap();
    assert_eq!(toml, json);
}

#[cfg(not(feature = "toml"))]
#[test]
fn toml_files_need_the_toml_feature() {
    let error = PriceTable::from_path(data("prices.toml")).unwrap_err();
    assert_eq!(
        error,
        PriceError::FeatureDisabled {
            path: data("prices.toml"),
            format: PriceFormat::Toml,
            feature: "toml",
        }
    );
    assert!(error.to_string().contains("`toml` feature"), "{error}");
}

#[test]
fn unknown_extensions_and_missing_files_are_reported() {
    let error = PriceTable::from_path("prices.yaml").unwrap_err();
    assert!(
        matches!(&error, PriceError::UnsupportedFile { path, .. } if path == Path::new("prices.yaml")),
        "{error:?}"
    );
    let missing = data("no-such-prices.json");
    match PriceTable::from_path(&missing).unwrap_err() {
        PriceError::Io { path, kind, .. } => {
            assert_eq!(path, missing);
            assert_eq!(kind, std::io::ErrorKind::NotFound);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn parse_errors_from_files_name_the_file_and_position() {
    let file = TempFile::new(
        "bad.json",
        "{\n  \"models\": {\n    \"gpt-4o\": { \"input\": \"2.50\", \"output\": \"-10\" }\n  }\n}\n",
    );
    match PriceTable::from_path(&file.0).unwrap_err() {
        PriceError::Parse {
            format,
            path,
            line,
            message,
            ..
        } => {
            assert_eq!(format, PriceFormat::Json);
            assert_eq!(path.as_deref(), Some(file.0.as_path()));
            assert_eq!(line, Some(3));
            assert!(
                message.contains("model `gpt-4o`, field `output`"),
                "{message}"
            );
            assert!(message.contains("negative"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[cfg(feature = "toml")]
#[test]
fn toml_file_errors_name_the_file_and_position() {
    let file = TempFile::new(
        "bad.toml",
        "[models.m]\ninput = 1\noutput = 2\n\n[[models.m.long_context]]\nabove_prompt_tokens = 10\ninput = \"cheap\"\noutput = 3\n",
    );
    let error = PriceTable::from_path(&file.0).unwrap_err();
    match &error {
        PriceError::Parse {
            format: PriceFormat::Toml,
            path: Some(path),
            line: Some(7),
            column: Some(9),
            message,
        } => {
            assert_eq!(path, &file.0);
            assert!(
                message.contains("model `m`, long_context[0], field `input`"),
                "{message}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.to_string().contains("line 7, column 9"), "{error}");
}
