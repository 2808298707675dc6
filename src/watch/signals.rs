//! Signals the kernel saw a process receive (tracefs's signal events, as
//! root): who sent each, how (its si code), what the kernel did with it,
//! and whether a handler ran. Pure: the session fills it in.

use serde::Serialize;

use super::model::signal_name;

/// How a signal was sent, from its si code (SPEC, `trace`: `code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiCode {
    /// SI_USER: kill(2), killpg, pidfd_send_signal (and PDEATHSIG).
    Kill,
    /// SI_TKILL: tkill/tgkill.
    Tkill,
    /// SI_QUEUE: sigqueue.
    Sigqueue,
    /// SI_KERNEL: the kernel itself (the terminal's Ctrl-C, a teardown).
    Kernel,
    /// A child's state change (SIGCHLD's CLD_* codes).
    Child,
    /// SI_TIMER: a POSIX timer.
    Timer,
    /// Anything else (a fault, SIGIO, …).
    Other,
}

impl SiCode {
    /// The kind of si code `code` for signal `signal`.
    pub fn of(code: i32, signal: i32) -> Self {
        match code {
            0 => Self::Kill,
            -6 => Self::Tkill,
            -1 => Self::Sigqueue,
            0x80 => Self::Kernel,
            -2 => Self::Timer,
            1..=6 if signal == libc::SIGCHLD => Self::Child,
            _ => Self::Other,
        }
    }
}

/// What the kernel did with a signal when it was sent (signal_generate's
/// result).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Queued for the process.
    Queued,
    /// Discarded: ignored (SIG_IGN, or ignored by default).
    Ignored,
    /// A standard signal already pending: merged with it, nothing queued.
    AlreadyPending,
    /// The queue was full: dropped.
    Dropped,
    /// Queued without its siginfo (no memory for it).
    QueuedWithoutInfo,
}

impl Delivery {
    /// The result number signal_generate reports.
    pub fn of(result: u8) -> Option<Self> {
        Some(match result {
            0 => Self::Queued,
            1 => Self::Ignored,
            2 => Self::AlreadyPending,
            3 => Self::Dropped,
            4 => Self::QueuedWithoutInfo,
            _ => return None,
        })
    }

    /// Whether the process will take it.
    pub fn queued(self) -> bool {
        matches!(self, Self::Queued | Self::QueuedWithoutInfo)
    }

    /// In words, for the event log.
    pub fn words(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Ignored => "ignored",
            Self::AlreadyPending => "already pending",
            Self::Dropped => "dropped (queue full)",
            Self::QueuedWithoutInfo => "queued without its info",
        }
    }
}

/// A sender the kernel did not name, inferred by the spec's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Inferred {
    /// SIGINT, SIGQUIT or SIGTSTP with SI_KERNEL: the terminal's keys.
    Terminal,
    /// SI_USER from a task already in its exit (the trace saw its
    /// sched_process_exit first): the kernel sends nothing else as SI_USER
    /// from there but PR_SET_PDEATHSIG's signal to the task's children.
    ParentDeath,
}

impl Inferred {
    /// The sender of `signal` sent with `code`, where `sender_exiting`
    /// says whether its sending task had entered its exit.
    pub fn of(signal: i32, code: SiCode, sender_exiting: bool) -> Option<Self> {
        let terminal = [libc::SIGINT, libc::SIGQUIT, libc::SIGTSTP].contains(&signal);
        match code {
            SiCode::Kernel if terminal => Some(Self::Terminal),
            SiCode::Kill if sender_exiting => Some(Self::ParentDeath),
            _ => None,
        }
    }

    /// What a sender's name is followed by: " (terminal, inferred)".
    pub fn suffix(inferred: Option<Self>) -> &'static str {
        match inferred {
            Some(Self::Terminal) => " (terminal, inferred)",
            Some(Self::ParentDeath) => " (parent death, inferred)",
            None => "",
        }
    }
}

/// Who sent a signal, as sigtree names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum From {
    /// sigtree itself, or its keeper.
    Sigtree,
    /// Another process (named by pid and comm).
    Process,
    /// The kernel (SI_KERNEL; the task named is the one it ran in).
    Kernel,
}

/// One signal a process received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// When it was sent (CLOCK_MONOTONIC ms).
    pub at_ms: u64,
    /// The signal number.
    pub signal: i32,
    /// Who sent it.
    pub from: From,
    /// The sending process (the task the kernel ran in, for SI_KERNEL).
    pub from_pid: i32,
    /// Its name.
    pub from_comm: String,
    /// How it was sent.
    pub code: SiCode,
    /// What the kernel did with it.
    pub result: Delivery,
    /// Whether a handler ran for it (signal_deliver), once known.
    pub handled: Option<bool>,
    /// A sender inferred by the spec's rules.
    pub inferred: Option<Inferred>,
}

impl Received {
    /// Its sender in words: "4121 (bash)", "sigtree", "the kernel
    /// (terminal, inferred)", "4121 (python3) (parent death, inferred)".
    pub fn sender(&self) -> String {
        let inferred = Inferred::suffix(self.inferred);
        match self.from {
            From::Sigtree => format!("sigtree{inferred}"),
            From::Kernel => format!("the kernel{inferred}"),
            From::Process => format!(
                "{} ({}){inferred}",
                self.from_pid,
                crate::text::escape_controls(&self.from_comm)
            ),
        }
    }

    /// What became of it: "ignored", "queued, handler ran", …
    pub fn fate(&self) -> String {
        match (self.result.queued(), self.handled) {
            (true, Some(true)) => format!("{}, handler ran", self.result.words()),
            (true, Some(false)) => format!("{}, taken without a handler", self.result.words()),
            _ => self.result.words().to_string(),
        }
    }

    /// As the receiver's history says it: "SIGTERM from 4121 (bash):
    /// queued, handler ran".
    pub fn summary(&self) -> String {
        format!(
            "{} from {}: {}",
            signal_name(self.signal),
            self.sender(),
            self.fate()
        )
    }

    /// The event log's line: "SIGTERM 4121 (bash) → 4130 worker-2: ignored".
    pub fn line(&self, to_pid: i32, to_role: &str) -> String {
        self.told(&format!("{to_pid} {to_role}"), self.result.words())
    }

    /// "SIGTERM 4121 (bash) → `to`: `fate`".
    fn told(&self, to: &str, fate: &str) -> String {
        let from = match self.from {
            From::Kernel => format!("from {}", self.sender()),
            From::Sigtree | From::Process => self.sender(),
        };
        format!("{} {from} → {to}: {fate}", signal_name(self.signal))
    }

    /// Whether `other` is the same send as this one to another process:
    /// the same sender, signal and code within a millisecond.
    fn same_send(&self, other: &Self) -> bool {
        (
            self.from,
            self.from_pid,
            self.signal,
            self.code,
            self.inferred,
        ) == (
            other.from,
            other.from_pid,
            other.signal,
            other.code,
            other.inferred,
        ) && self.at_ms.abs_diff(other.at_ms) <= 1
    }
}

/// One send that reached several members of a process group (a killpg,
/// the terminal's Ctrl-C): the kernel traces one signal per member, back
/// to back from one sender; the log tells them as one line, "SIGINT from
/// the kernel (terminal, inferred) → group 4130 (5 processes): queued".
#[derive(Clone, Debug)]
pub struct GroupSend {
    /// The number of the log line that tells it.
    pub line: u64,
    first: Received,
    pgid: i32,
    members: usize,
    /// Each result and how many members it had, in order of first sight.
    fates: Vec<(Delivery, usize)>,
}

impl GroupSend {
    /// A send first seen reaching a member of `pgid`, told in line `line`.
    pub fn start(line: u64, received: &Received, pgid: i32) -> Self {
        Self {
            line,
            first: received.clone(),
            pgid,
            members: 1,
            fates: vec![(received.result, 1)],
        }
    }

    /// Takes `received`, to a member of `pgid`, when it is more of the
    /// same send: the line's new text.
    pub fn join(&mut self, received: &Received, pgid: i32) -> Option<String> {
        if pgid != self.pgid || !self.first.same_send(received) {
            return None;
        }
        self.members += 1;
        match self
            .fates
            .iter_mut()
            .find(|(fate, _)| *fate == received.result)
        {
            Some((_, count)) => *count += 1,
            None => self.fates.push((received.result, 1)),
        }
        let fates = match &self.fates[..] {
            [(fate, _)] => fate.words().to_string(),
            fates => fates
                .iter()
                .map(|(fate, count)| format!("{count} {}", fate.words()))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let to = format!("group {} ({} processes)", self.pgid, self.members);
        Some(self.first.told(&to, &fates))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(from: From, result: Delivery, inferred: Option<Inferred>) -> Received {
        Received {
            at_ms: 0,
            signal: libc::SIGTERM,
            from,
            from_pid: 4121,
            from_comm: "bash".into(),
            code: SiCode::Kill,
            result,
            handled: None,
            inferred,
        }
    }

    #[test]
    fn codes_and_results_decode() {
        assert_eq!(SiCode::of(0, 15), SiCode::Kill);
        assert_eq!(SiCode::of(0x80, 2), SiCode::Kernel);
        assert_eq!(SiCode::of(-6, 15), SiCode::Tkill);
        assert_eq!(SiCode::of(1, libc::SIGCHLD), SiCode::Child);
        assert_eq!(SiCode::of(1, libc::SIGSEGV), SiCode::Other);
        assert_eq!(Delivery::of(2), Some(Delivery::AlreadyPending));
        assert_eq!(Delivery::of(9), None);
        assert!(Delivery::QueuedWithoutInfo.queued() && !Delivery::Ignored.queued());
    }

    #[test]
    fn senders_are_inferred_only_by_the_specs_rules() {
        let kernel_int = Inferred::of(libc::SIGINT, SiCode::Kernel, false);
        assert_eq!(kernel_int, Some(Inferred::Terminal));
        assert_eq!(
            Inferred::of(libc::SIGTSTP, SiCode::Kernel, true),
            kernel_int
        );
        // The kernel's SIGHUP to an orphaned group is not the terminal's.
        assert_eq!(Inferred::of(libc::SIGHUP, SiCode::Kernel, false), None);
        // A kill(2) from a live parent is a kill; from an exiting one, its
        // death.
        assert_eq!(Inferred::of(libc::SIGTERM, SiCode::Kill, false), None);
        assert_eq!(
            Inferred::of(libc::SIGTERM, SiCode::Kill, true),
            Some(Inferred::ParentDeath)
        );
        assert_eq!(Inferred::of(libc::SIGINT, SiCode::Tkill, true), None);
        let orphan = Received {
            signal: libc::SIGKILL,
            ..received(From::Process, Delivery::Queued, Some(Inferred::ParentDeath))
        };
        assert_eq!(
            orphan.line(4130, "child"),
            "SIGKILL 4121 (bash) (parent death, inferred) → 4130 child: queued"
        );
    }

    #[test]
    fn one_send_to_a_groups_members_is_told_as_one_line() {
        let terminal = Received {
            signal: libc::SIGINT,
            code: SiCode::Kernel,
            ..received(From::Kernel, Delivery::Queued, Some(Inferred::Terminal))
        };
        let mut send = GroupSend::start(7, &terminal, 4130);
        assert_eq!(
            send.join(&terminal, 4130).as_deref(),
            Some("SIGINT from the kernel (terminal, inferred) → group 4130 (2 processes): queued")
        );
        let ignored = Received {
            at_ms: 1,
            result: Delivery::Ignored,
            ..terminal.clone()
        };
        assert_eq!(
            send.join(&ignored, 4130).as_deref(),
            Some(
                "SIGINT from the kernel (terminal, inferred) → group 4130 (3 processes): \
                 2 queued, 1 ignored"
            )
        );
        // Another group, a later send, another sender: not the same send.
        assert_eq!(send.join(&terminal, 4131), None);
        let later = Received {
            at_ms: 5,
            ..terminal.clone()
        };
        assert_eq!(send.join(&later, 4130), None);
        let other = Received {
            from_pid: 1,
            ..terminal.clone()
        };
        assert_eq!(send.join(&other, 4130), None);
        assert_eq!(send.line, 7);
    }

    #[test]
    fn log_lines_name_sender_receiver_and_result() {
        let ignored = received(From::Process, Delivery::Ignored, None);
        assert_eq!(
            ignored.line(4130, "worker-2"),
            "SIGTERM 4121 (bash) → 4130 worker-2: ignored"
        );
        let terminal = Received {
            signal: libc::SIGINT,
            ..received(From::Kernel, Delivery::Queued, Some(Inferred::Terminal))
        };
        assert_eq!(
            terminal.line(4130, "master"),
            "SIGINT from the kernel (terminal, inferred) → 4130 master: queued"
        );
        let handled = Received {
            handled: Some(true),
            ..received(From::Process, Delivery::Queued, None)
        };
        assert_eq!(
            handled.summary(),
            "SIGTERM from 4121 (bash): queued, handler ran"
        );
        let pending = received(From::Sigtree, Delivery::AlreadyPending, None);
        assert_eq!(
            pending.line(7, "leader"),
            "SIGTERM sigtree → 7 leader: already pending"
        );
    }
}
