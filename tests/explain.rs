//! `sigtree explain --json` against real processes in each state the
//! predicted-effect model has to get right (issue 13's list of wrong
//! statements): each test starts the process, waits for the state with a
//! deadline, and asserts the effect and the reason.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use common::{Cleanup, python, sigtree, stat, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use sigtree::procfs::scan::Reader;

/// `sigtree explain PID SIGNALS… [EXTRA…] --json`, parsed.
fn explain(pid: i32, signals: &[&str], extra: &[&str]) -> Value {
    let pid = pid.to_string();
    let mut args = vec!["explain", pid.as_str()];
    args.extend_from_slice(signals);
    args.extend_from_slice(extra);
    args.push("--json");
    let output = sigtree(&args);
    assert!(
        output.status.success(),
        "sigtree {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("explain --json prints JSON")
}

/// The (effect, reason) `report` predicts for `signal` on `pid`.
fn predicted(report: &Value, pid: i32, signal: &str) -> (String, String) {
    let entry = report["predictions"]
        .as_array()
        .expect("predictions")
        .iter()
        .find(|p| p["pid"] == pid && p["signal"] == signal)
        .unwrap_or_else(|| panic!("no prediction for {signal} on {pid}: {report}"));
    let text = |key: &str| entry[key].as_str().unwrap_or_default().to_string();
    (text("effect"), text("reason"))
}

/// Asserts one prediction's effect and reason.
fn assert_predicts(report: &Value, pid: i32, signal: &str, effect: &str, reason: &str) {
    let (got_effect, got_reason) = predicted(report, pid, signal);
    assert_eq!(got_effect, effect, "{signal} on {pid}: {got_reason}");
    assert!(
        got_reason.contains(reason),
        "{signal} on {pid}: {got_reason:?} should say {reason:?}"
    );
}

/// `sleep 300` with the kernel's default dispositions, whatever the test
/// runner ignores (a shell's background job starts with SIGINT and
/// SIGQUIT ignored, and a child inherits that).
fn sleeper() -> Command {
    let mut command = Command::new("sleep");
    command.arg("300");
    sigtree::sys::process::reset_signals_before_exec(&mut command);
    command
}

/// Waits until `pid`'s state letter is `letter`.
fn wait_for_state(pid: i32, letter: char) {
    wait_for(&format!("{pid} in state {letter}"), || {
        stat(pid).filter(|r| r.state.letter() == letter).map(drop)
    });
}

/// Waits until `pid` has exec'd `comm` (its status then shows the masks
/// the program set, not the test's).
fn wait_for_comm(pid: i32, comm: &str) {
    wait_for(&format!("{pid} running {comm}"), || {
        stat(pid).filter(|r| r.comm == comm).map(drop)
    });
}

/// Waits until `pid`'s status shows `signal` in the set `pick` chooses.
fn wait_for_mask(
    pid: i32,
    what: &str,
    pick: impl Fn(&sigtree::signal::disposition::SignalMasks) -> sigtree::signal::sigset::SigSet,
    signal: sigtree::signal::sigset::Signal,
) {
    wait_for(what, || {
        let masks = Reader::default().status(pid).ok()?.signals;
        pick(&masks).contains(signal).then_some(())
    });
}

fn send(pid: i32, signal: Signal) {
    kill(Pid::from_raw(pid), signal).expect("the test's own process takes the signal");
}

#[test]
fn tstp_ttin_ttou_in_an_orphaned_group_are_discarded_but_stop_elsewhere() {
    let mut cleanup = Cleanup::default();
    // A session leader's own group has no parent in another group of its
    // session: orphaned (FACTS 4d).
    let leader = cleanup.spawn_session(&mut sleeper());
    wait_for("the leader's own session", || {
        stat(leader).filter(|r| r.sid == leader).map(drop)
    });
    // A job in a group of its own under this test, in the test's session:
    // the test links it to another group of the session, so not orphaned.
    let job = cleanup.spawn(&mut sleeper());
    let report = explain(leader, &["TSTP", "TTIN", "TTOU", "STOP"], &[]);
    for signal in ["SIGTSTP", "SIGTTIN", "SIGTTOU"] {
        assert_predicts(
            &report,
            leader,
            signal,
            "discarded",
            &format!("discarded: {signal} in an orphaned process group"),
        );
    }
    assert_predicts(&report, leader, "SIGSTOP", "stops", "cannot be caught");

    let report = explain(job, &["TSTP"], &[]);
    assert_predicts(
        &report,
        job,
        "SIGTSTP",
        "stops",
        "stops: SIGTSTP's default action",
    );
    send(job, Signal::SIGTSTP);
    wait_for_state(job, 'T');
}

#[test]
fn stop_signals_and_sigstop_to_a_stopped_process_change_nothing() {
    let mut cleanup = Cleanup::default();
    let pid = cleanup.spawn(&mut sleeper());
    send(pid, Signal::SIGSTOP);
    wait_for_state(pid, 'T');
    let report = explain(pid, &["TSTP", "TTIN", "TTOU", "STOP", "TERM", "KILL"], &[]);
    for signal in ["SIGTSTP", "SIGTTIN", "SIGTTOU"] {
        assert_predicts(
            &report,
            pid,
            signal,
            "nothing",
            &format!("nothing: already stopped; the next SIGCONT discards {signal}"),
        );
    }
    assert_predicts(
        &report,
        pid,
        "SIGSTOP",
        "nothing",
        "nothing: already stopped",
    );
    assert_predicts(
        &report,
        pid,
        "SIGTERM",
        "pending_until_continued",
        "SIGTERM acts once SIGCONT resumes it",
    );
    assert_predicts(&report, pid, "SIGKILL", "terminates", "even while stopped");
}

#[test]
fn sigcont_does_nothing_to_a_running_process_and_continues_a_stopped_one() {
    let mut cleanup = Cleanup::default();
    let pid = cleanup.spawn(&mut sleeper());
    wait_for_comm(pid, "sleep");
    let report = explain(pid, &["CONT"], &[]);
    assert_predicts(
        &report,
        pid,
        "SIGCONT",
        "nothing",
        "nothing: it is not stopped, and SIGCONT only resumes a stopped process",
    );
    send(pid, Signal::SIGSTOP);
    wait_for_state(pid, 'T');
    let report = explain(pid, &["CONT"], &[]);
    assert_predicts(
        &report,
        pid,
        "SIGCONT",
        "continues",
        "continues: SIGCONT resumes a stopped process",
    );
}

#[test]
fn sigcont_to_a_stopped_process_with_a_pending_sigterm_continues_then_kills_it() {
    let mut cleanup = Cleanup::default();
    let pid = cleanup.spawn(&mut sleeper());
    wait_for_comm(pid, "sleep");
    send(pid, Signal::SIGSTOP);
    wait_for_state(pid, 'T');
    send(pid, Signal::SIGTERM);
    wait_for_mask(
        pid,
        "SIGTERM pending on the stopped process",
        |m| m.shared_pending,
        sigtree::signal::sigset::Signal::TERM,
    );
    let report = explain(pid, &["CONT", "TERM"], &[]);
    assert_predicts(
        &report,
        pid,
        "SIGCONT",
        "continues",
        "then the pending SIGTERM kills it",
    );
    // What was predicted happens.
    send(pid, Signal::SIGCONT);
    let status = cleanup.child(pid).wait().expect("reap");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[test]
fn a_caught_sigcont_runs_its_handler_running_or_after_the_resume() {
    let Some(python) = python() else {
        eprintln!("skipped: needs python3 (a SIGCONT handler)");
        return;
    };
    let mut cleanup = Cleanup::default();
    let pid = cleanup.spawn(Command::new(python).args([
        "-c",
        "import signal, time\nsignal.signal(signal.SIGCONT, lambda *a: None)\ntime.sleep(300)",
    ]));
    wait_for_mask(
        pid,
        "a SIGCONT handler",
        |m| m.caught,
        sigtree::signal::sigset::Signal::CONT,
    );
    let report = explain(pid, &["CONT"], &[]);
    assert_predicts(
        &report,
        pid,
        "SIGCONT",
        "handler_runs",
        "handler runs: SIGCONT is caught; it is not stopped",
    );
    send(pid, Signal::SIGSTOP);
    wait_for_state(pid, 'T');
    let report = explain(pid, &["CONT"], &[]);
    assert_predicts(
        &report,
        pid,
        "SIGCONT",
        "continues",
        "; then its handler runs",
    );
}

/// A child that asked to be traced by this test (PTRACE_TRACEME) with
/// SIGTERM ignored, stopped at its exec; killed and reaped when dropped.
struct Traced {
    pid: i32,
}

impl Traced {
    fn start() -> Result<Self, String> {
        let mut command = sleeper();
        command.stdin(Stdio::null()).process_group(0);
        // SAFETY: signal and ptrace are async-signal-safe system calls on
        // values prepared before the fork.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGTERM, libc::SIG_IGN);
                if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| format!("PTRACE_TRACEME: {e}"))?;
        let pid = i32::try_from(child.id()).expect("a pid");
        // Reaped by Drop, through waitpid: std's wait would stop at the
        // tracing stop.
        drop(child);
        Ok(Self { pid })
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.pid), Signal::SIGKILL);
        loop {
            let mut status = 0;
            // SAFETY: waitpid on our own child, writing to a local.
            let reaped = unsafe { libc::waitpid(self.pid, &mut status, 0) };
            if reaped != self.pid || libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                break;
            }
        }
    }
}

#[test]
fn a_traced_process_queues_for_its_tracer_and_sigcont_leaves_a_tracing_stop() {
    let traced = match Traced::start() {
        Ok(traced) => traced,
        Err(why) => {
            eprintln!("skipped: cannot trace a child here ({why})");
            return;
        }
    };
    let pid = traced.pid;
    // The exec's SIGTRAP puts it in a tracing stop.
    wait_for_state(pid, 't');
    let report = explain(pid, &["CONT", "TERM", "INT", "KILL"], &[]);
    // TracerPid is the tracing thread's id: the test's thread, the child's parent.
    let tracer = rustix::thread::gettid().as_raw_nonzero().get();
    assert_predicts(
        &report,
        pid,
        "SIGCONT",
        "queued_for_tracer",
        "SIGCONT does not end a tracing stop, so it stays stopped",
    );
    assert_predicts(
        &report,
        pid,
        "SIGTERM",
        "queued_for_tracer",
        &format!("queued for the tracer (TracerPid {tracer}), although SIGTERM is SIG_IGN"),
    );
    assert_predicts(
        &report,
        pid,
        "SIGINT",
        "queued_for_tracer",
        "the tracer decides",
    );
    assert_predicts(&report, pid, "SIGKILL", "terminates", "cannot be caught");
    // SIGCONT indeed leaves it in its tracing stop.
    send(pid, Signal::SIGCONT);
    assert_eq!(stat(pid).map(|r| r.state.letter()), Some('t'));
}

#[test]
fn a_pid_namespace_init_without_handlers_ignores_term_hup_usr1_and_rt() {
    if let Some(why) = common::pidns::unavailable() {
        eprintln!("skipped: {why}");
        return;
    }
    let mut cleanup = Cleanup::default();
    let unshare = cleanup.spawn(Command::new("unshare").args(["--pid", "--fork", "sleep", "300"]));
    let init = common::pidns::first_child(unshare, "unshare's child");
    wait_for_comm(init, "sleep");
    cleanup.pid(init);
    let report = explain(
        init,
        &["TERM", "HUP", "USR1", "RTMIN", "RTMAX", "KILL"],
        &[],
    );
    for signal in ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGRTMIN", "SIGRTMAX"] {
        assert_predicts(
            &report,
            init,
            signal,
            "ignored",
            &format!("ignored: PID 1 of a namespace ignores {signal}, for which it has no handler"),
        );
    }
    // From this, the ancestor namespace, SIGKILL acts.
    assert_predicts(&report, init, "SIGKILL", "terminates", "cannot be caught");
}

/// Whether `pid` is a kernel thread: PF_KTHREAD in its stat flags (in a
/// pid namespace, an ordinary process whose group and session lead outside
/// it also shows pgid and sid 0).
fn is_kernel_thread(pid: i32) -> bool {
    const PF_KTHREAD: u64 = 0x0020_0000;
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The fields after the command's closing parenthesis; flags is the 9th
    // field of the line, the 7th after it.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(6))
        .and_then(|flags| flags.parse::<u64>().ok())
        .is_some_and(|flags| flags & PF_KTHREAD != 0)
}

#[test]
fn kernel_threads_take_neither_sigkill_nor_sigstop() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: needs root (kill(2) refuses other users' kernel threads first)");
        return;
    }
    let Some(kthread) = [2]
        .into_iter()
        .chain(common::live_pids_where(|r| r.ppid == 2))
        .find(|&pid| is_kernel_thread(pid))
    else {
        eprintln!("skipped: no kernel thread is visible (a container's /proc)");
        return;
    };
    let report = explain(kthread, &["KILL", "STOP", "TERM"], &[]);
    for signal in ["SIGKILL", "SIGSTOP", "SIGTERM"] {
        let (effect, reason) = predicted(&report, kthread, signal);
        assert!(
            (effect == "ignored" && reason.contains("a kernel thread ignores"))
                || (effect == "handler_runs" && reason.contains("allow_signal")),
            "{signal} on kernel thread {kthread}: {effect}: {reason}"
        );
    }
    assert_predicts(
        &report,
        kthread,
        "SIGSTOP",
        "ignored",
        "ignored: a kernel thread ignores SIGSTOP, which it does not allow",
    );
}

/// Starts `sleep` with RLIMIT_CORE's soft limit set to `soft`.
fn sleeper_with_core_limit(cleanup: &mut Cleanup, soft: libc::rlim_t) -> i32 {
    let mut command = sleeper();
    // SAFETY: getrlimit and setrlimit are async-signal-safe system calls on
    // a local struct.
    unsafe {
        command.pre_exec(move || {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_CORE, &mut limit) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            limit.rlim_cur = soft.min(limit.rlim_max);
            if libc::setrlimit(libc::RLIMIT_CORE, &limit) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let pid = cleanup.spawn(&mut command);
    wait_for_comm(pid, "sleep");
    pid
}

#[test]
fn a_core_dump_only_when_rlimit_core_allows_it() {
    let mut cleanup = Cleanup::default();
    let piped = std::fs::read("/proc/sys/kernel/core_pattern").is_ok_and(|p| p.starts_with(b"|"));
    let zero = sleeper_with_core_limit(&mut cleanup, 0);
    let report = explain(zero, &["QUIT", "SEGV"], &[]);
    if piped {
        // The kernel does not apply RLIMIT_CORE to a piped core_pattern.
        assert_predicts(
            &report,
            zero,
            "SIGQUIT",
            "terminates_core",
            "RLIMIT_CORE does not limit",
        );
    } else {
        for signal in ["SIGQUIT", "SIGSEGV"] {
            assert_predicts(
                &report,
                zero,
                signal,
                "terminates",
                "terminates without a core dump: its RLIMIT_CORE is 0",
            );
        }
    }
    let mut hard = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the local struct.
    let known = unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut hard) } == 0;
    if !known || hard.rlim_max < 4096 {
        eprintln!("skipped the allowed half: RLIMIT_CORE's hard limit is below a page here");
        return;
    }
    let allowed = sleeper_with_core_limit(&mut cleanup, libc::RLIM_INFINITY);
    let report = explain(allowed, &["QUIT"], &[]);
    assert_predicts(
        &report,
        allowed,
        "SIGQUIT",
        "terminates_core",
        "may dump core",
    );
}

#[test]
fn a_zombie_main_thread_with_live_threads_is_a_live_process() {
    let Some(python) = python() else {
        eprintln!("skipped: needs python3 (a main thread that exits alone)");
        return;
    };
    let mut cleanup = Cleanup::default();
    let pid = common::spawn_exited_main_thread(&mut cleanup, &python);
    let report = explain(pid, &["TERM", "CONT"], &[]);
    assert_eq!(report["process"]["state"], "Z");
    let live = report["process"]["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .filter(|t| t["state"] != "Z")
        .count();
    assert!(live >= 1, "{report}");
    assert_predicts(
        &report,
        pid,
        "SIGTERM",
        "terminates",
        "SIGTERM's default action",
    );
    assert_predicts(&report, pid, "SIGCONT", "nothing", "it is not stopped");
    // And SIGTERM does end it.
    send(pid, Signal::SIGTERM);
    let status = cleanup.child(pid).wait().expect("reap");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[test]
fn blocked_in_its_only_thread_stays_pending() {
    let mut cleanup = Cleanup::default();
    let mut command = sleeper();
    // SAFETY: sigprocmask is async-signal-safe; the set is built on the
    // child's stack.
    unsafe {
        command.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    let pid = cleanup.spawn(&mut command);
    wait_for_comm(pid, "sleep");
    let report = explain(pid, &["TERM"], &[]);
    assert_predicts(
        &report,
        pid,
        "SIGTERM",
        "pending_blocked",
        "pending: its only thread blocks SIGTERM",
    );
    assert_eq!(report["process"]["signals"]["blocked_by_all"][0], "SIGTERM");
}

#[test]
fn json_has_the_spec_keys_and_default_signals() {
    let mut cleanup = Cleanup::default();
    let pid = cleanup.spawn(&mut sleeper());
    wait_for_comm(pid, "sleep");
    let report = explain(pid, &[], &[]);
    let mut keys: Vec<&str> = report
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["predictions", "process"]);
    let mut signal_keys: Vec<&str> = report["process"]["signals"]
        .as_object()
        .expect("signals")
        .keys()
        .map(String::as_str)
        .collect();
    signal_keys.sort_unstable();
    assert_eq!(
        signal_keys,
        [
            "blocked",
            "blocked_by_all",
            "caught",
            "ignored",
            "pending",
            "shared_pending"
        ]
    );
    let thread = &report["process"]["threads"][0];
    assert_eq!(thread["tid"], pid);
    assert_eq!(thread["state"].as_str().map(str::len), Some(1));
    assert!(thread["blocked"].is_array());
    let signals: Vec<&str> = report["predictions"]
        .as_array()
        .expect("predictions")
        .iter()
        .map(|p| p["signal"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(signals, ["SIGTERM", "SIGINT", "SIGHUP", "SIGKILL"]);
    for prediction in report["predictions"].as_array().expect("predictions") {
        let mut keys: Vec<&str> = prediction
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["effect", "pid", "reason", "signal"]);
    }
}

#[test]
fn group_and_subtree_list_every_target() {
    let mut cleanup = Cleanup::default();
    // A shell leading its group, with two children in it.
    let shell = cleanup.spawn(Command::new("sh").args(["-c", "sleep 300 & sleep 300 & wait"]));
    let children = wait_for("two children of the shell", || {
        let children = sigtree::procfs::scan::children_of(shell).ok()?;
        (children.len() == 2).then_some(children)
    });
    for args in [["--group"], ["--subtree"]] {
        let report = explain(shell, &["TERM"], &args);
        let mut pids: Vec<i64> = report["predictions"]
            .as_array()
            .expect("predictions")
            .iter()
            .filter_map(|p| p["pid"].as_i64())
            .collect();
        pids.sort_unstable();
        let mut expected: Vec<i64> = children.iter().map(|&c| i64::from(c)).collect();
        expected.push(i64::from(shell));
        expected.sort_unstable();
        assert_eq!(pids, expected, "{args:?}");
    }
}

#[test]
fn a_pid_that_does_not_exist_is_a_clear_error() {
    let output = sigtree(&["explain", "2147483646"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no process with pid 2147483646"),
        "{stderr}"
    );
    for bad in ["0", "-3", "abc"] {
        let output = sigtree(&["explain", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
    }
    let output = sigtree(&["explain", "1", "NOSUCHSIG"]);
    assert_eq!(output.status.code(), Some(2));
    let output = sigtree(&["explain", "1", "--group", "--subtree"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_text_report_names_state_threads_dispositions_and_reasons() {
    let mut cleanup = Cleanup::default();
    let pid = cleanup.spawn(&mut sleeper());
    wait_for_comm(pid, "sleep");
    let output = sigtree(&["explain", &pid.to_string(), "TERM"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for part in [
        &format!("pid {pid}: sleep 300") as &str,
        "threads",
        "dispositions",
        "predicted effects",
        "terminates: SIGTERM's default action",
    ] {
        assert!(text.contains(part), "{part:?} missing from:\n{text}");
    }
}
