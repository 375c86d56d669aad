//! Any text, alone and inside LFM markers: the normalizer must answer
//! without panicking, and its errors must be located `NormalizerFailed`s.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rig_compose::KernelError;
use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};

const START: &str = "<|tool_call_start|>";
const END: &str = "<|tool_call_end|>";

fn check(raw: &str) {
    match LfmNormalizer.normalize(raw) {
        Ok(calls) => {
            assert!(calls.is_empty() || LfmNormalizer.is_applicable(raw));
            for call in &calls {
                assert!(!call.name.is_empty());
                assert!(call.args.is_object());
            }
        }
        Err(KernelError::NormalizerFailed(message)) => {
            let offset: usize = message
                .rsplit("at byte ")
                .next()
                .and_then(|tail| tail.split([',', ')']).next())
                .and_then(|n| n.parse().ok())
                .expect("every LFM error carries a byte offset");
            assert!(offset <= raw.len(), "offset {offset} past end: {message}");
        }
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(&text);
    check(&format!("{START}{text}{END}"));
    check(&format!("{START}[f({text})]{END}"));
    check(&format!("{START}[f(x={text})]{END}"));
});
