//! Process-wide settings: subreaper, parent-death signal, signal
//! dispositions and mask, descriptor limit.

use std::io;

/// What a process does with one signal.
#[derive(Clone, Copy, Debug)]
pub enum SignalAction {
    /// SIG_DFL: the kernel's default action.
    Default,
    /// SIG_IGN.
    Ignore,
    /// Run `handler`; with `restart`, interrupted system calls are restarted
    /// (SA_RESTART) instead of failing with EINTR.
    Handler {
        /// An async-signal-safe handler.
        handler: extern "C" fn(libc::c_int),
        /// SA_RESTART.
        restart: bool,
    },
}

fn check(result: libc::c_int) -> io::Result<()> {
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets the disposition of `signal` (any number, real-time included).
pub fn set_signal_action(signal: i32, action: SignalAction) -> io::Result<()> {
    // SAFETY: an all-zero sigaction is valid (empty mask, no flags).
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = match action {
        SignalAction::Default => libc::SIG_DFL,
        SignalAction::Ignore => libc::SIG_IGN,
        SignalAction::Handler { handler, restart } => {
            if restart {
                act.sa_flags = libc::SA_RESTART;
            }
            handler as usize
        }
    };
    // SAFETY: `act` is initialised; the old action is not asked for.
    check(unsafe { libc::sigaction(signal, &act, std::ptr::null_mut()) })
}

/// Ignores what would end or stop one of sigtree's helper processes (the
/// keeper, the tracer), which end only when sigtree's socket or pipe
/// closes: Ctrl-C and the terminal's job control, a SIGTERM meant for the
/// run, the SIGHUP and SIGCONT the kernel sends a group orphaned when
/// sigtree dies (a stopped member), and a write to a closed pipe.
pub fn ignore_ending_signals() -> io::Result<()> {
    for signal in [
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGTERM,
        libc::SIGTSTP,
        libc::SIGTTIN,
        libc::SIGTTOU,
        libc::SIGPIPE,
    ] {
        set_signal_action(signal, SignalAction::Ignore)?;
    }
    Ok(())
}

/// Resets every signal that can be reset to its default action and empties
/// the signal mask, undoing what the Rust runtime (SIGPIPE ignored, SIGSEGV
/// and SIGBUS caught) and the parent left. SIGKILL and SIGSTOP cannot be
/// changed. 32 and 33 belong to the C library, whose sigaction refuses them,
/// and glibc's posix_spawn leaves them ignored in every child it starts:
/// they are reset with the raw system call.
pub fn reset_signals() -> io::Result<()> {
    for signal in (1..=64).filter(|s| ![libc::SIGKILL, libc::SIGSTOP, 32, 33].contains(s)) {
        set_signal_action(signal, SignalAction::Default)?;
    }
    for signal in [32, 33] {
        reset_reserved_signal(signal)?;
    }
    set_mask(libc::SIG_SETMASK, &[])
}

/// The kernel's `struct sigaction` for rt_sigaction(2).
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: libc::c_ulong,
    restorer: usize,
    mask: u64,
}

/// SIG_DFL for a signal the C library reserves, through rt_sigaction(2).
fn reset_reserved_signal(signal: i32) -> io::Result<()> {
    let action = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: rt_sigaction reads `action`, a kernel sigaction whose mask is
    // the size passed last, and writes nothing (the old action is NULL).
    let result = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            signal,
            &action,
            std::ptr::null_mut::<KernelSigaction>(),
            std::mem::size_of::<u64>(),
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Blocks (`libc::SIG_BLOCK`), unblocks or sets the mask to `signals`.
pub fn set_mask(how: libc::c_int, signals: &[i32]) -> io::Result<()> {
    // SAFETY: sigemptyset initialises the set before any use.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t for these calls.
    unsafe {
        libc::sigemptyset(&mut set);
        for &signal in signals {
            libc::sigaddset(&mut set, signal);
        }
    }
    // SAFETY: `set` is initialised; the old mask is not asked for.
    let result = unsafe { libc::pthread_sigmask(how, &set, std::ptr::null_mut()) };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(result))
    }
}

/// Marks this process a child subreaper: orphans below it come back to it
/// (prctl(2)).
pub fn set_child_subreaper() -> io::Result<()> {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))?;
    Ok(())
}

/// Asks for `signal` when the thread that created this process exits (PR_SET_PDEATHSIG(2const)).
pub fn set_parent_death_signal(signal: i32) -> io::Result<()> {
    // SAFETY: PR_SET_PDEATHSIG takes the signal number as its only argument.
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong, 0, 0, 0) })
}

/// Raises the soft limit on open descriptors to the hard limit: a large pool
/// plus a pidfd per process exceeds the usual 1024.
pub fn raise_fd_limit() -> io::Result<()> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        setrlimit(Resource::Nofile, limit)?;
    }
    Ok(())
}

/// Waits for any child: with `block` until one changes state, else only
/// collecting one already ended. `Ok(None)`: none ended yet (non-blocking);
/// `Err` with ECHILD: no children left; EINTR: a handler ran.
pub fn wait_any(block: bool) -> io::Result<Option<(i32, i32)>> {
    wait_for(-1, block)
}

/// Like [`wait_any`] for one child `pid`.
pub fn wait_for(pid: i32, block: bool) -> io::Result<Option<(i32, i32)>> {
    let mut status = 0;
    let flags = if block { 0 } else { libc::WNOHANG };
    // SAFETY: waitpid writes only to `status`.
    let reaped = unsafe { libc::waitpid(pid, &mut status, flags) };
    match reaped {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(None),
        pid => Ok(Some((pid, status))),
    }
}

/// Whether `signal` is currently ignored (SIG_IGN) in this process.
pub fn is_ignored(signal: i32) -> bool {
    // SAFETY: a zeroed sigaction is a valid buffer for the old action.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a NULL new action only queries.
    let result = unsafe { libc::sigaction(signal, std::ptr::null(), &mut old) };
    result == 0 && old.sa_sigaction == libc::SIG_IGN
}

/// Ends the process at once with `code`, running no exit handlers: the only
/// way out that is safe inside a signal handler.
pub fn exit_immediately(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and does not return.
    unsafe { libc::_exit(code) }
}

/// This process's pid as /proc counts it: in a pid namespace of its own
/// under a /proc of the parent's (the pool under docker's containment),
/// the pid sigtree sees, not getpid()'s.
pub fn pid_in_proc() -> i32 {
    static PID: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *PID.get_or_init(|| {
        std::fs::read_link("/proc/self")
            .ok()
            .and_then(|link| link.to_str()?.parse().ok())
            .unwrap_or_else(|| i32::try_from(std::process::id()).unwrap_or(i32::MAX))
    })
}

/// This process's parent pid (0 when the parent is outside our pid namespace).
pub fn parent_pid() -> i32 {
    rustix::process::getppid().map_or(0, |pid| pid.as_raw_nonzero().get())
}

/// This process's group id; 0 when the group's leader is in an ancestor
/// pid namespace (sigtree started by `unshare --pid --fork` in a shell's
/// job, say), where the id has no number.
pub fn own_group() -> i32 {
    // SAFETY: getpgrp takes nothing and cannot fail.
    unsafe { libc::getpgrp() }
}

/// Sends signal number `signal` to this process.
pub fn signal_self(signal: i32) -> io::Result<()> {
    kill(std::process::id() as i32, signal)
}

/// Makes the child `command` starts call setsid() before exec: a new
/// session and process group, out of its parent's group.
pub fn setsid_before_exec(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe and uses no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            rustix::process::setsid()?;
            Ok(())
        });
    }
}

/// kill(2) of one process by pid. Refuses pids below 2 (0, -1 and init
/// would hit far more than one process).
pub fn kill(pid: i32, signal: i32) -> io::Result<()> {
    if pid < 2 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: kill takes two integers and touches no memory.
    check(unsafe { libc::kill(pid, signal) })
}

/// killpg(3): `signal` to every member of process group `pgid`. Refuses
/// groups below 2.
pub fn kill_group(pgid: i32, signal: i32) -> io::Result<()> {
    if pgid < 2 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: kill with a negative pid signals a group; no memory is touched.
    check(unsafe { libc::kill(-pgid, signal) })
}

/// Makes the child `command` starts reset every disposition and its mask
/// before exec: what the parent ignores must not stay ignored in it (signal(7), execve(2)).
pub fn reset_signals_before_exec(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: reset_signals makes only sigaction, rt_sigaction and
    // pthread_sigmask calls, which are async-signal-safe, and touches no
    // shared data.
    unsafe {
        command.pre_exec(reset_signals);
    }
}

/// Fails with "command not found" or "not executable" before anything starts.
pub fn find_program(program: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |path: &std::path::Path| {
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let path = std::path::Path::new(program);
        if !path.exists() {
            anyhow::bail!("command not found: {program}");
        }
        if !executable(path) {
            anyhow::bail!("not executable: {program}");
        }
        return Ok(());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&path).any(|dir| executable(&dir.join(program))) {
        Ok(())
    } else {
        anyhow::bail!("command not found: {program}")
    }
}
