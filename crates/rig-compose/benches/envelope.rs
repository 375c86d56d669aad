//! Compares `ToolResultEnvelope::bound` with the published 0.5.0 release on
//! the same ~1 MB inputs.
//!
//! * `fields_over_budget`: ~300 top-level members that survive the string
//!   and array limits, so the total byte budget has to drop most of them.
//! * `long_array`: one array of ~10 000 records, so the array limit does
//!   nearly all the work and the budget is not reached.

// `criterion_group!` expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

const TARGET_BYTES: usize = 1 << 20;

fn fields_over_budget() -> Value {
    let mut fields = Map::new();
    let mut index = 0_usize;
    while encoded_len(&Value::Object(fields.clone())) < TARGET_BYTES {
        for _ in 0..16 {
            let text: String = (0..3_000)
                .map(|offset| char::from(b'a' + ((index + offset) % 26) as u8))
                .collect();
            let tags: Vec<Value> = (0..10)
                .map(|tag| json!(format!("tag-{index}-{tag}")))
                .collect();
            fields.insert(
                format!("field_{index:04}"),
                json!({"id": index, "score": index as f64 / 7.0, "text": text, "tags": tags}),
            );
            index += 1;
        }
    }
    Value::Object(fields)
}

fn long_array() -> Value {
    let mut rows = Vec::new();
    let mut bytes = 0;
    let mut index = 0_usize;
    while bytes < TARGET_BYTES {
        let row = json!({
            "id": index,
            "name": format!("row number {index}"),
            "ok": index.is_multiple_of(3),
            "path": format!("/srv/data/{index}/file\twith \"escapes\""),
            "values": [index, index * 2, index * 3]
        });
        bytes += encoded_len(&row) + 1;
        rows.push(row);
        index += 1;
    }
    json!({"rows": rows, "count": index})
}

fn encoded_len(value: &Value) -> usize {
    serde_json::to_string(value).map_or(0, |text| text.len())
}

fn compare(criterion: &mut Criterion, name: &str, input: &Value) {
    let ours_config = rig_compose::ToolResultEnvelopeConfig::default();
    let published_config = rig_compose_published::ToolResultEnvelopeConfig::default();
    let mut group = criterion.benchmark_group(name);
    group.sample_size(20);
    group.bench_function("ours", |bencher| {
        bencher.iter_batched(
            || input.clone(),
            |payload| rig_compose::ToolResultEnvelope::bound(payload, &ours_config),
            BatchSize::LargeInput,
        );
    });
    group.bench_function("published", |bencher| {
        bencher.iter_batched(
            || input.clone(),
            |payload| rig_compose_published::ToolResultEnvelope::bound(payload, &published_config),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn envelope_benches(criterion: &mut Criterion) {
    let wide = fields_over_budget();
    compare(criterion, "fields_over_budget_1mb", &wide);
    let long = long_array();
    compare(criterion, "long_array_1mb", &long);
}

criterion_group!(benches, envelope_benches);
criterion_main!(benches);
