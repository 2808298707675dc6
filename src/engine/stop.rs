//! The stop sequence as a state machine, advanced by whoever drives the
//! loop (`check` blocking, the TUI between frames): stop event (pool only)
//! → up to half the grace → the stop signal, then SIGCONT to the group → the
//! rest of the grace → SIGKILL to the group → SIGKILL by pidfd to every
//! observed process still alive → until nothing lives. `check` runs the same
//! machine with its one action and no SIGCONT. Attached, every group step
//! acts on the attached subtree by pidfd, never on the group by number.
//! Each step is a timeline event.

use std::time::{Duration, Instant};

use super::events::wait_for_news;
use super::reach::{Recipients, describe, send_to};
use super::target::{Protected, SignalError, signal_process};
use crate::engine::session::Session;
use crate::signal::sigset::Signal;
use crate::sys::monotonic_ms;
use crate::watch::action::{Action, Target};
use crate::watch::cause::{Act, By, StopStep};

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
        run: &mut Session,
        protected: &Protected,
        plan: StopPlan,
    ) -> Result<Self, SignalError> {
        let started = Instant::now();
        let block = run.block().filter(|_| drains_first(run, &plan));
        let step = if let Some(block) = block {
            let at = monotonic_ms();
            block.request_stop();
            run.watch
                .acted(Act::stop_event(at, By::Stop(StopStep::StopEvent)));
            run.watch
                .stop_requested(at, "graceful stop: set the stop event");
            Step::Draining(started + plan.grace / 2)
        } else {
            match perform(run, protected, &plan) {
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

    /// When the current step's time is up (none once done): the
    /// deadline a front end waits for.
    pub fn deadline(&self) -> Option<Instant> {
        self.step.until()
    }

    /// Moves on when the run has ended or the current step's time is up,
    /// doing what the next step does; returns true once done.
    pub fn advance(&mut self, run: &mut Session, protected: &Protected) -> bool {
        let now = Instant::now();
        let (step, to_do) = self.next(now, run.ended(), || scope_alive(run));
        match to_do {
            // The signal is the stop's second step; an error (the target
            // is gone) leaves the grace to run out.
            Move::Perform => drop(perform(run, protected, &self.plan)),
            Move::KillGroup => kill_group(run, protected),
            Move::KillEscapees => self.leftovers = kill_escapees(run, protected),
            Move::Nothing => {}
        }
        self.step = step;
        self.step == Step::Done
    }

    /// The step after the current one at `now`, and what moving to it
    /// does: pure, so that the machine is tested with a made-up clock.
    fn next(&self, now: Instant, ended: bool, scope_alive: impl FnOnce() -> bool) -> (Step, Move) {
        if ended {
            return (Step::Done, Move::Nothing);
        }
        match self.step {
            Step::Draining(until) if now >= until => (
                Step::Signalled(self.started + self.plan.grace),
                Move::Perform,
            ),
            Step::Signalled(until) if now >= until => {
                (Step::KillingGroup(now + GROUP_KILL_WAIT), Move::KillGroup)
            }
            Step::KillingGroup(until) if now >= until || !scope_alive() => {
                (Step::Finishing(now + FINAL_WAIT), Move::KillEscapees)
            }
            Step::Finishing(until) if now >= until => (Step::Done, Move::Nothing),
            other => (other, Move::Nothing),
        }
    }

    /// Runs the sequence to its end: woken by the run's news and by the
    /// current step's deadline, never by a polling interval.
    pub fn run_to_end(&mut self, run: &mut Session, protected: &Protected) {
        while !self.advance(run, protected) {
            wait_for_news(run, self.deadline().unwrap_or_else(Instant::now), None);
        }
    }
}

/// What moving to the next step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    /// The plan's action (after the drain).
    Perform,
    /// SIGKILL to the group (attached: the subtree).
    KillGroup,
    /// SIGKILL by pidfd to every judged process still alive.
    KillEscapees,
    /// Nothing.
    Nothing,
}

impl Step {
    /// When this step's time is up; none once done.
    pub fn until(self) -> Option<Instant> {
        match self {
            Step::Draining(at)
            | Step::Signalled(at)
            | Step::KillingGroup(at)
            | Step::Finishing(at) => Some(at),
            Step::Done => None,
        }
    }
}

/// Whether the stop starts with the stop event (the pool's), its signals
/// coming after half the grace.
fn drains_first(run: &Session, plan: &StopPlan) -> bool {
    run.block().is_some() && plan.stop_event_first && plan.action != Action::StopEvent
}

/// Who a stop's signal to `target` goes to: the leader alone, or the
/// group — attached, the attached subtree by pidfd, never the group.
pub fn recipients(run: &Session, target: Target) -> Option<Recipients> {
    Some(aim(target, run.leader()?, run.attached()))
}

/// [`recipients`] for a run led by `leader` (the attached process when
/// `attached`).
fn aim(target: Target, leader: i32, attached: bool) -> Recipients {
    match target {
        Target::Leader => Recipients::Process(leader),
        Target::Group if attached => Recipients::Subtree(leader),
        Target::Group => Recipients::Group,
    }
}

/// The signals the stop sends when it acts, in order, with their
/// recipients: its action's signal, then SIGCONT when the plan says so.
fn signals(run: &Session, plan: &StopPlan) -> Vec<(Signal, Recipients)> {
    run.leader()
        .map(|leader| planned(plan, leader, run.attached()))
        .unwrap_or_default()
}

/// [`signals`] for a run led by `leader` (the attached process when
/// `attached`).
fn planned(plan: &StopPlan, leader: i32, attached: bool) -> Vec<(Signal, Recipients)> {
    let Action::Signal { signal, target } = plan.action else {
        return Vec::new();
    };
    let mut signals = vec![(signal, aim(target, leader, attached))];
    if plan.continue_after {
        signals.push((Signal::CONT, aim(Target::Group, leader, attached)));
    }
    signals
}

/// The signals the stop sends the moment it starts (none when it sets the
/// stop event first): what a question before the stop lists.
pub fn signals_now(run: &Session, plan: &StopPlan) -> Vec<(Signal, Recipients)> {
    if drains_first(run, plan) {
        Vec::new()
    } else {
        signals(run, plan)
    }
}

/// Performs the plan's action on the run and records it as the stop
/// request; then SIGCONT, when the plan says so.
fn perform(run: &mut Session, protected: &Protected, plan: &StopPlan) -> Result<(), SignalError> {
    if plan.action == Action::StopEvent {
        let block = run.block().ok_or_else(|| {
            SignalError::Refused("the stop event exists only in the built-in pool".into())
        })?;
        let at = monotonic_ms();
        block.request_stop();
        run.watch
            .acted(Act::stop_event(at, By::Stop(StopStep::Action)));
        run.watch
            .stop_requested(at, "set the stop event".to_string());
        return Ok(());
    }
    let mut signals = signals(run, plan).into_iter();
    let (signal, first) = signals
        .next()
        .ok_or_else(|| SignalError::NoSuchTarget("the leader".into()))?;
    // Taken before the signal: what it ends, the keeper may reap and
    // report before the send returns.
    let at = monotonic_ms();
    let sent = send_to(run, protected, signal, first, By::Stop(StopStep::Action))?;
    let words = format!(
        "{} to {}{}",
        signal.name(),
        describe(run, first),
        sent.how()
    );
    run.watch.stop_requested(at, words);
    for (signal, to) in signals {
        if send_to(run, protected, signal, to, By::Stop(StopStep::Continue)).is_ok() {
            let note = format!(
                "{} to {}: a stopped process cannot act on the signal",
                signal.name(),
                describe(run, to)
            );
            run.watch
                .log(monotonic_ms(), crate::watch::model::Actor::Sigtree, note);
        }
    }
    Ok(())
}

/// SIGKILL to the group (attached: the attached subtree, by pidfd).
fn kill_group(run: &mut Session, protected: &Protected) {
    let Some(scope) = recipients(run, Target::Group) else {
        return;
    };
    // Taken before the signal, as in `perform`.
    let at = monotonic_ms();
    let by = By::Stop(StopStep::Escalation);
    let what = match send_to(run, protected, Signal::KILL, scope, by) {
        Ok(sent) => format!(
            "grace period over: SIGKILL to {}{}",
            describe(run, scope),
            sent.how()
        ),
        Err(error) => {
            // The step happened and reached nobody: what is still alive
            // after it leaked after it.
            run.watch
                .acted(Act::signal(at, Signal::KILL, by, Vec::new()));
            format!(
                "grace period over: SIGKILL to {}: {error}",
                describe(run, scope)
            )
        }
    };
    run.watch.escalated(at, what);
}

/// Whether anything the group's SIGKILL was for still lives (attached:
/// the attached subtree).
fn scope_alive(run: &Session) -> bool {
    let group = run.group();
    run.watch
        .processes()
        .values()
        .any(|p| !p.has_ended() && !p.outside && (run.attached() || Some(p.seen.pgid) == group))
}

/// SIGKILL by pidfd to every observed process still alive: they left the
/// group (attached: the group's other members are never stopped). Returns
/// their pids.
fn kill_escapees(run: &mut Session, protected: &Protected) -> Vec<i32> {
    let leftovers = run.watch.judged_alive();
    for &pid in &leftovers {
        let at_ms = monotonic_ms();
        if let Some(pidfd) = run.pidfd(pid)
            && signal_process(protected, pidfd, Signal::KILL).is_ok()
        {
            let by = By::Stop(StopStep::Escapees);
            run.watch
                .acted(Act::signal(at_ms, Signal::KILL, by, vec![pid]));
        }
        run.watch.leaked(at_ms, pid);
    }
    leftovers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(signal: Signal, target: Target, continue_after: bool) -> StopPlan {
        StopPlan {
            stop_event_first: false,
            action: Action::Signal { signal, target },
            continue_after,
            grace: Duration::from_secs(5),
        }
    }

    #[test]
    fn attached_every_group_step_goes_to_the_attached_subtree() {
        let signals = planned(&plan(Signal::TERM, Target::Leader, true), 40, true);
        assert_eq!(
            signals,
            [
                (Signal::TERM, Recipients::Process(40)),
                (Signal::CONT, Recipients::Subtree(40))
            ]
        );
        let group = planned(&plan(Signal::INT, Target::Group, false), 40, true);
        assert_eq!(group, [(Signal::INT, Recipients::Subtree(40))]);
    }

    #[test]
    fn a_started_run_stops_its_group() {
        let signals = planned(&plan(Signal::HUP, Target::Group, true), 40, false);
        assert_eq!(
            signals,
            [
                (Signal::HUP, Recipients::Group),
                (Signal::CONT, Recipients::Group)
            ]
        );
        let stop_event = StopPlan {
            action: Action::StopEvent,
            ..plan(Signal::TERM, Target::Leader, true)
        };
        assert!(planned(&stop_event, 40, false).is_empty());
    }

    /// A sequence at `step` of a plan with `grace`, started at `started`.
    fn at(step: Step, started: Instant, grace: Duration) -> StopSequence {
        StopSequence {
            plan: StopPlan {
                grace,
                ..plan(Signal::TERM, Target::Group, true)
            },
            started,
            step,
            leftovers: Vec::new(),
        }
    }

    #[test]
    fn each_step_acts_exactly_when_its_deadline_comes() {
        let t0 = Instant::now();
        let grace = Duration::from_secs(4);
        let ms = Duration::from_millis;
        let draining = at(Step::Draining(t0 + grace / 2), t0, grace);
        assert_eq!(draining.deadline(), Some(t0 + ms(2000)));
        let early = draining.next(t0 + ms(1999), false, || true);
        assert_eq!(early, (Step::Draining(t0 + ms(2000)), Move::Nothing));
        let due = draining.next(t0 + ms(2000), false, || true);
        assert_eq!(due, (Step::Signalled(t0 + grace), Move::Perform));

        let signalled = at(Step::Signalled(t0 + grace), t0, grace);
        let early = signalled.next(t0 + ms(3999), false, || true);
        assert_eq!(early.1, Move::Nothing);
        let late = t0 + ms(4001);
        let due = signalled.next(late, false, || true);
        assert_eq!(
            due,
            (Step::KillingGroup(late + GROUP_KILL_WAIT), Move::KillGroup)
        );

        let killing = at(Step::KillingGroup(late + GROUP_KILL_WAIT), t0, grace);
        let waiting = killing.next(late + ms(10), false, || true);
        assert_eq!(waiting.1, Move::Nothing);
        let emptied = killing.next(late + ms(10), false, || false);
        assert_eq!(
            emptied,
            (
                Step::Finishing(late + ms(10) + FINAL_WAIT),
                Move::KillEscapees
            )
        );
        let timed_out = killing.next(late + GROUP_KILL_WAIT, false, || true);
        assert_eq!(timed_out.1, Move::KillEscapees);

        let finishing = at(Step::Finishing(late + FINAL_WAIT), t0, grace);
        assert_eq!(
            finishing.next(late + FINAL_WAIT, false, || true),
            (Step::Done, Move::Nothing)
        );
        assert_eq!(at(Step::Done, t0, grace).deadline(), None);
    }

    #[test]
    fn a_run_that_ended_ends_the_stop_at_any_step() {
        let t0 = Instant::now();
        let grace = Duration::from_secs(5);
        for step in [
            Step::Draining(t0 + grace),
            Step::Signalled(t0 + grace),
            Step::KillingGroup(t0 + grace),
            Step::Finishing(t0 + grace),
        ] {
            let stop = at(step, t0, grace);
            assert_eq!(stop.next(t0, true, || true), (Step::Done, Move::Nothing));
        }
    }
}
