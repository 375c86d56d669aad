//! Property tests for `ContextPack::pack` against a deliberately naive model
//! of the packing rules, plus structural invariants that must hold for any
//! input (including NaN scores and absurd size estimates).

use proptest::prelude::*;
use rig_compose::{
    ContextItem, ContextOmissionReason, ContextPack, ContextPackConfig, ContextSourceKind,
};

/// Straightforward restatement of the documented rules: stable sort by rank,
/// item cap first, then "charged size + separator fits in what is left".
fn model(
    items: &[ContextItem],
    config: &ContextPackConfig,
) -> (Vec<String>, Vec<(String, ContextOmissionReason)>, usize) {
    let mut ordered: Vec<&ContextItem> = items.iter().collect();
    ordered.sort_by_key(|item| item.rank);
    let window = u128::from(config.max_chars.saturating_sub(config.reserve_chars) as u64);
    let separator = config.separator.chars().count() as u128;
    let mut used: u128 = 0;
    let mut selected = Vec::new();
    let mut omitted = Vec::new();
    for item in ordered {
        if selected.len() >= config.max_items {
            omitted.push((item.source_id.clone(), ContextOmissionReason::MaxItems));
            continue;
        }
        let charged = item.estimated_chars.max(item.text.chars().count()) as u128;
        let gap = if selected.is_empty() { 0 } else { separator };
        // Wide arithmetic: anything past usize::MAX cannot fit.
        let next = used + gap + charged;
        if next > window || next > usize::MAX as u128 {
            omitted.push((item.source_id.clone(), ContextOmissionReason::OverBudget));
        } else {
            used = next;
            selected.push(item.source_id.clone());
        }
    }
    (selected, omitted, used as usize)
}

fn item() -> impl Strategy<Value = ContextItem> {
    (
        prop_oneof![5 => 0usize..8, 1 => any::<usize>()],
        prop_oneof!["[a-z ]{0,10}", "\\PC{0,10}"],
        prop_oneof![
            3 => Just(None),
            2 => (0usize..30).prop_map(Some),
            1 => (0usize..3).prop_map(|d| Some(usize::MAX - d)),
        ],
        prop_oneof![Just(f64::NAN), any::<f64>()],
    )
        .prop_map(|(rank, text, estimate, score)| {
            let item = ContextItem::new(ContextSourceKind::Reasoning, "", text)
                .with_rank(rank)
                .with_score(score);
            match estimate {
                Some(chars) => item.with_estimated_chars(chars),
                None => item,
            }
        })
}

fn config() -> impl Strategy<Value = ContextPackConfig> {
    (
        prop_oneof![4 => 0usize..60, 1 => Just(usize::MAX), 1 => any::<usize>()],
        prop_oneof![4 => 0usize..6, 1 => Just(usize::MAX)],
        prop_oneof![3 => Just(0usize), 2 => 0usize..20, 1 => any::<usize>()],
        prop_oneof![Just("\n".to_owned()), "\\PC{0,3}"],
    )
        .prop_map(|(max_chars, max_items, reserve, separator)| {
            ContextPackConfig::new(max_chars)
                .with_max_items(max_items)
                .with_reserve_chars(reserve)
                .with_separator(separator)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn pack_agrees_with_naive_model(raw in prop::collection::vec(item(), 0..30), config in config()) {
        // Unique ids so the model's output can be matched item by item.
        let items: Vec<ContextItem> = raw
            .into_iter()
            .enumerate()
            .map(|(n, mut item)| {
                item.source_id = format!("item-{n}");
                item
            })
            .collect();
        let (want_selected, want_omitted, want_total) = model(&items, &config);

        let pack = ContextPack::pack(items.clone(), config.clone());

        let got_selected: Vec<String> = pack.selected.iter().map(|i| i.source_id.clone()).collect();
        let got_omitted: Vec<(String, ContextOmissionReason)> = pack
            .omitted
            .iter()
            .map(|o| (o.item.source_id.clone(), o.reason.clone()))
            .collect();
        prop_assert_eq!(got_selected, want_selected);
        prop_assert_eq!(got_omitted, want_omitted);
        prop_assert_eq!(pack.total_estimated_chars, want_total);
        prop_assert_eq!(&pack.config, &config);

        // Invariants that follow from the rules.
        prop_assert_eq!(pack.selected.len() + pack.omitted.len(), items.len());
        prop_assert!(pack.selected.len() <= config.max_items);
        prop_assert!(pack.total_estimated_chars <= config.max_chars.saturating_sub(config.reserve_chars));
        prop_assert!(pack.selected.is_sorted_by_key(|i| i.rank));
        prop_assert!(pack.omitted.is_sorted_by_key(|o| o.item.rank));

        // Items come back untouched (compare via JSON: NaN != NaN in Rust).
        for selected in &pack.selected {
            let original = items.iter().find(|i| i.source_id == selected.source_id);
            prop_assert_eq!(
                original.map(|i| format!("{i:?}")),
                Some(format!("{selected:?}"))
            );
        }

        let rendered = pack.render_text();
        let expected: Vec<&str> = pack.selected.iter().map(|i| i.text.as_str()).collect();
        prop_assert_eq!(&rendered, &expected.join(&config.separator));
        // Charged sizes never undercount the rendered text.
        prop_assert!(rendered.chars().count() <= pack.total_estimated_chars);
    }

    #[test]
    fn pack_is_insensitive_to_order_of_distinct_ranks(
        ranks in prop::collection::hash_set(any::<usize>(), 0..20),
        budget in 0usize..80,
        seed in any::<u64>(),
    ) {
        let items: Vec<ContextItem> = ranks
            .iter()
            .map(|&rank| ContextItem::new(ContextSourceKind::Memory, rank.to_string(), "x".repeat(rank % 11)).with_rank(rank))
            .collect();
        let mut shuffled = items.clone();
        // Deterministic rotation + reversal driven by the seed.
        if !shuffled.is_empty() {
            let len = shuffled.len();
            shuffled.rotate_left((seed as usize) % len);
            if seed % 2 == 0 {
                shuffled.reverse();
            }
        }
        let config = ContextPackConfig::new(budget).with_max_items(5);
        let a = ContextPack::pack(items, config.clone());
        let b = ContextPack::pack(shuffled, config);
        prop_assert_eq!(a, b);
    }
}

#[test]
fn ten_thousand_shuffled_items_keep_stable_rank_order() {
    // Big enough to go through the key-sort path with many ties.
    let items: Vec<ContextItem> = (0..10_000usize)
        .map(|n| {
            ContextItem::new(ContextSourceKind::Memory, n.to_string(), "abc")
                .with_rank((n * 7_919) % 97)
        })
        .collect();
    let pack = ContextPack::pack(
        items,
        ContextPackConfig::new(usize::MAX).with_max_items(usize::MAX),
    );
    assert_eq!(pack.selected.len(), 10_000);
    assert!(pack.omitted.is_empty());
    // Within a rank, ids (input positions) must be ascending.
    for pair in pack.selected.windows(2) {
        let [a, b] = pair else { continue };
        let ids = (
            a.source_id.parse::<usize>().ok(),
            b.source_id.parse::<usize>().ok(),
        );
        assert!(
            a.rank < b.rank || (a.rank == b.rank && ids.0 < ids.1),
            "{ids:?}"
        );
    }
    assert_eq!(pack.total_estimated_chars, 10_000 * 3 + 9_999);
}
