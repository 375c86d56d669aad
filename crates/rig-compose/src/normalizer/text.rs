//! [`TextNormalizer`]: model text in, calls, text and reasoning out.

use std::fmt;
use std::sync::Arc;

use super::ToolInvocation;
use super::error::NormalizeError;
use super::format::{NormalizeWarning, ParsedCall, ReasoningCalls, ToolCallFormat};
use super::segment::{Options, Prepared, RegionOutput, Segmenter, Sink};
use super::stream::StreamingNormalizer;
use super::traits::ToolCallNormalizer;
use super::typing::SchemaSet;
use crate::registry::KernelError;

/// Everything a model output contained, separated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Normalized {
    /// The tool calls, in order, with the ids the model wrote.
    pub calls: Vec<ParsedCall>,
    /// The visible text with every call region and reasoning block taken
    /// out (nothing else is changed, whitespace included).
    pub text: String,
    /// The reasoning text, without its tags.
    pub reasoning: String,
    /// Problems that did not stop any call (values kept as strings, ...).
    pub warnings: Vec<NormalizeWarning>,
    /// Canonical name of the format the calls were written in, when any
    /// region was found (useful with auto-detection).
    pub format: Option<&'static str>,
}

impl Normalized {
    /// The calls as plain invocations, ready for
    /// [`dispatch_tool_invocations`](super::dispatch_tool_invocations).
    pub fn invocations(&self) -> Vec<ToolInvocation> {
        self.calls.iter().map(|c| c.invocation.clone()).collect()
    }

    /// Fold one region's output in.
    pub(crate) fn absorb(&mut self, region: RegionOutput) {
        // The first region's vectors are taken over rather than copied.
        if self.calls.is_empty() {
            self.calls = region.calls;
        } else {
            self.calls.extend(region.calls);
        }
        self.text.push_str(&region.text);
        self.reasoning.push_str(&region.reasoning);
        if self.warnings.is_empty() {
            self.warnings = region.warnings;
        } else {
            self.warnings.extend(region.warnings);
        }
        self.format.get_or_insert(region.format);
    }
}

/// The most [`Collect`] reserves up front for text or reasoning.
const TEXT_RESERVE_LIMIT: usize = 4096;

/// Collects a whole-text run into [`Normalized`].
struct Collect<'a> {
    out: Normalized,
    /// The output being normalized.
    raw: &'a str,
}

impl Collect<'_> {
    /// Size `buffer` before `piece` first goes in, so text assembled from
    /// many pieces is not copied on every growth.
    fn size_for(buffer: &mut String, piece: &str, raw: &str) {
        if buffer.capacity() == 0 && !piece.is_empty() {
            // Text and reasoning are taken out of the output, so it bounds
            // them; past a few KiB doubling is cheap enough, and a large
            // output that is mostly call arguments should not leave a
            // large empty buffer behind.
            buffer.reserve(raw.len().min(TEXT_RESERVE_LIMIT));
        }
    }
}

impl Sink for Collect<'_> {
    fn text(&mut self, text: &str) {
        Self::size_for(&mut self.out.text, text, self.raw);
        self.out.text.push_str(text);
    }

    fn reasoning(&mut self, text: &str) {
        Self::size_for(&mut self.out.reasoning, text, self.raw);
        self.out.reasoning.push_str(text);
    }

    fn region(&mut self, region: RegionOutput) {
        Self::size_for(&mut self.out.text, &region.text, self.raw);
        Self::size_for(&mut self.out.reasoning, &region.reasoning, self.raw);
        self.out.absorb(region);
    }
}

/// Normalizes the text output of one model family (or, with
/// [`auto`](Self::auto), whichever family wrote it).
///
/// Cheap to clone; configure once and share. Implements the 0.5
/// [`ToolCallNormalizer`] trait, so it drops into code written for
/// [`LfmNormalizer`](super::LfmNormalizer).
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, format_by_name};
/// use serde_json::json;
///
/// let kimi = TextNormalizer::new(format_by_name("kimi_k2").unwrap());
/// let out = kimi.normalize_text(
///     "<think>Need the weather.</think>\
///      <|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0\
///      <|tool_call_argument_begin|>{\"city\": \"Paris\"}<|tool_call_end|>\
///      <|tool_calls_section_end|>",
/// ).unwrap();
/// assert_eq!(out.reasoning, "Need the weather.");
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "Paris"}));
/// assert_eq!(out.calls[0].id.as_deref(), Some("functions.get_weather:0"));
/// ```
///
/// Auto-detection, with an optional model-name hint:
///
/// ```
/// use rig_compose::normalizer::TextNormalizer;
///
/// let auto = TextNormalizer::auto();
/// let out = auto
///     .normalize_text("[TOOL_CALLS]add{\"a\": 3.5, \"b\": 4}")
///     .unwrap();
/// assert_eq!(out.format, Some("mistral"));
/// assert_eq!(out.calls[0].invocation.name, "add");
///
/// // JSON in prose is never a call.
/// let prose = auto
///     .normalize_text("Use {\"name\": \"rm\", \"arguments\": {}} to delete.")
///     .unwrap();
/// assert!(prose.calls.is_empty());
///
/// let hinted = TextNormalizer::auto_for_model("Qwen/Qwen3-Coder-30B-A3B-Instruct");
/// assert_eq!(hinted.preferred_format(), Some("qwen3_coder"));
/// ```
#[derive(Clone)]
pub struct TextNormalizer {
    options: Options,
    /// The options with their marker sets built, shared by every run.
    prepared: Arc<Prepared>,
    /// The format a model hint put first, for [`Self::preferred_format`].
    hint: Option<&'static str>,
}

impl TextNormalizer {
    /// A normalizer for one format.
    pub fn new(format: impl ToolCallFormat + 'static) -> Self {
        Self::from_candidates(vec![Arc::new(format)], false)
    }

    /// A normalizer for a shared format object.
    pub fn from_arc(format: Arc<dyn ToolCallFormat>) -> Self {
        Self::from_candidates(vec![format], false)
    }

    /// A normalizer that detects the format from the output: the first
    /// region some format completes decides it for the rest of the output.
    /// Bare (markerless) calls count only when they are the whole output,
    /// so JSON in prose never becomes a call.
    pub fn auto() -> Self {
        Self::from_candidates(super::catalog::auto_candidates(None), true)
    }

    /// Like [`auto`](Self::auto), trying the format that `model` (a model
    /// name or path such as `deepseek-ai/DeepSeek-V3.1`) is known to use
    /// first, and using its reasoning conventions.
    pub fn auto_for_model(model: &str) -> Self {
        let hint = super::catalog::format_for_model(model);
        let mut this = Self::from_candidates(super::catalog::auto_candidates(hint), true);
        this.hint = hint.map(|format| format.name());
        this
    }

    fn from_candidates(candidates: Vec<Arc<dyn ToolCallFormat>>, strict_bare: bool) -> Self {
        let options = Options {
            candidates,
            reasoning_calls: None,
            schemas: None,
            starts_in_reasoning: false,
            strict_bare,
            one_pass: true,
        };
        Self {
            prepared: Arc::new(Prepared::new(options.clone())),
            options,
            hint: None,
        }
    }

    /// Rebuild the prepared marker sets after an option changed.
    fn prepare(mut self) -> Self {
        self.prepared = Arc::new(Prepared::new(self.options.clone()));
        self
    }

    /// Type the text values of XML-style formats with these argument
    /// schemas.
    #[must_use]
    pub fn with_schemas(mut self, schemas: SchemaSet) -> Self {
        self.options.schemas = Some(Arc::new(schemas));
        self.prepare()
    }

    /// Override the format's policy for calls found inside reasoning.
    #[must_use]
    pub fn with_reasoning_calls(mut self, policy: ReasoningCalls) -> Self {
        self.options.reasoning_calls = Some(policy);
        self.prepare()
    }

    /// Treat the output as starting inside reasoning: the chat template
    /// already wrote the opening tag (DeepSeek-R1, Qwen3 thinking
    /// templates), so everything up to the closing tag is reasoning.
    #[must_use]
    pub fn starting_in_reasoning(mut self, yes: bool) -> Self {
        self.options.starts_in_reasoning = yes;
        self.prepare()
    }

    /// Whether whole-text normalization may use the formats' one-pass
    /// [`scan_parse`](ToolCallFormat::scan_parse) shortcut (the default).
    /// The result is the same either way, only slower without it; turning
    /// it off lets a format's tests check the shortcut against its
    /// `scan` + `parse`.
    ///
    /// ```
    /// use rig_compose::normalizer::{TextNormalizer, format_by_name};
    ///
    /// let hermes = TextNormalizer::new(format_by_name("hermes").unwrap());
    /// let output = "<tool_call>{\"name\": \"ping\", \"arguments\": {}}</tool_call>";
    /// assert_eq!(
    ///     hermes.normalize_text(output).unwrap(),
    ///     hermes.clone().one_pass(false).normalize_text(output).unwrap(),
    /// );
    /// ```
    #[must_use]
    pub fn one_pass(mut self, yes: bool) -> Self {
        self.options.one_pass = yes;
        self.prepare()
    }

    /// Canonical name of the fixed format, or of the format tried first by
    /// an auto normalizer with a recognised model hint.
    pub fn preferred_format(&self) -> Option<&'static str> {
        match self.options.candidates.as_slice() {
            [only] if !self.options.strict_bare => Some(only.name()),
            _ => self.hint,
        }
    }

    /// Separate `raw` into calls, visible text and reasoning.
    ///
    /// An output that ends inside a call is
    /// [`NormalizeError::Incomplete`], never a call.
    pub fn normalize_text(&self, raw: &str) -> Result<Normalized, NormalizeError> {
        let mut segmenter = Segmenter::new(Arc::clone(&self.prepared));
        let mut sink = Collect {
            out: Normalized::default(),
            raw,
        };
        segmenter.advance(raw, 0, 0, true, &mut sink)?;
        Ok(sink.out)
    }

    /// A streaming normalizer with this configuration.
    pub fn stream(&self) -> StreamingNormalizer {
        StreamingNormalizer::new(Segmenter::new(Arc::clone(&self.prepared)))
    }
}

impl fmt::Debug for TextNormalizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.options.candidates.iter().map(|c| c.name()).collect();
        f.debug_struct("TextNormalizer")
            .field("formats", &names)
            .field("reasoning_calls", &self.options.reasoning_calls)
            .field("schemas", &self.options.schemas.as_ref().map(|s| s.len()))
            .field("starts_in_reasoning", &self.options.starts_in_reasoning)
            .finish()
    }
}

impl ToolCallNormalizer for TextNormalizer {
    fn normalize(&self, raw: &str) -> Result<Vec<ToolInvocation>, KernelError> {
        Ok(self.normalize_text(raw)?.invocations())
    }

    /// Cheap: whether any candidate's opener occurs, or a candidate with
    /// bare calls sees non-blank output.
    fn is_applicable(&self, raw: &str) -> bool {
        let nonblank = !raw.trim().is_empty();
        self.options.candidates.iter().any(|format| {
            (format.bare_at_start() && nonblank)
                || format.openers().iter().any(|opener| raw.contains(opener))
        })
    }
}
