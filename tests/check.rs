//! `sigtree check` as a user meets it: bad input, a pool that ends too
//! early, and sigtree killed mid-run (the keeper must end everything).

mod common;

use std::process::{Command, Stdio};

use common::{TaggedCleanup, run_id, tagged, wait_for, wait_until_untagged};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

fn check(args: &[&str], id: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .arg("check")
        .args(args)
        .env("SIGTREE_RUN_ID", id)
        .output()
        .expect("sigtree runs")
}

/// Asserts exit 2, nothing on stdout, and `message` on stderr.
fn assert_usage_error(args: &[&str], message: &str) {
    let id = run_id("bad-input");
    let _cleanup = TaggedCleanup(id.clone());
    let output = check(args, &id);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(message),
        "{args:?}: expected {message:?} in {stderr}"
    );
    assert!(output.stdout.is_empty(), "{args:?}");
    assert!(tagged(&id).is_empty(), "{args:?} started processes");
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    assert_usage_error(&["--scenario", "no-such"], "unknown scenario 'no-such'");
    assert_usage_error(&["--scenario", "graceful", "--workers", "0"], "--workers");
    assert_usage_error(
        &["--scenario", "graceful", "--workers", "1025"],
        "--workers",
    );
    assert_usage_error(
        &["--scenario", "graceful", "--action", "terminate"],
        "unknown action 'terminate'",
    );
    assert_usage_error(
        &["--scenario", "graceful", "--signal", "SIGFOO"],
        "unknown signal 'SIGFOO'",
    );
    assert_usage_error(
        &["--scenario", "graceful", "--grace", "5"],
        "invalid duration '5'",
    );
    assert_usage_error(
        &["--scenario", "graceful", "--ready", "up"],
        "--ready applies to commands",
    );
    assert_usage_error(
        &[
            "--scenario",
            "graceful",
            "--action",
            "term",
            "--signal",
            "TERM",
        ],
        "cannot be used with",
    );
}

#[test]
fn a_malformed_scenario_file_names_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.toml");
    std::fs::write(
        &path,
        "name = \"broken\"\nsummary = \"s\"\nexplanation = \"e\"\n\n[workers.signals]\nsigterm = \"catch\"\n",
    )
    .expect("write");
    let shown = path.display().to_string();
    assert_usage_error(&["--scenario", &shown], &format!("{shown}:6"));
    assert_usage_error(&["--scenario", &shown], "workers.signals.sigterm");
}

#[test]
fn a_pool_that_ends_before_the_stop_request_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("short.toml");
    std::fs::write(
        &path,
        "name = \"short\"\nsummary = \"s\"\nexplanation = \"e\"\n[pool]\nworkers = 2\ntasks = 2\ntask_ms = 10\n",
    )
    .expect("write");
    let id = run_id("short");
    let _cleanup = TaggedCleanup(id.clone());
    let output = check(
        &["--scenario", &path.display().to_string(), "--after", "2s"],
        &id,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ended before the stop request"), "{stderr}");
    assert!(wait_until_untagged(&id).is_empty());
}

#[test]
fn sigkill_of_sigtree_mid_run_leaves_nothing_behind() {
    let id = run_id("sigkill");
    let _cleanup = TaggedCleanup(id.clone());
    // ignore-term: the workers would survive a plain SIGTERM; only the
    // keeper's SIGKILL can end them once sigtree is gone.
    let mut sigtree = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["check", "--scenario", "ignore-term", "--after", "60s"])
        .env("SIGTREE_RUN_ID", &id)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sigtree starts");
    let sigtree_pid = sigtree.id() as i32;
    // sigtree, the keeper, the master and four workers.
    wait_for("the pool to start", || {
        (tagged(&id).len() >= 7).then_some(())
    });
    kill(Pid::from_raw(sigtree_pid), Signal::SIGKILL).expect("SIGKILL sigtree");
    sigtree.wait().expect("reap sigtree");
    let left = wait_until_untagged(&id);
    assert!(
        left.is_empty(),
        "still running after sigtree's SIGKILL: {left:?}"
    );
}
