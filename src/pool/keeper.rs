//! The keeper: a small process between sigtree and what it started (the
//! pool's master, or a user's command). It leads a process group of its own
//! (a SIGKILL to sigtree's group does not take it along), it is their
//! subreaper (orphans come back to it and it reaps them, reporting each
//! status), and it holds one end of a socket from sigtree: when that closes
//! — sigtree ended, even by SIGKILL — it kills the started group and every
//! descendant, in time linear in their number, so nothing sigtree started
//! outlives it.

use std::collections::HashSet;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use nix::sys::signal::{SigSet, Signal as NixSignal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use rustix::event::{PollFd, PollFlags, Timespec, poll};

use super::init::Forward;
use super::lent_terminal::LentTerminal;
use super::report::{Report, Reporter};
use crate::engine::target::{GroupTarget, Protected, signal_group};
use crate::procfs::scan::{Reader, descendants};
use crate::signal::sigset::Signal;
use crate::sys::cgroup::Cgroup;
use crate::sys::channel::{self, Message, Received, Tag};
use crate::sys::fds;
use crate::sys::namespace::{new_pid_namespace_for_children, own_proc_before_exec};
use crate::sys::pidfd::PidFd;
use crate::sys::process::{
    ignore_ending_signals, reset_signals_before_exec, set_child_subreaper, wait_any,
};
use crate::watch::vocabulary::Role;

/// How long the final cleanup waits for a reapable child before it walks
/// the tree again for processes that appeared after the last walk.
const REWALK_AFTER: Duration = Duration::from_millis(50);

/// The descriptors sigtree passed down to the keeper, and the containment
/// it asked for.
#[derive(Clone, Debug)]
pub struct KeeperFds {
    /// The keeper's end of sigtree's control socket.
    pub control: i32,
    /// Write end of the status channel.
    pub status: i32,
    /// Where the command's stdout and stderr go, when captured.
    pub output: Option<i32>,
    /// Whether the started process reports on the status channel too (the
    /// pool's master does; a user's command does not get the descriptor).
    pub share_status: bool,
    /// Whether the command starts as PID 1 of a new pid namespace.
    pub pid_namespace: bool,
    /// PID 1 of that namespace is sigtree's init, playing tini, which
    /// starts the command and forwards signals as this says.
    pub init: Option<Forward>,
    /// The cgroup v2 directory the command starts in, made by sigtree.
    pub cgroup: Option<PathBuf>,
}

/// Runs the keeper: starts `command` in a new process group, then reaps
/// until sigtree's socket closes.
pub fn run(passed: KeeperFds, command: &[String]) -> anyhow::Result<i32> {
    let control = fds::take_inherited(passed.control).context("cannot take sigtree's socket")?;
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
    ignore_ending_signals()?;
    set_child_subreaper().context("cannot become a subreaper")?;
    // Without one, the command runs as any other: sigtree reads from /proc
    // whether its leader (or tini's init) is PID 1 of a namespace, and
    // emulates the containment when it is not.
    let in_namespace = passed.pid_namespace && new_pid_namespace_for_children().is_ok();
    // tini's init is PID 1 of a namespace or nothing: without one, the
    // command starts directly and sigtree emulates tini.
    let init = passed.init.filter(|_| in_namespace);
    let launched = match init {
        Some(forward) => through_init(forward, control.as_raw_fd(), command)?,
        None => command.to_vec(),
    };
    // Children's ends arrive on a signalfd: SIGCHLD is blocked (before any
    // child exists, so none is missed), and the keeper sleeps until a child
    // ends or sigtree's socket speaks or closes. The command gets an empty
    // mask back.
    let mut chld = SigSet::empty();
    chld.add(NixSignal::SIGCHLD);
    chld.thread_block().context("cannot block SIGCHLD")?;
    let ended = SignalFd::with_flags(&chld, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .context("cannot create a signalfd")?;

    // Without it, the command runs as any other: sigtree reads from /proc
    // whether its leader is in the cgroup, and emulates it when not.
    let cgroup = passed.cgroup.and_then(|dir| Cgroup::at(dir).ok());
    let cgroup_procs = cgroup.as_ref().and_then(|cgroup| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(cgroup.procs_file())
            .ok()
    });
    // A command in a pid namespace gets a /proc of its own; the pool's
    // processes keep sigtree's, to report the pids sigtree sees.
    let own_proc = !passed.share_status;
    let leader = match start(
        &launched,
        output,
        &control,
        cgroup_procs.map(OwnedFd::from),
        Started {
            own_proc,
            init: init.is_some(),
        },
    ) {
        Ok(pid) => pid,
        Err(error) => {
            // sigtree sees the keeper end before any process: it reports this.
            eprintln!("sigtree: {error:#}");
            return Ok(127);
        }
    };
    // Its own child, not reaped yet: the pid cannot have been reused.
    let leader_pidfd = PidFd::open(leader).ok();
    if init.is_none() {
        // The init is no leader: it tells sigtree of itself, and its child
        // of itself.
        reporter.send(Report::Started {
            leader,
            at_ms: crate::sys::monotonic_ms(),
        });
    }
    reap(&reporter);
    let mut terminal = None;
    while !closed(&control, &ended, &mut terminal) {
        while let Ok(Some(_)) = ended.read_signal() {}
        reap(&reporter);
    }
    // sigtree gives the terminal back before it ends; one still lent
    // means it died in the TUI's modes.
    if let Some(terminal) = terminal {
        terminal.restore();
    }
    if let Some(cgroup) = &cgroup {
        // Everything in it at once, forks in flight included.
        let _ = cgroup.kill();
    }
    end_everything(&reporter, leader, leader_pidfd.as_ref(), &ended);
    if let Some(cgroup) = &cgroup {
        cgroup.kill_and_remove(Duration::from_secs(5));
    }
    Ok(0)
}

/// `command` started by sigtree's init (this binary's `__pool init`), which
/// takes sigtree's socket `control` and forwards as `forward` says.
fn through_init(forward: Forward, control: i32, command: &[String]) -> anyhow::Result<Vec<String>> {
    let exe = std::env::current_exe().context("cannot find sigtree's own binary")?;
    let mut launched = vec![exe.display().to_string(), "__pool".into(), "init".into()];
    launched.extend(["--control-fd".into(), control.to_string()]);
    if forward == Forward::Group {
        launched.push("--group".into());
    }
    launched.push("--".into());
    launched.extend_from_slice(command);
    Ok(launched)
}

/// What the keeper's child is.
#[derive(Clone, Copy, Debug)]
struct Started {
    /// PID 1 of a new pid namespace gets a /proc of its own.
    own_proc: bool,
    /// It is sigtree's init, not the command.
    init: bool,
}

/// Starts the command (or tini's init) as the leader of a new process
/// group, with the kernel's default dispositions and an empty mask (not the
/// keeper's ignores), stdin from /dev/null. Before its exec the leader sends
/// sigtree a pidfd of itself: sigtree holds it before the command runs at
/// all, so even a command that kills the keeper at once cannot get lost.
/// The init instead keeps sigtree's socket, to tell sigtree of itself and
/// of its child.
fn start(
    command: &[String],
    output: Option<OwnedFd>,
    control: &OwnedFd,
    cgroup_procs: Option<OwnedFd>,
    started: Started,
) -> anyhow::Result<i32> {
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
    let control = control.as_raw_fd();
    let cgroup_procs = cgroup_procs.as_ref().map(AsRawFd::as_raw_fd);
    // SAFETY: between fork and exec: write, getpid, pidfd_open, sendmsg,
    // fcntl, unshare and mount, raw system calls on the stack, no
    // allocation; the socket and cgroup.procs stay open in the child until
    // its exec (close-on-exec, the socket kept by the init), and in the
    // keeper until `start` returns.
    unsafe {
        child.pre_exec(move || {
            if let Some(procs) = cgroup_procs {
                // "0" moves the writer itself, before anything it runs
                // exists: every descendant is born in the cgroup. A
                // refusal leaves it outside, which sigtree sees.
                let _ = rustix::io::write(std::os::fd::BorrowedFd::borrow_raw(procs), b"0");
            }
            let me = rustix::process::getpid();
            let socket = std::os::fd::BorrowedFd::borrow_raw(control);
            if started.init {
                fds::set_inheritable(socket)?;
            } else {
                // Failing to send leaves sigtree its fallback; the run goes
                // on. PID 1 of a new pid namespace is numbered 0: sigtree
                // reads the pidfd's own pid (or waits for the keeper's
                // report, if it has already ended).
                let _ = channel::send_own_pidfd(socket, Tag::LeaderPidfd, me.is_init());
            }
            if started.own_proc && me.is_init() {
                // PID 1 of the keeper's new pid namespace: its own /proc,
                // or its processes would read other processes' entries.
                // Where none can be mounted (a /proc with covered entries
                // refuses a user namespace), it keeps the one it has.
                let _ = own_proc_before_exec();
            }
            Ok(())
        });
    }
    let started = child
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    Ok(started.id() as i32)
}

/// Sleeps until a child ended or sigtree's socket closed; true for the
/// latter. Messages from sigtree are taken on the way: the terminal it
/// lends while the TUI is on screen, and its return.
fn closed(control: &OwnedFd, ended: &SignalFd, terminal: &mut Option<LentTerminal>) -> bool {
    let mut fds = [
        PollFd::new(control, PollFlags::IN),
        PollFd::new(ended, PollFlags::IN),
    ];
    match poll(&mut fds, None) {
        Ok(_) if fds[0].revents().is_empty() => false,
        Ok(_) => loop {
            match channel::receive(control) {
                Ok(Received::Message(Message {
                    tag: Tag::Terminal,
                    payload,
                    fd: Some(fd),
                    ..
                })) => *terminal = LentTerminal::take(fd, payload),
                Ok(Received::Message(Message {
                    tag: Tag::TerminalReleased,
                    ..
                })) => *terminal = None,
                Ok(Received::Message(_)) => {}
                Ok(Received::Nothing) => return false,
                Ok(Received::Closed) | Err(_) => return true,
            }
        },
        Err(e) => e != rustix::io::Errno::INTR,
    }
}

/// Reaps every child that has ended, reporting its status; the count.
fn reap(reporter: &Reporter) -> usize {
    let mut reaped = 0;
    while let Ok(Some((pid, status))) = wait_any(false) {
        reporter.send(Report::reaped(Role::Keeper, pid, status));
        reaped += 1;
    }
    reaped
}

/// SIGKILL to the started group (through the leader's pidfd), then to every
/// descendant left, each by its own pidfd, until the keeper has no child.
/// Linear: one walk kills everything found, then reaping goes on without
/// walking again until nothing has been reapable for a moment (only then
/// can a process have appeared that the walk missed).
fn end_everything(
    reporter: &Reporter,
    leader: i32,
    leader_pidfd: Option<&PidFd>,
    ended: &SignalFd,
) {
    let protected = Protected::current();
    let group = GroupTarget {
        pgid: leader,
        leader: leader_pidfd,
        members: leader_pidfd.into_iter().collect(),
    };
    let _ = signal_group(&protected, &group, Signal::KILL);
    let me = std::process::id() as i32;
    let mut reader = Reader::default();
    loop {
        kill_descendants(&mut reader, me);
        loop {
            if reap(reporter) > 0 {
                continue;
            }
            if !matches!(has_children(), Ok(true)) {
                return; // ECHILD: nothing left.
            }
            let mut fds = [PollFd::new(ended, PollFlags::IN)];
            let wait = Timespec::try_from(REWALK_AFTER).ok();
            match poll(&mut fds, wait.as_ref()) {
                Ok(0) => break, // Nothing ended for a while: walk again.
                _ => while let Ok(Some(_)) = ended.read_signal() {},
            }
        }
    }
}

/// Whether the keeper still has a child (running or not): waitid with
/// WNOHANG|WNOWAIT, which neither blocks nor reaps.
fn has_children() -> std::io::Result<bool> {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    match waitid(
        WaitId::All,
        WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT,
    ) {
        Ok(_) => Ok(true),
        Err(rustix::io::Errno::CHILD) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// One walk of the keeper's descendants, each sent SIGKILL through a pidfd
/// opened for it and checked: a process whose parent is neither the keeper
/// nor one found in this walk took a pid that was freed meanwhile.
fn kill_descendants(reader: &mut Reader, me: i32) {
    let found = descendants(me).unwrap_or_default();
    let known: HashSet<i32> = found.iter().copied().chain([me]).collect();
    for pid in found {
        let Ok(pidfd) = PidFd::open(pid) else {
            continue;
        };
        let ours = reader
            .stat(pid)
            .is_ok_and(|record| known.contains(&record.ppid));
        if ours && pidfd.is_running() {
            let _ = pidfd.send_signal(libc::SIGKILL);
        }
    }
}
