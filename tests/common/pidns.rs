//! A process given an exact pid inside a pid namespace (clone3's set_tid),
//! to show that a recycled pid is never signalled. Root only: set_tid needs
//! CAP_SYS_ADMIN over the namespace.

use std::io::Read as _;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{DEADLINE, stat, wait_for};

/// Why this machine cannot run pid-reuse tests, if it cannot.
pub fn unavailable() -> Option<String> {
    if !rustix::process::geteuid().is_root() {
        return Some("needs root (clone3 set_tid in a new pid namespace)".into());
    }
    if super::find_program("unshare").is_none() {
        return Some("needs unshare(1) from util-linux".into());
    }
    None
}

/// The arguments of `unshare` that run `script` (with `$0` the sigtree
/// binary) as the init of a new pid namespace with its own /proc.
pub fn unshare_args(script: &str) -> Vec<String> {
    ["--pid", "--fork", "--mount-proc", "sh", "-c", script]
        .into_iter()
        .map(String::from)
        .chain([env!("CARGO_BIN_EXE_sigtree").to_string()])
        .collect()
}

/// A command whose leader the victim replaces: it writes its pid to
/// `$LEADER_FILE`, starts a child in a new session (so that its group
/// empties when it exits), and exits.
pub const LEADER: &str = "'echo $$ > \"$LEADER_FILE\"; setsid sleep 100 & sleep 0.3; exit 0'";

/// The first child of `pid`, once it has one.
pub fn first_child(pid: i32, what: &str) -> i32 {
    wait_for(what, || {
        sigtree::procfs::scan::children_of(pid)
            .ok()?
            .first()
            .copied()
    })
}

/// Waits until `path` holds a pid other than `old` and returns it.
pub fn read_pid(path: &std::path::Path, old: Option<i32>) -> i32 {
    wait_for("a pid in the leader file", || {
        let pid = std::fs::read_to_string(path).ok()?.trim().parse().ok()?;
        (Some(pid) != old).then_some(pid)
    })
}

/// The process that took a leader's pid; killed by pid when dropped.
pub struct Victim {
    /// Its pid in our namespace.
    pub pid: i32,
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(self.pid).expect("a pid"),
            rustix::process::Signal::KILL,
        );
    }
}

impl Victim {
    /// Creates, inside the pid namespace of `member`, a `sleep 300` that
    /// gets exactly `pid` there (retrying while the pid is still in use)
    /// and calls setsid: it leads a group numbered like the old leader's.
    /// Asserts both.
    pub fn take_pid(member: i32, pid: i32) -> Self {
        let ns = std::fs::File::open(format!("/proc/{member}/ns/pid")).expect("the pid ns");
        let deadline = Instant::now() + DEADLINE;
        let victim = loop {
            match spawn_with_pid(&ns, pid) {
                Ok(victim) => break victim,
                Err(error) if error.raw_os_error() == Some(libc::EEXIST) => {
                    assert!(Instant::now() < deadline, "pid {pid} never became free");
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(error) => panic!("clone3 with set_tid {pid}: {error}"),
            }
        };
        assert_eq!(victim.pid_in_namespace(), Some(pid), "the victim's pid");
        assert!(victim.leads_its_own_group(), "the victim leads group {pid}");
        victim
    }

    /// Its pid inside the namespace (the last NSpid field).
    fn pid_in_namespace(&self) -> Option<i32> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
        line.split_whitespace().last()?.parse().ok()
    }

    fn leads_its_own_group(&self) -> bool {
        stat(self.pid).is_some_and(|r| r.sid == r.pid && r.pgid == r.pid)
    }

    /// Whether it still runs, untouched: alive and leading its group.
    pub fn unharmed(&self) -> bool {
        stat(self.pid).is_some_and(|r| !r.state.is_zombie() && !r.state.is_stopped())
            && self.leads_its_own_group()
    }
}

/// `struct clone_args` (include/uapi/linux/sched.h, version 2).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// A forked child joins the namespace `ns` for its children (setns),
/// clones the victim with set_tid, reports the victim's pid on a pipe and
/// exits; the victim calls setsid and execs `sleep 300`.
fn spawn_with_pid(ns: &std::fs::File, pid: i32) -> std::io::Result<Victim> {
    let (read, write): (OwnedFd, OwnedFd) = rustix::pipe::pipe()?;
    let ns_fd = ns.as_raw_fd();
    let write_fd = write.as_raw_fd();
    let tids = [pid];
    let args = CloneArgs {
        exit_signal: libc::SIGCHLD as u64,
        set_tid: tids.as_ptr() as u64,
        set_tid_size: 1,
        ..CloneArgs::default()
    };
    let mut command = Command::new("sleep");
    command
        .arg("300")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: between fork and exec only raw system calls on memory
    // prepared before the fork (args, tids, the descriptors).
    unsafe {
        command.pre_exec(move || {
            if libc::setns(ns_fd, libc::CLONE_NEWPID) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let child = libc::syscall(
                libc::SYS_clone3,
                &args as *const CloneArgs,
                std::mem::size_of::<CloneArgs>(),
            );
            match child {
                -1 => Err(std::io::Error::last_os_error()),
                0 => {
                    // The victim: its own session and group, then exec.
                    libc::setsid();
                    Ok(())
                }
                victim => {
                    let bytes = (victim as i32).to_ne_bytes();
                    libc::write(write_fd, bytes.as_ptr().cast(), bytes.len());
                    libc::_exit(0)
                }
            }
        });
    }
    let mut middle = command.spawn()?;
    drop(write);
    let _ = middle.wait();
    let mut bytes = [0u8; 4];
    std::fs::File::from(read).read_exact(&mut bytes)?;
    Ok(Victim {
        pid: i32::from_ne_bytes(bytes),
    })
}
