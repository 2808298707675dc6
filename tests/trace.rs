//! `sigtree trace` as a user meets it: a command's whole life streamed in
//! order, a running process's subtree until it is gone, Ctrl-C, bad input.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Cleanup, DEADLINE, TaggedCleanup, output_of, run_id, wait_until_untagged};

/// `sigtree trace ARGS`, tagged with `id`, its output piped.
fn trace(args: &[&str], id: &str) -> Command {
    trace_under(&[], args, id)
}

/// [`trace`] run through `runner` (another user), from `/`.
fn trace_under(runner: &[String], args: &[&str], id: &str) -> Command {
    let mut command = common::sigtree_under(runner);
    command
        .arg("trace")
        .current_dir("/")
        .args(args)
        .env("SIGTREE_RUN_ID", id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `command` (a trace) started, once it listens: its note on stderr, the
/// first line, says what it sees.
fn listening(mut command: Command) -> (std::process::Child, String) {
    let mut child = command.spawn().expect("sigtree runs");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut note = String::new();
    stderr.read_line(&mut note).expect("reads the note");
    (child, note)
}

/// The JSON lines of a trace's output.
fn lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The lifecycle events of `pid`, by kind, in order (as root, its
/// signals are there too).
fn kinds_of(events: &[serde_json::Value], pid: &serde_json::Value) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["pid"] == *pid && e["kind"] != "signal" && e["kind"] != "deliver")
        .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_commands_whole_life_streams_in_order() {
    if let Some(reason) = common::no_connector() {
        eprintln!("{reason}");
        return;
    }
    let id = run_id("trace-cmd");
    let _cleanup = TaggedCleanup(id.clone());
    let script = "(exit 3) & wait; printf renamed > /proc/self/comm; \
                  setsid sh -c 'exit 4'; exit 5";
    let child = trace(&["--json", "--", "sh", "-c", script], &id)
        .spawn()
        .expect("sigtree runs");
    let output = output_of(child, DEADLINE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("proc connector"), "{stderr}");
    let events = lines(&output.stdout);
    let times: Vec<u64> = events.iter().filter_map(|e| e["at_ms"].as_u64()).collect();
    assert_eq!(times.len(), events.len(), "{events:#?}");
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "in order: {events:#?}"
    );

    let leader = events
        .iter()
        .find(|e| e["role"] == "leader")
        .expect("the leader")["pid"]
        .clone();
    // Forked by sigtree's keeper, it exec'd the shell.
    assert_eq!(
        kinds_of(&events, &leader),
        ["fork", "exec", "rename", "exit"],
        "{events:#?}"
    );
    let renamed = events
        .iter()
        .find(|e| e["kind"] == "rename")
        .expect("the rename");
    assert_eq!(renamed["comm"], "renamed");
    let exit = |pid: &serde_json::Value| {
        events
            .iter()
            .find(|e| e["pid"] == *pid && e["kind"] == "exit")
            .unwrap_or_else(|| panic!("no exit of {pid}: {events:#?}"))
    };
    assert_eq!(exit(&leader)["exit_code"], 5, "{events:#?}");
    assert_eq!(exit(&leader)["signal"], serde_json::Value::Null);

    let forked: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["kind"] == "fork" && e["ppid"] == leader)
        .collect();
    assert_eq!(forked.len(), 2, "the subshell and setsid: {events:#?}");
    let subshell = &forked[0]["pid"];
    assert_eq!(kinds_of(&events, subshell), ["fork", "exit"]);
    assert_eq!(exit(subshell)["exit_code"], 3);
    let setsid = &forked[1]["pid"];
    assert_eq!(
        kinds_of(&events, setsid),
        ["fork", "exec", "setsid", "exec", "exit"],
        "{events:#?}"
    );
    assert_eq!(exit(setsid)["exit_code"], 4);
    assert!(wait_until_untagged(&id).is_empty());
}

#[test]
fn a_running_process_is_traced_until_its_subtree_is_gone() {
    if let Some(reason) = common::no_connector() {
        eprintln!("{reason}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let go = dir.path().join("go");
    let script = format!(
        "until [ -e '{}' ]; do sleep 0.05; done; (exit 7) & wait; exit 0",
        go.display()
    );
    let mut cleanup = Cleanup::default();
    let shell = cleanup.spawn(Command::new("sh").args(["-c", &script]));
    let id = run_id("trace-pid");
    // Its note on stderr comes once it listens.
    let (child, note) = listening(trace(&["--json", &shell.to_string()], &id));
    assert!(note.contains("proc connector"), "{note}");
    std::fs::write(&go, b"").expect("writes the go file");
    let output = output_of(child, DEADLINE);
    assert_eq!(output.status.code(), Some(0), "trace ends with the subtree");
    let events = lines(&output.stdout);
    let sevens: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["kind"] == "exit" && e["exit_code"] == 7)
        .collect();
    assert_eq!(sevens.len(), 1, "{events:#?}");
    assert_eq!(sevens[0]["role"], "child");
    let root = events
        .iter()
        .find(|e| e["pid"] == shell && e["kind"] == "exit")
        .unwrap_or_else(|| panic!("no exit of the shell: {events:#?}"));
    assert_eq!(root["exit_code"], 0);
    assert_eq!(root["role"], "attached");
}

#[test]
fn ctrl_c_ends_the_trace_and_what_it_started() {
    let id = run_id("trace-int");
    let _cleanup = TaggedCleanup(id.clone());
    let (child, _note) = listening(trace(&["--", "sleep", "300"], &id));
    let sleeper = common::wait_for("the traced sleep", || {
        common::tagged(&id)
            .into_iter()
            .find(|&pid| common::stat(pid).is_some_and(|r| r.comm == "sleep"))
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("SIGINT to sigtree");
    let output = output_of(child, DEADLINE);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains(&format!("exec    {sleeper} leader (sleep): sleep 300"))),
        "{text}"
    );
    assert!(
        wait_until_untagged(&id).is_empty(),
        "the command outlived the trace"
    );
}

#[test]
fn a_missing_pid_is_exit_1_and_bad_input_exit_2() {
    let id = run_id("trace-bad");
    let missing = i32::MAX.to_string();
    let output = output_of(
        trace(&[&missing], &id).spawn().expect("sigtree runs"),
        Duration::from_secs(30),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no process with pid"));
    for args in [&["0"][..], &["12", "--", "true"], &[]] {
        let output = output_of(
            trace(args, &id).spawn().expect("sigtree runs"),
            Duration::from_secs(30),
        );
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn as_nobody_a_commands_short_lived_child_is_traced() {
    let Some(prefix) = common::nobody_or_skip() else {
        return;
    };
    if let Some(reason) = common::no_connector() {
        eprintln!("{reason}");
        return;
    }
    let id = run_id("trace-nobody");
    let _cleanup = TaggedCleanup(id.clone());
    let child = trace_under(
        &prefix,
        &["--json", "--", "sh", "-c", "(exit 3) & wait"],
        &id,
    )
    .spawn()
    .expect("sigtree runs as nobody");
    let output = output_of(child, DEADLINE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("signals are not visible"), "{stderr}");
    let events = lines(&output.stdout);
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "exit" && e["role"] == "child" && e["exit_code"] == 3),
        "{events:#?}"
    );
}

#[test]
fn as_root_each_signal_has_its_sender_and_result_even_to_a_process_outside() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    let mut cleanup = Cleanup::default();
    let outsider = cleanup.spawn(Command::new("sleep").arg("300"));
    let script = format!("sleep 30 & kill -TERM $!; wait; kill -CONT {outsider}");
    let Some((events, leader)) = traced_shell(&script, "trace-signals") else {
        return;
    };
    let leader = &leader;
    let term = events
        .iter()
        .find(|e| e["kind"] == "signal" && e["signal"] == "SIGTERM")
        .unwrap_or_else(|| panic!("no SIGTERM: {events:#?}"));
    assert_eq!(term["from_pid"], *leader, "{term}");
    assert_eq!(term["from_comm"], "sh");
    assert_eq!(term["role"], "child");
    assert_eq!(
        (&term["code"], &term["result"]),
        (&"kill".into(), &"queued".into())
    );
    assert_eq!(term["inferred"], serde_json::Value::Null);
    // The default-fatal SIGTERM is taken as the group exit, SIGKILL; the
    // exit says SIGTERM.
    let victim = &term["pid"];
    assert!(
        events.iter().any(|e| e["kind"] == "deliver"
            && e["pid"] == *victim
            && e["signal"] == "SIGKILL"
            && e["handler"] == "0x0"),
        "{events:#?}"
    );
    let exit = events
        .iter()
        .position(|e| e["kind"] == "exit" && e["pid"] == *victim && e["signal"] == "SIGTERM")
        .unwrap_or_else(|| panic!("no exit of the victim: {events:#?}"));
    // The kernel's order, finer than the millisecond both may share: the
    // signal, then the end it caused.
    let sent = events
        .iter()
        .position(|e| std::ptr::eq(e, term))
        .expect("the SIGTERM's line");
    assert!(sent < exit, "{events:#?}");
    let cont = events
        .iter()
        .find(|e| e["kind"] == "signal" && e["signal"] == "SIGCONT")
        .unwrap_or_else(|| panic!("no SIGCONT to the outsider: {events:#?}"));
    assert_eq!(
        (&cont["to_pid"], &cont["role"]),
        (&outsider.into(), &"outside".into())
    );
}

/// Why tracefs's signal events cannot be had here, if they cannot: the
/// first line trace writes on stderr says what it sees.
fn no_signal_events(note: &str) -> Option<String> {
    (!note.contains("tracefs")).then(|| format!("skipped: no tracefs signal events here: {note}"))
}

/// `sigtree trace --json -- sh -c SCRIPT` to its end, with the kernel's
/// signal events: its events and the leader's pid; `None`, said, where
/// they cannot be had.
fn traced_shell(script: &str, name: &str) -> Option<(Vec<serde_json::Value>, serde_json::Value)> {
    let id = run_id(name);
    let _tagged = TaggedCleanup(id.clone());
    let child = trace(&["--json", "--", "sh", "-c", script], &id)
        .spawn()
        .expect("sigtree runs");
    let output = output_of(child, DEADLINE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "trace ends with the subtree: {stderr}"
    );
    if let Some(reason) = no_signal_events(&stderr) {
        eprintln!("{reason}");
        return None;
    }
    let events = lines(&output.stdout);
    let leader = events
        .iter()
        .find(|e| e["role"] == "leader")
        .expect("the leader")["pid"]
        .clone();
    Some((events, leader))
}

/// The signal events of `signal` in `events`, by receiver.
fn signals_named<'e>(events: &'e [serde_json::Value], signal: &str) -> Vec<&'e serde_json::Value> {
    events
        .iter()
        .filter(|e| e["kind"] == "signal" && e["signal"] == signal)
        .collect()
}

#[test]
fn as_root_ctrl_c_in_a_terminal_reaches_every_member_of_its_foreground_group_from_the_kernel() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    // A shell leading a session in a real pty, its pipeline in its group:
    // the terminal's foreground group.
    let mut terminal = common::pty::Tui::start(
        &["-c", "sleep 300 | sleep 300"],
        &[("SIGTREE_TUI_PROGRAM", "sh")],
    );
    let shell = terminal.pid();
    let sleeps = common::wait_for("the pipeline's two sleeps", || {
        let sleeps =
            common::live_pids_where(|r| r.ppid == shell && r.pgid == shell && r.comm == "sleep");
        (sleeps.len() == 2).then_some(sleeps)
    });
    let id = run_id("trace-ctrl-c");
    let _tagged = TaggedCleanup(id.clone());
    let (child, note) = listening(trace(&["--json", &shell.to_string()], &id));
    terminal.press("\x03");
    let output = output_of(child, DEADLINE);
    assert_eq!(output.status.code(), Some(0), "trace ends with the group");
    if let Some(reason) = no_signal_events(&note) {
        eprintln!("{reason}");
        return;
    }
    let events = lines(&output.stdout);
    // The shell's own re-raise after its handler (tkill) is not the
    // terminal's.
    let ints: Vec<&serde_json::Value> = signals_named(&events, "SIGINT")
        .into_iter()
        .filter(|e| e["code"] != "tkill")
        .collect();
    for member in sleeps.iter().chain([&shell]) {
        let got = ints
            .iter()
            .find(|e| e["pid"] == *member)
            .unwrap_or_else(|| panic!("no SIGINT to {member}: {events:#?}"));
        assert_eq!(
            (&got["code"], &got["inferred"], &got["result"]),
            (&"kernel".into(), &"terminal".into(), &"queued".into()),
            "{got}"
        );
    }
    assert_eq!(
        ints.len(),
        3,
        "one SIGINT from the terminal per member: {ints:#?}"
    );
    assert_eq!(terminal.wait_exit(), None, "the shell died of the SIGINT");
}

#[test]
fn as_root_a_parent_death_signal_is_told_from_a_kill_before_the_parents_exit() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    if common::find_program("setpriv").is_none() {
        eprintln!("skipped: setpriv (util-linux) is not installed");
        return;
    }
    // The first child asks for SIGTERM at its parent's death (setpriv sets
    // it, then execs sleep); the second is sent SIGUSR1 by kill(1) from the
    // parent just before it exits. Both come as SI_USER from the parent.
    let script = "setpriv --pdeathsig TERM sleep 300 & orphan=$!; \
                  until [ \"$(cat /proc/$orphan/comm)\" = sleep ]; do sleep 0.01; done; \
                  sleep 300 & kill -USR1 $!; exit 0";
    let Some((events, leader)) = traced_shell(script, "trace-pdeathsig") else {
        return;
    };
    let leader = &leader;
    let [death] = signals_named(&events, "SIGTERM")[..] else {
        panic!("one SIGTERM: {events:#?}");
    };
    assert_eq!(
        (&death["from_pid"], &death["code"], &death["inferred"]),
        (leader, &"kill".into(), &"parent_death".into()),
        "{death}"
    );
    let [kill] = signals_named(&events, "SIGUSR1")[..] else {
        panic!("one SIGUSR1: {events:#?}");
    };
    assert_eq!(
        (&kill["from_pid"], &kill["code"], &kill["inferred"]),
        (leader, &"kill".into(), &serde_json::Value::Null),
        "{kill}"
    );
}

/// The names of tracefs's instances (tracefs mounted in a mount namespace
/// of unshare's own: the instances are the kernel's, whatever the mount),
/// or why they cannot be listed here.
fn tracefs_instances(also: &str) -> Result<Vec<String>, String> {
    let unshare = common::find_program("unshare").ok_or("unshare(1) is not on PATH")?;
    let script = format!(
        "mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing \
         || exit 3; cd /sys/kernel/tracing/instances && {also} ls"
    );
    let output = Command::new(unshare)
        .args(["-m", "sh", "-c", &script])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "tracefs cannot be mounted here: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

#[test]
fn as_root_sigkill_of_sigtree_removes_its_tracefs_instance_and_a_dead_owners_is_removed_at_start() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    // An instance left by an owner that cannot be alive (a pid above any
    // pid_max).
    let stale = "sigtree-2000000000-1";
    if let Err(reason) = tracefs_instances(&format!("mkdir -p {stale} &&")) {
        eprintln!("skipped: {reason}");
        return;
    }
    let id = run_id("trace-instance");
    let _tagged = TaggedCleanup(id.clone());
    let mut child = trace(&["--", "sleep", "300"], &id)
        .spawn()
        .expect("sigtree runs");
    let sigtree = child.id() as i32;
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut note = String::new();
    stderr.read_line(&mut note).expect("reads the note");
    if let Some(reason) = no_signal_events(&note) {
        eprintln!("{reason}");
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    let own = format!("sigtree-{sigtree}-");
    let listed = tracefs_instances("").expect("instances listed");
    assert!(
        !listed.iter().any(|name| name == stale),
        "the dead owner's instance was removed at start: {listed:?}"
    );
    assert!(
        listed.iter().any(|name| name.starts_with(&own)),
        "sigtree's own instance exists while it runs: {listed:?}"
    );
    child.kill().expect("SIGKILL sigtree");
    child.wait().expect("reap sigtree");
    common::wait_for("the tracer to remove sigtree's instance", || {
        let listed = tracefs_instances("").ok()?;
        (!listed.iter().any(|name| name.starts_with(&own))).then_some(())
    });
}
