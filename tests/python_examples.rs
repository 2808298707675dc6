//! The Python multiprocessing stories in `examples/python/`, each run under
//! `sigtree check` as its README says, asserting the verdict and how every
//! process ended. Skipped when python3 is not installed.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TaggedCleanup, python, run_id, wait_until_untagged};
use serde_json::Value;

/// What one `sigtree check --json` run of an example produced.
struct Run {
    status: Option<i32>,
    report: Value,
}

impl Run {
    /// The processes of `role`, in the order sigtree listed them.
    fn role(&self, role: &str) -> Vec<&Value> {
        self.report["processes"]
            .as_array()
            .expect("processes is an array")
            .iter()
            .filter(|p| p["role"] == role)
            .collect()
    }

    /// The one leader.
    fn leader(&self) -> &Value {
        let leaders = self.role("leader");
        assert_eq!(leaders.len(), 1, "one leader: {:#}", self.report);
        leaders[0]
    }

    /// Asserts the exit status, the JSON verdict and action, and how many
    /// processes of each role sigtree saw.
    fn assert_shape(
        &self,
        status: i32,
        verdict: &str,
        action: &str,
        children: usize,
        descendants: usize,
    ) {
        let report = &self.report;
        assert_eq!(self.status, Some(status), "exit status: {report:#}");
        assert_eq!(report["verdict"], verdict, "{report:#}");
        assert_eq!(report["action"], action, "{report:#}");
        assert_eq!(report["grace_ms"], 3000, "{report:#}");
        assert_eq!(self.role("child").len(), children, "children: {report:#}");
        assert_eq!(
            self.role("descendant").len(),
            descendants,
            "descendants: {report:#}"
        );
        let all = report["processes"].as_array().expect("processes").len();
        assert_eq!(all, 1 + children + descendants, "roles: {report:#}");
    }
}

/// Asserts a process exited with `code` (not by a signal).
fn assert_exited(process: &Value, code: i64) {
    assert_eq!(process["outcome"], "exited", "{process:#}");
    assert_eq!(process["exit_code"], code, "{process:#}");
    assert_eq!(process["signal"], Value::Null, "{process:#}");
}

/// Asserts a process died of `signal`, not of sigtree's escalation.
fn assert_signaled(process: &Value, signal: &str) {
    assert_eq!(process["outcome"], "signaled", "{process:#}");
    assert_eq!(process["signal"], signal, "{process:#}");
    assert_eq!(process["exit_code"], Value::Null, "{process:#}");
}

/// Asserts a process outlived its parent, was re-parented, and was ended
/// by the escalation's SIGKILL to the group.
fn assert_orphan_killed(process: &Value) {
    assert_eq!(process["outcome"], "killed", "{process:#}");
    assert_eq!(process["signal"], "SIGKILL", "{process:#}");
    assert_eq!(process["orphaned"], true, "{process:#}");
    assert!(process["reparented_to"].is_i64(), "{process:#}");
    assert_eq!(process["escaped_group"], false, "{process:#}");
}

/// Runs `sigtree check --json --ready '^ready$' --action ACTION --grace 3s
/// -- python3 examples/python/SCRIPT`, checks that nothing it started
/// outlives it, and returns its report; `None` when python3 is missing.
fn check_example(script: &str, action: &str) -> Option<Run> {
    let Some(python) = python() else {
        eprintln!("skipped: python3 not found");
        return None;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/python")
        .join(script);
    assert!(path.is_file(), "{} exists", path.display());
    let id = run_id(&format!("python-{script}-{action}"));
    let _cleanup = TaggedCleanup(id.clone());
    let output = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["check", "--json", "--ready", "^ready$", "--action", action])
        .args(["--grace", "3s", "--"])
        .arg(&python)
        .arg(&path)
        .env("SIGTREE_RUN_ID", &id)
        .output()
        .expect("sigtree runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{script} {action}: no JSON ({e}); stderr: {stderr}"));
    let left = wait_until_untagged(&id);
    assert!(
        left.is_empty(),
        "{script} {action}: still running: {left:?}"
    );
    Some(Run {
        status: output.status.code(),
        report,
    })
}

#[test]
fn pool_blocked_in_join_dies_of_sigterm_and_orphans_its_workers() {
    let Some(run) = check_example("pool_blocked_join.py", "term") else {
        return;
    };
    run.assert_shape(1, "forced", "term", 3, 0);
    assert_eq!(run.report["escalated"], true);
    assert_signaled(run.leader(), "SIGTERM");
    for worker in run.role("child") {
        assert_orphan_killed(worker);
    }
}

#[test]
fn manager_event_set_by_a_sigterm_handler_stops_everyone_gracefully() {
    let Some(run) = check_example("manager_event.py", "term") else {
        return;
    };
    // The Manager's server process and three workers.
    run.assert_shape(0, "graceful", "term", 4, 0);
    assert_eq!(run.report["escalated"], false);
    assert_exited(run.leader(), 0);
    for child in run.role("child") {
        assert_exited(child, 0);
        assert_eq!(child["orphaned"], false, "{child:#}");
    }
}

#[test]
fn manager_event_under_sigterm_to_the_group_loses_the_manager_first() {
    let Some(run) = check_example("manager_event.py", "term-group") else {
        return;
    };
    run.assert_shape(4, "terminated", "term-group", 4, 0);
    assert_eq!(run.report["escalated"], false);
    // The parent's handler finds the Manager dead: an uncaught exception.
    assert_exited(run.leader(), 1);
    for child in run.role("child") {
        assert_signaled(child, "SIGTERM");
    }
}

#[test]
fn manager_lingers_when_its_owner_dies_of_sigterm() {
    let Some(run) = check_example("manager_linger.py", "term") else {
        return;
    };
    // The Manager's server process and two workers.
    run.assert_shape(1, "forced", "term", 3, 0);
    assert_eq!(run.report["escalated"], true);
    assert_signaled(run.leader(), "SIGTERM");
    for child in run.role("child") {
        assert_orphan_killed(child);
    }
}

#[test]
fn ctrl_c_kills_the_workers_before_the_parent_sets_the_event() {
    let Some(run) = check_example("ctrl_c.py", "int-group") else {
        return;
    };
    run.assert_shape(5, "unclean", "int-group", 3, 0);
    assert_eq!(run.report["escalated"], false);
    assert_exited(run.leader(), 0);
    for worker in run.role("child") {
        // KeyboardInterrupt in the worker: multiprocessing exits 1.
        assert_exited(worker, 1);
    }
}

#[test]
fn ctrl_c_with_sigint_ignored_in_the_workers_is_graceful() {
    let Some(run) = check_example("ctrl_c_ignored.py", "int-group") else {
        return;
    };
    run.assert_shape(0, "graceful", "int-group", 3, 0);
    assert_eq!(run.report["escalated"], false);
    assert_exited(run.leader(), 0);
    for worker in run.role("child") {
        assert_exited(worker, 0);
    }
}

#[test]
fn setsid_grandchild_escapes_sigterm_to_the_group_and_leaks() {
    let Some(run) = check_example("setsid_grandchild.py", "term-group") else {
        return;
    };
    run.assert_shape(3, "leaked", "term-group", 1, 1);
    assert_eq!(run.report["escalated"], true);
    assert_signaled(run.leader(), "SIGTERM");
    assert_signaled(run.role("child")[0], "SIGTERM");
    let grandchild = run.role("descendant")[0];
    assert_eq!(grandchild["outcome"], "leaked", "{grandchild:#}");
    assert_eq!(grandchild["escaped_group"], true, "{grandchild:#}");
    assert_eq!(grandchild["orphaned"], true, "{grandchild:#}");
    assert_eq!(grandchild["pgid"], grandchild["pid"], "{grandchild:#}");
    assert_eq!(grandchild["sid"], grandchild["pid"], "{grandchild:#}");
    let leftovers = run.report["leftovers"].as_array().expect("leftovers");
    assert_eq!(leftovers, &vec![grandchild["pid"].clone()]);
}

#[test]
fn daemon_workers_are_terminated_by_a_normal_exit() {
    let Some(run) = check_example("daemon_workers.py", "term") else {
        return;
    };
    run.assert_shape(4, "terminated", "term", 2, 0);
    assert_eq!(run.report["escalated"], false);
    assert_exited(run.leader(), 0);
    for worker in run.role("child") {
        // The exit hook's SIGTERM, while the parent was still there to join.
        assert_signaled(worker, "SIGTERM");
        assert_eq!(worker["orphaned"], false, "{worker:#}");
    }
}

#[test]
fn daemon_workers_outlive_a_parent_killed_with_sigkill() {
    let Some(run) = check_example("daemon_workers.py", "kill") else {
        return;
    };
    run.assert_shape(1, "forced", "kill", 2, 0);
    assert_eq!(run.report["escalated"], true);
    assert_signaled(run.leader(), "SIGKILL");
    for worker in run.role("child") {
        assert_orphan_killed(worker);
    }
}
