//! The stop sequence as a state machine, advanced by whoever drives the
//! loop (`check` blocking, the TUI between frames): stop event (pool only)
//! → up to half the grace → the stop signal, then SIGCONT to the group → the
//! rest of the grace → SIGKILL to the group → SIGKILL by pidfd to every
//! observed process still alive → until nothing lives. `check` runs the same
//! machine with its one action and no SIGCONT. Each step is a timeline event.

use std::time::{Duration, Instant};

use super::action::{Action, Target};
use super::target::{GroupDelivery, Protected, SignalError, signal_process};
use crate::pool::run::Run;
use crate::procfs::sigset::Signal;
use crate::sys::monotonic_ms;

/// How long to wait for the group's members to die after its SIGKILL.
const GROUP_KILL_WAIT: Duration = Duration::from_secs(2);
/// How long to wait for the last statuses after the pidfd kills.
const FINAL_WAIT: Duration = Duration::from_secs(5);

/// What a stop does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopPlan {
    /// Set the stop event first and give the pool half the grace to drain.
    pub stop_event_first: bool,
    /// The action of the stop (a signal to its target, or the stop event).
    pub action: Action,
    /// Follow a signal with SIGCONT to the group (a stopped process cannot
    /// act on SIGTERM).
    pub continue_after: bool,
    /// The grace period before escalation.
    pub grace: Duration,
}

impl StopPlan {
    /// `check`'s plan: only the chosen action, then escalation.
    pub fn action_only(action: Action, grace: Duration) -> Self {
        Self {
            stop_event_first: false,
            action,
            continue_after: false,
            grace,
        }
    }

    /// The full graceful stop (`g`, `q`) of a pool: stop event, then
    /// `signal` to `target` followed by SIGCONT.
    pub fn graceful(signal: Signal, target: Target, grace: Duration) -> Self {
        Self {
            stop_event_first: true,
            action: Action::Signal { signal, target },
            continue_after: true,
            grace,
        }
    }
}

/// Where the sequence is; each step holds its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Stop event set; waiting for the pool to drain.
    Draining(Instant),
    /// The action was performed; waiting for the rest of the grace.
    Signalled(Instant),
    /// SIGKILL sent to the group; waiting for its members to die.
    KillingGroup(Instant),
    /// Escapees killed by pidfd; waiting for the last statuses.
    Finishing(Instant),
    /// Nothing lives any more (or the last wait ran out).
    Done,
}

/// A stop in progress.
#[derive(Debug)]
pub struct StopSequence {
    plan: StopPlan,
    started: Instant,
    step: Step,
    leftovers: Vec<i32>,
}

impl StopSequence {
    /// Starts the stop: its first step happens now.
    pub fn start(
        run: &mut Run,
        protected: &Protected,
        plan: StopPlan,
    ) -> Result<Self, SignalError> {
        let started = Instant::now();
        let block = run
            .block()
            .filter(|_| plan.stop_event_first && plan.action != Action::StopEvent);
        let step = if let Some(block) = block {
            block.request_stop();
            run.watch
                .stop_requested(monotonic_ms(), "graceful stop: set the stop event");
            Step::Draining(started + plan.grace / 2)
        } else {
            match perform(run, protected, plan.action, plan.continue_after) {
                // The leader is gone but others may live (they left its
                // group, or were orphaned): the escalation still ends them.
                Err(SignalError::NoSuchTarget(target)) => {
                    let what = format!("stop request: {target} has already ended");
                    run.watch.stop_requested(monotonic_ms(), what);
                }
                other => other?,
            }
            Step::Signalled(started + plan.grace)
        };
        Ok(Self {
            plan,
            started,
            step,
            leftovers: Vec::new(),
        })
    }

    /// The current step.
    pub fn step(&self) -> Step {
        self.step
    }

    /// Pids that outlived the group's SIGKILL.
    pub fn leftovers(&self) -> &[i32] {
        &self.leftovers
    }

    /// Moves on when the pool has ended or the current step's time is up;
    /// returns true once done.
    pub fn advance(&mut self, run: &mut Run, protected: &Protected) -> bool {
        let now = Instant::now();
        if run.ended() {
            self.step = Step::Done;
        }
        self.step = match self.step {
            Step::Draining(until) if now >= until => {
                // The signal is the stop's second step; an error (the target
                // is gone) leaves the grace to run out.
                let _ = perform(run, protected, self.plan.action, self.plan.continue_after);
                Step::Signalled(self.started + self.plan.grace)
            }
            Step::Signalled(until) if now >= until => {
                kill_group(run, protected);
                Step::KillingGroup(now + GROUP_KILL_WAIT)
            }
            Step::KillingGroup(until) if now >= until || !group_alive(run) => {
                self.leftovers = kill_escapees(run, protected);
                Step::Finishing(now + FINAL_WAIT)
            }
            Step::Finishing(until) if now >= until => Step::Done,
            other => other,
        };
        self.step == Step::Done
    }

    /// Runs the sequence to its end, ticking the pool in between.
    pub fn run_to_end(&mut self, run: &mut Run, protected: &Protected) {
        while !self.advance(run, protected) {
            run.tick(Duration::from_millis(10), None);
        }
    }
}

/// Performs `action` on the pool and records it as the stop request.
fn perform(
    run: &mut Run,
    protected: &Protected,
    action: Action,
    continue_after: bool,
) -> Result<(), SignalError> {
    let leader = run
        .leader()
        .ok_or_else(|| SignalError::NoSuchTarget("the leader".into()))?;
    let group = run.group().unwrap_or(leader);
    // Taken before the signal: what it ends, the keeper may reap and
    // report before the send returns.
    let at = monotonic_ms();
    let words = match action {
        Action::StopEvent => {
            let block = run.block().ok_or_else(|| {
                SignalError::Refused("the stop event exists only in the built-in pool".into())
            })?;
            block.request_stop();
            "set the stop event".to_string()
        }
        Action::Signal {
            signal,
            target: Target::Leader,
        } => {
            let pidfd = run
                .pidfd(leader)
                .ok_or_else(|| SignalError::NoSuchTarget(format!("pid {leader}")))?;
            signal_process(protected, pidfd, signal)?;
            format!("{} to the leader ({leader})", signal.name())
        }
        Action::Signal {
            signal,
            target: Target::Group,
        } => {
            let delivery = run.signal_group(protected, signal)?;
            format!(
                "{} to process group {group}{}",
                signal.name(),
                how(&delivery)
            )
        }
    };
    run.watch.stop_requested(at, words);
    if continue_after
        && action != Action::StopEvent
        && run.signal_group(protected, Signal::CONT).is_ok()
    {
        let note =
            format!("SIGCONT to process group {group}: a stopped process cannot act on the signal");
        run.watch
            .log(monotonic_ms(), crate::watch::model::Actor::Sigtree, note);
    }
    Ok(())
}

fn kill_group(run: &mut Run, protected: &Protected) {
    let Some(group) = run.group() else { return };
    // Taken before the signal, as in `perform`.
    let at = monotonic_ms();
    let delivery = run.signal_group(protected, Signal::KILL);
    let what = match delivery {
        Ok(delivery) => format!(
            "grace period over: SIGKILL to process group {group}{}",
            how(&delivery)
        ),
        Err(error) => format!("grace period over: SIGKILL to process group {group}: {error}"),
    };
    run.watch.escalated(at, what);
}

/// Words for how a group signal was delivered, when not the usual way.
pub fn how(delivery: &GroupDelivery) -> String {
    match delivery {
        GroupDelivery::LeaderPidfd => String::new(),
        other => format!(" ({other})"),
    }
}

fn group_alive(run: &Run) -> bool {
    let group = run.group();
    run.watch
        .processes()
        .values()
        .any(|p| !p.has_ended() && Some(p.seen.pgid) == group)
}

/// SIGKILL by pidfd to every observed process still alive: they left the
/// group. Returns their pids.
fn kill_escapees(run: &mut Run, protected: &Protected) -> Vec<i32> {
    let leftovers = run.watch.alive();
    for &pid in &leftovers {
        if let Some(pidfd) = run.pidfd(pid) {
            let _ = signal_process(protected, pidfd, Signal::KILL);
        }
        run.watch.leaked(monotonic_ms(), pid);
    }
    leftovers
}

/// Ticks the pool until `done` says so or `timeout` passes; true if done.
pub fn wait_until(run: &mut Run, timeout: Duration, done: impl Fn(&Run) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        run.tick(
            Duration::from_millis(10).min(deadline.saturating_duration_since(Instant::now())),
            None,
        );
        if done(run) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
    }
}
