//! Splitting a byte stream into lines of bounded length: a line longer than
//! [`LINE_LIMIT`] is cut there and the rest of it, up to its newline, is
//! skipped, so that no amount of output without a newline grows memory.

/// The most bytes of one line that are kept.
pub const LINE_LIMIT: usize = 64 * 1024;

/// Appended to a line that was cut at [`LINE_LIMIT`].
pub const CUT_MARK: &str = "… [line cut at 64 KiB]";

/// One line of output, without its newline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Its text (invalid UTF-8 as U+FFFD), at most [`LINE_LIMIT`] bytes of
    /// it, without the mark.
    pub text: String,
    /// Whether the line was longer and cut.
    pub cut: bool,
}

impl Line {
    /// The line as it is kept and shown: the text, and the mark if it was cut.
    pub fn shown(self) -> String {
        if self.cut {
            self.text + CUT_MARK
        } else {
            self.text
        }
    }
}

/// Turns pieces of a stream into lines; holds at most [`LINE_LIMIT`] bytes
/// of the line not yet ended.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
    /// The current line was cut: skip until its newline.
    skipping: bool,
}

impl LineSplitter {
    /// Takes the next piece of the stream, handing every line it completes
    /// (or cuts) to `emit`.
    pub fn feed(&mut self, mut bytes: &[u8], emit: &mut impl FnMut(Line)) {
        while !bytes.is_empty() {
            let newline = bytes.iter().position(|&b| b == b'\n');
            let piece = &bytes[..newline.unwrap_or(bytes.len())];
            bytes = newline.map_or(&[][..], |at| &bytes[at + 1..]);
            if !self.skipping {
                let room = LINE_LIMIT - self.partial.len();
                if piece.len() > room {
                    self.partial.extend_from_slice(&piece[..room]);
                    emit(self.take(true));
                    self.skipping = true;
                } else {
                    self.partial.extend_from_slice(piece);
                }
            }
            if newline.is_some() {
                if !self.skipping {
                    emit(self.take(false));
                }
                self.skipping = false;
            }
        }
    }

    /// The end of the stream: the last line if it had no newline.
    pub fn finish(mut self) -> Option<Line> {
        (!self.skipping && !self.partial.is_empty()).then(|| self.take(false))
    }

    fn take(&mut self, cut: bool) -> Line {
        let text = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        Line { text, cut }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pieces` one after the other and collects the lines.
    fn split(pieces: &[&[u8]]) -> Vec<Line> {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        for piece in pieces {
            splitter.feed(piece, &mut |line| lines.push(line));
        }
        lines.extend(splitter.finish());
        lines
    }

    fn whole(text: &str) -> Line {
        Line {
            text: text.to_string(),
            cut: false,
        }
    }

    #[test]
    fn lines_across_pieces_and_a_last_line_without_newline() {
        assert_eq!(
            split(&[b"one\ntw", b"o\n\nthr", b"ee"]),
            [whole("one"), whole("two"), whole(""), whole("three")]
        );
        assert_eq!(split(&[b"x\n"]), [whole("x")]);
        assert!(split(&[b""]).is_empty());
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_whole() {
        let line = vec![b'a'; LINE_LIMIT];
        let lines = split(&[&line[..1000], &line[1000..], b"\n"]);
        assert_eq!(lines.len(), 1);
        assert!(!lines[0].cut);
        assert_eq!(lines[0].text.len(), LINE_LIMIT);
    }

    #[test]
    fn a_longer_line_is_cut_marked_and_the_rest_skipped() {
        let long = vec![b'z'; 3 * LINE_LIMIT];
        let lines = split(&[b"before\n", &long, &long, b"zz\nafter\n"]);
        assert_eq!(lines.len(), 3, "one line per newline");
        assert_eq!(lines[0], whole("before"));
        assert!(lines[1].cut);
        assert_eq!(lines[1].text, "z".repeat(LINE_LIMIT));
        assert_eq!(lines[2], whole("after"));
        let shown = lines[1].clone().shown();
        assert!(
            shown.ends_with("z… [line cut at 64 KiB]"),
            "{}",
            &shown[LINE_LIMIT - 5..]
        );
    }

    #[test]
    fn a_stream_without_any_newline_keeps_one_cut_line() {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        let piece = vec![0u8; 8192];
        for _ in 0..1000 {
            splitter.feed(&piece, &mut |line| lines.push(line));
        }
        assert_eq!(lines.len(), 1);
        assert!(lines[0].cut);
        assert!(splitter.partial.capacity() <= 2 * LINE_LIMIT);
        assert_eq!(splitter.finish(), None, "the skipped rest is no line");
    }

    #[test]
    fn invalid_utf8_becomes_the_replacement_character() {
        assert_eq!(split(&[b"a\xffb\n"]), [whole("a\u{fffd}b")]);
    }
}
