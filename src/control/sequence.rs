//! The stop sequence's steps on a running pool: perform an action, wait,
//! escalate (SIGKILL to the group, then by pidfd to every descendant still
//! alive). Each step becomes an event in the timeline.

use std::time::{Duration, Instant};

use super::action::{Action, Target};
use super::target::{Protected, SignalError, signal_group, signal_process};
use crate::pool::run::PoolRun;
use crate::procfs::sigset::Signal;
use crate::sys::monotonic_ms;

/// How often the pool is looked at while waiting.
const TICK: Duration = Duration::from_millis(10);

/// Performs `action` on the pool and records it as the stop request.
pub fn perform(
    run: &mut PoolRun,
    protected: &Protected,
    action: Action,
) -> Result<(), SignalError> {
    let master = run
        .master()
        .ok_or_else(|| SignalError::NoSuchTarget("the pool's master".into()))?;
    let words = match action {
        Action::StopEvent => {
            run.block().request_stop();
            "set the stop event".to_string()
        }
        Action::Signal {
            signal,
            target: Target::Leader,
        } => {
            let pidfd = run
                .pidfd(master)
                .ok_or_else(|| SignalError::NoSuchTarget(format!("pid {master}")))?;
            signal_process(protected, pidfd, signal)?;
            format!("{} to the master ({master})", signal.name())
        }
        Action::Signal {
            signal,
            target: Target::Group,
        } => {
            signal_group(protected, master, signal)?;
            format!("{} to process group {master}", signal.name())
        }
    };
    run.watch.stop_requested(monotonic_ms(), words);
    Ok(())
}

/// Ticks the pool until `done` says so or `timeout` passes; true if done.
pub fn wait_until(run: &mut PoolRun, timeout: Duration, done: impl Fn(&PoolRun) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        run.tick(TICK.min(deadline.saturating_duration_since(Instant::now())));
        if done(run) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
    }
}

/// SIGKILL to the group; once its members are gone, SIGKILL by pidfd to
/// every observed process still alive (they left the group: leaked).
/// Returns the pids that leaked.
pub fn escalate(run: &mut PoolRun, protected: &Protected) -> Vec<i32> {
    let Some(master) = run.master() else {
        return Vec::new();
    };
    run.watch.escalated(
        monotonic_ms(),
        format!("grace period over: SIGKILL to process group {master}"),
    );
    let _ = signal_group(protected, master, Signal::KILL);
    let in_group = |run: &PoolRun| {
        run.watch
            .processes()
            .values()
            .any(|p| !p.has_ended() && p.seen.pgid == master)
    };
    wait_until(run, Duration::from_secs(2), |run| !in_group(run));

    let leftovers = run.watch.alive();
    for &pid in &leftovers {
        if let Some(pidfd) = run.pidfd(pid) {
            let _ = signal_process(protected, pidfd, Signal::KILL);
        }
        run.watch.leaked(monotonic_ms(), pid);
    }
    leftovers
}
