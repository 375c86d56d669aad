//! Property tests for money parsing and model pricing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use proptest::prelude::*;
use rig_compose::budget::{
    LongContextTier, MicroUsd, ModelPrice, ModelPricing, PriceTable, TokenUsage,
};

/// Prices per million tokens: mostly realistic, sometimes huge so the
/// saturating paths are exercised too.
fn rate() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..200_000_000u64,
        1 => any::<u64>(),
    ]
}

fn tokens() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0..2_000_000u64,
        1 => any::<u64>(),
    ]
}

fn price() -> impl Strategy<Value = ModelPrice> {
    (rate(), rate(), rate(), rate()).prop_map(|(input, output, cached_input, cache_write)| {
        ModelPrice {
            input,
            output,
            cached_input,
            cache_write,
        }
    })
}

/// Base prices plus up to three tiers, each at least as dear as the one below.
fn pricing() -> impl Strategy<Value = ModelPricing> {
    (
        price(),
        prop::collection::vec((1..500_000u64, price()), 0..=3),
    )
        .prop_map(|(base, steps)| {
            let mut pricing = ModelPricing::new(base);
            let mut threshold = 0u64;
            let mut below = base;
            for (gap, extra) in steps {
                threshold = threshold.saturating_add(gap);
                let price = ModelPrice {
                    input: below.input.saturating_add(extra.input / 4),
                    output: below.output.saturating_add(extra.output / 4),
                    cached_input: below.cached_input.saturating_add(extra.cached_input / 4),
                    cache_write: below.cache_write.saturating_add(extra.cache_write / 4),
                };
                pricing = pricing
                    .with_long_context(LongContextTier {
                        above_prompt_tokens: threshold,
                        price,
                    })
                    .unwrap();
                below = price;
            }
            pricing
        })
}

fn usage() -> impl Strategy<Value = TokenUsage> {
    (tokens(), tokens(), tokens(), tokens()).prop_map(
        |(input, output, cached_input, cache_write)| TokenUsage {
            input,
            output,
            cached_input,
            cache_write,
        },
    )
}

/// Exact cost in pico-dollars; `None` if it does not even fit in a `u128`.
fn exact_pico(price: &ModelPrice, usage: &TokenUsage) -> Option<u128> {
    [
        (usage.input, price.input),
        (usage.output, price.output),
        (usage.cached_input, price.cached_input),
        (usage.cache_write, price.cache_write),
    ]
    .into_iter()
    .try_fold(0u128, |sum, (tokens, rate)| {
        sum.checked_add(u128::from(tokens) * u128::from(rate))
    })
}

proptest! {
    #[test]
    fn cost_is_monotonic_in_every_token_count(
        pricing in pricing(),
        usage in usage(),
        which in 0..4usize,
        extra in tokens(),
    ) {
        let mut more = usage;
        let slot = match which {
            0 => &mut more.input,
            1 => &mut more.output,
            2 => &mut more.cached_input,
            _ => &mut more.cache_write,
        };
        *slot = slot.saturating_add(extra);
        prop_assert!(pricing.cost(&more) >= pricing.cost(&usage));
    }

    #[test]
    fn cost_rounds_each_component_up_by_less_than_a_micro_dollar(
        pricing in pricing(),
        usage in usage(),
    ) {
        let price = pricing.price_for_prompt(usage.prompt_tokens());
        let billed = pricing.cost(&usage);
        match exact_pico(price, &usage) {
            Some(exact) if billed < MicroUsd::MAX => {
                let billed = u128::from(billed.as_micros()) * 1_000_000;
                prop_assert!(billed >= exact);
                // Four components, each rounded up by less than 1 µ$.
                prop_assert!(billed < exact + 4 * 1_000_000);
            }
            // Saturated: the exact cost is at least the maximum, give or take
            // the rounding of the components.
            Some(exact) => prop_assert!(exact.div_ceil(1_000_000) + 3 >= u128::from(u64::MAX)),
            None => prop_assert_eq!(billed, MicroUsd::MAX),
        }
    }

    #[test]
    fn estimate_covers_every_usage_within_its_bounds(
        pricing in pricing(),
        prompt in tokens(),
        max_output in tokens(),
        cap in prop::option::of(tokens()),
        split in (0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0),
    ) {
        // Pick a usage inside the bounds; the fractions only choose the split.
        let used_prompt = (prompt as f64 * split.0) as u64;
        let input = (used_prompt as f64 * split.1) as u64;
        let cached_input = ((used_prompt - input) as f64 * split.2) as u64;
        let cache_write = ((used_prompt - input - cached_input) as f64 * split.3) as u64;
        let output_bound = cap.map_or(max_output, |cap| cap.min(max_output));
        let output = (output_bound as f64 * split.4) as u64;
        let usage = TokenUsage { input, output, cached_input, cache_write };
        prop_assert!(usage.prompt_tokens() <= prompt);
        prop_assert!(output <= output_bound);

        let estimate = pricing.estimate_upper_bound(prompt, max_output, cap);
        prop_assert!(estimate >= pricing.cost(&usage), "{estimate} < {}", pricing.cost(&usage));
        // The full-bound usage of the dearest prompt kind is covered too.
        let price = pricing.price_for_prompt(prompt);
        let dearest = if price.cache_write >= price.input.max(price.cached_input) {
            TokenUsage { cache_write: prompt, output: output_bound, ..TokenUsage::default() }
        } else if price.cached_input >= price.input {
            TokenUsage { cached_input: prompt, output: output_bound, ..TokenUsage::default() }
        } else {
            TokenUsage::new(prompt, output_bound)
        };
        prop_assert!(estimate >= pricing.cost(&dearest));
    }

    #[test]
    fn estimate_covers_per_part_rounding_of_tiny_prompts(
        pricing in pricing(),
        parts in (0..=1u64, 0..=1u64, 0..=1u64),
    ) {
        // Worst-case rounding: each non-empty prompt part rounds up on its own.
        let usage = TokenUsage { input: parts.0, output: 0, cached_input: parts.1, cache_write: parts.2 };
        prop_assert!(pricing.estimate_upper_bound(usage.prompt_tokens(), 0, None) >= pricing.cost(&usage));
    }

    #[test]
    fn decimal_text_round_trips(micros in any::<u64>()) {
        let amount = MicroUsd::from_micros(micros);
        let decimal = amount.to_decimal_string();
        prop_assert_eq!(decimal.parse::<MicroUsd>().unwrap(), amount);
        prop_assert_eq!(amount.to_string().parse::<MicroUsd>().unwrap(), amount);
        let json = serde_json::to_string(&amount).unwrap();
        prop_assert_eq!(serde_json::from_str::<MicroUsd>(&json).unwrap(), amount);
    }

    #[test]
    fn any_spelling_of_an_exact_amount_parses_to_it(
        dollars in 0..10_000_000u64,
        micros in 0..1_000_000u64,
        padding in 0..4usize,
        shift in 0..4i32,
    ) {
        let expected = dollars * 1_000_000 + micros;
        // Trailing zeros and a scaled exponent leave the value unchanged.
        let text = format!("{dollars}.{micros:06}{}", "0".repeat(padding));
        prop_assert_eq!(MicroUsd::parse(&text).unwrap().as_micros(), expected);
        let scaled = format!("{}.{:06}e{shift}", dollars, micros);
        let value = MicroUsd::parse(&scaled);
        let exact = u128::from(expected) * 10u128.pow(shift as u32);
        match u64::try_from(exact) {
            Ok(exact) => prop_assert_eq!(value.unwrap().as_micros(), exact),
            Err(_) => prop_assert!(value.is_err()),
        }
    }

    #[test]
    fn seventh_decimal_digits_are_refused(whole in any::<u32>(), digit in 1..10u8) {
        let text = format!("{whole}.000000{digit}");
        prop_assert!(MicroUsd::parse(&text).is_err());
    }

    #[test]
    fn short_json_numbers_read_exactly(dollars in 0..100_000u64, micros in 0..1_000_000u64) {
        // Up to 11 significant digits: well inside what a float carries exactly.
        let json = format!("{dollars}.{micros:06}");
        let amount: MicroUsd = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(amount.as_micros(), dollars * 1_000_000 + micros);
    }

    #[test]
    fn price_tables_round_trip_through_json(
        models in prop::collection::btree_map("[a-z][a-z0-9.-]{0,12}", pricing(), 1..5),
    ) {
        let mut table = PriceTable::new();
        for (name, pricing) in &models {
            table.insert(name.clone(), pricing.clone());
        }
        let first = models.keys().next().unwrap().clone();
        table.insert_alias(format!("{first}-latest-alias"), first.clone()).ok();
        let json = serde_json::to_string(&table).unwrap();
        prop_assert_eq!(PriceTable::from_json_str(&json).unwrap(), table);
    }
}
