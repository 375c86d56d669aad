//! Checks every format test goes through: the whole-text result, and the
//! same output streamed split at every byte (and in random chunkings) must
//! agree exactly.

use proptest::prelude::*;
use rig_compose::normalizer::{
    NormalizeError, Normalized, StreamEvent, TextNormalizer, format_by_name,
};
use serde_json::Value;

/// A normalizer for the format called `name` (any alias).
pub(crate) fn normalizer(name: &str) -> TextNormalizer {
    TextNormalizer::new(format_by_name(name).unwrap())
}

/// What a run produced, comparable between whole-text and streaming.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) calls: Vec<(String, Value, Option<String>)>,
    pub(crate) text: String,
    pub(crate) reasoning: String,
    pub(crate) warnings: usize,
}

impl From<&Normalized> for Outcome {
    fn from(n: &Normalized) -> Self {
        Self {
            calls: n
                .calls
                .iter()
                .map(|c| {
                    (
                        c.invocation.name.clone(),
                        c.invocation.args.clone(),
                        c.id.clone(),
                    )
                })
                .collect(),
            text: n.text.clone(),
            reasoning: n.reasoning.clone(),
            warnings: n.warnings.len(),
        }
    }
}

/// Stream `raw` in the given chunks; the error (if any) is the first one
/// returned by `feed` or `finish`. Checks that no call is finished twice and
/// that indexes count up from 0.
pub(crate) fn stream_chunks(
    normalizer: &TextNormalizer,
    raw: &[u8],
    cuts: &[usize],
) -> Result<Normalized, NormalizeError> {
    let mut stream = normalizer.stream();
    let mut events = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&raw.len())) {
        let cut = cut.clamp(from, raw.len());
        events.extend(stream.feed(&raw[from..cut])?);
        from = cut;
    }
    events.extend(stream.finish()?);
    let finished: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::CallFinished { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        (0..finished.len()).collect::<Vec<_>>(),
        "call indexes"
    );
    Ok(Normalized::from_events(events))
}

/// The comparable result of a run, or its error.
pub(crate) fn outcome(
    result: &Result<Normalized, NormalizeError>,
) -> Result<Outcome, NormalizeError> {
    result.as_ref().map(Outcome::from).map_err(Clone::clone)
}

/// Whole-text result of `raw`, after checking that streaming `raw` split
/// at every byte position (two chunks), and one byte at a time, gives the
/// same calls, text, reasoning and warnings (or the same error).
pub(crate) fn check(normalizer: &TextNormalizer, raw: &str) -> Result<Normalized, NormalizeError> {
    let whole = normalizer.normalize_text(raw);
    let expected = outcome(&whole);
    two_pass_agrees(normalizer, raw, &expected);
    let bytes = raw.as_bytes();
    for cut in 0..=bytes.len() {
        let streamed = outcome(&stream_chunks(normalizer, bytes, &[cut]));
        assert_eq!(streamed, expected, "split at byte {cut} of {raw:?}");
    }
    let every: Vec<usize> = (1..bytes.len()).collect();
    let streamed = outcome(&stream_chunks(normalizer, bytes, &every));
    assert_eq!(streamed, expected, "byte-by-byte stream of {raw:?}");
    whole
}

/// The formats' one-pass whole-text shortcut gives what scanning and then
/// parsing gives.
fn two_pass_agrees(
    normalizer: &TextNormalizer,
    raw: &str,
    expected: &Result<Outcome, NormalizeError>,
) {
    let two_pass = outcome(&normalizer.clone().one_pass(false).normalize_text(raw));
    assert_eq!(&two_pass, expected, "one-pass vs scan + parse of {raw:?}");
}

/// [`check`] that expects success.
pub(crate) fn ok(normalizer: &TextNormalizer, raw: &str) -> Normalized {
    check(normalizer, raw).unwrap_or_else(|err| panic!("{raw:?}: {err}"))
}

/// [`check`] that expects an error.
pub(crate) fn err(normalizer: &TextNormalizer, raw: &str) -> NormalizeError {
    match check(normalizer, raw) {
        Ok(out) => panic!("expected an error for {raw:?}, got {out:?}"),
        Err(err) => err,
    }
}

/// Names of the calls.
pub(crate) fn names(out: &Normalized) -> Vec<&str> {
    out.calls
        .iter()
        .map(|c| c.invocation.name.as_str())
        .collect()
}

/// A strategy of sorted cut positions for random chunkings.
pub(crate) fn cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..12).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}

/// Property: random chunkings of `raw` agree with the whole-text result.
pub(crate) fn prop_chunkings(normalizer: &TextNormalizer, raw: &str, cuts: &[usize]) {
    let expected = outcome(&normalizer.normalize_text(raw));
    two_pass_agrees(normalizer, raw, &expected);
    let streamed = outcome(&stream_chunks(normalizer, raw.as_bytes(), cuts));
    assert_eq!(streamed, expected, "cuts {cuts:?} of {raw:?}");
}

/// Events of `raw` streamed in 3-byte chunks.
pub(crate) fn streamed(normalizer: &TextNormalizer, raw: &str) -> Vec<StreamEvent> {
    let mut stream = normalizer.stream();
    let mut events = Vec::new();
    for chunk in raw.as_bytes().chunks(3) {
        events.extend(stream.feed(chunk).unwrap());
    }
    events.extend(stream.finish().unwrap());
    events
}

/// The first call's start event, and its argument deltas joined.
pub(crate) fn announced(events: &[StreamEvent]) -> (String, Option<String>, String) {
    let start = events
        .iter()
        .position(|e| matches!(e, StreamEvent::CallStarted { index: 0, .. }))
        .unwrap();
    let finish = events
        .iter()
        .position(|e| matches!(e, StreamEvent::CallFinished { index: 0, .. }))
        .unwrap();
    assert!(start < finish);
    let StreamEvent::CallStarted { name, id, .. } = &events[start] else {
        unreachable!()
    };
    let deltas: String = events[start..finish]
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ArgumentsDelta { index: 0, delta } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    (name.clone(), id.clone(), deltas)
}
