//! sigtree's init: PID 1 of the pid namespace the `tini` and `tini-g`
//! policies run in, playing tini (FACTS 16). It starts the command (or
//! the pool's master) in a process group of its own, forwards every signal
//! it receives to that child — or, as `tini -g`, to the child's whole
//! group —, reaps whatever is re-parented to it, and exits with its child's
//! status as soon as the child ends, signalling nothing else: the kernel's
//! teardown of the namespace then kills what is left (FACTS 11).
//!
//! It holds every signal it forwards blocked and reads them from a
//! signalfd, as tini waits for them with sigtimedwait: a blocked signal is
//! never dropped for want of a handler, which the kernel would do to a
//! namespace's PID 1 (FACTS 4e).

use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use anyhow::{Context as _, bail};
use nix::sys::signal::{SigSet, Signal as NixSignal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::sys::channel::{self, Tag};
use crate::sys::fds;
use crate::sys::pidfd::PidFd;
use crate::sys::process::{reset_signals_before_exec, wait_any};
use crate::sys::wait::Ending;

/// Where the init forwards the signals it receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// To its child alone (tini).
    Child,
    /// To its child's process group (tini -g).
    Group,
}

/// Signals the init leaves unblocked, as tini does: the synchronous ones
/// a fault raises in the init itself, and the terminal's stop signals.
const NOT_FORWARDED: [NixSignal; 9] = [
    NixSignal::SIGFPE,
    NixSignal::SIGILL,
    NixSignal::SIGSEGV,
    NixSignal::SIGBUS,
    NixSignal::SIGABRT,
    NixSignal::SIGTRAP,
    NixSignal::SIGSYS,
    NixSignal::SIGTTIN,
    NixSignal::SIGTTOU,
];

/// Runs the init: tells sigtree of itself on `control_fd` (the keeper's
/// socket to sigtree), starts `command`, forwards signals as `forward`
/// says and reaps until its child has ended; returns the child's exit
/// code, or 128 + the signal that killed it.
pub fn run(control_fd: i32, forward: Forward, command: &[String]) -> anyhow::Result<i32> {
    let control = fds::take_inherited(control_fd).context("cannot take sigtree's socket")?;
    fds::set_cloexec(control.as_fd())?;
    let mut held = SigSet::all();
    for signal in NOT_FORWARDED {
        held.remove(signal);
    }
    // Before the child exists: none of its ends, nor a signal for it, is
    // missed. The child gets an empty mask back.
    held.thread_block().context("cannot block signals")?;
    let signals =
        SignalFd::with_flags(&held, SfdFlags::SFD_CLOEXEC).context("cannot create a signalfd")?;
    let in_namespace = rustix::process::getpid().is_init();
    // Known to sigtree before its child: the child's fork is its.
    channel::send_own_pidfd(control.as_fd(), Tag::InitPidfd, in_namespace)
        .context("cannot tell sigtree of the init")?;
    let child = start(command, control.as_raw_fd())?;
    // Its own child, not reaped yet: the pid cannot have been reused.
    let child_pidfd = PidFd::open(child).context("cannot open a pidfd of the child")?;
    loop {
        let Some(received) = signals.read_signal().context("cannot read a signal")? else {
            continue;
        };
        let signal = received.ssi_signo as i32;
        if signal != libc::SIGCHLD {
            forward_signal(&child_pidfd, forward, signal);
            continue;
        }
        if let Some(ending) = reap(child) {
            return Ok(match ending {
                Ending::Exited(code) => code,
                Ending::Signaled(signal) => 128 + signal,
            });
        }
    }
}

/// Starts `command` as the leader of a new process group (tini's
/// isolate_child), with the kernel's default dispositions and an empty
/// mask. Before its exec it sends sigtree a pidfd of itself, as the
/// keeper's child does: sigtree knows the leader before it runs.
fn start(command: &[String], control: i32) -> anyhow::Result<i32> {
    let Some((program, args)) = command.split_first() else {
        bail!("no command to start");
    };
    let mut child = Command::new(program);
    child.args(args).process_group(0);
    reset_signals_before_exec(&mut child);
    // SAFETY: between fork and exec: getpid, pidfd_open and sendmsg, raw
    // system calls on the stack, no allocation; the socket stays open in
    // the child until its exec (close-on-exec), and in the init for ever.
    unsafe {
        child.pre_exec(move || {
            let socket = std::os::fd::BorrowedFd::borrow_raw(control);
            // Failing to send leaves sigtree its fallbacks; the run goes on.
            let _ = channel::send_own_pidfd(socket, Tag::LeaderPidfd, true);
            Ok(())
        });
    }
    let started = child
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    Ok(started.id() as i32)
}

/// Sends `signal` on to the child, or to the group it leads, through its
/// pidfd; a kernel without group pidfd signals (before 6.9) gets kill(-pid)
/// for a named signal. A child (or group) already gone is no failure: its
/// end is on its way as SIGCHLD.
fn forward_signal(child: &PidFd, forward: Forward, signal: i32) {
    let sent = match forward {
        Forward::Child => child.send_signal(signal),
        Forward::Group => child.send_signal_to_group(signal),
    };
    if forward == Forward::Group
        && sent.is_err_and(|error| error.raw_os_error() == Some(libc::EINVAL))
        && let (Some(pid), Some(signal)) = (
            rustix::process::Pid::from_raw(child.pid()),
            rustix::process::Signal::from_named_raw(signal),
        )
    {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

/// Reaps every child that has ended (its own, and the orphans re-parented
/// to PID 1); how `child` ended, if it was among them.
fn reap(child: i32) -> Option<Ending> {
    let mut ended = None;
    while let Ok(Some((pid, status))) = wait_any(false) {
        if pid == child {
            ended = Some(Ending::from_wait_status(status));
        }
    }
    ended
}
