//! `rig-compose normalize`: the tool calls, visible text and reasoning of a
//! model's text output, read from stdin, printed as JSON.

use std::io::{ErrorKind, Read, Write};

use clap::Args;
use rig_compose::normalizer::{
    StreamEvent, StreamingNormalizer, TextNormalizer, all_formats, format_by_name,
};

use crate::error::CliError;
use crate::output;

/// `--format` value that asks for detection.
const AUTO: &str = "auto";

/// Read size while streaming without `--chunk`: a pipe hands over whatever
/// has arrived, up to this much, so events follow the model closely.
const READ_SIZE: usize = 8 * 1024;

/// Shown after the options in `normalize --help`.
const EXIT_STATUS_HELP: &str = "\
Output (whole text): {\"format\", \"calls\": [{\"name\", \"arguments\", \"id\"}], \"text\", \
\"reasoning\", \"warnings\"}.
Output (--stream): one JSON object per line, with \"event\" one of text, reasoning, \
call_started, arguments_delta, call_finished, warning, done.

Exit status:
  0  the output was normalized (it may hold no calls)
  1  reading stdin or writing stdout failed
  2  usage error (unknown option or format name, --model with a fixed --format)
  3  malformed output (a call that does not parse, invalid UTF-8, a limit exceeded)
  4  incomplete output (it ends inside a tool call)
Errors go to stderr as one line; with --stream, the events before the error are printed.";

/// Options of `rig-compose normalize`.
#[derive(Debug, Args)]
#[command(after_help = EXIT_STATUS_HELP)]
pub(crate) struct NormalizeArgs {
    /// Format of the model output: a name or alias from `--list`, or
    /// `auto` to detect it from the output.
    #[arg(long, value_name = "NAME|auto", default_value = AUTO)]
    format: String,
    /// Model name or path (e.g. Qwen/Qwen3-8B): with `--format auto`, the
    /// format this model is known to write is tried first.
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Normalize while reading: print one JSON object per event (JSON Lines).
    #[arg(long)]
    stream: bool,
    /// With `--stream`: feed the normalizer chunks of exactly this many
    /// bytes (default: whatever each read of stdin returns).
    #[arg(long, value_name = "BYTES", requires = "stream",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    chunk: Option<usize>,
    /// Print the result on one line (`--stream` output always is: one
    /// event per line).
    #[arg(long)]
    compact: bool,
    /// The output starts inside reasoning: the chat template already wrote
    /// the opening tag (DeepSeek-R1, Qwen3 thinking templates).
    #[arg(long)]
    starts_in_reasoning: bool,
    /// List the formats, their aliases and syntax, then exit.
    #[arg(long, exclusive = true)]
    list: bool,
}

/// Run `normalize` on the process's stdin and stdout.
pub(crate) fn run(args: NormalizeArgs) -> Result<(), CliError> {
    run_with(args, std::io::stdin().lock(), &mut std::io::stdout().lock())
}

/// Run `normalize` reading `input` and writing to `out`.
pub(crate) fn run_with(
    args: NormalizeArgs,
    input: impl Read,
    out: &mut impl Write,
) -> Result<(), CliError> {
    if args.list {
        let formats: Vec<_> = all_formats().collect();
        return write_out(out, output::format_list(&formats).as_bytes());
    }
    let (normalizer, fixed) = build(&args)?;
    if args.stream {
        stream(&mut normalizer.stream(), input, out, args.chunk)
    } else {
        whole(&normalizer, fixed, input, out, args.compact)
    }
}

/// The normalizer the options ask for, and the format name when it is
/// fixed (reported even when the output holds no call).
fn build(args: &NormalizeArgs) -> Result<(TextNormalizer, Option<&'static str>), CliError> {
    let (normalizer, fixed) = if args.format.trim().eq_ignore_ascii_case(AUTO) {
        let normalizer = match &args.model {
            Some(model) => TextNormalizer::auto_for_model(model),
            None => TextNormalizer::auto(),
        };
        (normalizer, None)
    } else {
        if args.model.is_some() {
            return Err(CliError::Usage(format!(
                "--model is a hint for --format auto; the format is already fixed to {:?}",
                args.format
            )));
        }
        let format = format_by_name(&args.format).map_err(CliError::Normalize)?;
        (TextNormalizer::new(format), Some(format.name()))
    };
    Ok((
        normalizer.starting_in_reasoning(args.starts_in_reasoning),
        fixed,
    ))
}

fn whole(
    normalizer: &TextNormalizer,
    fixed: Option<&'static str>,
    mut input: impl Read,
    out: &mut impl Write,
    compact: bool,
) -> Result<(), CliError> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(CliError::Stdin)?;
    let text = std::str::from_utf8(&bytes).map_err(|err| CliError::InvalidUtf8 {
        offset: err.valid_up_to(),
    })?;
    let normalized = normalizer
        .normalize_text(text)
        .map_err(CliError::Normalize)?;
    let format = normalized.format.or(fixed);
    let json = output::normalized_json(&normalized, format, compact).map_err(CliError::Json)?;
    write_out(out, json.as_bytes())
}

fn stream(
    normalizer: &mut StreamingNormalizer,
    mut input: impl Read,
    out: &mut impl Write,
    chunk: Option<usize>,
) -> Result<(), CliError> {
    let mut buf = vec![0; chunk.unwrap_or(READ_SIZE)];
    let mut events = Vec::new();
    loop {
        let filled = match chunk {
            Some(_) => read_full(&mut input, &mut buf),
            None => read_some(&mut input, &mut buf),
        }
        .map_err(CliError::Stdin)?;
        let Some(bytes) = buf.get(..filled).filter(|b| !b.is_empty()) else {
            break;
        };
        // `feed_into` keeps the events found before an error, so they are
        // printed before the error is reported.
        let fed = normalizer.feed_into(bytes, &mut events);
        write_events(out, &mut events)?;
        fed.map_err(CliError::Normalize)?;
    }
    let mut last = normalizer.finish().map_err(CliError::Normalize)?;
    write_events(out, &mut last)?;
    let done = output::done_json(normalizer.format()).map_err(CliError::Json)?;
    write_out(out, done.as_bytes())
}

fn write_events(out: &mut impl Write, events: &mut Vec<StreamEvent>) -> Result<(), CliError> {
    let mut text = String::new();
    for event in events.drain(..) {
        text.push_str(&output::event_json(&event).map_err(CliError::Json)?);
    }
    write_out(out, text.as_bytes())
}

/// One read, retried when interrupted; 0 means end of input.
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Fill `buf` unless the input ends first; returns how much was read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match read_some(input, rest)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Write and flush, so a consumer of `--stream` sees each event at once.
fn write_out(out: &mut impl Write, bytes: &[u8]) -> Result<(), CliError> {
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(CliError::Stdout)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::{Value, json};

    use super::*;

    #[derive(Debug, Parser)]
    struct Harness {
        #[command(flatten)]
        args: NormalizeArgs,
    }

    fn run_args(args: &[&str], input: &str) -> Result<String, CliError> {
        let parsed =
            Harness::try_parse_from(std::iter::once("normalize").chain(args.iter().copied()))
                .unwrap();
        let mut out = Vec::new();
        run_with(parsed.args, input.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    const CALL: &str = "Sure.<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": [1, {\"y\": \"}\"}]}}</tool_call> Done.";

    #[test]
    fn whole_text_reports_calls_text_and_format() {
        let out: Value = serde_json::from_str(&run_args(&[], CALL).unwrap()).unwrap();
        assert_eq!(
            out,
            json!({
                "format": "hermes",
                "calls": [{"name": "f", "arguments": {"x": [1, {"y": "}"}]}, "id": null}],
                "text": "Sure. Done.",
                "reasoning": "",
                "warnings": [],
            })
        );
    }

    #[test]
    fn fixed_format_is_named_even_without_calls() {
        let out: Value =
            serde_json::from_str(&run_args(&["--format", "qwen25"], "just text").unwrap()).unwrap();
        assert_eq!(out["format"], "hermes");
        let auto: Value = serde_json::from_str(&run_args(&[], "just text").unwrap()).unwrap();
        assert_eq!(auto["format"], Value::Null);
        assert_eq!(auto["text"], "just text");
    }

    #[test]
    fn chunked_reads_fill_each_chunk() {
        // A reader that hands out one byte per call, like a slow pipe.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match (self.0.split_first(), buf.first_mut()) {
                    (Some((&b, rest)), Some(slot)) => {
                        *slot = b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let mut input = Trickle(b"abcdefg");
        let mut buf = [0; 3];
        assert_eq!(read_full(&mut input, &mut buf).unwrap(), 3);
        assert_eq!(&buf, b"abc");
        assert_eq!(read_full(&mut input, &mut buf).unwrap(), 3);
        assert_eq!(read_full(&mut input, &mut buf).unwrap(), 1);
        assert_eq!(buf[0], b'g');
        assert_eq!(read_full(&mut input, &mut buf).unwrap(), 0);
    }

    #[test]
    fn stream_ends_with_done_and_format() {
        let out = run_args(&["--stream", "--chunk", "5"], CALL).unwrap();
        let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        assert_eq!(last, json!({"event": "done", "format": "hermes"}));
    }

    #[test]
    fn model_hint_needs_auto() {
        let err = run_args(&["--format", "hermes", "--model", "qwen"], CALL).unwrap_err();
        assert!(matches!(err, CliError::Usage(_)), "{err:?}");
        assert!(run_args(&["--model", "Qwen/Qwen2.5-7B"], CALL).is_ok());
    }
}
