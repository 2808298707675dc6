//! A running pool as the monitor sees it: starts the keeper (which starts
//! the master), then collects — reports from the status channel, the
//! descendants walk from the keeper, each process's stat, its pidfd — and
//! feeds the watch model. Dropping it closes the keeper's pipe, which ends
//! whatever is left.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use rustix::event::{PollFd, PollFlags, poll};

use super::block::{Accounts, PoolBlock};
use super::context::{ENV_BLOCK_FD, ENV_SCENARIO, ENV_STATUS_FD, ENV_WORKERS};
use super::report::{Report, ReportDecoder, Role, read_available};
use super::scenario::Scenario;
use crate::procfs::record::ProcessRecord;
use crate::procfs::scan::{Reader, descendants};
use crate::sys::pidfd::{ExitInfo, PidFd};
use crate::sys::wait::Ending;
use crate::sys::{fds, monotonic_ms};
use crate::watch::model::{Sighting, Source, Watch};

/// A started pool and what is known of it.
pub struct PoolRun {
    keeper: Child,
    control: Option<OwnedFd>,
    block: PoolBlock,
    status: OwnedFd,
    decoder: ReportDecoder,
    reader: Reader,
    /// A pidfd and the start time checked when it was opened, by pid.
    pidfds: BTreeMap<i32, (PidFd, u64)>,
    roles: BTreeMap<i32, Role>,
    workers: u32,
    /// The model of the run.
    pub watch: Watch,
}

impl PoolRun {
    /// Starts the pool of `scenario` (loaded from `source`, a name or path)
    /// with `workers` workers; `exe` is the sigtree binary the pool's
    /// processes run (this one, or the one a test built).
    pub fn start(
        exe: &Path,
        source: &str,
        scenario: &Scenario,
        workers: u32,
    ) -> anyhow::Result<Self> {
        crate::sys::process::raise_fd_limit().context("cannot raise the descriptor limit")?;
        let block = PoolBlock::create(workers, scenario.pool.tasks)
            .context("cannot create the shared block")?;
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
            .env(ENV_SCENARIO, source)
            .env(ENV_WORKERS, workers.to_string())
            .env(ENV_BLOCK_FD, block.inheritable_fd()?.to_string())
            .env(ENV_STATUS_FD, status_write.as_raw_fd().to_string())
            .stdin(Stdio::null());
        let start_ms = monotonic_ms();
        let keeper = command.spawn().context("cannot start the pool's keeper")?;
        // The children hold their copies now; ours would keep the channel open.
        drop(status_write);
        drop(control_read);
        let mut watch = Watch::new(start_ms);
        watch.log(
            start_ms,
            crate::watch::model::Actor::You,
            format!("started scenario {}", scenario.name),
        );
        Ok(Self {
            keeper,
            control: Some(control),
            block,
            status,
            decoder: ReportDecoder::default(),
            reader: Reader::default(),
            pidfds: BTreeMap::new(),
            roles: BTreeMap::new(),
            workers,
            watch,
        })
    }

    /// The keeper's pid.
    pub fn keeper_pid(&self) -> i32 {
        self.keeper.id() as i32
    }

    /// The master's pid (the pool's process group), once seen.
    pub fn master(&self) -> Option<i32> {
        self.roles
            .iter()
            .find(|(_, r)| **r == Role::Master)
            .map(|(pid, _)| *pid)
    }

    /// The pidfd of an observed process.
    pub fn pidfd(&self, pid: i32) -> Option<&PidFd> {
        self.pidfds.get(&pid).map(|(fd, _)| fd)
    }

    /// The shared block (stop event, accounts).
    pub fn block(&self) -> &PoolBlock {
        &self.block
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

    /// Whether the master and every observed process have ended.
    pub fn pool_ended(&self) -> bool {
        self.master().is_some() && self.watch.alive().is_empty()
    }

    /// Task accounts now.
    pub fn accounts(&self) -> Accounts {
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
        self.block.accounts(|index| alive.contains(&(index as u16)))
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
            .map(|(_, (fd, _))| fd)
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
                    if role == Role::Master {
                        // The master leads the pool's group: pgid = its pid.
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
        self.pidfds.insert(pid, (pidfd, record.start_time_ms));
        let role = self.role_of(&record);
        self.watch.observe(now, sighting(&record), || role);
    }

    fn role_of(&self, record: &ProcessRecord) -> String {
        match self.roles.get(&record.pid) {
            Some(role) => role.name(),
            None if record.ppid == self.keeper_pid() && record.pgid == record.pid => {
                Role::Master.name()
            }
            None => "process".into(),
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
            let Some((pidfd, start_time_ms)) = self.pidfds.get(&pid) else {
                continue;
            };
            if let Ok(record) = self.reader.stat(pid)
                && record.start_time_ms == *start_time_ms
            {
                let seen = Sighting {
                    cmd,
                    ..sighting(&record)
                };
                self.watch.observe(now, seen, String::new);
            }
            match pidfd.exit_info() {
                ExitInfo::Ended(ending) => self.watch.ending(now, pid, ending, Source::Pidfd),
                ExitInfo::NotYet | ExitInfo::Unsupported if !is_running(pidfd) => {
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

impl Drop for PoolRun {
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
