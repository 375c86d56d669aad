//! Argument schemas, and typing the untyped text values of XML-style
//! formats with them.
//!
//! # Typing rules
//!
//! XML-style formats write every argument as text. `convert` turns one
//! such text into JSON using the argument's schema (`properties.<arg>` of the
//! tool's args schema). The rules, in the order they apply:
//!
//! * No schema for the argument (no tool schema, the argument is not in
//!   `properties`, a `$ref`, `true`/`{}` or an unknown `type` name): the value
//!   is JSON if the whole (trimmed) text parses as JSON — except integers too
//!   large for 64 bits, which stay text so digits are not lost to a float —
//!   or, for text holding `\"`-style escapes, if unescaping it gives a JSON
//!   object or array; otherwise it is the raw text.
//! * `enum` / `const`: the text must name one of the declared values (string
//!   members compare with the text, trimmed or not; numbers, booleans and null
//!   compare after converting the text); the declared value is returned.
//! * `type` (a name or a list of names), `anyOf`, `oneOf` and OpenAPI
//!   `nullable: true` give alternatives, tried from the most to the least
//!   specific: enum/const, null, boolean, integer, number, object/array,
//!   nested unions, untyped, string. So `"3"` under `integer | string` is 3,
//!   `"None"` under `string | null` is null, and a string is always the raw
//!   text, never JSON-encoded again (vLLM PR #36032). Without any of these,
//!   the first `allOf` member that declares something is used.
//! * Per type, on the trimmed text: `integer` takes integers (and floats with
//!   no fraction, `3.0`); `number` any finite number (integers stay
//!   integers); `boolean` `true`/`false` in any case (Python `True`/`False`);
//!   `null` `null`/`none`/`nil` in any case, or nothing at all; `object` /
//!   `array` take JSON of that kind, then a JSON string holding it, then a
//!   Python literal (`{'a': True}`), then the text unescaped and parsed as
//!   JSON; `string` takes the raw text as is.
//!
//! A value that fits none of its alternatives keeps its raw text and the
//! caller records `NormalizeWarning::UntypedValue`; the call is never
//! dropped (mlx-lm PR #1310). Schema nesting is followed down to
//! `MAX_NESTING_DEPTH` levels; deeper schemas count as untyped.

use std::collections::HashMap;

use serde_json::Value;

use super::format::{NormalizeWarning, ParseCx};
use super::limits::MAX_NESTING_DEPTH;
use crate::registry::ToolRegistry;
use crate::tool::ToolSchema;

/// The argument JSON Schemas of a set of tools, by tool name.
///
/// XML-style formats (Qwen3-Coder, GLM, MiniMax M2, DSML, ...) write every
/// argument as text; with a `SchemaSet` they convert each value to the type
/// its schema declares.
///
/// ```
/// use rig_compose::normalizer::SchemaSet;
/// use serde_json::json;
///
/// let mut schemas = SchemaSet::new();
/// schemas.insert("get_weather", json!({
///     "type": "object",
///     "properties": {"days": {"type": "integer"}}
/// }));
/// assert!(schemas.args_schema("get_weather").is_some());
/// assert!(schemas.args_schema("other").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaSet {
    by_tool: HashMap<String, Value>,
}

impl SchemaSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) the argument schema of `tool`.
    pub fn insert(&mut self, tool: impl Into<String>, args_schema: Value) {
        self.by_tool.insert(tool.into(), args_schema);
    }

    /// The argument schema of `tool`.
    pub fn args_schema(&self, tool: &str) -> Option<&Value> {
        self.by_tool.get(tool)
    }

    /// The schemas of every tool in `registry`.
    pub fn from_registry(registry: &ToolRegistry) -> Self {
        Self::from_schemas(registry.schemas())
    }

    /// The argument schemas of `schemas`.
    pub fn from_schemas(schemas: impl IntoIterator<Item = ToolSchema>) -> Self {
        let by_tool = schemas
            .into_iter()
            .map(|schema| (schema.name, schema.args_schema))
            .collect();
        Self { by_tool }
    }

    /// How many tools have a schema.
    pub fn len(&self) -> usize {
        self.by_tool.len()
    }

    /// Whether no tool has a schema.
    pub fn is_empty(&self) -> bool {
        self.by_tool.is_empty()
    }

    /// Convert the text value `raw` of `tool`'s `argument` to JSON, the way
    /// the XML-style formats do: by the argument's schema (integer, number,
    /// boolean, null, object/array, enum, `anyOf`/`oneOf`/type lists), or,
    /// without one, as JSON when the text is JSON and as the text otherwise.
    ///
    /// `Err` holds the type the schema expected (`integer`,
    /// `integer | null`, ...) when the text does not convert; the formats
    /// then keep the text and record a
    /// [`NormalizeWarning::UntypedValue`].
    ///
    /// ```
    /// use rig_compose::normalizer::SchemaSet;
    /// use serde_json::json;
    ///
    /// let mut schemas = SchemaSet::new();
    /// schemas.insert("f", json!({"type": "object", "properties": {
    ///     "days": {"type": "integer"},
    ///     "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    /// }}));
    /// assert_eq!(schemas.type_value("f", "days", "\n3\n"), Ok(json!(3)));
    /// assert_eq!(schemas.type_value("f", "days", "three"), Err("integer".to_owned()));
    /// assert_eq!(schemas.type_value("f", "note", "None"), Ok(json!(null)));
    /// assert_eq!(schemas.type_value("f", "note", "\"hi\""), Ok(json!("\"hi\"")));
    /// // Arguments without a schema: JSON if it parses, else the text.
    /// assert_eq!(schemas.type_value("f", "other", "[1, 2]"), Ok(json!([1, 2])));
    /// assert_eq!(schemas.type_value("f", "other", "Paris"), Ok(json!("Paris")));
    /// ```
    pub fn type_value(&self, tool: &str, argument: &str, raw: &str) -> Result<Value, String> {
        convert(raw, argument_schema(self.args_schema(tool), argument)).map_err(|m| m.0)
    }
}

// ── Typing one text value (rules in the module docs) ──────────────────────

/// What a value should have been, for warnings (`integer`, `integer | null`,
/// `enum`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch(pub(crate) String);

/// The schema of `argument` inside a tool's args schema.
pub(crate) fn argument_schema<'a>(
    args_schema: Option<&'a Value>,
    argument: &str,
) -> Option<&'a Value> {
    args_schema?.get("properties")?.get(argument)
}

/// Type the text value `raw` of `tool`'s `argument` with the schemas in
/// `cx`. A value that does not convert is kept as text and recorded as a
/// warning at `offset` (relative to the region).
pub(crate) fn typed_argument(
    cx: &mut ParseCx<'_>,
    tool: &str,
    argument: &str,
    raw: &str,
    offset: usize,
) -> Value {
    let schema = argument_schema(cx.schema(tool), argument);
    keep_or_warn(cx, tool, argument, raw, offset, convert(raw, schema))
}

/// The converted value, or `raw` as a string plus an `UntypedValue`
/// warning.
pub(crate) fn keep_or_warn(
    cx: &mut ParseCx<'_>,
    tool: &str,
    argument: &str,
    raw: &str,
    offset: usize,
    converted: Result<Value, Mismatch>,
) -> Value {
    match converted {
        Ok(value) => value,
        Err(Mismatch(expected)) => {
            cx.warn(NormalizeWarning::UntypedValue {
                tool: tool.to_owned(),
                argument: argument.to_owned(),
                expected,
                offset,
            });
            Value::String(raw.to_owned())
        }
    }
}

/// Convert the text `raw` to JSON following `schema` (`None`: no schema).
/// See the rules above.
pub(crate) fn convert(raw: &str, schema: Option<&Value>) -> Result<Value, Mismatch> {
    match schema {
        None => Ok(untyped(raw)),
        Some(schema) => by_schema(raw, schema, 0),
    }
}

/// The no-schema rule: JSON, else unescaped JSON container, else the text.
pub(crate) fn untyped(raw: &str) -> Value {
    let text = raw.trim();
    if let Some(value) = exact_json(text)
        && !lost_digits(&value, text)
    {
        return value;
    }
    if let Some(value) = unescaped_json(text).filter(|v| v.is_object() || v.is_array()) {
        return value;
    }
    Value::String(raw.to_owned())
}

/// One way a schema allows a value to be written.
#[derive(Clone, Copy)]
enum Alternative<'s> {
    Type(&'s str),
    Schema(&'s Value),
}

impl Alternative<'_> {
    /// Lower is tried first: the stricter a test, the earlier.
    fn rank(self) -> u8 {
        match self {
            Self::Type(name) => type_rank(name),
            Self::Schema(schema) => {
                let Some(object) = schema.as_object() else {
                    return 7;
                };
                if object.contains_key("enum") || object.contains_key("const") {
                    return 0;
                }
                match object.get("type") {
                    Some(Value::String(name))
                        if !object.contains_key("anyOf") && !object.contains_key("oneOf") =>
                    {
                        type_rank(name)
                    }
                    None if !object.contains_key("anyOf") && !object.contains_key("oneOf") => 7,
                    _ => 6,
                }
            }
        }
    }
}

fn type_rank(name: &str) -> u8 {
    match name {
        "null" => 1,
        "boolean" => 2,
        "integer" => 3,
        "number" => 4,
        "object" | "array" => 5,
        "string" => 8,
        _ => 7,
    }
}

fn by_schema(raw: &str, schema: &Value, depth: usize) -> Result<Value, Mismatch> {
    let Some(object) = schema.as_object().filter(|_| depth <= MAX_NESTING_DEPTH) else {
        return Ok(untyped(raw));
    };
    if let Some(values) = object.get("enum").and_then(Value::as_array) {
        return enum_member(raw, values).ok_or_else(|| Mismatch("enum".into()));
    }
    if let Some(value) = object.get("const") {
        return enum_member(raw, std::slice::from_ref(value))
            .ok_or_else(|| Mismatch("const".into()));
    }
    let unions = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|key| object.get(*key).and_then(Value::as_array));
    let nullable = object.get("nullable") == Some(&Value::Bool(true));
    // The common case, one type name and nothing else, needs no sorting.
    if let Some(Value::String(name)) = object.get("type")
        && !nullable
        && unions.clone().next().is_none()
    {
        return by_type(raw, name);
    }
    let mut alternatives: Vec<Alternative<'_>> = Vec::new();
    match object.get("type") {
        Some(Value::String(name)) => alternatives.push(Alternative::Type(name)),
        Some(Value::Array(names)) => alternatives.extend(
            names
                .iter()
                .filter_map(Value::as_str)
                .map(Alternative::Type),
        ),
        _ => {}
    }
    alternatives.extend(unions.flatten().map(Alternative::Schema));
    if nullable {
        alternatives.push(Alternative::Type("null"));
    }
    if alternatives.is_empty() {
        let declared = object
            .get("allOf")
            .and_then(Value::as_array)
            .and_then(|members| members.iter().find(|m| declares_something(m)));
        return match declared {
            Some(member) => by_schema(raw, member, depth + 1),
            None => Ok(untyped(raw)),
        };
    }
    alternatives.sort_by_key(|alternative| alternative.rank());
    let mut expected: Vec<String> = Vec::new();
    for alternative in alternatives {
        let result = match alternative {
            Alternative::Type(name) => by_type(raw, name),
            Alternative::Schema(schema) => by_schema(raw, schema, depth + 1),
        };
        match result {
            Ok(value) => return Ok(value),
            Err(Mismatch(what)) => {
                if !expected.contains(&what) {
                    expected.push(what);
                }
            }
        }
    }
    Err(Mismatch(expected.join(" | ")))
}

/// Whether a schema constrains the value at all.
fn declares_something(schema: &Value) -> bool {
    schema.as_object().is_some_and(|object| {
        ["type", "enum", "const", "anyOf", "oneOf", "allOf"]
            .iter()
            .any(|key| object.contains_key(*key))
    })
}

fn by_type(raw: &str, name: &str) -> Result<Value, Mismatch> {
    let text = raw.trim();
    let converted = match name {
        "string" => return Ok(Value::String(raw.to_owned())),
        "integer" => integer(text),
        "number" => number(text),
        "boolean" => boolean(text).map(Value::Bool),
        "null" => (text.is_empty() || null_word(text)).then_some(Value::Null),
        "object" => container(text, true),
        "array" => container(text, false),
        // Not a JSON Schema type name (`any`, `file`, ...): not checked.
        _ => return Ok(untyped(raw)),
    };
    converted.ok_or_else(|| Mismatch(name.to_owned()))
}

/// Integers beyond this magnitude are not exact in an `f64`.
const EXACT_F64_INT: f64 = 9_007_199_254_740_992.0;

fn integer(text: &str) -> Option<Value> {
    if let Ok(int) = text.parse::<i64>() {
        return Some(Value::from(int));
    }
    if let Ok(int) = text.parse::<u64>() {
        return Some(Value::from(int));
    }
    // `3.0` and `1e3` are integers too, when exact.
    let float = float(text)?;
    (float.fract() == 0.0 && float.abs() < EXACT_F64_INT).then(|| Value::from(float as i64))
}

fn number(text: &str) -> Option<Value> {
    if let Ok(int) = text.parse::<i64>() {
        return Some(Value::from(int));
    }
    if let Ok(int) = text.parse::<u64>() {
        return Some(Value::from(int));
    }
    serde_json::Number::from_f64(float(text)?).map(Value::Number)
}

/// A finite float written with digits (Rust also parses `inf` and `NaN`).
fn float(text: &str) -> Option<f64> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn null_word(text: &str) -> bool {
    ["null", "none", "nil"]
        .iter()
        .any(|word| text.eq_ignore_ascii_case(word))
}

/// An object (`want_object`) or array written as JSON, as a JSON string
/// holding JSON, as a Python literal, or as escaped JSON.
fn container(text: &str, want_object: bool) -> Option<Value> {
    let fits = |value: &Value| {
        if want_object {
            value.is_object()
        } else {
            value.is_array()
        }
    };
    match exact_json(text) {
        Some(value) if fits(&value) => return Some(value),
        Some(Value::String(inner)) => {
            if let Some(value) = exact_json(inner.trim()).filter(fits) {
                return Some(value);
            }
        }
        _ => {}
    }
    if text.starts_with(['{', '['])
        && let Some(value) = python_literal(text).filter(fits)
    {
        return Some(value);
    }
    unescaped_json(text).filter(fits)
}

/// `text` as exactly one JSON value (repeated keys rejected).
fn exact_json(text: &str) -> Option<Value> {
    // Most values are plain words; only text that can start JSON is parsed
    // (a failed parse costs an error message).
    match *text.as_bytes().first()? {
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' => {
            super::json::parse_value(text, "typing", "value", "").ok()
        }
        _ => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ => None,
        },
    }
}

/// A number that JSON could only hold as a float although it was written as
/// an integer (digits would be lost).
fn lost_digits(value: &Value, text: &str) -> bool {
    value.as_number().is_some_and(|n| n.is_f64())
        && !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

/// `text` read as the inside of a JSON string (`{\"a\": 1}` becomes
/// `{"a": 1}`), then parsed as JSON.
fn unescaped_json(text: &str) -> Option<Value> {
    if !text.contains('\\') {
        return None;
    }
    let quoted = format!("\"{text}\"");
    let unescaped: String = serde_json::from_str(&quoted).ok()?;
    exact_json(unescaped.trim())
}

/// A whole-text Python literal (`{'a': True, 'b': [1, None]}`).
fn python_literal(text: &str) -> Option<Value> {
    let mut cursor = super::scan::Cursor::new(text);
    cursor.skip_ws();
    let value = super::literal::Fast::value(&mut cursor, 0).ok()?;
    cursor.skip_ws();
    cursor.peek().is_none().then_some(value)
}

/// The declared member of `values` that `raw` names.
fn enum_member(raw: &str, values: &[Value]) -> Option<Value> {
    let text = raw.trim();
    values
        .iter()
        .find(|member| match member {
            Value::String(s) => s == raw || s == text,
            Value::Bool(b) => boolean(text) == Some(*b),
            Value::Null => null_word(text),
            Value::Number(n) => number(text).is_some_and(|v| same_number(&v, n)),
            Value::Array(_) | Value::Object(_) => exact_json(text).as_ref() == Some(*member),
        })
        .cloned()
}

fn same_number(value: &Value, declared: &serde_json::Number) -> bool {
    match (value.as_i64(), declared.as_i64()) {
        (Some(a), Some(b)) => a == b,
        _ => match (value.as_u64(), declared.as_u64()) {
            (Some(a), Some(b)) => a == b,
            _ => value.as_f64() == declared.as_f64(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn typed(raw: &str, schema: Value) -> Result<Value, String> {
        convert(raw, Some(&schema)).map_err(|m| m.0)
    }

    #[test]
    fn without_a_schema_json_wins_then_text() {
        for (raw, want) in [
            ("3", json!(3)),
            (" 2.5\n", json!(2.5)),
            ("true", json!(true)),
            ("null", json!(null)),
            ("\"quoted\"", json!("quoted")),
            ("[1, {\"a\": null}]", json!([1, {"a": null}])),
            (r#"{\"a\": [1, \"x\"]}"#, json!({"a": [1, "x"]})),
            ("Paris", json!("Paris")),
            ("2024-06-27", json!("2024-06-27")),
            ("007", json!("007")),
            // Too long for 64 bits: a float would lose digits.
            (
                "123456789012345678901234567",
                json!("123456789012345678901234567"),
            ),
            (r#"say \"hi\""#, json!(r#"say \"hi\""#)),
            (r#"\"hi\""#, json!(r#"\"hi\""#)),
            ("{'a': 1}", json!("{'a': 1}")),
            ("", json!("")),
            ("  ", json!("  ")),
        ] {
            assert_eq!(convert(raw, None), Ok(want.clone()), "{raw:?}");
            // A schema without the argument, `true`, `{}` and `$ref` are the
            // same as no schema.
            for schema in [json!(true), json!({}), json!({"$ref": "#/defs/x"})] {
                assert_eq!(convert(raw, Some(&schema)), Ok(want.clone()), "{raw:?}");
            }
        }
    }

    #[test]
    fn integers() {
        let int = || json!({"type": "integer"});
        for (raw, want) in [
            ("3", json!(3)),
            ("\n42\n", json!(42)),
            ("+7", json!(7)),
            ("-12", json!(-12)),
            ("07", json!(7)),
            ("3.0", json!(3)),
            ("1e3", json!(1000)),
            ("18446744073709551615", json!(u64::MAX)),
        ] {
            assert_eq!(typed(raw, int()), Ok(want), "{raw:?}");
        }
        for raw in [
            "3.5",
            "three",
            "",
            "1e400",
            "99999999999999999999",
            "0x10",
            "1 2",
        ] {
            assert_eq!(typed(raw, int()), Err("integer".into()), "{raw:?}");
        }
    }

    #[test]
    fn numbers_booleans_and_null() {
        let number = || json!({"type": "number"});
        assert_eq!(typed("4", number()), Ok(json!(4)));
        assert!(typed("4", number()).unwrap().is_i64());
        assert_eq!(typed(" 2.75 ", number()), Ok(json!(2.75)));
        assert_eq!(typed("-1e-2", number()), Ok(json!(-0.01)));
        for raw in ["inf", "NaN", "infinity", "", "1,5", "e"] {
            assert_eq!(typed(raw, number()), Err("number".into()), "{raw:?}");
        }
        let boolean = || json!({"type": "boolean"});
        for (raw, want) in [
            ("true", true),
            ("False", false),
            ("TRUE", true),
            (" false\n", false),
        ] {
            assert_eq!(typed(raw, boolean()), Ok(json!(want)), "{raw:?}");
        }
        for raw in ["yes", "1", "", "truth"] {
            assert_eq!(typed(raw, boolean()), Err("boolean".into()), "{raw:?}");
        }
        let null = || json!({"type": "null"});
        for raw in ["null", "None", "nil", "NULL", "", " \n"] {
            assert_eq!(typed(raw, null()), Ok(json!(null)), "{raw:?}");
        }
        assert_eq!(typed("0", null()), Err("null".into()));
    }

    #[test]
    fn objects_and_arrays_take_json_python_and_escaped_forms() {
        let object = || json!({"type": "object"});
        for raw in [
            r#"{"a": 1, "b": [true]}"#,
            r#""{\"a\": 1, \"b\": [true]}""#,
            "{'a': 1, 'b': [True]}",
            r#"{\"a\": 1, \"b\": [true]}"#,
            "\n{\"a\": 1, \"b\": [true]}\n",
        ] {
            assert_eq!(
                typed(raw, object()),
                Ok(json!({"a": 1, "b": [true]})),
                "{raw:?}"
            );
        }
        for raw in ["[1]", "a=1", "", "{\"a\": 1, \"a\": 2}", "{'a': 1"] {
            assert_eq!(typed(raw, object()), Err("object".into()), "{raw:?}");
        }
        let array = || json!({"type": "array", "items": {"type": "string"}});
        assert_eq!(typed("[1, 'x', None]", array()), Ok(json!([1, "x", null])));
        assert_eq!(typed("[\"a\",\"b\"]", array()), Ok(json!(["a", "b"])));
        assert_eq!(typed("{}", array()), Err("array".into()));
        assert_eq!(typed("a, b", array()), Err("array".into()));
    }

    #[test]
    fn strings_are_the_raw_text() {
        let string = || json!({"type": "string"});
        for raw in [
            "",
            " padded \n",
            "\"quoted\"",
            "42",
            "null",
            "{\"a\": 1}",
            "北京",
        ] {
            assert_eq!(typed(raw, string()), Ok(json!(raw)), "{raw:?}");
        }
    }

    #[test]
    fn enums_and_const_return_the_declared_value() {
        let unit = || json!({"type": "string", "enum": ["celsius", "fahrenheit"]});
        assert_eq!(typed("celsius", unit()), Ok(json!("celsius")));
        assert_eq!(typed(" fahrenheit\n", unit()), Ok(json!("fahrenheit")));
        assert_eq!(typed("kelvin", unit()), Err("enum".into()));
        assert_eq!(typed("Celsius", unit()), Err("enum".into()));
        let levels = || json!({"enum": [1, 2.5, true, null, "x", [1]]});
        assert_eq!(typed("1", levels()), Ok(json!(1)));
        assert_eq!(typed("1.0", levels()), Ok(json!(1)));
        assert_eq!(typed("2.5", levels()), Ok(json!(2.5)));
        assert_eq!(typed("True", levels()), Ok(json!(true)));
        assert_eq!(typed("None", levels()), Ok(json!(null)));
        assert_eq!(typed("x", levels()), Ok(json!("x")));
        assert_eq!(typed("[1]", levels()), Ok(json!([1])));
        assert_eq!(typed("3", levels()), Err("enum".into()));
        assert_eq!(typed("7", json!({"const": 7})), Ok(json!(7)));
        assert_eq!(typed("8", json!({"const": 7})), Err("const".into()));
    }

    #[test]
    fn unions_try_specific_alternatives_first() {
        let int_or_string = || json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(typed("3", int_or_string()), Ok(json!(3)));
        assert_eq!(typed("three", int_or_string()), Ok(json!("three")));
        // Never JSON-encoded twice: a string stays the text written.
        let object_or_string = || json!({"oneOf": [{"type": "object"}, {"type": "string"}]});
        assert_eq!(typed("hello", object_or_string()), Ok(json!("hello")));
        assert_eq!(
            typed("\"hello\"", object_or_string()),
            Ok(json!("\"hello\""))
        );
        assert_eq!(typed("{\"a\": 1}", object_or_string()), Ok(json!({"a": 1})));
        let optional = || json!({"type": ["integer", "null"]});
        assert_eq!(typed("5", optional()), Ok(json!(5)));
        assert_eq!(typed("None", optional()), Ok(json!(null)));
        assert_eq!(typed("", optional()), Ok(json!(null)));
        assert_eq!(typed("five", optional()), Err("null | integer".into()));
        let nullable = || json!({"type": "number", "nullable": true});
        assert_eq!(typed("nil", nullable()), Ok(json!(null)));
        assert_eq!(typed("1.5", nullable()), Ok(json!(1.5)));
        assert_eq!(typed("x", nullable()), Err("null | number".into()));
        let string_or_null = || json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        assert_eq!(typed("null", string_or_null()), Ok(json!(null)));
        assert_eq!(typed("Paris", string_or_null()), Ok(json!("Paris")));
        let with_enum = || json!({"anyOf": [{"type": "integer"}, {"enum": ["auto"]}]});
        assert_eq!(typed("auto", with_enum()), Ok(json!("auto")));
        assert_eq!(typed("4", with_enum()), Ok(json!(4)));
        assert_eq!(typed("x", with_enum()), Err("enum | integer".into()));
        let nested = || json!({"anyOf": [{"anyOf": [{"type": "boolean"}, {"type": "null"}]}, {"type": "integer"}]});
        assert_eq!(typed("2", nested()), Ok(json!(2)));
        assert_eq!(typed("false", nested()), Ok(json!(false)));
        assert_eq!(typed("x", nested()), Err("integer | null | boolean".into()));
    }

    #[test]
    fn all_of_and_unknown_types() {
        let all_of = json!({"allOf": [{"description": "n"}, {"type": "integer"}]});
        assert_eq!(typed("5", all_of.clone()), Ok(json!(5)));
        assert_eq!(typed("x", all_of), Err("integer".into()));
        assert_eq!(typed("[1]", json!({"type": "file"})), Ok(json!([1])));
        assert_eq!(typed("x", json!({"description": "free"})), Ok(json!("x")));
    }

    #[test]
    fn deep_schemas_are_cut_off_not_recursed() {
        let mut schema = json!({"type": "integer"});
        for _ in 0..(MAX_NESTING_DEPTH * 3) {
            schema = json!({"anyOf": [schema, {"type": "boolean"}]});
        }
        // Below the cut-off the alternatives are untyped and accept the text.
        assert_eq!(convert("x", Some(&schema)), Ok(json!("x")));
        assert_eq!(convert("true", Some(&schema)), Ok(json!(true)));
    }

    #[test]
    fn failed_conversions_keep_the_text_and_warn() {
        let mut set = SchemaSet::new();
        set.insert(
            "f",
            json!({"type": "object", "properties": {"n": {"type": "integer"}}}),
        );
        let mut cx = ParseCx::detached(Some(&set));
        assert_eq!(typed_argument(&mut cx, "f", "n", "12", 3), json!(12));
        assert!(cx.warnings().is_empty());
        assert_eq!(typed_argument(&mut cx, "f", "n", "lots", 9), json!("lots"));
        assert_eq!(
            cx.warnings(),
            [NormalizeWarning::UntypedValue {
                tool: "f".into(),
                argument: "n".into(),
                expected: "integer".into(),
                offset: 9,
            }]
        );
        // Unknown tools and arguments fall back without warnings.
        assert_eq!(typed_argument(&mut cx, "g", "n", "lots", 0), json!("lots"));
        assert_eq!(typed_argument(&mut cx, "f", "m", "5", 0), json!(5));
        assert_eq!(cx.warnings().len(), 1);
        assert_eq!(set.type_value("f", "n", "x"), Err("integer".into()));
    }

    fn schemas() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(json!({"type": "string"})),
            Just(json!({"type": "integer"})),
            Just(json!({"type": "number"})),
            Just(json!({"type": "boolean"})),
            Just(json!({"type": "null"})),
            Just(json!({"type": "object"})),
            Just(json!({"type": "array"})),
            Just(json!({"enum": ["a", 1, null, true]})),
            Just(json!({})),
            Just(json!(false)),
            Just(json!({"type": ["integer", "null", 7]})),
            Just(json!({"anyOf": "not a list"})),
        ];
        leaf.prop_recursive(4, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"anyOf": v})),
                prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"oneOf": v})),
                prop::collection::vec(inner, 0..3).prop_map(|v| json!({"allOf": v})),
            ]
        })
    }

    fn texts() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[ \\[\\]{}\"'\\\\:,0-9a-zA-Z.eE+-]{0,24}",
            Just("{\"a\": [1, {\"b\": null}]}".to_owned()),
            Just("[[[[[[[[[[]]]]]]]]]]".to_owned()),
        ]
    }

    proptest! {
        #[test]
        fn typing_never_panics(raw in texts(), schema in schemas()) {
            let _ = convert(&raw, Some(&schema));
            let _ = convert(&raw, None);
        }

        #[test]
        fn string_schemas_return_the_raw_text(raw in texts()) {
            prop_assert_eq!(typed(&raw, json!({"type": "string"})), Ok(Value::String(raw.clone())));
            // With string as a fallback alternative the value is never lost.
            let union = json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
            prop_assert!(typed(&raw, union).is_ok());
        }
    }
}
