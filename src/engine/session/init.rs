//! The session's side of sigtree's init, PID 1 of the pid namespace the
//! `tini` policies run in: a second keeper between the keeper and the
//! leader. It is known by its pidfd (sent by the init itself, or opened
//! when its fork is seen), never watched nor judged like the run's
//! processes; the leader is its child. Where no namespace could be made,
//! there is no init and the leader is the keeper's child, as for any run.

use super::Session;
use crate::sys::monotonic_ms;
use crate::sys::pidfd::{ExitInfo, PidFd};
use crate::sys::wait::Ending;

/// The init as the session holds it.
#[derive(Debug)]
pub(super) struct Init {
    pidfd: PidFd,
    /// How it ended, once known (the keeper's report, or its pidfd).
    ending: Option<Ending>,
    /// When its end was first seen (CLOCK_MONOTONIC ms).
    ended_at: Option<u64>,
}

/// What is known of sigtree's init (tini's PID 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitSeen {
    /// Its pid.
    pub pid: i32,
    /// How it ended, once known.
    pub ending: Option<Ending>,
    /// When its end was first seen (CLOCK_MONOTONIC ms).
    pub ended_at: Option<u64>,
}

impl Session {
    /// What is known of sigtree's init, when the run has one.
    pub fn init(&self) -> Option<InitSeen> {
        self.init.as_ref().map(|init| InitSeen {
            pid: init.pidfd.pid(),
            ending: init.ending,
            ended_at: init.ended_at,
        })
    }

    /// The init's pidfd, while it may still be signalled.
    pub fn init_pidfd(&self) -> Option<&PidFd> {
        self.init.as_ref().map(|init| &init.pidfd)
    }

    /// Whether the run has an init and it has not ended: its pidfd, read
    /// now, says so.
    pub fn init_lives(&mut self) -> bool {
        let Some(init) = self.init.as_mut() else {
            return false;
        };
        if init.ended_at.is_none() && !init.pidfd.is_running() {
            init.ended_at = Some(monotonic_ms());
            if let ExitInfo::Ended(ending) = init.pidfd.exit_info() {
                init.ending = Some(ending);
            }
        }
        init.ended_at.is_none()
    }

    /// The process that forks the leader: the init, once known, else the
    /// keeper (or, attached, the attached process).
    pub(super) fn launcher(&self) -> i32 {
        self.init_pidfd().map_or(self.root, PidFd::pid)
    }

    /// Whether `child`, forked by (or re-parented to) `parent`, is the
    /// init, taking it as such the first time: under a tini policy the
    /// keeper's child is the init when it is PID 1 of a namespace below
    /// sigtree's (read from /proc: it is so from its fork), else the
    /// command itself.
    pub(super) fn is_init(&mut self, parent: i32, child: i32) -> bool {
        if let Some(init) = &self.init {
            return init.pidfd.pid() == child;
        }
        if !self.init_wanted
            || self.attached()
            || parent != self.root
            || self.leader.is_some()
            || !self.reader.is_namespace_init_below(child)
        {
            return false;
        }
        match PidFd::open(child) {
            Ok(pidfd) => self.init_started(pidfd),
            Err(_) => return false,
        }
        true
    }

    /// The init is known by `pidfd`: its own, sent before it started the
    /// leader, or opened when its fork was seen.
    pub(super) fn init_started(&mut self, pidfd: PidFd) {
        if self.init.is_none() {
            self.init = Some(Init {
                pidfd,
                ending: None,
                ended_at: None,
            });
        }
    }

    /// The keeper reaped `child` with `status` at `at_ms`: true when it
    /// was the init, whose end is then known.
    pub(super) fn init_reaped(&mut self, child: i32, status: i32, at_ms: u64) -> bool {
        let Some(init) = self.init.as_mut().filter(|init| init.pidfd.pid() == child) else {
            return false;
        };
        init.ending = Some(Ending::from_wait_status(status));
        init.ended_at = Some(init.ended_at.map_or(at_ms, |seen| seen.min(at_ms)));
        true
    }
}
