//! Kernel lifecycle events (the proc connector) as `sigtree check` reports
//! them: every short-lived process of the run with its exit status, names
//! that follow renames and argv rewrites — as root and as nobody.

mod common;

/// Runs `PREFIX sigtree check --json --ready '^ready$' ARGS -- CMD` and
/// returns its exit code and report; every process of the run must be gone
/// after it.
fn check(prefix: &[String], args: &[&str], cmd: &[&str]) -> (Option<i32>, serde_json::Value) {
    let run = common::check_ready(prefix, "events", (args, cmd), None);
    (run.code, run.report)
}

fn processes(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["processes"].as_array().expect("processes")
}

/// One line per process of a report: what a failure shows.
fn summary(report: &serde_json::Value) -> Vec<String> {
    processes(report)
        .iter()
        .map(|p| {
            let keys = ["pid", "ppid", "role", "cmd", "names", "outcome", "source"];
            keys.map(|key| p[key].to_string()).join(" ")
        })
        .collect()
}

/// 200 children that each exit 1 at once, then the shell says ready.
const TWO_HUNDRED_EXIT_1: &str =
    "for i in $(seq 200); do (exit 1) & done; wait; echo ready; exec sleep 30";

/// Every one of the 200 children is in the report, exited 1, its status
/// from the kernel's event; the run's events came from the connector.
fn assert_two_hundred_exits(report: &serde_json::Value) {
    // As root with tracefs, signals too: `kernel`.
    let source = &report["events_source"];
    assert!(source == "lifecycle" || source == "kernel", "{source}");
    let children: Vec<&serde_json::Value> = processes(report)
        .iter()
        .filter(|p| p["role"] == "child" && p["cmd"] == format!("sh -c {TWO_HUNDRED_EXIT_1}"))
        .collect();
    assert_eq!(children.len(), 200, "{:#?}", summary(report));
    for child in children {
        assert_eq!(child["outcome"], "exited", "{child:#}");
        assert_eq!(child["exit_code"], 1, "{child:#}");
        assert_eq!(child["source"], "event", "{child:#}");
        assert_eq!(child["before_stop"], true, "{child:#}");
        assert_eq!(child["names"], serde_json::json!(["sh"]), "{child:#}");
    }
}

#[test]
fn two_hundred_children_that_exit_1_at_once_are_all_in_the_report() {
    if let Some(reason) = common::no_connector() {
        eprintln!("{reason}");
        return;
    }
    let (code, report) = check(&[], &["--grace", "2s"], &["sh", "-c", TWO_HUNDRED_EXIT_1]);
    // The before-stop exits count only with --strict; the leader dies of
    // SIGTERM.
    assert_eq!(code, Some(4), "{report:#}");
    assert_two_hundred_exits(&report);
}

#[test]
fn as_nobody_the_short_lived_children_and_a_rename_are_still_seen() {
    let Some(prefix) = common::nobody_or_skip() else {
        return;
    };
    if let Some(reason) = common::no_connector() {
        eprintln!("{reason}");
        return;
    }
    let (code, report) = check(
        &prefix,
        &["--grace", "2s"],
        &["sh", "-c", TWO_HUNDRED_EXIT_1],
    );
    assert_eq!(code, Some(4), "{report:#}");
    assert_eq!(report["events_source"], "lifecycle", "unprivileged");
    assert_two_hundred_exits(&report);
    let (_, renamed) = check(&prefix, &["--grace", "2s"], &["sh", "-c", RENAMES_ITSELF]);
    assert_renamed(&renamed);
}

/// A shell that renames itself (its own /proc/PID/comm: the kernel's
/// rename event, as prctl PR_SET_NAME) and exits 0 on SIGTERM.
const RENAMES_ITSELF: &str = "trap 'exit 0' TERM; printf renamed-sh > /proc/self/comm; \
     echo ready; while :; do sleep 0.1; done";

/// The leader of `report`, which exec'd `exec_name` and then renamed
/// itself to `renamed`: its names are in the order it had them, the rename
/// last. (Its name between its exec and the rename, which came at once, is
/// read from /proc after the exec event and may already be the new one: the
/// connector's exec event carries no name.)
fn renamed_leader<'r>(
    report: &'r serde_json::Value,
    exec_name: &str,
    renamed: &str,
) -> &'r serde_json::Value {
    let leader = processes(report)
        .iter()
        .find(|p| p["role"] == "leader")
        .expect("the leader");
    let names = &leader["names"];
    assert!(
        *names == serde_json::json!([exec_name, renamed]) || *names == serde_json::json!([renamed]),
        "{:#?}",
        summary(report)
    );
    leader
}

fn assert_renamed(report: &serde_json::Value) {
    let leader = renamed_leader(report, "sh", "renamed-sh");
    assert_eq!(leader["cmd"], "renamed-sh", "{:#?}", summary(report));
}

#[test]
fn a_process_that_renames_itself_shows_its_new_name() {
    if let Some(reason) = common::no_connector() {
        eprintln!("{reason}");
        return;
    }
    let (code, report) = check(&[], &["--grace", "5s"], &["sh", "-c", RENAMES_ITSELF]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_renamed(&report);
}

#[test]
fn an_argv_rewrite_like_nginxs_shows_as_the_command() {
    let Some(perl) = common::find_program("perl") else {
        eprintln!("skipped: perl is not on PATH");
        return;
    };
    if let Some(reason) = common::no_connector() {
        eprintln!("{reason}");
        return;
    }
    // perl's $0 rewrites argv in place and sets the name (prctl).
    let script = "$| = 1; $0 = 'nginx: worker process'; $SIG{TERM} = sub { exit 0 }; \
                  print qq(ready\\n); sleep 1 while 1";
    let perl = perl.display().to_string();
    let (code, report) = check(&[], &["--grace", "5s"], &[&perl, "-e", script]);
    assert_eq!(code, Some(0), "{report:#}");
    // The name is the title's first 15 bytes; the command line says more.
    let leader = renamed_leader(&report, "perl", "nginx: worker p");
    assert_eq!(leader["cmd"], "nginx: worker process", "{report:#}");
}

#[test]
fn an_exec_after_fork_is_followed_to_the_new_program() {
    if let Some(reason) = common::no_connector() {
        eprintln!("{reason}");
        return;
    }
    // The child is a copy of the shell until it execs sleep: its names say
    // both. Ready once the exec is done.
    let script = "sleep 30 & c=$!; until grep -qx sleep /proc/$c/comm; do sleep 0.01; done; \
                  echo ready; wait";
    let (code, report) = check(&[], &["--grace", "1s"], &["sh", "-c", script]);
    assert_eq!(code, Some(1), "the orphaned sleep is killed: {report:#}");
    let child = processes(&report)
        .iter()
        .find(|p| p["role"] == "child" && p["cmd"] == "sleep 30")
        .unwrap_or_else(|| panic!("no sleep child: {:#?}", summary(&report)));
    assert_eq!(
        child["names"],
        serde_json::json!(["sh", "sleep"]),
        "{report:#}"
    );
}
