//! Signal events from tracefs (root): each signal's sender, what the kernel
//! did with it, and the cause it gives — and, unprivileged, that the sender
//! is said to be unseen.

mod common;

use common::DEADLINE;

/// Runs `PREFIX sigtree check --json --ready '^ready$' ARGS -- CMD`;
/// returns sigtree's pid, its exit code and its report.
fn check(prefix: &[String], args: &[&str], cmd: &[&str]) -> (i32, Option<i32>, serde_json::Value) {
    let run = common::check_ready(prefix, "signals", (args, cmd), Some(DEADLINE));
    (run.pid, run.code, run.report)
}

/// Whether the kernel's signal events are read here; else why not.
fn traced(report: &serde_json::Value) -> bool {
    if report["events_source"] == "kernel" {
        return true;
    }
    eprintln!(
        "skipped: no tracefs signal events here (events_source {}): they need root",
        report["events_source"]
    );
    false
}

/// The SIGTERMs `process` received, as its `signals` list them.
fn sigterms(process: &serde_json::Value) -> Vec<&serde_json::Value> {
    process["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .filter(|s| s["signal"] == "SIGTERM")
        .collect()
}

fn process(
    report: &serde_json::Value,
    keep: impl Fn(&serde_json::Value) -> bool,
) -> &serde_json::Value {
    report["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .find(|p| keep(p))
        .unwrap_or_else(|| panic!("no such process: {report:#}"))
}

/// A shell whose child kills its sibling `sleep 30` with SIGTERM, then
/// says ready; check's SIGTERM then kills the shell, whose last `sleep 30`
/// is orphaned and killed by escalation (forced, exit 1).
const SIBLING_KILL: &str = "sleep 30 & s=$!; until grep -qx sleep /proc/$s/comm; do sleep 0.01; done; \
     sh -c \"kill -TERM $s\"; wait $s; echo ready; sleep 30";

#[test]
fn a_sibling_that_sends_sigterm_is_named_as_the_sender() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    let (_, code, report) = check(&[], &["--grace", "2s"], &["sh", "-c", SIBLING_KILL]);
    if !traced(&report) {
        return;
    }
    assert_eq!(code, Some(1), "{report:#}");
    let victim = process(&report, |p| {
        p["cmd"] == "sleep 30" && p["signal"] == "SIGTERM"
    });
    // The sender: the leader's other child, a shell (gone too fast, maybe,
    // for its command line to be read after its exec).
    let killer = process(&report, |p| p["pid"] == victim["cause"]["from_pid"]);
    assert_eq!(
        killer["ppid"],
        process(&report, |p| p["role"] == "leader")["pid"]
    );
    assert_eq!(killer["names"][0], "sh", "{report:#}");
    let cause = &victim["cause"];
    assert_eq!(cause["from"], "process", "{report:#}");
    assert_eq!(cause["from_pid"], killer["pid"], "{report:#}");
    assert_eq!(cause["from_comm"], "sh", "{report:#}");
    assert_eq!(cause["inferred"], serde_json::Value::Null);
    let received = victim["signals"].as_array().expect("signals");
    assert!(
        received.iter().any(|s| s["signal"] == "SIGTERM"
            && s["from_pid"] == killer["pid"]
            && s["result"] == "queued"),
        "{report:#}"
    );
}

#[test]
fn unprivileged_the_sender_is_not_visible() {
    let Some(prefix) = common::nobody_or_skip() else {
        return;
    };
    let (_, code, report) = check(&prefix, &["--grace", "2s"], &["sh", "-c", SIBLING_KILL]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["events_source"], "lifecycle", "{report:#}");
    let victim = process(&report, |p| {
        p["cmd"] == "sleep 30" && p["signal"] == "SIGTERM"
    });
    assert_eq!(victim["cause"]["from"], "unknown", "{report:#}");
    assert_eq!(victim["cause"]["from_pid"], serde_json::Value::Null);
    assert_eq!(victim["signals"], serde_json::json!([]));
}

#[test]
fn a_sigterm_to_a_process_that_ignores_it_is_ignored() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    let Some(perl) = common::find_program("perl") else {
        eprintln!("skipped: perl is not on PATH");
        return;
    };
    // check's SIGTERM to the leader, which ignores it (SIG_IGN, not
    // blocked: a blocked signal is queued whatever its handler) and exits 0
    // later.
    let script = "$SIG{TERM} = 'IGNORE'; $| = 1; print qq(ready\\n); sleep 1; exit 0";
    let perl = perl.display().to_string();
    let (sigtree, code, report) = check(&[], &["--grace", "10s"], &[&perl, "-e", script]);
    if !traced(&report) {
        return;
    }
    assert_eq!(code, Some(0), "{report:#}");
    let leader = process(&report, |p| p["role"] == "leader");
    let terms = sigterms(leader);
    assert_eq!(terms.len(), 1, "{report:#}");
    assert_eq!(terms[0]["result"], "ignored");
    assert_eq!(terms[0]["from_pid"], sigtree, "sent by sigtree itself");
    assert_eq!(terms[0]["code"], "kill");
}

#[test]
fn a_second_sigterm_to_a_process_that_blocks_it_is_already_pending() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    let Some(perl) = common::find_program("perl") else {
        eprintln!("skipped: perl is not on PATH");
        return;
    };
    // It blocks SIGTERM and sends itself two.
    let script = "use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGTERM)); \
                  kill 'TERM', $$; kill 'TERM', $$; $| = 1; print qq(ready\\n); sleep 1; exit 0";
    let perl = perl.display().to_string();
    let (_, code, report) = check(&[], &["--grace", "10s"], &[&perl, "-e", script]);
    if !traced(&report) {
        return;
    }
    assert_eq!(code, Some(0), "{report:#}");
    let leader = process(&report, |p| p["role"] == "leader");
    let results: Vec<&serde_json::Value> =
        sigterms(leader).into_iter().map(|s| &s["result"]).collect();
    assert_eq!(
        results,
        ["queued", "already_pending", "already_pending"],
        "its own two, then check's: {report:#}"
    );
}

#[test]
fn the_pools_parent_death_signals_name_the_dying_master_inferred() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    let args = ["--scenario", "pdeathsig", "--action", "kill"];
    let report = common::check_json(&[], "signals-pdeath", &args, Some(DEADLINE)).report;
    if !traced(&report) {
        return;
    }
    let master = process(&report, |p| p["role"] == "master");
    assert_eq!(master["cause"]["from"], "sigtree", "{master:#}");
    let workers: Vec<&serde_json::Value> = report["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .filter(|p| p["role"].as_str().is_some_and(|r| r.starts_with("worker-")))
        .collect();
    assert!(!workers.is_empty(), "{report:#}");
    for worker in workers {
        // The kernel sent it from the master's exit: SI_USER from the
        // master, after the master's sched_process_exit.
        assert_eq!(
            (&worker["outcome"], &worker["signal"]),
            (&"signaled".into(), &"SIGTERM".into()),
            "{worker:#}"
        );
        let cause = &worker["cause"];
        assert_eq!(
            (&cause["from"], &cause["from_pid"], &cause["inferred"]),
            (&"process".into(), &master["pid"], &"parent_death".into()),
            "{worker:#}"
        );
    }
}
