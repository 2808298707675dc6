//! sigtree's side of the tracer: starting it (as root), reading its lines
//! as they come, and syncing with it (a marker through the trace itself).
//! Dropping it closes the tracer's pipe: the tracer removes its instance.

use std::collections::HashMap;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use super::tracer::READY;
use crate::sys::fds;
use crate::sys::tracefs::{TraceRecord, parse_line};

/// How long the tracer may take to set its instance up, or to end.
const TRACER_DEADLINE: Duration = Duration::from_secs(3);

/// How long after a task entered its exit a signal it sends is still
/// taken as sent from that exit: the exit's signals to its children come
/// once its memory is released, which takes long only for a huge process.
const EXIT_SENDS_WITHIN_NS: u64 = 5_000_000_000;

/// How many exiting tasks are kept before the older ones are dropped.
const EXITING_PRUNED_FROM: usize = 4096;

/// The tracer as sigtree holds it.
#[derive(Debug)]
pub struct Tracer {
    child: Child,
    /// The write end of the tracer's pipe: closing it ends the tracer.
    control: Option<std::fs::File>,
    /// The tracer's stdout, non-blocking.
    output: std::fs::File,
    /// A line not ended yet.
    partial: Vec<u8>,
    syncs: u64,
    losses: u64,
    exiting: ExitingTasks,
}

/// Tasks the trace saw enter their exit lately: what they send from then
/// on comes from their exit.
#[derive(Debug, Default)]
struct ExitingTasks {
    /// Thread id → when it entered its exit (ns), and when a new task
    /// took the id again, if one did.
    tasks: HashMap<i32, (u64, Option<u64>)>,
}

impl ExitingTasks {
    /// Takes in what `record` says of a task's exit or of a new task.
    fn take(&mut self, record: &TraceRecord) {
        match record {
            TraceRecord::Exiting { at_ns, task } => {
                self.tasks.insert(task.tid, (*at_ns, None));
                if self.tasks.len() > EXITING_PRUNED_FROM {
                    let since = at_ns.saturating_sub(EXIT_SENDS_WITHIN_NS);
                    self.tasks.retain(|_, (at, _)| *at >= since);
                }
            }
            // From then on its id is another task's, which is not exiting.
            TraceRecord::NewTask { at_ns, pid } => {
                if let Some((_, reused)) = self.tasks.get_mut(pid) {
                    reused.get_or_insert(*at_ns);
                }
            }
            _ => {}
        }
    }

    /// Whether thread `tid` was in its exit at `at_ns`.
    fn at(&self, tid: i32, at_ns: u64) -> bool {
        self.tasks.get(&tid).is_some_and(|&(exit, reused)| {
            exit <= at_ns
                && at_ns - exit <= EXIT_SENDS_WITHIN_NS
                && reused.is_none_or(|reused| at_ns < reused)
        })
    }
}

impl Tracer {
    /// Starts the tracer (`exe __tracer`), in a process group of its own,
    /// and waits for its instance to record. Only root can have one.
    pub fn start(exe: &Path) -> io::Result<Self> {
        if !rustix::process::geteuid().is_root() {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        let (read, write) = fds::pipe()?;
        fds::set_inheritable(read.as_fd())?;
        let mut child = Command::new(exe)
            .args(["__tracer", "--control-fd", &read.as_raw_fd().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        drop(read);
        let output = child
            .stdout
            .take()
            .map(|stdout| std::fs::File::from(OwnedFd::from(stdout)))
            .ok_or_else(|| io::Error::from(io::ErrorKind::BrokenPipe))?;
        fds::set_nonblocking(output.as_fd())?;
        let mut tracer = Self {
            child,
            control: Some(std::fs::File::from(write)),
            output,
            partial: Vec::new(),
            syncs: 0,
            losses: 0,
            exiting: ExitingTasks::default(),
        };
        if tracer.wait_for_line(READY, TRACER_DEADLINE) {
            Ok(tracer)
        } else {
            Err(io::Error::from(io::ErrorKind::TimedOut))
        }
    }

    /// Readable when the tracer has written.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.output.as_fd()
    }

    /// How many events the kernel's ring buffer lost so far.
    pub fn losses(&self) -> u64 {
        self.losses
    }

    /// Waits (at most `timeout`) for the line `wanted`; the lines before it
    /// are dropped (only the ready line comes before any event).
    fn wait_for_line(&mut self, wanted: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let lines = self.read_lines();
            if let Some(at) = lines.iter().position(|line| line == wanted) {
                self.partial = lines[at + 1..]
                    .iter()
                    .flat_map(|line| line.bytes().chain(std::iter::once(b'\n')))
                    .chain(std::mem::take(&mut self.partial))
                    .collect();
                return true;
            }
            if !self.wait_readable(deadline) {
                return false;
            }
        }
    }

    /// Waits until the tracer's output is readable or `deadline` passes.
    fn wait_readable(&self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let timeout = Timespec::try_from(left).ok();
        let mut fds = [PollFd::new(&self.output, PollFlags::IN)];
        poll(&mut fds, timeout.as_ref()).is_ok_and(|n| n > 0)
    }

    /// The whole lines the tracer has written now.
    fn read_lines(&mut self) -> Vec<String> {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n) = self.output.read(&mut buffer) {
            if n == 0 {
                break;
            }
            self.partial.extend_from_slice(&buffer[..n]);
        }
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let rest = self.partial.split_off(end + 1);
        let whole = std::mem::replace(&mut self.partial, rest);
        String::from_utf8_lossy(&whole)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The records the tracer has written now, oldest first.
    pub fn read(&mut self) -> Vec<TraceRecord> {
        let records: Vec<TraceRecord> = self
            .read_lines()
            .iter()
            .filter_map(|line| parse_line(line))
            .collect();
        for record in &records {
            if let TraceRecord::Lost(n) = record {
                self.losses += n;
            }
            self.exiting.take(record);
        }
        records
    }

    /// Whether thread `tid` had entered its exit (and its pid was not
    /// taken again since) when it sent a signal at `at_ns`: read once the
    /// records up to that signal were.
    pub fn sent_while_exiting(&self, tid: i32, at_ns: u64) -> bool {
        self.exiting.at(tid, at_ns)
    }

    /// Every record of what the kernel traced until now: a marker is put
    /// in the trace and the records are read up to it (at most `timeout`).
    pub fn sync(&mut self, timeout: Duration) -> Vec<TraceRecord> {
        use std::io::Write;
        self.syncs += 1;
        let asked = self
            .control
            .as_mut()
            .is_some_and(|control| writeln!(control, "{}", self.syncs).is_ok());
        let mut records = self.read();
        if !asked {
            return records;
        }
        let deadline = Instant::now() + timeout;
        loop {
            if records
                .iter()
                .any(|r| matches!(r, TraceRecord::Synced(n) if *n == self.syncs))
            {
                return records;
            }
            if !self.wait_readable(deadline) {
                return records;
            }
            records.extend(self.read());
        }
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        // Its pipe closes: it removes its instance and exits.
        self.control = None;
        let deadline = Instant::now() + TRACER_DEADLINE;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_)) | Err(_)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::tracefs::Task;

    fn exiting(tid: i32, at_ns: u64) -> TraceRecord {
        TraceRecord::Exiting {
            at_ns,
            task: Task {
                comm: "sh".into(),
                tid,
                tgid: tid,
            },
        }
    }

    #[test]
    fn a_task_is_exiting_from_its_exit_until_its_id_is_taken_again() {
        let mut tasks = ExitingTasks::default();
        tasks.take(&exiting(40, 1_000));
        assert!(!tasks.at(40, 999), "before its exit");
        assert!(tasks.at(40, 1_000) && tasks.at(40, 2_000));
        assert!(!tasks.at(41, 2_000), "another task");
        assert!(!tasks.at(40, 1_000 + EXIT_SENDS_WITHIN_NS + 1), "too late");
        tasks.take(&TraceRecord::NewTask {
            at_ns: 3_000,
            pid: 40,
        });
        assert!(tasks.at(40, 2_999), "still the exiting one's");
        assert!(!tasks.at(40, 3_000), "the new task's");
        // Its new owner exits in turn.
        tasks.take(&exiting(40, 5_000));
        assert!(tasks.at(40, 5_001));
    }
}
