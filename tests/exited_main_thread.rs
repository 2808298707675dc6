//! A process whose main thread exited while another thread runs shows state
//! Z in /proc but is alive (FACTS 4f): the session must not take it for a
//! zombie, so `check` judges what the stop does to it rather than saying
//! the run ended before the stop request.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    Cleanup, DEADLINE, TaggedCleanup, live_pids_where, output_of, python, run_id, tagged, wait_for,
};

#[test]
fn check_judges_a_process_whose_main_thread_exited_as_alive() {
    let Some(python) = python() else {
        eprintln!("skipped: needs python3 (a main thread that exits alone)");
        return;
    };
    let id = run_id("exited-main-thread");
    let _cleanup = TaggedCleanup(id.clone());
    let python = python.display().to_string();
    let script = common::exited_main_thread_script();
    let mut command = Command::new(env!("CARGO_BIN_EXE_sigtree"));
    command
        .args([
            "check", "--after", "3s", "--json", "--", &python, "-c", &script,
        ])
        .env("SIGTREE_RUN_ID", &id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let watcher = std::thread::spawn({
        let id = id.clone();
        move || {
            // The state is real before the stop request (3 s after the
            // start). Its environment cannot be read any more (it went with
            // the main thread): it is found as the child of a tagged process
            // (sigtree's keeper).
            wait_for("a Z main thread with a live thread", || {
                let parents = tagged(&id);
                live_pids_where(|r| {
                    parents.contains(&r.ppid) && r.state.is_zombie() && r.threads >= 2
                })
                .first()
                .copied()
            })
        }
    });
    let child = command.spawn().expect("sigtree check starts");
    let pid = watcher.join().expect("the state was seen");
    // Its environment is unreadable, so the tag cannot find it: by pid.
    let mut cleanup = Cleanup::default();
    cleanup.pid(pid);
    let output = output_of(child, DEADLINE + Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(4),
        "terminated by the stop's SIGTERM, not 'ended before the stop request': {stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("check --json prints JSON");
    let leader = report["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .find(|p| p["pid"] == pid)
        .unwrap_or_else(|| panic!("pid {pid} in {report}"));
    assert_eq!(leader["role"], "leader", "{leader}");
    assert_eq!(leader["before_stop"], false, "{leader}");
    assert_eq!(leader["outcome"], "signaled", "{leader}");
    assert_eq!(leader["signal"], "SIGTERM", "{leader}");
    assert!(
        leader["at_ms"].as_i64().is_some_and(|at| at >= 0),
        "it ended after the stop request: {leader}"
    );
}
