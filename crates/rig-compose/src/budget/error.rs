//! Infrastructure failures reported by budget implementations.

/// Failure of the machinery behind a budget, as opposed to a refusal.
///
/// Running out of budget is not an error: [`BudgetGuard::try_reserve`] reports
/// it as `Ok(false)` and [`TokenBudget::try_reserve_tokens`] as `Ok(None)`.
/// This type exists for implementations whose state lives elsewhere (a shared
/// cache, a database, a rate-limit service) and can fail to answer at all.
///
/// [`BudgetGuard::try_reserve`]: super::BudgetGuard::try_reserve
/// [`TokenBudget::try_reserve_tokens`]: super::TokenBudget::try_reserve_tokens
///
/// ```
/// use rig_compose::budget::BudgetError;
///
/// let err = BudgetError::Backend("quota store unreachable".into());
/// assert_eq!(err.to_string(), "budget backend error: quota store unreachable");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// The store holding the budget state could not be read or updated; the
    /// payload describes what went wrong.
    #[error("budget backend error: {0}")]
    Backend(String),
}

#[cfg(test)]
mod tests {
    use super::BudgetError;

    #[test]
    fn backend_error_names_the_cause() {
        let err = BudgetError::Backend("timeout after 5s".to_owned());
        assert_eq!(err.to_string(), "budget backend error: timeout after 5s");
        assert!(matches!(err, BudgetError::Backend(ref m) if m == "timeout after 5s"));
    }
}
