//! The [`ToolCallFormat`] trait: how one model family writes tool calls
//! into its text.
//!
//! A format only answers local questions: which markers open a call region,
//! where a region that starts here ends, and which calls a finished region
//! holds. The driver in [`segment`](super::segment) does the rest (finding
//! markers, separating reasoning, holding back split markers while
//! streaming), the same way for every format. Because whole-text parsing
//! and streaming run that one driver, they cannot disagree.

use std::fmt;

use serde_json::Value;

use super::ToolInvocation;
use super::error::NormalizeError;
use super::segment::RegionOutput;
use super::typing::SchemaSet;

/// What a format says about a region that starts at an opener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionScan {
    /// The region is complete and is this many bytes long (opener
    /// included).
    Complete(usize),
    /// The text so far could still become a region; wait for more. At the
    /// end of the output this becomes [`NormalizeError::Incomplete`].
    NeedMore,
    /// What follows the opener is not a call; the opener is plain text.
    NotACall,
}

/// Where a region begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionStart {
    /// At one of the format's [`openers`](ToolCallFormat::openers) (its
    /// index in that list).
    Opener(usize),
    /// At the first non-whitespace byte of the visible output, for formats
    /// whose calls may come without any marker (see
    /// [`ToolCallFormat::bare_at_start`]).
    OutputStart,
}

/// What to do with call markers found inside reasoning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasoningCalls {
    /// Leave them in the reasoning text. Models that think *about* calls
    /// write call syntax they do not mean to run.
    #[default]
    Ignore,
    /// Parse and report them: the family really calls tools while thinking
    /// (Kimi K2).
    Parse,
}

/// A pair of literal tags around reasoning text, such as `<think>` and
/// `</think>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasoningTags {
    /// Opening tag.
    pub open: &'static str,
    /// Closing tag.
    pub close: &'static str,
}

/// The `<think>` … `</think>` pair most open models use.
pub const THINK_TAGS: ReasoningTags = ReasoningTags {
    open: "<think>",
    close: "</think>",
};

/// One call found in a region.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCall {
    /// The call, with a validated tool name.
    pub invocation: ToolInvocation,
    /// The call id the model wrote, if the format has ids (Kimi K2
    /// `functions.f:0`, Cohere `tool_call_id`, Mistral `[CALL_ID]`, ...).
    pub id: Option<String>,
}

/// What has been written of a call whose region is not finished yet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartialCall {
    /// The tool name, once it has been written completely.
    pub name: Option<String>,
    /// The call id, once written.
    pub id: Option<String>,
    /// The argument text written so far, as the model wrote it.
    pub arguments: String,
}

/// A problem that did not stop a call from being reported.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NormalizeWarning {
    /// A text value could not be converted to the type its schema asks for,
    /// so it was kept as the string the model wrote.
    UntypedValue {
        /// The tool.
        tool: String,
        /// The argument.
        argument: String,
        /// The JSON Schema type it should have had (e.g. `integer`).
        expected: String,
        /// Byte offset of the value in the output.
        offset: usize,
    },
    /// A tool name is another name written twice (`readread`); the model
    /// probably repeated itself.
    RepeatedName {
        /// The name as written.
        name: String,
        /// Byte offset of the call region.
        offset: usize,
    },
}

/// Per-parse state handed to [`ToolCallFormat::parse`]: the argument
/// schemas for typing, and where calls, text, reasoning and warnings go.
pub struct ParseCx<'s> {
    pub(crate) schemas: Option<&'s SchemaSet>,
    pub(crate) calls: Vec<ParsedCall>,
    pub(crate) text: String,
    pub(crate) reasoning: String,
    pub(crate) warnings: Vec<NormalizeWarning>,
    /// Offset of the region in the whole output, for warnings.
    pub(crate) base: usize,
}

impl<'s> ParseCx<'s> {
    pub(crate) fn new(schemas: Option<&'s SchemaSet>, base: usize) -> Self {
        Self {
            schemas,
            calls: Vec::new(),
            text: String::new(),
            reasoning: String::new(),
            warnings: Vec::new(),
            base,
        }
    }

    /// A standalone context (for format unit tests and tools that parse
    /// one region by hand).
    pub fn detached(schemas: Option<&'s SchemaSet>) -> Self {
        Self::new(schemas, 0)
    }

    /// The JSON Schema of `tool`'s arguments, when one was supplied.
    pub fn schema(&self, tool: &str) -> Option<&'s Value> {
        self.schemas.and_then(|set| set.args_schema(tool))
    }

    /// Report a call.
    pub fn call(&mut self, invocation: ToolInvocation, id: Option<String>) {
        self.calls.push(ParsedCall { invocation, id });
    }

    /// Report text inside a region that is really plain output (Harmony
    /// `final` messages, Functionary `all` blocks).
    pub fn text(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Report reasoning text found inside a region (Harmony `analysis`).
    pub fn reasoning(&mut self, text: &str) {
        self.reasoning.push_str(text);
    }

    /// Record a warning; `offset` is relative to the region.
    pub fn warn(&mut self, mut warning: NormalizeWarning) {
        match &mut warning {
            NormalizeWarning::UntypedValue { offset, .. }
            | NormalizeWarning::RepeatedName { offset, .. } => *offset += self.base,
        }
        self.warnings.push(warning);
    }

    /// Everything reported, as the driver hands it on.
    pub(crate) fn into_output(self, format: &'static str) -> RegionOutput {
        RegionOutput {
            calls: self.calls,
            text: self.text,
            reasoning: self.reasoning,
            warnings: self.warnings,
            format,
        }
    }

    /// The calls reported so far.
    pub fn calls(&self) -> &[ParsedCall] {
        &self.calls
    }

    /// The warnings recorded so far.
    pub fn warnings(&self) -> &[NormalizeWarning] {
        &self.warnings
    }
}

impl fmt::Debug for ParseCx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseCx")
            .field("calls", &self.calls)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// How one model family writes tool calls into its text.
///
/// Implementations describe their syntax; [`TextNormalizer`](super::TextNormalizer)
/// and [`StreamingNormalizer`](super::StreamingNormalizer) drive them. All
/// formats shipped with the crate are listed by
/// [`formats()`](super::formats) and found by name or alias with
/// [`format_by_name`](super::format_by_name).
///
/// # Contract
///
/// * [`scan`](Self::scan) is *monotone*: once it says `Complete(n)` or
///   `NotACall` for some text, it says the same for any longer text with
///   the same beginning, and `at_eof` only turns `NeedMore` into an answer.
///   This is what makes streamed and whole-text results equal.
/// * `scan` is cheap (no allocation, one pass); [`parse`](Self::parse) does
///   the real work, once per region.
/// * Offsets in errors are relative to the region; the driver rebases them.
/// * Nothing panics, and nesting is bounded by
///   [`MAX_NESTING_DEPTH`](super::limits::MAX_NESTING_DEPTH).
///
/// ```
/// use rig_compose::normalizer::{format_by_name, TextNormalizer};
///
/// let hermes = format_by_name("qwen25").unwrap(); // SGLang's name for it
/// assert_eq!(hermes.name(), "hermes");
/// let out = TextNormalizer::new(hermes)
///     .normalize_text("On it.<tool_call>{\"name\": \"ping\", \"arguments\": {}}</tool_call>")
///     .unwrap();
/// assert_eq!(out.text, "On it.");
/// assert_eq!(out.calls[0].invocation.name, "ping");
/// ```
pub trait ToolCallFormat: Send + Sync + fmt::Debug {
    /// Canonical name, e.g. `hermes`.
    fn name(&self) -> &'static str;

    /// Other names this format goes by: the parser names vLLM and SGLang
    /// use for it.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// One-line description of the syntax, for tables and `--help`.
    fn describe(&self) -> &'static str;

    /// Literal markers that may open a call region, most specific first.
    fn openers(&self) -> &'static [&'static str];

    /// Whether a call may also start, without a marker, at the first
    /// non-whitespace byte of the visible output (bare JSON or pythonic
    /// lists). Such calls are never looked for later in the text, which is
    /// what keeps JSON in prose from becoming a call.
    fn bare_at_start(&self) -> bool {
        false
    }

    /// Tags around this family's reasoning text.
    fn reasoning_tags(&self) -> &'static [ReasoningTags] {
        &[THINK_TAGS]
    }

    /// Whether calls inside reasoning are real for this family.
    fn reasoning_calls(&self) -> ReasoningCalls {
        ReasoningCalls::Ignore
    }

    /// Bytes whose arrival can complete an unfinished region (the last
    /// bytes of closing markers, closing brackets). While streaming, a
    /// pending region is only re-scanned when one of them arrives.
    fn end_bytes(&self) -> &'static [u8];

    /// Literal markers one of which has always fully arrived when an
    /// unfinished region becomes complete (its closing tags). When a format
    /// lists them, streaming re-scans a pending region only when one
    /// arrives, rather than on every [`end_bytes`](Self::end_bytes) byte,
    /// so values full of `>` or `}` do not cost a re-scan each. Empty (the
    /// default) means the end bytes decide. The end of the output is always
    /// scanned, so a region completed some other way there is still found.
    fn end_markers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Where the region at the start of `text` ends. `text` begins at the
    /// opener (or at the output start, see [`RegionStart`]) and runs to
    /// the end of what is known; `at_eof` says nothing more will come.
    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan;

    /// Parse a region that [`scan`](Self::scan) reported complete,
    /// reporting its calls (and any text or reasoning inside it) to `cx`.
    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError>;

    /// Optional one-pass route: find where the region at the start of
    /// `text` ends *and* parse it, in one walk. The driver offers it at the
    /// end of the output and, while streaming, when a closing marker of a
    /// waiting region arrives.
    ///
    /// Returning `Some(len)` promises exactly what
    /// `scan(text, start, at_eof) == Complete(len)` followed by `parse` of
    /// `&text[..len]` would have given, including reporting the same calls,
    /// text and warnings to `cx`; so without `at_eof` it must answer `None`
    /// wherever more text could still change the region. `None` (the default) sends the driver the
    /// ordinary way with a fresh `cx`, so a format can answer `None` on any
    /// input it is not sure about, errors included.
    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        let _ = (text, start, at_eof, cx);
        None
    }

    /// What has been written of the calls of an unfinished region, in
    /// order. Used for streaming `CallStarted`/`ArgumentsDelta` events and
    /// for [`NormalizeError::Incomplete`]. The default knows nothing.
    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        let _ = (region, start);
        Vec::new()
    }
}

/// Shipped formats are statics; a reference to one is a format too, so
/// `TextNormalizer::new(format_by_name("hermes")?)` works.
impl<T: ToolCallFormat + ?Sized> ToolCallFormat for &T {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn aliases(&self) -> &'static [&'static str] {
        (**self).aliases()
    }
    fn describe(&self) -> &'static str {
        (**self).describe()
    }
    fn openers(&self) -> &'static [&'static str] {
        (**self).openers()
    }
    fn bare_at_start(&self) -> bool {
        (**self).bare_at_start()
    }
    fn reasoning_tags(&self) -> &'static [ReasoningTags] {
        (**self).reasoning_tags()
    }
    fn reasoning_calls(&self) -> ReasoningCalls {
        (**self).reasoning_calls()
    }
    fn end_bytes(&self) -> &'static [u8] {
        (**self).end_bytes()
    }
    fn end_markers(&self) -> &'static [&'static str] {
        (**self).end_markers()
    }
    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        (**self).scan(text, start, at_eof)
    }
    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        (**self).parse(region, start, cx)
    }
    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        (**self).scan_parse(text, start, at_eof, cx)
    }
    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        (**self).partial(region, start)
    }
}
