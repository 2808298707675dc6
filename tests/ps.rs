//! `sigtree ps` against real processes in known configurations.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use common::{Cleanup, find_program, ps_json, python, read_pid_line, sigtree, wait_for};
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, kill, sigaction, sigprocmask};
use nix::unistd::Pid;
use serde_json::Value;

/// The entry for `pid` in a `ps --json` array.
fn entry(listing: &Value, pid: i32) -> Option<Value> {
    listing
        .as_array()?
        .iter()
        .find(|p| p["pid"] == pid)
        .cloned()
}

/// The signal names under `signals.<mask>` of an entry.
fn mask(process: &Value, name: &str) -> Vec<String> {
    process["signals"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no signals.{name} in {process}"))
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_string())
        .collect()
}

fn has(process: &Value, name: &str, signal: &str) -> bool {
    mask(process, name).iter().any(|s| s == signal)
}

/// Waits until `ps PID --json --signals` shows `pid` satisfying `ready`.
fn wait_for_entry(pid: i32, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    wait_for(what, || {
        entry(&ps_json(&[&pid.to_string(), "--signals"]), pid).filter(|p| ready(p))
    })
}

fn sleeper() -> Command {
    let mut command = Command::new("sleep");
    command.arg("300");
    command
}

fn own_ids() -> (i32, i32, i32) {
    let pid = std::process::id() as i32;
    let pgid = nix::unistd::getpgrp().as_raw();
    let sid = nix::unistd::getsid(None).expect("own sid").as_raw();
    (pid, pgid, sid)
}

#[test]
fn child_moved_into_its_own_group_with_setpgid() {
    let mut cleanup = Cleanup::default();
    let pid = cleanup.spawn(&mut sleeper());
    let (own_pid, own_pgid, own_sid) = own_ids();
    let process = wait_for_entry(pid, "the child to exec sleep", |p| p["comm"] == "sleep");
    assert_eq!(process["ppid"], own_pid);
    assert_eq!(process["pgid"], pid, "setpgid(0, 0) made it a group leader");
    assert_ne!(process["pgid"], own_pgid);
    assert_eq!(process["sid"], own_sid, "still in the test's session");
    assert_eq!(process["cmdline"], serde_json::json!(["sleep", "300"]));
    assert_eq!(process["threads"], 1);
}

#[test]
fn grandchild_in_a_new_session_via_setsid() {
    if find_program("setsid").is_none() {
        eprintln!("skipped: setsid(1) is not on PATH");
        return;
    }
    let mut cleanup = Cleanup::default();
    let mut command = Command::new("sh");
    command
        .args(["-c", "setsid sleep 300 & echo $!; wait"])
        .stdout(Stdio::piped());
    let shell = cleanup.spawn(&mut command);
    let grandchild = read_pid_line(cleanup.child(shell));
    cleanup.pid(grandchild);

    let process = wait_for_entry(grandchild, "the grandchild to call setsid", |p| {
        p["sid"] == grandchild && p["comm"] == "sleep"
    });
    assert_eq!(process["ppid"], shell);
    assert_eq!(process["pgid"], grandchild, "setsid makes a new group too");
    let listing = ps_json(&[&shell.to_string()]);
    let shell_entry = entry(&listing, shell).expect("the shell is listed");
    assert_eq!(shell_entry["pgid"], shell);
    assert_ne!(shell_entry["sid"], grandchild);
    assert!(
        entry(&listing, grandchild).is_some(),
        "ps PID lists the subtree, escaped grandchild included"
    );
}

#[test]
fn sigterm_ignored_before_exec_stays_ignored() {
    let mut cleanup = Cleanup::default();
    let mut command = sleeper();
    // SAFETY: sigaction is async-signal-safe; the handler is SIG_IGN.
    unsafe {
        command.pre_exec(|| {
            let ignore = nix::sys::signal::SigAction::new(
                SigHandler::SigIgn,
                nix::sys::signal::SaFlags::empty(),
                SigSet::empty(),
            );
            sigaction(Signal::SIGTERM, &ignore)
                .map(drop)
                .map_err(std::io::Error::from)
        });
    }
    let pid = cleanup.spawn(&mut command);
    let process = wait_for_entry(pid, "sleep to start", |p| p["comm"] == "sleep");
    assert!(has(&process, "ignored", "SIGTERM"), "{process}");
    assert!(!has(&process, "caught", "SIGTERM"));
    assert!(!has(&process, "blocked", "SIGTERM"));
}

#[test]
fn a_signal_pending_for_another_thread_is_pending_for_the_process() {
    let Some(python) = python() else {
        eprintln!("skipped: needs python3 (a thread with a signal pending for it alone)");
        return;
    };
    let mut cleanup = Cleanup::default();
    // A second thread blocks SIGUSR1 and gets one sent to it alone
    // (pthread_kill: tgkill): pending in its SigPnd, not the main thread's.
    let pid = common::spawn_thread_pending_usr1(&mut cleanup, &python);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let sigpnd = status
        .lines()
        .find_map(|l| l.strip_prefix("SigPnd:"))
        .expect("SigPnd")
        .trim();
    assert_eq!(
        u64::from_str_radix(sigpnd, 16).expect("hex") & (1 << (libc::SIGUSR1 - 1)),
        0,
        "the main thread's own SigPnd does not hold it"
    );

    let process = wait_for_entry(pid, "SIGUSR1 pending", |p| has(p, "pending", "SIGUSR1"));
    assert!(
        !has(&process, "shared_pending", "SIGUSR1"),
        "thread-directed, not process-wide: {process}"
    );
    assert!(
        !has(&process, "blocked", "SIGUSR1"),
        "the main thread does not block it"
    );
    assert!(!has(&process, "blocked_by_all", "SIGUSR1"), "{process}");

    let table = sigtree(&["ps", &pid.to_string(), "--signals"]);
    let text = String::from_utf8_lossy(&table.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&pid.to_string()))
        .expect("a row for the process");
    assert!(line.contains(" USR1 "), "PENDING column: {line}");
}

#[test]
fn blocked_sigterm_sent_with_kill_is_shared_pending() {
    let mut cleanup = Cleanup::default();
    let mut command = sleeper();
    // SAFETY: sigprocmask is async-signal-safe; the set is built in the child.
    unsafe {
        command.pre_exec(|| {
            let mut set = SigSet::empty();
            set.add(Signal::SIGTERM);
            sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(std::io::Error::from)
        });
    }
    let pid = cleanup.spawn(&mut command);
    wait_for_entry(pid, "sleep with SIGTERM blocked", |p| {
        p["comm"] == "sleep" && has(p, "blocked", "SIGTERM")
    });
    kill(Pid::from_raw(pid), Signal::SIGTERM).expect("kill SIGTERM");
    let process = wait_for_entry(pid, "SIGTERM to be pending", |p| {
        has(p, "shared_pending", "SIGTERM")
    });
    assert!(
        !has(&process, "pending", "SIGTERM"),
        "kill(2) is process-directed: ShdPnd, not SigPnd"
    );
    assert_eq!(process["state"], "S", "still alive, sleeping");

    let table = sigtree(&["ps", &pid.to_string(), "--signals"]);
    let text = String::from_utf8_lossy(&table.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&pid.to_string()))
        .expect("a row for the process");
    assert!(line.contains("dfl+blk"), "TERM column: {line}");
    assert!(line.contains(" TERM "), "PENDING column: {line}");
}

#[test]
fn sigterm_handler_is_caught_and_reset_across_exec() {
    let mut cleanup = Cleanup::default();
    let mut command = Command::new("sh");
    command.args(["-c", "trap 'exit 0' TERM; sleep 300 & wait"]);
    let shell = cleanup.spawn(&mut command);
    let listing = wait_for("the shell's trap and its child", || {
        let listing = ps_json(&[&shell.to_string(), "--signals"]);
        let caught = entry(&listing, shell).is_some_and(|p| has(&p, "caught", "SIGTERM"));
        let child = listing
            .as_array()?
            .iter()
            .any(|p| p["ppid"] == shell && p["comm"] == "sleep");
        (caught && child).then_some(listing)
    });
    let child = listing
        .as_array()
        .and_then(|all| all.iter().find(|p| p["ppid"] == shell))
        .expect("the shell's child");
    assert!(
        !has(child, "caught", "SIGTERM"),
        "execve resets caught signals to default: {child}"
    );
}

#[test]
fn stopped_process_shows_state_t() {
    let mut cleanup = Cleanup::default();
    let pid = cleanup.spawn(&mut sleeper());
    wait_for_entry(pid, "sleep to start", |p| p["comm"] == "sleep");
    kill(Pid::from_raw(pid), Signal::SIGSTOP).expect("SIGSTOP");
    wait_for_entry(pid, "the stop", |p| p["state"] == "T");
}

#[test]
fn zombie_whose_parent_does_not_reap_it() {
    let mut cleanup = Cleanup::default();
    let mut command = Command::new("sh");
    // The shell forks `sleep 0`, then becomes `sleep 300`, which never waits.
    command.args(["-c", "sleep 0 & exec sleep 300"]);
    let parent = cleanup.spawn(&mut command);
    let zombie = wait_for("a zombie child", || {
        let listing = ps_json(&[&parent.to_string()]);
        let zombie = listing
            .as_array()?
            .iter()
            .find(|p| p["ppid"] == parent && p["state"] == "Z")?["pid"]
            .as_i64()?;
        Some(zombie)
    });
    let group = zombies_of(parent).expect("ps --orphans lists the zombie's parent");
    assert!(
        group["zombies"]
            .as_array()
            .expect("its zombies")
            .iter()
            .any(|z| z["pid"] == zombie),
        "ps --orphans lists the zombie under its parent: {group}"
    );
    assert_eq!(group["ppid"], parent);
    assert_eq!(group["parent_cmd"], "sleep 300");

    let text = String::from_utf8_lossy(&sigtree(&["ps", "--orphans"]).stdout).into_owned();
    let zombies = text.split("Zombies").nth(1).expect("a zombie section");
    assert!(
        zombies.contains(&format!(" {parent} sleep 300")),
        "{zombies}"
    );
    let (_, runs) = zombie_group(&text, parent);
    assert!(runs.contains(&(zombie, zombie)), "{runs:?}");
}

/// The `zombies` group of `parent` in `ps --orphans --json`.
fn zombies_of(parent: i32) -> Option<Value> {
    ps_json(&["--orphans"])["zombies"]
        .as_array()
        .expect("zombies array")
        .iter()
        .find(|g| g["ppid"] == parent)
        .cloned()
}

/// In a `ps --orphans` text, the line of `parent`'s zombie group and the
/// runs of pids (first, last) listed under it, other zombies on the
/// machine notwithstanding.
fn zombie_group(text: &str, parent: i32) -> (String, Vec<(i64, i64)>) {
    let heading = format!(" of parent {parent} ");
    let mut lines = text.lines().skip_while(|line| !line.contains(&heading));
    let line = lines
        .next()
        .unwrap_or_else(|| panic!("no zombie group of {parent}:\n{text}"));
    assert_eq!(
        lines
            .next()
            .and_then(|header| header.split_whitespace().next()),
        Some("PIDS"),
        "{text}"
    );
    // A group's rows are indented; the next group's line is not (its
    // count would read as a pid).
    let runs = lines
        .map_while(|row| {
            let pids = row.strip_prefix(' ')?.split_whitespace().next()?;
            let (first, last) = pids.split_once('-').unwrap_or((pids, pids));
            Some((first.parse().ok()?, last.parse().ok()?))
        })
        .collect();
    (line.to_string(), runs)
}

/// The lines of `text` (a `ps --orphans` output) in the section whose
/// heading starts with `heading`, up to the next blank line.
fn section<'t>(text: &'t str, heading: &str) -> Vec<&'t str> {
    text.split("\n\n")
        .find(|part| part.starts_with(heading))
        .unwrap_or_else(|| panic!("no section {heading:?} in:\n{text}"))
        .lines()
        .collect()
}

#[test]
fn nine_hundred_zombies_of_one_parent_print_as_one_group() {
    let Some(python) = python() else {
        eprintln!("skipped: needs python3 (a parent that forks 900 children and never reaps them)");
        return;
    };
    const ZOMBIES: usize = 900;
    let mut cleanup = Cleanup::default();
    // A long command line, as the issue saw it: printed once, not 900 times.
    let marker = format!("never-reaps-{}-{}", std::process::id(), "x".repeat(120));
    let script = "import os, sys, time\n\
                  for _ in range(int(sys.argv[1])):\n    \
                      if os.fork() == 0:\n        os._exit(0)\n\
                  print(os.getpid(), flush=True)\n\
                  time.sleep(300)";
    let mut command = Command::new(python);
    command
        .args(["-c", script, &ZOMBIES.to_string(), &marker])
        .stdout(Stdio::piped());
    let parent = cleanup.spawn(&mut command);
    assert_eq!(read_pid_line(cleanup.child(parent)), parent);
    // Every child has exited by now or soon: wait until all 900 are zombies.
    let group = wait_for("900 zombies under one parent", || {
        zombies_of(parent).filter(|g| g["zombies"].as_array().is_some_and(|z| z.len() == ZOMBIES))
    });
    assert!(
        group["parent_cmd"]
            .as_str()
            .is_some_and(|cmd| cmd.ends_with(&marker)),
        "{}",
        group["parent_cmd"]
    );

    let output = sigtree(&["ps", "--orphans"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        text.matches(&marker).count(),
        1,
        "the parent's command once:\n{text}"
    );
    let (line, runs) = zombie_group(&text, parent);
    assert!(
        line.starts_with("900 zombies of parent ") && line.ends_with(&marker),
        "{line}"
    );
    let listed: i64 = runs.iter().map(|(first, last)| last - first + 1).sum();
    assert_eq!(
        listed, 900,
        "every zombie under its parent's one line: {runs:?}"
    );
    assert!(
        runs.len() < ZOMBIES,
        "consecutive pids share a row: {} rows",
        runs.len()
    );
}

#[test]
fn an_orphaned_group_shows_its_members_commands_escaped_one_row_each() {
    let Some(python) = python() else {
        eprintln!(
            "skipped: needs python3 (a session leader that puts a child in a group of its own)"
        );
        return;
    };
    let mut cleanup = Cleanup::default();
    // A session leader puts a child in a group of its own, whose command
    // line holds a newline and terminal escapes, then exits: the child's
    // group has no parent in another group of the session any more.
    // Both sides set the group (whichever runs first; after the child's
    // exec the parent's call fails with EACCES, harmlessly), and the child
    // lets go of the pipe the test reads the pid from.
    let script = "import os, sys\n\
                  pid = os.fork()\n\
                  if pid == 0:\n    \
                      os.setpgid(0, 0)\n    \
                      os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n    \
                      os.execvp('sh', ['sh', '-c', 'sleep 300; :', sys.argv[1]])\n\
                  try:\n    os.setpgid(pid, pid)\n\
                  except PermissionError:\n    pass\n\
                  print(pid, flush=True)";
    let mut command = Command::new(python);
    command
        .args(["-c", script, "job\nline two \u{1b}]0;PWNED\u{7} end"])
        .stdout(Stdio::piped());
    let leader = cleanup.spawn_session(&mut command);
    let job = read_pid_line(cleanup.child(leader));
    cleanup.group(job);
    cleanup.child(leader).wait().expect("the leader exits");
    let escaped = r"job\nline two \e]0;PWNED\x07 end";

    let group = wait_for("the job's group to be orphaned", || {
        ps_json(&["--orphans"])["orphaned_groups"]
            .as_array()?
            .iter()
            .find(|g| g["pgid"] == job)
            .cloned()
    });
    let member = group["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["pid"] == job)
        .cloned()
        .unwrap_or_else(|| panic!("the job among its group's members: {group}"));
    assert_eq!(
        member["cmd"], "sh -c sleep 300; : job\nline two \u{1b}]0;PWNED\u{7} end",
        "JSON keeps the bytes (as JSON escapes)"
    );

    let output = sigtree(&["ps", "--orphans"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "no raw escape reaches the terminal"
    );
    let rows: Vec<&str> = section(&text, "Orphaned process groups")
        .into_iter()
        .filter(|line| line.contains("job"))
        .collect();
    assert_eq!(rows.len(), 1, "one row for the job: {rows:?}");
    let cells: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(
        cells[..3],
        [job.to_string(), group["sid"].to_string(), job.to_string()],
        "PGID SID PID: {}",
        rows[0]
    );
    assert!(
        rows[0].ends_with(&format!("sh -c sleep 300; : {escaped}")),
        "{}",
        rows[0]
    );
    assert!(
        !section(&text, "Orphaned process groups")
            .iter()
            .any(|line| line.starts_with("line two") || line.starts_with(" end")),
        "nothing of the command starts a line of its own"
    );
}

#[test]
fn a_z_main_thread_with_live_threads_is_no_zombie_for_ps_orphans() {
    let Some(python) = python() else {
        eprintln!("skipped: needs python3 (a main thread that exits alone)");
        return;
    };
    let mut cleanup = Cleanup::default();
    let pid = common::spawn_exited_main_thread(&mut cleanup, &python);
    let report = ps_json(&["--orphans"]);
    let listed = report["zombies"]
        .as_array()
        .expect("zombies")
        .iter()
        .flat_map(|g| g["zombies"].as_array().cloned().unwrap_or_default())
        .any(|z| z["pid"] == pid);
    assert!(!listed, "a live process is no zombie (FACTS 4f): {report}");
    assert!(common::is_alive(pid));
}

/// Starts `sh` as a session leader with a `sleep` child; returns both pids.
fn session_with_child(cleanup: &mut Cleanup) -> (i32, i32) {
    let mut command = Command::new("sh");
    command
        .args(["-c", "sleep 300 & echo $!; wait"])
        .stdout(Stdio::piped());
    let leader = cleanup.spawn_session(&mut command);
    let child = read_pid_line(cleanup.child(leader));
    cleanup.pid(child);
    wait_for_entry(child, "the child to exec sleep", |p| p["comm"] == "sleep");
    (leader, child)
}

fn likely_orphans() -> Vec<Value> {
    ps_json(&["--orphans"])["likely_orphans"]
        .as_array()
        .expect("likely_orphans array")
        .clone()
}

#[test]
fn a_process_with_a_live_parent_is_not_an_orphan() {
    let mut cleanup = Cleanup::default();
    let (leader, child) = session_with_child(&mut cleanup);
    let orphans = likely_orphans();
    assert!(
        !orphans
            .iter()
            .any(|o| o["pid"] == child || o["pid"] == leader)
    );
}

#[test]
fn orphan_whose_parent_was_killed_is_listed() {
    let mut cleanup = Cleanup::default();
    let (leader, child) = session_with_child(&mut cleanup);
    kill(Pid::from_raw(leader), Signal::SIGKILL).expect("SIGKILL the leader");
    cleanup.child(leader).wait().expect("reap the leader");

    let adopter = wait_for("the orphan to be re-parented", || {
        let process = entry(&ps_json(&[&child.to_string()]), child)?;
        let ppid = process["ppid"].as_i64()?;
        (ppid != i64::from(leader)).then_some(ppid)
    });
    if adopter != 1 {
        eprintln!(
            "skipped: the orphan was adopted by subreaper {adopter}, which a one-shot ps cannot tell from a live parent"
        );
        return;
    }
    let orphan = likely_orphans()
        .into_iter()
        .find(|o| o["pid"] == child)
        .expect("ps --orphans lists the orphan");
    assert_eq!(orphan["lost_session_leader"], leader);
    assert_eq!(orphan["ppid"], 1);
    assert_eq!(orphan["cmd"], "sleep 300");
}

#[test]
fn ps_pid_lists_subtree_and_group_and_tree_draws_it() {
    let mut cleanup = Cleanup::default();
    let mut command = Command::new("sh");
    command.args(["-c", "sleep 300 & wait"]);
    let shell = cleanup.spawn(&mut command);
    let child = wait_for("the shell's child", || {
        let listing = ps_json(&[&shell.to_string()]);
        listing
            .as_array()?
            .iter()
            .find(|p| p["ppid"] == shell && p["comm"] == "sleep")?["pid"]
            .as_i64()
    });
    let listing = ps_json(&[&child.to_string()]);
    let pids: Vec<i64> = listing
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["pid"].as_i64())
        .collect();
    assert_eq!(
        pids,
        [child, i64::from(shell)],
        "the subtree first, then the rest of its group"
    );

    let tree = sigtree(&["ps", &shell.to_string(), "--tree"]);
    let text = String::from_utf8_lossy(&tree.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("  PID") || lines[0].contains("PID"),
        "{text}"
    );
    assert!(lines[1].ends_with("sh -c sleep 300 & wait"), "{text}");
    assert!(lines[2].ends_with("└─ sleep 300"), "{text}");
}

#[test]
fn a_pid_that_does_not_exist_is_a_runtime_error() {
    let pid_max: i64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .expect("pid_max")
        .trim()
        .parse()
        .expect("a number");
    let missing = (pid_max + 1).to_string();
    let output = sigtree(&["ps", &missing]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        format!("sigtree: no process with pid {missing}")
    );
}

#[test]
fn zero_negative_or_non_numeric_pids_are_usage_errors() {
    for bad in ["0", "-5", "abc", "1.5"] {
        let output = sigtree(&["ps", "--", bad]);
        assert_eq!(output.status.code(), Some(2), "pid {bad}");
        assert!(output.stdout.is_empty());
        assert!(!output.stderr.is_empty());
    }
}

#[test]
fn json_has_exactly_the_spec_keys() {
    let listing = ps_json(&["1", "--signals"]);
    let process = entry(&listing, 1).expect("pid 1 is listed");
    let mut keys: Vec<&str> = process
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = [
        "pid",
        "ppid",
        "pgid",
        "sid",
        "tpgid",
        "state",
        "comm",
        "cmdline",
        "threads",
        "uid",
        "start_time_ms",
        "rss_kib",
        "cpu_ms",
        "signals",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    let mut mask_keys: Vec<&str> = process["signals"]
        .as_object()
        .expect("signals object")
        .keys()
        .map(String::as_str)
        .collect();
    mask_keys.sort_unstable();
    assert_eq!(
        mask_keys,
        [
            "blocked",
            "blocked_by_all",
            "caught",
            "ignored",
            "pending",
            "shared_pending"
        ]
    );

    let without = ps_json(&["1"]);
    let process = entry(&without, 1).expect("pid 1 is listed");
    assert!(
        process.get("signals").is_none(),
        "signals only with --signals"
    );
    assert!(process["uid"].is_u64());
}

/// Asserts that `text` holds no control character but the newlines ending
/// its lines, and that `marker` is on exactly one line, `pid`'s row, with
/// no line left over that holds `forged` without it. Returns that row.
fn assert_one_escaped_row(text: &str, pid: i32, marker: &str, forged: &str) -> String {
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| c.is_control() && c != '\n')
        .collect();
    assert!(raw.is_empty(), "raw control characters {raw:?} in:\n{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(marker)).collect();
    assert_eq!(rows.len(), 1, "one row naming {marker}:\n{text}");
    assert_eq!(
        rows[0].split_whitespace().next(),
        Some(pid.to_string().as_str()),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.contains(forged) && !l.contains(marker)),
        "a forged row:\n{text}"
    );
    rows[0].to_string()
}

#[test]
fn a_hostile_command_line_is_one_escaped_row() {
    let mut cleanup = Cleanup::default();
    // Marked with this test's pid: `ps` lists every process on the
    // machine, another suite's copy of this test included.
    let marker = format!("PWNED-ARGS-{}", std::process::id());
    let forged = format!("FORGED-INIT-{}", std::process::id());
    // $0 would set the terminal's title, $1 start a row of its own.
    let mut command = Command::new("sh");
    command.args([
        "-c".to_string(),
        "sleep 300; exit 0".to_string(),
        format!("\u{1b}]0;{marker}\u{7}"),
        format!("\n    1     0     1     1    -1 S     1 {forged}"),
    ]);
    let shell = cleanup.spawn(&mut command);
    wait_for("the shell's child", || {
        ps_json(&[&shell.to_string()])
            .as_array()?
            .iter()
            .any(|p| p["ppid"] == shell && p["comm"] == "sleep")
            .then_some(())
    });
    let expected = format!("sh -c sleep 300; exit 0 \\e]0;{marker}\\x07 \\n    1     0");
    for args in [vec!["ps"], vec!["ps", "--tree"]] {
        let shell_arg = shell.to_string();
        for args in [args.clone(), [args, vec![&shell_arg]].concat()] {
            let output = sigtree(&args);
            assert!(output.status.success(), "{args:?}");
            let text = String::from_utf8_lossy(&output.stdout);
            let row = assert_one_escaped_row(&text, shell, &marker, &forged);
            assert!(row.contains(&expected), "{args:?}: {row}");
            assert!(row.ends_with(&forged), "{args:?}: {row}");
        }
    }
    let listing = ps_json(&[&shell.to_string()]);
    let process = entry(&listing, shell).expect("the shell is listed");
    assert_eq!(
        process["cmdline"][3],
        format!("\u{1b}]0;{marker}\u{7}"),
        "JSON keeps the bytes"
    );
}

#[test]
fn a_zombie_with_a_hostile_name_is_one_escaped_row() {
    let mut cleanup = Cleanup::default();
    // The shell names itself (15 bytes at most), exits, and stays a zombie:
    // the test, its parent, reaps it only when the guard drops.
    let mut command = Command::new("sh");
    command.args(["-c", "printf '\\033]0;ZOMB\\007\\nFAKE' > /proc/self/comm"]);
    let zombie = cleanup.spawn(&mut command);
    let comm = "\u{1b}]0;ZOMB\u{7}\nFAKE";
    wait_for_entry(zombie, "the renamed shell to be a zombie", |p| {
        p["state"] == "Z" && p["comm"] == comm
    });
    let escaped = "\\e]0;ZOMB\\x07\\nFAKE";
    let table = sigtree(&["ps", &zombie.to_string()]);
    let text = String::from_utf8_lossy(&table.stdout);
    let row = assert_one_escaped_row(&text, zombie, "]0;ZOMB", "FAKE");
    assert!(row.ends_with(&format!("[{escaped}]")), "{row}");

    let orphans = sigtree(&["ps", "--orphans"]);
    let text = String::from_utf8_lossy(&orphans.stdout);
    let row = assert_one_escaped_row(&text, zombie, "]0;ZOMB", "FAKE");
    assert!(row.contains(escaped), "{row}");
    let listed = ps_json(&["--orphans"])["zombies"]
        .as_array()
        .expect("zombies")
        .iter()
        .flat_map(|group| group["zombies"].as_array().cloned().unwrap_or_default())
        .find(|z| z["pid"] == zombie)
        .expect("the zombie is listed");
    assert_eq!(listed["comm"], comm, "JSON keeps the bytes");
}

#[test]
fn a_name_that_is_not_utf8_keeps_uid_and_signal_masks() {
    use std::os::unix::ffi::OsStrExt;
    let Some(shell) = find_program("sh") else {
        eprintln!("skipped: sh is not on PATH");
        return;
    };
    // exec through a link named with the byte 0xff (and an ESC) sets the comm.
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"bad\xff\x1bname"));
    std::os::unix::fs::symlink(&shell, &link).expect("symlink");
    let mut cleanup = Cleanup::default();
    let mut command = Command::new(&link);
    command.args(["-c", "trap '' TERM; sleep 300 & wait"]);
    let pid = cleanup.spawn(&mut command);
    // The trap is set before the child starts.
    wait_for("the shell's child", || {
        ps_json(&[&pid.to_string()])
            .as_array()?
            .iter()
            .any(|p| p["ppid"] == pid && p["comm"] == "sleep")
            .then_some(())
    });
    let listing = ps_json(&[&pid.to_string(), "--signals"]);
    let process = entry(&listing, pid).expect("the shell is listed");
    assert_eq!(process["comm"], "bad\u{fffd}\u{1b}name", "{process}");
    assert_eq!(
        process["uid"],
        rustix::process::getuid().as_raw(),
        "the uid comes from status: {process}"
    );
    assert!(
        process["signals"]["ignored"]
            .as_array()
            .is_some_and(|names| names.iter().any(|n| n == "SIGTERM")),
        "the masks come from status: {process}"
    );

    let table = sigtree(&["ps", &pid.to_string(), "--signals"]);
    let text = String::from_utf8_lossy(&table.stdout);
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(pid.to_string().as_str()))
        .expect("a row for the shell");
    let term = row.split_whitespace().nth(7);
    assert_eq!(term, Some("ign"), "TERM column: {row}");
    assert!(row.contains("/bad\u{fffd}\\ename -c trap"), "{row}");
    assert!(!text.contains('\u{1b}'), "{text}");
}
