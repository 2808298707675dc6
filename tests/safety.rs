//! sigtree's safety promises against a hostile world: a SIGKILL to
//! sigtree's whole process group, a command that kills or stops the keeper,
//! a reader that closes check's output early.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{DEADLINE, TaggedCleanup, run_id, tagged, wait_for, wait_until_untagged};

/// `sigtree check ARGS` in a process group of its own, tagged with `id`.
fn check_command(args: &[&str], id: &str) -> Command {
    check_command_as(&[], args, id)
}

/// The same, started through `prefix` (setpriv, to run it as another user).
fn check_command_as(prefix: &[String], args: &[&str], id: &str) -> Command {
    let sigtree = env!("CARGO_BIN_EXE_sigtree").to_string();
    let (program, before) = match prefix.split_first() {
        Some((program, rest)) => (program.clone(), [rest, &[sigtree]].concat()),
        None => (sigtree, Vec::new()),
    };
    let mut command = Command::new(program);
    command
        .args(before)
        .arg("check")
        .args(args)
        .env("SIGTREE_RUN_ID", id)
        .stdin(Stdio::null())
        .process_group(0);
    command
}

fn killpg(pgid: i32) {
    let _ = rustix::process::kill_process_group(
        rustix::process::Pid::from_raw(pgid).expect("a pgid"),
        rustix::process::Signal::KILL,
    );
}

#[test]
fn sigkill_of_sigtrees_whole_group_leaves_nothing_of_the_run() {
    // (what, check's arguments, how many tagged processes mean "running")
    let cases: [(&str, &[&str], usize); 4] = [
        ("graceful pool", &["--scenario", "graceful"], 7),
        ("setsid-escape", &["--scenario", "setsid-escape"], 8),
        ("orphans", &["--scenario", "orphans"], 7),
        (
            "a fork loop whose children leave the group",
            &["--", "sh", "-c", "while :; do setsid sleep 300 & done"],
            200,
        ),
    ];
    for (what, args, running) in cases {
        let id = run_id("group-kill");
        let _cleanup = TaggedCleanup(id.clone());
        let mut all = vec!["--after", "5m"];
        all.extend_from_slice(args);
        let mut sigtree = check_command(&all, &id)
            .stdout(Stdio::null())
            .spawn()
            .expect("sigtree starts");
        wait_for(&format!("{what}: the run to start"), || {
            (tagged(&id).len() >= running).then_some(())
        });
        // As `timeout -s KILL`, `kill -9 %1` or a CI job kill do.
        killpg(sigtree.id() as i32);
        let _ = sigtree.wait();
        let killed = Instant::now();
        let left = wait_until_untagged(&id);
        eprintln!(
            "{what}: everything gone {:?} after the SIGKILL",
            killed.elapsed()
        );
        assert!(left.is_empty(), "{what}: left alive: {left:?}");
    }
}

#[test]
fn a_command_that_kills_or_stops_the_keeper_neither_leaks_nor_hangs() {
    for (what, signal) in [("killed", "KILL"), ("stopped", "STOP")] {
        let id = run_id("keeper-trouble");
        let _cleanup = TaggedCleanup(id.clone());
        // The leader's parent is the keeper; its setsid child leaves the group.
        let script = format!("kill -{signal} $PPID; setsid sleep 300 & sleep 300");
        let started = Instant::now();
        let output = check_command(
            &["--after", "1s", "--grace", "1s", "--", "sh", "-c", &script],
            &id,
        )
        .output()
        .expect("sigtree runs");
        let took = started.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout);
        // The setsid child outlived the group's SIGKILL.
        assert_eq!(
            output.status.code(),
            Some(3),
            "keeper {what}: verdict leaked\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("keeper could not end the run"),
            "keeper {what}: the report says so\n{stdout}"
        );
        assert!(took < DEADLINE, "keeper {what}: check took {took:?}");
        let left = wait_until_untagged(&id);
        assert!(left.is_empty(), "keeper {what}: left alive: {left:?}");
    }
}

#[test]
fn checks_exit_status_is_the_verdict_when_its_output_closes_early() {
    for (scenario, action, verdict) in [
        ("ignore-term", "term-group", 1),
        ("setsid-escape", "term-group", 3),
    ] {
        for json in [false, true] {
            let id = run_id("closed-output");
            let _cleanup = TaggedCleanup(id.clone());
            let mut args = vec![
                "--scenario",
                scenario,
                "--action",
                action,
                "--after",
                "100ms",
                "--grace",
                "1s",
            ];
            if json {
                args.push("--json");
            }
            // As `check … | true`: the reader is gone before anything is written.
            let mut sigtree = check_command(&args, &id)
                .stdout(Stdio::piped())
                .spawn()
                .expect("sigtree starts");
            drop(sigtree.stdout.take());
            let status = sigtree.wait().expect("sigtree ends");
            assert_eq!(
                status.code(),
                Some(verdict),
                "{scenario} {action} json={json}: the exit status is the verdict"
            );
            assert!(wait_until_untagged(&id).is_empty());
        }
    }
}

#[test]
fn the_keeper_ends_two_thousand_leftovers_in_linear_time() {
    const LEFTOVERS: usize = 2000;
    let id = run_id("leftovers");
    let _cleanup = TaggedCleanup(id.clone());
    let script = format!(
        "i=0; while [ $i -lt {LEFTOVERS} ]; do setsid sleep 300 & i=$((i+1)); done; exec sleep 300"
    );
    let mut sigtree = check_command(&["--after", "5m", "--", "sh", "-c", &script], &id)
        .stdout(Stdio::null())
        .spawn()
        .expect("sigtree starts");
    // sigtree, its keeper, the leader and the leftovers.
    wait_for("the leftovers to start", || {
        (tagged(&id).len() >= LEFTOVERS + 3).then_some(())
    });
    // Only sigtree: its keeper sees the socket close and cleans up.
    sigtree.kill().expect("SIGKILL to sigtree");
    let _ = sigtree.wait();
    let killed = Instant::now();
    let left = wait_until_untagged(&id);
    let took = killed.elapsed();
    eprintln!("{LEFTOVERS} leftovers ended {took:?} after sigtree's death");
    assert!(left.is_empty(), "left alive: {} processes", left.len());
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn sigkill_of_check_writes_no_terminal_sequence_into_its_output() {
    let id = run_id("check-output");
    let _cleanup = TaggedCleanup(id.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report");
    let file = std::fs::File::create(&path).expect("the report file");
    let mut sigtree = check_command(&["--after", "5m", "--scenario", "graceful"], &id)
        .stdout(file)
        .spawn()
        .expect("sigtree starts");
    wait_for("the pool to start", || {
        (tagged(&id).len() >= 7).then_some(())
    });
    sigtree.kill().expect("SIGKILL to sigtree");
    let _ = sigtree.wait();
    assert!(wait_until_untagged(&id).is_empty());
    let written = std::fs::read(&path).expect("the report file");
    assert!(
        !written.contains(&0x1b),
        "the keeper wrote into check's output: {written:?}"
    );
}

/// The same promises hold for a user without privilege: group signals
/// through the leader's pidfd, the keeper's cleanup, verdicts.
#[test]
fn unprivileged_check_judges_the_same_and_leaves_nothing() {
    let Some(prefix) = common::nobody_or_skip() else {
        return;
    };
    for (scenario, verdict) in [("ignore-term", 1), ("setsid-escape", 3)] {
        let id = run_id("unprivileged");
        let _cleanup = TaggedCleanup(id.clone());
        let args = [
            "--scenario",
            scenario,
            "--action",
            "term-group",
            "--after",
            "100ms",
            "--grace",
            "1s",
        ];
        let output = check_command_as(&prefix, &args, &id)
            .output()
            .expect("sigtree runs as nobody");
        assert_eq!(
            output.status.code(),
            Some(verdict),
            "{scenario} as nobody: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            wait_until_untagged(&id).is_empty(),
            "{scenario}: left alive"
        );
    }
    let id = run_id("unprivileged-kill");
    let _cleanup = TaggedCleanup(id.clone());
    let mut sigtree = check_command_as(
        &prefix,
        &["--after", "5m", "--scenario", "setsid-escape"],
        &id,
    )
    .stdout(Stdio::null())
    .spawn()
    .expect("sigtree starts as nobody");
    wait_for("the run to start", || {
        (tagged(&id).len() >= 8).then_some(())
    });
    killpg(sigtree.id() as i32);
    let _ = sigtree.wait();
    let left = wait_until_untagged(&id);
    assert!(
        left.is_empty(),
        "as nobody, SIGKILL of the group left: {left:?}"
    );
}
