//! The stop sequence as a state machine, advanced by whoever drives the
//! loop (`check` blocking, the TUI between frames): stop event (pool only)
//! → up to half the grace → the stop signal, then SIGCONT to the group → the
//! rest of the grace → SIGKILL to the group → SIGKILL by pidfd to every
//! observed process still alive → until nothing lives. `check` runs the same
//! machine with its one action and no SIGCONT. A runtime's policy (see
//! [`super::policy`]) runs on the same machine: its first signal to its
//! recipients, its wait, its escalation if it has one, and the moment the
//! runtime would call the stop done — what is alive then is leaked (or, for
//! a pid namespace's PID 1, killed by the teardown). Containment is the
//! kernel's where the session got it (a pid namespace: the signal is sent,
//! the kernel drops or acts on it, and tears the namespace down; under
//! tini, its PID 1 is sigtree's init, which gets the signals and forwards;
//! a cgroup: its listed processes, cgroup.kill, cgroup.events), else
//! emulated: a cgroup is the leader's subtree by pidfd, tini's forwarding
//! is sigtree's own send, and a signal PID 1 of a pid namespace would drop
//! (no handler) is withheld and said so.
//! Attached, every group step acts on the attached subtree by pidfd, never
//! on the group by number. Each step is a timeline event.

use std::time::{Duration, Instant};

use super::events::wait_for_news;
use super::policy::{Containment, Done, Policy, PolicyPlan, Reach};
use super::reach::{Recipients, describe, send_to};
use super::target::{Protected, SignalError, signal_process};
use crate::engine::session::Session;
use crate::signal::sigset::Signal;
use crate::sys::monotonic_ms;
use crate::sys::wait::Ending;
use crate::watch::action::{Action, Target};
use crate::watch::cause::{Act, By, StopStep};

/// The grace period when neither `--grace` nor a policy gives one.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

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
    /// A runtime's policy, when the stop reproduces one (its first signal,
    /// SIGCONT and grace are then the fields above).
    pub runtime: Option<PolicyPlan>,
}

impl StopPlan {
    /// `check`'s plan: only the chosen action, then escalation.
    pub fn action_only(action: Action, grace: Duration) -> Self {
        Self {
            stop_event_first: false,
            action,
            continue_after: false,
            grace,
            runtime: None,
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
            runtime: None,
        }
    }

    /// The stop a runtime's policy would do.
    pub fn policy(policy: PolicyPlan) -> Self {
        let (signal, reach) = policy.first;
        let target = match reach {
            Reach::Leader | Reach::Pid1 | Reach::ThroughInit { group: false } => Target::Leader,
            Reach::Group | Reach::Cgroup | Reach::ThroughInit { group: true } => Target::Group,
        };
        Self {
            stop_event_first: policy.stop_event_first,
            action: Action::Signal { signal, target },
            continue_after: policy.continue_after,
            grace: policy.limit(),
            // sigtree's own policy is the machine's own sequence.
            runtime: (policy.policy != Policy::Sigtree).then_some(policy),
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
    /// The runtime would call the stop done, but processes its signal
    /// reached are dying of it (default action, not blocked): they are
    /// given until then to end before the rest counts as left.
    Settling(Instant),
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
    /// The kernel's teardown of the run's own pid namespace was recorded.
    torn_down: bool,
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
            torn_down: false,
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
        let runtime_done = match self.plan.runtime {
            Some(policy) => runtime_says_done(run, policy.done),
            None => false,
        };
        let leader_lives = leader_lives(run);
        let pid1_lives = pid1_lives(run);
        if !pid1_lives && run.in_pid_namespace() && !self.torn_down {
            // The kernel tore the namespace down as PID 1 ended, whatever
            // step the stop is at: what it killed is known before it is
            // judged.
            run.collect_now();
            kernel_teardown(run);
            self.torn_down = true;
        }
        let dying = runtime_done && self.dying(run);
        let seen = Seen {
            // tini's PID 1 exits after its child: its end is waited for.
            ended: run.ended() && (run.init().is_none() || !pid1_lives),
            runtime_done,
            leader_lives,
            dying,
        };
        let (step, to_do) = self.next(now, seen, || scope_alive(run));
        if self.plan.runtime.is_some() && matches!(to_do, Move::KillEscapees | Move::Teardown) {
            // What has already ended is known before anything is called
            // left: its pidfd and stat say so now, not at the next walk.
            run.collect_now();
        }
        match to_do {
            // The signal is the stop's second step; an error (the target
            // is gone) leaves the grace to run out.
            Move::Perform => drop(perform(run, protected, &self.plan)),
            Move::KillGroup => kill_group(run, protected, self.plan.runtime),
            Move::KillEscapees => {
                // Under a runtime, left when it called the stop done (or its
                // wait ran out); alive after an escalation, escapees.
                let escalated = matches!(self.step, Step::KillingGroup(_));
                let step = if self.plan.runtime.is_some() && (runtime_done || !escalated) {
                    StopStep::RuntimeDone
                } else {
                    StopStep::Escapees
                };
                self.leftovers = kill_escapees(run, protected, step);
            }
            // The kernel's own teardown was recorded as PID 1 ended.
            Move::Teardown if run.in_pid_namespace() => {}
            Move::Teardown => teardown(run, protected),
            Move::Nothing => {}
        }
        self.step = step;
        self.step == Step::Done
    }

    /// Whether a judged process still alive is dying of a signal the stop
    /// sent it: reached by it, and its disposition is the default, fatal
    /// one (read now from /proc; neither ignored, caught nor blocked).
    fn dying(&self, run: &mut Session) -> bool {
        let Action::Signal { signal, .. } = self.plan.action else {
            return false;
        };
        let reached: Vec<i32> = run
            .watch
            .judged_alive()
            .into_iter()
            .filter(|&pid| run.watch.was_sent(pid, signal))
            .collect();
        reached.into_iter().any(|pid| run.will_die_of(pid, signal))
    }

    /// The step after the current one at `now`, and what moving to it
    /// does: pure, so that the machine is tested with a made-up clock.
    fn next(&self, now: Instant, seen: Seen, scope_alive: impl FnOnce() -> bool) -> (Step, Move) {
        if seen.ended {
            return (Step::Done, Move::Nothing);
        }
        let runtime = self.plan.runtime;
        let over = || match runtime {
            Some(policy) if policy.containment_is_a_pid_namespace() => Move::Teardown,
            _ => Move::KillEscapees,
        };
        match self.step {
            // The runtime calls the stop done: what lives now is left (or
            // dies with its namespace).
            Step::Draining(_) | Step::Signalled(_) | Step::KillingGroup(_)
                if seen.runtime_done && seen.dying =>
            {
                (Step::Settling(now + FINAL_WAIT), Move::Nothing)
            }
            Step::Draining(_) | Step::Signalled(_) | Step::KillingGroup(_) if seen.runtime_done => {
                (Step::Finishing(now + FINAL_WAIT), over())
            }
            Step::Settling(until) if !seen.dying || now >= until => {
                (Step::Finishing(now + FINAL_WAIT), over())
            }
            Step::Draining(until) if now >= until => (
                Step::Signalled(self.started + self.plan.grace),
                Move::Perform,
            ),
            Step::Signalled(until) if now >= until => match runtime {
                None => (Step::KillingGroup(now + GROUP_KILL_WAIT), Move::KillGroup),
                Some(policy)
                    if policy.escalation.is_some()
                        && (seen.leader_lives || !policy.escalate_only_while_leader_lives) =>
                {
                    (Step::KillingGroup(now + GROUP_KILL_WAIT), Move::KillGroup)
                }
                Some(_) => (Step::Finishing(now + FINAL_WAIT), over()),
            },
            Step::KillingGroup(until) if now >= until || (runtime.is_none() && !scope_alive()) => {
                (Step::Finishing(now + FINAL_WAIT), over())
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
    /// SIGKILL by pidfd to every judged process still alive: leaked.
    KillEscapees,
    /// PID 1 of the (emulated) pid namespace is gone: SIGKILL by pidfd to
    /// every process still alive, killed by the teardown.
    Teardown,
    /// Nothing.
    Nothing,
}

/// What the machine needs to know of the run at a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    /// Nothing judged lives.
    ended: bool,
    /// The runtime would call the stop done now.
    runtime_done: bool,
    /// The leader lives.
    leader_lives: bool,
    /// A process still alive is dying of a signal the stop sent it.
    dying: bool,
}

/// Whether the leader is known and has not ended: one lookup, not a list
/// of every live process (this runs at each of the run's news).
fn leader_lives(run: &Session) -> bool {
    run.leader()
        .and_then(|leader| run.watch.processes().get(&leader))
        .is_some_and(|leader| !leader.has_ended())
}

/// Whether PID 1 of the run's (real or emulated) pid namespace lives:
/// sigtree's init when it plays tini's, else the leader.
fn pid1_lives(run: &mut Session) -> bool {
    if run.init().is_some() {
        run.init_lives()
    } else {
        leader_lives(run)
    }
}

/// Whether the runtime would call the stop done now (its rule, on what
/// sigtree sees: a cgroup is the run's watched processes).
fn runtime_says_done(run: &mut Session, done: Done) -> bool {
    let leader_ended = run.leader().is_some() && !leader_lives(run);
    match done {
        Done::Pid1Exits if run.init().is_some() => !run.init_lives(),
        Done::NothingLeft => run.ended(),
        // The kernel's word when the run has its own cgroup.
        Done::CgroupEmpty => run
            .cgroup()
            .map_or_else(|| run.ended(), |cgroup| !cgroup.populated().unwrap_or(true)),
        // honcho waits for the processes it started: one command, the leader.
        Done::AllStopped
        | Done::Pid1Exits
        | Done::LeaderReaped
        | Done::LeaderExits
        | Done::ProcessGoneOrWaitOver => leader_ended,
    }
}

impl Step {
    /// When this step's time is up; none once done.
    pub fn until(self) -> Option<Instant> {
        match self {
            Step::Draining(at)
            | Step::Signalled(at)
            | Step::KillingGroup(at)
            | Step::Settling(at)
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
    Shape::of(run)
        .map(|shape| planned(plan, shape))
        .unwrap_or_default()
}

/// What of a run decides who a stop's signals go to.
#[derive(Clone, Copy, Debug)]
struct Shape {
    /// The leader (the attached process when attached).
    leader: i32,
    /// The run watches a process sigtree did not start.
    attached: bool,
    /// The run has a cgroup of its own.
    cgroup: bool,
    /// The run's PID 1 is sigtree's init, playing tini.
    init: bool,
}

impl Shape {
    /// The shape of `run`, once its leader is known.
    fn of(run: &Session) -> Option<Self> {
        Some(Self {
            leader: run.leader()?,
            attached: run.attached(),
            cgroup: run.cgroup().is_some(),
            init: run.init().is_some(),
        })
    }
}

/// [`signals`] for a run of `shape`.
fn planned(plan: &StopPlan, shape: Shape) -> Vec<(Signal, Recipients)> {
    let Action::Signal { signal, target } = plan.action else {
        return Vec::new();
    };
    let (leader, attached) = (shape.leader, shape.attached);
    // A runtime sends SIGCONT where it sent its signal; sigtree to the group.
    let (first, cont) = match plan.runtime {
        Some(policy) => {
            let to = reach_of(policy.first.1, shape);
            (to, to)
        }
        None => (
            aim(target, leader, attached),
            aim(Target::Group, leader, attached),
        ),
    };
    let mut signals = vec![(signal, first)];
    if plan.continue_after {
        signals.push((Signal::CONT, cont));
    }
    signals
}

/// Who a runtime's signal to `reach` goes to in a run of `shape`: the run's
/// own cgroup when it has one, or, emulated, the leader's subtree, orphans
/// born in it included, by pidfd; tini's PID 1 when sigtree's init plays it
/// (it forwards), or, emulated, where tini forwards: its child (the leader)
/// or its group.
fn reach_of(reach: Reach, shape: Shape) -> Recipients {
    let Shape {
        leader, attached, ..
    } = shape;
    match reach {
        Reach::ThroughInit { .. } | Reach::Pid1 if shape.init => Recipients::Init,
        Reach::Leader | Reach::Pid1 | Reach::ThroughInit { group: false } => {
            Recipients::Process(leader)
        }
        Reach::Group | Reach::ThroughInit { group: true } => aim(Target::Group, leader, attached),
        Reach::Cgroup if shape.cgroup => Recipients::Cgroup,
        Reach::Cgroup => Recipients::Subtree(leader),
    }
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
    let to_pid1 = match (plan.runtime, first) {
        (Some(policy), Recipients::Process(leader))
            if policy.containment == Containment::PidNamespace =>
        {
            Some(leader)
        }
        _ => None,
    };
    let dropped = to_pid1.is_some_and(|leader| pid1_would_drop(run, leader, signal));
    if let Some(leader) = to_pid1.filter(|_| dropped && !run.in_pid_namespace()) {
        let at = monotonic_ms();
        let words = format!(
            "{} to PID 1 ({leader}) withheld: {} (emulated: no pid namespace)",
            signal.name(),
            "the init of a pid namespace ignores a signal it has no handler for"
        );
        run.watch.stop_requested(at, words);
        return Ok(());
    }
    // Taken before the signal: what it ends, the keeper may reap and
    // report before the send returns.
    let at = monotonic_ms();
    let sent = send_to(run, protected, signal, first, By::Stop(StopStep::Action))?;
    let dropped = if dropped {
        ": the kernel drops it (PID 1 of its own pid namespace, no handler for it)"
    } else {
        ""
    };
    let words = format!(
        "{} to {}{}{dropped}",
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

/// Whether the kernel would drop `signal` sent to `leader` as PID 1 of a
/// pid namespace: neither SIGKILL nor SIGSTOP, and no handler for it.
fn pid1_would_drop(run: &mut Session, leader: i32, signal: Signal) -> bool {
    if signal == Signal::KILL || signal == Signal::STOP {
        return false;
    }
    run.read_caught(&[leader]);
    run.watch
        .processes()
        .get(&leader)
        .and_then(|process| process.caught)
        .is_some_and(|caught| !caught.contains(signal))
}

/// The escalation: SIGKILL to the group (attached: the attached subtree,
/// by pidfd), or to the runtime's recipients.
fn kill_group(run: &mut Session, protected: &Protected, runtime: Option<PolicyPlan>) {
    let Some(shape) = Shape::of(run) else {
        return;
    };
    let (signal, scope) = match runtime.and_then(|policy| policy.escalation) {
        Some((signal, reach)) => (signal, reach_of(reach, shape)),
        None => (
            Signal::KILL,
            aim(Target::Group, shape.leader, shape.attached),
        ),
    };
    // Taken before the signal, as in `perform`.
    let at = monotonic_ms();
    let by = By::Stop(StopStep::Escalation);
    let what = match send_to(run, protected, signal, scope, by) {
        Ok(sent) => format!(
            "grace period over: {} to {}{}",
            signal.name(),
            describe(run, scope),
            sent.how()
        ),
        Err(error) => {
            // The step happened and reached nobody: what is still alive
            // after it leaked after it.
            run.watch.acted(Act::signal(at, signal, by, Vec::new()));
            format!(
                "grace period over: {} to {}: {error}",
                signal.name(),
                describe(run, scope)
            )
        }
    };
    run.watch.escalated(at, what);
}

/// PID 1 of the pid namespace is gone (emulated containment): its
/// teardown SIGKILLs every process left, by pidfd; they are killed, not
/// leaked.
fn teardown(run: &mut Session, protected: &Protected) {
    let left = run.watch.judged_alive();
    let at = monotonic_ms();
    let mut reached = Vec::new();
    for &pid in &left {
        if let Some(pidfd) = run.pidfd(pid)
            && signal_process(protected, pidfd, Signal::KILL).is_ok()
        {
            reached.push(pid);
        }
    }
    let by = By::Stop(StopStep::Teardown);
    run.watch.acted(Act::signal(at, Signal::KILL, by, reached));
    if !left.is_empty() {
        run.watch.escalated(
            at,
            format!(
                "PID 1 exited: the pid namespace's teardown (emulated) SIGKILLs {}",
                crate::text::pid_list(&left)
            ),
        );
    }
}

/// PID 1 of the run's own pid namespace is gone: the kernel SIGKILLs
/// every other process in it (pid_namespaces(7)), and sigtree sends
/// nothing. Every judged process but PID 1 (the leader, unless sigtree's
/// init plays tini's PID 1, never judged) lived in it: orphans there go to
/// its PID 1, not to the keeper. The kernel kills them before PID 1's own
/// end completes, so the teardown came no later than the first of their
/// SIGKILL deaths since the stop request, nor than PID 1's end.
fn kernel_teardown(run: &mut Session) {
    let (pid1, pid1_end) = match (run.init(), run.leader()) {
        (Some(init), _) => (None, init.ended_at),
        (None, Some(leader)) => (
            Some(leader),
            run.watch.processes().get(&leader).and_then(|p| p.ended_at),
        ),
        (None, None) => return,
    };
    let processes = run.watch.processes();
    let members = || {
        processes
            .values()
            .filter(move |p| !p.outside && Some(p.seen.pid) != pid1)
    };
    let killed_since_stop = members()
        .filter(|p| matches!(p.ending, Some((Ending::Signaled(libc::SIGKILL), _))))
        .filter_map(|p| p.ended_at)
        .filter(|&end| run.watch.since_stop(end).is_some_and(|ms| ms >= 0));
    let at = pid1_end
        .into_iter()
        .chain(killed_since_stop)
        .min()
        .unwrap_or_else(monotonic_ms);
    // Its SIGKILL reached what lived then; an end seen later but known to
    // be another (a SIGTERM that tini -g forwarded just before) was not its.
    let reached: Vec<i32> = members()
        .filter(|p| p.first_seen_ms <= at && p.ended_at.is_none_or(|end| end >= at))
        .filter(|p| {
            p.ending
                .is_none_or(|(ending, _)| ending == Ending::Signaled(libc::SIGKILL))
        })
        .map(|p| p.seen.pid)
        .collect();
    let by = By::Stop(StopStep::KernelTeardown);
    run.watch
        .acted(Act::signal(at, Signal::KILL, by, reached.clone()));
    if !reached.is_empty() {
        run.watch.escalated(
            at,
            format!(
                "PID 1 exited: the kernel's pid namespace teardown SIGKILLs {}",
                crate::text::pid_list(&reached)
            ),
        );
    }
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
fn kill_escapees(run: &mut Session, protected: &Protected, step: StopStep) -> Vec<i32> {
    let leftovers = run.watch.judged_alive();
    if step == StopStep::RuntimeDone && !leftovers.is_empty() {
        // The moment the runtime would report done: what lives leaked then.
        let at_ms = monotonic_ms();
        run.watch
            .acted(Act::signal(at_ms, Signal::KILL, By::Stop(step), Vec::new()));
        run.watch.log(
            at_ms,
            crate::watch::model::Actor::Sigtree,
            format!(
                "the runtime would report the stop done now; still alive: {}",
                crate::text::pid_list(&leftovers)
            ),
        );
    }
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
            runtime: None,
            grace: Duration::from_secs(5),
        }
    }

    /// A run led by 40 (attached to 40 when `attached`), without a cgroup
    /// or an init.
    fn shape(attached: bool) -> Shape {
        Shape {
            leader: 40,
            attached,
            cgroup: false,
            init: false,
        }
    }

    #[test]
    fn attached_every_group_step_goes_to_the_attached_subtree() {
        let signals = planned(&plan(Signal::TERM, Target::Leader, true), shape(true));
        assert_eq!(
            signals,
            [
                (Signal::TERM, Recipients::Process(40)),
                (Signal::CONT, Recipients::Subtree(40))
            ]
        );
        let group = planned(&plan(Signal::INT, Target::Group, false), shape(true));
        assert_eq!(group, [(Signal::INT, Recipients::Subtree(40))]);
    }

    #[test]
    fn a_started_run_stops_its_group() {
        let signals = planned(&plan(Signal::HUP, Target::Group, true), shape(false));
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
        assert!(planned(&stop_event, shape(false)).is_empty());
    }

    /// The run as a step sees it: something lives, the runtime is not done.
    fn running() -> Seen {
        Seen {
            ended: false,
            runtime_done: false,
            leader_lives: true,
            dying: false,
        }
    }

    /// The run as a step sees it: nothing judged lives.
    fn ended() -> Seen {
        Seen {
            ended: true,
            ..running()
        }
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
            torn_down: false,
        }
    }

    #[test]
    fn each_step_acts_exactly_when_its_deadline_comes() {
        let t0 = Instant::now();
        let grace = Duration::from_secs(4);
        let ms = Duration::from_millis;
        let draining = at(Step::Draining(t0 + grace / 2), t0, grace);
        assert_eq!(draining.deadline(), Some(t0 + ms(2000)));
        let early = draining.next(t0 + ms(1999), running(), || true);
        assert_eq!(early, (Step::Draining(t0 + ms(2000)), Move::Nothing));
        let due = draining.next(t0 + ms(2000), running(), || true);
        assert_eq!(due, (Step::Signalled(t0 + grace), Move::Perform));

        let signalled = at(Step::Signalled(t0 + grace), t0, grace);
        let early = signalled.next(t0 + ms(3999), running(), || true);
        assert_eq!(early.1, Move::Nothing);
        let late = t0 + ms(4001);
        let due = signalled.next(late, running(), || true);
        assert_eq!(
            due,
            (Step::KillingGroup(late + GROUP_KILL_WAIT), Move::KillGroup)
        );

        let killing = at(Step::KillingGroup(late + GROUP_KILL_WAIT), t0, grace);
        let waiting = killing.next(late + ms(10), running(), || true);
        assert_eq!(waiting.1, Move::Nothing);
        let emptied = killing.next(late + ms(10), running(), || false);
        assert_eq!(
            emptied,
            (
                Step::Finishing(late + ms(10) + FINAL_WAIT),
                Move::KillEscapees
            )
        );
        let timed_out = killing.next(late + GROUP_KILL_WAIT, running(), || true);
        assert_eq!(timed_out.1, Move::KillEscapees);

        let finishing = at(Step::Finishing(late + FINAL_WAIT), t0, grace);
        assert_eq!(
            finishing.next(late + FINAL_WAIT, running(), || true),
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
            assert_eq!(stop.next(t0, ended(), || true), (Step::Done, Move::Nothing));
        }
    }

    /// A sequence of `policy` at `step`.
    fn under(policy: Policy, step: Step, t0: Instant) -> StopSequence {
        let plan = StopPlan::policy(policy.plan(None, Duration::from_secs(5)));
        StopSequence {
            plan,
            started: t0,
            step,
            leftovers: Vec::new(),
            torn_down: false,
        }
    }

    #[test]
    fn a_runtime_that_calls_the_stop_done_leaks_the_rest_or_tears_its_namespace_down() {
        let t0 = Instant::now();
        let done = Seen {
            runtime_done: true,
            ..running()
        };
        let later = t0 + Duration::from_millis(5);
        let step = Step::Signalled(t0 + Duration::from_secs(10));
        let supervisord = under(Policy::Supervisord, step, t0);
        assert_eq!(
            supervisord.next(later, done, || true),
            (Step::Finishing(later + FINAL_WAIT), Move::KillEscapees)
        );
        let docker = under(Policy::Docker, step, t0);
        assert_eq!(
            docker.next(later, done, || true),
            (Step::Finishing(later + FINAL_WAIT), Move::Teardown)
        );
        assert_eq!(
            docker.next(later, running(), || true),
            (step, Move::Nothing)
        );
    }

    #[test]
    fn a_runtime_escalates_only_as_it_would() {
        let t0 = Instant::now();
        let at = t0 + Duration::from_secs(60);
        let step = Step::Signalled(t0);
        // runit never escalates: at the end of its wait, the rest is left.
        let runit = under(Policy::Runit, step, t0);
        assert_eq!(runit.next(at, running(), || true).1, Move::KillEscapees);
        // process-compose escalates only with a timeout, only while the
        // leader lives.
        let plan = Policy::ProcessCompose.plan(Some(Duration::from_secs(1)), Duration::ZERO);
        let compose = StopSequence {
            plan: StopPlan::policy(plan),
            started: t0,
            step,
            leftovers: Vec::new(),
            torn_down: false,
        };
        assert_eq!(compose.next(at, running(), || true).1, Move::KillGroup);
        let leader_gone = Seen {
            leader_lives: false,
            ..running()
        };
        assert_eq!(compose.next(at, leader_gone, || true).1, Move::KillEscapees);
        // supervisord escalates to its SIGKILL at the grace.
        let supervisord = under(Policy::Supervisord, step, t0);
        assert_eq!(supervisord.next(at, running(), || true).1, Move::KillGroup);
    }

    #[test]
    fn s6_sends_sigterm_then_sigcont_to_the_process() {
        let plan = StopPlan::policy(Policy::S6.plan(None, Duration::from_secs(5)));
        assert_eq!(
            planned(&plan, shape(false)),
            [
                (Signal::TERM, Recipients::Process(40)),
                (Signal::CONT, Recipients::Process(40))
            ]
        );
        let systemd = StopPlan::policy(Policy::Systemd.plan(None, Duration::from_secs(5)));
        assert_eq!(
            planned(&systemd, shape(false)),
            [
                (Signal::TERM, Recipients::Subtree(40)),
                (Signal::CONT, Recipients::Subtree(40))
            ]
        );
    }

    #[test]
    fn tini_signals_its_init_or_emulated_where_it_forwards() {
        let with_init = Shape {
            init: true,
            ..shape(false)
        };
        for policy in [Policy::Tini, Policy::TiniG] {
            let plan = policy.plan(None, Duration::from_secs(5));
            let stop = StopPlan::policy(plan);
            // TERM to PID 1, which forwards; KILL to PID 1, whose end tears
            // the namespace down.
            assert_eq!(
                planned(&stop, with_init),
                [(Signal::TERM, Recipients::Init)]
            );
            let escalation = plan
                .escalation
                .map(|(signal, reach)| (signal, reach_of(reach, with_init)));
            assert_eq!(escalation, Some((Signal::KILL, Recipients::Init)));
            // Emulated (no init): where tini would forward, and KILL to the
            // leader as PID 1.
            let forwarded = if policy == Policy::TiniG {
                Recipients::Group
            } else {
                Recipients::Process(40)
            };
            assert_eq!(planned(&stop, shape(false)), [(Signal::TERM, forwarded)]);
            let escalation = plan
                .escalation
                .map(|(signal, reach)| (signal, reach_of(reach, shape(false))));
            assert_eq!(escalation, Some((Signal::KILL, Recipients::Process(40))));
        }
    }
}
