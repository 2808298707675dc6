//! A recycled pid is never signalled, headless. In a new pid namespace, a
//! command's leader starts a `setsid` child and exits; once it is reaped, a
//! victim is created with exactly the leader's pid (clone3's set_tid) and
//! leads its own group. `check`'s escalation at the end of the grace and
//! the keeper's cleanup when sigtree dies must both miss it. (The TUI's
//! keys are covered in tests/tui.rs.) Root only; skipped with the reason
//! otherwise.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use common::pidns::{LEADER, Victim, first_child, read_pid, unavailable, unshare_args};
use common::{is_alive, wait_for};

/// A pid namespace whose init is a shell that runs `sigtree check …`,
/// writes its exit status to a file, then sleeps (so that the namespace
/// outlives sigtree and the victim is judged after sigtree is done).
/// Dropping it kills the init: the kernel then kills everything inside.
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
            .args(unshare_args(&script))
            .env("LEADER_FILE", dir.path().join("leader"))
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare starts");
        let init = first_child(unshare.id() as i32, "the namespace's init");
        Self { unshare, init, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Waits for the leader to write its pid and a victim to take it.
    fn replace_leader(&self) -> Victim {
        Victim::take_pid(self.init, read_pid(&self.path("leader"), None))
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
            let sigtree = first_child(ns.init, "sigtree in the namespace");
            let keeper = first_child(sigtree, "the keeper");
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_raw(sigtree).expect("a pid"),
                rustix::process::Signal::KILL,
            );
            wait_for("the keeper's end", || (!is_alive(keeper)).then_some(()));
        }),
    ];
    for (what, finish) in paths {
        let ns = Namespace::start(&format!("check --after 1s --grace 3s -- sh -c {LEADER}"));
        let victim = ns.replace_leader();
        finish(&ns);
        assert!(
            victim.unharmed(),
            "{what}: the victim with the leader's old pid was signalled"
        );
    }
}
