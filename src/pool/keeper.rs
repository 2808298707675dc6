//! The keeper: a small process between sigtree and the pool. It is the
//! pool's subreaper (orphans come back to it and it reaps them, reporting
//! each status), and it holds the read end of a pipe from sigtree: when the
//! pipe closes — sigtree ended, even by SIGKILL — it kills the pool's group
//! and every descendant it has, so nothing sigtree started outlives it.

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use anyhow::Context as _;
use rustix::event::{PollFd, PollFlags, poll};

use super::context::PoolContext;
use super::report::{Report, Role};
use crate::procfs::scan::descendants;
use crate::sys::fds;
use crate::sys::process::{
    SignalAction, kill, kill_group, set_child_subreaper, set_signal_action, wait_any,
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

/// Runs the keeper with sigtree's pipe read end `control_fd`.
pub fn run(control_fd: i32) -> anyhow::Result<i32> {
    let control = fds::take_inherited(control_fd).context("cannot take sigtree's pipe")?;
    fds::set_cloexec(control.as_fd())?;
    for signal in IGNORED {
        set_signal_action(signal, SignalAction::Ignore)?;
    }
    set_child_subreaper().context("cannot become the pool's subreaper")?;
    let context = PoolContext::inherit(Role::Keeper)?;

    let mut master = PoolContext::pool_command(&["master"])?;
    std::os::unix::process::CommandExt::process_group(&mut master, 0);
    let master = master
        .spawn()
        .context("cannot start the pool's master")?
        .id() as i32;

    while !closed(&control) {
        reap(&context);
    }
    end_everything(&context, master);
    Ok(0)
}

/// Waits up to 10 ms for the pipe; true once sigtree closed it.
fn closed(control: &OwnedFd) -> bool {
    let mut fds = [PollFd::new(control, PollFlags::IN)];
    let timeout = rustix::event::Timespec::try_from(Duration::from_millis(10)).ok();
    match poll(&mut fds, timeout.as_ref()) {
        Ok(0) => false,
        // Readable or hung up: sigtree never writes, so either means closed.
        Ok(_) => true,
        Err(e) => e != rustix::io::Errno::INTR,
    }
}

/// Reaps every child that has ended, reporting its status.
fn reap(context: &PoolContext) {
    while let Ok(Some((pid, status))) = wait_any(false) {
        context.send(Report::reaped(Role::Keeper, pid, status));
    }
}

/// SIGKILL to the pool's group, then to every descendant left, until the
/// keeper has no child.
fn end_everything(context: &PoolContext, master: i32) {
    let _ = kill_group(master, libc::SIGKILL);
    let me = std::process::id() as i32;
    loop {
        for descendant in descendants(me).unwrap_or_default() {
            let _ = kill(descendant, libc::SIGKILL);
        }
        match wait_any(true) {
            Ok(Some((pid, status))) => context.send(Report::reaped(Role::Keeper, pid, status)),
            Ok(None) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(_) => return, // ECHILD: nothing left.
        }
    }
}
