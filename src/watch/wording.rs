//! Every outcome and cause in words, once: the TUI's ghost rows, the event
//! log and `sigtree check` all say how a process ended with these.

use super::cause::{By, Cause, StopStep};
use super::model::{Observed, Outcome, Watch};
use crate::sys::wait::Ending;
use crate::watch::vocabulary::Phase;

/// A duration as the screen and reports show it: "12 ms", "0.4 s", "7.8 s".
pub fn duration(ms: u64) -> String {
    if ms < 100 {
        format!("{ms} ms")
    } else {
        format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
    }
}

/// Which key or stop step did something, as the cause names it: the key
/// itself ("T"), or the step ("escalation").
pub fn by(by: By) -> String {
    match by {
        By::Key(key) => key.to_string(),
        By::Stop(StopStep::StopEvent) => "the graceful stop".into(),
        By::Stop(StopStep::Action) => "the stop's signal".into(),
        By::Stop(StopStep::Continue) => "the stop's SIGCONT".into(),
        By::Stop(StopStep::Escalation) => "escalation".into(),
        By::Stop(StopStep::Escapees) => "escalation, by pidfd".into(),
        By::Stop(StopStep::RuntimeDone) => "the runtime's end of the stop, by pidfd".into(),
        By::Stop(StopStep::Teardown) => "the pid namespace's teardown (emulated)".into(),
        By::Stop(StopStep::KernelTeardown) => "the kernel's pid namespace teardown".into(),
    }
}

/// ", 3 ms after it was sent", or nothing when the time is not known.
fn since_sent(ms: Option<u64>) -> String {
    ms.map_or_else(String::new, |ms| {
        format!(", {} after it was sent", duration(ms))
    })
}

/// ", 0.4 s after WHAT", or ", after WHAT" when the time is not known.
fn after(ms: Option<u64>, what: &str) -> String {
    match ms {
        Some(ms) => format!(", {} after {what}", duration(ms)),
        None => format!(", after {what}"),
    }
}

/// How `process` ended and why: "exit 0, 0.4 s after the stop event",
/// "died of SIGTERM (not sent by sigtree; run with kernel events to see
/// the sender)", "SIGKILL by escalation, 3 ms after it was sent".
pub fn ending(watch: &Watch, process: &Observed) -> String {
    let outcome = watch.outcome(process);
    let how = if process.seen.sid == process.seen.pid {
        "left the group with setsid"
    } else {
        "left the group"
    };
    let left = (outcome == Outcome::Leaked && watch.escaped_group(process)).then_some(how);
    let ended = Ended {
        pid: process.seen.pid,
        outcome,
        status: process.ending,
        phase: process.phase(),
        left,
        traced: watch.signals_traced(),
    };
    describe(&ended, watch.cause(process))
}

/// What [`describe`] words besides the cause.
struct Ended<'a> {
    /// The process.
    pid: i32,
    /// The outcome.
    outcome: Outcome,
    /// The wait status and its source.
    status: Option<(Ending, super::model::Source)>,
    /// The last phase the pool reported.
    phase: Option<Phase>,
    /// How a leaked process left the group.
    left: Option<&'a str>,
    /// Whether the kernel's signal events were read (every sender seen).
    traced: bool,
}

/// [`ending`] from its parts.
fn describe(ended: &Ended<'_>, cause: Cause) -> String {
    let Ended {
        pid,
        outcome,
        status,
        phase,
        left,
        traced,
    } = *ended;
    match outcome {
        Outcome::Exited => {
            let code = match status {
                Some((Ending::Exited(code), _)) => code,
                _ => 0,
            };
            match cause {
                Cause::StopEvent { after_ms } => {
                    format!("exit {code}{}", after(after_ms, "the stop event"))
                }
                Cause::Signal {
                    signal,
                    sent: Some((sender, after_ms)),
                } => format!(
                    "exit {code}{}, which it catches",
                    after(
                        after_ms,
                        &format!("{} sent by sigtree ({})", signal.name(), by(sender))
                    )
                ),
                _ => format!("exit {code} (by itself)"),
            }
        }
        Outcome::Signaled => match cause {
            Cause::Signal {
                signal,
                sent: Some((sender, after_ms)),
            } => format!(
                "died of {} sent by sigtree ({}){}{}",
                signal.name(),
                by(sender),
                since_sent(after_ms),
                if traced {
                    ""
                } else {
                    " (other senders unseen)"
                }
            ),
            Cause::Signal { signal, sent: None } if traced => {
                format!("died of {} (its sender was not seen)", signal.name())
            }
            Cause::Signal { signal, sent: None } => format!(
                "died of {} (not sent by sigtree; run with kernel events to see the sender)",
                signal.name()
            ),
            Cause::SignalFrom {
                signal,
                sender,
                after_ms,
            } => {
                let from = match sender.from {
                    super::signals::From::Kernel => format!("from {}", sender.words()),
                    // A shell re-raising what it caught, a raise(3).
                    _ if sender.pid == pid => format!("sent by itself, {}", sender.words()),
                    _ => format!("sent by {}", sender.words()),
                };
                format!("died of {} {from}{}", signal.name(), since_sent(after_ms))
            }
            _ => match status {
                Some((Ending::Signaled(number), _)) => format!("died of signal {number}"),
                _ => "died of a signal".into(),
            },
        },
        Outcome::Killed => {
            let was = phase.map_or_else(String::new, |phase| format!("; was {}", phase.label()));
            match cause {
                Cause::Teardown { after_ms, .. } => format!(
                    "SIGKILL by its pid namespace's teardown (PID 1 exited){}{was}",
                    since_sent(after_ms)
                ),
                Cause::Escalation { after_ms } => {
                    format!("SIGKILL by escalation{}{was}", since_sent(after_ms))
                }
                _ => format!("SIGKILL by escalation{was}"),
            }
        }
        Outcome::Leaked => {
            let left = left.map_or_else(String::new, |how| format!("{how}; "));
            let (when, after_ms) = match cause {
                Cause::RuntimeDone { after_ms } => (
                    "alive when the runtime would report the stop done",
                    after_ms,
                ),
                Cause::Escalation { after_ms } => ("alive after escalation's SIGKILL", after_ms),
                _ => ("alive after escalation's SIGKILL", None),
            };
            let ended = after_ms.map_or_else(
                || ", ended by pidfd".into(),
                |ms| format!(", ended by pidfd {} later", duration(ms)),
            );
            format!("leaked: {left}{when}{ended}")
        }
        Outcome::Unknown => "ended, status unknown".into(),
    }
}

/// Where an orphan went: "orphan: re-parented to sigtree's keeper
/// (subreaper)", or to a pid.
pub fn orphan(parent: i32, keeper: Option<i32>) -> String {
    if Some(parent) == keeper {
        "orphan: re-parented to sigtree's keeper (subreaper)".into()
    } else {
        format!("orphan: re-parented to {parent}")
    }
}

/// What happened to `process` beside its end: ended before the stop
/// request, orphaned, left the group (unless its ending says so), a
/// zombie for a while. `keeper` is sigtree's keeper, named as such.
pub fn notes(watch: &Watch, process: &Observed, keeper: Option<i32>) -> Vec<String> {
    let mut notes = Vec::new();
    if watch.before_stop(process) {
        notes.push("ended before the stop request".to_string());
    }
    if let Some(parent) = process.reparented_to {
        notes.push(orphan(parent, keeper));
    }
    if watch.escaped_group(process) && watch.outcome(process) != Outcome::Leaked {
        notes.push("left the group".to_string());
    }
    // A zombie reaped within a poll interval is not worth a note.
    if let Some(ms) = process.zombie_ms().filter(|&ms| ms >= 100) {
        notes.push(zombie_for(process, ms));
    }
    notes
}

/// "zombie for 4.0 s" for `ms` as a zombie; "zombie ≥ 4.0 s" when it was
/// one already when sigtree first saw it (attached to it, or found by a
/// walk after it died): /proc keeps no time of death, so only a bound is
/// known.
pub fn zombie_for(process: &Observed, ms: u64) -> String {
    if process.zombie_before_seen {
        format!("zombie ≥ {}", duration(ms))
    } else {
        format!("zombie for {}", duration(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::sigset::Signal;
    use crate::watch::model::Source;

    /// What [`describe`] says without kernel signal events.
    fn said(
        outcome: Outcome,
        status: Option<(Ending, Source)>,
        cause: Cause,
        phase: Option<Phase>,
        left: Option<&str>,
    ) -> String {
        let ended = Ended {
            pid: 4130,
            outcome,
            status,
            phase,
            left,
            traced: false,
        };
        describe(&ended, cause)
    }

    #[test]
    fn with_the_kernels_signal_events_the_sender_is_named() {
        use crate::watch::cause::Sender;
        use crate::watch::signals::{From, Inferred};
        let ended = Ended {
            pid: 4130,
            outcome: Outcome::Signaled,
            status: signaled(Signal::TERM),
            phase: None,
            left: None,
            traced: true,
        };
        let bash = Sender {
            from: From::Process,
            pid: 4121,
            comm: "bash".into(),
            inferred: None,
        };
        let from = |sender: Sender| Cause::SignalFrom {
            signal: Signal::TERM,
            sender,
            after_ms: Some(2),
        };
        assert_eq!(
            describe(&ended, from(bash.clone())),
            "died of SIGTERM sent by 4121 (bash), 2 ms after it was sent"
        );
        let itself = Sender {
            pid: 4130,
            comm: "sh".into(),
            ..bash.clone()
        };
        assert_eq!(
            describe(&ended, from(itself)),
            "died of SIGTERM sent by itself, 4130 (sh), 2 ms after it was sent"
        );
        let terminal = Sender {
            from: From::Kernel,
            pid: 77,
            comm: "kworker/0:1".into(),
            inferred: Some(Inferred::Terminal),
        };
        assert_eq!(
            describe(&ended, from(terminal)),
            "died of SIGTERM from the kernel (terminal, inferred), 2 ms after it was sent"
        );
        let by_sigtree = Cause::Signal {
            signal: Signal::TERM,
            sent: Some((By::Key('T'), Some(4))),
        };
        assert_eq!(
            describe(&ended, by_sigtree),
            "died of SIGTERM sent by sigtree (T), 4 ms after it was sent"
        );
    }

    fn exited(code: i32) -> Option<(Ending, Source)> {
        Some((Ending::Exited(code), Source::Waited))
    }

    fn signaled(signal: Signal) -> Option<(Ending, Source)> {
        Some((Ending::Signaled(signal.number()), Source::Waited))
    }

    #[test]
    fn every_outcome_and_cause_in_words() {
        let cases = [
            (
                said(
                    Outcome::Exited,
                    exited(0),
                    Cause::StopEvent {
                        after_ms: Some(400),
                    },
                    None,
                    None,
                ),
                "exit 0, 0.4 s after the stop event",
            ),
            (
                said(
                    Outcome::Exited,
                    exited(0),
                    Cause::Signal {
                        signal: Signal::TERM,
                        sent: Some((By::Key('T'), Some(250))),
                    },
                    None,
                    None,
                ),
                "exit 0, 0.2 s after SIGTERM sent by sigtree (T), which it catches",
            ),
            (
                said(Outcome::Exited, exited(3), Cause::Own, None, None),
                "exit 3 (by itself)",
            ),
            (
                said(
                    Outcome::Signaled,
                    signaled(Signal::TERM),
                    Cause::Signal {
                        signal: Signal::TERM,
                        sent: Some((By::Key('T'), Some(4))),
                    },
                    None,
                    None,
                ),
                "died of SIGTERM sent by sigtree (T), 4 ms after it was sent (other senders unseen)",
            ),
            (
                said(
                    Outcome::Signaled,
                    signaled(Signal::TERM),
                    Cause::Signal {
                        signal: Signal::TERM,
                        sent: None,
                    },
                    None,
                    None,
                ),
                "died of SIGTERM (not sent by sigtree; run with kernel events to see the sender)",
            ),
            (
                said(
                    Outcome::Killed,
                    signaled(Signal::KILL),
                    Cause::Escalation { after_ms: Some(3) },
                    Some(Phase::Busy(7)),
                    None,
                ),
                "SIGKILL by escalation, 3 ms after it was sent; was busy #7",
            ),
            (
                said(
                    Outcome::Leaked,
                    signaled(Signal::KILL),
                    Cause::Escalation {
                        after_ms: Some(2000),
                    },
                    None,
                    Some("left the group with setsid"),
                ),
                "leaked: left the group with setsid; alive after escalation's SIGKILL, \
                 ended by pidfd 2.0 s later",
            ),
            (
                said(Outcome::Unknown, None, Cause::Unknown, None, None),
                "ended, status unknown",
            ),
        ];
        for (said, expected) in cases {
            assert_eq!(said, expected);
        }
    }

    #[test]
    fn durations_read_in_ms_below_a_tenth_of_a_second() {
        assert_eq!(duration(4), "4 ms");
        assert_eq!(duration(99), "99 ms");
        assert_eq!(duration(400), "0.4 s");
        assert_eq!(duration(7890), "7.8 s");
    }

    #[test]
    fn the_keeper_is_named_as_such() {
        assert_eq!(
            orphan(40, Some(40)),
            "orphan: re-parented to sigtree's keeper (subreaper)"
        );
        assert_eq!(orphan(1, Some(40)), "orphan: re-parented to 1");
    }
}
