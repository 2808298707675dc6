//! The pool's master: leads the process group, spawns the helper and the
//! workers, waits for them (or not), and reacts to signals as its scenario
//! says.

use std::collections::HashMap;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};

use anyhow::Context as _;

use super::context::{PoolContext, sleep_unless};
use super::report::Report;
use super::scenario::Reaction;
use super::signals;
use crate::sys::fds;
use crate::sys::pidfd::PidFd;
use crate::sys::process::{SignalAction, pid_in_proc, set_signal_action, wait_any, wait_for};
use crate::watch::vocabulary::{Phase, Role};

/// Runs the master; returns its exit code.
pub fn run() -> anyhow::Result<i32> {
    let context = PoolContext::inherit(Role::Master)?;
    let behaviour = &context.scenario.master;
    signals::apply(&behaviour.signals, false)?;
    if behaviour.ignore_sigint_while_spawning {
        set_signal_action(libc::SIGINT, SignalAction::Ignore)?;
    }
    context.report(Phase::Idle);

    let mut seen = SeenPids::default();
    let helper = if behaviour.helper {
        Some(Helper::spawn(&mut seen)?)
    } else {
        None
    };
    let me = std::process::id().to_string();
    let mut workers = Vec::new();
    for index in 1..=context.scenario.pool.workers {
        let mut command =
            PoolContext::pool_command(&["worker", "--index", &index.to_string(), "--master", &me])?;
        let child = command
            .spawn()
            .with_context(|| format!("cannot start worker {index}"))?;
        workers.push(child.id() as i32);
        seen.note(child.id() as i32);
    }
    if behaviour.ignore_sigint_while_spawning {
        signals::set_reaction(libc::SIGINT, behaviour.signals.sigint)?;
    }

    if behaviour.reaps {
        wait_for_workers(&context, &workers, &seen);
    } else {
        sit_without_reaping(&context);
    }
    if signals::caught(&behaviour.signals).is_some() {
        context.report(Phase::CleaningUp);
        sleep_unless(behaviour.cleanup_ms, || false);
    }
    if let Some(helper) = helper {
        helper.shut_down(&context, &seen);
    }
    context.report(Phase::Exiting);
    Ok(0)
}

/// Blocks in waitpid until every worker has been reaped, reporting each
/// status. A catch-cleanup handler interrupts the wait (no SA_RESTART): the
/// master then sets the stop event and goes on waiting. A deferred handler
/// has SA_RESTART: the wait goes on as if nothing happened.
fn wait_for_workers(context: &PoolContext, workers: &[i32], seen: &SeenPids) {
    let mut remaining = workers.len();
    let mut stop_set = false;
    while remaining > 0 {
        match wait_any(true) {
            Ok(Some((pid, status))) => {
                seen.report_reaped(context, pid, status);
                if workers.contains(&pid) {
                    remaining -= 1;
                }
            }
            Ok(None) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {
                let caught = signals::caught(&context.scenario.master.signals);
                if caught == Some(Reaction::CatchCleanup) && !stop_set {
                    context.block.request_stop();
                    stop_set = true;
                }
            }
            Err(_) => return, // ECHILD: nothing left to wait for.
        }
    }
}

/// A master that never waits: its children stay zombies until it exits.
/// It exits when a handler fired (after setting the stop event, for
/// catch-cleanup) or when every worker has exited.
fn sit_without_reaping(context: &PoolContext) {
    let workers = context.scenario.pool.workers;
    sleep_unless(u64::MAX, || {
        context.block.workers_exited() >= workers
            || signals::caught(&context.scenario.master.signals).is_some()
    });
    if signals::caught(&context.scenario.master.signals) == Some(Reaction::CatchCleanup) {
        context.block.request_stop();
    }
}

/// The helper process and the pipe the master tells it to stop through.
struct Helper {
    pid: i32,
    control: OwnedFd,
}

impl Helper {
    fn spawn(seen: &mut SeenPids) -> anyhow::Result<Self> {
        let (read, write) = fds::pipe()?;
        fds::set_inheritable(std::os::fd::AsFd::as_fd(&read))?;
        let fd = read.as_raw_fd().to_string();
        let child = PoolContext::pool_command(&["helper", "--control-fd", &fd])?
            .spawn()
            .context("cannot start the helper")?;
        drop(read);
        seen.note(child.id() as i32);
        Ok(Self {
            pid: child.id() as i32,
            control: write,
        })
    }

    /// Tells the helper to stop, as a Manager's finalizer does at normal
    /// exit, and reaps it.
    fn shut_down(self, context: &PoolContext, seen: &SeenPids) {
        let mut pipe = std::fs::File::from(self.control);
        let _ = pipe.write_all(b"stop");
        if let Ok(Some((pid, status))) = wait_for(self.pid, true) {
            seen.report_reaped(context, pid, status);
        }
    }
}

/// The master's children's pids as sigtree sees them: the same numbers,
/// unless the master is PID 1 of a pid namespace (docker's containment),
/// where waitpid gives the namespace's. Each child's is read at its spawn,
/// from a pidfd's /proc/self/fdinfo (which counts in /proc's namespace).
#[derive(Default)]
struct SeenPids(HashMap<i32, i32>);

impl SeenPids {
    /// Notes the pid sigtree sees for child `pid`, not reaped yet.
    fn note(&mut self, pid: i32) {
        if let Some(seen) = PidFd::open(pid).ok().and_then(|fd| fd.pid_in_proc()) {
            self.0.insert(pid, seen);
        }
    }

    /// Reports that `pid` was reaped with `status`, by the pid sigtree
    /// sees; in a pid namespace, an orphan the master reaped as its init
    /// has none known, and its status is left to sigtree's pidfd.
    fn report_reaped(&self, context: &PoolContext, pid: i32, status: i32) {
        let in_namespace = pid_in_proc() != std::process::id() as i32;
        let seen = if in_namespace {
            self.0.get(&pid).copied()
        } else {
            Some(pid)
        };
        if let Some(seen) = seen {
            context.send(Report::reaped(Role::Master, seen, status));
        }
    }
}
