//! Signal dispositions decoded from `/proc/PID/status`, and the predicted
//! effect of sending a signal, following the kernel's `prepare_signal`,
//! `sig_ignored` and `sig_task_ignored` (kernel/signal.c).

use serde::Serialize;

use super::sigset::{DefaultAction, SigSet, Signal};

/// How a process handles a signal when it is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handling {
    /// `SIG_DFL`: the signal's default action.
    Default,
    /// `SIG_IGN`: discarded.
    Ignored,
    /// A handler is installed.
    Caught,
}

/// A signal's handling plus whether the thread blocks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disposition {
    /// Default, ignored or caught.
    pub handling: Handling,
    /// Whether the signal is in the thread's mask (`SigBlk`).
    pub blocked: bool,
}

impl Disposition {
    /// Short label: `dfl`, `ign`, `catch`, with `+blk` when blocked.
    pub fn label(self) -> &'static str {
        match (self.handling, self.blocked) {
            (Handling::Default, false) => "dfl",
            (Handling::Ignored, false) => "ign",
            (Handling::Caught, false) => "catch",
            (Handling::Default, true) => "dfl+blk",
            (Handling::Ignored, true) => "ign+blk",
            (Handling::Caught, true) => "catch+blk",
        }
    }
}

/// The signal sets of one thread's `/proc/PID/status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SignalMasks {
    /// `SigPnd`: pending for this thread.
    pub pending: SigSet,
    /// `ShdPnd`: pending for the whole process.
    pub shared_pending: SigSet,
    /// `SigBlk`: this thread's mask.
    pub blocked: SigSet,
    /// `SigIgn`: set to `SIG_IGN`.
    pub ignored: SigSet,
    /// `SigCgt`: a handler is installed.
    pub caught: SigSet,
}

impl SignalMasks {
    /// How `signal` is handled, and whether this thread blocks it.
    pub fn disposition(&self, signal: Signal) -> Disposition {
        let handling = if self.ignored.contains(signal) {
            Handling::Ignored
        } else if self.caught.contains(signal) {
            Handling::Caught
        } else {
            Handling::Default
        };
        Disposition {
            handling,
            blocked: self.blocked.contains(signal),
        }
    }

    /// Signals pending for the thread or for the process.
    pub fn pending_any(&self) -> SigSet {
        self.pending.union(self.shared_pending)
    }
}

/// What [`predict`] needs to know about the process a signal is sent to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// The main thread's masks.
    pub masks: SignalMasks,
    /// The intersection of every thread's `SigBlk`.
    pub blocked_by_all_threads: SigSet,
    /// Whether the process is stopped (state `T` or `t`).
    pub stopped: bool,
    /// Whether the process is a zombie (state `Z`).
    pub zombie: bool,
}

/// What a process-directed signal does to its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing: the process has already exited.
    Exited,
    /// Discarded: the process ignores it.
    Ignored,
    /// Queued: every thread blocks it.
    StaysPending,
    /// Queued until the stopped process is continued.
    PendingUntilContinued,
    /// The process's handler runs.
    HandlerRuns,
    /// The signal's default action happens.
    Default(DefaultAction),
}

impl Effect {
    /// One-line description for the user.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Exited => "no effect: already exited (zombie)",
            Self::Ignored => "ignored",
            Self::StaysPending => "stays pending: blocked by every thread",
            Self::PendingUntilContinued => "pending until continued: the process is stopped",
            Self::HandlerRuns => "handler runs",
            Self::Default(DefaultAction::Terminate) => "terminates",
            Self::Default(DefaultAction::Core) => "terminates with core dump",
            Self::Default(DefaultAction::Stop) => "stops",
            Self::Default(DefaultAction::Continue) => "continues",
            Self::Default(DefaultAction::Ignore) => "ignored by default",
        }
    }
}

/// The effect of sending `signal` to `target` with kill(2).
///
/// SIGKILL and SIGSTOP always act; SIGCONT always resumes a stopped process;
/// a signal blocked by every thread stays pending even if ignored ("blocked
/// signals are never ignored", kernel/signal.c); a stopped process acts on
/// nothing else until continued.
pub fn predict(signal: Signal, target: &Target) -> Effect {
    if target.zombie {
        return Effect::Exited;
    }
    if signal == Signal::KILL || signal == Signal::STOP {
        return Effect::Default(signal.default_action());
    }
    if signal == Signal::CONT && target.stopped {
        return Effect::Default(DefaultAction::Continue);
    }
    if target.blocked_by_all_threads.contains(signal) {
        return Effect::StaysPending;
    }
    let action = signal.default_action();
    match target.masks.disposition(signal).handling {
        Handling::Ignored => Effect::Ignored,
        Handling::Default if matches!(action, DefaultAction::Ignore | DefaultAction::Continue) => {
            Effect::Default(action)
        }
        _ if target.stopped => Effect::PendingUntilContinued,
        Handling::Caught => Effect::HandlerRuns,
        Handling::Default => Effect::Default(action),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(signals: &[Signal]) -> SigSet {
        signals.iter().copied().collect()
    }

    fn running() -> Target {
        Target::default()
    }

    fn stopped() -> Target {
        Target {
            stopped: true,
            ..Target::default()
        }
    }

    fn catching(signal: Signal, target: Target) -> Target {
        Target {
            masks: SignalMasks {
                caught: set(&[signal]),
                ..target.masks
            },
            ..target
        }
    }

    #[test]
    fn labels() {
        let cases = [
            (Handling::Default, false, "dfl"),
            (Handling::Ignored, false, "ign"),
            (Handling::Caught, false, "catch"),
            (Handling::Default, true, "dfl+blk"),
            (Handling::Ignored, true, "ign+blk"),
            (Handling::Caught, true, "catch+blk"),
        ];
        for (handling, blocked, label) in cases {
            assert_eq!(Disposition { handling, blocked }.label(), label);
        }
    }

    #[test]
    fn dispositions_from_rust_runtime_masks() {
        // A Rust program at start: SigIgn 0x1000 (PIPE), SigCgt 0x440 (BUS, SEGV).
        let masks = SignalMasks {
            blocked: SigSet::from_bits(0x4000),
            ignored: SigSet::from_bits(0x1000),
            caught: SigSet::from_bits(0x440),
            ..SignalMasks::default()
        };
        let of = |signal| masks.disposition(signal).label();
        assert_eq!(of(Signal::PIPE), "ign");
        assert_eq!(of(Signal::SEGV), "catch");
        assert_eq!(of(Signal::BUS), "catch");
        assert_eq!(of(Signal::TERM), "dfl+blk");
        assert_eq!(of(Signal::INT), "dfl");
        let both = SignalMasks {
            ignored: set(&[Signal::USR1]),
            caught: set(&[Signal::USR1]),
            ..SignalMasks::default()
        };
        assert_eq!(both.disposition(Signal::USR1).handling, Handling::Ignored);
    }

    #[test]
    fn pending_any_joins_thread_and_process() {
        let masks = SignalMasks {
            pending: set(&[Signal::USR1]),
            shared_pending: set(&[Signal::TERM]),
            ..SignalMasks::default()
        };
        assert_eq!(masks.pending_any(), set(&[Signal::USR1, Signal::TERM]));
    }

    #[test]
    fn masks_serialize_with_snake_case_keys() {
        let masks = SignalMasks {
            shared_pending: set(&[Signal::TERM]),
            ..SignalMasks::default()
        };
        assert_eq!(
            serde_json::to_string(&masks).ok().as_deref(),
            Some(
                r#"{"pending":[],"shared_pending":["SIGTERM"],"blocked":[],"ignored":[],"caught":[]}"#
            )
        );
    }

    #[test]
    fn zombie_has_exited() {
        let zombie = Target {
            zombie: true,
            stopped: true,
            ..Target::default()
        };
        for signal in Signal::all() {
            assert_eq!(predict(signal, &zombie), Effect::Exited);
        }
    }

    #[test]
    fn kill_and_stop_always_act() {
        let everything = SigSet::from_bits(u64::MAX);
        let hostile = Target {
            masks: SignalMasks {
                blocked: everything,
                ignored: everything,
                caught: everything,
                ..SignalMasks::default()
            },
            blocked_by_all_threads: everything,
            stopped: true,
            zombie: false,
        };
        let terminate = Effect::Default(DefaultAction::Terminate);
        assert_eq!(predict(Signal::KILL, &hostile), terminate);
        assert_eq!(
            predict(Signal::STOP, &hostile),
            Effect::Default(DefaultAction::Stop)
        );
        assert_eq!(predict(Signal::KILL, &running()), terminate);
    }

    #[test]
    fn cont_resumes_a_stopped_process_whatever_its_disposition() {
        let continues = Effect::Default(DefaultAction::Continue);
        let blocked_ignored = Target {
            masks: SignalMasks {
                ignored: set(&[Signal::CONT]),
                ..SignalMasks::default()
            },
            blocked_by_all_threads: set(&[Signal::CONT]),
            ..stopped()
        };
        assert_eq!(predict(Signal::CONT, &blocked_ignored), continues);
        assert_eq!(
            predict(Signal::CONT, &catching(Signal::CONT, stopped())),
            continues
        );
        assert_eq!(predict(Signal::CONT, &running()), continues);
        assert_eq!(
            predict(Signal::CONT, &catching(Signal::CONT, running())),
            Effect::HandlerRuns
        );
    }

    #[test]
    fn blocked_by_every_thread_stays_pending_even_if_ignored() {
        let target = Target {
            masks: SignalMasks {
                blocked: set(&[Signal::TERM]),
                ignored: set(&[Signal::TERM]),
                ..SignalMasks::default()
            },
            blocked_by_all_threads: set(&[Signal::TERM, Signal::CHLD]),
            ..Target::default()
        };
        assert_eq!(predict(Signal::TERM, &target), Effect::StaysPending);
        assert_eq!(predict(Signal::CHLD, &target), Effect::StaysPending);
    }

    #[test]
    fn blocked_by_main_thread_only_is_delivered_elsewhere() {
        let mut target = catching(Signal::TERM, running());
        target.masks.blocked = set(&[Signal::TERM]);
        assert_eq!(predict(Signal::TERM, &target), Effect::HandlerRuns);
    }

    #[test]
    fn ignored_is_discarded_even_when_stopped() {
        let ignoring = |target: Target| Target {
            masks: SignalMasks {
                ignored: set(&[Signal::TERM]),
                ..SignalMasks::default()
            },
            ..target
        };
        assert_eq!(predict(Signal::TERM, &ignoring(running())), Effect::Ignored);
        assert_eq!(predict(Signal::TERM, &ignoring(stopped())), Effect::Ignored);
    }

    #[test]
    fn default_ignore_signals_are_discarded() {
        let ignore = Effect::Default(DefaultAction::Ignore);
        for signal in [Signal::CHLD, Signal::URG, Signal::WINCH] {
            assert_eq!(predict(signal, &running()), ignore);
            assert_eq!(predict(signal, &stopped()), ignore);
        }
    }

    #[test]
    fn stopped_process_keeps_signals_pending() {
        let pending = Effect::PendingUntilContinued;
        assert_eq!(
            predict(Signal::TERM, &catching(Signal::TERM, stopped())),
            pending
        );
        assert_eq!(predict(Signal::TERM, &stopped()), pending);
        assert_eq!(predict(Signal::TSTP, &stopped()), pending);
    }

    #[test]
    fn running_process_handles_or_takes_default() {
        assert_eq!(
            predict(Signal::TERM, &catching(Signal::TERM, running())),
            Effect::HandlerRuns
        );
        let cases = [
            (Signal::TERM, DefaultAction::Terminate),
            (Signal::QUIT, DefaultAction::Core),
            (Signal::TSTP, DefaultAction::Stop),
        ];
        for (signal, action) in cases {
            assert_eq!(
                predict(signal, &running()),
                Effect::Default(action),
                "{signal}"
            );
        }
        let terminate = Effect::Default(DefaultAction::Terminate);
        assert!(
            Signal::all()
                .skip(31)
                .all(|s| predict(s, &running()) == terminate)
        );
    }

    #[test]
    fn descriptions() {
        let cases = [
            (Effect::Exited, "no effect: already exited (zombie)"),
            (Effect::Ignored, "ignored"),
            (
                Effect::StaysPending,
                "stays pending: blocked by every thread",
            ),
            (
                Effect::PendingUntilContinued,
                "pending until continued: the process is stopped",
            ),
            (Effect::HandlerRuns, "handler runs"),
            (Effect::Default(DefaultAction::Terminate), "terminates"),
            (
                Effect::Default(DefaultAction::Core),
                "terminates with core dump",
            ),
            (Effect::Default(DefaultAction::Stop), "stops"),
            (Effect::Default(DefaultAction::Continue), "continues"),
            (Effect::Default(DefaultAction::Ignore), "ignored by default"),
        ];
        for (effect, text) in cases {
            assert_eq!(effect.describe(), text);
        }
    }
}
