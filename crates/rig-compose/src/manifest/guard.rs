//! A deserializer adapter that enforces nesting, value-count and text-size
//! budgets while any serde format parses a manifest.
//!
//! The format's own deserializer is wrapped so that every visitor, seed and
//! access object it hands out is wrapped too; the budget therefore sees
//! every value the format produces, including each replay of a YAML alias.
//! The first exceeded limit is remembered so the loader can report it as a
//! typed error even though it travelled through the format's error type.

use std::cell::Cell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::error::ManifestLimit;

/// The bounds one parse runs under.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) depth: usize,
    pub(super) values: usize,
    pub(super) text_bytes: usize,
}

/// Running totals for one parse. Not shared across threads: serde drives a
/// parse synchronously on one thread.
#[derive(Debug)]
pub(super) struct Budget {
    limits: Limits,
    depth: Cell<usize>,
    values: Cell<usize>,
    text_bytes: Cell<usize>,
    exceeded: Cell<Option<ManifestLimit>>,
}

impl Budget {
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            limits,
            depth: Cell::new(0),
            values: Cell::new(0),
            text_bytes: Cell::new(0),
            exceeded: Cell::new(None),
        }
    }

    /// The first limit that was hit, if any.
    pub(super) fn exceeded(&self) -> Option<ManifestLimit> {
        self.exceeded.get()
    }

    fn fail<E: de::Error>(&self, limit: ManifestLimit) -> E {
        if self.exceeded.get().is_none() {
            self.exceeded.set(Some(limit));
        }
        E::custom(limit)
    }

    /// Account for one value carrying `text` bytes of string data.
    fn charge<E: de::Error>(&self, text: usize) -> Result<(), E> {
        let values = self.values.get().saturating_add(1);
        if values > self.limits.values {
            return Err(self.fail(ManifestLimit::Values {
                max: self.limits.values,
            }));
        }
        self.values.set(values);
        let bytes = self.text_bytes.get().saturating_add(text);
        if bytes > self.limits.text_bytes {
            return Err(self.fail(ManifestLimit::ExpandedBytes {
                max: self.limits.text_bytes,
            }));
        }
        self.text_bytes.set(bytes);
        Ok(())
    }

    /// Run `inner` one collection level deeper, refusing to go past the
    /// depth limit. This is what keeps recursion (and so stack use)
    /// bounded regardless of the input.
    fn descend<T, E: de::Error>(&self, inner: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let depth = self.depth.get().saturating_add(1);
        if depth > self.limits.depth {
            return Err(self.fail(ManifestLimit::Depth {
                max: self.limits.depth,
            }));
        }
        self.depth.set(depth);
        let out = inner();
        self.depth.set(depth.saturating_sub(1));
        out
    }
}

/// A deserializer whose output is metered by a [`Budget`].
pub(super) struct Metered<'b, D> {
    inner: D,
    budget: &'b Budget,
}

impl<'b, D> Metered<'b, D> {
    pub(super) fn new(inner: D, budget: &'b Budget) -> Self {
        Self { inner, budget }
    }
}

/// Wraps visitors, seeds and access objects; the same shape serves all of
/// them.
struct Meter<'b, T> {
    inner: T,
    budget: &'b Budget,
}

impl<'b, T> Meter<'b, T> {
    fn wrap(inner: T, budget: &'b Budget) -> Self {
        Self { inner, budget }
    }
}

/// Forward `deserialize_*` methods, metering the visitor.
macro_rules! metered_entry_points {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method($($arg,)* Meter::wrap(visitor, self.budget))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Metered<'_, D> {
    type Error = D::Error;

    metered_entry_points! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Forward scalar `visit_*` methods, charging one value plus `$text` bytes.
macro_rules! metered_scalars {
    ($($method:ident($ty:ty) => $text:expr;)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            #[allow(clippy::redundant_closure_call)]
            self.budget.charge(($text)(&v))?;
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Meter<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    metered_scalars! {
        visit_bool(bool) => |_: &bool| 0;
        visit_i8(i8) => |_: &i8| 0;
        visit_i16(i16) => |_: &i16| 0;
        visit_i32(i32) => |_: &i32| 0;
        visit_i64(i64) => |_: &i64| 0;
        visit_i128(i128) => |_: &i128| 0;
        visit_u8(u8) => |_: &u8| 0;
        visit_u16(u16) => |_: &u16| 0;
        visit_u32(u32) => |_: &u32| 0;
        visit_u64(u64) => |_: &u64| 0;
        visit_u128(u128) => |_: &u128| 0;
        visit_f32(f32) => |_: &f32| 0;
        visit_f64(f64) => |_: &f64| 0;
        visit_char(char) => |c: &char| c.len_utf8();
        visit_str(&str) => |s: &&str| s.len();
        visit_borrowed_str(&'de str) => |s: &&str| s.len();
        visit_string(String) => |s: &String| s.len();
        visit_bytes(&[u8]) => |b: &&[u8]| b.len();
        visit_borrowed_bytes(&'de [u8]) => |b: &&[u8]| b.len();
        visit_byte_buf(Vec<u8>) => |b: &Vec<u8>| b.len();
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.budget.charge(0)?;
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.budget.charge(0)?;
        self.inner.visit_unit()
    }

    // `Some` and newtype wrappers are type-driven, not input-driven: they
    // add no value of their own, but what they wrap must stay metered.
    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        self.inner.visit_some(Metered::new(d, self.budget))
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        self.inner
            .visit_newtype_struct(Metered::new(d, self.budget))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let Self { inner, budget } = self;
        budget.charge(0)?;
        budget.descend(|| inner.visit_seq(Meter::wrap(seq, budget)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let Self { inner, budget } = self;
        budget.charge(0)?;
        budget.descend(|| inner.visit_map(Meter::wrap(map, budget)))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let Self { inner, budget } = self;
        budget.charge(0)?;
        budget.descend(|| inner.visit_enum(Meter::wrap(data, budget)))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Meter<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.deserialize(Metered::new(d, self.budget))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Meter<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(Meter::wrap(seed, self.budget))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Meter<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(Meter::wrap(seed, self.budget))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.inner.next_value_seed(Meter::wrap(seed, self.budget))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, 'b, A: EnumAccess<'de>> EnumAccess<'de> for Meter<'b, A> {
    type Error = A::Error;
    type Variant = Meter<'b, A::Variant>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), A::Error> {
        let budget = self.budget;
        let (tag, variant) = self.inner.variant_seed(Meter::wrap(seed, budget))?;
        Ok((tag, Meter::wrap(variant, budget)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Meter<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.inner
            .newtype_variant_seed(Meter::wrap(seed, self.budget))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner
            .tuple_variant(len, Meter::wrap(visitor, self.budget))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner
            .struct_variant(fields, Meter::wrap(visitor, self.budget))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::Value;

    fn limits(depth: usize, values: usize, text_bytes: usize) -> Limits {
        Limits {
            depth,
            values,
            text_bytes,
        }
    }

    fn parse<T: for<'de> Deserialize<'de>>(
        text: &str,
        limits: Limits,
    ) -> (Result<T, serde_json::Error>, Option<ManifestLimit>) {
        let budget = Budget::new(limits);
        let mut de = serde_json::Deserializer::from_str(text);
        let out = T::deserialize(Metered::new(&mut de, &budget));
        (out, budget.exceeded())
    }

    #[test]
    fn depth_limit_is_inclusive() {
        let (ok, hit) = parse::<Value>("[[[1]]]", limits(3, 100, 100));
        assert_eq!(ok.unwrap(), serde_json::json!([[[1]]]));
        assert_eq!(hit, None);

        let (err, hit) = parse::<Value>("[[[[1]]]]", limits(3, 100, 100));
        let err = err.unwrap_err();
        assert_eq!(hit, Some(ManifestLimit::Depth { max: 3 }));
        assert!(err.to_string().contains("deeper than 3"), "{err}");
        assert_eq!((err.line(), err.column()), (1, 4));
    }

    #[test]
    fn depth_is_released_when_collections_close() {
        // Many siblings at depth 2 never exceed a depth limit of 2.
        let text = format!("[{}]", vec!["[1]"; 50].join(","));
        let (ok, hit) = parse::<Value>(&text, limits(2, 1000, 100));
        assert_eq!(ok.unwrap().as_array().unwrap().len(), 50);
        assert_eq!(hit, None);
    }

    #[test]
    fn values_and_text_are_counted() {
        // One array + three numbers = 4 values.
        let (ok, _) = parse::<Value>("[1,2,3]", limits(8, 4, 0));
        assert!(ok.is_ok());
        let (err, hit) = parse::<Value>("[1,2,3,4]", limits(8, 4, 0));
        assert!(err.is_err());
        assert_eq!(hit, Some(ManifestLimit::Values { max: 4 }));

        // Map keys are strings too: "ab" + "cd" = 4 bytes.
        let (ok, _) = parse::<Value>(r#"{"ab":"cd"}"#, limits(8, 10, 4));
        assert!(ok.is_ok());
        let (err, hit) = parse::<Value>(r#"{"ab":"cde"}"#, limits(8, 10, 4));
        assert!(err.is_err());
        assert_eq!(hit, Some(ManifestLimit::ExpandedBytes { max: 4 }));
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Shape {
        Unit,
        Wrap(Vec<u8>),
        Pair(u8, u8),
        Named { x: Vec<Vec<u8>> },
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Holder {
        shapes: Vec<Shape>,
        maybe: Option<Vec<u8>>,
        newtype: Newtype,
        pair: (u8, char),
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Newtype(Vec<u8>);

    #[test]
    fn all_shapes_pass_through_and_stay_metered() {
        let text = r#"{"shapes": ["Unit", {"Wrap": [1]}, {"Pair": [1, 2]}, {"Named": {"x": [[3]]}}],
                       "maybe": [4], "newtype": [5], "pair": [6, "c"]}"#;
        let (ok, hit) = parse::<Holder>(text, limits(6, 1000, 1000));
        assert_eq!(hit, None);
        let holder = ok.unwrap();
        assert_eq!(
            holder.shapes,
            [
                Shape::Unit,
                Shape::Wrap(vec![1]),
                Shape::Pair(1, 2),
                Shape::Named { x: vec![vec![3]] }
            ]
        );
        assert_eq!(holder.maybe, Some(vec![4]));
        assert_eq!(holder.newtype, Newtype(vec![5]));
        assert_eq!(holder.pair, (6, 'c'));

        // holder map > shapes seq > enum > struct-variant map > x seq > seq:
        // six levels, so a limit of five rejects it.
        let (err, hit) = parse::<Holder>(text, limits(5, 1000, 1000));
        assert!(err.is_err());
        assert_eq!(hit, Some(ManifestLimit::Depth { max: 5 }));

        // Values behind Option and newtype wrappers are still counted.
        let (err, hit) = parse::<Option<Newtype>>("[1,2,3]", limits(5, 3, 0));
        assert!(err.is_err());
        assert_eq!(hit, Some(ManifestLimit::Values { max: 3 }));
    }

    #[test]
    fn first_exceeded_limit_is_kept() {
        let budget = Budget::new(limits(0, 0, 0));
        let first: serde_json::Error = budget.fail(ManifestLimit::Depth { max: 0 });
        let _second: serde_json::Error = budget.fail(ManifestLimit::Values { max: 0 });
        assert!(first.to_string().contains("deeper than 0"));
        assert_eq!(budget.exceeded(), Some(ManifestLimit::Depth { max: 0 }));
    }
}
