//! A command's output, captured without ever blocking it: a thread reads
//! the pipe in bounded pieces as fast as the command writes and keeps the
//! last lines, each cut at 64 KiB, within a bound on lines and on bytes.

use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use regex::Regex;

use super::lines::{Line, LineSplitter};

/// How many lines are kept at most; older ones are dropped.
pub const KEPT_LINES: usize = 10_000;

/// How many bytes of lines are kept at most; older lines are dropped.
pub const KEPT_BYTES: usize = 2 * 1024 * 1024;

/// How much one read of the pipe takes.
const PIECE: usize = 16 * 1024;

/// The captured output of a run.
#[derive(Clone, Debug)]
pub struct Output {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    lines: Mutex<Lines>,
    ready: AtomicBool,
}

/// The kept lines, oldest first, with their size in bytes.
#[derive(Debug, Default)]
struct Lines {
    kept: VecDeque<String>,
    bytes: usize,
    total: usize,
}

impl Lines {
    /// Keeps `line`, dropping the oldest lines past either bound.
    fn push(&mut self, line: String) {
        self.bytes += line.len();
        self.kept.push_back(line);
        self.total += 1;
        while self.kept.len() > KEPT_LINES || self.bytes > KEPT_BYTES {
            match self.kept.pop_front() {
                Some(old) => self.bytes -= old.len(),
                None => break,
            }
        }
    }
}

/// Some of the kept lines, and how many there are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Excerpt {
    /// The lines asked for, oldest first.
    pub lines: Vec<String>,
    /// How many lines are kept.
    pub kept: usize,
    /// How many lines were read in all.
    pub total: usize,
}

impl Output {
    /// Starts reading `pipe` (the command's stdout and stderr) in a thread;
    /// with `ready`, remembers when a line first matches it (the kept part,
    /// for a line that was cut) and then writes to `on_ready` (an eventfd
    /// the session waits on), once.
    pub fn capture(
        pipe: OwnedFd,
        ready: Option<Regex>,
        on_ready: Option<OwnedFd>,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("output".into())
            .spawn(move || {
                let mut keep = |line: Line| {
                    if ready.as_ref().is_some_and(|r| r.is_match(&line.text))
                        && !writer.ready.swap(true, Ordering::SeqCst)
                        && let Some(fd) = &on_ready
                    {
                        // An eventfd counts; a failed write only delays
                        // the news to the session's next walk.
                        let _ = rustix::io::write(fd, &1u64.to_ne_bytes());
                    }
                    let mut lines = writer.lines.lock().unwrap_or_else(|p| p.into_inner());
                    lines.push(line.shown());
                };
                let mut pipe = std::fs::File::from(pipe);
                let mut splitter = LineSplitter::default();
                let mut piece = vec![0; PIECE];
                loop {
                    match pipe.read(&mut piece) {
                        Ok(0) => break,
                        Ok(read) => splitter.feed(&piece[..read], &mut keep),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                if let Some(line) = splitter.finish() {
                    keep(line);
                }
            })?;
        Ok(Self { shared })
    }

    /// Whether a line matched the ready pattern.
    pub fn ready(&self) -> bool {
        self.shared.ready.load(Ordering::SeqCst)
    }

    /// Up to `count` kept lines that end `skip_newest` lines before the
    /// newest, oldest first.
    pub fn excerpt(&self, skip_newest: usize, count: usize) -> Excerpt {
        let lines = self.shared.lines.lock().unwrap_or_else(|p| p.into_inner());
        let end = lines.kept.len().saturating_sub(skip_newest);
        let start = end.saturating_sub(count);
        Excerpt {
            lines: lines.kept.range(start..end).cloned().collect(),
            kept: lines.kept.len(),
            total: lines.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::lines::CUT_MARK;
    use std::io::Write;

    /// Waits until `output` has read `total` lines.
    fn wait_for_lines(output: &Output, total: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while output.excerpt(0, 0).total < total {
            assert!(
                std::time::Instant::now() < deadline,
                "the reader thread reads"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn lines_are_kept_and_the_ready_pattern_is_seen() {
        let (read, write) = crate::sys::fds::pipe().expect("pipe");
        let output = Output::capture(read, Regex::new("^listening on").ok(), None).expect("thread");
        let mut writer = std::fs::File::from(write);
        writeln!(writer, "starting").expect("write");
        assert!(!output.ready());
        writeln!(writer, "listening on 8080").expect("write");
        drop(writer);
        wait_for_lines(&output, 2);
        assert!(output.ready());
        let last = output.excerpt(0, 1);
        assert_eq!(last.lines, ["listening on 8080"]);
        assert_eq!((last.kept, last.total), (2, 2));
        assert_eq!(output.excerpt(1, 5).lines, ["starting"]);
    }

    #[test]
    fn a_cut_line_still_matches_and_the_kept_bytes_are_bounded() {
        let (read, write) = crate::sys::fds::pipe().expect("pipe");
        let output = Output::capture(read, Regex::new("^x+ready").ok(), None).expect("thread");
        let mut writer = std::fs::File::from(write);
        let long = format!("{}ready{}\n", "x".repeat(100), "y".repeat(200_000));
        for _ in 0..100 {
            writer.write_all(long.as_bytes()).expect("write");
        }
        drop(writer);
        wait_for_lines(&output, 100);
        assert!(output.ready(), "the kept part of a cut line is matched");
        let all = output.excerpt(0, KEPT_LINES);
        assert_eq!(all.total, 100);
        assert!(
            all.kept < 100,
            "older lines were dropped for the byte bound"
        );
        let bytes: usize = all.lines.iter().map(String::len).sum();
        assert!(bytes <= KEPT_BYTES, "{bytes} bytes kept");
        assert!(all.lines.iter().all(|l| l.ends_with(CUT_MARK)));
    }
}
