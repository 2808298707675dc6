//! `sigtree check --policy P`: each runtime's distinguishing behaviour on
//! real processes. docker's, Kubernetes' and tini's pid namespace is the
//! kernel's own where one can be made (as root, or in a user namespace),
//! and emulated where not; both are tested.

mod common;

use std::process::Command;

use common::{TaggedCleanup, run_id, wait_until_untagged};

/// Runs `check --json --ready ^ready$ --policy POLICY ARGS -- CMD…`;
/// returns the exit status and the report, once nothing of the run is left.
fn check_policy(policy: &str, args: &[&str], command: &[&str]) -> (Option<i32>, serde_json::Value) {
    check_policy_under(&[], policy, args, command)
}

/// [`check_policy`] with sigtree run through `runner` (a program and its
/// arguments before sigtree's own: another user, another namespace).
fn check_policy_under(
    runner: &[String],
    policy: &str,
    args: &[&str],
    command: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let args: Vec<&str> = ["--policy", policy]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let run = common::check_ready(runner, &format!("policy-{policy}"), (&args, command), None);
    (run.code, run.report)
}

/// A runner inside a user namespace whose limits allow no new pid or user
/// namespace (the limits are per user namespace: the machine's stay as
/// they are), or why there can be none here.
fn without_namespaces() -> Result<Vec<String>, String> {
    let unshare = common::find_program("unshare").ok_or("unshare(1) is not on PATH")?;
    let runner: Vec<String> = [
        unshare.display().to_string(),
        "--user".into(),
        "--map-root-user".into(),
        "sh".into(),
        "-c".into(),
        "echo 0 > /proc/sys/user/max_pid_namespaces && \
         echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\""
            .into(),
        "sh".into(),
    ]
    .into();
    let probe = Command::new(&runner[0])
        .args(&runner[1..])
        .arg("true")
        .output();
    match probe {
        Ok(output) if output.status.success() => Ok(runner),
        _ => Err("no user namespace can be made here to forbid pid namespaces in".into()),
    }
}

/// The outcome and cause kind of every process whose command is `cmd`.
fn endings(report: &serde_json::Value, cmd: &str) -> Vec<(String, String)> {
    report["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| p["cmd"] == cmd)
        .map(|p| {
            (
                p["outcome"].as_str().unwrap_or_default().to_string(),
                p["cause"]["kind"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A shell with two background `sleep`s, each seen as `sleep` before
/// ready is said.
const SHELL_WITH_TWO_CHILDREN: &str = "sleep 30 & a=$!; sleep 31 & b=$!; \
     until grep -qx sleep /proc/$a/comm && grep -qx sleep /proc/$b/comm; do sleep 0.01; done; \
     echo ready; wait";

/// docker on a shell without a SIGTERM handler and two children: the
/// SIGTERM to PID 1 does nothing (the kernel drops it, or sigtree withholds
/// it when emulating), SIGKILL at the grace ends PID 1, and the children
/// die with the namespace — by the kernel's teardown when it is real.
fn assert_docker_forces_a_shell_without_handler(runner: &[String], real: Option<bool>) {
    let (code, report) = check_policy_under(
        runner,
        "docker",
        &["--grace", "1s"],
        &["sh", "-c", SHELL_WITH_TWO_CHILDREN],
    );
    assert_eq!(code, Some(1), "forced: {report:#}");
    assert_eq!(report["policy"], "docker", "{report:#}");
    assert!(report["action"].is_null(), "{report:#}");
    assert_eq!(report["grace_ms"], 1000, "--grace replaces docker's 10 s");
    assert_eq!(report["containment"]["kind"], "pid_namespace", "{report:#}");
    let was_real = report["containment"]["real"].as_bool().expect("real");
    if let Some(real) = real {
        assert_eq!(was_real, real, "{report:#}");
    }
    let leader = report["processes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["role"] == "leader"))
        .expect("the leader");
    // The shell has no SIGTERM handler: only SIGKILL ended it.
    assert_eq!(leader["outcome"], "killed", "{report:#}");
    assert_eq!(leader["cause"]["kind"], "escalation", "{report:#}");
    let time = report["time_to_exit_ms"].as_u64().expect("a time to exit");
    assert!(time >= 1000, "nothing ended before the grace: {report:#}");
    let teardown_by = if was_real { "kernel" } else { "sigtree" };
    for cmd in ["sleep 30", "sleep 31"] {
        let child = report["processes"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["cmd"] == cmd))
            .unwrap_or_else(|| panic!("{cmd}: {report:#}"));
        assert_eq!(child["outcome"], "killed", "{report:#}");
        assert_eq!(child["signal"], "SIGKILL", "{report:#}");
        assert_eq!(child["cause"]["kind"], "namespace_teardown", "{report:#}");
        assert_eq!(child["cause"]["from"], teardown_by, "{report:#}");
    }
}

#[test]
fn docker_forces_a_program_without_a_sigterm_handler_in_a_real_pid_namespace() {
    // Root may always make one; a user only where user namespaces are allowed.
    let root = rustix::process::geteuid().is_root();
    assert_docker_forces_a_shell_without_handler(&[], root.then_some(true));
}

#[test]
fn docker_forces_the_same_program_run_by_nobody() {
    match common::as_nobody() {
        Ok(runner) => assert_docker_forces_a_shell_without_handler(&runner, None),
        Err(why) => eprintln!("skipped: {why}"),
    }
}

#[test]
fn docker_forces_the_same_program_emulated_where_no_pid_namespace_can_be_made() {
    match without_namespaces() {
        Ok(runner) => assert_docker_forces_a_shell_without_handler(&runner, Some(false)),
        Err(why) => eprintln!("skipped: {why}"),
    }
}

/// The process of `report` whose command is `cmd`.
fn process<'r>(report: &'r serde_json::Value, cmd: &str) -> &'r serde_json::Value {
    report["processes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["cmd"] == cmd))
        .unwrap_or_else(|| panic!("no {cmd}: {report:#}"))
}

/// The leader of `report`.
fn leader(report: &serde_json::Value) -> &serde_json::Value {
    report["processes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["role"] == "leader"))
        .unwrap_or_else(|| panic!("no leader: {report:#}"))
}

/// Checks `policy` (`tini` or `tini-g`) on `command` through `runner`
/// with a 2 s grace: its exit status and report, after asserting its
/// containment — real when `real` says so (else either) — and, when real,
/// that PID 1 was sigtree's init, the leader's parent, and exited with
/// 128 + SIGTERM as its child did; when emulated, that there was no init.
/// Returns whether it was real.
fn check_tini(
    runner: &[String],
    policy: &str,
    command: &[&str],
    real: Option<bool>,
) -> (Option<i32>, serde_json::Value, bool) {
    let (code, report) = check_policy_under(runner, policy, &["--grace", "2s"], command);
    assert_eq!(report["policy"], policy, "{report:#}");
    let containment = &report["containment"];
    assert_eq!(containment["kind"], "init_namespace", "{report:#}");
    let was_real = containment["real"].as_bool().expect("real");
    if let Some(real) = real {
        assert_eq!(was_real, real, "{report:#}");
    }
    if was_real {
        let init = &containment["init"];
        let pid1 = init["pid"].as_i64().expect("PID 1's pid");
        // The command is PID 1's child in a group of its own, not PID 1.
        assert_eq!(leader(&report)["ppid"], pid1, "{report:#}");
        assert_ne!(leader(&report)["pid"], pid1, "{report:#}");
        assert_eq!(
            leader(&report)["pgid"],
            leader(&report)["pid"],
            "{report:#}"
        );
        assert_eq!(init["exit_code"], 128 + 15, "PID 1 exited: {report:#}");
    } else {
        assert!(containment["init"].is_null(), "{report:#}");
    }
    (code, report, was_real)
}

/// `process` died of the SIGTERM that tini's PID 1 forwarded (sigtree
/// sends only to PID 1; emulated, sigtree itself sends what tini would).
fn assert_died_of_forwarded_sigterm(
    report: &serde_json::Value,
    process: &serde_json::Value,
    real: bool,
) {
    assert_eq!(process["outcome"], "signaled", "{report:#}");
    assert_eq!(process["signal"], "SIGTERM", "{report:#}");
    let cause = &process["cause"];
    assert_eq!(cause["kind"], "signal", "{report:#}");
    if !real {
        assert_eq!(cause["from"], "sigtree", "{report:#}");
    } else if cause["from"] == "process" {
        // Kernel events saw the sender: tini's PID 1.
        assert_eq!(
            cause["from_pid"], report["containment"]["init"]["pid"],
            "{report:#}"
        );
    } else {
        assert_eq!(cause["from"], "unknown", "not sigtree's: {report:#}");
    }
}

/// tini on a program with no SIGTERM handler (`sh`, then `sleep`): not PID 1 but
/// tini's child, it dies of the SIGTERM tini forwards, long before the
/// grace; tini exits with its status.
fn assert_tini_terminates_a_program_without_handler(runner: &[String], real: Option<bool>) {
    let command = ["sh", "-c", "echo ready; exec sleep 30"];
    let (code, report, real) = check_tini(runner, "tini", &command, real);
    assert_eq!(code, Some(4), "terminated: {report:#}");
    assert_eq!(report["escalated"], false, "{report:#}");
    assert!(
        report["time_to_exit_ms"].as_u64().expect("a time") < 2000,
        "{report:#}"
    );
    // The shell, or the `sleep` it became: neither handles SIGTERM.
    assert_died_of_forwarded_sigterm(&report, leader(&report), real);
}

/// tini and tini -g on a shell with two background children in its
/// group: tini forwards SIGTERM to the shell only, exits when the shell
/// does, and the namespace's teardown kills the children (the kernel's
/// when real, sigtree's emulation otherwise); tini -g forwards it to the
/// whole group, and every one of them dies of it.
fn assert_tini_forwards_to_its_child_and_tini_g_to_the_group(
    runner: &[String],
    real: Option<bool>,
) {
    let command = ["sh", "-c", SHELL_WITH_TWO_CHILDREN];
    let (code, report, was_real) = check_tini(runner, "tini", &command, real);
    assert_eq!(code, Some(1), "forced by the teardown: {report:#}");
    assert_eq!(report["escalated"], true, "{report:#}");
    assert_died_of_forwarded_sigterm(&report, leader(&report), was_real);
    let teardown_by = if was_real { "kernel" } else { "sigtree" };
    for cmd in ["sleep 30", "sleep 31"] {
        let child = process(&report, cmd);
        assert_eq!(child["outcome"], "killed", "{report:#}");
        assert_eq!(child["signal"], "SIGKILL", "{report:#}");
        assert_eq!(child["cause"]["kind"], "namespace_teardown", "{report:#}");
        assert_eq!(child["cause"]["from"], teardown_by, "{report:#}");
    }

    let (code, report, was_real) = check_tini(runner, "tini-g", &command, real);
    assert_eq!(code, Some(4), "terminated: {report:#}");
    assert_eq!(report["escalated"], false, "{report:#}");
    for process in [
        leader(&report),
        process(&report, "sleep 30"),
        process(&report, "sleep 31"),
    ] {
        assert_died_of_forwarded_sigterm(&report, process, was_real);
    }
}

/// A runner that is `nobody` where nobody may make a user and a pid
/// namespace (so sigtree's would be real), or why not.
fn nobody_with_namespaces() -> Result<Vec<String>, String> {
    let runner = common::as_nobody()?;
    let unshare = common::find_program("unshare").ok_or("unshare(1) is not on PATH")?;
    let probe = Command::new(&runner[0])
        .args(&runner[1..])
        .arg(&unshare)
        .args(["--user", "--pid", "--fork", "true"])
        .output();
    match probe {
        Ok(output) if output.status.success() => Ok(runner),
        _ => Err("nobody may not make a user and a pid namespace here".into()),
    }
}

#[test]
fn tini_forwards_sigterm_to_its_child_which_dies_of_it() {
    let root = rustix::process::geteuid().is_root();
    assert_tini_terminates_a_program_without_handler(&[], root.then_some(true));
}

#[test]
fn tini_forwards_to_its_child_only_and_tini_g_to_the_childs_group() {
    let root = rustix::process::geteuid().is_root();
    assert_tini_forwards_to_its_child_and_tini_g_to_the_group(&[], root.then_some(true));
}

/// Both tini checks through `runner`, whose containment must be `real`
/// (or not); skipped, saying why, where there is no such runner here.
fn assert_tini_through(runner: Result<Vec<String>, String>, real: bool) {
    match runner {
        Ok(runner) => {
            assert_tini_terminates_a_program_without_handler(&runner, Some(real));
            assert_tini_forwards_to_its_child_and_tini_g_to_the_group(&runner, Some(real));
        }
        Err(why) => eprintln!("skipped: {why}"),
    }
}

#[test]
fn tini_and_tini_g_run_by_nobody_in_a_user_namespace() {
    assert_tini_through(nobody_with_namespaces(), true);
}

#[test]
fn tini_and_tini_g_emulated_where_no_pid_namespace_can_be_made() {
    assert_tini_through(without_namespaces(), false);
}

#[test]
fn tini_sends_sigkill_to_pid1_at_the_grace_and_the_teardown_ends_its_child() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: only root is sure to get a real pid namespace");
        return;
    }
    // The child ignores SIGTERM: tini's forwarded SIGTERM does nothing,
    // and at the grace SIGKILL goes to PID 1 alone, whose end tears the
    // namespace down.
    let command = ["sh", "-c", "trap '' TERM; echo ready; exec sleep 30"];
    let (code, report) = check_policy("tini", &["--grace", "1s"], &command);
    assert_eq!(code, Some(1), "forced: {report:#}");
    assert_eq!(report["containment"]["real"], true, "{report:#}");
    assert_eq!(
        report["containment"]["init"]["signal"], "SIGKILL",
        "PID 1 was killed: {report:#}"
    );
    let sleep = process(&report, "sleep 30");
    assert_eq!(sleep["outcome"], "killed", "{report:#}");
    assert_eq!(sleep["cause"]["kind"], "namespace_teardown", "{report:#}");
    assert_eq!(sleep["cause"]["from"], "kernel", "{report:#}");
    assert!(
        report["time_to_exit_ms"].as_u64().expect("a time") >= 1000,
        "{report:#}"
    );
}

#[test]
fn the_tui_shows_tinis_init_as_a_row_of_its_own_and_g_signals_it() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: only root is sure to get a real pid namespace");
        return;
    }
    let args = ["demo", "--scenario", "ignore-term", "--grace", "1s"];
    let mut tui =
        common::pty::Tui::start_sized(&[&args[..], &["--policy", "tini"]].concat(), &[], 45, 170);
    tui.wait_for_table();
    tui.wait_for_text("stops as tini");
    // PID 1 under the keeper, the pool's master under it.
    tui.wait_for_text("sigtree's init: PID 1");
    tui.press("g");
    tui.wait_for_text("the pool has ended");
    let contents = tui.contents();
    // sigtree's SIGTERM goes to PID 1 alone, which forwards it to the
    // master; the workers ignore SIGTERM and die in the kernel's teardown
    // when PID 1 exits after the master.
    assert!(contents.contains("SIGTERM to PID 1"), "{contents}");
    assert!(contents.contains("teardown"), "{contents}");
    tui.quit();
}

#[test]
fn docker_on_a_program_that_handles_sigterm_is_graceful() {
    let Some(python) = common::python() else {
        eprintln!("skipped: python3 not found");
        return;
    };
    let script = "import signal, sys\n\
                  signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n\
                  print('ready', flush=True)\n\
                  while True: signal.pause()\n";
    let python = python.display().to_string();
    let (code, report) = check_policy("docker", &[], &[&python, "-c", script]);
    assert_eq!(code, Some(0), "graceful: {report:#}");
    let leader = &report["processes"][0];
    assert_eq!(leader["outcome"], "exited", "{report:#}");
    assert_eq!(leader["cause"]["kind"], "signal", "{report:#}");
    assert_eq!(leader["cause"]["signal"], "SIGTERM", "{report:#}");
}

#[test]
fn supervisord_reports_done_at_the_leaders_reaping_and_its_children_leak() {
    let (code, report) = check_policy("supervisord", &[], &["sh", "-c", SHELL_WITH_TWO_CHILDREN]);
    assert_eq!(code, Some(3), "leaked: {report:#}");
    for cmd in ["sleep 30", "sleep 31"] {
        assert_eq!(
            endings(&report, cmd),
            [("leaked".to_string(), "runtime_done".to_string())],
            "{report:#}"
        );
    }
}

#[test]
fn supervisord_with_stopasgroup_terminates_the_same_shell() {
    let (code, report) = check_policy(
        "supervisord-group",
        &[],
        &["sh", "-c", SHELL_WITH_TWO_CHILDREN],
    );
    assert_eq!(code, Some(4), "terminated: {report:#}");
    for cmd in ["sleep 30", "sleep 31"] {
        assert_eq!(
            endings(&report, cmd),
            [("signaled".to_string(), "signal".to_string())],
            "{report:#}"
        );
    }
}

#[test]
fn process_compose_reports_done_when_the_leader_exits_and_a_member_ignoring_sigterm_leaks() {
    // The member ignores SIGTERM (SIG_IGN survives exec): the group's
    // SIGTERM ends only the leader's `sleep`.
    let script = "(trap '' TERM; exec sleep 32) & m=$!; \
                  until grep -qx sleep /proc/$m/comm; do sleep 0.01; done; \
                  echo ready; exec sleep 30";
    let (code, report) = check_policy("process-compose", &[], &["sh", "-c", script]);
    assert_eq!(code, Some(3), "leaked: {report:#}");
    // The leader (first seen as the shell, then `sleep 30`).
    let leader = report["processes"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["role"] == "leader"))
        .expect("the leader");
    assert_eq!(leader["outcome"], "signaled", "{report:#}");
    assert_eq!(leader["cause"]["kind"], "signal", "{report:#}");
    assert_eq!(
        endings(&report, "sleep 32"),
        [("leaked".to_string(), "runtime_done".to_string())],
        "{report:#}"
    );
    assert_eq!(
        report["escalated"], false,
        "no timeout, no SIGKILL: {report:#}"
    );
}

#[test]
fn s6_sends_sigterm_and_sigcont() {
    let Some(python) = common::python() else {
        eprintln!("skipped: python3 not found");
        return;
    };
    // Records each signal its C-level handler saw (the wakeup fd), writes
    // them to a file and exits 0 once SIGCONT came. The order cannot be
    // asserted here: two signals pending together are dequeued lowest
    // first, but each gets a frame stacked on the last, so the handlers
    // run in reverse (the order sent is asserted by the unit test
    // `s6_sends_sigterm_then_sigcont_to_the_process`).
    let dir = tempfile::tempdir().expect("a tempdir");
    let log = dir.path().join("signals");
    let script = format!(
        "import os, signal\n\
         r, w = os.pipe()\n\
         os.set_blocking(w, False)\n\
         signal.set_wakeup_fd(w)\n\
         signal.signal(signal.SIGTERM, lambda *_: None)\n\
         signal.signal(signal.SIGCONT, lambda *_: None)\n\
         print('ready', flush=True)\n\
         names = []\n\
         while 'SIGCONT' not in names:\n    \
             names += [signal.Signals(n).name for n in os.read(r, 16)]\n\
         open({log:?}, 'w').write(''.join(n + '\\n' for n in names))\n\
         os._exit(0)\n",
        log = log.display().to_string()
    );
    let python = python.display().to_string();
    let (code, report) = check_policy("s6", &[], &[&python, "-c", &script]);
    assert_eq!(code, Some(0), "graceful: {report:#}");
    let got = std::fs::read_to_string(&log).expect("the signal log");
    let mut got: Vec<&str> = got.lines().collect();
    got.sort_unstable();
    assert_eq!(got, ["SIGCONT", "SIGTERM"], "{report:#}");
}

#[test]
fn an_unknown_policy_is_a_usage_error_naming_them_all() {
    let output = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["check", "--policy", "dockr", "--", "true"])
        .output()
        .expect("sigtree runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown policy 'dockr'") && stderr.contains("process-compose"),
        "{stderr}"
    );
    let both = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args([
            "check", "--policy", "docker", "--action", "term", "--", "true",
        ])
        .output()
        .expect("sigtree runs");
    assert_eq!(both.status.code(), Some(2), "--policy with --action");
}

#[test]
fn policies_and_repeat_run_each_policy_each_time_and_exit_with_the_worst() {
    let id = run_id("policies-repeat");
    let _cleanup = TaggedCleanup(id.clone());
    let output = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["check", "--json", "--ready", "^ready$"])
        .args([
            "--policies",
            "supervisord-group,supervisord",
            "--repeat",
            "2",
        ])
        .args(["--", "sh", "-c", SHELL_WITH_TWO_CHILDREN])
        .env("SIGTREE_RUN_ID", &id)
        .output()
        .expect("sigtree runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        output.status.code(),
        Some(3),
        "the worst, leaked: {report:#}"
    );
    assert_eq!(report["verdict"], "leaked", "{report:#}");
    let runs: Vec<(String, u64, String)> = report["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|run| {
            (
                run["policy"].as_str().unwrap_or_default().to_string(),
                run["repeat"].as_u64().unwrap_or_default(),
                run["verdict"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected = [
        ("supervisord-group", 1, "terminated"),
        ("supervisord-group", 2, "terminated"),
        ("supervisord", 1, "leaked"),
        ("supervisord", 2, "leaked"),
    ]
    .map(|(policy, repeat, verdict)| (policy.to_string(), repeat, verdict.to_string()));
    assert_eq!(runs, expected, "{report:#}");
    let left = wait_until_untagged(&id);
    assert!(left.is_empty(), "processes of the runs remain: {left:?}");
}

/// `check --policies all --grace 2s --scenario NAME --json`: each run's
/// policy and verdict, in the order run.
fn policies_all(scenario: &str) -> Vec<(String, String)> {
    let id = run_id(&format!("policies-all-{scenario}"));
    let _cleanup = TaggedCleanup(id.clone());
    let output = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["check", "--json", "--policies", "all", "--grace", "2s"])
        .args(["--scenario", scenario])
        .env("SIGTREE_RUN_ID", &id)
        .output()
        .expect("sigtree runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&output.stderr)));
    let runs = report["runs"].as_array().expect("runs");
    if rustix::process::geteuid().is_root() {
        for run in runs {
            let kind = match run["policy"].as_str() {
                Some("docker" | "k8s") => "pid_namespace",
                Some("tini" | "tini-g") => "init_namespace",
                Some("systemd" | "systemd-mixed") => "cgroup",
                _ => continue,
            };
            // Root may make all three: the pool ran inside the real thing.
            assert_eq!(run["containment"]["kind"], kind, "{run:#}");
            assert_eq!(run["containment"]["real"], true, "{run:#}");
        }
    }
    let left = wait_until_untagged(&id);
    assert!(left.is_empty(), "processes of the runs remain: {left:?}");
    runs.iter()
        .map(|run| {
            (
                run["policy"].as_str().unwrap_or_default().to_string(),
                run["verdict"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The expected table: one (policy, verdict) per policy, in `all`'s order.
fn table(verdicts: [&str; 13]) -> Vec<(String, String)> {
    let policies = [
        "sigtree",
        "docker",
        "k8s",
        "systemd",
        "systemd-mixed",
        "supervisord",
        "supervisord-group",
        "process-compose",
        "tini",
        "tini-g",
        "honcho",
        "s6",
        "runit",
    ];
    policies
        .iter()
        .zip(verdicts)
        .map(|(policy, verdict)| (policy.to_string(), verdict.to_string()))
        .collect()
}

#[test]
fn policies_all_on_graceful_only_the_signal_first_runtimes_terminate_it() {
    // sigtree sets the stop event first; runtimes whose first signal goes
    // to the whole group or cgroup (systemd, stopasgroup, process-compose,
    // tini -g, honcho) reach workers that die of SIGTERM before the master
    // can drain them; those signalling the master alone let it drain.
    let expected = table([
        "graceful",
        "graceful",
        "graceful",
        "terminated",
        "graceful",
        "graceful",
        "terminated",
        "terminated",
        "graceful",
        "terminated",
        "terminated",
        "graceful",
        "graceful",
    ]);
    assert_eq!(policies_all("graceful"), expected);
}

#[test]
fn policies_all_on_ignore_term_forces_under_escalating_runtimes_and_leaks_under_the_rest() {
    // Workers ignore SIGTERM. PID 1's death tears docker's, k8s's and tini's
    // namespaces down (forced); systemd's KILL reaches the cgroup (forced);
    // supervisord, process-compose, honcho, s6 and runit report done when
    // the master is gone and the workers still live (leaked).
    let expected = table([
        "graceful", "forced", "forced", "forced", "forced", "leaked", "leaked", "leaked", "forced",
        "forced", "leaked", "leaked", "leaked",
    ]);
    assert_eq!(policies_all("ignore-term"), expected);
}

#[test]
fn policies_all_on_setsid_escape_systemds_cgroup_catches_the_escaped_grandchildren() {
    // The setsid grandchildren left the group but not the cgroup: systemd's
    // SIGTERM to every process of the cgroup ends them (terminated); killpg
    // misses them, so group-signalling runtimes leave them (leaked), and
    // namespace runtimes kill them in the teardown (forced).
    let expected = table([
        "graceful",
        "forced",
        "forced",
        "terminated",
        "forced",
        "leaked",
        "leaked",
        "leaked",
        "forced",
        "forced",
        "leaked",
        "leaked",
        "leaked",
    ]);
    assert_eq!(policies_all("setsid-escape"), expected);
}

/// The cgroup2 directories a sigtree of pid `pid` made and left behind.
fn cgroups_left_by(pid: u32) -> Vec<std::path::PathBuf> {
    let Ok(mount) = sigtree::sys::cgroup::cgroup2_mount() else {
        return Vec::new();
    };
    let prefix = format!("sigtree-{pid}-");
    let mut left = Vec::new();
    let mut dirs = vec![mount];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    left.push(path.clone());
                }
                dirs.push(path);
            }
        }
    }
    left
}

/// Runs `sigtree check --json --policy systemd ARGS` as run `id`: its
/// report, once nothing of the run is left and after checking that it left
/// no cgroup behind (and, as root, that its cgroup was a real one).
fn check_systemd(id: &str, args: &[&str]) -> serde_json::Value {
    let _cleanup = TaggedCleanup(id.to_string());
    let sigtree = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["check", "--json", "--policy", "systemd"])
        .args(args)
        .env("SIGTREE_RUN_ID", id)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sigtree runs");
    let pid = sigtree.id();
    let output = sigtree.wait_with_output().expect("its end");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {stderr}"));
    assert_eq!(report["containment"]["kind"], "cgroup", "{report:#}");
    if rustix::process::geteuid().is_root() {
        assert_eq!(report["containment"]["real"], true, "root may make one");
    }
    let left = wait_until_untagged(id);
    assert!(left.is_empty(), "processes of the run remain: {left:?}");
    assert_eq!(cgroups_left_by(pid), Vec::<std::path::PathBuf>::new());
    report
}

#[test]
fn systemd_on_setsid_escape_sends_sigterm_to_every_process_of_its_cgroup() {
    let id = run_id("policy-systemd-cgroup");
    let report = check_systemd(&id, &["--grace", "2s", "--scenario", "setsid-escape"]);
    assert_eq!(report["verdict"], "terminated", "{report:#}");
    let processes = report["processes"].as_array().expect("processes");
    let grandchildren: Vec<_> = processes
        .iter()
        .filter(|p| p["role"] == "grandchild")
        .collect();
    assert!(!grandchildren.is_empty(), "{report:#}");
    // The grandchildren left the group (setsid) but not the cgroup: the
    // SIGTERM to every process of the cgroup reached them and they died of it.
    for process in processes {
        assert_eq!(process["outcome"], "signaled", "{process:#}");
        assert_eq!(process["signal"], "SIGTERM", "{process:#}");
        assert_eq!(process["cause"]["kind"], "signal", "{process:#}");
        assert_eq!(process["cause"]["from"], "sigtree", "{process:#}");
    }
    assert!(report["leftovers"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn a_command_that_kills_the_keeper_under_systemd_leaves_no_cgroup_behind() {
    let id = run_id("policy-systemd-keeper-killed");
    let script = "sleep 100 & kill -9 $PPID; echo ready; wait";
    let report = check_systemd(&id, &["--grace", "1s", "--", "sh", "-c", script]);
    assert!(
        report["processes"]
            .as_array()
            .is_some_and(|all| !all.is_empty()),
        "{report:#}"
    );
}

#[test]
fn the_text_report_explains_the_policy_and_says_whether_its_containment_was_real() {
    let id = run_id("policy-text-report");
    let _cleanup = TaggedCleanup(id.clone());
    let output = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args([
            "check", "--ready", "^ready$", "--policy", "k8s", "--grace", "1s",
        ])
        .args(["--", "sh", "-c", "echo ready; exec sleep 30"])
        .env("SIGTREE_RUN_ID", &id)
        .output()
        .expect("sigtree runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "forced: {text}");
    let explanation = text
        .lines()
        .find(|line| line.starts_with("Kubernetes:"))
        .unwrap_or_else(|| panic!("no explanation: {text}"));
    assert!(explanation.contains("30 s"), "{explanation}");
    let containment = text
        .lines()
        .find(|line| line.starts_with("containment: a pid namespace"))
        .unwrap_or_else(|| panic!("no containment line: {text}"));
    if rustix::process::geteuid().is_root() {
        assert!(containment.ends_with("the kernel's own"), "{containment}");
    }
    let left = wait_until_untagged(&id);
    assert!(left.is_empty(), "processes of the run remain: {left:?}");
}
