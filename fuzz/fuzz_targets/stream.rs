//! The streaming invariant: feeding an output in chunks, split anywhere
//! (inside markers, inside multi-byte characters), gives exactly what the
//! whole text gives: the same calls (names, arguments, ids), text,
//! reasoning and warnings, or the same error. Checked for the auto
//! normalizer and for one catalog format picked by the input.
//!
//! Input layout: byte 0 picks the format (`% number of formats`); byte 1
//! sets the chunking (low 6 bits + 1 = chunk size, top bit = the output
//! starts inside reasoning); the rest is the model output, where every
//! 0xFF byte (never part of UTF-8) marks a chunk boundary and is removed.
//! Without 0xFF bytes the output is cut every chunk-size bytes.
//!
//! A stream of bytes that are not UTF-8 must fail, and if it fails with
//! `InvalidUtf8` the offset must be that of the first bad byte.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use rig_compose::normalizer::{
    NormalizeError, Normalized, StreamEvent, TextNormalizer, ToolCallFormat, all_formats,
};
use serde_json::Value;

const CUT: u8 = 0xFF;

static FORMATS: LazyLock<Vec<&'static dyn ToolCallFormat>> =
    LazyLock::new(|| all_formats().collect());

/// What is compared between whole-text and streamed runs.
#[derive(Debug, PartialEq)]
struct Outcome {
    calls: Vec<(String, Value, Option<String>)>,
    text: String,
    reasoning: String,
    warnings: usize,
}

impl From<Normalized> for Outcome {
    fn from(n: Normalized) -> Self {
        Self {
            calls: n
                .calls
                .into_iter()
                .map(|c| (c.invocation.name, c.invocation.args, c.id))
                .collect(),
            text: n.text,
            reasoning: n.reasoning,
            warnings: n.warnings.len(),
        }
    }
}

fn stream(normalizer: &TextNormalizer, chunks: &[&[u8]]) -> Result<Outcome, NormalizeError> {
    let mut stream = normalizer.stream();
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(stream.feed(chunk)?);
    }
    events.extend(stream.finish()?);
    // Call indexes count up from 0, each call finished once.
    let mut next = 0;
    for event in &events {
        if let StreamEvent::CallFinished { index, .. } = event {
            assert_eq!(*index, next, "call indexes out of order: {events:?}");
            next += 1;
        }
    }
    Ok(Normalized::from_events(events).into())
}

fn check(label: &str, normalizer: &TextNormalizer, bytes: &[u8], chunks: &[&[u8]]) {
    let streamed = stream(normalizer, chunks);
    match std::str::from_utf8(bytes) {
        Ok(raw) => {
            let whole = normalizer.normalize_text(raw).map(Outcome::from);
            assert_eq!(
                streamed, whole,
                "{label}: streamed != whole for {raw:?} in chunks {chunks:?}"
            );
        }
        Err(utf8) => match streamed {
            Ok(out) => panic!("{label}: invalid UTF-8 {bytes:?} streamed fine: {out:?}"),
            Err(NormalizeError::InvalidUtf8 { offset }) => assert_eq!(
                offset,
                utf8.valid_up_to(),
                "{label}: wrong offset for invalid UTF-8 {bytes:?}"
            ),
            // An earlier problem in the valid prefix may stop it first.
            Err(_) => {}
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let [pick, shape, rest @ ..] = data else {
        return;
    };
    let starts_in_reasoning = shape & 0x80 != 0;
    let size = usize::from(shape & 0x3F) + 1;
    let bytes: Vec<u8> = rest.iter().copied().filter(|&b| b != CUT).collect();
    let chunks: Vec<&[u8]> = if rest.contains(&CUT) {
        let mut chunks = Vec::new();
        let mut from = 0;
        for piece in rest.split(|&b| b == CUT) {
            chunks.push(&bytes[from..from + piece.len()]);
            from += piece.len();
        }
        chunks
    } else {
        bytes.chunks(size).collect()
    };

    let auto = TextNormalizer::auto().starting_in_reasoning(starts_in_reasoning);
    check("auto", &auto, &bytes, &chunks);
    if let Some(format) = FORMATS.get(usize::from(*pick) % FORMATS.len().max(1)) {
        let fixed = TextNormalizer::new(*format).starting_in_reasoning(starts_in_reasoning);
        check(format.name(), &fixed, &bytes, &chunks);
    }
});
