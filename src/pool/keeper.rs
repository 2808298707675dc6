//! The keeper: a small process between sigtree and what it started (the
//! pool's master, or a user's command). It is their subreaper (orphans come
//! back to it and it reaps them, reporting each status), and it holds the
//! read end of a pipe from sigtree: when the pipe closes — sigtree ended,
//! even by SIGKILL — it kills the started process group and every
//! descendant it has, so nothing sigtree started outlives it.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};
use nix::sys::signal::{SigSet, Signal as NixSignal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use rustix::event::{PollFd, PollFlags, poll};

use super::report::{Report, Reporter, Role};
use crate::procfs::scan::descendants;
use crate::sys::fds;
use crate::sys::process::{
    SignalAction, kill, kill_group, reset_signals_before_exec, set_child_subreaper,
    set_signal_action, wait_any,
};

/// Signals the keeper ignores: it ends only when sigtree's pipe closes.
const IGNORED: [i32; 6] = [
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGTSTP,
    libc::SIGPIPE,
];

/// The descriptors sigtree passed down to the keeper.
#[derive(Clone, Copy, Debug)]
pub struct KeeperFds {
    /// Read end of sigtree's pipe.
    pub control: i32,
    /// Write end of the status channel.
    pub status: i32,
    /// Where the command's stdout and stderr go, when captured.
    pub output: Option<i32>,
    /// Whether the started process reports on the status channel too (the
    /// pool's master does; a user's command does not get the descriptor).
    pub share_status: bool,
}

/// Runs the keeper: starts `command` in a new process group, then reaps
/// until sigtree's pipe closes.
pub fn run(passed: KeeperFds, command: &[String]) -> anyhow::Result<i32> {
    let control = fds::take_inherited(passed.control).context("cannot take sigtree's pipe")?;
    fds::set_cloexec(control.as_fd())?;
    let reporter = Reporter::inherit(passed.status).context("cannot take the status channel")?;
    if !passed.share_status {
        fds::set_cloexec(reporter.as_fd())?;
    }
    let output = passed
        .output
        .map(fds::take_inherited)
        .transpose()
        .context("cannot take the output pipe")?;
    for signal in IGNORED {
        set_signal_action(signal, SignalAction::Ignore)?;
    }
    set_child_subreaper().context("cannot become a subreaper")?;
    // Children's ends arrive on a signalfd: SIGCHLD is blocked (before any
    // child exists, so none is missed), and the keeper sleeps until a child
    // ends or sigtree's pipe closes. The command gets an empty mask back.
    let mut chld = SigSet::empty();
    chld.add(NixSignal::SIGCHLD);
    chld.thread_block().context("cannot block SIGCHLD")?;
    let ended = SignalFd::with_flags(&chld, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .context("cannot create a signalfd")?;

    let leader = match start(command, output) {
        Ok(pid) => pid,
        Err(error) => {
            // sigtree sees the keeper end before any process: it reports this.
            eprintln!("sigtree: {error:#}");
            return Ok(127);
        }
    };
    reporter.send(Report::Started {
        leader,
        at_ms: crate::sys::monotonic_ms(),
    });
    reap(&reporter);
    while !closed(&control, &ended) {
        while let Ok(Some(_)) = ended.read_signal() {}
        reap(&reporter);
    }
    end_everything(&reporter, leader);
    Ok(0)
}

/// Starts the command as the leader of a new process group, with the
/// kernel's default dispositions and an empty mask (not the keeper's
/// ignores), stdin from /dev/null.
fn start(command: &[String], output: Option<OwnedFd>) -> anyhow::Result<i32> {
    let Some((program, args)) = command.split_first() else {
        bail!("no command to start");
    };
    let mut child = Command::new(program);
    child.args(args).stdin(Stdio::null()).process_group(0);
    if let Some(output) = output {
        let copy = output.try_clone()?;
        child.stdout(Stdio::from(output)).stderr(Stdio::from(copy));
    }
    reset_signals_before_exec(&mut child);
    let started = child
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    Ok(started.id() as i32)
}

/// Sleeps until a child ended or sigtree's pipe closed; true for the latter.
fn closed(control: &OwnedFd, ended: &SignalFd) -> bool {
    let mut fds = [
        PollFd::new(control, PollFlags::IN),
        PollFd::new(ended, PollFlags::IN),
    ];
    match poll(&mut fds, None) {
        // Readable or hung up: sigtree never writes, so either means closed.
        Ok(_) => !fds[0].revents().is_empty(),
        Err(e) => e != rustix::io::Errno::INTR,
    }
}

/// Reaps every child that has ended, reporting its status.
fn reap(reporter: &Reporter) {
    while let Ok(Some((pid, status))) = wait_any(false) {
        reporter.send(Report::reaped(Role::Keeper, pid, status));
    }
}

/// SIGKILL to the started group, then to every descendant left, until the
/// keeper has no child.
fn end_everything(reporter: &Reporter, leader: i32) {
    let _ = kill_group(leader, libc::SIGKILL);
    let me = std::process::id() as i32;
    loop {
        for descendant in descendants(me).unwrap_or_default() {
            let _ = kill(descendant, libc::SIGKILL);
        }
        match wait_any(true) {
            Ok(Some((pid, status))) => {
                reporter.send(Report::reaped(Role::Keeper, pid, status));
            }
            Ok(None) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(_) => return, // ECHILD: nothing left.
        }
    }
}
