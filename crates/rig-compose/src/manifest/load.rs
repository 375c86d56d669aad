//! Loading an [`AgentManifest`] from text or a file, within fixed limits.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::Deserialize;

use super::error::{ManifestError, ManifestLimit, ManifestLimitExceeded, SourceLocation};
use super::guard::{Budget, Limits, Metered};
use super::prescan;
use super::spec::AgentManifest;

/// Largest accepted input, in bytes (1 MiB). Checked before parsing starts;
/// files are never read past this point.
pub const MAX_MANIFEST_BYTES: usize = 1 << 20;

/// Deepest accepted nesting of collections (mappings, sequences, enum
/// bodies). The manifest schema itself needs about five levels; the rest is
/// headroom for free-form `metadata` and schemas. Bounding depth bounds the
/// parser's recursion, so hostile nesting cannot exhaust the stack.
pub const MAX_MANIFEST_DEPTH: usize = 64;

/// Most values (scalars and collections) a document may produce, counting
/// each use of a YAML alias as a full copy. Set equal to
/// [`MAX_MANIFEST_BYTES`]: an alias-free document cannot produce more values
/// than it has bytes, so only alias expansion can reach it.
pub const MAX_MANIFEST_VALUES: usize = MAX_MANIFEST_BYTES;

/// Most string bytes a document may produce, counting each use of a YAML
/// alias as a full copy. Escapes can make text at most 1.5× longer than its
/// source, so this (4× [`MAX_MANIFEST_BYTES`]) is only reached by alias
/// expansion ("billion laughs").
pub const MAX_MANIFEST_EXPANDED_BYTES: usize = 4 * MAX_MANIFEST_BYTES;

/// The budget every public loader uses.
const DEFAULT_LIMITS: Limits = Limits {
    depth: MAX_MANIFEST_DEPTH,
    values: MAX_MANIFEST_VALUES,
    text_bytes: MAX_MANIFEST_EXPANDED_BYTES,
};

impl AgentManifest {
    /// Parse a manifest from YAML. JSON is accepted too, as YAML is (nearly)
    /// a superset of it.
    ///
    /// Syntax and schema errors are [`ManifestError::Yaml`]. Input over the
    /// [limits](super#limits) is [`ManifestError::Io`] carrying a
    /// [`ManifestLimitExceeded`] (see [`ManifestError::limit_exceeded`]).
    /// Both report the line and column.
    pub fn from_yaml(s: &str) -> Result<Self, ManifestError> {
        parse_yaml(s, MAX_MANIFEST_BYTES, DEFAULT_LIMITS)
    }

    /// Parse a manifest from strict JSON, with the same limits as
    /// [`from_yaml`](Self::from_yaml).
    ///
    /// Every failure is [`ManifestError::Io`], as rig-compose 0.5.0 has no
    /// JSON variant: syntax and schema errors carry the
    /// [`serde_json::Error`] (see [`ManifestError::json_error`]), limit
    /// violations a [`ManifestLimitExceeded`]. JSON goes through
    /// `serde_json` rather than the YAML parser so that YAML-only syntax is
    /// refused.
    pub fn from_json(s: &str) -> Result<Self, ManifestError> {
        parse_json(s, MAX_MANIFEST_BYTES, DEFAULT_LIMITS)
    }

    /// Read a manifest file (YAML or JSON) and parse it with
    /// [`from_yaml`](Self::from_yaml). At most [`MAX_MANIFEST_BYTES`] + 1
    /// bytes are read. I/O failures, including text that is not UTF-8, are
    /// [`ManifestError::Io`] naming the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let text = read_bounded(path.as_ref(), MAX_MANIFEST_BYTES)?;
        Self::from_yaml(&text)
    }
}

pub(super) fn parse_yaml(
    text: &str,
    max_bytes: usize,
    limits: Limits,
) -> Result<AgentManifest, ManifestError> {
    check_size(text.as_bytes(), max_bytes)?;
    // libyaml's cost grows with flow nesting, so bound that before it runs.
    prescan::check_flow_depth(text, limits.depth).map_err(|too_deep| {
        ManifestError::from(ManifestLimitExceeded {
            limit: ManifestLimit::Depth { max: limits.depth },
            location: Some(too_deep.at),
        })
    })?;
    let budget = Budget::new(limits);
    let parsed = AgentManifest::deserialize(Metered::new(
        serde_norway::Deserializer::from_str(text),
        &budget,
    ));
    settle(parsed, &budget, yaml_location, ManifestError::Yaml)
}

pub(super) fn parse_json(
    text: &str,
    max_bytes: usize,
    limits: Limits,
) -> Result<AgentManifest, ManifestError> {
    check_size(text.as_bytes(), max_bytes)?;
    let budget = Budget::new(limits);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = AgentManifest::deserialize(Metered::new(&mut de, &budget))
        .and_then(|manifest| de.end().map(|()| manifest));
    settle(parsed, &budget, json_location, json_failure)
}

/// Turn a parse result into the public error type, preferring a tripped
/// limit over whatever error the format produced for it.
fn settle<E>(
    parsed: Result<AgentManifest, E>,
    budget: &Budget,
    locate: fn(&E) -> Option<SourceLocation>,
    wrap: fn(E) -> ManifestError,
) -> Result<AgentManifest, ManifestError> {
    match (parsed, budget.exceeded()) {
        (Ok(manifest), None) => Ok(manifest),
        (Err(error), None) => Err(wrap(error)),
        // A limit error someone swallowed still rejects the input.
        (parsed, Some(limit)) => Err(ManifestError::from(ManifestLimitExceeded {
            limit,
            location: parsed.err().as_ref().and_then(locate),
        })),
    }
}

/// JSON failures ride in [`ManifestError::Io`]; serde_json's conversion
/// keeps the error itself as the inner error (kind `InvalidData`, or
/// `UnexpectedEof` for truncated input), so `json_error` can recover it.
fn json_failure(error: serde_json::Error) -> ManifestError {
    ManifestError::Io(io::Error::from(error))
}

fn yaml_location(error: &serde_norway::Error) -> Option<SourceLocation> {
    error.location().map(|at| SourceLocation {
        line: at.line(),
        column: at.column(),
        offset: Some(at.index()),
    })
}

fn json_location(error: &serde_json::Error) -> Option<SourceLocation> {
    // serde_json reports line 0 when the error has no position.
    (error.line() > 0).then(|| SourceLocation {
        line: error.line(),
        column: error.column(),
        offset: None,
    })
}

fn check_size(input: &[u8], max_bytes: usize) -> Result<(), ManifestError> {
    if input.len() <= max_bytes {
        return Ok(());
    }
    Err(ManifestError::from(ManifestLimitExceeded {
        limit: ManifestLimit::InputBytes { max: max_bytes },
        location: Some(locate(input, max_bytes)),
    }))
}

/// Line and column of byte `offset` in `input`, for reporting where the
/// size limit was crossed.
fn locate(input: &[u8], offset: usize) -> SourceLocation {
    let before = input.get(..offset).unwrap_or(input);
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i.saturating_add(1));
    let line_text = before.get(line_start..).unwrap_or_default();
    SourceLocation {
        line: before
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            .saturating_add(1),
        column: String::from_utf8_lossy(line_text)
            .chars()
            .count()
            .saturating_add(1),
        offset: Some(offset),
    }
}

fn read_bounded(path: &Path, max_bytes: usize) -> Result<String, ManifestError> {
    let named =
        |error: io::Error| io::Error::new(error.kind(), format!("{}: {error}", path.display()));
    let file = File::open(path).map_err(named)?;
    // Read one byte past the limit so an oversized file is detected without
    // trusting its reported length (pipes and device files have none).
    let cap = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    file.take(cap).read_to_end(&mut bytes).map_err(named)?;
    check_size(&bytes, max_bytes)?;
    String::from_utf8(bytes).map_err(|error| {
        let at = error.utf8_error().valid_up_to();
        ManifestError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not valid UTF-8 at byte {at}", path.display()),
        ))
    })
}
