//! `sigtree ps --json --signals` against two oracles, for processes this
//! test starts in stable states (a group of their own with SIGTERM blocked
//! and pending, a shell catching signals, a stopped process in a session of
//! its own with a signal pending, a zombie, a thread with a signal of its
//! own): /proc itself, and procps's `ps -o
//! pid,ppid,pgid,sid,tpgid,nlwp,pending,blocked,ignored,caught`. procps's
//! `pending` is the process-wide set, ShdPnd (FACTS 4h): sigtree's
//! `shared_pending`; sigtree's `pending` is every thread's SigPnd, united
//! (thread-directed: SPEC, "JSON").

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;

use common::{Cleanup, find_program, ps_json, python, sigtree, wait_for};
use nix::sys::signal::{SigHandler, SigSet as NixSigSet, SigmaskHow, Signal as NixSignal};
use nix::sys::signal::{kill, sigaction, sigprocmask};
use nix::unistd::Pid;
use serde_json::Value;
use sigtree::signal::sigset::{SigSet, Signal};

/// What both oracles and sigtree say of one process.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Facts {
    pid: i32,
    ppid: i32,
    pgid: i32,
    sid: i32,
    tpgid: i32,
    threads: i64,
    /// Process-wide pending (ShdPnd).
    shared_pending: u64,
    blocked: u64,
    ignored: u64,
    caught: u64,
}

/// A mask of signal names from sigtree's JSON.
fn mask(process: &Value, name: &str) -> u64 {
    let names = process["signals"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no signals.{name} in {process}"));
    let set: SigSet = names
        .iter()
        .map(|n| {
            let n = n.as_str().expect("a signal name");
            n.parse::<Signal>()
                .unwrap_or_else(|_| panic!("{n} names a signal"))
        })
        .collect();
    set.bits()
}

/// What `sigtree ps --json --signals` says of `pid`, and its `pending`.
fn sigtree_facts(listing: &Value, pid: i32) -> (Facts, u64) {
    let p = listing
        .as_array()
        .and_then(|all| all.iter().find(|p| p["pid"] == pid))
        .unwrap_or_else(|| panic!("{pid} in sigtree's listing"));
    let int = |key: &str| p[key].as_i64().unwrap_or_else(|| panic!("{key} of {p}"));
    let facts = Facts {
        pid,
        ppid: int("ppid") as i32,
        pgid: int("pgid") as i32,
        sid: int("sid") as i32,
        tpgid: int("tpgid") as i32,
        threads: int("threads"),
        shared_pending: mask(p, "shared_pending"),
        blocked: mask(p, "blocked"),
        ignored: mask(p, "ignored"),
        caught: mask(p, "caught"),
    };
    (facts, mask(p, "pending"))
}

/// The value of `field` in a status file, a hex mask.
fn status_mask(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or_else(|| panic!("{field} in {status}"))
}

/// What /proc says of `pid` (stat's ids, status's masks), and its
/// thread-directed pending signals: every thread's SigPnd, united.
fn proc_facts(pid: i32) -> (Facts, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // After the comm's closing parenthesis: state ppid pgrp session tty_nr
    // tpgid …; num_threads is field 20.
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let field = |n: usize| -> i64 { fields[n - 3].parse().expect("a number") };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let mut pending = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("tasks") {
        let path = task.expect("a task").path().join("status");
        if let Ok(text) = std::fs::read_to_string(path) {
            pending |= status_mask(&text, "SigPnd:");
        }
    }
    let facts = Facts {
        pid,
        ppid: field(4) as i32,
        pgid: field(5) as i32,
        sid: field(6) as i32,
        tpgid: field(8) as i32,
        threads: field(20),
        shared_pending: status_mask(&status, "ShdPnd:"),
        blocked: status_mask(&status, "SigBlk:"),
        ignored: status_mask(&status, "SigIgn:"),
        caught: status_mask(&status, "SigCgt:"),
    };
    (facts, pending)
}

/// What procps's ps says of each of `pids`.
fn procps_facts(ps: &std::path::Path, pids: &[i32]) -> Vec<Facts> {
    let list: Vec<String> = pids.iter().map(i32::to_string).collect();
    let output = Command::new(ps)
        .args([
            "-o",
            "pid=,ppid=,pgid=,sid=,tpgid=,nlwp=,pending=,blocked=,ignored=,caught=",
            "-p",
            &list.join(","),
        ])
        .output()
        .expect("procps's ps runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .map(|line| {
            let w: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(w.len(), 10, "ten columns: {line:?}");
            let int = |i: usize| -> i64 { w[i].parse().expect("a number") };
            let hex = |i: usize| u64::from_str_radix(w[i], 16).expect("a hex mask");
            Facts {
                pid: int(0) as i32,
                ppid: int(1) as i32,
                pgid: int(2) as i32,
                sid: int(3) as i32,
                tpgid: int(4) as i32,
                threads: int(5),
                shared_pending: hex(6),
                blocked: hex(7),
                ignored: hex(8),
                caught: hex(9),
            }
        })
        .collect()
}

/// procps's own ps (`ps -V` names procps), or why not.
fn procps() -> Result<std::path::PathBuf, String> {
    let ps = find_program("ps").ok_or("no ps on PATH")?;
    let version = Command::new(&ps)
        .arg("-V")
        .output()
        .map_err(|e| format!("ps -V: {e}"))?;
    let said = String::from_utf8_lossy(&version.stdout).into_owned();
    if said.contains("procps") {
        Ok(ps)
    } else {
        Err(format!("{} is not procps's ps: {said:?}", ps.display()))
    }
}

/// The bit of `signal` in a mask.
fn bit(signal: NixSignal) -> u64 {
    1 << (signal as i32 - 1)
}

/// The processes, each in a state that does not change by itself.
struct Stable {
    /// `sleep` in a group of its own, SIGTERM blocked and sent (pending),
    /// SIGINT ignored.
    blocked: i32,
    /// A shell that traps TERM and USR1, and its `sleep` child.
    trapping: i32,
    child: i32,
    /// `sleep` in a session of its own, stopped, then sent SIGTERM: it
    /// stays pending until continued (FACTS 4b).
    stopped: i32,
    /// An exited `sleep 0` whose parent never waits.
    zombie: i32,
    /// A Python thread with a signal pending for it alone, when Python is
    /// there.
    threaded: Option<i32>,
}

/// Starts the processes and waits until each is in its state.
fn start(cleanup: &mut Cleanup) -> Stable {
    let mut blocked = Command::new("sleep");
    blocked.arg("300");
    // SAFETY: setpgid, sigprocmask and sigaction are async-signal-safe; the
    // sets are built in the child.
    unsafe {
        blocked.pre_exec(|| {
            nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0))?;
            let mut set = NixSigSet::empty();
            set.add(NixSignal::SIGTERM);
            sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)?;
            let ignore = nix::sys::signal::SigAction::new(
                SigHandler::SigIgn,
                nix::sys::signal::SaFlags::empty(),
                NixSigSet::empty(),
            );
            sigaction(NixSignal::SIGINT, &ignore)?;
            Ok(())
        });
    }
    let blocked = cleanup.spawn(&mut blocked);
    cleanup.group(blocked);
    wait_for("sleep with SIGTERM blocked", || {
        let (facts, _) = proc_facts(blocked);
        (facts.blocked & bit(NixSignal::SIGTERM) != 0 && comm(blocked) == "sleep").then_some(())
    });
    kill(Pid::from_raw(blocked), NixSignal::SIGTERM).expect("SIGTERM to the blocked sleep");

    let mut trapping = Command::new("sh");
    trapping.args(["-c", "trap 'exit 0' TERM USR1; sleep 300 & wait"]);
    let trapping = cleanup.spawn(&mut trapping);
    let child = wait_for("the shell's trap and its child", || {
        let (facts, _) = proc_facts(trapping);
        let child = common::live_pids_where(|r| r.ppid == trapping && r.comm == "sleep");
        (facts.caught & bit(NixSignal::SIGUSR1) != 0)
            .then(|| child.first().copied())
            .flatten()
    });
    cleanup.pid(child);

    let mut stopped = Command::new("sleep");
    stopped.arg("300");
    let stopped = cleanup.spawn_session(&mut stopped);
    wait_for("the sleep in its session", || {
        (comm(stopped) == "sleep").then_some(())
    });
    kill(Pid::from_raw(stopped), NixSignal::SIGSTOP).expect("SIGSTOP");
    wait_for("the stop", || common::is_stopped(stopped).then_some(()));
    kill(Pid::from_raw(stopped), NixSignal::SIGTERM).expect("SIGTERM to the stopped sleep");

    let mut parent = Command::new("sh");
    parent.args(["-c", "sleep 0 & exec sleep 300"]);
    let parent = cleanup.spawn(&mut parent);
    let zombie = wait_for("the zombie", || {
        let pids = sigtree::procfs::scan::list_pids().ok()?;
        pids.into_iter().find(|&pid| {
            common::stat(pid).is_some_and(|r| r.ppid == parent && r.state.is_zombie())
                && comm(parent) == "sleep"
        })
    });

    let threaded = python().map(|python| common::spawn_thread_pending_usr1(cleanup, &python));
    Stable {
        blocked,
        trapping,
        child,
        stopped,
        zombie,
        threaded,
    }
}

/// `pid`'s command name.
fn comm(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim_end().to_string())
        .unwrap_or_default()
}

#[test]
fn ps_json_signals_agrees_with_proc_and_with_procps() {
    let ps = match procps() {
        Ok(ps) => Some(ps),
        Err(why) => {
            eprintln!("procps's ps is not compared: {why} (/proc still is)");
            None
        }
    };
    let mut cleanup = Cleanup::default();
    let stable = start(&mut cleanup);
    let mut pids = vec![
        stable.blocked,
        stable.trapping,
        stable.child,
        stable.stopped,
        stable.zombie,
    ];
    pids.extend(stable.threaded);

    let listing = ps_json(&["--signals"]);
    let from_procps = ps.map(|ps| procps_facts(&ps, &pids));
    for &pid in &pids {
        let (ours, our_pending) = sigtree_facts(&listing, pid);
        let (kernel, kernel_pending) = proc_facts(pid);
        assert_eq!(ours, kernel, "sigtree and /proc on {pid}");
        assert_eq!(
            our_pending, kernel_pending,
            "pending (every thread's SigPnd, united) of {pid}"
        );
        if let Some(procps) = &from_procps {
            let theirs = procps
                .iter()
                .find(|f| f.pid == pid)
                .unwrap_or_else(|| panic!("{pid} in procps's listing: {procps:?}"));
            assert_eq!(&ours, theirs, "sigtree and procps on {pid}");
        }
    }

    // The states are the ones the test set up, so the agreement covers them.
    let facts = |pid| sigtree_facts(&listing, pid).0;
    let term = bit(NixSignal::SIGTERM);
    let blocked = facts(stable.blocked);
    assert_eq!(blocked.pgid, stable.blocked, "a group of its own");
    assert!(blocked.shared_pending & term != 0 && blocked.blocked & term != 0);
    assert!(blocked.ignored & bit(NixSignal::SIGINT) != 0);
    assert!(facts(stable.trapping).caught & (term | bit(NixSignal::SIGUSR1)) != 0);
    assert_eq!(facts(stable.child).ppid, stable.trapping);
    let stopped = facts(stable.stopped);
    assert_eq!(stopped.sid, stable.stopped, "a session of its own");
    assert!(
        stopped.shared_pending & term != 0,
        "pending until continued"
    );
    let zombie = listing
        .as_array()
        .and_then(|all| all.iter().find(|p| p["pid"] == stable.zombie))
        .expect("the zombie");
    assert_eq!(zombie["state"], "Z");
    if let Some(threaded) = stable.threaded {
        let (ours, pending) = sigtree_facts(&listing, threaded);
        let usr1 = bit(NixSignal::SIGUSR1);
        assert!(ours.threads >= 2);
        assert!(pending & usr1 != 0, "pending for a thread: in `pending`");
        assert_eq!(
            ours.shared_pending & usr1,
            0,
            "not process-wide: procps's pending does not have it"
        );
    } else {
        eprintln!("the thread-directed case is not compared: no python3");
    }
    // sigtree ps itself exits 0 with the same listing as text.
    assert!(sigtree(&["ps", "--signals"]).status.success());
}
