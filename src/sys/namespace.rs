//! A new pid namespace for what the keeper starts (docker's and Kubernetes'
//! containment): as root directly, unprivileged inside a new user namespace
//! that maps the caller's own uid and gid, so nothing it runs gains an id.

use std::io;

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

/// Makes the calling process's next child PID 1 of a new pid namespace
/// (pid_namespaces(7)); the caller itself stays where it is. Must be called
/// by a single-threaded process (a user namespace requires it).
pub fn new_pid_namespace_for_children() -> io::Result<()> {
    match unshare(CloneFlags::CLONE_NEWPID) {
        Ok(()) => return Ok(()),
        Err(nix::errno::Errno::EPERM) => {}
        Err(error) => return Err(error.into()),
    }
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWPID)?;
    // An unprivileged process may map only its own ids, and its gid only
    // once setgroups is denied (user_namespaces(7)).
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    Ok(())
}

/// In PID 1 of a new pid namespace, between fork and exec: a mount
/// namespace of its own with a /proc of its pid namespace, as docker gives
/// a container (a program reading /proc/$pid must find its own processes).
/// Allocates nothing. Nothing is mounted anywhere else: whoever watches
/// from outside keeps its /proc.
pub fn own_proc_before_exec() -> io::Result<()> {
    unshare(CloneFlags::CLONE_NEWNS)?;
    // Private first: the new /proc must not propagate back to the parent's
    // mounts.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )?;
    mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )?;
    Ok(())
}
