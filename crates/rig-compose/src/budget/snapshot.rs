//! Point-in-time views of a budget, and their one-line prompt rendering.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a budget counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BudgetUnit {
    /// Model tokens.
    #[default]
    Tokens,
    /// Tool calls.
    ToolCalls,
    /// Model calls (requests).
    Requests,
    /// Millionths of a US dollar.
    MicroUsd,
    /// Anything else; the name is used in renderings.
    Other(String),
}

/// A consistent view of one budget at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetSnapshot {
    /// The budget's name.
    pub name: String,
    /// What the amounts count.
    pub unit: BudgetUnit,
    /// Capacity of the current window (or lifetime).
    pub capacity: u64,
    /// Units a new hold could take now.
    pub available: u64,
    /// Units reserved by live holds.
    pub held: u64,
    /// Units charged in the current window.
    pub consumed: u64,
    /// Units charged beyond capacity; blocks new holds until repaid by a
    /// refill or a window reset.
    pub debt: u64,
    /// (consumed + held) / capacity, in 0.0..; may exceed 1.0 with debt.
    pub utilization: f64,
    /// When the current window ends (ms since the Unix epoch), if windowed.
    pub resets_at_millis: Option<u64>,
}

impl BudgetSnapshot {
    /// "12,400 of 50,000 tokens left" (or "$1.25 of $5.00 left").
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for BudgetSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.unit {
            BudgetUnit::MicroUsd => write!(
                f,
                "{} of {} left",
                format_usd(self.available),
                format_usd(self.capacity)
            ),
            unit => write!(
                f,
                "{} of {} {} left",
                group_thousands(self.available),
                group_thousands(self.capacity),
                unit_label(unit)
            ),
        }
    }
}

/// One prompt line for several budgets, e.g.
/// "12,400 of 50,000 tokens left; 3 of 10 tool calls left".
pub fn render_budget_line<'a>(snapshots: impl IntoIterator<Item = &'a BudgetSnapshot>) -> String {
    snapshots
        .into_iter()
        .map(BudgetSnapshot::render)
        .collect::<Vec<_>>()
        .join("; ")
}

fn unit_label(unit: &BudgetUnit) -> &str {
    match unit {
        BudgetUnit::Tokens => "tokens",
        BudgetUnit::ToolCalls => "tool calls",
        BudgetUnit::Requests => "requests",
        BudgetUnit::MicroUsd => "micro-USD",
        BudgetUnit::Other(name) => name,
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn format_usd(micros: u64) -> String {
    // Round down: never tell the model it has more money than it has.
    let cents = micros / 10_000;
    format!("${}.{:02}", group_thousands(cents / 100), cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(unit: BudgetUnit, available: u64, capacity: u64) -> BudgetSnapshot {
        BudgetSnapshot {
            name: "b".into(),
            unit,
            capacity,
            available,
            held: 0,
            consumed: capacity - available,
            debt: 0,
            utilization: 0.0,
            resets_at_millis: None,
        }
    }

    #[test]
    fn renders_one_line() {
        let line = render_budget_line(&[
            snap(BudgetUnit::Tokens, 12_400, 50_000),
            snap(BudgetUnit::ToolCalls, 3, 10),
        ]);
        assert_eq!(
            line,
            "12,400 of 50,000 tokens left; 3 of 10 tool calls left"
        );
        assert_eq!(
            snap(BudgetUnit::MicroUsd, 1_250_000, 5_000_000).render(),
            "$1.25 of $5.00 left"
        );
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(1_000_000), "1,000,000");
        assert_eq!(group_thousands(u64::MAX), "18,446,744,073,709,551,615");
    }
}
