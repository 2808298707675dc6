//! The run's events one by one, for a front end that streams them
//! (`sigtree trace`): each fork, exec, rename, setsid and exit of a process
//! of the watched subtree as the session takes it in, in order. Kept only
//! when a front end asks ([`Session::keep_journal`]).

use std::collections::HashSet;

use super::Session;
use crate::sys::wait::Ending;
use crate::watch::signals::Received;

/// A process as an event names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Who {
    /// Its pid.
    pub pid: i32,
    /// Its role in the run.
    pub role: String,
    /// Its name (comm) then.
    pub comm: String,
}

/// A signal's target, which may be outside the subtree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Its pid (a thread's, for a thread-directed signal).
    pub pid: i32,
    /// Its name.
    pub comm: String,
    /// Its role, when it is a process of the run.
    pub role: Option<String>,
    /// Sent to the whole process (its thread group), not one thread.
    pub group: bool,
}

/// One event of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Traced {
    /// A process was forked by `parent` (with lifecycle events: at its
    /// fork; without: when a walk first found it).
    Fork {
        /// When (CLOCK_MONOTONIC ms).
        at_ms: u64,
        /// The new process.
        child: Who,
        /// Its parent's pid.
        parent: i32,
    },
    /// A process called execve: its new name (`who.comm`) and command line,
    /// when it could be read.
    Exec {
        /// When.
        at_ms: u64,
        /// The process, with its new name.
        who: Who,
        /// Its command line, when it could be read.
        cmd: Option<String>,
    },
    /// A process renamed itself: its new name is `who.comm`.
    Rename {
        /// When.
        at_ms: u64,
        /// The process, with its new name.
        who: Who,
    },
    /// A process called setsid.
    Setsid {
        /// When.
        at_ms: u64,
        /// The process.
        who: Who,
    },
    /// A signal was sent (signal_generate) to or from the subtree.
    Signal {
        /// Who sent it, how, and what the kernel did with it.
        received: Received,
        /// Its target.
        to: Target,
    },
    /// A process of the subtree took a signal now (signal_deliver):
    /// `handler` 0 is the default action (a default-fatal signal shows as
    /// SIGKILL, the group exit), 1 ignore, else a handler ran.
    Deliver {
        /// When.
        at_ms: u64,
        /// The process.
        who: Who,
        /// The signal.
        signal: i32,
        /// The handler's address.
        handler: u64,
    },
    /// A process ended: how, when known.
    Exit {
        /// When.
        at_ms: u64,
        /// The process.
        who: Who,
        /// Its wait status; `None` where the kernel cannot tell.
        ending: Option<Ending>,
    },
}

impl Traced {
    /// When it happened (CLOCK_MONOTONIC ms).
    pub fn at_ms(&self) -> u64 {
        match *self {
            Self::Fork { at_ms, .. }
            | Self::Exec { at_ms, .. }
            | Self::Rename { at_ms, .. }
            | Self::Setsid { at_ms, .. }
            | Self::Deliver { at_ms, .. }
            | Self::Exit { at_ms, .. } => at_ms,
            Self::Signal { ref received, .. } => received.at_ms,
        }
    }
}

/// An event and the time it is ordered by: the kernel's, to the
/// nanosecond, where it came with one (its lifecycle and trace events:
/// finer than the events' milliseconds, so that a signal comes before the
/// exit it caused in the same millisecond), else its millisecond.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamped {
    /// CLOCK_MONOTONIC nanoseconds.
    pub at_ns: u64,
    /// The event.
    pub traced: Traced,
}

/// The session's journal: the events not taken yet, and which ends were
/// told already (one exit per process, however many sources learn it).
#[derive(Debug, Default)]
pub(super) struct Journal {
    events: Vec<Stamped>,
    exits: HashSet<(i32, u64)>,
    /// The kernel's time of the event being applied, when it has one.
    applying_ns: Option<u64>,
}

impl Journal {
    fn push(&mut self, traced: Traced) {
        let at_ns = self
            .applying_ns
            .unwrap_or_else(|| traced.at_ms().saturating_mul(1_000_000));
        self.events.push(Stamped { at_ns, traced });
    }
}

impl Session {
    /// Keeps every event from now on for [`Session::take_journal`].
    pub fn keep_journal(&mut self) {
        self.journal.get_or_insert_with(Journal::default);
    }

    /// The events kept since the last call, in the order they were taken
    /// in (the kernel's sources each in order; merged by time by the
    /// caller).
    pub fn take_journal(&mut self) -> Vec<Stamped> {
        self.journal
            .as_mut()
            .map(|journal| std::mem::take(&mut journal.events))
            .unwrap_or_default()
    }

    /// `pid` as an event names it; `None` when it is not a process of the
    /// watched subtree (attached: a group member outside it), or unknown.
    fn who(&self, pid: i32) -> Option<Who> {
        let process = self.watch.processes().get(&pid)?;
        (!process.outside).then(|| Who {
            pid,
            role: process.role.clone(),
            comm: process.names.last().cloned().unwrap_or_default(),
        })
    }

    /// Keeps the event `make` builds for `pid`, if a journal is kept and
    /// `pid` is of the subtree.
    pub(super) fn journal(&mut self, pid: i32, make: impl FnOnce(Who) -> Traced) {
        if self.journal.is_none() {
            return;
        }
        let Some(who) = self.who(pid) else { return };
        if let Some(journal) = self.journal.as_mut() {
            journal.push(make(who));
        }
    }

    /// Keeps a signal sent to or from the subtree.
    pub(super) fn journal_signal(&mut self, received: Received, to: Target) {
        if let Some(journal) = self.journal.as_mut() {
            journal.push(Traced::Signal { received, to });
        }
    }

    /// The kernel's time (ns) of the event being applied from now on, or
    /// none: what is kept meanwhile is ordered by it.
    pub(super) fn journal_at(&mut self, at_ns: Option<u64>) {
        if let Some(journal) = self.journal.as_mut() {
            journal.applying_ns = at_ns;
        }
    }

    /// Keeps `pid`'s exit once its status is known (or, `unknowable`, once
    /// it is known to have ended without one), the first time only. With
    /// lifecycle events, an exit is told when its event comes (`event`),
    /// in the kernel's order: another source's, which may come first, only
    /// at the end ([`Session::journal_untold_exits`]).
    pub(super) fn journal_exit(&mut self, pid: i32, unknowable: bool, event: bool) {
        if self.lifecycle.is_some() && !event {
            return;
        }
        let Some(process) = self.watch.processes().get(&pid) else {
            return;
        };
        let ending = process.ending.map(|(ending, _)| ending);
        let at_ms = process.ended_at.unwrap_or_default();
        let key = (pid, process.seen.start_time_ms);
        if ending.is_none() && !unknowable {
            return;
        }
        let told = self
            .journal
            .as_mut()
            .is_none_or(|journal| !journal.exits.insert(key));
        if !told {
            self.journal(pid, |who| Traced::Exit { at_ms, who, ending });
        }
    }

    /// Keeps the exits known but not told yet (their events were lost, or
    /// came from another source): at the end of the run.
    pub(super) fn journal_untold_exits(&mut self) {
        let ended: Vec<i32> = self
            .watch
            .processes()
            .values()
            .filter(|p| p.ending.is_some())
            .map(|p| p.seen.pid)
            .collect();
        for pid in ended {
            self.journal_exit(pid, false, true);
        }
    }
}
