//! LFM parsing throughput: this crate against the published rig-compose.
//!
//! `cargo bench --bench normalizer` (from `crates/rig-compose`)
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};
use rig_compose_published::normalizer::{
    LfmNormalizer as PublishedLfm, ToolCallNormalizer as PublishedNormalizer,
};

/// Start marker of an LFM tool-call block.
const LFM_START: &str = "<|tool_call_start|>";
/// End marker of an LFM tool-call block.
const LFM_END: &str = "<|tool_call_end|>";

/// Model outputs shaped like real LFM2 transcripts: prose around one or
/// more blocks, string/number/bool arguments, some lists and dicts, a few
/// parallel calls. Every entry parses with both implementations.
fn lfm_corpus() -> Vec<String> {
    let calls = [
        "get_weather(city='Berlin', units='metric')",
        "search(query='rust async runtimes, compared', limit=10)",
        "get_time(zone=\"UTC\")",
        "set_temperature(room='kitchen', value=21.5, unit='celsius')",
        "create_event(title='Team sync', start='2024-06-27T10:00:00Z', duration_minutes=30, attendees=['ana@example.com', 'bo@example.com'], remind=True)",
        "send_message(to='+4915112345678', text='Running 10 minutes late, sorry!')",
        "run_sql(query='SELECT name, total FROM orders WHERE total > 100 ORDER BY total DESC LIMIT 5', database='shop')",
        "plan_route(origin={'lat': 52.52, 'lon': 13.405}, destination={'lat': 48.137, 'lon': 11.575}, mode='train', avoid=['tolls', 'ferries'])",
        "list_files(path='/home/user/projects', recursive=False, pattern=None)",
        "calculator(expression='(5 + 7) * 3 / 2')",
        "translate(text='Hello, world! How are you today?', source='en', target='de')",
        "update_ticket(id=4711, status='in_progress', labels=['backend', 'p1'], fields={'assignee': 'maria', 'estimate': 3, 'blocked': False})",
    ];
    let mut corpus = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        corpus.push(format!(
            "I'll take care of that.\n{LFM_START}[{call}]{LFM_END}\nLet me know if you need anything else."
        ));
        let next = calls.get((i + 1) % calls.len()).copied().unwrap_or(call);
        corpus.push(format!("{LFM_START}[{call}, {next}]{LFM_END}"));
    }
    corpus.push(format!(
        "First the weather, then the time.\n{LFM_START}[get_weather(city='Paris')]{LFM_END}\n{LFM_START}[get_time(zone='Europe/Paris')]{LFM_END}"
    ));
    corpus.push("No tool is needed for this question; the answer is 42.".to_owned());
    corpus
}

fn lfm(c: &mut Criterion) {
    let corpus = lfm_corpus();
    let bytes: usize = corpus.iter().map(String::len).sum();
    // Same work, same answers: check before timing anything.
    for raw in &corpus {
        let ours = LfmNormalizer.normalize(raw).unwrap();
        let theirs = PublishedLfm.normalize(raw).unwrap();
        assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!((&a.name, &a.args), (&b.name, &b.args));
        }
    }

    let mut group = c.benchmark_group("lfm_corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("ours", |b| {
        b.iter(|| {
            for raw in &corpus {
                black_box(LfmNormalizer.normalize(black_box(raw)).unwrap());
            }
        });
    });
    group.bench_function("published", |b| {
        b.iter(|| {
            for raw in &corpus {
                black_box(PublishedLfm.normalize(black_box(raw)).unwrap());
            }
        });
    });
    group.finish();
}

criterion_group!(benches, lfm);
criterion_main!(benches);
