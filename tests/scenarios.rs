//! Every scenario file's `[expect]` table, run for real: one test case per
//! scenario and action, each starting the pool through `sigtree check` and
//! asserting the verdict and each process's outcome.

mod common;

use std::process::Command;

use common::{TaggedCleanup, run_id, wait_until_untagged};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use sigtree::pool::scenario::presets;
use sigtree::watch::verdict::Verdict;

/// The grace period the cases use: long enough for every graceful story,
/// shorter than every cleanup that must be cut off.
const GRACE: &str = "2s";

fn main() {
    let arguments = Arguments::from_args();
    let scenarios = presets().expect("every preset parses");
    let trials = scenarios
        .into_iter()
        .flat_map(|scenario| {
            scenario.expect.into_iter().map(move |(action, verdict)| {
                let name = format!("{}::{}", scenario.name, action);
                let scenario = scenario.name.clone();
                Trial::test(name, move || {
                    check_case(&scenario, &action.to_string(), verdict)
                })
            })
        })
        .collect();
    libtest_mimic::run(&arguments, trials).exit();
}

fn check_case(scenario: &str, action: &str, expected: Verdict) -> Result<(), Failed> {
    let id = run_id(scenario);
    let _cleanup = TaggedCleanup(id.clone());
    let output = Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["check", "--scenario", scenario, "--action", action])
        .args(["--grace", GRACE, "--after", "500ms", "--json"])
        .env("SIGTREE_RUN_ID", &id)
        .output()
        .map_err(|e| format!("cannot run sigtree: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("no JSON report ({e}); stderr: {stderr}"))?;
    let verdict = report["verdict"].as_str().unwrap_or_default();
    if verdict != expected.as_str()
        || output.status.code() != Some(i32::from(expected.exit_status()))
    {
        return Err(format!(
            "expected {expected} (exit {}), got {verdict} (exit {:?})\n{report:#}",
            expected.exit_status(),
            output.status.code()
        )
        .into());
    }
    outcomes_match_verdict(&report, expected)?;
    let left = wait_until_untagged(&id);
    if !left.is_empty() {
        return Err(format!("processes of the run outlived sigtree: {left:?}").into());
    }
    Ok(())
}

/// Each process's outcome must be one the verdict allows, and the processes
/// that decide the verdict must be there.
fn outcomes_match_verdict(report: &Value, verdict: Verdict) -> Result<(), Failed> {
    let processes = report["processes"].as_array().ok_or("no processes array")?;
    let outcomes: Vec<&str> = processes
        .iter()
        .map(|p| p["outcome"].as_str().unwrap_or("?"))
        .collect();
    let count = |o: &str| outcomes.iter().filter(|x| **x == o).count();
    let roles: Vec<&str> = processes
        .iter()
        .map(|p| p["role"].as_str().unwrap_or("?"))
        .collect();
    if !roles.contains(&"master") || !roles.iter().any(|r| r.starts_with("worker-")) {
        return Err(format!("master and workers must be observed: {roles:?}").into());
    }
    let ok = match verdict {
        Verdict::Graceful => processes
            .iter()
            .all(|p| p["outcome"] == "exited" && p["exit_code"] == 0),
        Verdict::Unclean => count("signaled") + count("killed") + count("leaked") == 0,
        Verdict::Terminated => count("signaled") > 0 && count("killed") + count("leaked") == 0,
        Verdict::Forced => {
            report["escalated"] == true && count("killed") > 0 && count("leaked") == 0
        }
        Verdict::Leaked => processes
            .iter()
            .any(|p| p["outcome"] == "leaked" && p["escaped_group"] == true),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("outcomes {outcomes:?} (roles {roles:?}) do not fit {verdict}").into())
    }
}
