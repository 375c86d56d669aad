//! Retry verdicts for failed tool calls.

use crate::registry::KernelError;

/// Whether a failed tool call is worth attempting again with the same inputs.
///
/// ```
/// use rig_compose::RetryClass;
///
/// let verdict = RetryClass::Transient;
/// let attempts_left = 2;
/// assert!(verdict == RetryClass::Transient && attempts_left > 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// The failure probably came from the environment (a flaky dependency, a
    /// dropped connection); an identical retry may succeed.
    Transient,
    /// The failure is caused by the call itself or by policy (unknown tool,
    /// bad arguments, denied access); an identical retry would fail again.
    Permanent,
}

/// Decides the [`RetryClass`] of a [`KernelError`].
///
/// Implement this to fold transport knowledge into retry decisions, for
/// example treating a rate-limit message as transient. A custom classifier
/// can fall back to [`DefaultRetryClassifier`] for everything it does not
/// recognise:
///
/// ```
/// use rig_compose::{DefaultRetryClassifier, KernelError, RetryClass, RetryClassifier};
///
/// /// Budget backends in this deployment are remote and occasionally time out.
/// struct RemoteBudgets;
///
/// impl RetryClassifier for RemoteBudgets {
///     fn classify(&self, error: &KernelError) -> RetryClass {
///         match error {
///             KernelError::BudgetFailed(msg) if msg.contains("timed out") => {
///                 RetryClass::Transient
///             }
///             other => DefaultRetryClassifier.classify(other),
///         }
///     }
/// }
///
/// let timeout = KernelError::BudgetFailed("ledger timed out".into());
/// assert_eq!(RemoteBudgets.classify(&timeout), RetryClass::Transient);
/// assert_eq!(DefaultRetryClassifier.classify(&timeout), RetryClass::Permanent);
/// ```
pub trait RetryClassifier: Send + Sync {
    /// The verdict for `error`.
    fn classify(&self, error: &KernelError) -> RetryClass;
}

/// The stock [`RetryClassifier`], with a fixed verdict for every
/// [`KernelError`] variant.
///
/// Only failures raised *while a tool or skill body was running*
/// ([`KernelError::ToolFailed`], [`KernelError::SkillFailed`]) are
/// [`RetryClass::Transient`]. Every other variant reports something a retry
/// cannot change — a missing or unauthorised tool or skill, a request that
/// does not apply, malformed arguments or model output, a hook that stopped
/// dispatch, a budget refusal, or a JSON error — and is
/// [`RetryClass::Permanent`].
///
/// ```
/// use rig_compose::{DefaultRetryClassifier, KernelError, RetryClass, RetryClassifier};
///
/// let c = DefaultRetryClassifier;
/// assert_eq!(c.classify(&KernelError::ToolFailed("503".into())), RetryClass::Transient);
/// assert_eq!(c.classify(&KernelError::ToolNotFound("nope".into())), RetryClass::Permanent);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRetryClassifier;

impl RetryClassifier for DefaultRetryClassifier {
    fn classify(&self, error: &KernelError) -> RetryClass {
        use KernelError as E;
        // Exhaustive on purpose: a new KernelError variant must get an
        // explicit verdict here rather than silently inheriting one.
        match error {
            // Raised by a running body: the cause may well be gone next time.
            E::ToolFailed(_) | E::SkillFailed(_) => RetryClass::Transient,
            // Lookup and authorisation: the registry will say the same again.
            E::ToolNotFound(_) | E::ToolNotAuthorised(_) | E::SkillNotFound(_) => {
                RetryClass::Permanent
            }
            // The request itself is unusable as given.
            E::ToolNotApplicable(_) | E::InvalidArgument(_) | E::NormalizerFailed(_) => {
                RetryClass::Permanent
            }
            // Policy and data errors: a hook, the budget or JSON said no.
            E::ToolDispatchTerminated(_) | E::BudgetFailed(_) | E::Serde(_) => {
                RetryClass::Permanent
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<(KernelError, RetryClass)> {
        let serde_err = serde_json::from_str::<serde_json::Value>("[1,").unwrap_err();
        vec![
            (KernelError::ToolNotFound("t".into()), RetryClass::Permanent),
            (
                KernelError::ToolNotAuthorised("t".into()),
                RetryClass::Permanent,
            ),
            (
                KernelError::SkillNotFound("s".into()),
                RetryClass::Permanent,
            ),
            (KernelError::ToolFailed("io".into()), RetryClass::Transient),
            (
                KernelError::ToolNotApplicable("n/a".into()),
                RetryClass::Permanent,
            ),
            (KernelError::SkillFailed("io".into()), RetryClass::Transient),
            (
                KernelError::InvalidArgument("x".into()),
                RetryClass::Permanent,
            ),
            (
                KernelError::NormalizerFailed("x".into()),
                RetryClass::Permanent,
            ),
            (
                KernelError::ToolDispatchTerminated("stop".into()),
                RetryClass::Permanent,
            ),
            (
                KernelError::BudgetFailed("over".into()),
                RetryClass::Permanent,
            ),
            (KernelError::Serde(serde_err), RetryClass::Permanent),
        ]
    }

    #[test]
    fn default_verdict_for_each_kernel_error() {
        for (error, expected) in every_variant() {
            assert_eq!(
                DefaultRetryClassifier.classify(&error),
                expected,
                "{error:?}"
            );
        }
    }

    #[test]
    fn classifier_is_usable_as_trait_object() {
        let boxed: Box<dyn RetryClassifier> = Box::new(DefaultRetryClassifier);
        assert_eq!(
            boxed.classify(&KernelError::SkillFailed("x".into())),
            RetryClass::Transient
        );
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Box<dyn RetryClassifier>>();
    }
}
