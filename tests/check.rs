//! `sigtree check` as a user meets it: bad input, a pool that ends too
//! early, and sigtree killed mid-run (the keeper must end everything).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

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
fn a_fifo_as_scenario_file_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("scenario.toml");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
    let shown = fifo.display().to_string();
    let id = run_id("fifo");
    let _cleanup = TaggedCleanup(id.clone());
    // Opening a FIFO for reading waits for a writer: without a limit, a
    // regression would hang the suite instead of failing.
    let output = common::output_within(
        Command::new(env!("CARGO_BIN_EXE_sigtree"))
            .args(["check", "--scenario", &shown])
            .env("SIGTREE_RUN_ID", &id),
        Duration::from_secs(10),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!("sigtree: cannot use scenario file {shown}: not a regular file (a FIFO)")
    );
    assert!(tagged(&id).is_empty(), "nothing started");
}

#[test]
fn a_scenario_file_that_is_not_utf8_names_the_line_of_the_bad_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("latin1.toml");
    std::fs::write(
        &path,
        b"name = \"latin1\"\nsummary = \"s\"\nexplanation = \"\"\"\nOne line,\nthen caf\xe9.\n\"\"\"\n",
    )
    .expect("write");
    let shown = path.display().to_string();
    assert_usage_error(
        &["--scenario", &shown],
        &format!("{shown}:5: field explanation: not valid UTF-8: byte 0xe9"),
    );
}

#[test]
fn an_error_under_a_deep_table_header_names_its_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("deep.toml");
    std::fs::write(
        &path,
        "name = \"deep\"\nsummary = \"s\"\nexplanation = \"e\"\n\n[master]\nreaps = true\n\n\
         [master.signals]\nsigterm = \"catch-cleanup\"\n\n[master.signals.term.on_exit]\ncleanup_ms = 5\n",
    )
    .expect("write");
    let shown = path.display().to_string();
    assert_usage_error(
        &["--scenario", &shown],
        &format!("{shown}:11: field master.signals.term: unknown field 'term'"),
    );
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

/// Runs `sigtree check --json --ready '^ready$' ARGS -- sh -c SCRIPT` and
/// returns the exit code and the report. SCRIPT prints `ready` once what
/// the test is about is in place (a trap set, a child started): the stop
/// waits for that line, not for a guessed time, which a loaded machine can
/// overrun.
fn check_shell(args: &[&str], script: &str) -> (Option<i32>, serde_json::Value) {
    let run = common::check_ready(&[], "cmd", (args, &["sh", "-c", script]), None);
    (run.code, run.report)
}

/// A shell that waits for its child, which says ready and becomes `sleep 30`.
const CHILD_THEN_TRUE: &str = "sh -c 'echo ready; exec sleep 30'; true";

/// A shell that waits for a pipeline: the child that says ready and becomes
/// `sleep 30`, piped to cat.
const PIPELINE_THEN_TRUE: &str = "sh -c 'echo ready; exec sleep 30' | cat; true";

fn role_outcome(report: &serde_json::Value, role: &str) -> Vec<String> {
    report["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| p["role"] == role)
        .map(|p| p["outcome"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_command_that_exits_0_on_sigterm_is_graceful() {
    let (code, report) = check_shell(
        &[],
        "trap 'exit 0' TERM; echo ready; while true; do sleep 0.05; done",
    );
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "graceful");
    assert_eq!(role_outcome(&report, "leader"), ["exited"], "{report:#}");
    assert_eq!(report["tasks"], serde_json::Value::Null);
}

#[test]
fn a_command_that_exits_non_zero_is_unclean() {
    let (code, report) = check_shell(
        &[],
        "trap 'exit 3' TERM; echo ready; while true; do sleep 0.05; done",
    );
    assert_eq!(code, Some(5), "{report:#}");
    let leader = &report["processes"][0];
    assert_eq!(
        (leader["role"].as_str(), leader["exit_code"].as_i64()),
        (Some("leader"), Some(3))
    );
}

#[test]
fn a_shell_without_a_trap_dies_of_sigterm_and_orphans_its_child() {
    // dash does not exec its last command: sleep is a child, and SIGTERM to
    // the leader alone leaves it running until escalation. The child says
    // ready, then becomes sleep.
    let (code, report) = check_shell(&["--grace", "1s"], CHILD_THEN_TRUE);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(role_outcome(&report, "leader"), ["signaled"], "{report:#}");
    assert_eq!(role_outcome(&report, "child"), ["killed"], "{report:#}");
    let child = report["processes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["role"] == "child"))
        .expect("the child");
    assert_eq!(child["orphaned"], true);
    assert_eq!(report["escalated"], true);
}

#[test]
fn term_to_the_group_terminates_leader_and_child() {
    let (code, report) = check_shell(&["--action", "term-group"], CHILD_THEN_TRUE);
    assert_eq!(code, Some(4), "{report:#}");
    assert_eq!(role_outcome(&report, "leader"), ["signaled"], "{report:#}");
    assert_eq!(role_outcome(&report, "child"), ["signaled"], "{report:#}");
}

#[test]
fn a_command_that_ignores_sigterm_is_forced() {
    let (code, report) = check_shell(
        &["--grace", "1s"],
        "trap '' TERM; echo ready; while true; do sleep 0.05; done",
    );
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(role_outcome(&report, "leader"), ["killed"], "{report:#}");
}

#[test]
fn a_grandchild_that_called_setsid_is_leaked() {
    if common::find_program("setsid").is_none() {
        eprintln!("skipped: setsid(1) is not on PATH");
        return;
    }
    // The grandchild says ready after setsid, then becomes sleep.
    let (code, report) = check_shell(
        &["--grace", "1s"],
        "sh -c 'setsid sh -c \"echo ready; exec sleep 30\" & wait'; true",
    );
    assert_eq!(code, Some(3), "{report:#}");
    let leaked: Vec<&serde_json::Value> = report["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| p["outcome"] == "leaked")
        .collect();
    assert_eq!(leaked.len(), 1, "{report:#}");
    assert_eq!(leaked[0]["role"], "descendant");
    assert_eq!(leaked[0]["escaped_group"], true);
}

#[test]
fn ready_waits_for_a_line_of_output() {
    let id = run_id("ready");
    let _cleanup = TaggedCleanup(id.clone());
    // The line comes after 2 s, later than the default --after of 1 s: had
    // check not waited for it, `sleep 2` would still run at the stop.
    let script = "sleep 2; echo listening; exec sleep 30";
    let output = check(
        &["--json", "--ready", "^listening$", "--", "sh", "-c", script],
        &id,
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    assert_eq!(output.status.code(), Some(4), "{report:#}");
    let child = report["processes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["role"] == "child"))
        .expect("the sleep 2 child");
    assert_eq!(child["outcome"], "exited", "{report:#}");
    assert_eq!(child["exit_code"], 0, "{report:#}");
    // Seen ended no later than the stop request (times are in whole ms).
    let at = child["at_ms"].as_i64().expect("its time");
    assert!(at <= 0, "sleep 2 ended {at} ms after the stop request");
    assert!(wait_until_untagged(&id).is_empty());
}

#[test]
fn a_command_that_ends_before_the_stop_or_is_missing_is_an_error() {
    assert_usage_error(
        &["--", "sh", "-c", "exit 0"],
        "ended before the stop request",
    );
    assert_usage_error(
        &["--", "no-such-command-here"],
        "command not found: no-such-command-here",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\nsleep 30\n").expect("write");
    let shown = script.display().to_string();
    assert_usage_error(&["--", &shown], &format!("not executable: {shown}"));
    assert_usage_error(
        &["--ready", "(", "--", "sleep", "1"],
        "invalid --ready pattern",
    );
    assert_usage_error(
        &["--action", "stop-event", "--", "sleep", "1"],
        "only in the built-in pool",
    );
}

#[test]
fn a_shell_pipeline_ends_as_a_group_but_not_through_its_leader() {
    // SIGTERM to the group reaches every stage; to the leader alone it
    // leaves the pipeline's stages running until escalation. The first
    // stage says ready, then becomes sleep; cat passing the line on means
    // both stages run.
    let (code, report) = check_shell(&["--action", "term-group"], PIPELINE_THEN_TRUE);
    assert_eq!(code, Some(4), "{report:#}");
    assert_eq!(
        role_outcome(&report, "child").len(),
        2,
        "sleep and cat: {report:#}"
    );
    let (code, report) = check_shell(&["--grace", "1s"], PIPELINE_THEN_TRUE);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(
        role_outcome(&report, "child"),
        ["killed", "killed"],
        "{report:#}"
    );
}

/// The peak resident size of `pid` so far (VmHWM), in KiB; `None` once gone.
fn peak_rss_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[test]
fn endless_output_without_a_newline_keeps_memory_bounded() {
    // Far above what a bounded reader needs, far below what an unbounded one
    // reaches within the run (gigabytes a second from /dev/zero).
    const BOUND_KIB: u64 = 64 * 1024;
    let id = run_id("zero");
    let _cleanup = TaggedCleanup(id.clone());
    let mut sigtree = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["check", "--json", "--after", "1s", "--grace", "2s"])
        .args(["--", "sh", "-c", "exec cat /dev/zero"])
        .env("SIGTREE_RUN_ID", &id)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sigtree starts");
    let pid = sigtree.id() as i32;
    let mut peak = 0;
    let status = wait_for("check to end", || {
        peak = peak.max(peak_rss_kib(pid).unwrap_or(0));
        if peak > 4 * BOUND_KIB {
            // Stop it before it takes the machine's memory; fails below.
            let _ = sigtree.kill();
        }
        sigtree.try_wait().expect("wait for sigtree")
    });
    assert!(peak < BOUND_KIB, "sigtree reached {peak} KiB");
    let mut stdout = Vec::new();
    let mut stderr = String::new();
    use std::io::Read;
    let _ = sigtree
        .stdout
        .take()
        .map(|mut s| s.read_to_end(&mut stdout));
    let _ = sigtree
        .stderr
        .take()
        .map(|mut s| s.read_to_string(&mut stderr));
    // cat, the leader, has SIGTERM's default action: "terminated".
    assert_eq!(status.code(), Some(4), "{status:?}: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&stdout).expect("a JSON report");
    assert_eq!(report["verdict"], "terminated", "{report:#}");
    assert!(wait_until_untagged(&id).is_empty());
}

#[test]
fn a_hostile_command_line_prints_one_row_per_process_and_no_control_character() {
    let id = run_id("hostile");
    let _cleanup = TaggedCleanup(id.clone());
    // $0 would set the terminal's title and $1 forge a row if printed raw.
    let args = [
        "--after",
        "300ms",
        "--grace",
        "1s",
        "--",
        "sh",
        "-c",
        "sleep 300; exit 0",
        "\u{1b}]0;PWNED\u{7}",
        "\n    1 leader   died of SIGTERM",
    ];
    let output = check(&args, &id);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| c.is_control() && c != '\n')
        .collect();
    assert!(raw.is_empty(), "raw control characters {raw:?} in:\n{text}");
    // The header, then one row per process (the shell and its sleep).
    let rows: Vec<(&str, &str)> = text
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with("verdict:"))
        .map(|line| {
            let mut fields = line.split_whitespace();
            (
                fields.next().unwrap_or_default(),
                fields.next().unwrap_or_default(),
            )
        })
        .collect();
    let roles: Vec<&str> = rows.iter().map(|(_, role)| *role).collect();
    assert_eq!(roles, ["leader", "child"], "{text}");
    assert!(
        rows.iter()
            .all(|(pid, _)| pid.parse::<i32>().is_ok_and(|p| p > 1)),
        "{text}"
    );
    assert!(wait_until_untagged(&id).is_empty());
}

/// A launcher's helper that exits 1 at start-up (as pyenv's shim does)
/// does not make a clean stop unclean; `--strict` counts it.
#[test]
fn an_exit_before_the_stop_request_counts_only_with_strict() {
    // The helper lives 1.5 s, so that the walk (every 250 ms) sees it; the leader
    // then says ready and exits 0 on SIGTERM.
    let script = "sh -c 'sleep 1.5; exit 1' & wait; trap 'exit 0' TERM; echo ready; \
                  while :; do sleep 0.1; done";
    for (strict, verdict, code) in [(false, "graceful", 0), (true, "unclean", 5)] {
        let args: &[&str] = if strict { &["--strict"] } else { &[] };
        let (status, report) = check_shell(args, script);
        assert_eq!(report["verdict"], verdict, "strict={strict}: {report:#}");
        assert_eq!(status, Some(code), "strict={strict}");
        let early: Vec<&serde_json::Value> = report["processes"]
            .as_array()
            .expect("processes")
            .iter()
            .filter(|p| p["before_stop"] == true)
            .collect();
        assert!(
            early.iter().any(|p| p["exit_code"] == 1),
            "the helper ended before the stop: {report:#}"
        );
        // Seen ended at the latest in the walk just before the request
        // (within its millisecond).
        assert!(
            early
                .iter()
                .all(|p| p["at_ms"].as_i64().is_some_and(|ms| ms <= 0)),
            "{report:#}"
        );
    }
}

/// Runs `sigtree check --json --after 300ms ARGS` on a scenario and
/// returns the exit code and the report.
fn check_scenario(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let id = run_id("causes");
    let _cleanup = TaggedCleanup(id.clone());
    let mut all = vec!["--json", "--after", "300ms"];
    all.extend_from_slice(args);
    let output = check(&all, &id);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {stderr}"));
    let left = wait_until_untagged(&id);
    assert!(left.is_empty(), "processes of the run remain: {left:?}");
    (output.status.code(), report)
}

/// The `cause` of every process whose role starts with `role`, each
/// without its time (which varies from run to run) but with whether it has one.
fn causes(report: &serde_json::Value, role: &str) -> Vec<serde_json::Value> {
    report["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| p["role"].as_str().is_some_and(|r| r.starts_with(role)))
        .map(|p| {
            let mut cause = p["cause"].clone();
            let timed = cause["after_ms"].is_u64();
            cause["after_ms"] = serde_json::Value::Bool(timed);
            cause
        })
        .collect()
}

fn cause(kind: &str, signal: Option<&str>, from: Option<&str>, timed: bool) -> serde_json::Value {
    serde_json::json!({
        "kind": kind, "signal": signal, "from": from, "from_pid": null,
        "from_comm": null, "inferred": null, "after_ms": timed
    })
}

#[test]
fn the_stop_event_is_the_cause_of_the_workers_exits_and_the_master_ends_by_itself() {
    let (code, report) = check_scenario(&["--scenario", "graceful", "--action", "stop-event"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        causes(&report, "worker-"),
        vec![cause("stop_event", None, Some("sigtree"), true); 4],
        "{report:#}"
    );
    // The master polls nothing: it exits once its workers have.
    assert_eq!(
        causes(&report, "master"),
        [cause("own", None, None, false)],
        "{report:#}"
    );
}

#[test]
fn sigkill_to_the_group_is_the_members_cause_and_escalation_the_escapees() {
    let (code, report) = check_scenario(&[
        "--scenario",
        "setsid-escape",
        "--action",
        "kill-group",
        "--grace",
        "1s",
    ]);
    assert_eq!(code, Some(3), "{report:#}");
    let killed = cause("signal", Some("SIGKILL"), Some("sigtree"), true);
    assert_eq!(
        causes(&report, "master"),
        std::slice::from_ref(&killed),
        "{report:#}"
    );
    assert_eq!(causes(&report, "worker-"), vec![killed; 4], "{report:#}");
    // SIGKILL to the group never reached them: alive after escalation.
    assert_eq!(
        causes(&report, "grandchild"),
        vec![cause("escalation", Some("SIGKILL"), Some("sigtree"), true); 4],
        "{report:#}"
    );
}

#[test]
fn a_caught_sigterm_is_the_cause_of_an_exit_and_a_signal_from_elsewhere_is_known_only_with_kernel_events()
 {
    // On SIGTERM the leader sends SIGHUP to its `sleep 30`, then exits 0.
    // Ready only once the child has exec'd sleep: first seen as the forked
    // shell, it would keep that command line.
    let (code, report) = check_shell(
        &[],
        "trap 'kill -HUP $c; exit 0' TERM; sleep 30 & c=$!; \
         until grep -qx sleep /proc/$c/comm; do sleep 0.01; done; echo ready; \
         while :; do sleep 0.1; done",
    );
    assert_eq!(code, Some(4), "{report:#}");
    assert_eq!(
        causes(&report, "leader"),
        [cause("signal", Some("SIGTERM"), Some("sigtree"), true)],
        "{report:#}"
    );
    let sleeper = report["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .find(|p| p["cmd"] == "sleep 30")
        .expect("the sleep 30 child");
    assert_eq!(sleeper["signal"], "SIGHUP", "{report:#}");
    // Its sender is seen only with the kernel's signal events (root).
    let cause = if report["events_source"] == "kernel" {
        let leader = report["processes"]
            .as_array()
            .expect("processes")
            .iter()
            .find(|p| p["role"] == "leader")
            .expect("the leader");
        serde_json::json!({
            "kind": "signal", "signal": "SIGHUP", "from": "process", "from_pid": leader["pid"],
            "from_comm": "sh", "inferred": null, "after_ms": sleeper["cause"]["after_ms"]
        })
    } else {
        serde_json::json!({
            "kind": "signal", "signal": "SIGHUP", "from": "unknown", "from_pid": null,
            "from_comm": null, "inferred": null, "after_ms": null
        })
    };
    assert_eq!(sleeper["cause"], cause, "{report:#}");
}

#[test]
fn the_text_report_says_each_cause_in_words() {
    let id = run_id("causes-text");
    let _cleanup = TaggedCleanup(id.clone());
    let output = check(
        &[
            "--scenario",
            "setsid-escape",
            "--action",
            "kill-group",
            "--grace",
            "1s",
            "--after",
            "300ms",
        ],
        &id,
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{text}");
    let rows = |role: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(role))
            .map(str::to_string)
            .collect()
    };
    let master = rows("master");
    assert!(
        master.len() == 1
            && master[0].contains("died of SIGKILL sent by sigtree (the stop's signal)"),
        "{text}"
    );
    let grandchildren = rows("grandchild");
    assert_eq!(grandchildren.len(), 4, "{text}");
    assert!(
        grandchildren.iter().all(|l| l.contains(
            "leaked: left the group with setsid; alive after escalation's SIGKILL, ended by pidfd"
        ) && l
            .contains("orphan: re-parented to sigtree's keeper (subreaper)")),
        "{text}"
    );
    assert!(wait_until_untagged(&id).is_empty());
}

#[test]
fn ready_refuses_after_and_gives_up_at_its_timeout() {
    assert_usage_error(
        &["--ready", "^x$", "--after", "2s", "--", "true"],
        "cannot be used with",
    );
    assert_usage_error(&["--ready-timeout", "1s", "--", "true"], "--ready");
    assert_usage_error(&["--stop-target", "leader", "--", "true"], "--signal");
    let id = run_id("ready-timeout");
    let _cleanup = TaggedCleanup(id.clone());
    let started = std::time::Instant::now();
    let output = check(
        &[
            "--ready",
            "^never$",
            "--ready-timeout",
            "1s",
            "--",
            "sleep",
            "30",
        ],
        &id,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("printed no line matching --ready within 1s"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "gave up at its timeout"
    );
    assert!(wait_until_untagged(&id).is_empty());
}

#[test]
fn signal_goes_to_the_group_unless_the_stop_target_is_the_leader() {
    // The shell exits 0 on SIGUSR1; its `sleep` child dies of it only if
    // the group gets it, and is otherwise killed by the escalation.
    let script = "trap 'exit 0' USR1; sleep 30 & c=$!; \
                  until grep -qx sleep /proc/$c/comm; do sleep 0.01; done; echo ready; wait";
    let child_signal = |args: &[&str]| {
        let mut all = vec!["--signal", "USR1", "--grace", "1s"];
        all.extend_from_slice(args);
        let (_, report) = check_shell(&all, script);
        report["processes"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["role"] == "child"))
            .map(|child| child["signal"].clone())
            .expect("the sleep child")
    };
    assert_eq!(child_signal(&[]), "SIGUSR1");
    assert_eq!(child_signal(&["--stop-target", "group"]), "SIGUSR1");
    assert_eq!(child_signal(&["--stop-target", "leader"]), "SIGKILL");
}
