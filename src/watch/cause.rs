//! Why a process ended, as data: what sigtree did (each [`Act`], with whom
//! it reached) and what procfs showed (the signals a process catches),
//! judged by the spec's decision table ("Outcomes, causes and verdicts").
//! Never a guess from timing: a cause is an act that reached the process
//! before it ended, or it is its own, or unknown.

use serde::{Serialize, Serializer};

use super::model::{Observed, Outcome};
use super::signals::{From, Inferred, Received};
use crate::signal::sigset::Signal;
use crate::sys::wait::Ending;

/// What sigtree did to processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deed {
    /// It set the pool's stop event.
    StopEvent,
    /// It sent this signal.
    Signal(Signal),
}

/// A step of the stop sequence (`g`, `q`, `check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopStep {
    /// The graceful stop's first step: the stop event.
    StopEvent,
    /// The stop's action: its signal to its target (or, for `check
    /// --action stop-event`, the stop event).
    Action,
    /// SIGCONT after the signal: a stopped process cannot act on it.
    Continue,
    /// The grace ran out: SIGKILL to the group (attached: the subtree).
    Escalation,
    /// SIGKILL by pidfd to what outlived the group's SIGKILL.
    Escapees,
    /// Under a runtime's policy, the runtime would call the stop done now:
    /// what still lives is leaked, ended by pidfd.
    RuntimeDone,
    /// PID 1 of the emulated pid namespace is gone: sigtree kills what
    /// still lives, as the kernel's teardown would.
    Teardown,
    /// PID 1 of the run's own pid namespace is gone: the kernel's teardown
    /// killed what lived in it (pid_namespaces(7)); sigtree sent nothing.
    KernelTeardown,
}

/// Which key or stop step did an act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// A key of the TUI (`t`, `T`, `i`, `x`, `X`, `s`, `e`, `q`).
    Key(char),
    /// A step of the stop sequence.
    Stop(StopStep),
}

/// Whom an act reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reached {
    /// Every pool process (the stop event is a shared flag).
    Pool,
    /// These pids: each one signalled through its pidfd, or the group's
    /// members as last seen when the group was signalled.
    Pids(Vec<i32>),
}

/// One thing sigtree did, as the timeline keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Act {
    /// When (CLOCK_MONOTONIC ms), taken before the act: whatever it ends
    /// ends after it.
    pub at_ms: u64,
    /// What.
    pub deed: Deed,
    /// Which key or step.
    pub by: By,
    /// Whom it reached.
    pub reached: Reached,
}

impl Act {
    /// `signal` sent at `at_ms` by `by`, reaching `pids`.
    pub fn signal(at_ms: u64, signal: Signal, by: By, pids: Vec<i32>) -> Self {
        Self {
            at_ms,
            deed: Deed::Signal(signal),
            by,
            reached: Reached::Pids(pids),
        }
    }

    /// Setting the stop event at `at_ms`, by `by`: every pool process that
    /// polls it sees it.
    pub fn stop_event(at_ms: u64, by: By) -> Self {
        Self {
            at_ms,
            deed: Deed::StopEvent,
            by,
            reached: Reached::Pool,
        }
    }

    /// Whether this act reached `process` while it lived: its pid was
    /// reached, after its first sighting (a pid is reused) and no later
    /// than its end.
    pub fn reaches(&self, process: &Observed) -> bool {
        let when = self.at_ms >= process.first_seen_ms
            && process.ended_at.is_none_or(|end| self.at_ms <= end);
        when && match &self.reached {
            Reached::Pool => process.polls_stop_event,
            Reached::Pids(pids) => pids.contains(&process.seen.pid),
        }
    }

    /// Milliseconds from the act to the end of `process`, when known.
    fn before(&self, process: &Observed) -> Option<u64> {
        process.ended_at.map(|end| end.saturating_sub(self.at_ms))
    }
}

/// Why a process ended (SPEC, `cause`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// It exited after the stop event, which it polls.
    StopEvent {
        /// From the stop event to its end.
        after_ms: Option<u64>,
    },
    /// A signal: the one it died of, or one it catches that it exited after.
    Signal {
        /// The signal.
        signal: Signal,
        /// The send by sigtree, and the time from it to the end; `None`
        /// when sigtree did not send it (the sender is unknown: sigtree
        /// reads no kernel events).
        sent: Option<(By, Option<u64>)>,
    },
    /// A signal the kernel saw someone else send it (tracefs): the one it
    /// died of, or one it catches that it exited after.
    SignalFrom {
        /// The signal.
        signal: Signal,
        /// Who sent it, as the kernel said (or inferred).
        sender: Sender,
        /// From the send to its end.
        after_ms: Option<u64>,
    },
    /// sigtree's escalation (SIGKILL to the group once the grace ran
    /// out): what killed it, or, for a leaked process, the step after
    /// which it was found alive.
    Escalation {
        /// From the escalation to its end.
        after_ms: Option<u64>,
    },
    /// It ended by itself: nothing sigtree did that it acts on came first.
    Own,
    /// Killed by its pid namespace's teardown when PID 1 died.
    Teardown {
        /// From the teardown to its end.
        after_ms: Option<u64>,
        /// The kernel's own teardown (a real pid namespace), not sigtree's
        /// emulation of it.
        by_kernel: bool,
    },
    /// Still alive when the runtime would have called the stop done.
    RuntimeDone {
        /// From that moment to its end (by pidfd).
        after_ms: Option<u64>,
    },
    /// Its status is unknown.
    Unknown,
}

/// A signal's sender as the kernel named it (or the spec's rules inferred).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    /// A process, or the kernel.
    pub from: From,
    /// The process (for the kernel, the task it ran in).
    pub pid: i32,
    /// Its name.
    pub comm: String,
    /// An inferred sender.
    pub inferred: Option<Inferred>,
}

impl Sender {
    /// The sender of `received`.
    fn of(received: &Received) -> Self {
        Self {
            from: received.from,
            pid: received.from_pid,
            comm: received.from_comm.clone(),
            inferred: received.inferred,
        }
    }

    /// In words: "4121 (bash)", "the kernel (terminal, inferred)".
    pub fn words(&self) -> String {
        let inferred = Inferred::suffix(self.inferred);
        match self.from {
            From::Kernel => format!("the kernel{inferred}"),
            From::Sigtree | From::Process => format!(
                "{} ({}){inferred}",
                self.pid,
                crate::text::escape_controls(&self.comm)
            ),
        }
    }
}

/// The latest signal `signal` the kernel saw `process` receive and take
/// (queued) before its end, from someone other than sigtree.
fn seen_from_others(process: &Observed, signal: Signal) -> Option<&Received> {
    let latest = process
        .signals
        .iter()
        .rev()
        .filter(|r| r.signal == signal.number() && r.result.queued())
        .find(|r| process.ended_at.is_none_or(|end| r.at_ms <= end))?;
    (latest.from != From::Sigtree).then_some(latest)
}

/// The cause of `process`'s end, whose outcome is `outcome`, given what
/// sigtree did (`acts`, oldest first) and the signals the kernel saw it
/// receive: the latest signal's sender, when it was not sigtree.
pub fn decide<'a>(
    outcome: Outcome,
    process: &Observed,
    acts: impl IntoIterator<Item = &'a Act> + Clone,
) -> Cause {
    let reached = || acts.clone().into_iter().filter(|act| act.reaches(process));
    match outcome {
        Outcome::Signaled => {
            let Some((Ending::Signaled(number), _)) = process.ending else {
                return Cause::Unknown;
            };
            let Some(signal) = Signal::new(number) else {
                return Cause::Unknown;
            };
            let sent = reached()
                .filter(|act| act.deed == Deed::Signal(signal))
                .last();
            let seen = seen_from_others(process, signal);
            match (seen, sent) {
                // The kernel saw another sender after sigtree's send.
                (Some(seen), sent) if sent.is_none_or(|act| act.at_ms <= seen.at_ms) => {
                    Cause::SignalFrom {
                        signal,
                        sender: Sender::of(seen),
                        after_ms: process.ended_at.map(|end| end.saturating_sub(seen.at_ms)),
                    }
                }
                (_, sent) => Cause::Signal {
                    signal,
                    sent: sent.map(|act| (act.by, act.before(process))),
                },
            }
        }
        Outcome::Exited => {
            let catches = |signal: Signal| process.caught.is_some_and(|set| set.contains(signal));
            let latest = reached()
                .filter(|act| match act.deed {
                    Deed::StopEvent => true,
                    Deed::Signal(signal) => catches(signal),
                })
                .last();
            match latest {
                None => Cause::Own,
                Some(act) => match act.deed {
                    Deed::StopEvent => Cause::StopEvent {
                        after_ms: act.before(process),
                    },
                    Deed::Signal(signal) => Cause::Signal {
                        signal,
                        sent: Some((act.by, act.before(process))),
                    },
                },
            }
        }
        Outcome::Killed | Outcome::Leaked => {
            let ending_steps = [
                By::Stop(StopStep::Escalation),
                By::Stop(StopStep::Teardown),
                By::Stop(StopStep::KernelTeardown),
                By::Stop(StopStep::RuntimeDone),
            ];
            let step = acts
                .into_iter()
                .filter(|act| ending_steps.contains(&act.by))
                // The teardown kills only what it reached; an escalation or
                // the runtime's end counts for whatever was alive after it.
                .filter(|act| !is_teardown(act.by) || act.reaches(process))
                .filter(|act| process.ended_at.is_none_or(|end| act.at_ms <= end))
                .last();
            let after_ms = step.and_then(|act| act.before(process));
            match step.map(|act| act.by) {
                Some(By::Stop(StopStep::Teardown)) => Cause::Teardown {
                    after_ms,
                    by_kernel: false,
                },
                // When the kernel tore the namespace down is not observed:
                // only that it did, as PID 1 ended.
                Some(By::Stop(StopStep::KernelTeardown)) => Cause::Teardown {
                    after_ms: None,
                    by_kernel: true,
                },
                Some(By::Stop(StopStep::RuntimeDone)) => Cause::RuntimeDone { after_ms },
                _ => Cause::Escalation { after_ms },
            }
        }
        Outcome::Unknown => Cause::Unknown,
    }
}

/// Whether `by` is a pid namespace's teardown, the kernel's or emulated.
fn is_teardown(by: By) -> bool {
    matches!(by, By::Stop(StopStep::Teardown | StopStep::KernelTeardown))
}

/// The cause as `check --json` shows it (SPEC, "JSON": `cause`).
#[derive(Serialize)]
struct CauseJson {
    kind: &'static str,
    signal: Option<&'static str>,
    from: Option<&'static str>,
    /// The sender's pid and command, and an inferred sender, as the
    /// kernel's signal events told them.
    from_pid: Option<i32>,
    from_comm: Option<String>,
    inferred: Option<Inferred>,
    after_ms: Option<u64>,
}

impl Serialize for Cause {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Self::SignalFrom {
            signal,
            sender,
            after_ms,
        } = self
        {
            return CauseJson {
                kind: "signal",
                signal: Some(signal.name()),
                from: Some(match sender.from {
                    From::Kernel => "kernel",
                    From::Sigtree | From::Process => "process",
                }),
                from_pid: Some(sender.pid),
                from_comm: Some(sender.comm.clone()),
                inferred: sender.inferred,
                after_ms: *after_ms,
            }
            .serialize(serializer);
        }
        let (kind, signal, from, after_ms) = match *self {
            Self::StopEvent { after_ms } => ("stop_event", None, Some("sigtree"), after_ms),
            Self::Signal { signal, sent } => (
                "signal",
                Some(signal.name()),
                Some(if sent.is_some() { "sigtree" } else { "unknown" }),
                sent.and_then(|(_, after)| after),
            ),
            Self::Escalation { after_ms } => (
                "escalation",
                Some(Signal::KILL.name()),
                Some("sigtree"),
                after_ms,
            ),
            Self::Teardown {
                after_ms,
                by_kernel,
            } => (
                "namespace_teardown",
                Some(Signal::KILL.name()),
                Some(if by_kernel { "kernel" } else { "sigtree" }),
                after_ms,
            ),
            Self::RuntimeDone { after_ms } => ("runtime_done", None, None, after_ms),
            Self::Own => ("own", None, None, None),
            Self::Unknown | Self::SignalFrom { .. } => ("unknown", None, None, None),
        };
        CauseJson {
            kind,
            signal,
            from,
            from_pid: None,
            from_comm: None,
            inferred: None,
            after_ms,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::sigset::SigSet;
    use crate::watch::model::{Sighting, Source, Watch};

    fn seen(pid: i32, pgid: i32) -> Sighting {
        Sighting {
            pid,
            start_time_ms: 100,
            ppid: 10,
            pgid,
            sid: 1,
            cmd: format!("p{pid}"),
            zombie: false,
        }
    }

    /// A pool at 1000: master 10 (group 10); workers 11 and 12, which poll
    /// the stop event and ignore SIGTERM (they catch nothing); worker 13,
    /// which catches SIGTERM; grandchild 14 in a session of its own.
    fn pool() -> Watch {
        let mut watch = Watch::new(1000);
        watch.set_group(10);
        watch.observe(1001, seen(10, 10), || "master".into());
        for (pid, role) in [(11, "worker-1"), (12, "worker-2"), (13, "worker-3")] {
            watch.observe(1002, seen(pid, 10), || role.into());
            watch.set_polls_stop_event(pid);
            watch.saw_caught(pid, SigSet::empty());
        }
        watch.saw_caught(13, SigSet::empty().with(Signal::TERM));
        watch.observe(1003, seen(14, 14), || "grandchild".into());
        watch.set_polls_stop_event(14);
        watch
    }

    fn signal(at_ms: u64, signal: Signal, by: By, pids: &[i32]) -> Act {
        Act::signal(at_ms, signal, by, pids.to_vec())
    }

    fn cause_of(watch: &Watch, pid: i32) -> Cause {
        watch.cause(&watch.processes()[&pid])
    }

    const GROUP: [i32; 4] = [10, 11, 12, 13];

    #[test]
    fn an_exit_after_sigterm_it_ignores_and_the_stop_event_is_the_stop_events() {
        // The ignore-term case: T, then e 7.4 s later; the workers
        // leave 0.4 s after the stop event, 7.8 s after SIGTERM.
        let mut watch = pool();
        watch.acted(signal(2000, Signal::TERM, By::Key('T'), &GROUP));
        watch.ending(2001, 10, Ending::Signaled(libc::SIGTERM), Source::Waited);
        watch.acted(Act::stop_event(9400, By::Key('e')));
        watch.ending(9800, 11, Ending::Exited(0), Source::Waited);
        watch.ending(9800, 13, Ending::Exited(0), Source::Waited);
        assert_eq!(
            cause_of(&watch, 11),
            Cause::StopEvent {
                after_ms: Some(400)
            }
        );
        assert_eq!(
            cause_of(&watch, 10),
            Cause::Signal {
                signal: Signal::TERM,
                sent: Some((By::Key('T'), Some(1)))
            }
        );
        // Worker 3 catches SIGTERM, but the stop event came later.
        assert_eq!(
            cause_of(&watch, 13),
            Cause::StopEvent {
                after_ms: Some(400)
            }
        );
        // The event log says it in the same words as the ghost row.
        let said: Vec<&str> = watch
            .timeline()
            .iter()
            .filter(|e| e.at_ms >= 1001)
            .map(|e| e.what.as_str())
            .collect();
        assert!(
            said.contains(&"exit 0, 0.4 s after the stop event"),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|s| s.starts_with("died of SIGTERM sent by sigtree (T)")),
            "{said:?}"
        );
    }

    #[test]
    fn an_exit_after_a_signal_it_catches_is_that_signals() {
        let mut watch = pool();
        watch.acted(Act::stop_event(2000, By::Stop(StopStep::StopEvent)));
        watch.acted(signal(
            4500,
            Signal::TERM,
            By::Stop(StopStep::Action),
            &GROUP,
        ));
        watch.ending(4700, 13, Ending::Exited(0), Source::Waited);
        assert_eq!(
            cause_of(&watch, 13),
            Cause::Signal {
                signal: Signal::TERM,
                sent: Some((By::Stop(StopStep::Action), Some(200)))
            }
        );
        // Worker 1 ignores it: the stop event it polls is its cause.
        watch.ending(4700, 11, Ending::Exited(0), Source::Waited);
        assert_eq!(
            cause_of(&watch, 11),
            Cause::StopEvent {
                after_ms: Some(2700)
            }
        );
    }

    #[test]
    fn what_does_not_poll_the_stop_event_and_was_sent_nothing_it_catches_ends_by_itself() {
        let mut watch = pool();
        watch.acted(Act::stop_event(2000, By::Key('e')));
        watch.acted(signal(2100, Signal::TERM, By::Key('t'), &[10]));
        // The master polls nothing; its SigCgt was never read.
        watch.ending(2500, 10, Ending::Exited(0), Source::Waited);
        assert_eq!(cause_of(&watch, 10), Cause::Own);
        // An act after its end is no cause; nor one before it was seen.
        let mut late = pool();
        late.ending(1500, 11, Ending::Exited(0), Source::Waited);
        late.acted(Act::stop_event(2000, By::Key('e')));
        assert_eq!(cause_of(&late, 11), Cause::Own);
        let mut early = Watch::new(0);
        early.acted(signal(10, Signal::TERM, By::Key('t'), &[20]));
        early.observe(50, seen(20, 10), || "child".into());
        early.saw_caught(20, SigSet::empty().with(Signal::TERM));
        early.ending(60, 20, Ending::Exited(0), Source::Waited);
        assert_eq!(cause_of(&early, 20), Cause::Own, "the pid's former owner");
    }

    #[test]
    fn a_signal_sigtree_never_sent_it_has_an_unknown_sender() {
        // The setsid-escape case: X reaches the group only; the
        // grandchild, in a group of its own, later dies of SIGKILL from
        // elsewhere.
        let mut watch = pool();
        watch.acted(signal(2000, Signal::KILL, By::Key('X'), &GROUP));
        watch.ending(2001, 11, Ending::Signaled(libc::SIGKILL), Source::Waited);
        watch.ending(3000, 14, Ending::Signaled(libc::SIGKILL), Source::Waited);
        assert_eq!(
            cause_of(&watch, 11),
            Cause::Signal {
                signal: Signal::KILL,
                sent: Some((By::Key('X'), Some(1)))
            }
        );
        assert_eq!(
            cause_of(&watch, 14),
            Cause::Signal {
                signal: Signal::KILL,
                sent: None
            }
        );
        // Another signal than the one it died of is no cause.
        watch.acted(signal(3100, Signal::TERM, By::Key('t'), &[12]));
        watch.ending(3200, 12, Ending::Signaled(libc::SIGINT), Source::Waited);
        assert_eq!(
            cause_of(&watch, 12),
            Cause::Signal {
                signal: Signal::INT,
                sent: None
            }
        );
    }

    #[test]
    fn the_stop_event_after_sigkill_to_the_group_ends_the_escapee() {
        let mut watch = pool();
        watch.acted(signal(2000, Signal::KILL, By::Key('X'), &GROUP));
        watch.acted(Act::stop_event(6400, By::Key('e')));
        watch.ending(6500, 14, Ending::Exited(0), Source::Waited);
        assert_eq!(
            cause_of(&watch, 14),
            Cause::StopEvent {
                after_ms: Some(100)
            }
        );
    }

    #[test]
    fn killed_and_leaked_name_the_escalation() {
        let mut watch = pool();
        watch.stop_requested(2000, "SIGTERM to the leader (10)");
        watch.acted(signal(
            2000,
            Signal::TERM,
            By::Stop(StopStep::Action),
            &[10],
        ));
        watch.escalated(7000, "grace period over: SIGKILL to process group 10");
        watch.acted(signal(
            7000,
            Signal::KILL,
            By::Stop(StopStep::Escalation),
            &[11, 12, 13],
        ));
        watch.ending(7003, 11, Ending::Signaled(libc::SIGKILL), Source::Waited);
        assert_eq!(
            cause_of(&watch, 11),
            Cause::Escalation { after_ms: Some(3) }
        );
        watch.leaked(9000, 14);
        watch.acted(signal(
            9000,
            Signal::KILL,
            By::Stop(StopStep::Escapees),
            &[14],
        ));
        watch.ending(9001, 14, Ending::Signaled(libc::SIGKILL), Source::Waited);
        assert_eq!(
            cause_of(&watch, 14),
            Cause::Escalation {
                after_ms: Some(2001)
            }
        );
    }

    #[test]
    fn an_end_without_status_has_an_unknown_cause() {
        let mut watch = pool();
        watch.acted(Act::stop_event(2000, By::Key('e')));
        watch.ended(2100, 11);
        assert_eq!(cause_of(&watch, 11), Cause::Unknown);
    }

    #[test]
    fn the_json_has_the_specs_keys() {
        let json = |cause: Cause| serde_json::to_value(cause).expect("serializes");
        let signal = json(Cause::Signal {
            signal: Signal::TERM,
            sent: Some((By::Key('T'), Some(4))),
        });
        assert_eq!(
            signal,
            serde_json::json!({
                "kind": "signal", "signal": "SIGTERM", "from": "sigtree",
                "from_pid": null, "from_comm": null, "inferred": null, "after_ms": 4
            })
        );
        let unseen = json(Cause::Signal {
            signal: Signal::TERM,
            sent: None,
        });
        assert_eq!(
            (&unseen["from"], &unseen["after_ms"]),
            (&serde_json::json!("unknown"), &serde_json::Value::Null)
        );
        let kinds: Vec<serde_json::Value> = [
            Cause::StopEvent { after_ms: None },
            Cause::Escalation { after_ms: None },
            Cause::Own,
            Cause::Unknown,
        ]
        .into_iter()
        .map(|cause| json(cause)["kind"].clone())
        .collect();
        assert_eq!(
            kinds,
            ["stop_event", "escalation", "own", "unknown"].map(serde_json::Value::from)
        );
    }
}
