//! The model of one run: every process observed, how each one ended, the
//! timeline of who did what, and the verdict. Fed by the collectors (scans,
//! pool reports, pidfds) and the actions taken; does no I/O.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use super::cause::{self, Act, By, Cause, StopStep};
use super::signals::{GroupSend, Received};
use super::verdict::Verdict;
use super::wording;
use crate::signal::sigset::{SigSet, Signal};
use crate::sys::wait::Ending;
use crate::watch::vocabulary::Phase;

/// How an ending was learned, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// sigtree (its keeper) reaped it.
    Waited,
    /// The kernel's proc connector reported its exit status.
    Event,
    /// PIDFD_INFO_EXIT, whoever reaped it.
    Pidfd,
    /// The pool master's report of its wait.
    Reported,
    /// It disappeared; its status is unknown.
    Inferred,
}

/// How a process ended (README, "sigtree check": outcomes and verdict).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It called exit.
    Exited,
    /// It died of a signal other than sigtree's escalation SIGKILL.
    Signaled,
    /// It died of sigtree's escalation SIGKILL.
    Killed,
    /// It outlived the group's SIGKILL (it had left the group).
    Leaked,
    /// It disappeared without a known status.
    Unknown,
}

/// What a collector saw of a live process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    /// Its pid.
    pub pid: i32,
    /// When it started (ms since boot): with the pid, what identifies it.
    pub start_time_ms: u64,
    /// Its parent now.
    pub ppid: i32,
    /// Its process group now.
    pub pgid: i32,
    /// Its session now.
    pub sid: i32,
    /// What it is called: its command line, or the name it gave itself
    /// when that is not the start of its command line (see
    /// [`Watch::renamed`]). A collector's sighting carries the command line.
    pub cmd: String,
    /// Whether it is a zombie (exited, not reaped).
    pub zombie: bool,
}

/// Everything known of one process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// The latest sighting.
    pub seen: Sighting,
    /// Its role in the run ("master", "worker-2", "leader", …).
    pub role: String,
    /// Every name (comm) it had, oldest first: execs and renames.
    pub names: Vec<String>,
    /// The name it gave itself since its last exec (prctl PR_SET_NAME).
    pub renamed: Option<String>,
    /// Its command line as last read.
    pub command_line: String,
    /// The signals the kernel saw it receive (tracefs): at most
    /// [`SIGNALS_KEPT`], the oldest dropped first.
    pub signals: VecDeque<Received>,
    /// The group it was first seen in.
    pub first_pgid: i32,
    /// When it was first seen.
    pub first_seen_ms: u64,
    /// The signals it catches (SigCgt) at its latest sighting that read
    /// them; `None` when none did.
    pub caught: Option<SigSet>,
    /// A pool process that polls the stop event.
    pub polls_stop_event: bool,
    /// Set when its parent died while it lived: the new parent.
    pub reparented_to: Option<i32>,
    /// The parent it lost, when it was orphaned.
    pub lost_parent: Option<i32>,
    /// Its latest phases as the pool reported them, with times: at most
    /// [`PHASES_KEPT`], the oldest dropped first.
    pub phases: VecDeque<(u64, Phase)>,
    /// When it was first seen ended (exited, possibly still a zombie).
    pub ended_at: Option<u64>,
    /// When it was first seen a zombie.
    pub zombie_since: Option<u64>,
    /// It was already a zombie when first seen: it died before that, at a
    /// time /proc does not keep, so `zombie_since` is only a bound.
    pub zombie_before_seen: bool,
    /// When it was reaped, if known.
    pub reaped_at: Option<u64>,
    /// Its ending and how that was learned.
    pub ending: Option<(Ending, Source)>,
    /// Killed by pidfd after surviving the group's SIGKILL.
    pub leaked: bool,
    /// It had ended when the stop was requested.
    pub before_stop: bool,
    /// Attached: a member of the watched group outside the attached
    /// subtree (an ancestor, a sibling): shown, never stopped, never judged.
    pub outside: bool,
}

impl Observed {
    /// Whether it left the group it was first seen in.
    pub fn escaped_group(&self) -> bool {
        self.seen.pgid != self.first_pgid
    }

    /// Records that it had ended by `at_ms`: every sighting of an end is a
    /// bound on when it happened, so the earliest one is kept.
    fn saw_end(&mut self, at_ms: u64) {
        self.ended_at = Some(self.ended_at.map_or(at_ms, |seen| seen.min(at_ms)));
    }

    /// Whether it has ended (a zombie has).
    pub fn has_ended(&self) -> bool {
        self.ended_at.is_some() || self.ending.is_some()
    }

    /// Whether its exit is known from its exit event but not whether it
    /// was reaped: it may be a zombie now, which only /proc can say.
    pub fn awaiting_reap(&self) -> bool {
        self.reaped_at.is_none() && matches!(self.ending, Some((_, Source::Event)))
    }

    /// How long it stayed a zombie, when one was seen.
    pub fn zombie_ms(&self) -> Option<u64> {
        let since = self.zombie_since?;
        Some(
            self.reaped_at?
                .saturating_sub(self.ended_at.unwrap_or(since).min(since)),
        )
    }

    /// The latest phase the pool reported.
    pub fn phase(&self) -> Option<Phase> {
        self.phases.back().map(|&(_, phase)| phase)
    }
}

/// What a process with command line `cmd` is called, when it gave itself
/// the name `renamed`: that name, unless the command line starts with it.
fn called(cmd: &str, renamed: Option<&str>) -> String {
    match renamed {
        Some(name) if !cmd.starts_with(name) => name.to_string(),
        _ => cmd.to_string(),
    }
}

/// How many timeline lines a run keeps: memory stays flat however long
/// it runs (the screen shows far fewer).
pub const EVENTS_KEPT: usize = 2000;
/// How many phases a process keeps (its lifeline's recent past).
pub const PHASES_KEPT: usize = 256;
/// How many of sigtree's acts a run keeps: a cause is among the latest.
pub const ACTS_KEPT: usize = 256;
/// How many received signals a process keeps.
pub const SIGNALS_KEPT: usize = 256;

/// Who did something, for the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    /// The user (a key, or check's action).
    You,
    /// sigtree on its own (escalation).
    Sigtree,
    /// A process: pid and role.
    Process(i32, String),
    /// The kernel (an exit, a re-parenting).
    Kernel,
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    /// Who.
    pub who: Actor,
    /// What, in words.
    pub what: String,
    /// A routine line (task progress, a first sighting): a log may fold
    /// runs of them into a count.
    #[serde(skip)]
    pub routine: bool,
    /// Its number in the run's log (the first line is 0).
    #[serde(skip)]
    pub number: u64,
}

/// The model of one run. Times are CLOCK_MONOTONIC milliseconds.
#[derive(Clone, Debug)]
pub struct Watch {
    start_ms: u64,
    processes: BTreeMap<i32, Observed>,
    /// Ended processes whose pid a newer process took during the run.
    retired: Vec<Observed>,
    /// The latest [`EVENTS_KEPT`] lines, the oldest dropped first.
    timeline: VecDeque<Event>,
    /// Every line ever added, dropped ones included.
    logged: u64,
    /// What sigtree did, with whom it reached: the latest [`ACTS_KEPT`].
    acts: VecDeque<Act>,
    stop_at: Option<u64>,
    escalated_at: Option<u64>,
    group: Option<i32>,
    /// Whether the kernel's signal events were read: every sender is seen.
    signals_traced: bool,
    /// Every change to the timeline (a line added, or told again): news
    /// for a redraw.
    revision: u64,
    /// The latest signal line, while more of the same send may join it.
    group_send: Option<GroupSend>,
}

impl Watch {
    /// A run that started at `start_ms`.
    pub fn new(start_ms: u64) -> Self {
        Self {
            start_ms,
            processes: BTreeMap::new(),
            retired: Vec::new(),
            timeline: VecDeque::new(),
            logged: 0,
            acts: VecDeque::new(),
            stop_at: None,
            escalated_at: None,
            group: None,
            signals_traced: false,
            revision: 0,
            group_send: None,
        }
    }

    /// When the run started (CLOCK_MONOTONIC milliseconds).
    pub fn start_ms(&self) -> u64 {
        self.start_ms
    }

    /// Adds a line to the timeline.
    pub fn log(&mut self, at_ms: u64, who: Actor, what: impl Into<String>) {
        self.push_line(at_ms, who, what.into(), false);
    }

    /// Adds a line to the timeline, routine or not.
    fn push_line(&mut self, at_ms: u64, who: Actor, what: String, routine: bool) {
        self.insert_line(0, at_ms, who, what, routine);
    }

    /// Adds a line before the `later` newest ones.
    fn insert_line(&mut self, later: usize, at_ms: u64, who: Actor, what: String, routine: bool) {
        if self.timeline.len() == EVENTS_KEPT {
            // Routine lines give way first: a busy pool's progress never
            // pushes out what the user did and what answered it.
            match self.timeline.iter().position(|e| e.routine) {
                Some(oldest) => drop(self.timeline.remove(oldest)),
                None => drop(self.timeline.pop_front()),
            }
        }
        let at = self.timeline.len().saturating_sub(later);
        self.timeline.insert(
            at,
            Event {
                at_ms: at_ms.saturating_sub(self.start_ms),
                who,
                what,
                routine,
                number: self.logged,
            },
        );
        self.logged += 1;
        self.revision += 1;
    }

    /// The process group the run was started in (the pool's, the command's).
    pub fn set_group(&mut self, pgid: i32) {
        self.group = Some(pgid);
    }

    /// Whether `process` left the group it was started in: it was seen in
    /// another one, or first seen already outside the run's group (a child
    /// always starts in its parent's group, so it moved itself).
    pub fn escaped_group(&self, process: &Observed) -> bool {
        process.seen.pgid != process.first_pgid
            || self.group.is_some_and(|group| process.seen.pgid != group)
    }

    /// A collector saw `sighting` at `at_ms`; `role` names it when first seen.
    /// A changed parent marks it orphaned; a changed group, escaped.
    /// A sighting with another start time than the process known under
    /// that pid is a new process: the old one ended, and is kept apart.
    pub fn observe(&mut self, at_ms: u64, sighting: Sighting, role: impl FnOnce() -> String) {
        let pid = sighting.pid;
        if self
            .processes
            .get(&pid)
            .is_some_and(|known| known.seen.start_time_ms != sighting.start_time_ms)
            && let Some(mut old) = self.processes.remove(&pid)
        {
            old.saw_end(at_ms);
            self.retired.push(old);
        }
        let Some(known) = self.processes.get_mut(&pid) else {
            let role = role();
            self.push_line(
                at_ms,
                Actor::Process(pid, role.clone()),
                format!("seen: {}", sighting.cmd),
                true,
            );
            let zombie_since = sighting.zombie.then_some(at_ms);
            let command_line = sighting.cmd.clone();
            self.processes.insert(
                pid,
                Observed {
                    first_pgid: sighting.pgid,
                    first_seen_ms: at_ms,
                    caught: None,
                    polls_stop_event: false,
                    seen: sighting,
                    role,
                    names: Vec::new(),
                    renamed: None,
                    command_line,
                    signals: VecDeque::new(),
                    reparented_to: None,
                    lost_parent: None,
                    phases: VecDeque::new(),
                    ended_at: zombie_since,
                    zombie_since,
                    zombie_before_seen: zombie_since.is_some(),
                    reaped_at: None,
                    ending: None,
                    leaked: false,
                    before_stop: false,
                    outside: false,
                },
            );
            return;
        };
        let mut notes = Vec::new();
        if sighting.ppid != known.seen.ppid && !sighting.zombie && known.ending.is_none() {
            notes.push(format!(
                "orphaned: parent {} died, re-parented to {}",
                known.seen.ppid, sighting.ppid
            ));
            known.reparented_to = Some(sighting.ppid);
            known.lost_parent.get_or_insert(known.seen.ppid);
        }
        if sighting.pgid != known.seen.pgid {
            notes.push(format!(
                "left process group {} for {}",
                known.seen.pgid, sighting.pgid
            ));
        }
        if sighting.zombie && known.zombie_since.is_none() {
            known.zombie_since = Some(at_ms);
            known.saw_end(at_ms);
            notes.push(format!(
                "zombie: parent {} has not reaped it",
                sighting.ppid
            ));
        }
        let mut sighting = sighting;
        known.command_line.clone_from(&sighting.cmd);
        sighting.cmd = called(&known.command_line, known.renamed.as_deref());
        known.seen = sighting;
        let who = Actor::Process(pid, known.role.clone());
        for note in notes {
            self.log(at_ms, who.clone(), note);
        }
    }

    /// `pid` was seen named `comm` (its stat): a name it did not have last
    /// is added to its names.
    pub fn saw_name(&mut self, pid: i32, comm: &str) {
        if let Some(known) = self.processes.get_mut(&pid)
            && known.names.last().is_none_or(|last| last != comm)
        {
            known.names.push(comm.to_string());
        }
    }

    /// The kernel reported that `pid` renamed itself to `comm` (prctl
    /// PR_SET_NAME, or its own /proc/PID/comm); `cmd` is its command line
    /// read right after, if it could be. The name shows unless the command
    /// line starts with it (setproctitle rewrites both: the command line
    /// says more than 15 bytes of name).
    pub fn renamed(&mut self, at_ms: u64, pid: i32, comm: &str, cmd: Option<String>) {
        let Some(known) = self.processes.get_mut(&pid) else {
            return;
        };
        known.renamed = Some(comm.to_string());
        if let Some(cmd) = cmd {
            known.command_line = cmd;
        }
        known.seen.cmd = called(&known.command_line, known.renamed.as_deref());
        let who = Actor::Process(pid, known.role.clone());
        self.saw_name(pid, comm);
        self.log(at_ms, who, format!("renamed itself: {comm}"));
    }

    /// The kernel reported that `pid` called execve; `cmd` and `comm` are
    /// its command line and name after it, when they could be read.
    pub fn exec(&mut self, at_ms: u64, pid: i32, cmd: Option<(String, String)>) {
        let Some(known) = self.processes.get_mut(&pid) else {
            return;
        };
        known.renamed = None;
        let who = Actor::Process(pid, known.role.clone());
        let what = match cmd {
            Some((cmd, comm)) => {
                known.seen.cmd.clone_from(&cmd);
                known.command_line.clone_from(&cmd);
                self.saw_name(pid, &comm);
                format!("exec: {cmd}")
            }
            None => {
                known.seen.cmd = "(exec'd; gone before its name was read)".into();
                known.command_line.clone_from(&known.seen.cmd);
                "exec (gone before its name was read)".into()
            }
        };
        self.log(at_ms, who, what);
    }

    /// From now on the kernel's signal events are read: senders are seen.
    pub fn set_signals_traced(&mut self) {
        self.signals_traced = true;
    }

    /// Whether the kernel's signal events are read.
    pub fn signals_traced(&self) -> bool {
        self.signals_traced
    }

    /// The kernel saw `pid` receive `signal` (signal_generate); it goes to
    /// the event log: "SIGTERM 4121 (bash) → 4130 worker-2: ignored".
    /// One send to several members of a group is one line: "SIGINT from
    /// the kernel (terminal, inferred) → group 4130 (5 processes): queued".
    pub fn received(&mut self, pid: i32, signal: Received) {
        let Some(known) = self.processes.get_mut(&pid) else {
            return;
        };
        let line = signal.line(pid, &known.role);
        let pgid = known.seen.pgid;
        if known.signals.len() == SIGNALS_KEPT {
            known.signals.pop_front();
        }
        known.signals.push_back(signal.clone());
        let folded = self
            .group_send
            .as_mut()
            .and_then(|send| Some((send.line, send.join(&signal, pgid)?)));
        if let Some((number, text)) = folded
            && let Some(told) = self.timeline.iter_mut().rev().find(|e| e.number == number)
        {
            told.what = text;
            self.revision += 1;
            return;
        }
        self.group_send = Some(GroupSend::start(self.logged, &signal, pgid));
        // The kernel's signal events come after its lifecycle events of
        // the same moments: the line goes before what was logged after the
        // signal was sent, and before what its receiver logged in the same
        // millisecond (the end it caused).
        let at = signal.at_ms.saturating_sub(self.start_ms);
        let later = self
            .timeline
            .iter()
            .rev()
            .take_while(|e| {
                e.at_ms > at
                    || (e.at_ms == at && matches!(&e.who, Actor::Process(p, _) if *p == pid))
            })
            .count();
        self.insert_line(later, signal.at_ms, Actor::Kernel, line, false);
    }

    /// The kernel saw `pid` take `signal` (signal_deliver): whether a
    /// handler ran for the latest one queued.
    pub fn delivered(&mut self, at_ms: u64, pid: i32, signal: i32, handler_ran: bool) {
        let Some(known) = self.processes.get_mut(&pid) else {
            return;
        };
        let Some(taken) = known
            .signals
            .iter_mut()
            .rev()
            .find(|r| r.signal == signal && r.result.queued() && r.handled.is_none())
        else {
            return;
        };
        taken.handled = Some(handler_ran);
        if handler_ran {
            let line = format!(
                "{} {} → {pid} {}: {}",
                signal_name(signal),
                taken.sender(),
                known.role,
                taken.fate()
            );
            self.log(at_ms, Actor::Kernel, line);
        }
    }

    /// The kernel reported that `pid` called setsid at `at_ms`: it leads a
    /// session and a process group of its own.
    pub fn setsid(&mut self, at_ms: u64, pid: i32) {
        let Some(known) = self.processes.get_mut(&pid) else {
            return;
        };
        if known.seen.pgid == pid && known.seen.sid == pid {
            return;
        }
        let note = format!(
            "setsid: left process group {} for a session and group of its own",
            known.seen.pgid
        );
        known.seen.pgid = pid;
        known.seen.sid = pid;
        let who = Actor::Process(pid, known.role.clone());
        self.log(at_ms, who, note);
    }

    /// The pool reported that `pid` entered `phase`.
    pub fn phase(&mut self, at_ms: u64, pid: i32, phase: Phase) {
        if let Some(known) = self.processes.get_mut(&pid)
            && known.phase() != Some(phase)
        {
            if known.phases.len() == PHASES_KEPT {
                known.phases.pop_front();
            }
            // The whole ring at the first phase: memory does not grow while
            // it fills (a busy worker's takes minutes), nor copy as it grows.
            known.phases.reserve_exact(PHASES_KEPT - known.phases.len());
            known.phases.push_back((at_ms, phase));
            let who = Actor::Process(pid, known.role.clone());
            // Task progress is routine; draining, cleaning up and exiting
            // answer a stop.
            let routine = matches!(phase, Phase::Idle | Phase::Busy(_));
            self.push_line(at_ms, who, phase.label(), routine);
        }
    }

    /// Gives `pid` a role learned after it was first seen (a pool report).
    pub fn set_role(&mut self, pid: i32, role: String) {
        if let Some(known) = self.processes.get_mut(&pid) {
            known.role = role;
        }
    }

    /// Records that `pid` polls the stop event (a pool process whose role
    /// does).
    pub fn set_polls_stop_event(&mut self, pid: i32) {
        if let Some(known) = self.processes.get_mut(&pid) {
            known.polls_stop_event = true;
        }
    }

    /// `pid` was seen catching `caught` (its SigCgt).
    pub fn saw_caught(&mut self, pid: i32, caught: SigSet) {
        if let Some(known) = self.processes.get_mut(&pid) {
            known.caught = Some(caught);
        }
    }

    /// sigtree did `act`: kept as data, for the causes of what ends after
    /// it. (The words for the timeline are the caller's.)
    pub fn acted(&mut self, act: Act) {
        if self.acts.len() == ACTS_KEPT {
            self.acts.pop_front();
        }
        self.acts.push_back(act);
    }

    /// When the stop's runtime would have called the stop done while
    /// processes still lived: milliseconds after the stop request.
    pub fn runtime_done_with_survivors_at(&self) -> Option<i64> {
        self.acts
            .iter()
            .find(|act| act.by == By::Stop(StopStep::RuntimeDone))
            .and_then(|act| self.since_stop(act.at_ms))
    }

    /// Whether sigtree sent `signal` to `pid` (its latest process) and it
    /// reached it.
    pub fn was_sent(&self, pid: i32, signal: Signal) -> bool {
        self.processes.get(&pid).is_some_and(|process| {
            self.acts
                .iter()
                .any(|act| act.deed == cause::Deed::Signal(signal) && act.reaches(process))
        })
    }

    /// Why `process` ended (SPEC's decision table), from what sigtree did
    /// and what procfs showed.
    pub fn cause(&self, process: &Observed) -> Cause {
        cause::decide(self.outcome(process), process, &self.acts)
    }

    /// Marks `pid` as outside the attached subtree: shown, never stopped,
    /// never judged.
    pub fn set_outside(&mut self, pid: i32) {
        if let Some(known) = self.processes.get_mut(&pid) {
            known.outside = true;
        }
    }

    /// `pid` was seen to end at `at_ms` (its pidfd became readable).
    pub fn ended(&mut self, at_ms: u64, pid: i32) {
        if let Some(known) = self.processes.get_mut(&pid) {
            known.saw_end(at_ms);
        }
    }

    /// `pid` was found reaped at `at_ms` (gone from /proc) by a parent
    /// sigtree does not hear from.
    pub fn reaped(&mut self, at_ms: u64, pid: i32) {
        if let Some(known) = self.processes.get_mut(&pid) {
            known.saw_end(at_ms);
            known.reaped_at.get_or_insert(at_ms);
        }
    }

    /// `pid`'s ending became known from `source`; a better source replaces
    /// a worse one. `reaped_at` is when it was reaped, if the source says.
    pub fn ending(&mut self, at_ms: u64, pid: i32, ending: Ending, source: Source) {
        let Some(known) = self.processes.get_mut(&pid) else {
            return;
        };
        known.saw_end(at_ms);
        // Learned late, but timed by its source: it ended before the request.
        if self.stop_at.is_some_and(|stop| at_ms < stop) {
            known.before_stop = true;
        }
        // PIDFD_INFO_EXIT exists only once it was reaped, by whomever.
        if matches!(source, Source::Waited | Source::Reported | Source::Pidfd) {
            known.reaped_at.get_or_insert(at_ms);
        }
        if known.ending.is_some_and(|(_, old)| old <= source) {
            return;
        }
        let first = known.ending.is_none();
        known.ending = Some((ending, source));
        if first {
            let who = Actor::Process(pid, known.role.clone());
            let what = wording::ending(self, &self.processes[&pid]);
            self.log(at_ms, who, what);
        }
    }

    /// The user asked for the stop at `at_ms`, with `what` as the words.
    pub fn stop_requested(&mut self, at_ms: u64, what: impl Into<String>) {
        if self.stop_at.is_none() {
            self.stop_at = Some(at_ms);
            // What had ended by now ended before the request, whatever the
            // millisecond sigtree noticed it in.
            for process in self.processes.values_mut().chain(self.retired.iter_mut()) {
                process.before_stop = process.has_ended();
            }
        }
        self.log(at_ms, Actor::You, what);
    }

    /// sigtree escalated to SIGKILL at `at_ms`.
    pub fn escalated(&mut self, at_ms: u64, what: impl Into<String>) {
        self.escalated_at.get_or_insert(at_ms);
        self.log(at_ms, Actor::Sigtree, what);
    }

    /// `pid` outlived the group's SIGKILL and was killed through its pidfd.
    pub fn leaked(&mut self, at_ms: u64, pid: i32) {
        if let Some(known) = self.processes.get_mut(&pid) {
            known.leaked = true;
            let what = format!(
                "SIGKILL by pidfd to {pid} ({}): it left the group",
                known.role
            );
            self.log(at_ms, Actor::Sigtree, what);
        }
    }

    /// The latest process observed under each pid.
    pub fn processes(&self) -> &BTreeMap<i32, Observed> {
        &self.processes
    }

    /// Every process observed in the run, a pid reused inside it included
    /// (once per process: pid and start time), oldest first for a pid.
    pub fn every_process(&self) -> impl Iterator<Item = &Observed> {
        let mut all: Vec<&Observed> = self.retired.iter().chain(self.processes.values()).collect();
        all.sort_by_key(|p| (p.seen.pid, p.seen.start_time_ms));
        all.into_iter()
    }

    /// The latest lines of the timeline, oldest first.
    pub fn timeline(&self) -> &VecDeque<Event> {
        &self.timeline
    }

    /// How many lines were ever added.
    pub fn logged(&self) -> u64 {
        self.logged
    }

    /// Changes whenever the timeline does (a line added, or told again).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Pids of processes not known to have ended.
    pub fn alive(&self) -> Vec<i32> {
        self.processes
            .values()
            .filter(|p| !p.has_ended())
            .map(|p| p.seen.pid)
            .collect()
    }

    /// Pids of the processes a stop acts on and the verdict judges (every
    /// one but those [`Observed::outside`]) not known to have ended.
    pub fn judged_alive(&self) -> Vec<i32> {
        self.processes
            .values()
            .filter(|p| !p.outside && !p.has_ended())
            .map(|p| p.seen.pid)
            .collect()
    }

    /// Every process the verdict judges: all but those outside the
    /// attached subtree.
    fn judged(&self) -> impl Iterator<Item = &Observed> {
        self.every_process().filter(|p| !p.outside)
    }

    /// When the stop was requested.
    pub fn stop_at(&self) -> Option<u64> {
        self.stop_at
    }

    /// Whether escalation was needed.
    pub fn escalated_at(&self) -> Option<u64> {
        self.escalated_at
    }

    /// The outcome of `process` (README, "sigtree check": outcomes and verdict).
    pub fn outcome(&self, process: &Observed) -> Outcome {
        if process.leaked {
            return Outcome::Leaked;
        }
        match process.ending {
            Some((Ending::Signaled(libc::SIGKILL), _))
                if self
                    .escalated_at
                    .is_some_and(|e| process.ended_at.is_none_or(|end| end >= e)) =>
            {
                Outcome::Killed
            }
            Some((Ending::Signaled(_), _)) => Outcome::Signaled,
            Some((Ending::Exited(_), _)) => Outcome::Exited,
            None => Outcome::Unknown,
        }
    }

    /// Whether `process` had ended when the stop was requested.
    pub fn before_stop(&self, process: &Observed) -> bool {
        process.before_stop
    }

    /// The verdict, judged on what ended from the stop request on; first
    /// match wins: leaked, forced, terminated, unclean, graceful. Attached,
    /// only the attached subtree is judged. A process that ended before the
    /// request counts only when `strict`, and then only if it did not exit 0.
    pub fn verdict(&self, strict: bool) -> Verdict {
        let counts = |p: &&Observed| {
            !self.before_stop(p) || (strict && !matches!(p.ending, Some((Ending::Exited(0), _))))
        };
        let outcomes: Vec<(Outcome, Option<Ending>)> = self
            .judged()
            .filter(counts)
            .map(|p| (self.outcome(p), p.ending.map(|(e, _)| e)))
            .collect();
        if outcomes.iter().any(|(o, _)| *o == Outcome::Leaked) {
            Verdict::Leaked
        } else if self.escalated_at.is_some() {
            Verdict::Forced
        } else if outcomes.iter().any(|(o, _)| *o == Outcome::Signaled) {
            Verdict::Terminated
        } else if outcomes.iter().any(|(o, e)| {
            *o == Outcome::Unknown || matches!(e, Some(Ending::Exited(code)) if *code != 0)
        }) {
            Verdict::Unclean
        } else {
            Verdict::Graceful
        }
    }

    /// Milliseconds from the stop request to `at_ms` (negative before it).
    pub fn since_stop(&self, at_ms: u64) -> Option<i64> {
        let stop = self.stop_at?;
        Some(at_ms as i64 - stop as i64)
    }

    /// Milliseconds from the stop request to the last process's end.
    pub fn time_to_exit_ms(&self) -> Option<u64> {
        let stop = self.stop_at?;
        let last = self.judged().filter_map(|p| p.ended_at).max()?;
        Some(last.saturating_sub(stop))
    }
}

/// A signal number's name, or the number for one outside 1..=64.
pub fn signal_name(number: i32) -> String {
    Signal::new(number).map_or_else(|| format!("signal {number}"), |s| s.name().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(pid: i32, ppid: i32, pgid: i32) -> Sighting {
        Sighting {
            pid,
            start_time_ms: 100,
            ppid,
            pgid,
            sid: 1,
            cmd: format!("p{pid}"),
            zombie: false,
        }
    }

    /// A pool: master 10 (group 10) under keeper 5, workers 11 and 12.
    fn pool() -> Watch {
        let mut watch = Watch::new(1000);
        watch.set_group(10);
        watch.observe(1001, seen(10, 5, 10), || "master".into());
        watch.observe(1002, seen(11, 10, 10), || "worker-1".into());
        watch.observe(1002, seen(12, 10, 10), || "worker-2".into());
        watch
    }

    fn outcomes(watch: &Watch) -> Vec<Outcome> {
        watch
            .processes()
            .values()
            .map(|p| watch.outcome(p))
            .collect()
    }

    #[test]
    fn ctrl_c_to_the_pools_group_is_one_line_and_each_member_keeps_its_signal() {
        use crate::watch::signals::{Delivery, From, Inferred, SiCode};
        let mut watch = pool();
        let ctrl_c = Received {
            at_ms: 3000,
            signal: libc::SIGINT,
            from: From::Kernel,
            from_pid: 77,
            from_comm: "kworker/u8:3".into(),
            code: SiCode::Kernel,
            result: Delivery::Queued,
            handled: None,
            inferred: Some(Inferred::Terminal),
        };
        let revision = watch.revision();
        for pid in [10, 11, 12] {
            watch.received(pid, ctrl_c.clone());
        }
        let lines: Vec<&str> = watch.timeline().iter().map(|e| e.what.as_str()).collect();
        let told = "SIGINT from the kernel (terminal, inferred) → group 10 (3 processes): queued";
        assert_eq!(lines.iter().filter(|l| l.starts_with("SIGINT")).count(), 1);
        assert_eq!(lines.last(), Some(&told));
        assert_eq!(watch.revision(), revision + 3, "each change is news");
        for pid in [10, 11, 12] {
            assert_eq!(watch.processes()[&pid].signals.len(), 1);
        }
        // A handler's run is said per member; the next send is a line of
        // its own.
        watch.delivered(3001, 11, libc::SIGINT, true);
        watch.received(
            12,
            Received {
                at_ms: 3500,
                ..ctrl_c.clone()
            },
        );
        let last = &watch.timeline()[watch.timeline().len() - 1].what;
        assert_eq!(
            last,
            "SIGINT from the kernel (terminal, inferred) → 12 worker-2: queued"
        );
        // Its end, learned first (the lifecycle event comes before the
        // trace's), is told after the signal that caused it.
        watch.ending(4000, 11, Ending::Signaled(libc::SIGTERM), Source::Event);
        let term = Received {
            at_ms: 4000,
            signal: libc::SIGTERM,
            ..ctrl_c
        };
        watch.received(11, term);
        let last_two: Vec<&str> = watch
            .timeline()
            .iter()
            .rev()
            .take(2)
            .map(|e| e.what.as_str())
            .collect();
        assert!(last_two[0].starts_with("died of SIGTERM"), "{last_two:?}");
        assert!(
            last_two[1].starts_with("SIGTERM from the kernel"),
            "{last_two:?}"
        );
    }

    #[test]
    fn everyone_exiting_zero_is_graceful() {
        let mut watch = pool();
        watch.stop_requested(2000, "set the stop event");
        watch.ending(2300, 11, Ending::Exited(0), Source::Reported);
        watch.ending(2400, 12, Ending::Exited(0), Source::Pidfd);
        assert_eq!(watch.alive(), [10]);
        watch.ending(2500, 10, Ending::Exited(0), Source::Waited);
        assert!(watch.alive().is_empty());
        assert_eq!(watch.verdict(false), Verdict::Graceful);
        assert_eq!(watch.time_to_exit_ms(), Some(500));
        assert_eq!(watch.since_stop(1900), Some(-100));
        assert_eq!(
            watch.timeline()[0].at_ms,
            1,
            "times are relative to the start"
        );
    }

    #[test]
    fn precedence_leaked_forced_terminated_unclean() {
        let mut watch = pool();
        watch.stop_requested(2000, "SIGTERM to the group");
        watch.ending(2001, 10, Ending::Signaled(libc::SIGTERM), Source::Waited);
        watch.ending(2002, 11, Ending::Exited(1), Source::Reported);
        watch.ending(2003, 12, Ending::Exited(0), Source::Reported);
        assert_eq!(watch.verdict(false), Verdict::Terminated);

        let mut unclean = pool();
        unclean.ending(2002, 11, Ending::Exited(1), Source::Reported);
        unclean.ending(2003, 12, Ending::Exited(0), Source::Reported);
        unclean.ending(2003, 10, Ending::Exited(0), Source::Reported);
        assert_eq!(unclean.verdict(false), Verdict::Unclean);

        watch.escalated(7000, "SIGKILL to the group");
        assert_eq!(watch.verdict(false), Verdict::Forced);
        watch.leaked(7100, 12);
        assert_eq!(watch.verdict(false), Verdict::Leaked);
        assert_eq!(watch.outcome(&watch.processes()[&12]), Outcome::Leaked);
    }

    #[test]
    fn sigkill_counts_as_killed_only_after_escalation() {
        let mut action = pool();
        action.stop_requested(2000, "SIGKILL to the group");
        for pid in [10, 11, 12] {
            action.ending(2001, pid, Ending::Signaled(libc::SIGKILL), Source::Waited);
        }
        assert_eq!(outcomes(&action), [Outcome::Signaled; 3]);
        assert_eq!(action.verdict(false), Verdict::Terminated);

        let mut escalation = pool();
        escalation.stop_requested(2000, "SIGTERM to the master");
        escalation.ending(2001, 10, Ending::Signaled(libc::SIGTERM), Source::Waited);
        escalation.escalated(7000, "SIGKILL to the group");
        escalation.ending(7001, 11, Ending::Signaled(libc::SIGKILL), Source::Waited);
        escalation.ending(7001, 12, Ending::Signaled(libc::SIGKILL), Source::Pidfd);
        assert_eq!(
            outcomes(&escalation),
            [Outcome::Signaled, Outcome::Killed, Outcome::Killed]
        );
        assert_eq!(escalation.verdict(false), Verdict::Forced);
    }

    #[test]
    fn attached_a_group_member_outside_the_subtree_is_shown_but_never_judged() {
        let mut watch = Watch::new(1000);
        watch.set_group(10);
        watch.observe(1001, seen(10, 5, 10), || "group-member".into());
        watch.set_outside(10);
        watch.observe(1001, seen(11, 10, 10), || "attached".into());
        watch.stop_requested(2000, "SIGTERM to the attached process (11)");
        assert_eq!(watch.judged_alive(), [11]);
        watch.ending(2100, 11, Ending::Exited(0), Source::Pidfd);
        assert!(watch.judged_alive().is_empty());
        assert_eq!(watch.alive(), [10], "still shown alive");
        assert_eq!(watch.verdict(false), Verdict::Graceful);
        watch.ending(2900, 10, Ending::Signaled(libc::SIGKILL), Source::Pidfd);
        assert_eq!(
            watch.verdict(false),
            Verdict::Graceful,
            "its end is not judged"
        );
        assert_eq!(watch.time_to_exit_ms(), Some(100));
    }

    #[test]
    fn a_process_that_disappeared_without_status_is_unknown() {
        let mut watch = pool();
        watch.ending(2000, 10, Ending::Exited(0), Source::Waited);
        watch.ending(2000, 11, Ending::Exited(0), Source::Waited);
        watch.ended(2000, 12);
        assert!(watch.alive().is_empty(), "an ended process is not alive");
        assert_eq!(watch.outcome(&watch.processes()[&12]), Outcome::Unknown);
        assert_eq!(watch.verdict(false), Verdict::Unclean);
    }

    #[test]
    fn the_timeline_and_phase_histories_are_rings() {
        let mut watch = pool();
        watch.phase(1999, 11, Phase::Idle);
        let room = watch.processes()[&11].phases.capacity();
        assert!(room >= PHASES_KEPT, "the ring's room is taken at once");
        for task in 0..(PHASES_KEPT as u32 + 10) {
            watch.phase(2000 + u64::from(task), 11, Phase::Busy(task));
        }
        let worker = &watch.processes()[&11];
        assert_eq!(worker.phases.len(), PHASES_KEPT);
        assert_eq!(worker.phases.capacity(), room, "and never grows");
        assert_eq!(worker.phase(), Some(Phase::Busy(PHASES_KEPT as u32 + 9)));
        assert_eq!(worker.phases.front().map(|p| p.1), Some(Phase::Busy(10)));
        watch.stop_requested(5000, "SIGTERM to the leader (10)");
        for n in 0..EVENTS_KEPT {
            watch.log(6000, Actor::Sigtree, format!("line {n}"));
        }
        assert_eq!(watch.timeline().len(), EVENTS_KEPT);
        assert_eq!(
            watch.logged(),
            4 + PHASES_KEPT as u64 + 10 + 1 + EVENTS_KEPT as u64
        );
        // The stop request's line was dropped with the oldest; the request
        // itself is kept.
        assert!(watch.timeline().iter().all(|e| e.who != Actor::You));
        assert_eq!(watch.stop_at(), Some(5000));
    }

    #[test]
    fn routine_lines_give_way_first_when_the_timeline_is_full() {
        let mut watch = pool();
        watch.stop_requested(1500, "SIGTERM to worker-1");
        // Task progress far beyond the ring's room: the request stays.
        for task in 0..(2 * EVENTS_KEPT as u32) {
            watch.phase(2000 + u64::from(task), 11, Phase::Busy(task));
        }
        assert_eq!(watch.timeline().len(), EVENTS_KEPT);
        assert!(watch.timeline().iter().any(|e| e.who == Actor::You));
        assert!(watch.timeline().back().is_some_and(|e| e.routine));
    }

    #[test]
    fn what_ended_before_the_stop_counts_only_when_strict() {
        let mut watch = pool();
        // A helper exits 1 at start-up, before the stop request.
        watch.ending(1500, 12, Ending::Exited(1), Source::Waited);
        watch.stop_requested(2000, "SIGTERM");
        watch.ending(2100, 11, Ending::Exited(0), Source::Waited);
        watch.ending(2200, 10, Ending::Exited(0), Source::Waited);
        assert!(watch.before_stop(&watch.processes()[&12]));
        assert!(!watch.before_stop(&watch.processes()[&11]));
        assert_eq!(watch.verdict(false), Verdict::Graceful);
        assert_eq!(watch.verdict(true), Verdict::Unclean);
        // Exit 0 before the stop counts for nothing, strict or not.
        let mut clean = pool();
        clean.ending(1500, 12, Ending::Exited(0), Source::Waited);
        clean.stop_requested(2000, "SIGTERM");
        clean.ending(2100, 11, Ending::Exited(0), Source::Waited);
        clean.ending(2200, 10, Ending::Exited(0), Source::Waited);
        assert_eq!(clean.verdict(true), Verdict::Graceful);
    }

    #[test]
    fn a_pid_reused_inside_the_run_is_two_processes() {
        let mut watch = pool();
        watch.ending(2000, 11, Ending::Signaled(libc::SIGTERM), Source::Waited);
        let newcomer = Sighting {
            start_time_ms: 2500,
            ..seen(11, 1, 11)
        };
        watch.observe(3000, newcomer, || "descendant".into());
        let elevens: Vec<&Observed> = watch.every_process().filter(|p| p.seen.pid == 11).collect();
        assert_eq!(elevens.len(), 2, "never merged");
        assert_eq!(elevens[0].role, "worker-1");
        assert_eq!(
            elevens[0].ending.map(|(e, _)| e),
            Some(Ending::Signaled(libc::SIGTERM))
        );
        assert_eq!(elevens[1].role, "descendant");
        assert!(elevens[1].ending.is_none() && !elevens[1].has_ended());
        assert!(watch.alive().contains(&11));
        assert_eq!(watch.processes()[&11].role, "descendant");
        // The same process seen again is not a third.
        watch.observe(
            3100,
            Sighting {
                start_time_ms: 2500,
                ..seen(11, 1, 11)
            },
            String::new,
        );
        assert_eq!(
            watch.every_process().filter(|p| p.seen.pid == 11).count(),
            2
        );
    }

    #[test]
    fn a_report_about_a_vanished_or_unknown_process_is_ignored() {
        let mut watch = pool();
        watch.phase(3000, 99, Phase::Busy(1));
        watch.ending(3000, 99, Ending::Exited(0), Source::Reported);
        watch.set_role(99, "worker-9".into());
        assert_eq!(watch.processes().len(), 3);
        // A phase report that arrives after the process's end is kept in
        // its history but does not revive it.
        watch.ending(3000, 11, Ending::Exited(0), Source::Reported);
        watch.phase(3001, 11, Phase::Exiting);
        assert!(!watch.alive().contains(&11));
        assert_eq!(watch.processes()[&11].phase(), Some(Phase::Exiting));
    }

    #[test]
    fn a_zombie_seen_by_a_scan_then_a_status_gives_zombie_time() {
        let mut watch = pool();
        watch.observe(
            2000,
            Sighting {
                zombie: true,
                ..seen(11, 10, 10)
            },
            String::new,
        );
        assert!(!watch.alive().contains(&11), "a zombie has ended");
        // The pidfd status arrives later, once the keeper reaped it.
        watch.ending(6000, 11, Ending::Exited(0), Source::Waited);
        let worker = &watch.processes()[&11];
        assert_eq!(worker.zombie_ms(), Some(4000));
        assert_eq!(worker.ended_at, Some(2000));
        assert_eq!(watch.outcome(worker), Outcome::Exited);
        // Re-parented as a zombie (its parent died): not an orphan.
        watch.observe(
            6001,
            Sighting {
                zombie: true,
                ..seen(12, 5, 10)
            },
            String::new,
        );
        assert_eq!(watch.processes()[&12].reparented_to, None);
    }

    #[test]
    fn a_zombie_already_dead_when_first_seen_is_a_zombie_for_at_least() {
        use crate::watch::wording::{notes, zombie_for};
        let mut watch = pool();
        // 21 was a zombie when first seen (attach, or a walk after its
        // death); 22 was seen alive, then a zombie.
        watch.observe(
            2000,
            Sighting {
                zombie: true,
                ..seen(21, 10, 10)
            },
            String::new,
        );
        watch.observe(2000, seen(22, 10, 10), String::new);
        watch.observe(
            3000,
            Sighting {
                zombie: true,
                ..seen(22, 10, 10)
            },
            String::new,
        );
        watch.ending(6000, 21, Ending::Exited(0), Source::Waited);
        watch.ending(6000, 22, Ending::Exited(0), Source::Waited);
        let before = &watch.processes()[&21];
        let seen_dying = &watch.processes()[&22];
        assert_eq!(zombie_for(before, 4000), "zombie ≥ 4.0 s");
        assert!(notes(&watch, before, None).contains(&"zombie ≥ 4.0 s".to_string()));
        assert!(notes(&watch, seen_dying, None).contains(&"zombie for 3.0 s".to_string()));
    }

    #[test]
    fn a_live_process_whose_parent_died_is_orphaned() {
        let mut watch = pool();
        watch.ending(2000, 10, Ending::Signaled(libc::SIGKILL), Source::Waited);
        watch.observe(2010, seen(11, 5, 10), String::new);
        assert_eq!(watch.processes()[&11].reparented_to, Some(5));
        assert!(
            watch
                .timeline()
                .iter()
                .any(|e| e.what.contains("re-parented to 5"))
        );
    }

    #[test]
    fn the_earliest_sighting_of_an_end_is_when_it_ended() {
        let mut watch = pool();
        // The pidfd was seen readable at 2050; the keeper's report, read
        // later, says it reaped the process at 2010.
        watch.ended(2050, 11);
        watch.ending(2010, 11, Ending::Exited(0), Source::Waited);
        assert_eq!(watch.processes()[&11].ended_at, Some(2010));
        watch.ended(2100, 11);
        assert_eq!(watch.processes()[&11].ended_at, Some(2010));
    }

    #[test]
    fn a_better_source_replaces_a_worse_one_never_the_reverse() {
        let mut watch = pool();
        watch.ending(2000, 11, Ending::Exited(0), Source::Reported);
        watch.ending(2001, 11, Ending::Exited(0), Source::Pidfd);
        assert_eq!(
            watch.processes()[&11].ending,
            Some((Ending::Exited(0), Source::Pidfd))
        );
        watch.ending(2002, 11, Ending::Exited(0), Source::Reported);
        assert_eq!(
            watch.processes()[&11].ending,
            Some((Ending::Exited(0), Source::Pidfd))
        );
    }

    #[test]
    fn names_follow_exec_and_renames_and_a_rename_shows_unless_the_command_line_says_more() {
        let mut watch = pool();
        watch.saw_name(11, "sh");
        watch.saw_name(11, "sh");
        watch.exec(1500, 11, Some(("python3 pool.py".into(), "python3".into())));
        assert_eq!(watch.processes()[&11].seen.cmd, "python3 pool.py");
        watch.renamed(1600, 11, "worker-3", Some("python3 pool.py".into()));
        let worker = &watch.processes()[&11];
        assert_eq!(worker.names, ["sh", "python3", "worker-3"]);
        assert_eq!(worker.seen.cmd, "worker-3", "the latest name shows");
        // A walk reads the same command line again: the rename stays.
        let walked = Sighting {
            cmd: "python3 pool.py".into(),
            ..seen(11, 10, 10)
        };
        watch.observe(1700, walked, String::new);
        assert_eq!(watch.processes()[&11].seen.cmd, "worker-3");
        // setproctitle: the command line rewritten, the name its first 15
        // bytes: the command line, which says more, shows.
        watch.renamed(
            1800,
            11,
            "pool: worker 3",
            Some("pool: worker 3 idle".into()),
        );
        assert_eq!(watch.processes()[&11].seen.cmd, "pool: worker 3 idle");
        let retitled = Sighting {
            cmd: "pool: worker 3 busy".into(),
            ..seen(11, 10, 10)
        };
        watch.observe(1860, retitled, String::new);
        assert_eq!(watch.processes()[&11].seen.cmd, "pool: worker 3 busy");
        watch.exec(1900, 11, None);
        assert!(
            watch.processes()[&11]
                .seen
                .cmd
                .contains("gone before its name was read")
        );
        let said: Vec<&str> = watch.timeline().iter().map(|e| e.what.as_str()).collect();
        assert!(said.contains(&"exec: python3 pool.py"), "{said:?}");
        assert!(said.contains(&"renamed itself: worker-3"), "{said:?}");
    }

    #[test]
    fn a_setsid_leaves_the_group_even_when_its_end_is_known_first() {
        let mut watch = pool();
        watch.ending(2000, 11, Ending::Exited(0), Source::Pidfd);
        watch.setsid(1990, 11);
        let worker = &watch.processes()[&11];
        assert_eq!((worker.seen.pgid, worker.seen.sid), (11, 11));
        assert!(watch.escaped_group(worker));
        assert_eq!(worker.ended_at, Some(2000), "its end is not moved");
    }

    #[test]
    fn an_exit_event_is_better_than_a_pidfd_and_worse_than_a_wait() {
        let mut watch = pool();
        watch.ending(2000, 11, Ending::Exited(1), Source::Pidfd);
        watch.ending(1990, 11, Ending::Exited(1), Source::Event);
        assert_eq!(
            watch.processes()[&11].ending,
            Some((Ending::Exited(1), Source::Event))
        );
        assert_eq!(watch.processes()[&11].ended_at, Some(1990));
        assert_eq!(
            watch.processes()[&11].reaped_at,
            Some(2000),
            "PIDFD_INFO_EXIT exists once it was reaped"
        );
        watch.ending(1995, 12, Ending::Exited(0), Source::Event);
        assert_eq!(
            watch.processes()[&12].reaped_at,
            None,
            "an exit is no reaping"
        );
        assert!(watch.processes()[&12].awaiting_reap());
        watch.reaped(2005, 12);
        assert_eq!(watch.processes()[&12].reaped_at, Some(2005));
        assert!(!watch.processes()[&12].awaiting_reap());
        watch.ending(2010, 11, Ending::Exited(1), Source::Waited);
        watch.ending(2020, 11, Ending::Exited(1), Source::Event);
        assert_eq!(
            watch.processes()[&11].ending,
            Some((Ending::Exited(1), Source::Waited))
        );
    }

    #[test]
    fn leaving_the_group_or_being_first_seen_outside_it_is_escaping() {
        let mut watch = pool();
        watch.observe(2000, seen(13, 11, 13), || "grandchild".into());
        assert!(
            watch.escaped_group(&watch.processes()[&13]),
            "setsid before it was seen"
        );
        assert!(!watch.escaped_group(&watch.processes()[&11]));
        watch.observe(2001, seen(11, 10, 11), String::new);
        assert!(
            watch.escaped_group(&watch.processes()[&11]),
            "setpgid while watched"
        );
    }
}
