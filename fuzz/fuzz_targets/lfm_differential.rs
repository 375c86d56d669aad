//! Our LFM normalizer against the published rig-compose 0.5.0: same calls
//! whenever it accepts, an error of the same class whenever it rejects.
//! Inputs with many brackets are skipped: the published parser recurses
//! without a limit and would overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};
use rig_compose_published::normalizer::{
    LfmNormalizer as Published, ToolCallNormalizer as PublishedNormalizer,
};

const START: &str = "<|tool_call_start|>";
const END: &str = "<|tool_call_end|>";

fn compare(raw: &str) {
    let ours = LfmNormalizer.normalize(raw);
    let theirs = Published.normalize(raw);
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(ours.len(), theirs.len(), "{raw:?}");
            for (a, b) in ours.iter().zip(theirs) {
                assert_eq!((&a.name, &a.args), (&b.name, &b.args), "{raw:?}");
            }
        }
        (Err(ours), Err(theirs)) => {
            let (ours, theirs) = (ours.to_string(), theirs.to_string());
            let expected = if ours.contains("more bytes)") {
                theirs.split('"').next().unwrap_or_default()
            } else {
                theirs.as_str()
            };
            assert!(ours.starts_with(expected), "{raw:?}\n ours:   {ours}\n theirs: {theirs}");
        }
        _ => panic!("{raw:?}: ours {ours:?}, published {theirs:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.bytes().filter(|b| matches!(b, b'[' | b'{')).count() > 48 {
        return;
    }
    compare(text);
    compare(&format!("{START}[{text}]{END}"));
    compare(&format!("{START}[f(x={text})]{END}"));
});
