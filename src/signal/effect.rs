//! The predicted effect of sending a signal with kill(2), decided in the
//! spec's order (SPEC, "What the monitor knows and how"; FACTS 3–4h): the
//! first step that applies decides, and every effect comes with the one
//! sentence that says why. Pure: the caller reads the [`Target`] from /proc.

use std::fmt;

use serde::Serialize;

use super::disposition::{Handling, SignalMasks};
use super::sigset::{DefaultAction, SigSet, Signal};

/// Where the target is in its life, as far as signals care.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Activity {
    /// No such process (any more).
    Gone,
    /// Exited, not reaped: a Z main thread with no live thread left.
    Zombie,
    /// Running or sleeping interruptibly (a Z main thread with live threads
    /// is a live process, FACTS 4f).
    #[default]
    Running,
    /// In uninterruptible sleep (D).
    DiskSleep,
    /// Stopped by a signal (T).
    Stopped,
    /// In a tracing stop (t).
    TracingStop,
}

impl Activity {
    /// True when stopped by a signal or by a tracer.
    pub fn is_stopped(self) -> bool {
        matches!(self, Self::Stopped | Self::TracingStop)
    }
}

/// What kill(2)'s permission check allows the sender (FACTS 9).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Permission {
    /// Any signal.
    #[default]
    Allowed,
    /// Only SIGCONT: the uids do not match but the sessions do.
    ContinueOnly,
    /// No signal.
    Denied,
}

/// Whether the target is the init of a pid namespace (SIGNAL_UNKILLABLE),
/// and where the sender stands relative to that namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NamespaceInit {
    /// Not a namespace's init.
    #[default]
    No,
    /// The init of a namespace below the sender's: SIGKILL and SIGSTOP act.
    SeenFromAncestor,
    /// The init of the sender's own namespace: SIGKILL and SIGSTOP are
    /// dropped too, like every signal it has no handler for.
    SeenFromInside,
}

/// The target's RLIMIT_CORE soft limit (`/proc/PID/limits`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CoreLimit {
    /// Not read.
    #[default]
    Unknown,
    /// `unlimited`.
    Unlimited,
    /// A limit in bytes.
    Bytes(u64),
}

/// The smallest core file the kernel writes (ELF_EXEC_PAGESIZE on the
/// common architectures): a lower RLIMIT_CORE means no core file.
const MIN_CORE_FILE: u64 = 4096;

/// What [`predict`] needs to know about the process a signal is sent to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// Alive, stopped, exited or gone.
    pub activity: Activity,
    /// What the sender may send it.
    pub permission: Permission,
    /// The main thread's masks (`SigIgn` and `SigCgt` are the process's).
    pub masks: SignalMasks,
    /// The intersection of every thread's `SigBlk`.
    pub blocked_by_all_threads: SigSet,
    /// Its live threads, 0 when not counted.
    pub threads: usize,
    /// Every thread's `SigPnd` united with `ShdPnd`.
    pub pending: SigSet,
    /// A kernel thread (PF_KTHREAD in its stat flags).
    pub kernel_thread: bool,
    /// `TracerPid` when traced: the id of the tracing thread (its pid when
    /// the tracer is single-threaded).
    pub tracer: Option<i32>,
    /// Whether it is a pid namespace's init.
    pub namespace_init: NamespaceInit,
    /// Whether its process group is orphaned (POSIX; FACTS 4d, 5).
    pub orphaned_group: bool,
    /// Its RLIMIT_CORE.
    pub core_limit: CoreLimit,
    /// Whether `core_pattern` pipes core dumps to a program.
    pub core_piped: bool,
}

/// What a process-directed signal does to its target (the JSON `effect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// It dies.
    Terminates,
    /// It dies and may dump core.
    TerminatesCore,
    /// It stops.
    Stops,
    /// A stopped process resumes.
    Continues,
    /// Nothing changes.
    Nothing,
    /// The signal is dropped: ignored by disposition or by the kernel.
    Ignored,
    /// It stays pending: every thread blocks it.
    PendingBlocked,
    /// It stays pending until the stopped process is continued.
    PendingUntilContinued,
    /// The kernel discards it (a job-control stop in an orphaned group).
    Discarded,
    /// The process's handler runs.
    HandlerRuns,
    /// The tracer is told and decides.
    QueuedForTracer,
    /// kill(2) refuses with EPERM.
    NotPermitted,
    /// There is no process to signal.
    Gone,
}

impl Effect {
    /// The JSON word: `terminates`, `pending_blocked`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Terminates => "terminates",
            Self::TerminatesCore => "terminates_core",
            Self::Stops => "stops",
            Self::Continues => "continues",
            Self::Nothing => "nothing",
            Self::Ignored => "ignored",
            Self::PendingBlocked => "pending_blocked",
            Self::PendingUntilContinued => "pending_until_continued",
            Self::Discarded => "discarded",
            Self::HandlerRuns => "handler_runs",
            Self::QueuedForTracer => "queued_for_tracer",
            Self::NotPermitted => "not_permitted",
            Self::Gone => "gone",
        }
    }
}

impl Serialize for Effect {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An effect and the sentence that explains it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Prediction {
    /// What happens.
    pub effect: Effect,
    /// Why, in one sentence naming the fact ("ignored: SIGTERM is SIG_IGN").
    pub reason: String,
}

impl Prediction {
    fn new(effect: Effect, reason: impl Into<String>) -> Self {
        Self {
            effect,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Prediction {
    /// The reason: it starts with what happens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// One step of the order: the prediction if the step applies.
type Step = fn(Signal, &Target) -> Option<Prediction>;

/// Steps 1 to 12 in the spec's order; step 13 (the default action) is
/// [`default_action`].
const STEPS: [Step; 12] = [
    out_of_reach,
    kernel_thread,
    sigkill,
    sigstop,
    blocked_by_every_thread,
    traced,
    sigcont,
    job_control_stop,
    ignored,
    namespace_init,
    stopped,
    caught,
];

/// The effect of sending `signal` to `target` with kill(2): the first of the
/// spec's thirteen steps that applies decides.
pub fn predict(signal: Signal, target: &Target) -> Prediction {
    STEPS
        .iter()
        .find_map(|step| step(signal, target))
        .unwrap_or_else(|| default_action(signal, target))
}

/// Step 1: gone, not permitted, or a zombie.
fn out_of_reach(signal: Signal, t: &Target) -> Option<Prediction> {
    let denied = match t.permission {
        Permission::Allowed => false,
        Permission::ContinueOnly => signal != Signal::CONT,
        Permission::Denied => true,
    };
    Some(if t.activity == Activity::Gone {
        Prediction::new(Effect::Gone, "gone: there is no such process")
    } else if denied {
        let session = if t.permission == Permission::ContinueOnly {
            " (only SIGCONT is allowed, from the same session)"
        } else {
            ""
        };
        Prediction::new(
            Effect::NotPermitted,
            format!(
                "not permitted: kill(2) needs CAP_KILL or a real or effective uid equal to its real or saved uid{session}"
            ),
        )
    } else if t.activity == Activity::Zombie {
        Prediction::new(
            Effect::Nothing,
            "nothing: already exited; a zombie takes no signals and its parent must reap it",
        )
    } else {
        return None;
    })
}

/// Step 2: a kernel thread takes only the signals it allows.
fn kernel_thread(signal: Signal, t: &Target) -> Option<Prediction> {
    t.kernel_thread.then(|| {
        if t.masks.caught.contains(signal) {
            Prediction::new(
                Effect::HandlerRuns,
                format!("handled by the kernel thread: it allows {signal} (allow_signal)"),
            )
        } else {
            Prediction::new(
                Effect::Ignored,
                format!("ignored: a kernel thread ignores {signal}, which it does not allow"),
            )
        }
    })
}

/// The sentence for SIGKILL or SIGSTOP to its own namespace's init, which
/// drops them (SIGNAL_UNKILLABLE without the ancestor's force).
fn unkillable_init(signal: Signal, t: &Target) -> Option<Prediction> {
    (t.namespace_init == NamespaceInit::SeenFromInside).then(|| {
        Prediction::new(
            Effect::Ignored,
            format!(
                "ignored: the init of this pid namespace takes {signal} only from an ancestor namespace"
            ),
        )
    })
}

/// Step 3: SIGKILL acts, traced or stopped alike.
fn sigkill(signal: Signal, t: &Target) -> Option<Prediction> {
    if signal != Signal::KILL {
        return None;
    }
    unkillable_init(signal, t).or_else(|| {
        let when = match t.activity {
            Activity::DiskSleep => {
                "; in uninterruptible sleep it dies when the sleep ends, unless the sleep is killable"
            }
            Activity::Stopped | Activity::TracingStop => ", even while stopped",
            _ if t.tracer.is_some() => ", even while traced",
            _ => "",
        };
        Some(Prediction::new(
            Effect::Terminates,
            format!("terminates: SIGKILL cannot be caught, blocked or ignored{when}"),
        ))
    })
}

/// Step 4: SIGSTOP stops, unless already stopped.
fn sigstop(signal: Signal, t: &Target) -> Option<Prediction> {
    if signal != Signal::STOP {
        return None;
    }
    unkillable_init(signal, t).or_else(|| {
        Some(if t.activity.is_stopped() {
            Prediction::new(Effect::Nothing, "nothing: already stopped")
        } else {
            Prediction::new(
                Effect::Stops,
                "stops: SIGSTOP cannot be caught, blocked or ignored",
            )
        })
    })
}

/// Step 5: blocked by every thread, it stays pending; SIGCONT still resumes
/// a stopped process (at generation), only its handler waits.
fn blocked_by_every_thread(signal: Signal, t: &Target) -> Option<Prediction> {
    if !t.blocked_by_all_threads.contains(signal) {
        return None;
    }
    if signal == Signal::CONT && t.activity == Activity::Stopped {
        return Some(continues(
            t,
            "; its handler waits, since every thread blocks SIGCONT",
        ));
    }
    let who = match t.threads {
        0 => "every thread".to_string(),
        1 => "its only thread".to_string(),
        n => format!("every one of its {n} threads"),
    };
    Some(Prediction::new(
        Effect::PendingBlocked,
        format!("pending: {who} blocks {signal}"),
    ))
}

/// Step 6: a traced process's signals go to the tracer first.
fn traced(signal: Signal, t: &Target) -> Option<Prediction> {
    let tracer = t.tracer?;
    let note = if signal == Signal::CONT && t.activity == Activity::TracingStop {
        "; SIGCONT does not end a tracing stop, so it stays stopped until the tracer resumes it"
            .to_string()
    } else if t.masks.disposition(signal).handling == Handling::Ignored {
        format!(", although {signal} is SIG_IGN: a traced process reports every signal but SIGKILL")
    } else {
        ": a traced process reports every signal but SIGKILL, and the tracer decides".to_string()
    };
    Some(Prediction::new(
        Effect::QueuedForTracer,
        format!("queued for the tracer (TracerPid {tracer}){note}"),
    ))
}

/// The continue sentence for a stopped process, with what follows the resume.
fn continues(t: &Target, handler: &str) -> Prediction {
    let fatal = t
        .pending
        .iter()
        .find(|&s| {
            !t.blocked_by_all_threads.contains(s)
                && t.masks.disposition(s).handling == Handling::Default
                && matches!(
                    s.default_action(),
                    DefaultAction::Terminate | DefaultAction::Core
                )
                && t.namespace_init == NamespaceInit::No
        })
        .map(|s| format!("; then the pending {s} kills it"))
        .unwrap_or_default();
    Prediction::new(
        Effect::Continues,
        format!(
            "continues: SIGCONT resumes a stopped process whatever its disposition{handler}{fatal}"
        ),
    )
}

/// Step 7: SIGCONT continues a stopped process, and otherwise only runs a handler.
fn sigcont(signal: Signal, t: &Target) -> Option<Prediction> {
    if signal != Signal::CONT {
        return None;
    }
    let caught = t.masks.disposition(signal).handling == Handling::Caught;
    Some(if t.activity == Activity::Stopped {
        continues(
            t,
            if caught {
                "; then its handler runs"
            } else {
                ""
            },
        )
    } else if caught {
        Prediction::new(
            Effect::HandlerRuns,
            "handler runs: SIGCONT is caught; it is not stopped, so nothing else happens",
        )
    } else {
        Prediction::new(
            Effect::Nothing,
            "nothing: it is not stopped, and SIGCONT only resumes a stopped process",
        )
    })
}

/// Step 8: SIGTSTP, SIGTTIN and SIGTTOU in an orphaned group, or to a
/// stopped process, never act.
fn job_control_stop(signal: Signal, t: &Target) -> Option<Prediction> {
    if ![Signal::TSTP, Signal::TTIN, Signal::TTOU].contains(&signal) {
        return None;
    }
    let default = t.masks.disposition(signal).handling == Handling::Default;
    if default && t.orphaned_group {
        Some(Prediction::new(
            Effect::Discarded,
            format!("discarded: {signal} in an orphaned process group"),
        ))
    } else if t.activity.is_stopped() {
        Some(Prediction::new(
            Effect::Nothing,
            format!("nothing: already stopped; the next SIGCONT discards {signal}"),
        ))
    } else {
        None
    }
}

/// Step 9: ignored by disposition, or by default (CHLD, URG, WINCH).
fn ignored(signal: Signal, t: &Target) -> Option<Prediction> {
    match t.masks.disposition(signal).handling {
        Handling::Ignored => Some(Prediction::new(
            Effect::Ignored,
            format!("ignored: {signal} is SIG_IGN"),
        )),
        Handling::Default if signal.default_action() == DefaultAction::Ignore => {
            Some(Prediction::new(
                Effect::Ignored,
                format!("ignored: {signal}'s default action is to ignore it"),
            ))
        }
        _ => None,
    }
}

/// Step 10: a namespace's init drops what it has no handler for.
fn namespace_init(signal: Signal, t: &Target) -> Option<Prediction> {
    let default = t.masks.disposition(signal).handling == Handling::Default;
    (default && t.namespace_init != NamespaceInit::No).then(|| {
        Prediction::new(
            Effect::Ignored,
            format!("ignored: PID 1 of a namespace ignores {signal}, for which it has no handler"),
        )
    })
}

/// Step 11: a stopped process acts when continued.
fn stopped(signal: Signal, t: &Target) -> Option<Prediction> {
    t.activity.is_stopped().then(|| {
        Prediction::new(
            Effect::PendingUntilContinued,
            format!(
                "pending until continued: it is stopped; {signal} acts once SIGCONT resumes it"
            ),
        )
    })
}

/// Step 12: a handler runs.
fn caught(signal: Signal, t: &Target) -> Option<Prediction> {
    (t.masks.disposition(signal).handling == Handling::Caught).then(|| {
        Prediction::new(
            Effect::HandlerRuns,
            format!("handler runs: {signal} is caught"),
        )
    })
}

/// Step 13: the default action; a core dump only where RLIMIT_CORE and
/// core_pattern allow it.
fn default_action(signal: Signal, t: &Target) -> Prediction {
    match signal.default_action() {
        DefaultAction::Terminate => Prediction::new(
            Effect::Terminates,
            format!("terminates: {signal}'s default action"),
        ),
        DefaultAction::Core => core_dump(signal, t),
        DefaultAction::Stop => {
            Prediction::new(Effect::Stops, format!("stops: {signal}'s default action"))
        }
        // Steps 7 and 9 took SIGCONT and the default-ignored signals.
        DefaultAction::Continue | DefaultAction::Ignore => Prediction::new(
            Effect::Nothing,
            format!("nothing: {signal}'s default action does nothing here"),
        ),
    }
}

/// Terminates, with or without a core dump.
fn core_dump(signal: Signal, t: &Target) -> Prediction {
    let no_core = |why: String| {
        Prediction::new(
            Effect::Terminates,
            format!("terminates without a core dump: {why}"),
        )
    };
    match (t.core_piped, t.core_limit) {
        (true, CoreLimit::Bytes(1)) => {
            no_core("RLIMIT_CORE 1 turns off a core dump to a pipe".into())
        }
        (true, _) => Prediction::new(
            Effect::TerminatesCore,
            format!(
                "may dump core: {signal} dumps core to the program core_pattern pipes to, which RLIMIT_CORE does not limit (dumpability still does)"
            ),
        ),
        (false, CoreLimit::Bytes(limit)) if limit < MIN_CORE_FILE => {
            no_core(format!("its RLIMIT_CORE is {limit}"))
        }
        (false, _) => Prediction::new(
            Effect::TerminatesCore,
            format!(
                "may dump core: {signal}'s default action; depends on RLIMIT_CORE, core_pattern and dumpability"
            ),
        ),
    }
}

#[cfg(test)]
mod tests;
