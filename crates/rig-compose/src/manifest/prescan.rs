//! A linear pre-pass that bounds YAML flow nesting before libyaml runs.
//!
//! libyaml's scanner does work proportional to the current flow nesting for
//! every token, so a document that is only a megabyte of `[` takes minutes
//! to reject. This pass follows libyaml's tokenizer closely enough to know
//! where flow collections open and close (it tracks indentation, simple keys
//! and every kind of scalar) but only skips over text, so it runs in linear
//! time. Whenever libyaml would report an error the pass stops: libyaml will
//! not scan further either.
//!
//! Where this pass and libyaml could disagree, it errs towards seeing *more*
//! nesting, so it never lets deeper nesting through than it reports.

use super::error::SourceLocation;

/// Where the pre-pass found flow nesting deeper than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TooDeep {
    pub(super) at: SourceLocation,
}

/// Check that no flow collection in `text` is nested more than `max_depth`
/// levels deep.
pub(super) fn check_flow_depth(text: &str, max_depth: usize) -> Result<(), TooDeep> {
    let mut scan = Scanner::new(text.as_bytes(), max_depth);
    scan.run()
}

/// Why scanning stopped early.
enum Stop {
    /// libyaml would fail here (or the input ended); nothing further counts.
    Done,
    /// The depth limit was exceeded.
    Deep(TooDeep),
}

type Step = Result<(), Stop>;

/// A possible implicit mapping key on the block level (libyaml keeps one
/// per flow level; only the block-level one affects indentation).
#[derive(Clone, Copy)]
struct KeyMark {
    index: usize,
    line: usize,
    column: usize,
}

struct Scanner<'a> {
    src: &'a [u8],
    pos: usize,
    /// Character offset, line and column, counted the way libyaml does.
    index: usize,
    line: usize,
    column: usize,
    max_depth: usize,
    flow: usize,
    /// Current block indentation (-1 at top level) and the enclosing ones.
    indent: isize,
    indents: Vec<isize>,
    key_allowed: bool,
    block_key: Option<KeyMark>,
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_alpha(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Scanner<'a> {
    fn new(src: &'a [u8], max_depth: usize) -> Self {
        Self {
            src,
            pos: 0,
            index: 0,
            line: 0,
            column: 0,
            max_depth,
            flow: 0,
            indent: -1,
            indents: Vec::new(),
            key_allowed: false,
            block_key: None,
        }
    }

    fn run(&mut self) -> Result<(), TooDeep> {
        // The stream starts with keys allowed, like libyaml's STREAM-START.
        self.key_allowed = true;
        loop {
            match self.next_token() {
                Ok(()) => {}
                Err(Stop::Done) => return Ok(()),
                Err(Stop::Deep(too_deep)) => return Err(too_deep),
            }
        }
    }

    // ---------------------------------------------------------- input

    fn byte_at(&self, ahead: usize) -> u8 {
        // NUL doubles as end of input, as in libyaml.
        self.src
            .get(self.pos.saturating_add(ahead))
            .copied()
            .unwrap_or(0)
    }

    fn cur(&self) -> u8 {
        self.byte_at(0)
    }

    fn at_end(&self) -> bool {
        self.cur() == 0
    }

    /// Length in bytes of the line break at `ahead`, or 0.
    fn break_len_at(&self, ahead: usize) -> usize {
        match (
            self.byte_at(ahead),
            self.byte_at(ahead + 1),
            self.byte_at(ahead + 2),
        ) {
            (b'\r', b'\n', _) => 2,
            (b'\r' | b'\n', _, _) => 1,
            (0xC2, 0x85, _) => 2,
            (0xE2, 0x80, 0xA8 | 0xA9) => 3,
            _ => 0,
        }
    }

    fn is_break(&self) -> bool {
        self.break_len_at(0) > 0
    }

    fn is_blankz_at(&self, ahead: usize) -> bool {
        let b = self.byte_at(ahead);
        b == 0 || is_blank(b) || self.break_len_at(ahead) > 0
    }

    fn is_blankz(&self) -> bool {
        self.is_blankz_at(0)
    }

    /// Advance over one (non-break) character.
    fn skip(&mut self) {
        let len = match self.cur() {
            0 => return,
            b if b < 0x80 => 1,
            b if b >= 0xF0 => 4,
            b if b >= 0xE0 => 3,
            _ => 2,
        };
        self.pos = self.pos.saturating_add(len).min(self.src.len());
        self.index += 1;
        self.column += 1;
    }

    /// Advance over one line break (CRLF counts as one).
    fn skip_break(&mut self) {
        let len = self.break_len_at(0);
        if len == 0 {
            return;
        }
        // libyaml counts CRLF as two characters but one line.
        let crlf = len == 2 && self.cur() == b'\r';
        self.pos = self.pos.saturating_add(len).min(self.src.len());
        self.index += if crlf { 2 } else { 1 };
        self.line += 1;
        self.column = 0;
    }

    fn skip_to_break(&mut self) {
        while !self.at_end() && !self.is_break() {
            self.skip();
        }
    }

    fn location(&self) -> SourceLocation {
        SourceLocation {
            line: self.line + 1,
            column: self.column + 1,
            offset: Some(self.pos),
        }
    }

    // ------------------------------------------------- libyaml bookkeeping

    fn roll_indent(&mut self, column: usize) {
        let column = isize::try_from(column).unwrap_or(isize::MAX);
        if self.flow == 0 && self.indent < column {
            self.indents.push(self.indent);
            self.indent = column;
        }
    }

    fn unroll_indent(&mut self, column: isize) {
        if self.flow != 0 {
            return;
        }
        while self.indent > column {
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    fn save_key(&mut self) {
        if self.flow == 0 && self.key_allowed {
            self.block_key = Some(KeyMark {
                index: self.index,
                line: self.line,
                column: self.column,
            });
        }
    }

    fn remove_key(&mut self) {
        if self.flow == 0 {
            self.block_key = None;
        }
    }

    /// The block-level key, if it is still usable (same line, within 1024
    /// characters, as libyaml requires).
    fn live_key(&self) -> Option<KeyMark> {
        self.block_key
            .filter(|k| k.line == self.line && k.index.saturating_add(1024) >= self.index)
    }

    // ---------------------------------------------------------- tokens

    fn skip_to_next_token(&mut self) {
        loop {
            if self.column == 0 && self.src.get(self.pos..self.pos + 3) == Some(b"\xEF\xBB\xBF") {
                self.skip();
            }
            while self.cur() == b' '
                || ((self.flow != 0 || !self.key_allowed) && self.cur() == b'\t')
            {
                self.skip();
            }
            if self.cur() == b'#' {
                self.skip_to_break();
            }
            if !self.is_break() {
                return;
            }
            self.skip_break();
            if self.flow == 0 {
                self.key_allowed = true;
            }
        }
    }

    fn next_token(&mut self) -> Step {
        self.skip_to_next_token();
        self.unroll_indent(isize::try_from(self.column).unwrap_or(isize::MAX));
        if self.at_end() {
            return Err(Stop::Done);
        }
        let c = self.cur();
        let next = self.byte_at(1);
        let marker = |m: u8| {
            self.column == 0
                && self.byte_at(0) == m
                && self.byte_at(1) == m
                && self.byte_at(2) == m
                && self.is_blankz_at(3)
        };
        if self.column == 0 && c == b'%' {
            // A directive: libyaml reads it to the end of the line.
            self.unroll_indent(-1);
            self.remove_key();
            self.key_allowed = false;
            self.skip_to_break();
            return Ok(());
        }
        if marker(b'-') || marker(b'.') {
            self.unroll_indent(-1);
            self.remove_key();
            self.key_allowed = false;
            for _ in 0..3 {
                self.skip();
            }
            return Ok(());
        }
        match c {
            b'[' | b'{' => {
                self.save_key();
                self.flow += 1;
                if self.flow > self.max_depth {
                    return Err(Stop::Deep(TooDeep {
                        at: self.location(),
                    }));
                }
                self.key_allowed = true;
                self.skip();
            }
            b']' | b'}' => {
                self.remove_key();
                self.flow = self.flow.saturating_sub(1);
                self.key_allowed = false;
                self.skip();
            }
            b',' => {
                self.remove_key();
                self.key_allowed = true;
                self.skip();
            }
            b'-' if self.is_blankz_at(1) => {
                if self.flow == 0 {
                    if !self.key_allowed {
                        return Err(Stop::Done);
                    }
                    self.roll_indent(self.column);
                }
                self.remove_key();
                self.key_allowed = true;
                self.skip();
            }
            b'?' if self.flow != 0 || self.is_blankz_at(1) => {
                if self.flow == 0 {
                    if !self.key_allowed {
                        return Err(Stop::Done);
                    }
                    self.roll_indent(self.column);
                }
                self.remove_key();
                self.key_allowed = self.flow == 0;
                self.skip();
            }
            b':' if self.flow != 0 || self.is_blankz_at(1) => self.value()?,
            b'*' | b'&' => {
                self.save_key();
                self.key_allowed = false;
                self.skip();
                while is_alpha(self.cur()) {
                    self.skip();
                }
            }
            b'!' => {
                self.save_key();
                self.key_allowed = false;
                self.skip_tag();
            }
            b'|' | b'>' if self.flow == 0 => self.block_scalar()?,
            b'\'' | b'"' => {
                self.save_key();
                self.key_allowed = false;
                self.quoted_scalar(c)?;
            }
            _ if self.starts_plain(c, next) => {
                self.save_key();
                self.key_allowed = false;
                self.plain_scalar();
            }
            // "found character that cannot start any token"
            _ => return Err(Stop::Done),
        }
        Ok(())
    }

    fn starts_plain(&self, c: u8, next: u8) -> bool {
        const INDICATORS: &[u8] = b"-?:,[]{}#&*!|>'\"%@`";
        let plain_start = !(self.is_blankz() || INDICATORS.contains(&c));
        plain_start
            || (c == b'-' && !is_blank(next))
            || (self.flow == 0 && (c == b'?' || c == b':') && !self.is_blankz_at(1))
    }

    fn value(&mut self) -> Step {
        match self.live_key() {
            Some(key) if self.flow == 0 => {
                self.roll_indent(key.column);
                self.block_key = None;
                self.key_allowed = false;
            }
            _ => {
                if self.flow == 0 {
                    if !self.key_allowed {
                        return Err(Stop::Done);
                    }
                    self.roll_indent(self.column);
                }
                self.key_allowed = self.flow == 0;
            }
        }
        self.skip();
        Ok(())
    }

    /// A tag ends at a blank; libyaml rejects anything else after it except
    /// `,` in flow context, so stopping at flow indicators there is safe.
    fn skip_tag(&mut self) {
        while !self.is_blankz() {
            if self.flow != 0 && b",[]{}".contains(&self.cur()) {
                return;
            }
            self.skip();
        }
    }

    fn quoted_scalar(&mut self, quote: u8) -> Step {
        self.skip();
        loop {
            if self.at_end() {
                return Err(Stop::Done);
            }
            if self.column == 0
                && (self.src.get(self.pos..self.pos + 3) == Some(b"---")
                    || self.src.get(self.pos..self.pos + 3) == Some(b"..."))
                && self.is_blankz_at(3)
            {
                // "found unexpected document indicator"
                return Err(Stop::Done);
            }
            if self.is_break() {
                self.skip_break();
                continue;
            }
            let c = self.cur();
            if quote == b'\'' && c == b'\'' && self.byte_at(1) == b'\'' {
                self.skip();
                self.skip();
            } else if c == quote {
                self.skip();
                return Ok(());
            } else if quote == b'"' && c == b'\\' {
                self.skip();
                if self.is_break() {
                    self.skip_break();
                } else {
                    self.skip();
                }
            } else {
                self.skip();
            }
        }
    }

    fn plain_scalar(&mut self) {
        let threshold = self.indent.saturating_add(1);
        let mut leading_blanks = false;
        loop {
            if self.column == 0
                && (self.src.get(self.pos..self.pos + 3) == Some(b"---")
                    || self.src.get(self.pos..self.pos + 3) == Some(b"..."))
                && self.is_blankz_at(3)
            {
                break;
            }
            if self.cur() == b'#' {
                break;
            }
            while !self.is_blankz() {
                let c = self.cur();
                if c == b':' && self.is_blankz_at(1) {
                    break;
                }
                if self.flow != 0
                    && (b",[]{}".contains(&c)
                        || (c == b':' && b",?[]{}".contains(&self.byte_at(1))))
                {
                    break;
                }
                self.skip();
            }
            if !(is_blank(self.cur()) || self.is_break()) {
                break;
            }
            while is_blank(self.cur()) || self.is_break() {
                if is_blank(self.cur()) {
                    self.skip();
                } else {
                    self.skip_break();
                    leading_blanks = true;
                }
            }
            let column = isize::try_from(self.column).unwrap_or(isize::MAX);
            if self.flow == 0 && column < threshold {
                break;
            }
        }
        if leading_blanks {
            self.key_allowed = true;
        }
    }

    fn block_scalar(&mut self) -> Step {
        self.remove_key();
        self.key_allowed = true;
        self.skip();
        // Header: chomping and indentation indicators in either order.
        let mut increment = 0usize;
        for _ in 0..2 {
            match self.cur() {
                b'+' | b'-' => self.skip(),
                b'0' => return Err(Stop::Done),
                d @ b'1'..=b'9' if increment == 0 => {
                    increment = usize::from(d - b'0');
                    self.skip();
                }
                _ => {}
            }
        }
        while is_blank(self.cur()) {
            self.skip();
        }
        if self.cur() == b'#' {
            self.skip_to_break();
        }
        if !self.is_blankz() {
            return Err(Stop::Done);
        }
        self.skip_break();

        let mut indent: usize = 0;
        if increment != 0 {
            indent = match usize::try_from(self.indent) {
                Ok(base) => base + increment,
                Err(_) => increment,
            };
        }
        self.block_breaks(&mut indent);
        while self.column == indent && !self.at_end() {
            self.skip_to_break();
            if self.at_end() {
                break;
            }
            self.skip_break();
            self.block_breaks(&mut indent);
        }
        Ok(())
    }

    /// libyaml's `scan_block_scalar_breaks`: skip indentation and empty
    /// lines, fixing the content indentation if it is still open.
    fn block_breaks(&mut self, indent: &mut usize) {
        let mut max_indent = 0usize;
        loop {
            while (*indent == 0 || self.column < *indent) && self.cur() == b' ' {
                self.skip();
            }
            max_indent = max_indent.max(self.column);
            if !self.is_break() {
                break;
            }
            self.skip_break();
        }
        if *indent == 0 {
            let floor = usize::try_from(self.indent.saturating_add(1)).unwrap_or(0);
            *indent = max_indent.max(floor).max(1);
        }
    }
}

// Unit tests exercise the scanner directly, without libyaml.
#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, max: usize) -> bool {
        check_flow_depth(text, max).is_ok()
    }

    #[test]
    fn counts_real_flow_nesting() {
        assert!(depth_ok("a: [[1]]", 2));
        assert!(!depth_ok("a: [[[1]]]", 2));
        assert!(depth_ok("a: [[1], [2], {b: [3]}]", 3));
        assert!(!depth_ok("a: {b: [{c: 1}]}", 2));
        let err = check_flow_depth("x: 1\ny: [[[", 2).unwrap_err();
        assert_eq!(
            err.at,
            SourceLocation {
                line: 2,
                column: 6,
                offset: Some(10)
            }
        );
    }

    #[test]
    fn brackets_in_text_are_not_nesting() {
        let texts = [
            "a: '[[[[[['\n",
            "a: \"{{{{{{ \\\" [[[[\"\n",
            "a: x[[[[[[[\n",
            "# [[[[[[[[\na: 1\n",
            "a: 1 # [[[[[[[\n",
            "a: |\n  [[[[[[[\n  {{{{{{{\nb: 1\n",
            "a: >-\n    [[[[[[\n\n    [[[[[\n",
            "- key: |2\n     [[[[[[[\n",
            "a: plain\n  continued [[[[[[[\n",
            "a: !tag[[[[[[ x\n",
            "a: &anchor x\nb: *anchor\n",
            "[a, 'it''s [[[[', \"[[[[\"]\n",
        ];
        for text in texts {
            assert!(depth_ok(text, 1), "{text:?}");
        }
    }

    #[test]
    fn text_tricks_do_not_hide_nesting() {
        // Quote characters inside plain scalars are not quotes.
        assert!(!depth_ok("a: don't\nb: [[[[1]]]]\n", 3));
        // A block scalar ends where its indentation ends.
        assert!(!depth_ok("a: |\n  text\nb: [[[[1]]]]\n", 3));
        // A more-indented line after a key is not block-scalar content.
        assert!(!depth_ok("- key: |\n   x\n- [[[[1]]]]\n", 3));
        // Continuation lines of plain scalars end at lower indentation.
        assert!(!depth_ok("a: b\n  c\nd: [[[[1]]]]\n", 3));
        // Comments end at the line break.
        assert!(!depth_ok("a: 1 # '\nb: [[[[1]]]]\n", 3));
        // Flow context: quotes after separators are quotes, `#` after a
        // blank is a comment, and brackets end plain scalars.
        assert!(!depth_ok("a: [x, [y[[[1]]]]]\n", 3));
        assert!(!depth_ok("a: [\"q\", [[[1]]]]\n", 3));
    }

    #[test]
    fn long_inputs_scan_linearly() {
        let text = format!("a: {}", "[".repeat(1 << 20));
        let err = check_flow_depth(&text, 64).unwrap_err();
        assert_eq!(err.at.column, 4 + 64);
        let text = format!("a: [{}]", "[1],".repeat(1 << 18));
        assert!(depth_ok(&text, 2));
    }

    #[test]
    fn stops_quietly_where_libyaml_fails() {
        // Errors end the scan: libyaml never reaches what follows.
        for text in [
            "\t- x\n[[[[",
            "a: '\n--- \n[[[[",
            "@bad [[[[",
            "a: |0\n[[[[",
        ] {
            assert!(depth_ok(text, 2), "{text:?}");
        }
        assert!(depth_ok("", 0));
    }
}
