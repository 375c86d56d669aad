//! [`Instructions`]: an agent's persona as plain data.
//!
//! The kernel never talks to a model itself; a cognition backend turns these
//! into a system prompt and an output contract, and an offline backend may
//! ignore them. Keeping them as data lets one agent's machinery be reused
//! with another persona.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// System prompt, optional response schema, few-shot examples and free-form
/// metadata for one agent.
///
/// ```
/// use rig_compose::Instructions;
/// use serde_json::json;
///
/// let persona = Instructions::new("You triage alerts.")
///     .with_example("disk at 91%", "warn")
///     .with_response_schema(json!({"type": "string", "enum": ["ok", "warn", "page"]}));
/// assert_eq!(persona.examples[0].1, "warn");
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Instructions {
    /// The system prompt.
    pub system_prompt: String,
    /// JSON Schema the model's answer must satisfy, if any.
    pub response_schema: Option<Value>,
    /// Few-shot `(user, assistant)` pairs, in order.
    pub examples: Vec<(String, String)>,
    /// Backend-specific extras (model name, temperature, …).
    pub metadata: Value,
}

impl Instructions {
    /// Instructions with just a system prompt.
    pub fn new(system_prompt: impl Into<String>) -> Self {
        Self {
            system_prompt: system_prompt.into(),
            ..Self::default()
        }
    }

    /// Set the response schema.
    pub fn with_response_schema(self, schema: Value) -> Self {
        Self {
            response_schema: Some(schema),
            ..self
        }
    }

    /// Append a few-shot example.
    pub fn with_example(mut self, user: impl Into<String>, assistant: impl Into<String>) -> Self {
        let pair = (user.into(), assistant.into());
        self.examples.push(pair);
        self
    }

    /// Replace the metadata.
    pub fn with_metadata(self, metadata: Value) -> Self {
        Self { metadata, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serde_shape_is_stable() {
        let persona = Instructions::new("p").with_example("u", "a");
        let wire = serde_json::to_value(&persona).unwrap();
        assert_eq!(
            wire,
            json!({"system_prompt": "p", "response_schema": null,
                   "examples": [["u", "a"]], "metadata": null})
        );
        let back: Instructions = serde_json::from_value(wire).unwrap();
        assert_eq!(back.examples, vec![("u".to_owned(), "a".to_owned())]);
        assert_eq!(back.metadata, Value::Null);
    }
}
