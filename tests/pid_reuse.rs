//! A recycled pid is never signalled. In a new pid namespace, a command's
//! leader starts a `setsid` child and exits; once it is reaped, a victim is
//! created with exactly the leader's pid (clone3's set_tid) and leads its
//! own group. Every path that signals the watched group must miss it:
//! `check`'s escalation at the end of the grace, and the keeper's cleanup
//! when sigtree dies. Root only (set_tid needs CAP_SYS_ADMIN over the
//! namespace); skipped with the reason otherwise.

mod common;

use std::io::Read as _;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{DEADLINE, is_alive, wait_for};

/// Why this machine cannot run the test, if it cannot.
fn unavailable() -> Option<String> {
    if !rustix::process::geteuid().is_root() {
        return Some("needs root (clone3 set_tid in a new pid namespace)".into());
    }
    if common::find_program("unshare").is_none() {
        return Some("needs unshare(1) from util-linux".into());
    }
    None
}

/// A pid namespace whose init is a shell that runs sigtree, writes its exit
/// status to a file, then sleeps (so that the namespace outlives sigtree and
/// the victim is judged alive after sigtree is done). Dropping it kills the
/// namespace's init: the kernel then kills everything inside.
struct Namespace {
    unshare: Child,
    init: i32,
    dir: tempfile::TempDir,
}

impl Namespace {
    fn start(sigtree_args: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = format!(
            "\"$0\" {sigtree_args} > {out} 2>&1; echo $? > {status}; exec sleep 300",
            out = dir.path().join("out").display(),
            status = dir.path().join("status").display(),
        );
        let unshare = Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc", "sh", "-c", &script])
            .arg(env!("CARGO_BIN_EXE_sigtree"))
            .env("LEADER_FILE", dir.path().join("leader"))
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("unshare starts");
        let outer = unshare.id() as i32;
        let init = wait_for("the namespace's init", || {
            sigtree::procfs::scan::children_of(outer)
                .ok()?
                .first()
                .copied()
        });
        Self { unshare, init, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The leader's pid inside the namespace, as it wrote it.
    fn leader(&self) -> i32 {
        wait_for("the leader's pid", || {
            std::fs::read_to_string(self.path("leader"))
                .ok()?
                .trim()
                .parse()
                .ok()
        })
    }

    /// sigtree's pid (in our namespace): the init's child.
    fn sigtree(&self) -> i32 {
        wait_for("sigtree in the namespace", || {
            sigtree::procfs::scan::children_of(self.init)
                .ok()?
                .first()
                .copied()
        })
    }

    /// sigtree's exit status and output, once it has exited.
    fn result(&self) -> (i32, String) {
        let status = wait_for("sigtree's exit status", || {
            std::fs::read_to_string(self.path("status"))
                .ok()?
                .trim()
                .parse()
                .ok()
        });
        let out = std::fs::read_to_string(self.path("out")).unwrap_or_default();
        (status, out)
    }

    /// Creates, inside the namespace, a process that gets exactly `pid`
    /// there (retrying while the pid is still in use) and calls setsid:
    /// it leads a group numbered like the leader's. Returns it.
    fn victim_with_pid(&self, pid: i32) -> Victim {
        let ns = std::fs::File::open(format!("/proc/{}/ns/pid", self.init)).expect("the pid ns");
        let deadline = Instant::now() + DEADLINE;
        loop {
            match spawn_with_pid(&ns, pid) {
                Ok(victim) => return victim,
                Err(error) if error.raw_os_error() == Some(libc::EEXIST) => {
                    assert!(Instant::now() < deadline, "pid {pid} never became free");
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(error) => panic!("clone3 with set_tid {pid}: {error}"),
            }
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // The init's death makes the kernel kill the whole namespace.
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(self.init).expect("a pid"),
            rustix::process::Signal::KILL,
        );
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

/// The process that took the leader's pid; killed by pid when dropped.
struct Victim {
    /// Its pid in our namespace.
    pid: i32,
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
    /// Its pid inside the namespace (the last NSpid field).
    fn pid_in_namespace(&self) -> Option<i32> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
        line.split_whitespace().last()?.parse().ok()
    }

    fn leads_its_own_session(&self) -> bool {
        common::stat(self.pid).is_some_and(|r| r.sid == r.pid && r.pgid == r.pid)
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

/// A `sleep 300` that has `pid` inside the namespace `ns` and its own
/// session: a forked child joins the namespace for its children (setns),
/// clones the victim with set_tid, reports the victim's pid on a pipe and
/// exits; the victim calls setsid and execs sleep.
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
    command.arg("300").stdin(Stdio::null());
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

/// The command whose leader the victim replaces: it writes its pid, starts
/// a child in a new session (so the group empties when it exits), exits.
const LEADER: &str = "'echo $$ > \"$LEADER_FILE\"; setsid sleep 100 & sleep 0.3; exit 0'";

/// Waits until the victim has the leader's pid in the namespace.
fn replace_leader(ns: &Namespace) -> Victim {
    let leader = ns.leader();
    let victim = ns.victim_with_pid(leader);
    assert_eq!(
        victim.pid_in_namespace(),
        Some(leader),
        "the victim has the leader's pid"
    );
    assert!(
        victim.leads_its_own_session(),
        "the victim leads group {leader}"
    );
    victim
}

#[test]
fn a_recycled_leader_pid_is_never_signalled() {
    if let Some(reason) = unavailable() {
        eprintln!("skipped: {reason}");
        return;
    }
    // Each path that signals the watched group, after the victim took the
    // leader's pid.
    type Finish = (&'static str, fn(&Namespace));
    let paths: [Finish; 2] = [
        ("check's escalation at the end of the grace", |ns| {
            let (status, out) = ns.result();
            // The setsid child leaked; the group SIGKILL found an empty group.
            assert_eq!(status, 3, "verdict leaked: {out}");
        }),
        ("the keeper's cleanup when sigtree is SIGKILLed", |ns| {
            let sigtree = ns.sigtree();
            let keeper = wait_for("the keeper", || {
                sigtree::procfs::scan::children_of(sigtree)
                    .ok()?
                    .first()
                    .copied()
            });
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_raw(sigtree).expect("a pid"),
                rustix::process::Signal::KILL,
            );
            wait_for("the keeper's end", || (!is_alive(keeper)).then_some(()));
        }),
    ];
    for (what, finish) in paths {
        let ns = Namespace::start(&format!("check --after 1s --grace 3s -- sh -c {LEADER}"));
        let victim = replace_leader(&ns);
        finish(&ns);
        assert!(
            is_alive(victim.pid) && victim.leads_its_own_session(),
            "{what}: the victim with the leader's old pid was signalled"
        );
    }
}
