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
#[derive(Debug, Clone, Default)]
pub(crate) struct MarkerSet {
    /// Longest first, so the longest marker at a position wins.
    markers: Vec<(&'static str, MarkerKind)>,
    first_bytes: Vec<u8>,
    is_first: Vec<bool>,
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
        let mut is_first = vec![false; 256];
        let mut first_bytes = Vec::new();
        for (marker, _) in &markers {
            if let Some(&b) = marker.as_bytes().first()
                && let Some(slot) = is_first.get_mut(usize::from(b))
                && !*slot
            {
                *slot = true;
                first_bytes.push(b);
            }
        }
        Self {
            markers,
            first_bytes,
            is_first,
        }
    }

    /// The first marker (or unfinished marker at the end) at or after
    /// `from`. With `at_eof`, an unfinished marker is just text.
    pub(crate) fn find(&self, text: &str, from: usize, at_eof: bool) -> Found {
        let bytes = text.as_bytes();
        let mut at = from;
        while let Some(candidate) = self.next_first_byte(bytes, at) {
            let rest = bytes.get(candidate..).unwrap_or_default();
            let mut partial = false;
            for (marker, kind) in &self.markers {
                let m = marker.as_bytes();
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
    fn a_split_marker_is_held_until_the_end() {
        let s = set();
        assert_eq!(s.find("text <tool_", 0, false), Found::Partial(5));
        assert_eq!(s.find("text <tool_", 0, true), Found::Nothing);
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
