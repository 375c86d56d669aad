//! Tool-call format throughput, in MB/s, on a corpus of realistic model
//! outputs (`benches/formats/corpus.txt`):
//!
//! * `fmt_<family>_<format>/whole` and `/stream_16`: every catalog format on
//!   its own entries, whole text and streamed in 16-byte chunks;
//! * `json_family/whole` and `/serde_floor`: all JSON-family entries, and
//!   only building their calls' argument values with serde_json (a floor
//!   for any normalizer that returns `serde_json::Value`s);
//! * `auto_mixed/whole`, `/stream_4`, `/stream_16`, `/stream_64`: the auto
//!   normalizer on every entry it detects (plus prose without calls);
//! * `lfm_published/published`, `/ours`, `/lfm2`: LFM outputs with the
//!   published 0.5.0 `LfmNormalizer`, this crate's `LfmNormalizer` and the
//!   `lfm2` catalog format.
//!
//! Formats are looked up by name, so entries for formats that are not in
//! the catalog yet are skipped, and new formats are benchmarked as soon as
//! they land. Before timing, every entry is checked (call count, streaming
//! equals whole text, auto-detection agrees); problems are printed and the
//! entry is left out, or the run fails with `FORMATS_BENCH_STRICT=1`.
//!
//! `cd crates/rig-compose && cargo bench --bench formats [-- FILTER]`;
//! `scripts/bench-formats.sh` runs it and prints medians and ratios.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use rig_compose::normalizer::{
    LfmNormalizer, NormalizeError, Normalized, StreamEvent, TextNormalizer, ToolCallFormat,
    ToolCallNormalizer, format_by_name,
};
use rig_compose_published::normalizer::{
    LfmNormalizer as PublishedLfm, ToolCallNormalizer as PublishedNormalizer,
};
use serde_json::Value;

/// The corpus; its header explains the entry syntax.
const CORPUS: &str = include_str!("formats/corpus.txt");

/// Chunk sizes for streaming the mixed corpus: a token or two, a small
/// SSE delta, a larger network read.
const STREAM_CHUNKS: [usize; 5] = [4, 16, 64, 256, 1024];

/// Chunk size for the per-format streaming benchmarks.
const FORMAT_CHUNK: usize = 16;

/// One corpus entry as written in the file.
#[derive(Debug)]
struct Entry {
    /// Names to try with `format_by_name`, in order; empty for `none`.
    names: Vec<String>,
    calls: usize,
    family: String,
    body: String,
    /// Line of the header, for messages.
    line: usize,
}

fn parse_corpus(text: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut body: Option<Vec<&str>> = None;
    let finish = |entries: &mut Vec<Entry>, body: Option<Vec<&str>>| {
        if let (Some(lines), Some(last)) = (body, entries.last_mut()) {
            last.body = lines.join("\n");
        }
    };
    for (index, line) in text.lines().enumerate() {
        let Some(header) = line.strip_prefix("=== ") else {
            if let Some(lines) = body.as_mut() {
                lines.push(line);
            }
            continue;
        };
        finish(&mut entries, body.take());
        let mut words = header.split_whitespace();
        let names = words.next().expect("a header starts with format names");
        let mut entry = Entry {
            names: if names == "none" {
                Vec::new()
            } else {
                names.split('|').map(str::to_owned).collect()
            },
            calls: 0,
            family: "json".to_owned(),
            body: String::new(),
            line: index + 1,
        };
        for word in words {
            match word.split_once('=') {
                Some(("calls", n)) => entry.calls = n.parse().expect("calls=N"),
                Some(("family", f)) => entry.family = f.to_owned(),
                _ => panic!("line {}: unknown header word {word:?}", index + 1),
            }
        }
        entries.push(entry);
        body = Some(Vec::new());
    }
    finish(&mut entries, body);
    entries
}

/// What a run found, comparable between normalizers and between whole
/// text and streaming.
#[derive(Debug, PartialEq)]
struct Outcome {
    calls: Vec<(String, Value, Option<String>)>,
    text: String,
    reasoning: String,
}

impl From<&Normalized> for Outcome {
    fn from(n: &Normalized) -> Self {
        Self {
            calls: n
                .calls
                .iter()
                .map(|c| {
                    (
                        c.invocation.name.clone(),
                        c.invocation.args.clone(),
                        c.id.clone(),
                    )
                })
                .collect(),
            text: n.text.clone(),
            reasoning: n.reasoning.clone(),
        }
    }
}

fn whole(normalizer: &TextNormalizer, raw: &str) -> Result<Outcome, NormalizeError> {
    normalizer.normalize_text(raw).map(|n| Outcome::from(&n))
}

fn streamed(
    normalizer: &TextNormalizer,
    raw: &str,
    chunk: usize,
) -> Result<Outcome, NormalizeError> {
    let mut stream = normalizer.stream();
    let mut events = Vec::new();
    for piece in raw.as_bytes().chunks(chunk) {
        stream.feed_into(piece, &mut events)?;
    }
    events.extend(stream.finish()?);
    Ok(Outcome::from(&Normalized::from_events(events)))
}

/// Feed `raw` in `chunk`-byte pieces, reusing `events`; the work a
/// streaming consumer does. Returns the number of events.
fn stream_once(
    normalizer: &TextNormalizer,
    raw: &str,
    chunk: usize,
    events: &mut Vec<StreamEvent>,
) -> usize {
    events.clear();
    let mut stream = normalizer.stream();
    for piece in raw.as_bytes().chunks(chunk) {
        stream.feed_into(piece, events).unwrap();
    }
    events.extend(stream.finish().unwrap());
    events.len()
}

/// The checked corpus, split the ways the benchmarks use it.
#[derive(Default)]
struct Sets {
    /// Canonical format name → (family, entries).
    per_format: BTreeMap<&'static str, (String, Vec<String>)>,
    /// Entries the auto normalizer handles like their own format, and prose.
    mixed: Vec<String>,
    /// LFM entries both LFM normalizers accept with the same calls.
    lfm: Vec<String>,
    problems: Vec<String>,
}

fn resolve(entry: &Entry) -> Option<&'static dyn ToolCallFormat> {
    entry
        .names
        .iter()
        .find_map(|name| format_by_name(name).ok())
}

fn check_corpus(entries: &[Entry]) -> Sets {
    let mut sets = Sets::default();
    let auto = TextNormalizer::auto();
    let mut skipped = Vec::new();
    for entry in entries {
        let at = format!("corpus.txt:{} ({})", entry.line, entry.names.join("|"));
        let raw = entry.body.as_str();
        if entry.names.is_empty() {
            match whole(&auto, raw) {
                Ok(out) if out.calls.is_empty() => sets.mixed.push(raw.to_owned()),
                other => sets
                    .problems
                    .push(format!("{at}: auto found calls in prose: {other:?}")),
            }
            continue;
        }
        // The 0.5 `LfmNormalizer` needs no catalog entry.
        if entry.names[0] == "lfm2" {
            check_lfm(&at, raw, &mut sets);
        }
        let Some(format) = resolve(entry) else {
            skipped.push(entry.names[0].clone());
            continue;
        };
        let fixed = TextNormalizer::new(format);
        let expected = match whole(&fixed, raw) {
            Ok(out) if out.calls.len() == entry.calls => out,
            Ok(out) => {
                sets.problems.push(format!(
                    "{at}: {} found {} calls, expected {}",
                    format.name(),
                    out.calls.len(),
                    entry.calls
                ));
                continue;
            }
            Err(err) => {
                sets.problems
                    .push(format!("{at}: {} rejects it: {err}", format.name()));
                continue;
            }
        };
        for chunk in [1, FORMAT_CHUNK] {
            let got = streamed(&fixed, raw, chunk);
            if got.as_ref() != Ok(&expected) {
                sets.problems.push(format!(
                    "{at}: {} streamed in {chunk}-byte chunks differs: {got:?}",
                    format.name()
                ));
            }
        }
        sets.per_format
            .entry(format.name())
            .or_insert_with(|| (entry.family.clone(), Vec::new()))
            .1
            .push(raw.to_owned());
        match whole(&auto, raw) {
            Ok(out) if out == expected => sets.mixed.push(raw.to_owned()),
            other => sets.problems.push(format!(
                "{at}: auto disagrees with {}: {other:?}",
                format.name()
            )),
        }
    }
    if !skipped.is_empty() {
        skipped.dedup();
        eprintln!(
            "formats bench: not in the catalog yet, skipped: {}",
            skipped.join(", ")
        );
    }
    sets
}

fn check_lfm(at: &str, raw: &str, sets: &mut Sets) {
    let ours = LfmNormalizer.normalize(raw);
    let theirs = PublishedLfm.normalize(raw);
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs))
            if ours.len() == theirs.len()
                && ours
                    .iter()
                    .zip(theirs)
                    .all(|(a, b)| (&a.name, &a.args) == (&b.name, &b.args)) =>
        {
            // The new format must read the same calls to be timed on it.
            if let Ok(lfm2) = format_by_name("lfm2") {
                let calls = TextNormalizer::new(lfm2).normalize(raw);
                let same = calls.as_ref().is_ok_and(|calls| {
                    calls.len() == ours.len()
                        && calls
                            .iter()
                            .zip(ours)
                            .all(|(a, b)| (&a.name, &a.args) == (&b.name, &b.args))
                });
                if !same {
                    sets.problems.push(format!(
                        "{at}: lfm2 disagrees with LfmNormalizer: {calls:?}"
                    ));
                    return;
                }
            }
            sets.lfm.push(raw.to_owned());
        }
        // Entries the published parser cannot read (JSON lists) are simply
        // not comparable.
        (_, Err(_)) => {}
        _ => sets.problems.push(format!(
            "{at}: LfmNormalizer and the published crate disagree: {ours:?} / {theirs:?}"
        )),
    }
}

fn bytes(set: &[String]) -> u64 {
    set.iter().map(|s| s.len() as u64).sum()
}

fn bench_whole(
    group: &mut BenchmarkGroup<'_, WallTime>,
    normalizer: &TextNormalizer,
    set: &[String],
) {
    group.bench_function("whole", |b| {
        b.iter(|| {
            for raw in set {
                black_box(normalizer.normalize_text(black_box(raw)).unwrap());
            }
        });
    });
}

fn bench_stream(
    group: &mut BenchmarkGroup<'_, WallTime>,
    normalizer: &TextNormalizer,
    set: &[String],
    chunk: usize,
) {
    let mut events = Vec::new();
    group.bench_function(format!("stream_{chunk}"), |b| {
        b.iter(|| {
            for raw in set {
                black_box(stream_once(normalizer, black_box(raw), chunk, &mut events));
            }
        });
    });
}

fn formats(c: &mut Criterion) {
    let entries = parse_corpus(CORPUS);
    let sets = check_corpus(&entries);
    for problem in &sets.problems {
        eprintln!("formats bench: left out {problem}");
    }
    eprintln!(
        "formats bench: {} formats; auto_mixed {} entries ({} bytes); lfm_published {} entries ({} bytes)",
        sets.per_format.len(),
        sets.mixed.len(),
        bytes(&sets.mixed),
        sets.lfm.len(),
        bytes(&sets.lfm)
    );
    if std::env::var_os("FORMATS_BENCH_STRICT").is_some() && !sets.problems.is_empty() {
        panic!(
            "{} corpus problems (FORMATS_BENCH_STRICT)",
            sets.problems.len()
        );
    }

    for (name, (family, set)) in &sets.per_format {
        let normalizer = TextNormalizer::new(format_by_name(name).unwrap());
        let mut group = c.benchmark_group(format!("fmt_{family}_{name}"));
        group.throughput(Throughput::Bytes(bytes(set)));
        bench_whole(&mut group, &normalizer, set);
        bench_stream(&mut group, &normalizer, set, FORMAT_CHUNK);
        group.finish();
    }

    json_floor(c, &sets);

    let auto = TextNormalizer::auto();
    let mut group = c.benchmark_group("auto_mixed");
    group.throughput(Throughput::Bytes(bytes(&sets.mixed)));
    bench_whole(&mut group, &auto, &sets.mixed);
    for chunk in STREAM_CHUNKS {
        bench_stream(&mut group, &auto, &sets.mixed, chunk);
    }
    group.finish();

    if sets.lfm.is_empty() {
        return;
    }
    let mut group = c.benchmark_group("lfm_published");
    group.throughput(Throughput::Bytes(bytes(&sets.lfm)));
    group.bench_function("published", |b| {
        b.iter(|| {
            for raw in &sets.lfm {
                black_box(PublishedLfm.normalize(black_box(raw)).unwrap());
            }
        });
    });
    group.bench_function("ours", |b| {
        b.iter(|| {
            for raw in &sets.lfm {
                black_box(LfmNormalizer.normalize(black_box(raw)).unwrap());
            }
        });
    });
    if let Ok(lfm2) = format_by_name("lfm2") {
        let normalizer = TextNormalizer::new(lfm2);
        group.bench_function("lfm2", |b| {
            b.iter(|| {
                for raw in &sets.lfm {
                    black_box(normalizer.normalize_text(black_box(raw)).unwrap());
                }
            });
        });
    }
    group.finish();
}

/// Every JSON-family entry with its own format, next to the least any
/// normalizer returning `serde_json::Value` arguments has to do on the same
/// outputs: parse each call's arguments (written compactly) with serde_json
/// and copy its name. Both are measured over the entries' bytes.
fn json_floor(c: &mut Criterion, sets: &Sets) {
    // Per entry: its normalizer, the output, and each call's name and
    // compact argument JSON.
    type Work<'a> = (TextNormalizer, &'a str, Vec<(String, String)>);
    let mut work: Vec<Work<'_>> = Vec::new();
    for (name, (family, set)) in &sets.per_format {
        if family != "json" {
            continue;
        }
        for raw in set {
            let normalizer = TextNormalizer::new(format_by_name(name).unwrap());
            let calls = normalizer
                .normalize_text(raw)
                .unwrap()
                .calls
                .iter()
                .map(|c| {
                    let args = serde_json::to_string(&c.invocation.args).unwrap();
                    (c.invocation.name.clone(), args)
                })
                .collect();
            work.push((normalizer, raw, calls));
        }
    }
    let bytes: u64 = work.iter().map(|(_, raw, _)| raw.len() as u64).sum();
    let mut group = c.benchmark_group("json_family");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("whole", |b| {
        b.iter(|| {
            for (normalizer, raw, _) in &work {
                black_box(normalizer.normalize_text(black_box(raw)).unwrap());
            }
        });
    });
    group.bench_function("serde_floor", |b| {
        b.iter(|| {
            for (_, _, calls) in &work {
                let built: Vec<(String, Value)> = calls
                    .iter()
                    .map(|(name, args)| {
                        (name.clone(), serde_json::from_str(black_box(args)).unwrap())
                    })
                    .collect();
                black_box(built);
            }
        });
    });
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
