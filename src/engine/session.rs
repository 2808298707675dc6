//! A run as the monitor sees it: starts the keeper (which starts the pool's
//! master or a user's command), then collects — reports from the status
//! channel, the descendants walk from the keeper, each process's stat, its
//! pidfd — and feeds the watch model. Dropping it closes the keeper's socket,
//! which ends whatever is left.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use regex::Regex;
use rustix::event::{PollFd, PollFlags, epoll, poll};

mod init;
mod journal;
mod kernel;
mod sight;

pub use init::InitSeen;
pub use journal::{Stamped, Traced, Who};
pub use sight::{Closer, SessionView, Shown};

use super::keeper_link::{KEEPER_DEADLINE, Keeper, KeeperTrouble};
use super::kernel::lifecycle::{Lifecycle, Named};
use super::kernel::signals::Tracer;
use super::policy::Containment;
use crate::engine::target::{GroupTarget, Protected, signal_group, vouches_for};
use crate::pool::block::{Accounts, PoolBlock};
use crate::pool::context::{ENV_BLOCK_FD, ENV_SCENARIO, ENV_STATUS_FD, ENV_WORKERS};
use crate::pool::output::Output;
use crate::pool::report::{Report, ReportDecoder, read_available};
use crate::pool::scenario::Scenario;
use crate::procfs::record::ProcessRecord;
use crate::procfs::scan::{Reader, descendants};
use crate::signal::sigset::Signal;
use crate::sys::cgroup::Cgroup;
use crate::sys::channel::{self, Message, Received, Tag};
use crate::sys::connector::Connector;
use crate::sys::pidfd::{ExitInfo, PidFd};
use crate::sys::wait::Ending;
use crate::sys::{fds, monotonic_ms};
use crate::watch::model::{Actor, Observed, Sighting, Source, Watch};
use crate::watch::vocabulary::Role;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The process to attach to does not exist (or cannot be seen).
    #[error("no process with pid {0}")]
    NoSuchProcess(i32),
    /// A descriptor, pipe, limit or shared block could not be set up.
    #[error("cannot set up the {what}")]
    Setup {
        /// What was being set up.
        what: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The keeper could not be started.
    #[error("cannot start sigtree's keeper")]
    Keeper(#[source] std::io::Error),
}

/// Names what a failed set-up step was setting up.
trait SettingUp<T> {
    fn setting_up(self, what: &'static str) -> Result<T, StartError>;
}

impl<T, E: Into<std::io::Error>> SettingUp<T> for Result<T, E> {
    fn setting_up(self, what: &'static str) -> Result<T, StartError> {
        self.map_err(|e| StartError::Setup {
            what,
            source: e.into(),
        })
    }
}

/// The status channel: its read end and the end the pool inherits, both
/// non-blocking.
fn status_channel() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let (status, status_write) = fds::pipe()?;
    fds::set_nonblocking(status.as_fd())?;
    fds::set_nonblocking(status_write.as_fd())?;
    fds::set_inheritable(status_write.as_fd())?;
    Ok((status, status_write))
}

/// Starts capturing a command's output: the capture and the pipe's end the
/// command inherits. Its ready line writes an eventfd in `exits`.
fn capture_output(exits: &OwnedFd, ready: Option<&Regex>) -> std::io::Result<(Output, OwnedFd)> {
    let (read, write) = fds::pipe()?;
    fds::set_inheritable(write.as_fd())?;
    let on_ready = rustix::event::eventfd(
        0,
        rustix::event::EventfdFlags::CLOEXEC | rustix::event::EventfdFlags::NONBLOCK,
    )?;
    epoll::add(
        exits,
        &on_ready,
        epoll::EventData::new_u64(OUTPUT_READY),
        // Written once; one-shot, so that unread it wakes no later wait.
        epoll::EventFlags::IN | epoll::EventFlags::ONESHOT,
    )?;
    let output = Output::capture(read, ready.cloned(), Some(on_ready))?;
    Ok((output, write))
}

/// What a run starts under its keeper.
#[derive(Clone, Copy, Debug)]
pub enum Launch<'a> {
    /// The built-in pool of a scenario loaded from `source` (name or path).
    Pool {
        /// The scenario's name or path, for the pool's processes to load.
        source: &'a str,
        /// The scenario, with any overrides applied.
        scenario: &'a Scenario,
        /// The runtime's containment to start it in.
        contain: Containment,
    },
    /// A process sigtree did not start: its subtree and its group's
    /// other members. No keeper; nothing is ever signalled by the run.
    Attach {
        /// The process attached to.
        pid: i32,
    },
    /// A command, its output captured; `ready` is matched against each line.
    Command {
        /// The program and its arguments.
        argv: &'a [String],
        /// A pattern that marks the command ready.
        ready: Option<&'a Regex>,
        /// The runtime's containment to start it in.
        contain: Containment,
    },
}

/// What one wait saw become readable.
struct News {
    /// Pids whose pidfd reported their end.
    ended: Vec<i32>,
    /// The status channel has reports to read.
    reports: bool,
    /// Every writer of the status channel is gone and it is drained.
    status_closed: bool,
    /// The command printed its ready line.
    output_ready: bool,
}

/// The epoll key of the eventfd the output's reader writes once when the
/// ready line comes (a pidfd's key is its pid, never this).
const OUTPUT_READY: u64 = u64::MAX;

/// A watched process: its pidfd, the start time checked when the pidfd was
/// opened (pids are reused), and its command name, whose change means an exec.
struct Tracked {
    pidfd: PidFd,
    start_time_ms: u64,
    /// Its stat as last read (without cmdline).
    latest: ProcessRecord,
    /// Its command line as last read.
    cmd: String,
}

/// The live session of a run (started, or attached to): what every front
/// end talks to, and what is known of it.
pub struct Session {
    /// The keeper, for what sigtree started; `None` when attached.
    keeper: Option<Keeper>,
    /// sigtree's end of the keeper's control socket; closing it tells the
    /// keeper to end everything.
    control: Option<OwnedFd>,
    /// A pidfd of the leader, opened by its parent (the keeper) right after
    /// the fork, or at attach time: group signals go through it.
    leader_pidfd: Option<PidFd>,
    /// Where the descendants walk starts: the keeper, or the attached process.
    root: i32,
    /// The watched process group.
    group: Option<i32>,
    /// When each kind of collection last ran.
    pacing: Pacing,
    /// An epoll set of every tracked pidfd: one wait covers thousands of
    /// processes, and says which ended.
    exits: OwnedFd,
    block: Option<PoolBlock>,
    output: Option<Output>,
    /// The status channel's read end; `None` when attached.
    status: Option<OwnedFd>,
    decoder: ReportDecoder,
    reader: Reader,
    /// Every process being watched, by pid.
    pidfds: BTreeMap<i32, Tracked>,
    roles: BTreeMap<i32, Role>,
    /// The pool's workers (0 for a command).
    workers: u32,
    /// Whether the pool's workers poll the stop event (their scenario's
    /// `poll_stop_event`).
    workers_poll: bool,
    /// The process the keeper started: the master, or the command.
    leader: Option<i32>,
    /// Why the keeper had to be replaced by sigtree's own kills.
    keeper_trouble: Option<KeeperTrouble>,
    /// The leader is PID 1 of a pid namespace of its own (read from its
    /// NSpid when it started): the kernel's containment, not an emulation.
    in_pid_namespace: bool,
    /// The run's own cgroup, when one was made and the leader started in
    /// it (read from its /proc/PID/cgroup).
    cgroup: Option<Cgroup>,
    /// The leader's containment was read (see `settle_containment`).
    containment_settled: bool,
    /// The containment the run was started in.
    contain: Containment,
    /// Under a tini policy: the keeper's child may be sigtree's init.
    init_wanted: bool,
    /// sigtree's init (tini's PID 1), once known.
    init: Option<init::Init>,
    /// What a front end shows, and what the session read for it.
    sight: sight::Sight,
    /// The proc connector's events for the watched tree, when the kernel
    /// gives them.
    lifecycle: Option<Lifecycle>,
    /// When (ms since boot) the kernel's events were last all taken in.
    events_synced_at: Option<u64>,
    /// Events were lost (or the reading thread did not answer) since the
    /// last walk: the next walk takes whatever it finds, young or not.
    events_lost: bool,
    /// The tracer of signal events (tracefs), as root.
    tracer: Option<Tracer>,
    /// The run's events one by one, when a front end streams them.
    journal: Option<journal::Journal>,
    /// The model of the run.
    pub watch: Watch,
}

impl Session {
    /// Starts what `launch` says under a new keeper; `exe` is the sigtree
    /// binary the keeper and the pool run (this one, or a test's build).
    pub fn start(exe: &Path, launch: Launch<'_>) -> Result<Self, StartError> {
        crate::sys::process::raise_fd_limit().setting_up("descriptor limit")?;
        let (status, status_write) = status_channel().setting_up("status channel")?;
        let (control, control_keeper) = channel::pair()
            .and_then(|(ours, keepers)| {
                fds::set_inheritable(keepers.as_fd())?;
                Ok((ours, keepers))
            })
            .setting_up("keeper's socket")?;

        let mut command = Command::new(exe);
        command
            .args([
                "__pool",
                "keeper",
                "--control-fd",
                &control_keeper.as_raw_fd().to_string(),
            ])
            .args(["--status-fd", &status_write.as_raw_fd().to_string()])
            .stdin(Stdio::null())
            // Its own group: a SIGKILL to sigtree's group does not take it.
            .process_group(0);
        let contain = match launch {
            Launch::Command { contain, .. } | Launch::Pool { contain, .. } => contain,
            Launch::Attach { .. } => Containment::None,
        };
        if let Containment::PidNamespace | Containment::InitNamespace { .. } = contain {
            command.arg("--pid-namespace");
        }
        if let Containment::InitNamespace { group } = contain {
            command.arg("--init");
            if group {
                command.arg("--init-group");
            }
        }
        // Where none can be made, the cgroup is emulated.
        let cgroup = (contain == Containment::Cgroup)
            .then(Cgroup::create)
            .and_then(Result::ok);
        if let Some(cgroup) = &cgroup {
            command.arg("--cgroup").arg(cgroup.dir());
        }
        let exits = epoll::create(epoll::CreateFlags::CLOEXEC).setting_up("exits set")?;
        let workers_poll = match launch {
            Launch::Pool { scenario, .. } => scenario.workers.poll_stop_event,
            Launch::Attach { .. } | Launch::Command { .. } => false,
        };
        let (block, output, output_write, workers, what) = match launch {
            Launch::Pool {
                source, scenario, ..
            } => {
                let workers = scenario.pool.workers;
                let block =
                    PoolBlock::create(workers, scenario.pool.tasks).setting_up("shared block")?;
                let block_fd = block.inheritable_fd().setting_up("shared block")?;
                command
                    .env(ENV_SCENARIO, source)
                    .env(ENV_WORKERS, workers.to_string())
                    .env(ENV_BLOCK_FD, block_fd.to_string())
                    .env(ENV_STATUS_FD, status_write.as_raw_fd().to_string())
                    .arg("--share-status")
                    .arg("--")
                    .arg(exe)
                    .args(["__pool", "master"]);
                (
                    Some(block),
                    None,
                    None,
                    workers,
                    format!("started scenario {}", scenario.name),
                )
            }
            // Nothing to launch: the pipes made above are simply dropped.
            Launch::Attach { pid } => return Self::attach(exe, pid),
            Launch::Command { argv, ready, .. } => {
                let (output, write) = capture_output(&exits, ready).setting_up("output capture")?;
                command
                    .args(["--output-fd", &write.as_raw_fd().to_string()])
                    .arg("--")
                    .args(argv);
                (
                    None,
                    Some(output),
                    Some(write),
                    0,
                    format!("started {}", argv.join(" ")),
                )
            }
        };
        let start_ms = monotonic_ms();
        // Listening before the keeper starts: its first fork is heard.
        let connector = Connector::open().ok();
        let tracer = connector.as_ref().and_then(|_| Tracer::start(exe).ok());
        let keeper = Keeper::spawn(&mut command).map_err(StartError::Keeper)?;
        let lifecycle = connector.and_then(|c| Lifecycle::start(c, &[keeper.pid()]).ok());
        // The keeper holds its copies now; ours would keep the pipes open.
        drop(status_write);
        drop(control_keeper);
        drop(output_write);
        let mut watch = Watch::new(start_ms);
        if tracer.is_some() {
            watch.set_signals_traced();
        }
        watch.log(start_ms, Actor::You, what);
        Ok(Self {
            root: keeper.pid(),
            keeper: Some(keeper),
            control: Some(control),
            leader_pidfd: None,
            group: None,
            pacing: Pacing::new(),
            exits,
            block,
            output,
            status: Some(status),
            decoder: ReportDecoder::default(),
            reader: Reader::default(),
            pidfds: BTreeMap::new(),
            roles: BTreeMap::new(),
            workers,
            workers_poll,
            leader: None,
            keeper_trouble: None,
            in_pid_namespace: false,
            containment_settled: false,
            contain,
            init_wanted: matches!(contain, Containment::InitNamespace { .. }),
            init: None,
            cgroup,
            sight: sight::Sight::new(),
            lifecycle,
            events_synced_at: None,
            events_lost: false,
            tracer,
            journal: None,
            watch,
        })
    }

    /// Watches `pid`, its subtree and its group, starting nothing.
    fn attach(exe: &Path, pid: i32) -> Result<Self, StartError> {
        let mut reader = Reader::default();
        let record = reader
            .stat(pid)
            .map_err(|_| StartError::NoSuchProcess(pid))?;
        let start_ms = monotonic_ms();
        let lifecycle = Connector::open()
            .ok()
            .and_then(|c| Lifecycle::start(c, &[pid]).ok());
        let tracer = lifecycle.as_ref().and_then(|_| Tracer::start(exe).ok());
        let mut watch = Watch::new(start_ms);
        if tracer.is_some() {
            watch.set_signals_traced();
        }
        watch.set_group(record.pgid);
        watch.log(
            start_ms,
            Actor::You,
            format!("attached to {pid} ({})", record.comm),
        );
        let mut run = Self {
            keeper: None,
            control: None,
            leader_pidfd: leader_pidfd(&mut reader, record.pgid),
            root: pid,
            group: Some(record.pgid),
            pacing: Pacing::new(),
            exits: epoll::create(epoll::CreateFlags::CLOEXEC).setting_up("exits set")?,
            block: None,
            output: None,
            status: None,
            decoder: ReportDecoder::default(),
            reader,
            pidfds: BTreeMap::new(),
            roles: BTreeMap::new(),
            workers: 0,
            workers_poll: false,
            leader: Some(pid),
            keeper_trouble: None,
            in_pid_namespace: false,
            containment_settled: false,
            contain: Containment::None,
            init_wanted: false,
            init: None,
            cgroup: None,
            sight: sight::Sight::new(),
            lifecycle,
            events_synced_at: None,
            events_lost: false,
            tracer,
            journal: None,
            watch,
        };
        run.track(pid, start_ms, true);
        if run.pidfds.is_empty() {
            return Err(StartError::NoSuchProcess(pid));
        }
        // Its subtree as it is now: the events say what changes from here
        // on, and a signal to a child already there names its receiver.
        run.collect(true);
        Ok(run)
    }

    /// Whether this run watches a process sigtree did not start.
    pub fn attached(&self) -> bool {
        self.keeper.is_none()
    }

    /// The watched process group: the leader's, or the attached process's.
    pub fn group(&self) -> Option<i32> {
        self.group.or(self.leader)
    }

    /// Whether the keeper itself has ended (it could not start the command).
    pub fn keeper_failed(&mut self) -> Option<i32> {
        match self.keeper.as_mut()?.ended()? {
            Ending::Exited(code) => Some(code),
            Ending::Signaled(_) => Some(-1),
        }
    }

    /// The captured output of a command.
    pub fn output(&self) -> Option<&Output> {
        self.output.as_ref()
    }

    /// The keeper's pid; `None` when attached.
    pub fn keeper_pid(&self) -> Option<i32> {
        self.keeper.as_ref().map(Keeper::pid)
    }

    /// The process the keeper started — the pool's master, or the command —
    /// whose pid is the watched process group, once seen.
    pub fn leader(&self) -> Option<i32> {
        self.leader
    }

    /// The stat of a live observed process, as the last tick read it.
    pub fn latest(&self, pid: i32) -> Option<&ProcessRecord> {
        self.pidfds.get(&pid).map(|tracked| &tracked.latest)
    }

    /// The pidfd of an observed process.
    pub fn pidfd(&self, pid: i32) -> Option<&PidFd> {
        self.pidfds.get(&pid).map(|tracked| &tracked.pidfd)
    }

    /// The pool's shared block (stop event, accounts); `None` for a command.
    pub fn block(&self) -> Option<&PoolBlock> {
        self.block.as_ref()
    }

    /// Whether every worker has reported that it started.
    pub fn all_workers_started(&self) -> bool {
        let started: BTreeSet<u16> = self
            .roles
            .values()
            .filter_map(|r| {
                if let Role::Worker(n) = r {
                    Some(*n)
                } else {
                    None
                }
            })
            .collect();
        started.len() as u32 >= self.workers
    }

    /// Whether the leader and every observed process have ended; attached,
    /// every process of the attached subtree (the group's other members
    /// are never stopped).
    pub fn ended(&self) -> bool {
        self.leader().is_some() && self.watch.judged_alive().is_empty()
    }

    /// Whether a process sigtree knows (the leader's pidfd, or a member's)
    /// still runs in the watched group, read after the fact: while the group
    /// has a member its number cannot be taken by another group.
    fn group_vouched(&mut self) -> bool {
        let Some(group) = self.group() else {
            return false;
        };
        self.pidfds
            .values()
            .map(|tracked| &tracked.pidfd)
            .chain(self.leader_pidfd.as_ref())
            .any(|pidfd| vouches_for(&mut self.reader, pidfd, group).unwrap_or(false))
    }

    /// Attached, scans the group for members now rather than at the next
    /// spaced scan: done before a group signal is asked for or sent.
    pub fn rescan_group(&mut self) {
        if self.attached() {
            self.pacing.group_scanned = None;
            self.discover(monotonic_ms());
        }
    }

    /// Reads which signals each of `pids` catches (SigCgt) into the model,
    /// right before a signal is sent to them: whether one that exits after
    /// it acted on it. A process that ended meanwhile is left out.
    pub fn read_caught(&mut self, pids: &[i32]) {
        for &pid in pids {
            let Some(tracked) = self.pidfds.get(&pid) else {
                continue;
            };
            // Read, then checked: a live pidfd means the pid is still its.
            if let Ok(status) = self.reader.status(pid)
                && tracked.pidfd.is_running()
            {
                self.watch.saw_caught(pid, status.signals.caught);
            }
        }
    }

    /// Whether `pid` dies of `signal` once it is delivered: its default
    /// action terminates, and its status shows it neither ignored, caught
    /// nor blocked. A process that can no longer be read has ended.
    pub fn will_die_of(&mut self, pid: i32, signal: Signal) -> bool {
        use crate::signal::sigset::DefaultAction;
        if !matches!(
            signal.default_action(),
            DefaultAction::Terminate | DefaultAction::Core
        ) {
            return false;
        }
        match self.reader.status(pid) {
            Ok(status) => {
                let masks = status.signals;
                !masks.ignored.contains(signal)
                    && !masks.caught.contains(signal)
                    && !masks.blocked.contains(signal)
            }
            Err(_) => true,
        }
    }

    /// Reports the pool could not write because the channel was full.
    pub fn dropped_reports(&self) -> u32 {
        self.block.as_ref().map_or(0, PoolBlock::dropped_reports)
    }

    /// Whether `pid` is observed and has not ended.
    fn is_live(&self, pid: i32) -> bool {
        self.watch
            .processes()
            .get(&pid)
            .is_some_and(|p| !p.has_ended())
    }

    /// Task accounts now; `None` for a command.
    pub fn accounts(&self) -> Option<Accounts> {
        let alive: BTreeSet<u16> = self
            .roles
            .iter()
            .filter(|(pid, _)| self.is_live(**pid))
            .filter_map(|(_, r)| {
                if let Role::Worker(n) = r {
                    Some(*n)
                } else {
                    None
                }
            })
            .collect();
        let block = self.block.as_ref()?;
        Some(block.accounts(|index| alive.contains(&(index as u16))))
    }

    /// Waits up to `wait` for news (a report, an exit, or `wake` becoming
    /// readable), then applies it: every report, and the ending of each
    /// process whose pidfd became readable. The walk for new descendants
    /// and the stat of every live process follow on their own cadence
    /// ([`COLLECT_EVERY`], due at [`Session::next_collect`]), not at every
    /// report: a busy pool reports thousands of times a second. True when
    /// the run took something in (reports, exits, a walk); false when only
    /// `wake` or the time ended the wait.
    pub fn tick(&mut self, wait: Duration, wake: Option<BorrowedFd<'_>>) -> bool {
        let news = self.wait_for_news(wait, wake);
        let now = monotonic_ms();
        self.read_reports();
        // Before anything is read from /proc: what the kernel said first
        // is applied first.
        let heard = self.read_kernel_events() | self.read_signal_events();
        if news.status_closed {
            // Every writer is gone: a closed pipe stays readable, and
            // would wake every wait from now on.
            self.status = None;
        }
        if !news.ended.is_empty() {
            self.refresh(now, false, |p| news.ended.contains(&p.seen.pid));
        }
        // When everything known has ended, walk at once: a process born
        // since the last walk (an orphan now the keeper's) is not missed.
        let walk = self.ended()
            || self
                .pacing
                .collected
                .is_none_or(|at| at.elapsed() >= COLLECT_EVERY);
        if walk {
            self.collect(false);
        }
        walk || news.reports || news.output_ready || !news.ended.is_empty() || heard
    }

    /// When the next walk of the watched tree is due.
    pub fn next_collect(&self) -> std::time::Instant {
        self.pacing
            .collected
            .map_or_else(std::time::Instant::now, |at| at + COLLECT_EVERY)
    }

    /// Walks the watched tree for new processes and reads every live
    /// process's stat and command line now, off the cadence: before a stop
    /// acts, so that it knows what is there.
    pub fn collect_now(&mut self) {
        self.collect(true);
    }

    /// The walk and the stat of every live process; command lines too when
    /// `cmdlines` or when [`CMDLINES_EVERY`] has passed.
    fn collect(&mut self, cmdlines: bool) {
        // What the kernel reported until now comes before what is read now.
        self.sync_kernel_events();
        self.read_signal_events();
        let now = monotonic_ms();
        self.pacing.collected = Some(std::time::Instant::now());
        self.discover(now);
        self.events_lost = false;
        // Group members outside an attached subtree are shown, never
        // stopped or judged: their pidfds tell their ends, and their stat
        // is read again only every OUTSIDE_STAT_EVERY.
        let outside_too = self
            .pacing
            .outside_refreshed
            .is_none_or(|at| at.elapsed() >= OUTSIDE_STAT_EVERY);
        if outside_too {
            self.pacing.outside_refreshed = Some(std::time::Instant::now());
        }
        let cmdlines = cmdlines
            || self
                .pacing
                .cmdlines_read
                .is_none_or(|at| at.elapsed() >= CMDLINES_EVERY);
        if cmdlines {
            self.pacing.cmdlines_read = Some(std::time::Instant::now());
        }
        self.refresh(now, cmdlines, |p| outside_too || !p.outside);
        self.read_shown();
    }

    fn read_reports(&mut self) {
        self.read_control();
        let Some(status) = &self.status else { return };
        if let Ok(reports) = read_available(status.as_fd(), &mut self.decoder) {
            for report in reports {
                self.apply(report);
            }
        }
    }

    /// Sleeps until news or `wait`; says what became readable.
    fn wait_for_news(&self, wait: Duration, wake: Option<BorrowedFd<'_>>) -> News {
        let mut fds: Vec<PollFd> = [PollFd::new(&self.exits, PollFlags::IN)]
            .into_iter()
            .chain(
                self.status
                    .iter()
                    .map(|status| PollFd::new(status, PollFlags::IN)),
            )
            .chain(
                self.lifecycle
                    .iter()
                    .map(|events| PollFd::from_borrowed_fd(events.ready_fd(), PollFlags::IN)),
            )
            .chain(
                self.tracer
                    .iter()
                    .map(|tracer| PollFd::from_borrowed_fd(tracer.fd(), PollFlags::IN)),
            )
            .chain(wake.as_ref().map(|fd| PollFd::new(fd, PollFlags::IN)))
            .collect();
        let timeout = rustix::event::Timespec::try_from(wait).ok();
        let _ = poll(&mut fds, timeout.as_ref());
        let status = self.status.as_ref().map(|_| fds[1].revents());
        let mut news = News {
            ended: Vec::new(),
            reports: status.is_some_and(|events| events.contains(PollFlags::IN)),
            status_closed: status.is_some_and(|events| {
                !events.contains(PollFlags::IN) && events.contains(PollFlags::HUP)
            }),
            output_ready: false,
        };
        if !fds[0].revents().is_empty() {
            let zero = rustix::event::Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let mut events = Vec::with_capacity(256);
            loop {
                events.clear();
                let Ok(_) = epoll::wait(
                    &self.exits,
                    rustix::buffer::spare_capacity(&mut events),
                    Some(&zero),
                ) else {
                    break;
                };
                for event in &events {
                    match event.data.u64() {
                        OUTPUT_READY => news.output_ready = true,
                        pid => news.ended.push(pid as i32),
                    }
                }
                if events.len() < events.capacity() {
                    break;
                }
            }
        }
        news
    }

    /// Registers `pid`'s pidfd with the exits set: it reports once, when
    /// the process ends (one-shot: an ended process is not reported again).
    fn watch_exit(&self, pid: i32) {
        if let Some(tracked) = self.pidfds.get(&pid) {
            let _ = epoll::add(
                &self.exits,
                &tracked.pidfd,
                epoll::EventData::new_u64(pid as u64),
                epoll::EventFlags::IN | epoll::EventFlags::ONESHOT,
            );
        }
    }

    fn apply(&mut self, report: Report) {
        match report {
            Report::Phase {
                role,
                pid,
                phase,
                at_ms,
            } => {
                if self.roles.insert(pid, role) != Some(role) {
                    self.track(pid, at_ms, true);
                    self.watch.set_role(pid, role.name());
                    if role.polls_stop_event(self.workers_poll) {
                        self.watch.set_polls_stop_event(pid);
                    }
                    if let Ok(record) = self.reader.stat(pid) {
                        // Seen right after fork, it showed its parent's command line.
                        let cmd = command_line(&mut self.reader, &record);
                        if let Some(tracked) = self.pidfds.get_mut(&pid) {
                            tracked.cmd.clone_from(&cmd);
                        }
                        self.watch.observe(
                            at_ms,
                            Sighting {
                                cmd,
                                ..sighting(&record)
                            },
                            String::new,
                        );
                        self.watch.saw_name(pid, &record.comm);
                    }
                }
                self.watch.phase(at_ms, pid, phase);
            }
            Report::Started { leader, at_ms } => self.leader_started(leader, at_ms),
            Report::Reaped {
                child,
                status,
                at_ms,
                ..
            } if self.init_reaped(child, status, at_ms) => {}
            Report::Reaped {
                reaper,
                child,
                status,
                at_ms,
            } => {
                let source = if reaper == Role::Keeper {
                    Source::Waited
                } else {
                    Source::Reported
                };
                self.watch
                    .ending(at_ms, child, Ending::from_wait_status(status), source);
                self.journal_exit(child, false, false);
            }
        }
    }

    /// Starts watching every descendant of the root not yet known, and,
    /// when attached, the other members of the group (a full scan, spaced by its cost).
    fn discover(&mut self, now: u64) {
        let mut found = self
            .walk_roots()
            .into_iter()
            .flat_map(|root| descendants(root).unwrap_or_default())
            .collect::<Vec<_>>();
        let walked = found.len();
        if self.attached()
            && !self.pacing.group_gone
            && self
                .pacing
                .group_scanned
                .is_none_or(|at| at.elapsed() >= self.pacing.group_scan_every)
        {
            let started = std::time::Instant::now();
            self.pacing.group_scanned = Some(started);
            let group = self.group;
            let snapshot = self
                .reader
                .snapshot(crate::procfs::scan::ScanOptions::default());
            // A full scan takes a third of a percent of a core at most:
            // spaced GROUP_SCAN_SPACING times its own cost apart, so that
            // the whole attached TUI can idle under 1 %.
            self.pacing.group_scan_every =
                GROUP_SCAN_MIN.max(started.elapsed() * GROUP_SCAN_SPACING);
            if let Ok(snapshot) = snapshot {
                let members = snapshot
                    .processes
                    .values()
                    .filter(|r| Some(r.pgid) == group)
                    .map(|r| r.pid);
                // Only while the group is still the one attached to: once
                // it emptied, its number may lead another group.
                if self.group_vouched() {
                    found.extend(members);
                } else if let Some(group) = group {
                    self.pacing.group_gone = true;
                    let what = format!(
                        "process group {group} has no member left that sigtree knew: \
                         a process with that group id now belongs to another group"
                    );
                    self.watch.log(now, Actor::Sigtree, what);
                }
            }
        }
        for (i, pid) in found.into_iter().enumerate() {
            // The walk from the root finds descendants; the group scan,
            // members that may be outside the attached subtree.
            self.track_found(pid, now, i < walked, Found::Walk);
        }
    }

    /// Opens a pidfd for `pid` and records its first sighting. The stat read
    /// before and after the open must agree on the start time: pids are reused.
    /// `descends`: found by the walk from the root. Attached, a process is
    /// outside the subtree unless it descends, or its parent is inside.
    fn track(&mut self, pid: i32, now: u64, descends: bool) {
        self.track_found(pid, now, descends, Found::Told);
    }

    /// [`Session::track`], saying how the process was `found`.
    fn track_found(&mut self, pid: i32, now: u64, descends: bool, found: Found<'_>) {
        if self
            .pidfds
            .get(&pid)
            .is_some_and(|tracked| tracked.pidfd.is_running())
        {
            return;
        }
        let Ok(before) = self.reader.stat(pid) else {
            return;
        };
        if before.is_reaped() || self.is_init(before.ppid, pid) {
            return;
        }
        if self
            .pidfds
            .get(&pid)
            .is_some_and(|tracked| tracked.start_time_ms == before.start_time_ms)
        {
            return; // The same process, ended (a zombie): nothing new.
        }
        if !self.attached() && (before.pgid == self.root || before.pgid == self.launcher()) {
            // The keeper's (or the init's) child between fork and setpgid:
            // everything they start leads a group of its own, so look again
            // next tick rather than record their group as its.
            return;
        }
        if matches!(found, Found::Walk)
            && !self.events_lost
            && self
                .events_synced_at
                .is_some_and(|synced| before.start_time_ms + TICK_MS >= synced)
        {
            // Born since the kernel's events were last taken in: its fork
            // event is on its way, with what it was called then.
            return;
        }
        let Ok(pidfd) = PidFd::open(pid) else { return };
        let Ok(mut record) = self.reader.stat(pid) else {
            return;
        };
        if record.start_time_ms != before.start_time_ms {
            return;
        }
        if matches!(found, Found::Event(_)) && record.ppid == 0 {
            // Read while it was being reaped: a process just forked or
            // exec'd has a parent. The event itself records it.
            return;
        }
        record.cmdline = self.reader.cmdline(pid).unwrap_or_default();
        let named = match found {
            Found::Event(named) => Some(named),
            Found::Walk | Found::Told => None,
        };
        let cmd = match named {
            Some(named) if record.cmdline.is_empty() => named.cmd.clone(),
            _ => record.command(),
        };
        self.pidfds.insert(
            pid,
            Tracked {
                pidfd,
                start_time_ms: record.start_time_ms,
                latest: ProcessRecord {
                    cmdline: Vec::new(),
                    ..record.clone()
                },
                cmd: cmd.clone(),
            },
        );
        self.watch_exit(pid);
        if let Some(lifecycle) = &self.lifecycle {
            lifecycle.follow(pid);
        }
        let outside = self.attached() && !descends && !self.inside(record.ppid);
        let role = self.role_of(record.pid, record.ppid, outside);
        // Between its fork and its exec, the leader is a copy of the keeper:
        // its name then is not one it had as the command. With lifecycle
        // events, a process they recorded takes its names from them alone,
        // in their order (a read of /proc now may be ahead of them), and so
        // does every process of a run sigtree started: each was born after
        // the connector listened, so its fork and exec events, which may not
        // have arrived yet, name it (unless the kernel lost some).
        let recorded = self
            .watch
            .processes()
            .get(&pid)
            .is_some_and(|p| p.seen.start_time_ms == record.start_time_ms);
        let events_name_it =
            self.lifecycle.is_some() && (recorded || !self.attached() && !self.events_lost);
        let own_name = !(is_keepers_copy(&cmd) || events_name_it);
        // Seen at its fork's or exec's time it was alive, whatever /proc
        // shows now: its exit event says when it ended.
        let at_event = matches!(found, Found::Event(_));
        self.watch.observe(
            now,
            Sighting {
                cmd,
                zombie: record.has_exited() && !at_event,
                ..sighting(&record)
            },
            || role,
        );
        if let Some(named) = named.filter(|named| !is_keepers_copy(&named.cmd)) {
            self.watch.saw_name(pid, &named.comm);
        }
        if own_name {
            self.watch.saw_name(pid, &record.comm);
        }
        if outside {
            self.watch.set_outside(pid);
        }
        if recorded {
            return; // Its fork was told when it was recorded.
        }
        // Its name when it was found: the keeper's copy has none of its own.
        let comm = named.map_or(record.comm, |named| named.comm.clone());
        let parent = record.ppid;
        self.journal(pid, |child| Traced::Fork {
            at_ms: now,
            child: Who { comm, ..child },
            parent,
        });
    }

    /// Whether `pid` is a watched process inside the attached subtree.
    fn inside(&self, pid: i32) -> bool {
        self.watch
            .processes()
            .get(&pid)
            .is_some_and(|p| !p.outside && !p.has_ended())
    }

    /// Whether `pid` was a watched process inside the attached subtree at
    /// `at_ms`: a kernel event may be taken in after its end was.
    fn inside_at(&self, pid: i32, at_ms: u64) -> bool {
        self.watch
            .processes()
            .get(&pid)
            .is_some_and(|p| !p.outside && p.ended_at.is_none_or(|end| end >= at_ms))
    }

    /// A pool process's reported role; in a command's run `leader`,
    /// `child` (of the leader) or `descendant`; attached, `attached`,
    /// `child`, `descendant`, or `group-member` when `outside` the subtree.
    fn role_of(&self, pid: i32, ppid: i32, outside: bool) -> String {
        let pool = self.block.is_some();
        match self.roles.get(&pid) {
            Some(role) => role.name(),
            None if self.attached() && pid == self.root => "attached".into(),
            None if outside => "group-member".into(),
            None if self.attached() && ppid == self.root => "child".into(),
            None if Some(pid) == self.leader && pool => Role::Master.name(),
            None if Some(pid) == self.leader => "leader".into(),
            None if pool => "process".into(),
            None if Some(ppid) == self.leader => "child".into(),
            None => "descendant".into(),
        }
    }

    /// Re-reads the stat of every process whose ending is not known yet
    /// (a changed parent or group is news) and asks its pidfd whether it
    /// ended; only those `which` picks. With `cmdlines`, command lines are
    /// read again too: a rewrite of argv (setproctitle) has no event.
    fn refresh(&mut self, now: u64, cmdlines: bool, which: impl Fn(&Observed) -> bool) {
        let pending: Vec<i32> = self
            .watch
            .processes()
            .values()
            .filter(|p| (p.ending.is_none() || p.awaiting_reap()) && which(p))
            .map(|p| p.seen.pid)
            .collect();
        for pid in pending {
            let Some(tracked) = self.pidfds.get_mut(&pid) else {
                continue;
            };
            let stat = self.reader.stat(pid).ok().filter(|record| {
                record.start_time_ms == tracked.start_time_ms && !record.is_reaped()
            });
            // An end seen is stamped after the read that saw it (`now` may
            // be older, taken before a wait): a sighting of an end is a
            // bound on when it happened, never earlier than it.
            let read_at = monotonic_ms().max(now);
            if stat.is_none()
                && let Some(known) = self.watch.processes().get(&pid)
                && known.awaiting_reap()
            {
                // Ended by its exit event, and gone from /proc since.
                self.watch.reaped(read_at, pid);
                continue;
            }
            if let Some(record) = stat {
                // A new name may be an exec since the command line was read.
                // An exiting process or a zombie has none left (and one in
                // the middle of an exec none yet): the last one read stays.
                if cmdlines || record.comm != tracked.latest.comm {
                    let words = self.reader.cmdline(pid).unwrap_or_default();
                    if !words.is_empty() {
                        tracked.cmd = words.join(" ");
                    }
                }
                tracked.latest = record.clone();
                self.watch.observe(
                    read_at,
                    Sighting {
                        cmd: tracked.cmd.clone(),
                        ..sighting(&record)
                    },
                    String::new,
                );
                // With lifecycle events, names come from them, in order.
                if self.lifecycle.is_none() && !is_keepers_copy(&tracked.cmd) {
                    self.watch.saw_name(pid, &record.comm);
                }
            }
            let info = tracked.pidfd.exit_info();
            let checked_at = monotonic_ms().max(now);
            match info {
                ExitInfo::Ended(ending) => {
                    self.watch.ending(checked_at, pid, ending, Source::Pidfd);
                    self.journal_exit(pid, false, false);
                }
                info @ (ExitInfo::NotYet | ExitInfo::Unsupported)
                    if !tracked.pidfd.is_running() =>
                {
                    self.watch.ended(monotonic_ms().max(now), pid);
                    self.journal_exit(pid, info == ExitInfo::Unsupported, false);
                }
                ExitInfo::NotYet | ExitInfo::Unsupported => {}
            }
        }
    }

    /// Ends the run: closes the keeper's socket (it kills whatever is
    /// left) and waits for the keeper, collecting the last reports.
    pub fn finish(&mut self) {
        self.end_keeper();
        self.read_reports();
        self.sync_signal_events();
        let now = monotonic_ms();
        self.refresh(now, true, |_| true);
        self.journal_untold_exits();
    }

    /// Tells the keeper to end everything and waits for it, with a
    /// deadline: a keeper that was killed, stopped or is too slow is
    /// replaced by sigtree's own pidfd kills, and the timeline says so.
    fn end_keeper(&mut self) {
        // Ending normally, sigtree restores its terminal itself.
        self.lend_terminal(false);
        self.control = None;
        let Some(keeper) = self.keeper.as_mut() else {
            return;
        };
        let trouble = match keeper.wait_for_end(KEEPER_DEADLINE) {
            Ok(()) => return,
            Err(trouble) => trouble,
        };
        let keeper_pid = keeper.pid();
        let ended = self.end_without_keeper();
        if let Some(keeper) = self.keeper.as_mut() {
            keeper.kill(KEEPER_DEADLINE);
        }
        if ended == 0 && matches!(trouble, KeeperTrouble::Died(Ending::Exited(_))) {
            return; // It exited by itself (it could not start the command).
        }
        let note = format!(
            "the keeper ({keeper_pid}) could not end the run: {trouble}; \
             sigtree sent SIGKILL by pidfd to {ended} processes itself and to the keeper"
        );
        self.watch.log(monotonic_ms(), Actor::Sigtree, note);
        self.keeper_trouble = Some(trouble);
    }

    /// SIGKILL to the group through the leader's pidfd and to every process
    /// sigtree knows alive, by its pidfd, walking for new ones until none
    /// is left or the deadline passes. Returns how many were signalled.
    fn end_without_keeper(&mut self) -> usize {
        let protected = Protected::current();
        if let Some(target) = self.group_target() {
            let _ = signal_group(&protected, &target, Signal::KILL);
        }
        let deadline = std::time::Instant::now() + KEEPER_DEADLINE;
        let mut signalled = BTreeSet::new();
        loop {
            self.discover(monotonic_ms());
            let live: Vec<&Tracked> = self
                .pidfds
                .values()
                .filter(|tracked| tracked.pidfd.is_running())
                .collect();
            if live.is_empty() || std::time::Instant::now() >= deadline {
                return signalled.len();
            }
            for tracked in live {
                if protected.check_process(tracked.pidfd.pid()).is_ok()
                    && tracked.pidfd.send_signal(libc::SIGKILL).is_ok()
                {
                    signalled.insert((tracked.pidfd.pid(), tracked.start_time_ms));
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Lends the keeper the terminal on stdout (the TUI is about to take
    /// it), or takes it back (the TUI gave it back): a keeper holding it when
    /// sigtree dies restores it. Nothing is lent when stdout is not a
    /// terminal, nor when there is no keeper (attach).
    pub fn lend_terminal(&self, lend: bool) {
        let Some(control) = &self.control else { return };
        let stdout = rustix::stdio::stdout();
        let settings = crate::sys::tty::settings(stdout).ok().filter(|_| lend);
        let _ = match settings {
            Some(settings) => {
                channel::send(control.as_fd(), Tag::Terminal, 0, &settings, Some(stdout))
            }
            None => channel::send(control.as_fd(), Tag::TerminalReleased, 0, &[], None),
        };
    }

    /// The run's own cgroup, when its leader started in one.
    pub fn cgroup(&self) -> Option<&Cgroup> {
        self.cgroup.as_ref().filter(|_| self.containment_settled)
    }

    /// Reads, once, what containment `leader` got. Called once its
    /// pre-exec is over (the pidfd it sent then, the keeper's report after
    /// its exec, its exec event): by then it is in its pid namespace and
    /// its cgroup, or never will be. Its fork event is too early for the
    /// cgroup, which it moves itself into after the fork.
    pub(super) fn settle_containment(&mut self, leader: i32) {
        if self.containment_settled {
            return;
        }
        self.containment_settled = true;
        self.in_pid_namespace = self.reader.is_namespace_init_below(leader);
        if self
            .cgroup
            .as_ref()
            .is_some_and(|cgroup| !cgroup.holds(leader))
        {
            // It could not be moved in: the cgroup is emulated.
            self.remove_cgroup();
        }
    }

    /// Removes the run's cgroup (the keeper removes it when it ends; this
    /// is for when it could not: killed, or stopped by what it ran).
    fn remove_cgroup(&mut self) {
        if let Some(cgroup) = self.cgroup.take() {
            cgroup.kill_and_remove(KEEPER_DEADLINE);
        }
    }

    /// Whether the run has a pid namespace of its own, the kernel's: its
    /// PID 1 is the leader, or sigtree's init (tini's) with the leader its
    /// child.
    pub fn in_pid_namespace(&self) -> bool {
        self.in_pid_namespace || self.init.is_some()
    }

    /// The containment the run got: the one it was started in when the
    /// kernel gave it (a pid namespace, tini's init as its PID 1, a
    /// cgroup), else none.
    pub fn containment(&self) -> Containment {
        let real = match self.contain {
            Containment::None => false,
            Containment::PidNamespace => self.in_pid_namespace,
            Containment::InitNamespace { .. } => self.init.is_some(),
            Containment::Cgroup => self.cgroup().is_some(),
        };
        if real {
            self.contain
        } else {
            Containment::None
        }
    }

    /// Why the keeper had to be replaced, if it had to.
    pub fn keeper_trouble(&self) -> Option<&KeeperTrouble> {
        self.keeper_trouble.as_ref()
    }

    /// The watched group as sigtree can signal it: the leader's pidfd when
    /// held, and the pidfds of the processes last seen in the group.
    pub fn group_target(&self) -> Option<GroupTarget<'_>> {
        let pgid = self.group()?;
        let members = self
            .pidfds
            .values()
            .filter(|tracked| tracked.latest.pgid == pgid)
            .map(|tracked| &tracked.pidfd)
            .collect();
        Some(GroupTarget {
            pgid,
            leader: self.leader_pidfd.as_ref().filter(|fd| fd.pid() == pgid),
            members,
        })
    }

    /// The leader is known: from the keeper's report, or from the pidfd
    /// the leader sent of itself before its exec (which arrives first, and
    /// also when a command kills the keeper before it could report).
    fn leader_started(&mut self, leader: i32, at_ms: u64) {
        if self.leader.is_none_or(|known| known == leader) {
            self.settle_containment(leader);
        }
        // Known from its fork event, it may not be tracked yet: a pidfd of
        // its own is wanted.
        if self.leader.is_some_and(|known| known != leader) || self.pidfds.contains_key(&leader) {
            return;
        }
        self.leader = Some(leader);
        self.watch.set_group(leader);
        // The leader's exec among them is the leader's.
        self.sync_kernel_events();
        self.leader_tracked(leader, at_ms, Found::Told);
    }

    /// The leader, just known as such, is tracked (`found` as it was),
    /// and what was named without it is named again.
    fn leader_tracked(&mut self, leader: i32, at_ms: u64, found: Found<'_>) {
        // Gone already (a command that exits at once): nothing to track.
        self.track_found(leader, at_ms, true, found);
        // A walk may have found the leader and its children before it was
        // known: they were named without it.
        let unnamed: Vec<ProcessRecord> = self
            .pidfds
            .values()
            .filter(|tracked| !self.roles.contains_key(&tracked.latest.pid))
            .map(|tracked| tracked.latest.clone())
            .collect();
        for record in unnamed {
            let outside = self
                .watch
                .processes()
                .get(&record.pid)
                .is_some_and(|p| p.outside);
            let role = self.role_of(record.pid, record.ppid, outside);
            self.watch.set_role(record.pid, role);
        }
    }

    /// Takes what arrived on the control socket: the leader's pidfd, and
    /// tini's init's.
    fn read_control(&mut self) {
        while let Some(control) = &self.control
            && let Ok(Received::Message(Message {
                tag: tag @ (Tag::LeaderPidfd | Tag::InitPidfd),
                number: leader,
                fd: Some(fd),
                ..
            })) = channel::receive(control)
        {
            let pidfd = PidFd::from((fd, leader));
            if tag == Tag::InitPidfd {
                if pidfd.pid() > 0 {
                    self.init_started(pidfd);
                }
                continue;
            }
            let leader = pidfd.pid();
            if leader <= 0 {
                // A namespace's PID 1 that ended already: the keeper's
                // report names it.
                continue;
            }
            self.leader_pidfd = Some(pidfd);
            self.leader_started(leader, monotonic_ms());
        }
    }

    /// Where the descendants walk starts: the keeper (or the attached
    /// process); when the keeper died, every live process sigtree knows.
    fn walk_roots(&mut self) -> Vec<i32> {
        match self.keeper.as_mut().map(|keeper| keeper.ended().is_some()) {
            Some(true) => self
                .pidfds
                .iter()
                .filter(|(_, tracked)| tracked.pidfd.is_running())
                .map(|(pid, _)| *pid)
                .collect(),
            _ => vec![self.root],
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.end_keeper();
        self.remove_cgroup();
    }
}

/// How often the watched tree is walked for new processes and every live
/// process's stat is read again (changed parent or group, exec).
pub const COLLECT_EVERY: Duration = Duration::from_millis(250);

/// When each kind of collection of a run last ran, and how far apart the
/// costly ones are.
#[derive(Debug)]
struct Pacing {
    /// When the tree was last walked and every stat read.
    collected: Option<std::time::Instant>,
    /// When the stat of the group members outside the subtree was last read.
    outside_refreshed: Option<std::time::Instant>,
    /// When every watched command line was last read.
    cmdlines_read: Option<std::time::Instant>,
    /// When the attached process's group was last scanned for members.
    group_scanned: Option<std::time::Instant>,
    /// How long to wait between two such scans: [`GROUP_SCAN_MIN`], or
    /// [`GROUP_SCAN_SPACING`] times what the last one cost.
    group_scan_every: Duration,
    /// Attached: the watched group emptied; its number may now be another's.
    group_gone: bool,
}

impl Pacing {
    /// Nothing collected yet: everything is due.
    fn new() -> Self {
        Self {
            collected: None,
            outside_refreshed: None,
            cmdlines_read: None,
            group_scanned: None,
            group_scan_every: GROUP_SCAN_MIN,
            group_gone: false,
        }
    }
}

/// How often every watched process's command line is read again: a
/// rewrite of argv (setproctitle, nginx's workers) has no kernel event.
const CMDLINES_EVERY: Duration = Duration::from_secs(1);

/// How often the stat of a group member outside an attached subtree is
/// read again.
const OUTSIDE_STAT_EVERY: Duration = Duration::from_secs(5);

/// The least time between two scans of the whole system for new members of
/// an attached group (a group signal scans first whatever the time).
const GROUP_SCAN_MIN: Duration = Duration::from_secs(5);

/// How many times its own cost apart two group scans are at least (the
/// spec asks for at least 100).
const GROUP_SCAN_SPACING: u32 = 300;

/// Whether a command line is the keeper's or tini's init's — either
/// itself, or its child before the exec: `sigtree __pool keeper …`,
/// `sigtree __pool init …`.
fn is_keepers_copy(cmd: &str) -> bool {
    let mut words = cmd.split(' ').skip(1);
    words.next() == Some("__pool") && matches!(words.next(), Some("keeper" | "init"))
}

/// How a process came to be tracked.
#[derive(Clone, Copy, Debug)]
enum Found<'a> {
    /// A walk or a scan found it: one born since the kernel's events were
    /// last taken in is left to them.
    Walk,
    /// A report, the keeper or a parent's fork named it: tracked whatever
    /// its age.
    Told,
    /// The kernel reported its fork or exec: what it was called then. That
    /// name is its first (it may have exec'd or renamed itself since); that
    /// command line shows when /proc has none to give (a zombie already).
    Event(&'a Named),
}

/// /proc's start times are in clock ticks (10 ms); a start time that reads
/// less than this before a moment may be after it.
const TICK_MS: u64 = 10;

/// The command line of `record`'s process, read now.
fn command_line(reader: &mut Reader, record: &ProcessRecord) -> String {
    let mut record = record.clone();
    record.cmdline = reader.cmdline(record.pid).unwrap_or_default();
    record.command()
}

/// What the model is told of `record`. A Z main thread with live threads is
/// a live process, not a zombie (FACTS 4f).
fn sighting(record: &ProcessRecord) -> Sighting {
    Sighting {
        pid: record.pid,
        start_time_ms: record.start_time_ms,
        ppid: record.ppid,
        pgid: record.pgid,
        sid: record.sid,
        cmd: record.command(),
        zombie: record.has_exited(),
    }
}

/// A pidfd of `pgid`'s leader for an attached run, if it is alive and
/// leads the group: while the group has members, the kernel does not give
/// its number to a new process, so a live process with that pid whose
/// group is itself is the leader. Checked by start time around the open.
fn leader_pidfd(reader: &mut Reader, pgid: i32) -> Option<PidFd> {
    let before = reader.stat(pgid).ok()?;
    let pidfd = PidFd::open(pgid).ok()?;
    let after = reader.stat(pgid).ok()?;
    (before.start_time_ms == after.start_time_ms && after.pgid == pgid && pidfd.is_running())
        .then_some(pidfd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_z_main_thread_with_live_threads_is_sighted_alive() {
        let mut record = ProcessRecord::sample(40, 1, 40, 40, 'Z');
        record.threads = 2;
        assert!(!sighting(&record).zombie, "FACTS 4f: alive");
        record.threads = 1;
        assert!(sighting(&record).zombie);
    }
}
