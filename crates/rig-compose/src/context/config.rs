//! Limits that bound a [`ContextPack`](super::ContextPack).

use serde::{Deserialize, Serialize};

/// Character and item limits applied by [`ContextPack::pack`](super::ContextPack::pack).
///
/// The space actually available to item text is `max_chars - reserve_chars`
/// (clamped at zero), and it covers the separators placed between selected
/// items as well as the items themselves.
///
/// The default is 4 000 characters, at most 16 items, nothing reserved and a
/// newline separator. All four fields are required when deserializing.
///
/// ```rust
/// use rig_compose::ContextPackConfig;
///
/// let config = ContextPackConfig::new(2_000)
///     .with_max_items(8)
///     .with_reserve_chars(500)
///     .with_separator("\n\n");
///
/// assert_eq!(config.max_chars, 2_000);
/// assert_eq!(config.available_chars(), 1_500);
/// assert_eq!(ContextPackConfig::default().max_items, 16);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextPackConfig {
    /// Total character window, separators included.
    pub max_chars: usize,
    /// Upper bound on the number of selected items.
    pub max_items: usize,
    /// Part of `max_chars` kept free for instructions, user input or other
    /// text the packer does not manage.
    pub reserve_chars: usize,
    /// Text placed between consecutive selected items when rendering.
    pub separator: String,
}

/// Character window used by [`ContextPackConfig::default`].
const DEFAULT_MAX_CHARS: usize = 4_000;
/// Item limit used by [`ContextPackConfig::default`].
const DEFAULT_MAX_ITEMS: usize = 16;

impl Default for ContextPackConfig {
    fn default() -> Self {
        Self {
            separator: String::from("\n"),
            reserve_chars: 0,
            max_items: DEFAULT_MAX_ITEMS,
            max_chars: DEFAULT_MAX_CHARS,
        }
    }
}

impl ContextPackConfig {
    /// Config with the given character window and default values for
    /// everything else.
    #[must_use]
    pub fn new(max_chars: usize) -> Self {
        let defaults = Self::default();
        Self {
            max_chars,
            ..defaults
        }
    }

    /// Builder: set [`Self::max_items`].
    #[must_use]
    pub fn with_max_items(self, limit: usize) -> Self {
        Self {
            max_items: limit,
            ..self
        }
    }

    /// Builder: set [`Self::reserve_chars`].
    #[must_use]
    pub fn with_reserve_chars(self, reserved: usize) -> Self {
        Self {
            reserve_chars: reserved,
            ..self
        }
    }

    /// Builder: set [`Self::separator`].
    #[must_use]
    pub fn with_separator(self, between: impl Into<String>) -> Self {
        Self {
            separator: between.into(),
            ..self
        }
    }

    /// Characters left for item text and separators once the reserve is
    /// taken out; zero when the reserve exceeds the window.
    #[must_use]
    pub fn available_chars(&self) -> usize {
        self.max_chars.saturating_sub(self.reserve_chars)
    }
}

#[cfg(test)]
mod tests {
    use super::ContextPackConfig;
    use serde_json::json;

    #[test]
    fn defaults_match_documented_values() {
        let config = ContextPackConfig::default();
        assert_eq!(config.max_chars, 4_000);
        assert_eq!(config.max_items, 16);
        assert_eq!(config.reserve_chars, 0);
        assert_eq!(config.separator, "\n");
        assert_eq!(ContextPackConfig::new(4_000), config);
    }

    #[test]
    fn reserve_larger_than_window_leaves_nothing() {
        assert_eq!(
            ContextPackConfig::new(10)
                .with_reserve_chars(11)
                .available_chars(),
            0
        );
        assert_eq!(
            ContextPackConfig::new(10)
                .with_reserve_chars(4)
                .available_chars(),
            6
        );
    }

    #[test]
    fn serializes_all_fields_and_requires_them() -> serde_json::Result<()> {
        let config = ContextPackConfig::new(7)
            .with_max_items(2)
            .with_separator(" | ");
        assert_eq!(
            serde_json::to_value(&config)?,
            json!({"max_chars": 7, "max_items": 2, "reserve_chars": 0, "separator": " | "})
        );
        assert!(serde_json::from_value::<ContextPackConfig>(json!({"max_chars": 7})).is_err());
        Ok(())
    }
}
