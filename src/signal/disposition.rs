//! Signal dispositions decoded from `/proc/PID/status`: how each signal is
//! handled and whether a thread blocks it. What a signal then does is
//! [`super::effect`]'s question.

use serde::Serialize;

use super::sigset::{SigSet, Signal};

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

/// A whole process's signal sets, as `ps --json --signals` and `explain
/// --json` show them under `signals` (SPEC, "JSON").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProcessSignals {
    /// Every thread's `SigPnd`, united (thread-directed signals).
    pub pending: SigSet,
    /// `ShdPnd`: pending for the whole process.
    pub shared_pending: SigSet,
    /// The main thread's mask.
    pub blocked: SigSet,
    /// Blocked in every live thread.
    pub blocked_by_all: SigSet,
    /// `SigIgn`.
    pub ignored: SigSet,
    /// `SigCgt`.
    pub caught: SigSet,
}

impl ProcessSignals {
    /// What is pending anywhere in the process, as users are shown it:
    /// every thread's `SigPnd` united with `ShdPnd`.
    pub fn pending_any(&self) -> SigSet {
        self.pending.union(self.shared_pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(signals: &[Signal]) -> SigSet {
        signals.iter().copied().collect()
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
}
