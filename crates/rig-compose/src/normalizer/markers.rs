//! Finding the next marker in model output, and noticing a marker that the
//! text so far ends in the middle of (a streaming chunk boundary).

use memchr::{memchr, memchr2, memchr3};

/// What a marker stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkerKind {
    /// Opens a call region: index into the candidate list, then into that
    /// candidate's openers.
    Opener { candidate: usize, opener: usize },
    /// Opens reasoning; closes with the given tag.
    ReasoningOpen { close: &'static str },
    /// Closes the reasoning block in progress.
    ReasoningClose,
}

/// A set of literal markers with a fast first-byte prefilter.
#[derive(Debug, Clone)]
pub(crate) struct MarkerSet {
    /// Grouped by first byte; within a group longest first, so the longest
    /// marker at a position wins.
    markers: Vec<(&'static str, MarkerKind)>,
    /// Per byte value, the range of `markers` starting with it (empty
    /// when none does), so a position is only compared with markers that
    /// can match there.
    buckets: [(u16, u16); 256],
    /// Per marker, its first eight bytes and their mask (see [`prefix_of`]).
    prefixes: Vec<(u64, u64)>,
    first_bytes: Vec<u8>,
    /// `is_first[b]`: whether some marker starts with byte `b` (the
    /// search table when there are too many first bytes for memchr).
    is_first: [bool; 256],
}

impl Default for MarkerSet {
    fn default() -> Self {
        Self::new([])
    }
}

/// The next interesting position in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// A whole marker starts at this index.
    Marker(usize, &'static str, MarkerKind),
    /// The text ends with an unfinished prefix of a marker starting here.
    Partial(usize),
    /// No marker starts in the text.
    Nothing,
}

impl MarkerSet {
    pub(crate) fn new(markers: impl IntoIterator<Item = (&'static str, MarkerKind)>) -> Self {
        let mut markers: Vec<_> = markers.into_iter().filter(|(m, _)| !m.is_empty()).collect();
        // Stable: among equal lengths the caller's order is kept.
        markers.sort_by_key(|(m, _)| std::cmp::Reverse(m.len()));
        // Stable again: groups by first byte, longest first inside each.
        markers.sort_by_key(|(m, _)| m.as_bytes().first().copied());
        let mut buckets = [(0u16, 0u16); 256];
        let mut first_bytes = Vec::new();
        for (index, (marker, _)) in markers.iter().enumerate() {
            let (Some(&b), Ok(index)) = (marker.as_bytes().first(), u16::try_from(index)) else {
                continue;
            };
            if let Some(bucket) = buckets.get_mut(usize::from(b)) {
                if bucket.0 == bucket.1 {
                    first_bytes.push(b);
                    *bucket = (index, index);
                }
                bucket.1 = index + 1;
            }
        }
        let prefixes = markers
            .iter()
            .map(|(m, _)| prefix_of(m.as_bytes()))
            .collect();
        let mut is_first = [false; 256];
        for &b in &first_bytes {
            if let Some(slot) = is_first.get_mut(usize::from(b)) {
                *slot = true;
            }
        }
        Self {
            markers,
            buckets,
            prefixes,
            first_bytes,
            is_first,
        }
    }

    /// The markers starting with byte `b`, longest first, with their
    /// prefixes.
    fn bucket(&self, b: u8) -> impl Iterator<Item = (&(&'static str, MarkerKind), &(u64, u64))> {
        let (start, end) = self.buckets.get(usize::from(b)).copied().unwrap_or((0, 0));
        let range = usize::from(start)..usize::from(end);
        let markers = self.markers.get(range.clone()).unwrap_or_default();
        let prefixes = self.prefixes.get(range).unwrap_or_default();
        markers.iter().zip(prefixes)
    }

    /// The first marker (or unfinished marker at the end) at or after
    /// `from`. With `at_eof`, an unfinished marker is just text.
    pub(crate) fn find(&self, text: &str, from: usize, at_eof: bool) -> Found {
        let bytes = text.as_bytes();
        let mut at = from;
        while let Some(candidate) = self.next_first_byte(bytes, at) {
            let rest = bytes.get(candidate..).unwrap_or_default();
            let mut partial = false;
            // Only markers with this first byte can match, or be cut off,
            // here; the others would fail on their first byte.
            // A marker that differs from the text within their first eight
            // bytes (as far as both go) can neither match nor be cut off
            // here; one word comparison tells.
            let (head, known) = head_word(rest);
            for ((marker, kind), &(prefix, mask)) in
                self.bucket(rest.first().copied().unwrap_or_default())
            {
                let m = marker.as_bytes();
                if (head ^ prefix) & mask & known != 0 {
                    continue;
                }
                if rest.starts_with(m) {
                    if partial {
                        // A longer marker might still match here.
                        break;
                    }
                    return Found::Marker(candidate, marker, *kind);
                }
                if !at_eof && rest.len() < m.len() && m.starts_with(rest) {
                    partial = true;
                }
            }
            if partial {
                return Found::Partial(candidate);
            }
            at = candidate + 1;
        }
        Found::Nothing
    }

    /// Whether a marker (or the start of one) may occur in `text`: some
    /// byte of it can begin a marker.
    pub(crate) fn may_occur(&self, text: &str) -> bool {
        self.next_first_byte(text.as_bytes(), 0).is_some()
    }

    /// Next index at or after `from` holding the first byte of a marker.
    fn next_first_byte(&self, bytes: &[u8], from: usize) -> Option<usize> {
        let hay = bytes.get(from..)?;
        let hit = match *self.first_bytes.as_slice() {
            [] => None,
            [a] => memchr(a, hay),
            [a, b] => memchr2(a, b, hay),
            [a, b, c] => memchr3(a, b, c, hay),
            _ => hay
                .iter()
                .position(|&b| self.is_first.get(usize::from(b)).copied().unwrap_or(false)),
        };
        hit.map(|at| from + at)
    }
}

/// The first (up to) eight bytes of `text` as a little-endian word, and
/// the mask of the bytes it has (same layout as [`prefix_of`]).
fn head_word(text: &[u8]) -> (u64, u64) {
    match text.first_chunk::<8>() {
        Some(bytes) => (u64::from_le_bytes(*bytes), u64::MAX),
        None => prefix_of(text),
    }
}

/// The first (up to) eight bytes of `marker` as a little-endian word, and
/// the mask of the bytes it has.
fn prefix_of(marker: &[u8]) -> (u64, u64) {
    let mut word = [0u8; 8];
    let mut mask = [0u8; 8];
    for ((w, m), &b) in word.iter_mut().zip(mask.iter_mut()).zip(marker) {
        *w = b;
        *m = 0xff;
    }
    (u64::from_le_bytes(word), u64::from_le_bytes(mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> MarkerSet {
        MarkerSet::new([
            (
                "<tool_call>",
                MarkerKind::Opener {
                    candidate: 0,
                    opener: 0,
                },
            ),
            (
                "<tool_calls>",
                MarkerKind::Opener {
                    candidate: 1,
                    opener: 0,
                },
            ),
            ("<think>", MarkerKind::ReasoningOpen { close: "</think>" }),
        ])
    }

    #[test]
    fn finds_markers_and_prefers_the_longest() {
        let s = set();
        assert!(matches!(
            s.find("a <tool_calls>[", 0, false),
            Found::Marker(2, "<tool_calls>", _)
        ));
        assert!(matches!(
            s.find("a <tool_call>{", 0, false),
            Found::Marker(2, "<tool_call>", _)
        ));
        assert!(matches!(
            s.find("x<think>", 0, false),
            Found::Marker(1, "<think>", _)
        ));
        assert_eq!(s.find("a < b", 0, false), Found::Nothing);
    }

    #[test]
    fn many_first_bytes_keep_longest_first_per_byte() {
        // More than three first bytes take the table path; markers sharing
        // a first byte still prefer the longest, in any input order.
        let s = MarkerSet::new([
            ("[A", MarkerKind::ReasoningClose),
            ("<x>", MarkerKind::ReasoningClose),
            ("{{", MarkerKind::ReasoningClose),
            ("<x>>", MarkerKind::ReasoningClose),
            ("|y", MarkerKind::ReasoningClose),
            ("[AB", MarkerKind::ReasoningClose),
        ]);
        assert!(matches!(
            s.find("..[AB", 0, false),
            Found::Marker(2, "[AB", _)
        ));
        assert!(matches!(
            s.find("..[AC", 0, false),
            Found::Marker(2, "[A", _)
        ));
        assert!(matches!(
            s.find("<x>> {{", 0, false),
            Found::Marker(0, "<x>>", _)
        ));
        assert!(matches!(
            s.find("a |y", 1, false),
            Found::Marker(2, "|y", _)
        ));
        assert_eq!(s.find("a [", 0, false), Found::Partial(2));
        assert_eq!(s.find("a [A", 0, false), Found::Partial(2));
        assert!(matches!(s.find("a [A", 0, true), Found::Marker(2, "[A", _)));
        assert_eq!(s.find("a | [b {", 0, false), Found::Partial(7));
        assert_eq!(MarkerSet::default().find("<x>", 0, false), Found::Nothing);
    }

    #[test]
    fn a_split_marker_is_held_until_the_end() {
        let s = set();
        assert_eq!(s.find("text <tool_", 0, false), Found::Partial(5));
        assert_eq!(s.find("text <tool_", 0, true), Found::Nothing);
        // Cut after more than the eight bytes the prefix check reads.
        assert_eq!(s.find("text <tool_call", 0, false), Found::Partial(5));
        assert_eq!(
            s.find("text <tool_calX> <think", 0, false),
            Found::Partial(17)
        );
        assert!(matches!(s.find("<tool_calls", 0, false), Found::Partial(0)));
        // Tails shorter than a word: only a real prefix is held back.
        assert_eq!(s.find("a <thi", 0, false), Found::Partial(2));
        assert_eq!(s.find("a <ti", 0, false), Found::Nothing);
        assert_eq!(s.find("a <", 0, false), Found::Partial(2));
        assert_eq!(s.find("<tx <t", 0, false), Found::Partial(4));
        // `<a>` is complete, but `<a>b` could still follow.
        let nested = MarkerSet::new([
            ("<a>", MarkerKind::ReasoningClose),
            ("<a>b", MarkerKind::ReasoningClose),
        ]);
        assert_eq!(nested.find("x<a>", 0, false), Found::Partial(1));
        assert!(matches!(
            nested.find("x<a>", 0, true),
            Found::Marker(1, "<a>", _)
        ));
        assert!(matches!(
            nested.find("x<a>c", 0, false),
            Found::Marker(1, "<a>", _)
        ));
        assert!(matches!(
            nested.find("x<a>b", 0, false),
            Found::Marker(1, "<a>b", _)
        ));
    }
}
