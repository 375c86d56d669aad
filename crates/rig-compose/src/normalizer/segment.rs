//! The one driver behind whole-text and streaming normalization.
//!
//! [`Segmenter`] walks model output left to right and cuts it into plain
//! text, reasoning text and call regions, asking the format only local
//! questions (see [`ToolCallFormat`]). It works on "everything known so
//! far" plus an end-of-output flag and stops, without consuming, wherever
//! the answer depends on bytes not yet seen: an unfinished marker, an
//! unfinished region, an undecided output start. Whole-text parsing is one
//! call with the flag set; streaming calls it again as bytes arrive. Since
//! every decision is taken on the same bytes either way, the two agree.
//!
//! With several candidate formats (auto-detection) the first region that a
//! candidate completes locks the format for the rest of the output.

use std::sync::Arc;

use super::error::NormalizeError;
use super::format::{
    NormalizeWarning, ParseCx, ParsedCall, PartialCall, ReasoningCalls, RegionScan, RegionStart,
    ToolCallFormat,
};
use super::limits::MAX_INPUT_BYTES;
use super::markers::{Found, MarkerKind, MarkerSet};
use super::typing::SchemaSet;

/// Where segmented output goes.
pub(crate) trait Sink {
    /// Plain visible text.
    fn text(&mut self, text: &str);
    /// Reasoning text.
    fn reasoning(&mut self, text: &str);
    /// A finished region: its calls, and any text, reasoning or warnings
    /// the format found inside it.
    fn region(&mut self, region: RegionOutput);
    /// An unfinished region grew; `partial` is what the format can tell of
    /// its calls so far.
    fn pending(&mut self, partial: Vec<PartialCall>) {
        let _ = partial;
    }
    /// Whether [`pending`](Self::pending) would use a partial reading of an
    /// unfinished region now; when not, the driver skips computing it.
    fn wants_partial(&self) -> bool {
        false
    }
    /// Whether [`pending`](Self::pending) would send anything for
    /// `partial` (a re-scan that cannot complete the region stops short
    /// when not).
    fn has_news(&self, partial: &[PartialCall]) -> bool {
        !partial.is_empty()
    }
    /// A region that was pending turned out not to be a call after all.
    fn discard_pending(&mut self) {}
    /// Whether calls of the region in progress were announced, so that the
    /// rest of their argument text should be sent before they finish.
    fn announced(&self) -> bool {
        false
    }
}

/// What one finished region produced.
#[derive(Debug)]
pub(crate) struct RegionOutput {
    pub(crate) calls: Vec<ParsedCall>,
    pub(crate) text: String,
    pub(crate) reasoning: String,
    pub(crate) warnings: Vec<NormalizeWarning>,
    /// Canonical name of the format that parsed it.
    pub(crate) format: &'static str,
}

/// Options shared by every run over one output.
#[derive(Clone)]
pub(crate) struct Options {
    /// Candidate formats, in priority order. One entry means a fixed format.
    pub(crate) candidates: Vec<Arc<dyn ToolCallFormat>>,
    /// Overrides each format's own policy for calls inside reasoning.
    pub(crate) reasoning_calls: Option<ReasoningCalls>,
    /// Argument schemas for typing.
    pub(crate) schemas: Option<Arc<SchemaSet>>,
    /// The output begins inside reasoning (the chat template already
    /// wrote the opening tag).
    pub(crate) starts_in_reasoning: bool,
    /// Auto-detection: bare calls at the output start count only when
    /// nothing but whitespace follows them.
    pub(crate) strict_bare: bool,
    /// Use the formats' one-pass whole-text shortcut.
    pub(crate) one_pass: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Visible,
    Reasoning { close: &'static str },
}

/// The markers to look for while some set of candidates is active.
struct Markers {
    visible: MarkerSet,
    /// Per reasoning closing tag: that tag, plus the openers of formats
    /// whose calls inside reasoning are real.
    reasoning: Vec<(&'static str, MarkerSet)>,
    /// When bytes arriving can complete a region of the active candidates.
    ends: EndCheck,
    any_bare: bool,
}

impl Markers {
    /// Markers of every candidate, or of `only` that one.
    fn build(options: &Options, only: Option<usize>) -> Self {
        let active: Vec<(usize, &Arc<dyn ToolCallFormat>)> = options
            .candidates
            .iter()
            .enumerate()
            .filter(|(i, _)| only.is_none_or(|o| o == *i))
            .collect();
        let opener = |candidate, opener| MarkerKind::Opener { candidate, opener };
        let mut visible = Vec::new();
        let mut closes: Vec<&'static str> = Vec::new();
        for (i, format) in &active {
            for (j, marker) in format.openers().iter().enumerate() {
                visible.push((*marker, opener(*i, j)));
            }
            for tags in format.reasoning_tags() {
                visible.push((tags.open, MarkerKind::ReasoningOpen { close: tags.close }));
                if !closes.contains(&tags.close) {
                    closes.push(tags.close);
                }
            }
        }
        let reasoning = closes
            .into_iter()
            .map(|close| {
                let mut markers = vec![(close, MarkerKind::ReasoningClose)];
                for (i, format) in &active {
                    if options.policy(format.as_ref()) == ReasoningCalls::Parse {
                        for (j, marker) in format.openers().iter().enumerate() {
                            markers.push((*marker, opener(*i, j)));
                        }
                    }
                }
                (close, MarkerSet::new(markers))
            })
            .collect();
        Self {
            visible: MarkerSet::new(visible),
            reasoning,
            ends: EndCheck::new(active.iter().map(|(_, f)| f.as_ref())),
            any_bare: active.iter().any(|(_, f)| f.bare_at_start()),
        }
    }
}

/// Closing markers, looked up by their last byte: a marker that completes
/// a region ends in the bytes that just arrived, so only those positions
/// holding a last byte need a comparison.
struct EndMarkers {
    markers: Vec<&'static str>,
    /// The distinct last bytes of `markers`.
    last_bytes: Vec<u8>,
    /// `is_last[b]`: whether some marker ends with byte `b`.
    is_last: [bool; 256],
}

impl EndMarkers {
    fn new(markers: impl IntoIterator<Item = &'static str>) -> Self {
        let markers: Vec<&'static str> = markers.into_iter().filter(|m| !m.is_empty()).collect();
        let mut last_bytes = Vec::new();
        let mut is_last = [false; 256];
        for m in &markers {
            if let Some(&b) = m.as_bytes().last()
                && let Some(slot) = is_last.get_mut(usize::from(b))
                && !*slot
            {
                *slot = true;
                last_bytes.push(b);
            }
        }
        Self {
            markers,
            last_bytes,
            is_last,
        }
    }

    /// Whether one of the markers ends at or after byte `from` of `text`.
    fn ends_after(&self, text: &str, from: usize) -> bool {
        let bytes = text.as_bytes();
        let ends_at = |end: usize| {
            let upto = bytes.get(..=end).unwrap_or_default();
            self.markers.iter().any(|m| upto.ends_with(m.as_bytes()))
        };
        let mut at = from;
        loop {
            let hay = bytes.get(at..).unwrap_or_default();
            let hit = match *self.last_bytes.as_slice() {
                [] => None,
                // A streamed chunk is often a few bytes: a plain loop beats
                // setting up a vectorized search.
                _ if hay.len() < 32 => hay
                    .iter()
                    .position(|&b| self.is_last.get(usize::from(b)).copied().unwrap_or(false)),
                [a] => memchr::memchr(a, hay),
                [a, b] => memchr::memchr2(a, b, hay),
                [a, b, c] => memchr::memchr3(a, b, c, hay),
                ref many => hay.iter().position(|b| many.contains(b)),
            };
            let Some(hit) = hit else { return false };
            if ends_at(at + hit) {
                return true;
            }
            at += hit + 1;
        }
    }
}

/// Whether text that arrived can have completed a pending region of some
/// set of formats: their closing markers when every one lists them, else
/// their end bytes.
enum EndCheck {
    Markers(EndMarkers),
    Bytes([bool; 256]),
}

impl EndCheck {
    fn new<'f>(formats: impl Iterator<Item = &'f dyn ToolCallFormat> + Clone) -> Self {
        if formats.clone().all(|f| !f.end_markers().is_empty()) {
            return Self::Markers(EndMarkers::new(
                formats.flat_map(|f| f.end_markers().iter().copied()),
            ));
        }
        let mut table = [false; 256];
        for &b in formats.flat_map(|f| f.end_bytes().iter()) {
            if let Some(slot) = table.get_mut(usize::from(b)) {
                *slot = true;
            }
        }
        Self::Bytes(table)
    }

    /// See [`Segmenter::may_complete`].
    fn after(&self, text: &str, arrived: usize) -> bool {
        match self {
            Self::Markers(ends) => ends.ends_after(text, arrived),
            Self::Bytes(table) => text
                .as_bytes()
                .get(arrived..)
                .unwrap_or_default()
                .iter()
                .any(|&b| table.get(usize::from(b)).copied().unwrap_or(true)),
        }
    }
}

impl Options {
    fn policy(&self, format: &dyn ToolCallFormat) -> ReasoningCalls {
        self.reasoning_calls
            .unwrap_or_else(|| format.reasoning_calls())
    }
}

/// Options with their marker sets built once, shared by every run.
pub(crate) struct Prepared {
    pub(crate) options: Options,
    /// `[0]`: all candidates; `[1 + i]`: candidate `i` once it is locked
    /// (only built when there are several candidates).
    sets: Vec<Markers>,
    /// `sharing[i][j]`: every `(candidate, opener)` whose opener is the
    /// same marker as opener `j` of candidate `i`, in priority order, each
    /// candidate with its first such opener.
    sharing: Vec<Vec<Vec<(usize, usize)>>>,
    /// Candidates whose calls may start bare, as `(candidate, 0)`.
    bare: Vec<(usize, usize)>,
    /// Per candidate, its own end check: a waiting region is re-scanned
    /// on the ends of the candidate it waits on (see
    /// [`Segmenter::may_complete`]).
    own_ends: Vec<EndCheck>,
}

impl Prepared {
    pub(crate) fn new(options: Options) -> Self {
        let mut sets = vec![Markers::build(&options, None)];
        if options.candidates.len() > 1 {
            sets.extend((0..options.candidates.len()).map(|i| Markers::build(&options, Some(i))));
        }
        let candidates = &options.candidates;
        let sharing: Vec<Vec<Vec<(usize, usize)>>> = candidates
            .iter()
            .map(|format| {
                format
                    .openers()
                    .iter()
                    .map(|marker| {
                        candidates
                            .iter()
                            .enumerate()
                            .filter_map(|(i, other)| {
                                let j = other.openers().iter().position(|o| o == marker)?;
                                Some((i, j))
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let bare: Vec<(usize, usize)> = candidates
            .iter()
            .enumerate()
            .filter(|(_, f)| f.bare_at_start())
            .map(|(i, _)| (i, 0))
            .collect();
        let own_ends = candidates
            .iter()
            .map(|f| EndCheck::new(std::iter::once(f.as_ref())))
            .collect();
        Self {
            options,
            sets,
            sharing,
            bare,
            own_ends,
        }
    }

    /// The end check for the region `waiting` waits on, or for every
    /// active candidate when none waits.
    fn ends_of(&self, waiting: Option<Waiting>, locked: Option<usize>) -> Option<&EndCheck> {
        match waiting {
            Some(w) => self.own_ends.get(w.candidate),
            None => self.markers(locked).map(|m| &m.ends),
        }
    }

    /// The `(candidate, opener)` pairs sharing opener `j` of `candidate`.
    fn sharing(&self, candidate: usize, j: usize) -> &[(usize, usize)] {
        self.sharing
            .get(candidate)
            .and_then(|openers| openers.get(j))
            .map_or(&[], Vec::as_slice)
    }

    fn markers(&self, locked: Option<usize>) -> Option<&Markers> {
        match locked {
            Some(i) if self.options.candidates.len() > 1 => self.sets.get(1 + i),
            _ => self.sets.first(),
        }
    }
}

/// Incremental segmentation state for one output.
pub(crate) struct Segmenter {
    prepared: Arc<Prepared>,
    /// Index of the format locked in, once known.
    locked: Option<usize>,
    mode: Mode,
    /// No visible non-whitespace text has been produced yet.
    at_start: bool,
    /// The last region left waiting: its offset in the output, its opener
    /// (`None` when it started bare), and the candidate that asked for
    /// more. Every candidate before that one said it is not a call, and a
    /// format's answer never changes as text is appended, so re-scans of
    /// the same region start at that candidate; a marker, once found
    /// whole, stays found, so they need not search for it either.
    waiting: Option<Waiting>,
    /// Set by the streamer for one run: no byte that can complete the
    /// waiting region arrived since its last scan (see
    /// [`set_no_end`](Self::set_no_end)).
    no_end: bool,
    /// Set by the streamer for one run: a byte that can complete the
    /// waiting region arrived since its last scan (see
    /// [`set_end_arrived`](Self::set_end_arrived)).
    end_arrived: bool,
}

/// See [`Segmenter::waiting`].
#[derive(Debug, Clone, Copy)]
struct Waiting {
    offset: usize,
    opener: Option<(&'static str, MarkerKind)>,
    candidate: usize,
}

/// What [`Segmenter::take_plain`] took a chunk as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plain {
    Text,
    Reasoning,
}

/// Why [`Segmenter::advance`] stopped short of the end of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Everything given was consumed.
    Done,
    /// Waiting for more bytes; the text from this index on is unconsumed.
    /// `region` says whether a call region starts there.
    Wait { at: usize, region: bool },
}

impl Segmenter {
    pub(crate) fn new(prepared: Arc<Prepared>) -> Self {
        let options = &prepared.options;
        let locked = (options.candidates.len() == 1).then_some(0);
        let first_tags = options
            .candidates
            .first()
            .and_then(|f| f.reasoning_tags().first().copied());
        let mode = match first_tags {
            Some(tags) if options.starts_in_reasoning => Mode::Reasoning { close: tags.close },
            _ => Mode::Visible,
        };
        Self {
            prepared,
            locked,
            mode,
            at_start: true,
            waiting: None,
            no_end: false,
            end_arrived: false,
        }
    }

    /// Canonical name of the format in use, once known.
    pub(crate) fn format_name(&self) -> Option<&'static str> {
        self.locked
            .and_then(|i| self.prepared.options.candidates.get(i))
            .map(|f| f.name())
    }

    /// Whether text appended at `arrived` to the pending region (which
    /// starts at, or after whitespace at, `text[0]`) can have completed it:
    /// a closing marker of the candidate it waits on ends within the new
    /// text, or (when it lists none) one of its end bytes arrived. Only
    /// that candidate matters: the ones before it said "not a call", and
    /// the ones after it are asked once it says so too, which a later
    /// re-scan (growth, an end, or the end of the output) finds, so their
    /// ends could only make the stream re-scan sooner, never change what
    /// it reports.
    pub(crate) fn may_complete(&self, text: &str, arrived: usize) -> bool {
        match self.prepared.ends_of(self.waiting, self.locked) {
            Some(ends) => ends.after(text, arrived),
            None => true,
        }
    }

    /// Tell the next run that no closing marker or end byte of the waiting
    /// region arrived since it was last scanned, so it cannot be complete
    /// yet (the end of the output aside), and that the re-scan only looks
    /// for news to stream: it reads the waiting candidate's partial calls
    /// first and skips the scan when they bring nothing new. Not scanning
    /// only delays finding that the region is not a call, until the
    /// streamer's next full re-scan.
    pub(crate) fn set_no_end(&mut self, no_end: bool) {
        self.no_end = no_end;
    }

    /// Tell the next run that a byte that can complete the waiting region
    /// arrived: when it was one of the format's closing markers, the region
    /// has most likely ended, so it is offered to the format's one-pass
    /// route before being scanned.
    pub(crate) fn set_end_arrived(&mut self, arrived: bool) {
        self.end_arrived = arrived;
    }

    /// When `text`, arriving with nothing held back and no region pending,
    /// cannot contain (the start of) a marker in the current mode, take it
    /// as plain text or reasoning without segmenting; `None` when the full
    /// walk is needed. This is what [`advance`](Self::advance) would do
    /// with it, minus the search and the copying.
    pub(crate) fn take_plain(&mut self, text: &str) -> Option<Plain> {
        let prepared = Arc::clone(&self.prepared);
        let markers = prepared.markers(self.locked)?;
        match self.mode {
            Mode::Visible => {
                // At the output start a bare call may begin anywhere.
                if (self.at_start && markers.any_bare) || markers.visible.may_occur(text) {
                    return None;
                }
                if self.at_start && !text.trim_start().is_empty() {
                    self.at_start = false;
                }
                Some(Plain::Text)
            }
            Mode::Reasoning { close } => {
                let set = markers.reasoning.iter().find(|(c, _)| *c == close);
                match set {
                    Some((_, set)) if set.may_occur(text) => None,
                    _ => Some(Plain::Reasoning),
                }
            }
        }
    }

    /// The opener of the region left waiting at `offset`, if one is.
    fn waiting_opener(&self, offset: usize) -> Option<(&'static str, MarkerKind)> {
        self.waiting
            .filter(|w| w.offset == offset)
            .and_then(|w| w.opener)
    }

    fn lock(&mut self, candidate: usize) {
        if self.locked.is_none() {
            self.locked = Some(candidate);
        }
    }

    /// Segment `text[from..]`, where `text` starts at byte `base` of the
    /// whole output. Returns where it stopped.
    pub(crate) fn advance(
        &mut self,
        text: &str,
        from: usize,
        base: usize,
        at_eof: bool,
        sink: &mut dyn Sink,
    ) -> Result<Stop, NormalizeError> {
        // One reference count for the whole walk, not one per step (the
        // steps need the options while they update `self`).
        let prepared = Arc::clone(&self.prepared);
        let mut pos = from;
        loop {
            if pos >= text.len() {
                return Ok(Stop::Done);
            }
            let step = match self.mode {
                Mode::Visible => self.visible_step(&prepared, text, pos, base, at_eof, sink)?,
                Mode::Reasoning { close } => {
                    self.reasoning_step(&prepared, text, pos, base, at_eof, close, sink)?
                }
            };
            match step {
                Step::Continue(next) => pos = next,
                Step::Stop(stop) => return Ok(stop),
            }
        }
    }

    fn visible_step(
        &mut self,
        prepared: &Prepared,
        text: &str,
        pos: usize,
        base: usize,
        at_eof: bool,
        sink: &mut dyn Sink,
    ) -> Result<Step, NormalizeError> {
        let Some(markers) = prepared.markers(self.locked) else {
            return Ok(Step::Continue(text.len()));
        };
        if self.at_start
            && markers.any_bare
            && let Some(step) = self.output_start(prepared, text, pos, base, at_eof, sink)?
        {
            return Ok(step);
        }
        let found = match self.waiting_opener(base + pos) {
            Some((marker, kind)) => Found::Marker(pos, marker, kind),
            None => markers.visible.find(text, pos, at_eof),
        };
        let upto = match found {
            Found::Marker(at, ..) | Found::Partial(at) => at,
            Found::Nothing => text.len(),
        };
        self.emit_visible(text.get(pos..upto).unwrap_or_default(), sink);
        match found {
            Found::Nothing => Ok(Step::Continue(text.len())),
            Found::Partial(at) => Ok(Step::Stop(Stop::Wait { at, region: false })),
            Found::Marker(at, marker, MarkerKind::ReasoningOpen { close }) => {
                self.mode = Mode::Reasoning { close };
                Ok(Step::Continue(at + marker.len()))
            }
            Found::Marker(at, marker, MarkerKind::Opener { candidate, opener }) => self.region(
                prepared,
                text,
                at,
                base,
                at_eof,
                Some((candidate, opener, marker)),
                false,
                sink,
            ),
            // Closing tags are not in the visible set; a stray one is text.
            Found::Marker(at, marker, MarkerKind::ReasoningClose) => {
                self.emit_visible(marker, sink);
                Ok(Step::Continue(at + marker.len()))
            }
        }
    }

    /// At the start of the visible output, try a bare (markerless) region.
    /// `None` means "not here, carry on normally".
    fn output_start(
        &mut self,
        prepared: &Prepared,
        text: &str,
        pos: usize,
        base: usize,
        at_eof: bool,
        sink: &mut dyn Sink,
    ) -> Result<Option<Step>, NormalizeError> {
        let rest = text.get(pos..).unwrap_or_default();
        let first = pos + (rest.len() - rest.trim_start().len());
        if first >= text.len() {
            // Only whitespace so far: it may precede a bare call.
            if at_eof {
                return Ok(None);
            }
            return Ok(Some(Step::Stop(Stop::Wait {
                at: pos,
                region: false,
            })));
        }
        // Markers (reasoning tags, openers) take precedence at the start.
        let Some(markers) = prepared.markers(self.locked) else {
            return Ok(None);
        };
        if self.waiting_opener(base + first).is_some() {
            return Ok(None);
        }
        match markers.visible.find(text, first, at_eof) {
            Found::Marker(at, ..) if at == first => return Ok(None),
            Found::Partial(at) if at == first => {
                return Ok(Some(Step::Stop(Stop::Wait {
                    at: pos,
                    region: false,
                })));
            }
            _ => {}
        }
        match self.region(prepared, text, first, base, at_eof, None, false, sink)? {
            Step::Continue(next) if next == first => {
                // Not a bare call: this is ordinary text from here on.
                self.at_start = false;
                Ok(None)
            }
            Step::Stop(Stop::Wait { .. }) => Ok(Some(Step::Stop(Stop::Wait {
                at: pos,
                region: true,
            }))),
            step => {
                // The whitespace before the call is text; it is emitted only
                // now that the decision is final, so nothing is emitted twice.
                sink.text(text.get(pos..first).unwrap_or_default());
                Ok(Some(step))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn reasoning_step(
        &mut self,
        prepared: &Prepared,
        text: &str,
        pos: usize,
        base: usize,
        at_eof: bool,
        close: &'static str,
        sink: &mut dyn Sink,
    ) -> Result<Step, NormalizeError> {
        let Some(markers) = prepared
            .markers(self.locked)
            .and_then(|m| m.reasoning.iter().find(|(c, _)| *c == close))
            .map(|(_, m)| m)
        else {
            // The closing tag belongs to no active format (auto locked to
            // one without it): the rest is reasoning.
            sink.reasoning(text.get(pos..).unwrap_or_default());
            return Ok(Step::Continue(text.len()));
        };
        let found = match self.waiting_opener(base + pos) {
            Some((marker, kind)) => Found::Marker(pos, marker, kind),
            None => markers.find(text, pos, at_eof),
        };
        let upto = match found {
            Found::Marker(at, ..) | Found::Partial(at) => at,
            Found::Nothing => text.len(),
        };
        let thought = text.get(pos..upto).unwrap_or_default();
        if !thought.is_empty() {
            sink.reasoning(thought);
        }
        match found {
            Found::Nothing => Ok(Step::Continue(text.len())),
            Found::Partial(at) => Ok(Step::Stop(Stop::Wait { at, region: false })),
            Found::Marker(at, marker, MarkerKind::ReasoningClose) => {
                self.mode = Mode::Visible;
                Ok(Step::Continue(at + marker.len()))
            }
            Found::Marker(at, marker, MarkerKind::Opener { candidate, opener }) => self.region(
                prepared,
                text,
                at,
                base,
                at_eof,
                Some((candidate, opener, marker)),
                true,
                sink,
            ),
            Found::Marker(at, marker, MarkerKind::ReasoningOpen { .. }) => {
                sink.reasoning(marker);
                Ok(Step::Continue(at + marker.len()))
            }
        }
    }

    fn emit_visible(&mut self, text: &str, sink: &mut dyn Sink) {
        if text.is_empty() {
            return;
        }
        if self.at_start && !text.trim_start().is_empty() {
            self.at_start = false;
        }
        sink.text(text);
    }

    /// Handle a region starting at `at`: at an opener (`opener` is `Some`)
    /// or a bare one at the output start. Returns `Continue(at)` for a bare
    /// start that is not a call.
    #[allow(clippy::too_many_arguments)]
    fn region(
        &mut self,
        prepared: &Prepared,
        text: &str,
        at: usize,
        base: usize,
        at_eof: bool,
        opener: Option<(usize, usize, &'static str)>,
        in_reasoning: bool,
        sink: &mut dyn Sink,
    ) -> Result<Step, NormalizeError> {
        let rest = text.get(at..).unwrap_or_default();
        // Candidates to ask, in priority order: at an opener, every active
        // candidate that has this marker among its openers (listed once,
        // when the options were prepared: this runs at every re-scan).
        let in_play = self.locked;
        let listed = match opener {
            Some((candidate, j, _)) => prepared.sharing(candidate, j),
            None => &prepared.bare,
        };
        let asks = listed
            .iter()
            .filter(|(i, _)| in_play.is_none_or(|l| l == *i))
            .filter_map(|&(i, j)| {
                let format = prepared.options.candidates.get(i)?;
                match opener {
                    Some(_) => {
                        if in_reasoning
                            && prepared.options.policy(format.as_ref()) != ReasoningCalls::Parse
                        {
                            return None;
                        }
                        Some((i, format, RegionStart::Opener(j)))
                    }
                    None => Some((i, format, RegionStart::OutputStart)),
                }
            });
        let bare = opener.is_none();
        let (first_asked, waited) = match self.waiting {
            Some(w) if w.offset == base + at && w.opener.is_none() == bare => (w.candidate, true),
            _ => (0, false),
        };
        let mut asks = asks.filter(|(i, _, _)| *i >= first_asked).peekable();
        // See `set_no_end`: the partial calls read here are passed on below
        // when the scan confirms that the region still waits.
        let mut early: Option<(usize, Vec<PartialCall>)> = None;
        let probe = waited && std::mem::take(&mut self.no_end);
        let end_arrived = waited && std::mem::take(&mut self.end_arrived);
        if probe
            && !at_eof
            && rest.len() <= MAX_INPUT_BYTES
            && sink.wants_partial()
            && let Some(&(candidate, format, start)) = asks.peek()
            && candidate == first_asked
        {
            let partial = format.partial(rest, start);
            if !sink.has_news(&partial) {
                return Ok(Step::Stop(Stop::Wait { at, region: true }));
            }
            early = Some((candidate, partial));
        }
        for (candidate, format, start) in asks {
            // A waiting region re-read because one of its format's closing
            // markers arrived has most likely ended: read it in one pass.
            // (An end byte alone is too common a sign: a failed attempt
            // costs more than the scan it would save.)
            let one_pass = at_eof || (end_arrived && !format.end_markers().is_empty());
            if one_pass
                && prepared.options.one_pass
                && let Some(step) =
                    self.scan_parse(rest, at, base, at_eof, format.as_ref(), start, sink)
            {
                self.finish_region(candidate, in_reasoning);
                return Ok(step);
            }
            let mut scan = format.scan(rest, start, at_eof);
            if start == RegionStart::OutputStart && self.prepared.options.strict_bare {
                scan = strict_bare(scan, rest, at_eof);
            }
            match scan {
                RegionScan::NotACall => continue,
                RegionScan::NeedMore => {
                    if rest.len() > MAX_INPUT_BYTES {
                        return Err(too_large(format.name(), base + at));
                    }
                    if at_eof {
                        let partial = format.partial(rest, start).pop().map(Box::new);
                        return Err(NormalizeError::Incomplete {
                            format: format.name(),
                            offset: base + at,
                            partial,
                        });
                    }
                    self.waiting = Some(Waiting {
                        offset: base + at,
                        opener: opener.map(|(c, j, marker)| {
                            (
                                marker,
                                MarkerKind::Opener {
                                    candidate: c,
                                    opener: j,
                                },
                            )
                        }),
                        candidate,
                    });
                    if sink.wants_partial() {
                        let partial = match early.take() {
                            Some((read, partial)) if read == candidate => partial,
                            _ => format.partial(rest, start),
                        };
                        sink.pending(partial);
                    }
                    return Ok(Step::Stop(Stop::Wait { at, region: true }));
                }
                RegionScan::Complete(len) => {
                    if len > MAX_INPUT_BYTES {
                        return Err(too_large(format.name(), base + at));
                    }
                    let Some(region) = rest.get(..len).filter(|r| !r.is_empty()) else {
                        return Err(NormalizeError::malformed(
                            format.name(),
                            base + at,
                            "format reported a region that is not on a character boundary",
                        ));
                    };
                    if sink.announced() {
                        sink.pending(format.partial(region, start));
                    }
                    let schemas = self.prepared.options.schemas.clone();
                    let mut cx = ParseCx::new(schemas.as_deref(), base + at);
                    format
                        .parse(region, start, &mut cx)
                        .map_err(|err| err.shifted(base + at))?;
                    self.finish_region(candidate, in_reasoning);
                    sink.region(cx.into_output(format.name()));
                    return Ok(Step::Continue(at + len));
                }
            }
        }
        // No candidate claims it: the opener is ordinary text.
        sink.discard_pending();
        match opener {
            Some((_, _, marker)) => {
                if in_reasoning {
                    sink.reasoning(marker);
                } else {
                    self.emit_visible(marker, sink);
                }
                Ok(Step::Continue(at + marker.len()))
            }
            None => Ok(Step::Continue(at)),
        }
    }
}

impl Segmenter {
    /// The format's one-pass route for the region at `rest` (see
    /// [`ToolCallFormat::scan_parse`]); `None` when it declines or its
    /// answer would not be taken as it stands (bare-call rules, limits), so
    /// the ordinary route decides.
    #[allow(clippy::too_many_arguments)]
    fn scan_parse(
        &self,
        rest: &str,
        at: usize,
        base: usize,
        at_eof: bool,
        format: &dyn ToolCallFormat,
        start: RegionStart,
        sink: &mut dyn Sink,
    ) -> Option<Step> {
        let schemas = self.prepared.options.schemas.as_deref();
        let mut cx = ParseCx::new(schemas, base + at);
        let len = format.scan_parse(rest, start, at_eof, &mut cx)?;
        let region = rest
            .get(..len)
            .filter(|r| !r.is_empty() && len <= MAX_INPUT_BYTES)?;
        // Auto-detection takes a bare call only as the whole output.
        if start == RegionStart::OutputStart
            && self.prepared.options.strict_bare
            && (!at_eof || !rest.get(len..)?.trim().is_empty())
        {
            return None;
        }
        if sink.announced() {
            sink.pending(format.partial(region, start));
        }
        sink.region(cx.into_output(format.name()));
        Some(Step::Continue(at + len))
    }

    /// Bookkeeping once a candidate has parsed a region.
    fn finish_region(&mut self, candidate: usize, in_reasoning: bool) {
        self.lock(candidate);
        if !in_reasoning {
            self.at_start = false;
        }
    }
}

/// Auto-detection accepts a bare call only when it is the whole output.
fn strict_bare(scan: RegionScan, rest: &str, at_eof: bool) -> RegionScan {
    match scan {
        RegionScan::Complete(len) => {
            let after = rest.get(len..).unwrap_or_default();
            if !after.trim().is_empty() {
                RegionScan::NotACall
            } else if at_eof {
                RegionScan::Complete(len)
            } else {
                RegionScan::NeedMore
            }
        }
        other => other,
    }
}

fn too_large(format: &'static str, offset: usize) -> NormalizeError {
    NormalizeError::LimitExceeded {
        format,
        offset,
        limit: format!("call region size {MAX_INPUT_BYTES} bytes"),
    }
}

/// One step of the walk.
enum Step {
    Continue(usize),
    Stop(Stop),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalizer::formats::{Hermes, Mistral};

    struct Quiet;
    impl Sink for Quiet {
        fn text(&mut self, _: &str) {}
        fn reasoning(&mut self, _: &str) {}
        fn region(&mut self, _: RegionOutput) {}
    }

    fn segmenter(candidates: Vec<Arc<dyn ToolCallFormat>>) -> Segmenter {
        Segmenter::new(Arc::new(Prepared::new(Options {
            candidates,
            reasoning_calls: None,
            schemas: None,
            starts_in_reasoning: false,
            strict_bare: false,
            one_pass: false,
        })))
    }

    #[test]
    fn a_waiting_region_is_rescanned_on_its_own_candidates_ends() {
        let mut seg = segmenter(vec![Arc::new(Mistral), Arc::new(Hermes)]);
        // Before any region waits, every candidate's ends count: Mistral
        // lists no closing markers, so its end bytes do.
        assert!(seg.may_complete("ab[", 2));
        let text = "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": \"[\"";
        let stop = seg.advance(text, 0, 0, false, &mut Quiet).unwrap();
        assert_eq!(
            stop,
            Stop::Wait {
                at: 0,
                region: true
            }
        );
        // The region waits on Hermes: only its closing tags count.
        assert!(!seg.may_complete(text, 40));
        let closed = format!("{text}}}}}</tool_call>");
        assert!(seg.may_complete(&closed, text.len()));
        assert!(!seg.may_complete(&format!("{text} </tool"), text.len()));
    }

    #[test]
    fn end_markers_count_only_when_they_end_in_the_new_bytes() {
        let ends = EndMarkers::new(["</a>", "```", "</bb>"]);
        // Ends exactly at the last new byte, or across the boundary.
        assert!(ends.ends_after("<a>x</a>", 7));
        assert!(ends.ends_after("<a>x</a>", 5));
        // Ended before the new bytes: already looked at when it arrived.
        assert!(!ends.ends_after("x</a>yz", 5));
        // A last byte without its marker, and a second kind of marker.
        assert!(!ends.ends_after("a > b ` c", 0));
        assert!(ends.ends_after("code ```", 6));
        // Long input takes the vectorized search.
        let long = format!("{}</bb>{}", ">".repeat(40), "y".repeat(40));
        assert!(ends.ends_after(&long, 1));
        assert!(!ends.ends_after(&long, 46));
        assert!(!EndMarkers::new([""]).ends_after("</a>", 0));
    }
}
