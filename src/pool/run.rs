//! A run as the monitor sees it: starts the keeper (which starts the pool's
//! master or a user's command), then collects — reports from the status
//! channel, the descendants walk from the keeper, each process's stat, its
//! pidfd — and feeds the watch model. Dropping it closes the keeper's pipe,
//! which ends whatever is left.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use regex::Regex;
use rustix::event::{PollFd, PollFlags, poll};

use super::block::{Accounts, PoolBlock};
use super::context::{ENV_BLOCK_FD, ENV_SCENARIO, ENV_STATUS_FD, ENV_WORKERS};
use super::output::Output;
use super::report::{Report, ReportDecoder, Role, read_available};
use super::scenario::Scenario;
use crate::procfs::record::ProcessRecord;
use crate::procfs::scan::{Reader, descendants};
use crate::sys::pidfd::{ExitInfo, PidFd};
use crate::sys::wait::Ending;
use crate::sys::{fds, monotonic_ms};
use crate::watch::model::{Actor, Sighting, Source, Watch};

/// What a run starts under its keeper.
#[derive(Clone, Copy, Debug)]
pub enum Launch<'a> {
    /// The built-in pool of a scenario loaded from `source` (name or path).
    Pool {
        /// The scenario's name or path, for the pool's processes to load.
        source: &'a str,
        /// The scenario, with any overrides applied.
        scenario: &'a Scenario,
    },
    /// A command, its output captured; `ready` is matched against each line.
    Command {
        /// The program and its arguments.
        argv: &'a [String],
        /// A pattern that marks the command ready.
        ready: Option<&'a Regex>,
    },
}

/// A watched process: its pidfd, the start time checked when the pidfd was
/// opened (pids are reused), and its command name, whose change means an exec.
struct Tracked {
    pidfd: PidFd,
    start_time_ms: u64,
    comm: String,
}

/// A started run and what is known of it.
pub struct Run {
    keeper: Child,
    control: Option<OwnedFd>,
    block: Option<PoolBlock>,
    output: Option<Output>,
    status: OwnedFd,
    decoder: ReportDecoder,
    reader: Reader,
    /// Every process being watched, by pid.
    pidfds: BTreeMap<i32, Tracked>,
    roles: BTreeMap<i32, Role>,
    /// The pool's workers (0 for a command).
    workers: u32,
    /// The process the keeper started: the master, or the command.
    leader: Option<i32>,
    /// The model of the run.
    pub watch: Watch,
}

impl Run {
    /// Starts what `launch` says under a new keeper; `exe` is the sigtree
    /// binary the keeper and the pool run (this one, or a test's build).
    pub fn start(exe: &Path, launch: Launch<'_>) -> anyhow::Result<Self> {
        crate::sys::process::raise_fd_limit().context("cannot raise the descriptor limit")?;
        let (status, status_write) = fds::pipe()?;
        fds::set_nonblocking(status.as_fd())?;
        fds::set_nonblocking(status_write.as_fd())?;
        fds::set_inheritable(status_write.as_fd())?;
        let (control_read, control) = fds::pipe()?;
        fds::set_inheritable(control_read.as_fd())?;

        let mut command = Command::new(exe);
        command
            .args([
                "__pool",
                "keeper",
                "--control-fd",
                &control_read.as_raw_fd().to_string(),
            ])
            .args(["--status-fd", &status_write.as_raw_fd().to_string()])
            .stdin(Stdio::null());
        let (block, output, output_write, workers, what) = match launch {
            Launch::Pool { source, scenario } => {
                let workers = scenario.pool.workers;
                let block = PoolBlock::create(workers, scenario.pool.tasks)
                    .context("cannot create the shared block")?;
                command
                    .env(ENV_SCENARIO, source)
                    .env(ENV_WORKERS, workers.to_string())
                    .env(ENV_BLOCK_FD, block.inheritable_fd()?.to_string())
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
            Launch::Command { argv, ready } => {
                let (read, write) = fds::pipe()?;
                fds::set_inheritable(write.as_fd())?;
                let output = Output::capture(read, ready.cloned())
                    .context("cannot read the command's output")?;
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
        let keeper = command.spawn().context("cannot start sigtree's keeper")?;
        // The keeper holds its copies now; ours would keep the pipes open.
        drop(status_write);
        drop(control_read);
        drop(output_write);
        let mut watch = Watch::new(start_ms);
        watch.log(start_ms, Actor::You, what);
        Ok(Self {
            keeper,
            control: Some(control),
            block,
            output,
            status,
            decoder: ReportDecoder::default(),
            reader: Reader::default(),
            pidfds: BTreeMap::new(),
            roles: BTreeMap::new(),
            workers,
            leader: None,
            watch,
        })
    }

    /// Whether the keeper itself has ended (it could not start the command).
    pub fn keeper_failed(&mut self) -> Option<i32> {
        match self.keeper.try_wait() {
            Ok(Some(status)) => Some(status.code().unwrap_or(-1)),
            _ => None,
        }
    }

    /// The captured output of a command.
    pub fn output(&self) -> Option<&Output> {
        self.output.as_ref()
    }

    /// The keeper's pid.
    pub fn keeper_pid(&self) -> i32 {
        self.keeper.id() as i32
    }

    /// The process the keeper started — the pool's master, or the command —
    /// whose pid is the watched process group, once seen.
    pub fn leader(&self) -> Option<i32> {
        self.leader
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

    /// Whether the leader and every observed process have ended.
    pub fn ended(&self) -> bool {
        self.leader().is_some() && self.watch.alive().is_empty()
    }

    /// Task accounts now; `None` for a command.
    pub fn accounts(&self) -> Option<Accounts> {
        let alive: BTreeSet<u16> = self
            .roles
            .iter()
            .filter(|(pid, _)| {
                self.watch
                    .processes()
                    .get(pid)
                    .is_some_and(|p| !p.has_ended())
            })
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
    /// readable), then collects everything: reports, new descendants, each
    /// live process's state, exit statuses.
    pub fn tick(&mut self, wait: Duration, wake: Option<BorrowedFd<'_>>) {
        self.wait_for_news(wait, wake);
        let now = monotonic_ms();
        if let Ok(reports) = read_available(self.status.as_fd(), &mut self.decoder) {
            for report in reports {
                self.apply(report);
            }
        }
        self.discover(now);
        self.refresh(now);
    }

    fn wait_for_news(&self, wait: Duration, wake: Option<BorrowedFd<'_>>) {
        let live: Vec<&PidFd> = self
            .pidfds
            .iter()
            .filter(|(pid, _)| {
                self.watch
                    .processes()
                    .get(pid)
                    .is_some_and(|p| !p.has_ended())
            })
            .map(|(_, tracked)| &tracked.pidfd)
            .collect();
        let mut fds: Vec<PollFd> = std::iter::once(PollFd::new(&self.status, PollFlags::IN))
            .chain(wake.as_ref().map(|fd| PollFd::new(fd, PollFlags::IN)))
            .chain(live.iter().map(|fd| PollFd::new(*fd, PollFlags::IN)))
            .collect();
        let timeout = rustix::event::Timespec::try_from(wait).ok();
        let _ = poll(&mut fds, timeout.as_ref());
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
                    self.track(pid, at_ms);
                    self.watch.set_role(pid, role.name());
                    if let Ok(record) = self.reader.stat(pid) {
                        // Seen right after fork, it showed its parent's command line.
                        let cmd = command_line(&mut self.reader, &record);
                        self.watch.observe(
                            at_ms,
                            Sighting {
                                cmd,
                                ..sighting(&record)
                            },
                            String::new,
                        );
                    }
                    if role == Role::Master && self.leader.is_none() {
                        // The master leads the pool's group: pgid = its pid.
                        self.leader = Some(pid);
                        self.watch.set_group(pid);
                    }
                }
                self.watch.phase(at_ms, pid, phase);
            }
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
            }
        }
    }

    /// Starts watching every descendant of the keeper not yet known.
    fn discover(&mut self, now: u64) {
        for pid in descendants(self.keeper_pid()).unwrap_or_default() {
            if !self.pidfds.contains_key(&pid) {
                self.track(pid, now);
            }
        }
    }

    /// Opens a pidfd for `pid` and records its first sighting. The stat read
    /// before and after the open must agree on the start time: pids are reused.
    fn track(&mut self, pid: i32, now: u64) {
        if self.pidfds.contains_key(&pid) {
            return;
        }
        let Ok(before) = self.reader.stat(pid) else {
            return;
        };
        let Ok(pidfd) = PidFd::open(pid) else { return };
        let Ok(mut record) = self.reader.stat(pid) else {
            return;
        };
        if record.start_time_ms != before.start_time_ms {
            return;
        }
        record.cmdline = self.reader.cmdline(pid).unwrap_or_default();
        self.pidfds.insert(
            pid,
            Tracked {
                pidfd,
                start_time_ms: record.start_time_ms,
                comm: record.comm.clone(),
            },
        );
        if self.leader.is_none() && record.ppid == self.keeper_pid() && record.pgid == record.pid {
            // The keeper's first child leads its own group: what it started.
            self.leader = Some(pid);
            self.watch.set_group(pid);
        }
        let role = self.role_of(&record);
        self.watch.observe(now, sighting(&record), || role);
    }

    /// A pool process's reported role; in a command's run `leader`,
    /// `child` (of the leader) or `descendant`.
    fn role_of(&self, record: &ProcessRecord) -> String {
        let pool = self.block.is_some();
        match self.roles.get(&record.pid) {
            Some(role) => role.name(),
            None if Some(record.pid) == self.leader && pool => Role::Master.name(),
            None if Some(record.pid) == self.leader => "leader".into(),
            None if pool => "process".into(),
            None if Some(record.ppid) == self.leader => "child".into(),
            None => "descendant".into(),
        }
    }

    /// Re-reads the stat of every process whose ending is not known yet
    /// (a changed parent or group is news) and asks its pidfd whether it
    /// ended.
    fn refresh(&mut self, now: u64) {
        let pending: Vec<(i32, String)> = self
            .watch
            .processes()
            .values()
            .filter(|p| p.ending.is_none())
            .map(|p| (p.seen.pid, p.seen.cmd.clone()))
            .collect();
        for (pid, cmd) in pending {
            let Some(tracked) = self.pidfds.get_mut(&pid) else {
                continue;
            };
            if let Ok(record) = self.reader.stat(pid)
                && record.start_time_ms == tracked.start_time_ms
            {
                let cmd = if record.comm == tracked.comm {
                    cmd
                } else {
                    // It called exec since its command line was read.
                    tracked.comm = record.comm.clone();
                    command_line(&mut self.reader, &record)
                };
                self.watch.observe(
                    now,
                    Sighting {
                        cmd,
                        ..sighting(&record)
                    },
                    String::new,
                );
            }
            match tracked.pidfd.exit_info() {
                ExitInfo::Ended(ending) => self.watch.ending(now, pid, ending, Source::Pidfd),
                ExitInfo::NotYet | ExitInfo::Unsupported if !is_running(&tracked.pidfd) => {
                    self.watch.ended(now, pid);
                }
                ExitInfo::NotYet | ExitInfo::Unsupported => {}
            }
        }
    }

    /// Ends the run: closes the keeper's pipe (it kills whatever is left)
    /// and waits for the keeper, collecting the last reports.
    pub fn finish(&mut self) {
        self.control = None;
        let _ = self.keeper.wait();
        if let Ok(reports) = read_available(self.status.as_fd(), &mut self.decoder) {
            for report in reports {
                self.apply(report);
            }
        }
        let now = monotonic_ms();
        self.refresh(now);
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.control = None;
        let _ = self.keeper.wait();
    }
}

/// Whether the process behind `pidfd` still runs (its pidfd is not readable).
fn is_running(pidfd: &PidFd) -> bool {
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(poll(&mut fds, Some(&zero)), Ok(0))
}

/// The command line of `record`'s process, read now.
fn command_line(reader: &mut Reader, record: &ProcessRecord) -> String {
    let mut record = record.clone();
    record.cmdline = reader.cmdline(record.pid).unwrap_or_default();
    record.command()
}

fn sighting(record: &ProcessRecord) -> Sighting {
    Sighting {
        pid: record.pid,
        ppid: record.ppid,
        pgid: record.pgid,
        sid: record.sid,
        cmd: record.command(),
        zombie: record.state.is_zombie(),
    }
}
