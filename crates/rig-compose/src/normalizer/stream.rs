//! [`StreamingNormalizer`]: the same normalization, fed chunk by chunk.

use super::error::NormalizeError;
use super::format::{NormalizeWarning, ParsedCall, PartialCall};
use super::scan::is_name_byte;
use super::segment::{Plain, RegionOutput, Segmenter, Sink, Stop};
use super::text::Normalized;

/// One thing a stream revealed.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// Visible text.
    TextDelta(String),
    /// Reasoning text.
    ReasoningDelta(String),
    /// A call's name (and id, if the model wrote one) is known.
    CallStarted {
        /// Position of the call among all calls of the output.
        index: usize,
        /// The tool name.
        name: String,
        /// The call id, if already written.
        id: Option<String>,
    },
    /// More of a long call's argument text, as the model writes it, sent
    /// every few hundred bytes while the call is being written. When a call
    /// has any, they add up to its complete raw argument text before it
    /// finishes; a short call has none. For display:
    /// [`CallFinished`](Self::CallFinished) carries the parsed arguments.
    ArgumentsDelta {
        /// Position of the call among all calls of the output.
        index: usize,
        /// The new argument text.
        delta: String,
    },
    /// A call is complete and parsed. Emitted only once its whole region
    /// has arrived, so a stream cut short never finishes a call.
    CallFinished {
        /// Position of the call among all calls of the output.
        index: usize,
        /// The call.
        call: ParsedCall,
    },
    /// A problem that did not stop any call.
    Warning(NormalizeWarning),
}

impl Normalized {
    /// Fold stream events into the result the whole text would have given.
    ///
    /// ```
    /// use rig_compose::normalizer::{Normalized, TextNormalizer, format_by_name};
    ///
    /// let normalizer = TextNormalizer::new(format_by_name("hermes").unwrap());
    /// let raw = "Hi <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
    /// let mut stream = normalizer.stream();
    /// let mut events = Vec::new();
    /// for chunk in raw.as_bytes().chunks(3) {
    ///     events.extend(stream.feed(chunk).unwrap());
    /// }
    /// events.extend(stream.finish().unwrap());
    /// let whole = normalizer.normalize_text(raw).unwrap();
    /// assert_eq!(Normalized::from_events(events).calls, whole.calls);
    /// ```
    pub fn from_events(events: impl IntoIterator<Item = StreamEvent>) -> Self {
        let mut out = Self::default();
        for event in events {
            match event {
                StreamEvent::TextDelta(text) => out.text.push_str(&text),
                StreamEvent::ReasoningDelta(text) => out.reasoning.push_str(&text),
                StreamEvent::CallFinished { call, .. } => out.calls.push(call),
                StreamEvent::Warning(warning) => out.warnings.push(warning),
                StreamEvent::CallStarted { .. } | StreamEvent::ArgumentsDelta { .. } => {}
            }
        }
        out
    }
}

/// Normalizes model output as it streams in, chunk by chunk.
///
/// Chunks may be split anywhere, even inside a multi-byte character or a
/// marker: anything that might be the start of a marker is held back until
/// it is decided (or, at [`finish`](Self::finish), released as text). The
/// events of a stream always add up to what
/// [`TextNormalizer::normalize_text`](super::TextNormalizer::normalize_text)
/// returns for the whole text; a stream that ends inside a call gives
/// [`NormalizeError::Incomplete`] and never a finished call.
///
/// ```
/// use rig_compose::normalizer::{StreamEvent, TextNormalizer};
///
/// let mut stream = TextNormalizer::auto().stream();
/// let mut events = Vec::new();
/// for chunk in ["Let me check.<tool", "_call>\n{\"name\": \"get_wea", "ther\", \"arguments\": ",
///               "{\"city\": \"Zürich\"}}\n</tool_call>"] {
///     events.extend(stream.feed(chunk).unwrap());
/// }
/// events.extend(stream.finish().unwrap());
/// assert_eq!(events[0], StreamEvent::TextDelta("Let me check.".into()));
/// let finished: Vec<_> = events
///     .iter()
///     .filter_map(|e| match e {
///         StreamEvent::CallFinished { call, .. } => Some(&call.invocation),
///         _ => None,
///     })
///     .collect();
/// assert_eq!(finished[0].args["city"], "Zürich");
///
/// // Cut off mid-call: an error, not a call.
/// let mut cut = TextNormalizer::auto().stream();
/// cut.feed("<tool_call>{\"name\": \"rm\", \"argum").unwrap();
/// assert!(cut.finish().unwrap_err().is_incomplete());
/// ```
pub struct StreamingNormalizer {
    segmenter: Segmenter,
    /// Decoded text not yet consumed; `buf[0]` is byte `base` of the output.
    buf: String,
    base: usize,
    /// Bytes of a character split across chunks.
    utf8_tail: Vec<u8>,
    /// A region waiting for its end starts at `buf[0]`; this is how long
    /// `buf` was when it was last scanned.
    pending: Option<usize>,
    /// Whether a byte that can end the pending region arrived since it was
    /// last scanned (each byte is looked at once, when it arrives).
    end_seen: bool,
    /// Whether a byte that cannot be part of a tool name arrived since the
    /// pending region was last scanned: until one does, a call that was
    /// not announced then cannot have a complete name now.
    name_end_seen: bool,
    emitter: Emitter,
    failed: Option<NormalizeError>,
    finished: bool,
}

impl StreamingNormalizer {
    pub(crate) fn new(segmenter: Segmenter) -> Self {
        Self {
            segmenter,
            buf: String::new(),
            base: 0,
            utf8_tail: Vec::new(),
            pending: None,
            end_seen: false,
            name_end_seen: false,
            emitter: Emitter {
                want_partial: true,
                ..Emitter::default()
            },
            failed: None,
            finished: false,
        }
    }

    /// Canonical name of the format in use, once known.
    pub fn format(&self) -> Option<&'static str> {
        self.segmenter.format_name()
    }

    /// Feed the next chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: impl AsRef<[u8]>) -> Result<Vec<StreamEvent>, NormalizeError> {
        let mut events = Vec::new();
        self.feed_into(chunk.as_ref(), &mut events)?;
        Ok(events)
    }

    /// Like [`feed`](Self::feed), appending the events to `events`.
    pub fn feed_into(
        &mut self,
        chunk: &[u8],
        events: &mut Vec<StreamEvent>,
    ) -> Result<(), NormalizeError> {
        self.check_usable()?;
        let added = if self.buf.is_empty()
            && self.utf8_tail.is_empty()
            && let Ok(text) = std::str::from_utf8(chunk)
        {
            // Nothing held back or pending: a chunk that cannot hold a
            // marker is plain text (or reasoning) as it stands.
            if text.is_empty() {
                return Ok(());
            }
            if let Some(kind) = self.segmenter.take_plain(text) {
                events.push(match kind {
                    Plain::Text => StreamEvent::TextDelta(text.to_owned()),
                    Plain::Reasoning => StreamEvent::ReasoningDelta(text.to_owned()),
                });
                self.base += text.len();
                return Ok(());
            }
            push_buffered(&mut self.buf, text);
            text.len()
        } else {
            self.decode(chunk)?
        };
        if added == 0 {
            return Ok(());
        }
        if let Some(region_len) = self.pending {
            let arrived = self.buf.len() - added;
            let announced = !self.emitter.started.is_empty();
            let fresh = self.buf.len() - region_len;
            // Re-scan when a byte that can end the region arrives. Other
            // re-scans only serve the call-started and argument-delta
            // events: until a call is announced, while the region is short
            // and a byte that may end a name came (or it doubled), then every 256
            // bytes or eighth of the region, whichever is more, which
            // bounds the re-scanning of huge arguments to a few dozen
            // passes while short ones stream at a readable pace.
            let doubled = fresh * 2 >= region_len;
            let grown = if announced {
                fresh >= (region_len / 8).max(256)
            } else {
                self.name_end_seen = self.name_end_seen
                    || self
                        .buf
                        .as_bytes()
                        .get(arrived..)
                        .unwrap_or_default()
                        .iter()
                        .any(|&b| !is_name_byte(b));
                (region_len < 64 && self.name_end_seen) || doubled
            };
            // Each byte is checked once, when it arrives.
            self.end_seen = self.end_seen || self.segmenter.may_complete(&self.buf, arrived);
            if !(self.end_seen || grown) {
                return Ok(());
            }
            // A re-scan only because an end byte came completes the region
            // or waits again. Once every announced call has begun its
            // argument text, reading the calls again would only send what
            // the growth schedule sends anyway, a little sooner. Before any
            // is announced, it is read when a name may have ended.
            self.emitter.want_partial = grown
                || (!announced && self.name_end_seen)
                || self.emitter.started.iter().any(String::is_empty);
            // A probe for a name between doublings need not scan; a
            // doubling does, so that text after an opener that is not a
            // call is released after a bounded delay.
            self.segmenter
                .set_no_end(!self.end_seen && !announced && !doubled);
            self.segmenter.set_end_arrived(self.end_seen);
        }
        self.run(false, events)
    }

    /// End the stream: release held-back text and report an unfinished
    /// call as [`NormalizeError::Incomplete`].
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, NormalizeError> {
        self.check_usable()?;
        if !self.utf8_tail.is_empty() {
            let offset = self.base + self.buf.len();
            return Err(self.fail(NormalizeError::InvalidUtf8 { offset }));
        }
        let mut events = Vec::new();
        self.run(true, &mut events)?;
        self.finished = true;
        Ok(events)
    }

    #[inline]
    fn check_usable(&self) -> Result<(), NormalizeError> {
        if self.failed.is_none() && !self.finished {
            return Ok(());
        }
        self.unusable()
    }

    #[cold]
    fn unusable(&self) -> Result<(), NormalizeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.finished {
            return Err(NormalizeError::malformed(
                self.segmenter.format_name().unwrap_or("stream"),
                self.base + self.buf.len(),
                "stream already finished",
            ));
        }
        Ok(())
    }

    fn fail(&mut self, err: NormalizeError) -> NormalizeError {
        self.failed = Some(err.clone());
        err
    }

    /// Append the decodable part of `chunk` to `buf`; returns bytes added.
    fn decode(&mut self, chunk: &[u8]) -> Result<usize, NormalizeError> {
        let owned;
        let bytes = if self.utf8_tail.is_empty() {
            chunk
        } else {
            let mut joined = std::mem::take(&mut self.utf8_tail);
            joined.extend_from_slice(chunk);
            owned = joined;
            &owned
        };
        let (valid, rest) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, &[][..]),
            Err(err) => {
                if err.error_len().is_some() {
                    let offset = self.base + self.buf.len() + err.valid_up_to();
                    return Err(self.fail(NormalizeError::InvalidUtf8 { offset }));
                }
                let (head, tail) = bytes.split_at(err.valid_up_to());
                (std::str::from_utf8(head).unwrap_or_default(), tail)
            }
        };
        push_buffered(&mut self.buf, valid);
        self.utf8_tail = rest.to_vec();
        Ok(valid.len())
    }

    fn run(&mut self, at_eof: bool, events: &mut Vec<StreamEvent>) -> Result<(), NormalizeError> {
        self.emitter.events = std::mem::take(events);
        self.emitter.run_start = self.emitter.events.len();
        let result = self
            .segmenter
            .advance(&self.buf, 0, self.base, at_eof, &mut self.emitter);
        *events = std::mem::take(&mut self.emitter.events);
        self.segmenter.set_no_end(false);
        self.segmenter.set_end_arrived(false);
        let stop = result.map_err(|err| self.fail(err))?;
        let (consumed, region) = match stop {
            Stop::Done => (self.buf.len(), false),
            Stop::Wait { at, region } => (at, region),
        };
        // Drop what is consumed so memory follows the unfinished part only.
        self.buf.drain(..consumed);
        self.base += consumed;
        self.pending = region.then_some(self.buf.len());
        self.end_seen = false;
        self.name_end_seen = false;
        self.emitter.want_partial = true;
        Ok(())
    }
}

/// Append to the stream buffer, which is kept (drained, not freed) for the
/// whole stream: starting it at a typical call's size saves the first few
/// doublings.
fn push_buffered(buf: &mut String, text: &str) {
    if buf.capacity() == 0 {
        buf.reserve(text.len().max(512));
    }
    buf.push_str(text);
}

impl std::fmt::Debug for StreamingNormalizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingNormalizer")
            .field("format", &self.segmenter.format_name())
            .field("buffered", &self.buf.len())
            .field("offset", &(self.base + self.buf.len()))
            .field("failed", &self.failed.is_some())
            .finish_non_exhaustive()
    }
}

/// Turns segmenter output into events, tracking call indexes and what was
/// already announced of unfinished calls.
#[derive(Default)]
struct Emitter {
    events: Vec<StreamEvent>,
    /// Calls finished so far (the index of the next call).
    finished: usize,
    /// Argument text already sent for each started, unfinished call.
    started: Vec<String>,
    /// Whether the region being scanned should be read for events (false
    /// for a pending region re-scanned only because an end byte arrived).
    want_partial: bool,
    /// Index in `events` of the first event of the current run: adjacent
    /// text (or reasoning) of one run goes into one event.
    run_start: usize,
}

impl Emitter {
    /// The last event of the current run (earlier ones belong to the
    /// caller), which a text delta may be appended to.
    fn last_of_run(&mut self) -> Option<&mut StreamEvent> {
        if self.events.len() > self.run_start {
            self.events.last_mut()
        } else {
            None
        }
    }
}

impl Sink for Emitter {
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.last_of_run() {
            Some(StreamEvent::TextDelta(last)) => last.push_str(text),
            _ => self.events.push(StreamEvent::TextDelta(text.to_owned())),
        }
    }

    fn reasoning(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.last_of_run() {
            Some(StreamEvent::ReasoningDelta(last)) => last.push_str(text),
            _ => self
                .events
                .push(StreamEvent::ReasoningDelta(text.to_owned())),
        }
    }

    fn region(&mut self, region: RegionOutput) {
        let RegionOutput {
            calls,
            text,
            reasoning,
            warnings,
            ..
        } = region;
        self.text(&text);
        self.reasoning(&reasoning);
        for warning in warnings {
            self.events.push(StreamEvent::Warning(warning));
        }
        for (k, call) in calls.into_iter().enumerate() {
            let index = self.finished;
            if self.started.get(k).is_none() {
                self.events.push(StreamEvent::CallStarted {
                    index,
                    name: call.invocation.name.clone(),
                    id: call.id.clone(),
                });
            }
            self.events.push(StreamEvent::CallFinished { index, call });
            self.finished += 1;
        }
        self.started.clear();
        // A region after this one in the same run is new.
        self.want_partial = true;
    }

    fn discard_pending(&mut self) {
        self.started.clear();
        self.want_partial = true;
    }

    fn wants_partial(&self) -> bool {
        self.want_partial
    }

    fn has_news(&self, partial: &[PartialCall]) -> bool {
        // As `pending` reads it (a name after an unnamed call is counted,
        // which only costs a scan).
        partial
            .iter()
            .enumerate()
            .any(|(k, call)| match self.started.get(k) {
                None => call.name.is_some(),
                Some(sent) => {
                    call.arguments.len() > sent.len() && call.arguments.starts_with(sent.as_str())
                }
            })
    }

    fn announced(&self) -> bool {
        // Only calls whose argument text has started streaming need the
        // rest of it before they finish.
        self.started.iter().any(|sent| !sent.is_empty())
    }

    fn pending(&mut self, partial: Vec<PartialCall>) {
        for (k, call) in partial.into_iter().enumerate() {
            let index = self.finished + k;
            match self.started.get_mut(k) {
                None => {
                    let Some(name) = call.name else { break };
                    self.events.push(StreamEvent::CallStarted {
                        index,
                        name,
                        id: call.id,
                    });
                    // Argument text follows at the next re-scan; a short
                    // call that finishes first needs none.
                    self.started.push(String::new());
                }
                Some(sent) => {
                    if let Some(delta) = call.arguments.strip_prefix(sent.as_str())
                        && !delta.is_empty()
                    {
                        self.events.push(StreamEvent::ArgumentsDelta {
                            index,
                            delta: delta.to_owned(),
                        });
                        *sent = call.arguments;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalizer::{TextNormalizer, format_by_name};

    fn hermes() -> StreamingNormalizer {
        TextNormalizer::new(format_by_name("hermes").unwrap()).stream()
    }

    #[test]
    fn plain_chunks_pass_straight_through_and_markers_still_hold_back() {
        let mut stream = hermes();
        assert_eq!(
            stream.feed("Hello ").unwrap(),
            [StreamEvent::TextDelta("Hello ".into())]
        );
        // `<` may begin a marker: held until decided.
        assert_eq!(
            stream.feed("a <tool").unwrap(),
            [StreamEvent::TextDelta("a ".into())]
        );
        assert_eq!(
            stream.feed("_x> b").unwrap(),
            [StreamEvent::TextDelta("<tool_x> b".into())]
        );
        assert!(stream.feed("<think>").unwrap().is_empty());
        assert_eq!(
            stream.feed("hmm").unwrap(),
            [StreamEvent::ReasoningDelta("hmm".into())]
        );
        // A split character is completed before anything is passed on.
        assert!(stream.feed([0xC3]).unwrap().is_empty());
        assert_eq!(
            stream.feed([0xBC]).unwrap(),
            [StreamEvent::ReasoningDelta("ü".into())]
        );
        assert!(stream.finish().unwrap().is_empty());
    }

    #[test]
    fn a_call_is_announced_once_its_name_is_complete() {
        let mut stream = hermes();
        let started = |events: &[StreamEvent]| {
            events
                .iter()
                .any(|e| matches!(e, StreamEvent::CallStarted { .. }))
        };
        assert!(!started(
            &stream.feed("<tool_call>{\"name\": \"get").unwrap()
        ));
        // Still possibly part of the name: not announced yet.
        assert!(!started(&stream.feed("_weather").unwrap()));
        assert!(started(&stream.feed("\", ").unwrap()));
        let rest = stream.feed("\"arguments\": {}}</tool_call>").unwrap();
        assert!(matches!(
            &rest[..],
            [StreamEvent::CallFinished { index: 0, call }] if call.invocation.name == "get_weather"
        ));
    }

    #[test]
    fn a_name_probe_without_an_end_byte_reads_the_call_and_defers_the_scan() {
        let mut stream = hermes();
        assert!(stream.feed("<tool_call>{\"name\": \"f").unwrap().is_empty());
        // No `>` came, so the region cannot be complete; its name is read
        // (and confirmed by a scan, since it is news).
        let started = stream.feed("\", \"arguments\": {").unwrap();
        assert!(
            matches!(&started[..], [StreamEvent::CallStarted { index: 0, name, .. }] if name == "f")
        );
        // Not a call after all: a probe for the name does not notice, the
        // scan once the region has doubled does.
        let mut stream = hermes();
        assert!(stream.feed("<tool_call>").unwrap().is_empty());
        assert!(stream.feed("oo").unwrap().is_empty());
        assert!(stream.feed(", ").unwrap().is_empty());
        assert_eq!(
            stream.feed("just text.").unwrap(),
            [StreamEvent::TextDelta("<tool_call>oo, just text.".into())]
        );
        assert!(stream.finish().unwrap().is_empty());
    }

    #[test]
    fn end_byte_rescans_skip_reading_the_pending_call_but_not_the_next_one() {
        let mut stream = hermes();
        let pad = "p".repeat(80);
        let first = stream
            .feed(format!(
                "<tool_call>{{\"name\": \"a\", \"arguments\": {{\"x\": \"{pad}"
            ))
            .unwrap();
        assert!(
            matches!(&first[..], [StreamEvent::CallStarted { index: 0, name, .. }] if name == "a")
        );
        // The closing tag completes `a`; `b` opens in the same chunk and is
        // read (announced) although this re-scan was due to an end byte.
        let second = stream
            .feed("y\"}}</tool_call><tool_call>{\"name\": \"b\", \"arguments\": {")
            .unwrap();
        assert!(matches!(
            &second[0],
            StreamEvent::CallFinished { index: 0, .. }
        ));
        assert!(
            matches!(&second[1..], [StreamEvent::CallStarted { index: 1, name, .. }] if name == "b"),
            "{second:?}"
        );
        // A closing tag inside a string re-scans; the first such re-scan
        // starts `b`'s argument text, a later one reads nothing new.
        let third = stream.feed("\"q\": \"</tool_call>").unwrap();
        assert!(
            matches!(&third[..], [StreamEvent::ArgumentsDelta { index: 1, .. }]),
            "{third:?}"
        );
        assert_eq!(stream.feed("\", \"z\": \"</tool_call>").unwrap(), []);
        let last = stream.feed("\"}}</tool_call>").unwrap();
        let StreamEvent::CallFinished { index: 1, call } = last.last().unwrap() else {
            panic!("{last:?}");
        };
        assert_eq!(call.invocation.args["z"], "</tool_call>");
        // The deltas still add up to the raw argument text.
        let args: String = [third, last]
            .concat()
            .into_iter()
            .filter_map(|e| match e {
                StreamEvent::ArgumentsDelta { delta, .. } => Some(delta),
                _ => None,
            })
            .collect();
        assert_eq!(args, r#"{"q": "</tool_call>", "z": "</tool_call>"}"#);
        assert!(stream.finish().unwrap().is_empty());
    }
}
