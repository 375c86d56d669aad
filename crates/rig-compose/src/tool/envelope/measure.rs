//! Byte lengths of compact JSON encodings, computed without serializing.
//!
//! The total byte budget is defined against `serde_json::to_string`, so
//! every function here must agree byte-for-byte with serde_json's compact
//! formatter: strings escape `"`, `\` and the C0 controls only (`\b \t \n
//! \f \r` as two-byte escapes, all other controls as `\u00XX`), and all
//! other characters, including DEL and non-ASCII, are written verbatim.

use std::io;

use serde_json::Number;

/// Encoded length of `null` and `true`.
pub(super) const NULL_OR_TRUE_LEN: usize = 4;
/// Encoded length of `false`.
pub(super) const FALSE_LEN: usize = 5;
/// The two quotes around a string or the two brackets of a container.
pub(super) const DELIMITERS_LEN: usize = 2;

/// Extra bytes serde_json writes for `byte` beyond the byte itself.
#[inline]
const fn escape_overhead(byte: u8) -> usize {
    match byte {
        b'"' | b'\\' | 0x08 | 0x09 | 0x0a | 0x0c | 0x0d => 1,
        0x00..=0x1f => 5,
        _ => 0,
    }
}

/// Length of `text` encoded as a JSON string, quotes included.
pub(super) fn str_len(text: &str) -> usize {
    let overhead: usize = text.bytes().map(escape_overhead).sum();
    text.len()
        .saturating_add(overhead)
        .saturating_add(DELIMITERS_LEN)
}

/// Bytes `character` contributes inside an encoded JSON string.
pub(super) fn char_len(character: char) -> usize {
    match u8::try_from(character) {
        Ok(byte) if byte.is_ascii() => 1 + escape_overhead(byte),
        _ => character.len_utf8(),
    }
}

/// Length of `number` as serde_json writes it.
///
/// Numbers are delegated to serde_json itself so integer, float and
/// arbitrary-precision formatting can never drift from the real encoder.
pub(super) fn number_len(number: &Number) -> usize {
    let mut counter = ByteCounter(0);
    match serde_json::to_writer(&mut counter, number) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

/// Sink that only counts what is written to it.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Running length of one container's encoding, fed child by child.
#[derive(Debug, Clone, Copy)]
pub(super) struct ContainerLen {
    bytes: usize,
    members: usize,
}

impl ContainerLen {
    /// An empty container: just its two brackets.
    pub(super) const fn empty() -> Self {
        Self {
            bytes: DELIMITERS_LEN,
            members: 0,
        }
    }

    /// Bytes the container would occupy after appending a member whose own
    /// encoding (including `"key":` for objects) is `member` bytes long.
    pub(super) const fn with_member(&self, member: usize) -> usize {
        let separator = if self.members == 0 { 0 } else { 1 };
        self.bytes.saturating_add(separator).saturating_add(member)
    }

    /// Append a member of `member` bytes.
    pub(super) fn push(&mut self, member: usize) {
        self.bytes = self.with_member(member);
        self.members = self.members.saturating_add(1);
    }

    /// Total encoded length so far.
    pub(super) const fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Bytes an object member occupies besides its value: `"key":`.
pub(super) fn key_prefix_len(key: &str) -> usize {
    str_len(key).saturating_add(1)
}

#[cfg(test)]
mod tests {
    // Every length must agree with serde_json's own output.
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// Length of a scalar (non-container) value; `None` for arrays and objects.
    fn scalar_len(value: &Value) -> Option<usize> {
        match value {
            Value::Null | Value::Bool(true) => Some(NULL_OR_TRUE_LEN),
            Value::Bool(false) => Some(FALSE_LEN),
            Value::Number(number) => Some(number_len(number)),
            Value::String(text) => Some(str_len(text)),
            Value::Array(_) | Value::Object(_) => None,
        }
    }

    fn serde_len(value: &Value) -> usize {
        serde_json::to_string(value).map_or(usize::MAX, |text| text.len())
    }

    #[test]
    fn every_byte_escape_matches_serde_json() {
        for code in 0..=0x7f_u8 {
            let character = char::from(code);
            let text = character.to_string();
            let expected = serde_len(&json!(text));
            assert_eq!(str_len(&text), expected, "byte {code:#04x}");
            assert_eq!(char_len(character) + 2, expected, "byte {code:#04x}");
        }
    }

    #[test]
    fn non_ascii_is_written_verbatim() {
        for character in ['é', '€', '😀', '\u{7f}', '\u{80}', '\u{2028}'] {
            let text = character.to_string();
            assert_eq!(char_len(character), character.len_utf8());
            assert_eq!(str_len(&text), serde_len(&json!(text)));
        }
    }

    #[test]
    fn scalars_match_serde_json() {
        for value in [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-17),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!(f64::MIN_POSITIVE),
            json!("plain"),
            json!("tab\tquote\"back\\slash\u{1}"),
        ] {
            assert_eq!(scalar_len(&value), Some(serde_len(&value)), "{value}");
        }
        assert_eq!(scalar_len(&json!([])), None);
        assert_eq!(scalar_len(&json!({})), None);
    }

    #[test]
    fn container_len_counts_separators() {
        let mut array = ContainerLen::empty();
        assert_eq!(array.bytes(), serde_len(&json!([])));
        assert_eq!(array.with_member(1), serde_len(&json!([1])));
        array.push(1);
        array.push(2);
        assert_eq!(array.bytes(), serde_len(&json!([1, 22])));

        let mut object = ContainerLen::empty();
        object.push(key_prefix_len("k") + 4);
        object.push(key_prefix_len("a\"b") + 1);
        assert_eq!(object.bytes(), serde_len(&json!({"k": null, "a\"b": 1})));
    }

    proptest! {
        #[test]
        fn str_len_matches_serde_json(text in any::<String>()) {
            prop_assert_eq!(str_len(&text), serde_len(&json!(text)));
            let by_char: usize = text.chars().map(char_len).sum();
            prop_assert_eq!(by_char + 2, str_len(&text));
        }

        #[test]
        fn float_len_matches_serde_json(float in any::<f64>()) {
            let value = json!(float);
            prop_assert_eq!(scalar_len(&value), Some(serde_len(&value)));
        }
    }
}
