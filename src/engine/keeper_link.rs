//! sigtree's side of its keeper: the child process, a pidfd for it, and
//! waiting for it with a deadline — a keeper that was stopped or killed by
//! what it runs must never make sigtree hang or leak.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::procfs::scan::Reader;
use crate::sys::pidfd::PidFd;
use crate::sys::wait::Ending;

/// How long the keeper may take to end everything once told to.
pub const KEEPER_DEADLINE: Duration = Duration::from_secs(5);

/// The keeper as sigtree holds it.
#[derive(Debug)]
pub struct Keeper {
    child: Child,
    pidfd: PidFd,
}

/// Why the keeper cannot be relied on to end what it started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeeperTrouble {
    /// It ended before it was told to (something killed it).
    Died(Ending),
    /// It is stopped (SIGSTOP, or a stop signal it cannot ignore).
    Stopped,
    /// It did not end within the deadline.
    TooSlow,
}

impl std::fmt::Display for KeeperTrouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Died(Ending::Signaled(signal)) => write!(
                f,
                "it was killed by {}",
                crate::watch::model::signal_name(*signal)
            ),
            Self::Died(Ending::Exited(code)) => write!(f, "it exited with status {code}"),
            Self::Stopped => f.write_str("it is stopped"),
            Self::TooSlow => write!(f, "it did not end within {KEEPER_DEADLINE:?}"),
        }
    }
}

impl Keeper {
    /// Starts the keeper `command` describes.
    pub fn spawn(command: &mut Command) -> std::io::Result<Self> {
        let child = command.spawn()?;
        // Our own child, not reaped: its pid cannot have been reused.
        let pidfd = PidFd::open(child.id() as i32)?;
        Ok(Self { child, pidfd })
    }

    /// The keeper's pid.
    pub fn pid(&self) -> i32 {
        self.pidfd.pid()
    }

    /// How the keeper ended, if it has (reaping it).
    pub fn ended(&mut self) -> Option<Ending> {
        let status = self.child.try_wait().ok()??;
        Some(Ending::from_exit_status(status))
    }

    /// Whether the keeper is stopped now.
    fn stopped(&self) -> bool {
        Reader::default()
            .stat(self.pid())
            .is_ok_and(|record| record.state.is_stopped())
    }

    /// Waits, up to `deadline`, for the keeper to end after its socket was
    /// closed. `Ok` when it ended by itself after its cleanup (exit 0);
    /// otherwise why sigtree must do the cleanup itself.
    pub fn wait_for_end(&mut self, deadline: Duration) -> Result<(), KeeperTrouble> {
        let until = Instant::now() + deadline;
        loop {
            if let Some(ending) = self.ended() {
                return match ending {
                    Ending::Exited(0) => Ok(()),
                    other => Err(KeeperTrouble::Died(other)),
                };
            }
            if self.stopped() {
                return Err(KeeperTrouble::Stopped);
            }
            if Instant::now() >= until {
                return Err(KeeperTrouble::TooSlow);
            }
            self.sleep_until_readable(until);
        }
    }

    /// SIGKILL to the keeper (it ends even when stopped), then reaps it,
    /// waiting at most `deadline`.
    pub fn kill(&mut self, deadline: Duration) {
        let _ = self.pidfd.send_signal(libc::SIGKILL);
        let until = Instant::now() + deadline;
        while self.ended().is_none() && Instant::now() < until {
            self.sleep_until_readable(until);
        }
    }

    /// Sleeps until the keeper's pidfd is readable (it ended), `until`, or
    /// 50 ms, whichever comes first: a stop is noticed by looking again.
    fn sleep_until_readable(&self, until: Instant) {
        let left = until.saturating_duration_since(Instant::now());
        let slice = Timespec::try_from(left.min(Duration::from_millis(50))).ok();
        let mut fds = [PollFd::new(&self.pidfd, PollFlags::IN)];
        let _ = poll(&mut fds, slice.as_ref());
    }
}
