//! A command's output, captured without ever blocking it: a thread reads
//! the pipe as fast as the command writes and keeps the last lines.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use regex::Regex;

/// How many lines are kept; older ones are dropped.
pub const KEPT_LINES: usize = 10_000;

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

#[derive(Debug, Default)]
struct Lines {
    kept: VecDeque<String>,
    total: usize,
}

impl Output {
    /// Starts reading `pipe` (the command's stdout and stderr) in a thread;
    /// with `ready`, remembers when a line first matches it.
    pub fn capture(pipe: OwnedFd, ready: Option<Regex>) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("output".into())
            .spawn(move || {
                let reader = BufReader::new(std::fs::File::from(pipe));
                for line in reader.split(b'\n') {
                    let Ok(line) = line else { return };
                    let line = String::from_utf8_lossy(&line).into_owned();
                    if ready.as_ref().is_some_and(|r| r.is_match(&line)) {
                        writer.ready.store(true, Ordering::SeqCst);
                    }
                    let mut lines = writer.lines.lock().unwrap_or_else(|p| p.into_inner());
                    if lines.kept.len() == KEPT_LINES {
                        lines.kept.pop_front();
                    }
                    lines.kept.push_back(line);
                    lines.total += 1;
                }
            })?;
        Ok(Self { shared })
    }

    /// Whether a line matched the ready pattern.
    pub fn ready(&self) -> bool {
        self.shared.ready.load(Ordering::SeqCst)
    }

    /// The last `count` lines kept, oldest first, and how many lines were
    /// read in all.
    pub fn tail(&self, count: usize) -> (Vec<String>, usize) {
        let lines = self.shared.lines.lock().unwrap_or_else(|p| p.into_inner());
        let skip = lines.kept.len().saturating_sub(count);
        (lines.kept.iter().skip(skip).cloned().collect(), lines.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lines_are_kept_and_the_ready_pattern_is_seen() {
        let (read, write) = crate::sys::fds::pipe().expect("pipe");
        let output = Output::capture(read, Regex::new("^listening on").ok()).expect("thread");
        let mut writer = std::fs::File::from(write);
        writeln!(writer, "starting").expect("write");
        assert!(!output.ready());
        writeln!(writer, "listening on 8080").expect("write");
        drop(writer);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while output.tail(10).1 < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "the reader thread reads"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(output.ready());
        assert_eq!(output.tail(1), (vec!["listening on 8080".to_string()], 2));
    }
}
