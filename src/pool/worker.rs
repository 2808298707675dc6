//! A worker: takes tasks from the shared queue until it is empty, a stop is
//! requested, or a signal ends it, as its scenario says.

use super::context::{PoolContext, sleep_unless};
use super::scenario::{Grandchild, Reaction};
use super::signals;
use crate::sys::process::{parent_pid, set_parent_death_signal, signal_self};
use crate::watch::vocabulary::{Phase, Role};

/// Why a worker leaves its loop.
enum Leaving {
    /// The queue is empty: exit 0 at once.
    QueueEmpty,
    /// A stop was asked for (event or caught signal): clean up, exit 0.
    Stop,
}

/// Runs worker `index` (1-based) of the pool whose master is `master`;
/// returns the exit code.
pub fn run(index: u16, master: i32) -> anyhow::Result<i32> {
    let context = PoolContext::inherit(Role::Worker(index))?;
    let behaviour = &context.scenario.workers;
    signals::apply(&behaviour.signals, true)?;
    if let Some(signal) = behaviour.pdeathsig {
        set_parent_death_signal(signal.number())?;
        if parent_pid() != master {
            // The master died before the setting took: act as the kernel would have.
            signal_self(signal.number())?;
        }
    }
    if behaviour.grandchild != Grandchild::None {
        spawn_grandchild(behaviour.grandchild)?;
    }
    context.report(Phase::Idle);

    let leaving = work(&context, u32::from(index));
    if let Leaving::Stop = leaving {
        context.report(Phase::CleaningUp);
        sleep_unless(behaviour.cleanup_ms, || false);
    }
    context.report(Phase::Exiting);
    context.block.worker_exited();
    Ok(0)
}

/// The task loop.
fn work(context: &PoolContext, index: u32) -> Leaving {
    let behaviour = &context.scenario.workers;
    let stop_seen = || behaviour.poll_stop_event && context.block.stop_requested();
    let caught = || signals::caught(&behaviour.signals);
    loop {
        if stop_seen() || caught().is_some() {
            return Leaving::Stop;
        }
        let Some(task) = context.block.take_task(index) else {
            return Leaving::QueueEmpty;
        };
        context.report(Phase::Busy(task));
        let mut draining = false;
        let abandoned = sleep_unless(context.scenario.pool.task_ms, || {
            if !draining && (stop_seen() || caught() == Some(Reaction::Deferred)) {
                draining = true;
                context.report(Phase::Draining(task));
            }
            caught() == Some(Reaction::CatchCleanup)
        });
        if abandoned {
            // The task stays in the worker's slot: the accounts count it lost.
            return Leaving::Stop;
        }
        context.block.finish_task(index);
        if draining {
            return Leaving::Stop;
        }
    }
}

fn spawn_grandchild(kind: Grandchild) -> anyhow::Result<()> {
    let session = if kind == Grandchild::NewSession {
        "new"
    } else {
        "same"
    };
    let mut command = PoolContext::pool_command(&["grandchild", "--session", session])?;
    if kind == Grandchild::NewSession {
        crate::sys::process::setsid_before_exec(&mut command);
    }
    // Not waited for here: when this worker ends first, the keeper adopts it.
    command.spawn()?;
    Ok(())
}
