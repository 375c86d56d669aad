//! `ContextPack::pack` on 10,000 items: this crate and the published
//! rig-compose 0.5.0 pack the very same items, so the medians compare side by
//! side (`cd crates/rig-compose && cargo bench --bench context_pack`).
//!
//! Input cloning happens in criterion's setup closure and is not measured.

#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const ITEMS: usize = 10_000;

/// Description of one item, turned into either crate's `ContextItem`.
struct Spec {
    rank: usize,
    text: String,
    id: String,
}

/// xorshift64: deterministic, dependency-free pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        let bound = u64::try_from(bound).unwrap_or(u64::MAX).max(1);
        usize::try_from(self.next() % bound).unwrap_or(0)
    }
}

fn specs(shuffled: bool) -> Vec<Spec> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    (0..ITEMS)
        .map(|n| {
            // 4..40 words; every fifth item carries multi-byte characters.
            let words = 4 + rng.below(36);
            let mut text = String::new();
            for w in 0..words {
                if w > 0 {
                    text.push(' ');
                }
                text.push_str(if n % 5 == 0 && w % 3 == 0 {
                    "grüße"
                } else {
                    "context"
                });
            }
            Spec {
                // Shuffled ranks collide often, exercising the stable tie-break.
                rank: if shuffled { rng.below(ITEMS / 2) } else { n },
                text,
                id: format!("memory/{n}"),
            }
        })
        .collect()
}

/// (name, shuffled ranks?, max_chars, max_items)
const SCENARIOS: [(&str, bool, usize, usize); 3] = [
    ("shuffled_default_window", true, 4_000, 16),
    ("shuffled_budget_bound", true, 200_000, ITEMS),
    ("sorted_budget_bound", false, 200_000, ITEMS),
];

/// Register one criterion function packing `specs` with the crate `$krate`.
macro_rules! bench_crate {
    ($group:expr, $label:literal, $krate:ident, $specs:expr, $max_chars:expr, $max_items:expr) => {{
        let items: Vec<$krate::ContextItem> = $specs
            .iter()
            .map(|s: &Spec| {
                $krate::ContextItem::new(
                    $krate::ContextSourceKind::Memory,
                    s.id.as_str(),
                    s.text.as_str(),
                )
                .with_rank(s.rank)
                .with_score(1.0)
            })
            .collect();
        let config = $krate::ContextPackConfig::new($max_chars).with_max_items($max_items);
        $group.bench_function($label, |b| {
            b.iter_batched(
                || (items.clone(), config.clone()),
                |(items, config)| $krate::ContextPack::pack(items, config),
                BatchSize::LargeInput,
            );
        });
    }};
}

fn bench_pack(c: &mut Criterion) {
    for (name, shuffled, max_chars, max_items) in SCENARIOS {
        let specs = specs(shuffled);
        let mut group = c.benchmark_group(format!("context_pack/{name}"));
        bench_crate!(group, "ours", rig_compose, specs, max_chars, max_items);
        bench_crate!(
            group,
            "published",
            rig_compose_published,
            specs,
            max_chars,
            max_items
        );
        group.finish();
    }
}

criterion_group!(benches, bench_pack);
criterion_main!(benches);
