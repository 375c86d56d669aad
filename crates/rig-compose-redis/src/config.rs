//! Configuration of a Redis budget: its levels, names, failure policy and
//! the limits every value must respect.

use std::time::Duration;

use rig_compose::budget::Window;

/// Largest amount (capacity, hold, charge) a Redis budget accepts:
/// `2^53 - 1`.
///
/// The scripts run in Redis' Lua, whose numbers are IEEE doubles; every
/// integer up to this value is exact there. For micro-dollars that is about
/// nine billion dollars, for tokens nine quadrillion.
pub const MAX_AMOUNT: u64 = (1 << 53) - 1;

/// Most levels one budget chain may span (e.g. org → team → agent → run
/// uses four).
pub const MAX_LEVELS: usize = 8;

/// Longest tree or node name, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// Default time a backend operation may take before it counts as failed.
pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(2);

/// Default lease given to holds whose request names none, so the holds of
/// a crashed worker always come back.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15 * 60);

/// Default time a closed hold id is remembered, so a retried settle within
/// that time charges nothing more.
pub const DEFAULT_CLOSED_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);

/// What a budget does when Redis cannot be reached or does not answer in
/// time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailurePolicy {
    /// Refuse the work: `reserve` fails with
    /// [`BudgetError::Backend`](rig_compose::budget::BudgetError::Backend)
    /// explaining what failed. The safe choice for money.
    #[default]
    FailClosed,
    /// Admit the work without a reservation, count the admission in the
    /// metrics and log it at `warn` level. The usage is still charged when
    /// the hold settles, if Redis is back by then.
    FailOpen,
}

/// One level of a budget chain: a named node of the tree with its own
/// capacity and window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// Node name, unique within the tree (see [`validate_name`]).
    pub name: String,
    /// Units the node allows per window.
    pub capacity: u64,
    /// When the node's spend resets.
    pub window: Window,
}

impl Level {
    /// A level named `name` with `capacity` units per `window`.
    pub fn new(name: impl Into<String>, capacity: u64, window: Window) -> Self {
        Self {
            name: name.into(),
            capacity,
            window,
        }
    }
}

/// A budget that could not be configured as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A tree or node name breaks the naming rules.
    #[error("invalid {what} name `{name}`: {reason}")]
    InvalidName {
        /// `"tree"` or `"node"`.
        what: &'static str,
        /// The rejected name.
        name: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// A capacity above [`MAX_AMOUNT`].
    #[error("capacity {capacity} of level `{level}` exceeds the maximum {max}", max = MAX_AMOUNT)]
    CapacityTooLarge {
        /// The level's name.
        level: String,
        /// The rejected capacity.
        capacity: u64,
    },
    /// A budget needs at least one level.
    #[error("a budget needs at least one level")]
    NoLevels,
    /// More levels than [`MAX_LEVELS`].
    #[error("{count} levels exceed the maximum of {max}", max = MAX_LEVELS)]
    TooManyLevels {
        /// How many levels were configured.
        count: usize,
    },
    /// The same node appears twice in one chain.
    #[error("level `{0}` appears more than once in the chain")]
    DuplicateLevel(String),
    /// A duration that must be positive was zero (or under 1 ms).
    #[error("{what} must be at least 1 ms")]
    ZeroDuration {
        /// Which setting.
        what: &'static str,
    },
    /// The Redis URL could not be parsed or the client could not be made.
    #[error("cannot use Redis at `{target}`: {reason}")]
    Connection {
        /// The target, without credentials.
        target: String,
        /// What went wrong.
        reason: String,
    },
    /// Connections are driven by Tokio; none was running.
    #[error("a Redis connection must be opened from within a Tokio runtime")]
    NoRuntime,
}

/// Checks a tree or node name: 1 to [`MAX_NAME_LEN`] bytes of ASCII
/// letters, digits and `- _ . : / @ + =`.
///
/// The restriction keeps names safe inside Redis keys (tree names go inside
/// a `{hash tag}`) and inside the `|`-separated records the scripts keep.
///
/// ```
/// use rig_compose_redis::validate_name;
///
/// assert!(validate_name("node", "team-7/agent.b").is_ok());
/// assert!(validate_name("tree", "acme{prod}").is_err());
/// ```
pub fn validate_name(what: &'static str, name: &str) -> Result<(), ConfigError> {
    let reject = |reason: String| ConfigError::InvalidName {
        what,
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(reject("it is empty".into()));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(reject(format!("longer than {MAX_NAME_LEN} bytes")));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.:/@+=".contains(*c)))
    {
        return Err(reject(format!(
            "character {bad:?} is not allowed (use letters, digits and - _ . : / @ + =)"
        )));
    }
    Ok(())
}

/// Whole milliseconds of `duration`, at least 1 and at most [`MAX_AMOUNT`].
pub(crate) fn millis_at_least_one(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_AMOUNT)
}

/// The compact window spec the scripts understand.
pub(crate) fn window_spec(window: &Window) -> String {
    match window {
        Window::Unbounded => "u".to_owned(),
        Window::Fixed { period_millis } => format!("f{period_millis}"),
        Window::CalendarMonthUtc => "m".to_owned(),
    }
}

/// The window a stored spec describes, if it is well formed.
pub(crate) fn parse_window_spec(spec: &str) -> Option<Window> {
    match spec {
        "u" => Some(Window::Unbounded),
        "m" => Some(Window::CalendarMonthUtc),
        other => {
            let millis = other.strip_prefix('f')?.parse::<u64>().ok()?;
            Window::every_millis(millis).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(validate_name("node", "org").is_ok());
        assert!(validate_name("node", "a-b_c.d:e/f@g+h=i").is_ok());
        assert!(validate_name("node", &"x".repeat(MAX_NAME_LEN)).is_ok());
        for bad in ["", "a|b", "a b", "{t}", "ü", "a\nb"] {
            let err = validate_name("node", bad).unwrap_err();
            assert!(matches!(err, ConfigError::InvalidName { what: "node", .. }));
        }
        let long = validate_name("tree", &"x".repeat(MAX_NAME_LEN + 1)).unwrap_err();
        assert!(long.to_string().contains("longer than 128 bytes"), "{long}");
        let brace = validate_name("tree", "a{b").unwrap_err();
        assert_eq!(
            brace.to_string(),
            "invalid tree name `a{b`: character '{' is not allowed (use letters, digits and - _ . : / @ + =)"
        );
    }

    #[test]
    fn window_specs_round_trip() {
        for window in [
            Window::Unbounded,
            Window::CalendarMonthUtc,
            Window::per_minute(),
            Window::every_millis(2_000).unwrap(),
        ] {
            assert_eq!(parse_window_spec(&window_spec(&window)), Some(window));
        }
        assert_eq!(window_spec(&Window::per_hour()), "f3600000");
        assert_eq!(parse_window_spec("f0"), None);
        assert_eq!(parse_window_spec("x"), None);
        assert_eq!(parse_window_spec("f"), None);
    }

    #[test]
    fn millis_are_clamped() {
        assert_eq!(millis_at_least_one(Duration::ZERO), 1);
        assert_eq!(millis_at_least_one(Duration::from_micros(10)), 1);
        assert_eq!(millis_at_least_one(Duration::from_secs(2)), 2_000);
        assert_eq!(millis_at_least_one(Duration::MAX), MAX_AMOUNT);
    }

    #[test]
    fn max_amount_is_exact_in_a_double() {
        let as_double = MAX_AMOUNT as f64;
        assert_eq!(as_double as u64, MAX_AMOUNT);
        // One past the next integer is the first that a double cannot hold.
        assert_ne!((MAX_AMOUNT + 2) as f64 as u64, MAX_AMOUNT + 2);
    }
}
