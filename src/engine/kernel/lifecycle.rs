//! Lifecycle events of the watched tree, from the proc connector: a thread
//! reads the socket as fast as the kernel writes it (the buffer overflows
//! otherwise), keeps only what concerns the watched processes — the roots
//! and everything they fork, and what the session adds (walks find what
//! existed before) — reads each new or exec'd process's stat at once (a
//! process that lives 1 ms is gone by the next walk), and hands batches to
//! the session through a channel and an eventfd it polls.

use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::event::{EventfdFlags, PollFd, PollFlags, eventfd, poll};

use crate::procfs::record::ProcessRecord;
use crate::procfs::scan::Reader;
use crate::sys::connector::{Connector, ProcEvent};
use crate::sys::wait::Ending;
use crate::sys::{Units, boottime_ms, monotonic_ms};

/// What the kernel reported of a watched process, with what was read of it
/// right then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifeEvent {
    /// When the kernel made the event (CLOCK_MONOTONIC nanoseconds).
    pub at_ns: u64,
    /// What happened.
    pub kind: LifeKind,
}

/// What a process was called at a moment: its name and command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// Its name (comm).
    pub comm: String,
    /// Its command line, joined (`[comm]` when it has none).
    pub cmd: String,
}

impl Named {
    /// What `record` (read with its command line) says.
    pub fn of(record: &ProcessRecord) -> Self {
        Self {
            comm: record.comm.clone(),
            cmd: record.command(),
        }
    }
}

/// The kinds of lifecycle events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LifeKind {
    /// `parent` forked `child`.
    Fork {
        /// The parent process.
        parent: i32,
        /// The new process.
        child: i32,
        /// Its start time (ms since boot): from its stat, or, when it was
        /// gone before it could be read, the event's time in /proc's ticks.
        start_time_ms: u64,
        /// Its stat, read at once, when it was still there.
        record: Option<ProcessRecord>,
        /// What the fork copied: the parent's name and command line as of
        /// the fork (as the events before it left them), when known.
        named: Option<Named>,
    },
    /// `pid` called execve.
    Exec {
        /// The process.
        pid: i32,
        /// Its stat and command line right after, when it was still there.
        record: Option<ProcessRecord>,
    },
    /// `pid` renamed itself (prctl PR_SET_NAME, or its own /proc/PID/comm).
    Rename {
        /// The process.
        pid: i32,
        /// Its new name (invalid UTF-8 as U+FFFD).
        comm: String,
        /// Its command line read right after, when it could be.
        cmd: Option<String>,
    },
    /// `pid` called setsid: it leads a new session and group.
    Setsid {
        /// The process.
        pid: i32,
    },
    /// `pid` ended (every thread of it), with this status.
    Exit {
        /// The process.
        pid: i32,
        /// How it ended.
        ending: Ending,
    },
    /// The socket's buffer overflowed: events were lost; walk now.
    Lost,
}

/// Which processes are followed: the roots, what they fork, and what the
/// session adds. Pure: it decides from the events alone.
#[derive(Debug, Default)]
pub struct Follow {
    /// Each followed pid, with the time (CLOCK_MONOTONIC ns) from which it
    /// was known to be the followed process: its fork, or when it was added.
    members: HashMap<i32, u64>,
}

impl Follow {
    /// Follows `pid`, known to be the followed process at `since_ns` (and,
    /// from then on, what it forks).
    pub fn add(&mut self, pid: i32, since_ns: u64) {
        self.members.entry(pid).or_insert(since_ns);
    }

    /// Whether `event` concerns a followed process; a fork by a followed
    /// process makes the child followed, and a process forked by anyone
    /// else under a followed pid, later than it was known, is another
    /// process that reused the number. Threads' own events (a thread's
    /// fork, rename or exit) are left out: a process's exit is its main
    /// thread's (`pid == tgid`).
    pub fn admit(&mut self, event: &ProcEvent) -> bool {
        match *event {
            ProcEvent::Fork {
                at_ns,
                parent_tgid,
                child_pid,
                child_tgid,
            } => {
                if child_pid != child_tgid {
                    return false;
                }
                if self.members.contains_key(&parent_tgid) {
                    self.members.insert(child_tgid, at_ns);
                    true
                } else {
                    if self
                        .members
                        .get(&child_tgid)
                        .is_some_and(|&since| at_ns > since)
                    {
                        self.members.remove(&child_tgid);
                    }
                    false
                }
            }
            ProcEvent::Exec { tgid, .. } | ProcEvent::Sid { tgid, .. } => {
                self.members.contains_key(&tgid)
            }
            ProcEvent::Comm { pid, tgid, .. } | ProcEvent::Exit { pid, tgid, .. } => {
                pid == tgid && self.members.contains_key(&tgid)
            }
        }
    }
}

/// A message from the reading thread.
enum Batch {
    /// Events, oldest first.
    Events(Vec<LifeEvent>),
    /// Everything the kernel had written before sync request N is sent.
    Synced(u64),
}

/// A request to the reading thread.
enum Request {
    /// Read everything there is now, then answer `Synced(N)`.
    Sync(u64),
    /// End.
    Stop,
}

/// The lifecycle source of a run: the reading thread and its channel.
#[derive(Debug)]
pub struct Lifecycle {
    batches: Receiver<Batch>,
    requests: Sender<Request>,
    /// Written by the thread with every batch: the session polls it.
    ready: Arc<OwnedFd>,
    /// Written by the session to wake the thread with a request.
    poke: Arc<OwnedFd>,
    follow: Arc<Mutex<Follow>>,
    losses: Arc<AtomicU64>,
    syncs: u64,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Events(events) => write!(f, "{} events", events.len()),
            Self::Synced(n) => write!(f, "synced {n}"),
        }
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sync(n) => write!(f, "sync {n}"),
            Self::Stop => f.write_str("stop"),
        }
    }
}

impl Lifecycle {
    /// Starts reading `connector` (opened before anything was started, so
    /// that no fork is missed) on a thread of its own, following `roots`.
    pub fn start(connector: Connector, roots: &[i32]) -> std::io::Result<Self> {
        let mut follow = Follow::default();
        let now = monotonic_ns();
        for &root in roots {
            follow.add(root, now);
        }
        let follow = Arc::new(Mutex::new(follow));
        let flags = EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK;
        let ready = Arc::new(eventfd(0, flags)?);
        let poke = Arc::new(eventfd(0, flags)?);
        let losses = Arc::new(AtomicU64::new(0));
        let (batch_sender, batches) = mpsc::channel();
        let (requests, request_receiver) = mpsc::channel();
        let reading = Reading {
            connector,
            follow: follow.clone(),
            losses: losses.clone(),
            batches: batch_sender,
            requests: request_receiver,
            ready: ready.clone(),
            poke: poke.clone(),
            reader: Reader::default(),
            units: Units::current(),
            names: HashMap::new(),
        };
        let thread = std::thread::Builder::new()
            .name("proc-connector".into())
            .spawn(move || reading.run())?;
        Ok(Self {
            batches,
            requests,
            ready,
            poke,
            follow,
            losses,
            syncs: 0,
            thread: Some(thread),
        })
    }

    /// Follows `pid` too (a walk found it): what it forks is watched.
    pub fn follow(&self, pid: i32) {
        let now = monotonic_ns();
        self.follow
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(pid, now);
    }

    /// Readable when events are waiting.
    pub fn ready_fd(&self) -> BorrowedFd<'_> {
        self.ready.as_fd()
    }

    /// The events the thread has handed over, oldest first, without waiting.
    pub fn take(&self) -> Vec<LifeEvent> {
        drain_eventfd(&self.ready);
        let mut events = Vec::new();
        while let Ok(batch) = self.batches.try_recv() {
            if let Batch::Events(mut more) = batch {
                events.append(&mut more);
            }
        }
        events
    }

    /// Every event the kernel wrote before this call, oldest first: waits
    /// (at most `timeout`) for the thread to read the socket to its end.
    /// `None` when the thread did not answer in time (or is gone): then
    /// what it handed over so far is in `Err`.
    pub fn sync(&mut self, timeout: Duration) -> Result<Vec<LifeEvent>, Vec<LifeEvent>> {
        self.syncs += 1;
        let mut events = self.take();
        if self.requests.send(Request::Sync(self.syncs)).is_err() {
            return Err(events);
        }
        let _ = rustix::io::write(&*self.poke, &1u64.to_ne_bytes());
        let deadline = Instant::now() + timeout;
        let answered = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.batches.recv_timeout(left) {
                Ok(Batch::Events(mut more)) => events.append(&mut more),
                Ok(Batch::Synced(n)) if n == self.syncs => break true,
                Ok(Batch::Synced(_)) => {}
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break false,
            }
        };
        drain_eventfd(&self.ready);
        if answered { Ok(events) } else { Err(events) }
    }

    /// How many times the kernel had to drop events (ENOBUFS) so far.
    pub fn losses(&self) -> u64 {
        self.losses.load(Ordering::Relaxed)
    }
}

impl Drop for Lifecycle {
    fn drop(&mut self) {
        let _ = self.requests.send(Request::Stop);
        let _ = rustix::io::write(&*self.poke, &1u64.to_ne_bytes());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds, the clock of the connector's events.
fn monotonic_ns() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(now.tv_nsec).unwrap_or(0)
}

/// Empties an eventfd.
fn drain_eventfd(fd: &OwnedFd) {
    let mut count = [0u8; 8];
    let _ = rustix::io::read(fd, &mut count);
}

/// The reading thread's state.
struct Reading {
    connector: Connector,
    follow: Arc<Mutex<Follow>>,
    losses: Arc<AtomicU64>,
    batches: Sender<Batch>,
    requests: Receiver<Request>,
    ready: Arc<OwnedFd>,
    poke: Arc<OwnedFd>,
    reader: Reader,
    units: Units,
    /// What each followed process was called as of the latest event read:
    /// a fork copies its parent's, an exec or a rename changes it.
    names: HashMap<i32, Named>,
}

impl Reading {
    /// Reads until told to stop (or until the session is gone).
    fn run(mut self) {
        let mut raw = Vec::with_capacity(256);
        loop {
            let mut fds = [
                PollFd::new(&self.connector, PollFlags::IN),
                PollFd::new(&*self.poke, PollFlags::IN),
            ];
            if poll(&mut fds, None).is_err() {
                continue;
            }
            let poked = !fds[1].revents().is_empty();
            if poked {
                drain_eventfd(&self.poke);
            }
            if !self.read(&mut raw) {
                return;
            }
            if poked {
                while let Ok(request) = self.requests.try_recv() {
                    match request {
                        Request::Stop => return,
                        Request::Sync(n) => {
                            if !self.read(&mut raw) || self.batches.send(Batch::Synced(n)).is_err()
                            {
                                return;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reads what the socket holds, keeps what concerns the followed
    /// processes and sends it; false once the session is gone.
    fn read(&mut self, raw: &mut Vec<ProcEvent>) -> bool {
        raw.clear();
        let (lost, failed) = match self.connector.read_available(raw) {
            Ok(lost) => (lost, false),
            // The socket failed for good: what it had is lost, and nothing
            // more will come (the session's walks go on without it).
            Err(_) => (true, true),
        };
        self.losses
            .store(self.connector.losses(), Ordering::Relaxed);
        let admitted: Vec<ProcEvent> = {
            let mut follow = self.follow.lock().unwrap_or_else(PoisonError::into_inner);
            raw.drain(..).filter(|event| follow.admit(event)).collect()
        };
        if admitted.is_empty() && !lost {
            return true;
        }
        // CLOCK_MONOTONIC to CLOCK_BOOTTIME (they differ by time suspended).
        let boot_offset = boottime_ms().saturating_sub(monotonic_ms());
        let mut events: Vec<LifeEvent> = admitted
            .into_iter()
            .filter_map(|event| self.describe(event, boot_offset))
            .collect();
        if lost {
            events.push(LifeEvent {
                at_ns: monotonic_ms() * 1_000_000,
                kind: LifeKind::Lost,
            });
        }
        let sent = self.batches.send(Batch::Events(events)).is_ok();
        let _ = rustix::io::write(&*self.ready, &1u64.to_ne_bytes());
        sent && !failed
    }

    /// The event as the session takes it, with what is read of the process
    /// now; `None` for an exit that was not the process's (its main thread
    /// left alone while others run: FACTS 4f).
    fn describe(&mut self, event: ProcEvent, boot_offset: u64) -> Option<LifeEvent> {
        let at_ns = event.at_ns();
        let at_ms = at_ns / 1_000_000;
        let kind = match event {
            ProcEvent::Fork {
                parent_tgid,
                child_tgid,
                ..
            } => {
                let born = self.in_ticks(at_ms + boot_offset);
                // The stat is the child's only if its start time is the
                // event's (its pid may already be another's).
                let record = self
                    .reader
                    .stat(child_tgid)
                    .ok()
                    .filter(|r| r.start_time_ms.abs_diff(born) <= 2 * self.tick_ms())
                    // Read while it was being reaped, it shows no parent.
                    .filter(|r| r.ppid != 0);
                // Its parent's as of the fork, in the events' order: the
                // child may have exec'd already, or be a zombie with no
                // command line left to read.
                let named = self.named(parent_tgid);
                if let Some(named) = &named {
                    self.names.insert(child_tgid, named.clone());
                }
                LifeKind::Fork {
                    parent: parent_tgid,
                    child: child_tgid,
                    start_time_ms: record.as_ref().map_or(born, |r| r.start_time_ms),
                    record,
                    named,
                }
            }
            ProcEvent::Exec { tgid, .. } => {
                // Read while it was being reaped, it shows no parent.
                let record = self.reader.stat(tgid).ok().filter(|r| r.ppid != 0);
                let record = record.map(|mut record| {
                    record.cmdline = self.reader.cmdline(tgid).unwrap_or_default();
                    record
                });
                match &record {
                    Some(record) => self.names.insert(tgid, Named::of(record)),
                    None => self.names.remove(&tgid),
                };
                LifeKind::Exec { pid: tgid, record }
            }
            ProcEvent::Comm { tgid, comm, .. } => {
                let comm = String::from_utf8_lossy(&comm).into_owned();
                // setproctitle rewrites argv along with the name.
                let cmd = self
                    .reader
                    .cmdline(tgid)
                    .ok()
                    .filter(|words| !words.is_empty())
                    .map(|words| words.join(" "));
                if let Some(named) = self.names.get_mut(&tgid) {
                    named.comm.clone_from(&comm);
                    if let Some(cmd) = &cmd {
                        named.cmd.clone_from(cmd);
                    }
                }
                LifeKind::Rename {
                    pid: tgid,
                    comm,
                    cmd,
                }
            }
            ProcEvent::Sid { tgid, .. } => LifeKind::Setsid { pid: tgid },
            ProcEvent::Exit { tgid, status, .. } => {
                let live_threads = self
                    .reader
                    .stat(tgid)
                    .is_ok_and(|r| r.state.is_zombie() && r.threads > 1);
                if live_threads {
                    return None;
                }
                self.names.remove(&tgid);
                LifeKind::Exit {
                    pid: tgid,
                    ending: Ending::from_wait_status(status),
                }
            }
        };
        Some(LifeEvent { at_ns, kind })
    }

    /// What `pid` was called as of the latest event read; read now for a
    /// process whose fork was not heard (a root, a walk's find).
    fn named(&mut self, pid: i32) -> Option<Named> {
        if let Some(named) = self.names.get(&pid) {
            return Some(named.clone());
        }
        let mut record = self.reader.stat(pid).ok()?;
        record.cmdline = self.reader.cmdline(pid).unwrap_or_default();
        let named = Named::of(&record);
        self.names.insert(pid, named.clone());
        Some(named)
    }

    /// /proc's clock tick in milliseconds.
    fn tick_ms(&self) -> u64 {
        self.units.ticks_to_ms(1).max(1)
    }

    /// `ms` rounded down to /proc's ticks, as a start time reads.
    fn in_ticks(&self, ms: u64) -> u64 {
        ms - ms % self.tick_ms()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fork(at_ns: u64, parent: i32, child_pid: i32, child_tgid: i32) -> ProcEvent {
        ProcEvent::Fork {
            at_ns,
            parent_tgid: parent,
            child_pid,
            child_tgid,
        }
    }

    fn exit(pid: i32, tgid: i32) -> ProcEvent {
        ProcEvent::Exit {
            at_ns: 0,
            pid,
            tgid,
            status: 0,
            parent_tgid: 0,
        }
    }

    #[test]
    fn what_the_roots_fork_is_followed_down_the_tree() {
        let mut follow = Follow::default();
        follow.add(10, 5);
        assert!(!follow.admit(&fork(1, 9, 10, 10)), "the root's own fork");
        assert!(follow.admit(&fork(6, 10, 11, 11)));
        assert!(follow.admit(&fork(7, 11, 12, 12)), "a grandchild");
        assert!(
            !follow.admit(&fork(8, 99, 100, 100)),
            "someone else's child"
        );
        assert!(
            !follow.admit(&fork(9, 11, 13, 11)),
            "a thread is no process"
        );
        assert!(follow.admit(&ProcEvent::Exec {
            at_ns: 0,
            pid: 12,
            tgid: 12
        }));
        assert!(!follow.admit(&ProcEvent::Exec {
            at_ns: 0,
            pid: 100,
            tgid: 100
        }));
    }

    #[test]
    fn only_a_processs_own_exit_and_rename_count() {
        let mut follow = Follow::default();
        follow.add(10, 0);
        assert!(!follow.admit(&exit(13, 10)), "a thread of 10 exited");
        assert!(follow.admit(&exit(10, 10)));
        let rename = |pid, tgid| ProcEvent::Comm {
            at_ns: 0,
            pid,
            tgid,
            comm: b"x".to_vec(),
        };
        assert!(!follow.admit(&rename(13, 10)), "a thread named itself");
        assert!(follow.admit(&rename(10, 10)));
    }

    #[test]
    fn a_followed_pid_reused_by_another_process_is_no_longer_followed() {
        let mut follow = Follow::default();
        follow.add(10, 0);
        assert!(follow.admit(&fork(1, 10, 11, 11)));
        assert!(follow.admit(&exit(11, 11)));
        // 11 is free; a process outside the tree gets it.
        assert!(!follow.admit(&fork(2, 99, 11, 11)));
        assert!(!follow.admit(&exit(11, 11)), "not the watched 11");
        // And the tree may get it again.
        assert!(follow.admit(&fork(3, 10, 11, 11)));
    }
}
