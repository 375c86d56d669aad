//! Checks over every shipped format at once: names resolve, and streaming
//! random inputs built from all formats' markers in random chunks always
//! gives the whole-text result (calls, text, reasoning, warnings or the
//! same error).

use proptest::prelude::*;
use rig_compose::normalizer::{StreamEvent, TextNormalizer, all_formats, format_by_name};

use crate::harness::{Outcome, outcome, stream_chunks};

/// Pieces that inputs are assembled from: every opener and reasoning tag of
/// every format, closers and bodies from the catalogue, and plain text.
fn pieces() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for format in all_formats() {
        out.extend(format.openers().iter().map(|s| (*s).to_owned()));
        for tags in format.reasoning_tags() {
            out.push(tags.open.to_owned());
            out.push(tags.close.to_owned());
        }
    }
    let extra = [
        "</tool_call>",
        "</tool_calls>",
        "</function>",
        "</parameter>",
        "<parameter=city>",
        "<function=f>",
        "<arg_key>",
        "</arg_key>",
        "<arg_value>",
        "</arg_value>",
        "<invoke name=\"f\">",
        "</invoke>",
        "<parameter name=\"k\">",
        "<|tool_call_end|>",
        "<|tool_calls_section_end|>",
        "<|tool_call_argument_begin|>",
        "functions.f:0",
        "<｜tool▁sep｜>",
        "<｜tool▁call▁end｜>",
        "<｜tool▁calls▁end｜>",
        "<|message|>",
        "<|call|>",
        "<|end|>",
        "commentary to=functions.f ",
        "<|constrain|>json",
        "[ARGS]",
        "[CALL_ID]",
        "{\"name\": \"f\", \"arguments\": {\"a\": 1}}",
        "{\"name\": \"g\", \"parameters\": {}}",
        "[{\"name\": \"f\", \"arguments\": {}}]",
        "{\"a\": \"}\"}",
        "f(x=1)",
        "[f(x='a')]",
        "g()",
        "get_weather",
        "{",
        "}",
        "[",
        "]",
        "\"",
        "'",
        "\n",
        " ",
        "é",
        "北京",
        "🌧",
        ",",
        ";",
        ">>>",
        "all\n",
        "call:f{a:1}",
        "<|\"|>",
        "<escape>",
        "Hello there. ",
    ];
    out.extend(extra.iter().map(|s| (*s).to_owned()));
    out.sort();
    out.dedup();
    out
}

fn input() -> impl Strategy<Value = String> {
    let pieces = pieces();
    prop::collection::vec(prop::sample::select(pieces), 0..14).prop_map(|v| v.concat())
}

fn normalizers() -> Vec<TextNormalizer> {
    let mut out: Vec<TextNormalizer> = all_formats().map(TextNormalizer::new).collect();
    out.push(TextNormalizer::auto());
    out.push(TextNormalizer::auto_for_model(
        "moonshotai/Kimi-K2-Instruct",
    ));
    out
}

#[test]
fn every_format_resolves_by_every_name() {
    for format in all_formats() {
        assert_eq!(format_by_name(format.name()).unwrap().name(), format.name());
        for alias in format.aliases() {
            assert_eq!(
                format_by_name(alias).unwrap().name(),
                format.name(),
                "{alias}"
            );
        }
        assert!(!format.describe().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn streaming_equals_whole_for_every_format(raw in input(), seed in prop::collection::vec(0usize..1000, 0..10)) {
        let bytes = raw.as_bytes();
        let mut cuts: Vec<usize> = seed.iter().map(|s| s * bytes.len() / 1000).collect();
        cuts.sort_unstable();
        for normalizer in normalizers() {
            let expected: Result<Outcome, _> = outcome(&normalizer.normalize_text(&raw));
            let streamed = outcome(&stream_chunks(&normalizer, bytes, &cuts));
            prop_assert_eq!(&streamed, &expected, "{:?} cuts {:?} of {:?}", normalizer, cuts, raw);
            let every: Vec<usize> = (1..bytes.len()).collect();
            let byte_by_byte = outcome(&stream_chunks(&normalizer, bytes, &every));
            prop_assert_eq!(&byte_by_byte, &expected, "{:?} byte by byte of {:?}", normalizer, raw);
        }
    }
}

/// A call whose arguments are long streams its argument text while it is
/// written: several deltas before the call finishes, adding up to the raw
/// argument text.
#[test]
fn long_arguments_stream_as_deltas() {
    let long = "lorem ipsum dolor sit amet ".repeat(80); // ~2 KB
    let cases = [
        (
            "hermes",
            format!(
                "<tool_call>{{\"name\": \"write\", \"arguments\": {{\"text\": \"{long}\"}}}}</tool_call>"
            ),
        ),
        (
            "llama3_json",
            format!(
                "<|python_tag|>{{\"name\": \"write\", \"parameters\": {{\"text\": \"{long}\"}}}}"
            ),
        ),
        (
            "qwen3_coder",
            format!(
                "<tool_call>\n<function=write>\n<parameter=text>\n{long}\n</parameter>\n</function>\n</tool_call>"
            ),
        ),
        (
            "glm45",
            format!(
                "<tool_call>write\n<arg_key>text</arg_key>\n<arg_value>{long}</arg_value>\n</tool_call>"
            ),
        ),
        (
            "minimax_m2",
            format!(
                "<minimax:tool_call>\n<invoke name=\"write\">\n<parameter name=\"text\">{long}</parameter>\n</invoke>\n</minimax:tool_call>"
            ),
        ),
    ];
    for (name, raw) in cases {
        let Ok(format) = format_by_name(name) else {
            continue;
        };
        let mut stream = TextNormalizer::new(format).stream();
        let mut events = Vec::new();
        for chunk in raw.as_bytes().chunks(16) {
            events.extend(stream.feed(chunk).unwrap());
        }
        events.extend(stream.finish().unwrap());
        let finished = events
            .iter()
            .position(|e| matches!(e, StreamEvent::CallFinished { .. }))
            .unwrap_or_else(|| panic!("{name}: no call"));
        let deltas: Vec<&str> = events[..finished]
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ArgumentsDelta { index: 0, delta } => Some(delta.as_str()),
                _ => None,
            })
            .collect();
        assert!(deltas.len() >= 3, "{name}: only {} deltas", deltas.len());
        let text = deltas.concat();
        assert!(text.contains(long.trim_end()), "{name}: {text:?}");
        assert!(
            raw.contains(&text),
            "{name}: deltas are not the raw argument text: {text:?}"
        );
    }
}

/// The tool-parser names of vLLM (`--tool-call-parser`) and SGLang
/// (`--tool-call-parser`) for the families in the catalogue all resolve.
#[test]
fn vllm_and_sglang_parser_names_resolve() {
    let expected = [
        // vLLM
        ("hermes", "hermes"),
        ("mistral", "mistral"),
        ("llama3_json", "llama3_json"),
        ("llama4_json", "llama3_json"),
        ("llama4_pythonic", "pythonic"),
        ("pythonic", "pythonic"),
        ("olmo3", "olmo3"),
        ("granite", "granite"),
        ("granite-20b-fc", "granite_20b_fc"),
        ("internlm", "internlm"),
        ("jamba", "jamba"),
        ("xlam", "xlam"),
        ("phi4_mini_json", "phi4_mini"),
        ("hunyuan_a13b", "hunyuan_a13b"),
        ("deepseek_v3", "deepseek_v3"),
        ("deepseek_v31", "deepseek_v31"),
        ("deepseek_v32", "deepseek_v32"),
        ("kimi_k2", "kimi_k2"),
        ("glm45", "glm45"),
        ("glm47", "glm47"),
        ("qwen3_coder", "qwen3_coder"),
        ("qwen3_xml", "qwen3_coder"),
        ("seed_oss", "seed_oss"),
        ("minimax", "minimax_m1"),
        ("minimax_m2", "minimax_m2"),
        ("step3", "step3"),
        ("openai", "harmony"),
        // SGLang
        ("qwen25", "hermes"),
        ("llama3", "llama3_json"),
        ("deepseekv3", "deepseek_v3"),
        ("deepseekv31", "deepseek_v31"),
        ("deepseekv32", "deepseek_v32"),
        ("gpt-oss", "harmony"),
        ("minimax-m2", "minimax_m2"),
        ("lfm2", "lfm2"),
        ("hunyuan", "hunyuan_v3"),
        ("interns1", "internlm"),
    ];
    for (parser, format) in expected {
        let found = format_by_name(parser).unwrap_or_else(|e| panic!("{parser}: {e}"));
        assert_eq!(found.name(), format, "{parser}");
    }
}
