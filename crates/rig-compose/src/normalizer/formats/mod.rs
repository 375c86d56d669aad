//! In-band text formats, one file per model family.
//!
//! Each format finds its markers, then hands the text between them to the
//! shared scanners in [`scan`](super::scan) and literal parsers in
//! [`literal`](super::literal). Location-aware errors come from
//! [`diag`](super::diag).

pub(crate) mod lfm;
