//! Greedy, rank-ordered selection of context items into a bounded window.

use serde::{Deserialize, Serialize};

use super::{ContextItem, ContextPackConfig};

/// Why [`ContextPack::pack`] left an item out.
///
/// Serialized as the bare variant name (`"MaxItems"`, `"OverBudget"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContextOmissionReason {
    /// [`ContextPackConfig::max_items`] items had already been selected.
    MaxItems,
    /// The item (plus its separator) did not fit in the remaining characters.
    OverBudget,
}

/// An item the packer considered but did not select, with the reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OmittedContextItem {
    /// The item as it was offered to the packer.
    pub item: ContextItem,
    /// The packer's reason for leaving it out.
    pub reason: ContextOmissionReason,
}

/// Outcome of packing context items into one bounded model window: what was
/// selected, what was left out and why, and how many characters it costs.
///
/// # Packing rules
///
/// [`ContextPack::pack`] orders the items by [`ContextItem::rank`] (items with
/// equal rank keep their input order; `score` is not consulted) and walks them
/// once, greedily:
///
/// * once [`ContextPackConfig::max_items`] items are selected, every remaining
///   item is omitted with [`ContextOmissionReason::MaxItems`];
/// * otherwise the item costs the larger of [`ContextItem::estimated_chars`]
///   and the character count of its text, plus the separator's character count
///   if something was already selected. If that exceeds what is left of
///   [`ContextPackConfig::available_chars`] the item is omitted with
///   [`ContextOmissionReason::OverBudget`] and packing continues, so a smaller
///   later item can still fit.
///
/// Arithmetic never overflows: a size too large to add up is simply over
/// budget.
///
/// ```rust
/// use rig_compose::{
///     ContextItem, ContextOmissionReason, ContextPack, ContextPackConfig, ContextSourceKind,
/// };
///
/// let items = vec![
///     ContextItem::new(ContextSourceKind::Memory, "m2", "second").with_rank(2),
///     ContextItem::new(ContextSourceKind::Resource, "r0", "first").with_rank(0),
///     ContextItem::new(ContextSourceKind::File, "f1", "a rather long file excerpt").with_rank(1),
/// ];
/// // "first" (5) + " / " (3) + "second" (6) = 14 characters.
/// let pack = ContextPack::pack(items, ContextPackConfig::new(14).with_separator(" / "));
///
/// assert_eq!(pack.render_text(), "first / second");
/// assert_eq!(pack.total_estimated_chars, 14);
/// assert_eq!(pack.omitted.len(), 1);
/// assert_eq!(pack.omitted[0].item.source_id, "f1");
/// assert_eq!(pack.omitted[0].reason, ContextOmissionReason::OverBudget);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextPack {
    /// The configuration the pack was built with.
    pub config: ContextPackConfig,
    /// Selected items, in rank (and render) order.
    pub selected: Vec<ContextItem>,
    /// Items left out, in the order they were considered, with reasons.
    pub omitted: Vec<OmittedContextItem>,
    /// Characters charged for the selected items and the separators between
    /// them.
    pub total_estimated_chars: usize,
}

impl ContextPack {
    /// Select items for the window described by `config`.
    ///
    /// Items are taken in rank order rather than input order, so a recorded
    /// fixture yields the same pack however its source ordered differently
    /// ranked candidates. See the type-level docs for the exact rules.
    #[must_use]
    pub fn pack(items: Vec<ContextItem>, config: ContextPackConfig) -> Self {
        // Two passes: decide every item's fate on borrowed items first, then
        // move the items into exactly sized output vectors. Packing is
        // dominated by memory traffic, and this avoids regrowing (and
        // re-faulting) large buffers of items.
        let mut plan = Plan::new(&config);
        let offered = items.len();
        let (selected, omitted) = if items.is_sorted_by_key(|item| item.rank) {
            // Common case: producers usually emit items already ranked.
            plan.judge(items.iter());
            plan.distribute(offered, items.into_iter())
        } else {
            let order = rank_order(&items);
            plan.judge(order.iter().filter_map(|&position| items.get(position)));
            // Move each item out of its slot in rank order; `Option::take`
            // only rewrites the tag of a vacated slot.
            let mut slots: Vec<Option<ContextItem>> = items.into_iter().map(Some).collect();
            plan.distribute(
                offered,
                order
                    .into_iter()
                    .filter_map(|position| slots.get_mut(position).and_then(Option::take)),
            )
        };
        ContextPack {
            total_estimated_chars: plan.consumed(),
            config,
            selected,
            omitted,
        }
    }

    /// Join the selected texts with [`ContextPackConfig::separator`], ready to
    /// drop into a prompt. Empty when nothing was selected.
    #[must_use]
    pub fn render_text(&self) -> String {
        let separator = self.config.separator.as_str();
        let text_bytes = self
            .selected
            .iter()
            .fold(0usize, |sum, item| sum.saturating_add(item.text.len()));
        let separator_bytes = separator
            .len()
            .saturating_mul(self.selected.len().saturating_sub(1));
        let mut rendered = String::new();
        // Only a capacity hint: if it cannot be reserved up front, the pushes
        // below grow the string as usual.
        let _ = rendered.try_reserve_exact(text_bytes.saturating_add(separator_bytes));
        for (position, item) in self.selected.iter().enumerate() {
            if position > 0 {
                rendered.push_str(separator);
            }
            rendered.push_str(&item.text);
        }
        rendered
    }
}

/// Positions of `items` in stable rank order.
///
/// Sorting small keys instead of the large items keeps the sort cheap, and
/// since the position is part of every key, keys are unique and an unstable
/// sort gives the stable order.
fn rank_order(items: &[ContextItem]) -> Vec<usize> {
    // Fast path: `rank << 32 | position` in one integer when both fit in 32
    // bits, which realistic ranks do; integers sort much faster than pairs.
    let packed: Option<Vec<u64>> = items
        .iter()
        .enumerate()
        .map(|(position, item)| {
            let rank = u32::try_from(item.rank).ok()?;
            let position = u32::try_from(position).ok()?;
            Some((u64::from(rank) << 32) | u64::from(position))
        })
        .collect();
    if let Some(mut keys) = packed {
        keys.sort_unstable();
        return keys
            .into_iter()
            .filter_map(|key| usize::try_from(key & 0xFFFF_FFFF).ok())
            .collect();
    }
    let mut keys: Vec<(usize, usize)> = items
        .iter()
        .enumerate()
        .map(|(position, item)| (item.rank, position))
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|(_, position)| position).collect()
}

/// Selection decisions of one `pack` call.
struct Plan {
    /// Characters still free for separators and item text.
    remaining: usize,
    /// Characters available at the start.
    budget: usize,
    separator_chars: usize,
    max_items: usize,
    /// Number of items selected so far.
    kept: usize,
    /// Fit verdict (`true` = selected, `false` = over budget) for each item,
    /// in rank order, up to the point where the item cap was reached; every
    /// later item is omitted for [`ContextOmissionReason::MaxItems`].
    verdicts: Vec<bool>,
}

impl Plan {
    fn new(config: &ContextPackConfig) -> Self {
        let budget = config.available_chars();
        Self {
            remaining: budget,
            budget,
            separator_chars: config.separator.chars().count(),
            max_items: config.max_items,
            kept: 0,
            verdicts: Vec::new(),
        }
    }

    /// Decide the fate of items offered in rank order.
    fn judge<'a>(&mut self, ordered: impl Iterator<Item = &'a ContextItem>) {
        for item in ordered {
            if self.kept >= self.max_items {
                // Nothing later can be selected, whatever its size.
                return;
            }
            let gap = if self.kept == 0 {
                0
            } else {
                self.separator_chars
            };
            let fits = match self.cost_if_fits(gap, item) {
                Some(cost) => {
                    self.remaining -= cost;
                    self.kept += 1;
                    true
                }
                None => false,
            };
            self.verdicts.push(fits);
        }
    }

    /// Separator plus item cost when it fits in `remaining`, else `None`
    /// (also when the sum would overflow).
    fn cost_if_fits(&self, gap: usize, item: &ContextItem) -> Option<usize> {
        let estimate = item.estimated_chars;
        let bytes = item.text.len();
        // A char is 1..=4 UTF-8 bytes, so the true count lies in
        // [bytes/4, bytes]. Use the bounds to skip the O(len) count when the
        // outcome is already decided.
        let lower = estimate.max(bytes.div_ceil(4));
        if gap.checked_add(lower)? > self.remaining {
            return None;
        }
        let charged = if estimate >= bytes {
            estimate
        } else {
            estimate.max(item.text.chars().count())
        };
        gap.checked_add(charged)
            .filter(|&cost| cost <= self.remaining)
    }

    /// Move the `offered` items (same rank order as [`Self::judge`] saw) into
    /// the selected and omitted lists.
    fn distribute(
        &self,
        offered: usize,
        mut ordered: impl Iterator<Item = ContextItem>,
    ) -> (Vec<ContextItem>, Vec<OmittedContextItem>) {
        let mut selected = Vec::with_capacity(self.kept);
        let mut omitted = Vec::with_capacity(offered.saturating_sub(self.kept));
        for &fits in &self.verdicts {
            let Some(item) = ordered.next() else {
                break;
            };
            if fits {
                selected.push(item);
            } else {
                omitted.push(OmittedContextItem {
                    item,
                    reason: ContextOmissionReason::OverBudget,
                });
            }
        }
        omitted.extend(ordered.map(|item| OmittedContextItem {
            item,
            reason: ContextOmissionReason::MaxItems,
        }));
        (selected, omitted)
    }

    /// Characters charged to the selected items and their separators.
    fn consumed(&self) -> usize {
        self.budget - self.remaining
    }
}

#[cfg(test)]
mod tests {
    use super::{ContextOmissionReason, ContextPack};
    use crate::context::{ContextItem, ContextPackConfig, ContextSourceKind};

    fn ranked(rank: usize, text: &str) -> ContextItem {
        ContextItem::new(ContextSourceKind::Memory, format!("id-{rank}-{text}"), text)
            .with_rank(rank)
    }

    fn texts(items: &[ContextItem]) -> Vec<&str> {
        items.iter().map(|item| item.text.as_str()).collect()
    }

    fn reasons(pack: &ContextPack) -> Vec<(&str, ContextOmissionReason)> {
        pack.omitted
            .iter()
            .map(|omitted| (omitted.item.text.as_str(), omitted.reason.clone()))
            .collect()
    }

    #[test]
    fn equal_ranks_keep_input_order() {
        let pack = ContextPack::pack(
            vec![
                ranked(1, "b1"),
                ranked(0, "a"),
                ranked(1, "b2"),
                ranked(1, "b3"),
                ranked(0, "a2"),
            ],
            ContextPackConfig::new(100),
        );
        assert_eq!(texts(&pack.selected), ["a", "a2", "b1", "b2", "b3"]);
    }

    #[test]
    fn ranks_beyond_32_bits_sort_stably_too() {
        let big = usize::MAX;
        let pack = ContextPack::pack(
            vec![
                ranked(big, "z1"),
                ranked(3, "a"),
                ranked(big, "z2"),
                ranked(big - 1, "y"),
            ],
            ContextPackConfig::new(100),
        );
        assert_eq!(texts(&pack.selected), ["a", "y", "z1", "z2"]);
    }

    #[test]
    fn oversized_item_is_skipped_but_later_items_still_fit() {
        let pack = ContextPack::pack(
            vec![
                ranked(0, "abcd"),
                ranked(1, "this is too long"),
                ranked(2, "xy"),
            ],
            ContextPackConfig::new(7).with_separator("+"),
        );
        assert_eq!(pack.render_text(), "abcd+xy");
        assert_eq!(pack.total_estimated_chars, 7);
        assert_eq!(
            reasons(&pack),
            [("this is too long", ContextOmissionReason::OverBudget)]
        );
    }

    #[test]
    fn separator_is_not_charged_before_the_first_selected_item() {
        // The first item is over budget, so the second is the first selected
        // and pays no separator.
        let pack = ContextPack::pack(
            vec![ranked(0, "0123456789"), ranked(1, "abc")],
            ContextPackConfig::new(3).with_separator("----"),
        );
        assert_eq!(pack.render_text(), "abc");
        assert_eq!(pack.total_estimated_chars, 3);
    }

    #[test]
    fn separator_counts_characters() {
        let pack = ContextPack::pack(
            vec![ranked(0, "a"), ranked(1, "b")],
            ContextPackConfig::new(3).with_separator("→"),
        );
        assert_eq!(pack.render_text(), "a→b");
        assert_eq!(pack.total_estimated_chars, 3);
    }

    #[test]
    fn max_items_wins_over_budget_once_reached() {
        let pack = ContextPack::pack(
            vec![
                ranked(0, "way too long for the window"),
                ranked(1, "ok"),
                ranked(2, "big big big big"),
            ],
            ContextPackConfig::new(5).with_max_items(1),
        );
        assert_eq!(texts(&pack.selected), ["ok"]);
        assert_eq!(
            reasons(&pack),
            [
                (
                    "way too long for the window",
                    ContextOmissionReason::OverBudget
                ),
                ("big big big big", ContextOmissionReason::MaxItems),
            ]
        );
    }

    #[test]
    fn zero_max_items_omits_everything() {
        let pack = ContextPack::pack(
            vec![ranked(0, "a")],
            ContextPackConfig::new(10).with_max_items(0),
        );
        assert!(pack.selected.is_empty());
        assert_eq!(reasons(&pack), [("a", ContextOmissionReason::MaxItems)]);
        assert_eq!(pack.total_estimated_chars, 0);
    }

    #[test]
    fn charges_the_larger_of_estimate_and_text() {
        let under = ranked(0, "12345").with_estimated_chars(1);
        let over = ranked(1, "z").with_estimated_chars(4);
        let pack = ContextPack::pack(
            vec![under, over],
            ContextPackConfig::new(10).with_separator(""),
        );
        assert_eq!(pack.total_estimated_chars, 9);

        let too_big = ranked(0, "z").with_estimated_chars(11);
        let pack = ContextPack::pack(vec![too_big], ContextPackConfig::new(10));
        assert_eq!(reasons(&pack), [("z", ContextOmissionReason::OverBudget)]);
    }

    #[test]
    fn multibyte_text_is_charged_per_character() {
        let wide = ranked(0, "日本語テキスト").with_estimated_chars(0);
        let pack = ContextPack::pack(vec![wide], ContextPackConfig::new(7));
        assert_eq!(pack.selected.len(), 1);
        assert_eq!(pack.total_estimated_chars, 7);
    }

    #[test]
    fn overflowing_sizes_are_over_budget_even_with_unbounded_window() {
        let pack = ContextPack::pack(
            vec![
                ranked(0, "a"),
                ranked(1, "b").with_estimated_chars(usize::MAX),
                ranked(2, "c"),
            ],
            ContextPackConfig::new(usize::MAX),
        );
        assert_eq!(pack.render_text(), "a\nc");
        assert_eq!(pack.total_estimated_chars, 3);
        assert_eq!(reasons(&pack), [("b", ContextOmissionReason::OverBudget)]);

        // A single maximal item with no separator still fits exactly.
        let pack = ContextPack::pack(
            vec![ranked(0, "x").with_estimated_chars(usize::MAX)],
            ContextPackConfig::new(usize::MAX),
        );
        assert_eq!(pack.total_estimated_chars, usize::MAX);
    }

    #[test]
    fn reserve_shrinks_the_window() {
        let config = ContextPackConfig::new(10).with_reserve_chars(6);
        let pack = ContextPack::pack(vec![ranked(0, "abcde"), ranked(1, "abcd")], config);
        assert_eq!(texts(&pack.selected), ["abcd"]);
        assert_eq!(pack.total_estimated_chars, 4);
    }

    #[test]
    fn render_text_of_empty_pack_is_empty() {
        let pack = ContextPack::pack(Vec::new(), ContextPackConfig::default());
        assert_eq!(pack.render_text(), "");
        assert_eq!(pack.total_estimated_chars, 0);
        assert!(pack.omitted.is_empty());
    }

    #[test]
    fn omission_reasons_serialize_as_variant_names() -> serde_json::Result<()> {
        assert_eq!(
            serde_json::to_string(&ContextOmissionReason::MaxItems)?,
            "\"MaxItems\""
        );
        assert_eq!(
            serde_json::to_string(&ContextOmissionReason::OverBudget)?,
            "\"OverBudget\""
        );
        Ok(())
    }
}
