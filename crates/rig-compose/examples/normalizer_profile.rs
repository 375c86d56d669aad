//! A fixed workload for profiling the tool-call normalizer: runs one
//! format (or auto-detection) over its entries of the benchmark corpus,
//! whole or streamed, a fixed number of times. `scripts/instr-per-byte.sh`
//! runs it under callgrind and reports instructions per byte, which, unlike
//! wall clock, is stable on a busy machine.
//!
//! ```text
//! cargo run --release --example normalizer_profile -- MODE FORMAT [ROUNDS]
//! ```
//!
//! MODE is `whole` or `streamN` (N-byte chunks); FORMAT is a catalog name
//! or alias, or `auto` for every entry auto-detection handles plus prose.
//! It prints the number of calls or events and `bytes=B rounds=R`.

use std::process::ExitCode;

use rig_compose::normalizer::{StreamEvent, TextNormalizer, format_by_name};

const CORPUS: &str = include_str!("../benches/formats/corpus.txt");

/// The corpus entries: the names in each header and the body.
fn entries() -> Vec<(Vec<&'static str>, String)> {
    let mut out: Vec<(Vec<&'static str>, Vec<&'static str>)> = Vec::new();
    for line in CORPUS.lines() {
        match line.strip_prefix("=== ") {
            Some(header) => {
                let names = header.split_whitespace().next().unwrap_or_default();
                out.push((names.split('|').collect(), Vec::new()));
            }
            None => {
                if let Some((_, body)) = out.last_mut() {
                    body.push(line);
                }
            }
        }
    }
    out.into_iter()
        .map(|(names, body)| (names, body.join("\n")))
        .collect()
}

/// Calls found (whole) or events produced (streamed) in one pass over `set`.
// Kept out of line: the profiler counts instructions inside this function.
#[inline(never)]
fn run(normalizer: &TextNormalizer, set: &[String], chunk: Option<usize>) -> Result<usize, String> {
    let mut count = 0;
    let mut events: Vec<StreamEvent> = Vec::new();
    for raw in set {
        match chunk {
            None => {
                let out = normalizer.normalize_text(raw).map_err(|e| e.to_string())?;
                count += out.calls.len();
            }
            Some(size) => {
                events.clear();
                let mut stream = normalizer.stream();
                for piece in raw.as_bytes().chunks(size) {
                    stream
                        .feed_into(piece, &mut events)
                        .map_err(|e| e.to_string())?;
                }
                events.extend(stream.finish().map_err(|e| e.to_string())?);
                count += events.len();
            }
        }
    }
    Ok(count)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(format)) = (args.first(), args.get(1)) else {
        eprintln!("usage: normalizer_profile whole|streamN FORMAT|auto [ROUNDS]");
        return ExitCode::from(2);
    };
    let chunk = match mode.as_str() {
        "whole" => None,
        other => match other.strip_prefix("stream").map(str::parse::<usize>) {
            Some(Ok(size)) if size > 0 => Some(size),
            _ => {
                eprintln!("MODE is `whole` or `streamN`, not {other:?}");
                return ExitCode::from(2);
            }
        },
    };
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(200);
    let entries = entries();
    let (normalizer, set): (TextNormalizer, Vec<String>) = if format == "auto" {
        let known = |names: &[&str]| names.iter().any(|n| format_by_name(n).is_ok());
        let set = entries
            .into_iter()
            .filter(|(names, _)| names == &["none"] || known(names))
            .map(|(_, body)| body)
            .collect();
        (TextNormalizer::auto(), set)
    } else {
        let Ok(wanted) = format_by_name(format) else {
            eprintln!("unknown format {format:?}");
            return ExitCode::from(2);
        };
        let set = entries
            .into_iter()
            .filter(|(names, _)| {
                names
                    .iter()
                    .find_map(|n| format_by_name(n).ok())
                    .is_some_and(|f| f.name() == wanted.name())
            })
            .map(|(_, body)| body)
            .collect();
        (TextNormalizer::new(wanted), set)
    };
    let bytes: usize = set.iter().map(String::len).sum();
    let mut total = 0;
    for _ in 0..rounds {
        match run(&normalizer, &set, chunk) {
            Ok(count) => total += count,
            Err(err) => {
                eprintln!("{err}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{total} bytes={bytes} rounds={rounds}");
    ExitCode::SUCCESS
}
