//! Exact US-dollar amounts counted in whole micro-dollars.
//!
//! Balances must add up exactly, so amounts never pass through a float: text
//! such as `"2.50"` is read digit by digit into an integer number of
//! micro-dollars, and anything finer than one micro-dollar is refused rather
//! than rounded.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative amount of US dollars, stored as a whole number of
/// micro-dollars (millionths of a dollar) in a `u64`.
///
/// The largest amount is `$18446744073709.551615`. Arithmetic comes in
/// `checked_*` (returns `None` instead of wrapping) and `saturating_*`
/// (clamps at zero or [`MicroUsd::MAX`]) flavours; there are no operator
/// impls, so an overflow can never panic or wrap silently.
///
/// # Text forms
///
/// * [`Display`](fmt::Display) prints a dollar sign and all six decimals:
///   `$1.250000`.
/// * [`MicroUsd::to_decimal_string`] and serde (for human-readable formats)
///   use the bare decimal: `"1.250000"`.
/// * Parsing ([`FromStr`], [`MicroUsd::parse`]) accepts an optional `$`,
///   digits, an optional fraction of any length whose digits past the sixth
///   are zeros, and an optional exponent: `"3"`, `"3.00"`, `"$2.50"`,
///   `"0.000125"`, `"1.25e-4"`. Signs, empty input and sub-micro-dollar
///   precision are errors.
///
/// # Serde
///
/// Human-readable formats (JSON, TOML, ...) serialize a decimal string and
/// deserialize either a string or a number. A number is read through its
/// shortest decimal text, never through float arithmetic; because JSON and
/// TOML parsers hand non-integer numbers over as `f64`, a number with more than
/// [`MicroUsd::MAX_EXACT_FLOAT_DIGITS`] significant digits is refused (its
/// exact value may already be lost): write such amounts as strings. Binary
/// formats use the raw micro-dollar count as a `u64`.
///
/// ```
/// use rig_compose::budget::MicroUsd;
///
/// let price: MicroUsd = "$2.50".parse().unwrap();
/// assert_eq!(price, MicroUsd::from_micros(2_500_000));
/// assert_eq!(price.to_string(), "$2.500000");
///
/// let total = price.checked_add(MicroUsd::from_micros(1)).unwrap();
/// assert_eq!(total.to_decimal_string(), "2.500001");
/// assert_eq!(MicroUsd::MAX.checked_add(total), None);
/// assert_eq!(MicroUsd::MAX.saturating_add(total), MicroUsd::MAX);
///
/// // Sub-micro-dollar precision is an error, not a rounding.
/// assert!("0.0000001".parse::<MicroUsd>().is_err());
///
/// let json = serde_json::to_string(&price).unwrap();
/// assert_eq!(json, "\"2.500000\"");
/// let from_number: MicroUsd = serde_json::from_str("2.5").unwrap();
/// assert_eq!(from_number, price);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MicroUsd(u64);

impl MicroUsd {
    /// Zero dollars.
    pub const ZERO: Self = Self(0);
    /// The largest representable amount, `$18446744073709.551615`.
    pub const MAX: Self = Self(u64::MAX);
    /// Micro-dollars in one dollar.
    pub const MICROS_PER_DOLLAR: u64 = 1_000_000;
    /// Decimal places a `MicroUsd` can hold exactly.
    pub const DECIMALS: u32 = 6;
    /// Significant digits up to which a floating-point number handed over by a
    /// deserializer is trusted to equal the number written in the source text
    /// (the `f64` guarantee for decimal round trips).
    pub const MAX_EXACT_FLOAT_DIGITS: usize = 15;

    /// An amount of `micros` millionths of a dollar.
    pub const fn from_micros(micros: u64) -> Self {
        Self(micros)
    }

    /// The amount in micro-dollars.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// A whole number of dollars, or `None` if it does not fit.
    pub const fn from_dollars(dollars: u64) -> Option<Self> {
        match dollars.checked_mul(Self::MICROS_PER_DOLLAR) {
            Some(micros) => Some(Self(micros)),
            None => None,
        }
    }

    /// The whole-dollar part of the amount (the fraction is dropped).
    pub const fn whole_dollars(self) -> u64 {
        self.0 / Self::MICROS_PER_DOLLAR
    }

    /// The micro-dollars below the last whole dollar (`0..1_000_000`).
    pub const fn fractional_micros(self) -> u64 {
        self.0 % Self::MICROS_PER_DOLLAR
    }

    /// `true` for `$0`.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Self) -> Option<Self> {
        match self.0.checked_add(other.0) {
            Some(micros) => Some(Self(micros)),
            None => None,
        }
    }

    /// `self - other`, or `None` if `other` is larger.
    pub const fn checked_sub(self, other: Self) -> Option<Self> {
        match self.0.checked_sub(other.0) {
            Some(micros) => Some(Self(micros)),
            None => None,
        }
    }

    /// `self × factor`, or `None` on overflow.
    pub const fn checked_mul(self, factor: u64) -> Option<Self> {
        match self.0.checked_mul(factor) {
            Some(micros) => Some(Self(micros)),
            None => None,
        }
    }

    /// `self + other`, clamped at [`MicroUsd::MAX`].
    pub const fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// `self - other`, clamped at zero.
    pub const fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    /// `self × factor`, clamped at [`MicroUsd::MAX`].
    pub const fn saturating_mul(self, factor: u64) -> Self {
        Self(self.0.saturating_mul(factor))
    }

    /// Parses a decimal dollar amount exactly; see the type docs for the
    /// accepted syntax. Same as [`str::parse`].
    pub fn parse(text: &str) -> Result<Self, ParseMoneyError> {
        parse_exact(text).map(Self)
    }

    /// The amount as a bare decimal with six places, e.g. `"1.250000"`
    /// (the serde form).
    pub fn to_decimal_string(self) -> String {
        format!("{}.{:06}", self.whole_dollars(), self.fractional_micros())
    }

    /// Converts a float handed over by a deserializer through its shortest
    /// decimal text, refusing values whose source digits may have been lost.
    fn from_deserialized_float(value: f64) -> Result<Self, ParseMoneyError> {
        if !value.is_finite() {
            return Err(ParseMoneyError::NotFinite);
        }
        if value == 0.0 {
            // Also covers `-0.0`, whose text would otherwise read as negative.
            return Ok(Self::ZERO);
        }
        // Rust's `Display` for `f64` prints the shortest digits that round-trip
        // and never uses exponent notation.
        let text = value.to_string();
        if let Some(parts) = DecimalParts::split(&text)
            && parts.significant_digits() > Self::MAX_EXACT_FLOAT_DIGITS
        {
            return Err(ParseMoneyError::ImpreciseNumber {
                text: excerpt(&text),
            });
        }
        Self::parse(&text)
    }
}

impl fmt::Display for MicroUsd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` keeps width/alignment flags working in tables of amounts.
        f.pad(&format!("${}", self.to_decimal_string()))
    }
}

impl FromStr for MicroUsd {
    type Err = ParseMoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for MicroUsd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&self.to_decimal_string())
        } else {
            serializer.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for MicroUsd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_amount(deserializer, None)
    }
}

/// Deserializes an amount, prefixing every error with `context` (e.g. which
/// model and field of a price table is being read).
pub(crate) fn deserialize_amount<'de, D: Deserializer<'de>>(
    deserializer: D,
    context: Option<&dyn fmt::Display>,
) -> Result<MicroUsd, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_any(AmountVisitor { context })
    } else {
        u64::deserialize(deserializer).map(MicroUsd)
    }
}

/// Accepts the human-readable forms of an amount.
struct AmountVisitor<'a> {
    context: Option<&'a dyn fmt::Display>,
}

impl AmountVisitor<'_> {
    fn fail<E: de::Error>(&self, error: ParseMoneyError) -> E {
        match self.context {
            Some(context) => E::custom(format_args!("{context}: {error}")),
            None => E::custom(error),
        }
    }
}

impl Visitor<'_> for AmountVisitor<'_> {
    type Value = MicroUsd;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a non-negative dollar amount (a decimal string such as \"2.50\" or a number)",
        )?;
        match self.context {
            Some(context) => write!(f, " for {context}"),
            None => Ok(()),
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<MicroUsd, E> {
        MicroUsd::from_dollars(value).ok_or_else(|| {
            self.fail(ParseMoneyError::Overflow {
                text: value.to_string(),
            })
        })
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<MicroUsd, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(self.fail(ParseMoneyError::Negative {
                text: value.to_string(),
            })),
        }
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<MicroUsd, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(self.fail(ParseMoneyError::Overflow {
                text: excerpt(&value.to_string()),
            })),
        }
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<MicroUsd, E> {
        match u128::try_from(value) {
            Ok(value) => self.visit_u128(value),
            Err(_) => Err(self.fail(ParseMoneyError::Negative {
                text: excerpt(&value.to_string()),
            })),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<MicroUsd, E> {
        MicroUsd::from_deserialized_float(value).map_err(|error| self.fail(error))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<MicroUsd, E> {
        MicroUsd::parse(value).map_err(|error| self.fail(error))
    }
}

/// Why a dollar amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseMoneyError {
    /// The text was empty (or only whitespace / a lone `$`).
    #[error("empty amount")]
    Empty,
    /// The amount had a minus sign; money amounts are never negative.
    #[error("negative amount `{text}`: amounts must be zero or positive")]
    Negative {
        /// The offending text (shortened if long).
        text: String,
    },
    /// A character that is not part of a decimal number.
    #[error("invalid character {found:?} in amount `{text}`")]
    InvalidCharacter {
        /// The offending text (shortened if long).
        text: String,
        /// The first character that was not understood.
        found: char,
    },
    /// The text has the right characters in the wrong shape (e.g. `"1."`).
    #[error("malformed amount `{text}`: {reason}")]
    Malformed {
        /// The offending text (shortened if long).
        text: String,
        /// What is missing or misplaced.
        reason: &'static str,
    },
    /// Non-zero digits below one micro-dollar; rounding is never applied.
    #[error(
        "amount `{text}` has {places} decimal places, but at most 6 are allowed (one micro-dollar); it is not rounded"
    )]
    TooPrecise {
        /// The offending text (shortened if long).
        text: String,
        /// Decimal places up to the last non-zero digit.
        places: u64,
    },
    /// More than `$18446744073709.551615`.
    #[error("amount `{text}` is larger than the maximum of $18446744073709.551615")]
    Overflow {
        /// The offending text (shortened if long).
        text: String,
    },
    /// A floating-point number with too many significant digits to be sure it
    /// still equals what was written in the source.
    #[error(
        "number `{text}` has more than 15 significant digits and may have been rounded while it was read as a float; write the amount as a string"
    )]
    ImpreciseNumber {
        /// The float's shortest decimal text (shortened if long).
        text: String,
    },
    /// NaN or infinity.
    #[error("amount is not a finite number")]
    NotFinite,
}

/// Longest slice of untrusted input echoed back in an error message.
const EXCERPT_CHARS: usize = 40;

fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or(text)),
        None => text.to_owned(),
    }
}

/// The pieces of `digits[.digits][e[+-]digits]`, all validated as ASCII
/// digits but not yet interpreted.
struct DecimalParts<'a> {
    integer: &'a str,
    fraction: &'a str,
    /// Power of ten the mantissa is scaled by; clamped to ±[`EXPONENT_CLAMP`].
    exponent: i64,
}

/// Any exponent beyond this magnitude already guarantees an overflow or
/// sub-micro-dollar precision for a non-zero mantissa, so larger ones are
/// clamped rather than tracked exactly.
const EXPONENT_CLAMP: i64 = 1_000_000;

impl<'a> DecimalParts<'a> {
    /// Splits `text` (no sign, no `$`) or returns `None` if it is not a
    /// well-formed unsigned decimal.
    fn split(text: &'a str) -> Option<Self> {
        Self::split_checked(text, text).ok()
    }

    fn split_checked(body: &'a str, original: &str) -> Result<Self, ParseMoneyError> {
        let malformed = |reason| ParseMoneyError::Malformed {
            text: excerpt(original),
            reason,
        };
        let (mantissa, exponent_text) = match body.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, Some(exponent)),
            None => (body, None),
        };
        let (integer, fraction) = match mantissa.split_once('.') {
            Some((integer, fraction)) => (integer, Some(fraction)),
            None => (mantissa, None),
        };
        check_digits(integer, original)?;
        if integer.is_empty() {
            return Err(malformed("expected a digit before the decimal point"));
        }
        let fraction = match fraction {
            Some(fraction) => {
                check_digits(fraction, original)?;
                if fraction.is_empty() {
                    return Err(malformed("expected a digit after the decimal point"));
                }
                fraction
            }
            None => "",
        };
        let exponent = match exponent_text {
            Some(text) => parse_exponent(text, original)?,
            None => 0,
        };
        Ok(Self {
            integer,
            fraction,
            exponent,
        })
    }

    fn digits(&self) -> impl DoubleEndedIterator<Item = u8> + '_ {
        self.integer.bytes().chain(self.fraction.bytes())
    }

    /// Digits from the first to the last non-zero one (0 for zero).
    fn significant_digits(&self) -> usize {
        let total = self.integer.len() + self.fraction.len();
        let leading = self.digits().take_while(|&d| d == b'0').count();
        if leading == total {
            return 0;
        }
        let trailing = self.digits().rev().take_while(|&d| d == b'0').count();
        total - leading - trailing
    }
}

/// Every character must be an ASCII digit (an empty string passes).
fn check_digits(text: &str, original: &str) -> Result<(), ParseMoneyError> {
    match text.chars().find(|c| !c.is_ascii_digit()) {
        Some(found) => Err(ParseMoneyError::InvalidCharacter {
            text: excerpt(original),
            found,
        }),
        None => Ok(()),
    }
}

fn parse_exponent(text: &str, original: &str) -> Result<i64, ParseMoneyError> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    check_digits(digits, original)?;
    if digits.is_empty() {
        return Err(ParseMoneyError::Malformed {
            text: excerpt(original),
            reason: "expected digits in the exponent",
        });
    }
    let magnitude = digits.bytes().fold(0_i64, |acc, d| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(d - b'0'))
            .min(EXPONENT_CLAMP)
    });
    Ok(if negative { -magnitude } else { magnitude })
}

/// Reads `text` into micro-dollars without any rounding.
fn parse_exact(text: &str) -> Result<u64, ParseMoneyError> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(ParseMoneyError::Negative {
            text: excerpt(trimmed),
        });
    }
    let body = trimmed.strip_prefix('$').unwrap_or(trimmed);
    if body.starts_with('-') {
        return Err(ParseMoneyError::Negative {
            text: excerpt(trimmed),
        });
    }
    if body.is_empty() {
        return Err(ParseMoneyError::Empty);
    }
    let parts = DecimalParts::split_checked(body, trimmed)?;

    let significant = parts.significant_digits();
    if significant == 0 {
        return Ok(0);
    }
    let total = parts.integer.len() + parts.fraction.len();
    let leading = parts.digits().take_while(|&d| d == b'0').count();
    let trailing = total - leading - significant;

    // Value = (significant digits) × 10^(-scale), where trailing zeros have
    // already been folded into the scale.
    let to_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let scale = to_i64(parts.fraction.len())
        .saturating_sub(parts.exponent)
        .saturating_sub(to_i64(trailing));
    let decimals = i64::from(MicroUsd::DECIMALS);
    if scale > decimals {
        return Err(ParseMoneyError::TooPrecise {
            text: excerpt(trimmed),
            places: u64::try_from(scale).unwrap_or(u64::MAX),
        });
    }
    let overflow = || ParseMoneyError::Overflow {
        text: excerpt(trimmed),
    };
    // `scale <= 6`, so the shift is non-negative; u64::MAX has 20 digits.
    let shift = decimals.saturating_sub(scale);
    if to_i64(significant).saturating_add(shift) > 20 {
        return Err(overflow());
    }
    let mantissa = parts
        .digits()
        .skip(leading)
        .take(significant)
        .fold(0_u128, |acc, d| acc * 10 + u128::from(d - b'0'));
    let shift = u32::try_from(shift).map_err(|_| overflow())?;
    let micros = 10_u128
        .checked_pow(shift)
        .and_then(|factor| mantissa.checked_mul(factor))
        .ok_or_else(overflow)?;
    u64::try_from(micros).map_err(|_| overflow())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(text: &str) -> u64 {
        MicroUsd::parse(text).unwrap().as_micros()
    }

    #[test]
    fn parses_plain_and_dollar_prefixed_decimals() {
        assert_eq!(micros("3"), 3_000_000);
        assert_eq!(micros("3.00"), 3_000_000);
        assert_eq!(micros("$2.50"), 2_500_000);
        assert_eq!(micros("0.000125"), 125);
        assert_eq!(micros("0.000001"), 1);
        assert_eq!(micros("0"), 0);
        assert_eq!(micros("000.000"), 0);
        assert_eq!(micros(" 7.5 "), 7_500_000);
        assert_eq!(micros("18446744073709.551615"), u64::MAX);
    }

    #[test]
    fn parses_exponents_exactly() {
        assert_eq!(micros("1.25e-4"), 125);
        assert_eq!(micros("1.5E2"), 150_000_000);
        assert_eq!(micros("2e+0"), 2_000_000);
        assert_eq!(micros("0e999999999999"), 0);
        assert_eq!(micros("1000e-9"), 1);
    }

    #[test]
    fn trailing_zeros_beyond_six_places_are_exact_and_allowed() {
        assert_eq!(micros("1.2500000000"), 1_250_000);
    }

    #[test]
    fn refuses_sub_micro_precision_instead_of_rounding() {
        assert_eq!(
            MicroUsd::parse("0.0000001"),
            Err(ParseMoneyError::TooPrecise {
                text: "0.0000001".into(),
                places: 7
            })
        );
        assert!(matches!(
            MicroUsd::parse("1.1234567"),
            Err(ParseMoneyError::TooPrecise { places: 7, .. })
        ));
        assert!(matches!(
            MicroUsd::parse("1e-7"),
            Err(ParseMoneyError::TooPrecise { places: 7, .. })
        ));
        assert!(matches!(
            MicroUsd::parse("1e-9999999999999"),
            Err(ParseMoneyError::TooPrecise { .. })
        ));
    }

    #[test]
    fn rejects_malformed_negative_and_oversized_text() {
        assert_eq!(MicroUsd::parse(""), Err(ParseMoneyError::Empty));
        assert_eq!(MicroUsd::parse("$"), Err(ParseMoneyError::Empty));
        assert!(matches!(
            MicroUsd::parse("-1"),
            Err(ParseMoneyError::Negative { .. })
        ));
        assert!(matches!(
            MicroUsd::parse("$-1"),
            Err(ParseMoneyError::Negative { .. })
        ));
        assert!(matches!(
            MicroUsd::parse("1,000"),
            Err(ParseMoneyError::InvalidCharacter { found: ',', .. })
        ));
        assert!(matches!(
            MicroUsd::parse("+1"),
            Err(ParseMoneyError::InvalidCharacter { found: '+', .. })
        ));
        assert!(matches!(
            MicroUsd::parse("abc"),
            Err(ParseMoneyError::InvalidCharacter { found: 'a', .. })
        ));
        for (text, reason_part) in [
            ("1.", "after the decimal point"),
            (".5", "before the decimal point"),
            ("1e", "exponent"),
        ] {
            match MicroUsd::parse(text) {
                Err(ParseMoneyError::Malformed { reason, .. }) => {
                    assert!(reason.contains(reason_part), "{text}: {reason}")
                }
                other => panic!("{text}: unexpected {other:?}"),
            }
        }
        assert!(matches!(
            MicroUsd::parse("18446744073709.551616"),
            Err(ParseMoneyError::Overflow { .. })
        ));
        assert!(matches!(
            MicroUsd::parse("1e40"),
            Err(ParseMoneyError::Overflow { .. })
        ));
        assert!(matches!(
            MicroUsd::parse("99999999999999999999999999999999999999999999"),
            Err(ParseMoneyError::Overflow { .. })
        ));
    }

    #[test]
    fn long_input_is_shortened_in_errors() {
        let long = format!("{}x", "1".repeat(500));
        let message = MicroUsd::parse(&long).unwrap_err().to_string();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains('…'));
    }

    #[test]
    fn formats_with_six_decimals() {
        assert_eq!(MicroUsd::from_micros(1_250_000).to_string(), "$1.250000");
        assert_eq!(MicroUsd::ZERO.to_decimal_string(), "0.000000");
        assert_eq!(MicroUsd::MAX.to_string(), "$18446744073709.551615");
        assert_eq!(format!("{:>12}", MicroUsd::from_micros(5)), "   $0.000005");
    }

    #[test]
    fn arithmetic_is_checked_or_saturating() {
        let one = MicroUsd::from_micros(1);
        assert_eq!(MicroUsd::MAX.checked_add(one), None);
        assert_eq!(MicroUsd::ZERO.checked_sub(one), None);
        assert_eq!(MicroUsd::MAX.checked_mul(2), None);
        assert_eq!(MicroUsd::ZERO.saturating_sub(one), MicroUsd::ZERO);
        assert_eq!(MicroUsd::MAX.saturating_mul(3), MicroUsd::MAX);
        assert_eq!(one.saturating_add(one).as_micros(), 2);
        assert_eq!(MicroUsd::from_dollars(2).unwrap().as_micros(), 2_000_000);
        assert_eq!(MicroUsd::from_dollars(u64::MAX), None);
        let amount = MicroUsd::from_micros(12_345_678);
        assert_eq!(
            (amount.whole_dollars(), amount.fractional_micros()),
            (12, 345_678)
        );
    }

    #[test]
    fn serde_uses_decimal_strings_and_accepts_numbers() {
        let amount = MicroUsd::from_micros(1_250_000);
        assert_eq!(serde_json::to_string(&amount).unwrap(), "\"1.250000\"");
        for json in ["\"1.25\"", "\"$1.25\"", "1.25", "1.250", "125e-2"] {
            assert_eq!(
                serde_json::from_str::<MicroUsd>(json).unwrap(),
                amount,
                "{json}"
            );
        }
        assert_eq!(
            serde_json::from_str::<MicroUsd>("3").unwrap().as_micros(),
            3_000_000
        );
        assert_eq!(
            serde_json::from_str::<MicroUsd>("0.3").unwrap().as_micros(),
            300_000
        );
        assert_eq!(
            serde_json::from_str::<MicroUsd>("-0.0").unwrap(),
            MicroUsd::ZERO
        );
    }

    #[test]
    fn serde_rejects_negative_imprecise_and_non_numeric_input() {
        let err = |json: &str| {
            serde_json::from_str::<MicroUsd>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(err("-1").contains("negative"));
        assert!(err("-0.5").contains("negative"));
        assert!(err("0.00000001").contains("decimal places"));
        assert!(err("0.1234567890123456").contains("significant digits"));
        assert!(err("true").contains("invalid type"));
        assert!(err("null").contains("invalid type"));
        assert!(err("18446744073710").contains("larger than the maximum"));
    }

    #[test]
    fn float_conversion_rejects_non_finite_values() {
        assert_eq!(
            MicroUsd::from_deserialized_float(f64::NAN),
            Err(ParseMoneyError::NotFinite)
        );
        assert_eq!(
            MicroUsd::from_deserialized_float(f64::INFINITY),
            Err(ParseMoneyError::NotFinite)
        );
        assert_eq!(
            MicroUsd::from_deserialized_float(0.075)
                .unwrap()
                .as_micros(),
            75_000
        );
    }

    #[test]
    fn significant_digit_count_ignores_outer_zeros() {
        let count = |text| DecimalParts::split(text).unwrap().significant_digits();
        assert_eq!(count("000120.0300"), 5);
        assert_eq!(count("0.000"), 0);
        assert_eq!(count("1000"), 1);
    }
}
