//! Sending a signal safely: a single process through its pidfd, a group
//! through killpg, never sigtree itself, its group or its ancestors.

use std::fmt;
use std::io;

use crate::procfs::scan::Reader;
use crate::procfs::sigset::Signal;
use crate::sys::pidfd::PidFd;
use crate::sys::process::kill_group;

/// Why a signal was not sent.
#[derive(Debug)]
pub enum SignalError {
    /// sigtree will not send it: the target is itself, its group, an
    /// ancestor, or a pid/group that means "everything".
    Refused(String),
    /// EPERM: the target belongs to another user and we lack CAP_KILL.
    NotPermitted(String),
    /// ESRCH: the process or group is gone.
    NoSuchTarget(String),
    /// Anything else the kernel said.
    Other(String, io::Error),
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(why) => write!(f, "refused: {why}"),
            Self::NotPermitted(target) => write!(f, "not permitted to signal {target}"),
            Self::NoSuchTarget(target) => write!(f, "{target} does not exist (any more)"),
            Self::Other(target, error) => write!(f, "cannot signal {target}: {error}"),
        }
    }
}

impl std::error::Error for SignalError {}

fn classify(target: String, error: io::Error) -> SignalError {
    match error.raw_os_error() {
        Some(libc::EPERM) => SignalError::NotPermitted(target),
        Some(libc::ESRCH) => SignalError::NoSuchTarget(target),
        _ => SignalError::Other(target, error),
    }
}

/// sigtree's own pid, group and ancestors: what it never signals.
#[derive(Clone, Debug)]
pub struct Protected {
    pids: Vec<i32>,
    groups: Vec<i32>,
}

impl Protected {
    /// Reads sigtree's own ancestry from /proc.
    pub fn current() -> Self {
        let chain = Reader::default().ancestry(std::process::id() as i32);
        Self {
            pids: chain.iter().map(|r| r.pid).collect(),
            groups: chain.iter().map(|r| r.pgid).collect(),
        }
    }

    /// Refuses pid 0, 1, sigtree and its ancestors.
    pub fn check_process(&self, pid: i32) -> Result<(), SignalError> {
        if pid <= 1 {
            return Err(SignalError::Refused(format!(
                "pid {pid} is never signalled"
            )));
        }
        if pid == std::process::id() as i32 {
            return Err(SignalError::Refused("that is sigtree itself".into()));
        }
        if self.pids.contains(&pid) {
            return Err(SignalError::Refused(format!(
                "pid {pid} is an ancestor of sigtree"
            )));
        }
        Ok(())
    }

    /// Refuses groups 0 and 1, sigtree's own, and any holding an ancestor.
    pub fn check_group(&self, pgid: i32) -> Result<(), SignalError> {
        if pgid <= 1 {
            return Err(SignalError::Refused(format!(
                "process group {pgid} is never signalled"
            )));
        }
        if self.groups.first() == Some(&pgid) {
            return Err(SignalError::Refused(format!(
                "process group {pgid} is sigtree's own"
            )));
        }
        if self.groups.contains(&pgid) {
            return Err(SignalError::Refused(format!(
                "process group {pgid} holds an ancestor of sigtree"
            )));
        }
        Ok(())
    }
}

/// Sends `signal` to the process behind `pidfd`.
pub fn signal_process(
    protected: &Protected,
    pidfd: &PidFd,
    signal: Signal,
) -> Result<(), SignalError> {
    protected.check_process(pidfd.pid())?;
    pidfd
        .send_signal(signal.number())
        .map_err(|e| classify(format!("pid {}", pidfd.pid()), e))
}

/// Sends `signal` to every member of process group `pgid`.
pub fn signal_group(protected: &Protected, pgid: i32, signal: Signal) -> Result<(), SignalError> {
    protected.check_group(pgid)?;
    kill_group(pgid, signal.number()).map_err(|e| classify(format!("process group {pgid}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigtree_its_group_and_ancestors_are_refused() {
        let protected = Protected::current();
        let own_pgid = rustix::process::getpgrp().as_raw_nonzero().get();
        for pid in [
            0,
            1,
            -1,
            std::process::id() as i32,
            crate::sys::process::parent_pid(),
        ] {
            assert!(
                matches!(protected.check_process(pid), Err(SignalError::Refused(_))),
                "pid {pid}"
            );
        }
        for pgid in [0, 1, own_pgid] {
            assert!(
                matches!(protected.check_group(pgid), Err(SignalError::Refused(_))),
                "pgid {pgid}"
            );
        }
    }

    #[test]
    fn a_missing_group_is_no_such_target() {
        let protected = Protected::current();
        let pid_max: i32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(4_194_304);
        let error = signal_group(&protected, pid_max, Signal::TERM).expect_err("no such group");
        assert!(matches!(error, SignalError::NoSuchTarget(_)), "{error}");
    }
}
