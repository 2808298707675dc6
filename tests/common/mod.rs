//! Shared pieces of the integration tests: running the sigtree binary,
//! starting real processes, ending every one of them, waiting with deadlines.

#![allow(dead_code)] // each test file uses its own part of this module

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use sigtree::procfs::record::ProcessRecord;
use sigtree::procfs::scan::{Reader, list_pids};

pub mod pidns;
pub mod pty;

/// A generous deadline for conditions on a shared, noisy machine.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Runs the sigtree binary with `args` and returns what it printed.
pub fn sigtree(args: &[&str]) -> Output {
    sigtree_under(&[])
        .args(args)
        .output()
        .expect("the sigtree binary runs")
}

/// The sigtree binary as a command, run through `runner` (a program and
/// its arguments before sigtree's own: another user, another namespace),
/// or directly when `runner` is empty.
pub fn sigtree_under(runner: &[String]) -> Command {
    match runner.split_first() {
        Some((program, rest)) => {
            let mut command = Command::new(program);
            command.args(rest).arg(env!("CARGO_BIN_EXE_sigtree"));
            command
        }
        None => Command::new(env!("CARGO_BIN_EXE_sigtree")),
    }
}

/// Runs `sigtree ps ARGS --json` and parses its output, failing the test
/// with what sigtree said when it did not succeed.
pub fn ps_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["ps"];
    all.extend_from_slice(args);
    all.push("--json");
    let output = sigtree(&all);
    assert!(
        output.status.success(),
        "sigtree {all:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("ps --json prints JSON")
}

/// Polls `condition` until it returns `Some`, or panics with `what` after
/// [`DEADLINE`].
pub fn wait_for<T>(what: &str, mut condition: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = condition() {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Ends, when dropped, every process a test started: each child by its pid
/// (then reaps it), each recorded process group with killpg, each recorded
/// pid with kill. Runs even when the test fails.
#[derive(Default)]
pub struct Cleanup {
    children: Vec<Child>,
    groups: Vec<i32>,
    pids: Vec<i32>,
}

impl Cleanup {
    /// Starts `command` in a new process group of its own and records the
    /// child and its group.
    pub fn spawn(&mut self, command: &mut Command) -> i32 {
        command.process_group(0).stdin(Stdio::null());
        let child = command.spawn().expect("test process starts");
        let pid = i32::try_from(child.id()).expect("pid fits i32");
        self.groups.push(pid);
        self.children.push(child);
        pid
    }

    /// Records a process group to end.
    pub fn group(&mut self, pgid: i32) {
        self.groups.push(pgid);
    }

    /// Records a single process to end.
    pub fn pid(&mut self, pid: i32) {
        self.pids.push(pid);
    }

    /// The child started as `pid`, to wait for it.
    pub fn child(&mut self, pid: i32) -> &mut Child {
        self.children
            .iter_mut()
            .find(|c| c.id() == pid as u32)
            .expect("a child this guard started")
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for &pgid in &self.groups {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
        for &pid in &self.pids {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A Python program whose main thread leaves with the raw exit system call
/// (not exit_group): its other thread, and the process, live on (FACTS 4f).
pub fn exited_main_thread_script() -> String {
    format!(
        "import ctypes, threading, time\n\
         threading.Thread(target=time.sleep, args=(300,)).start()\n\
         ctypes.CDLL(None).syscall({}, 0)",
        libc::SYS_exit
    )
}

/// Starts [`exited_main_thread_script`] under `python` and waits until its
/// main thread is a zombie beside a live thread; returns its pid.
pub fn spawn_exited_main_thread(cleanup: &mut Cleanup, python: &std::path::Path) -> i32 {
    let script = exited_main_thread_script();
    let pid = cleanup.spawn(Command::new(python).args(["-c", &script]));
    wait_for("a Z main thread with a live thread", || {
        stat(pid)
            .filter(|r| r.state.is_zombie() && r.threads >= 2)
            .map(drop)
    });
    pid
}

/// Starts a Python program whose second thread blocks SIGUSR1 and is sent
/// one alone (pthread_kill: tgkill): pending in that thread's SigPnd, not
/// the main thread's, nor process-wide. Returns its pid once it is so.
pub fn spawn_thread_pending_usr1(cleanup: &mut Cleanup, python: &std::path::Path) -> i32 {
    let script = "import os, signal, threading, time\n\
                  ready = threading.Event()\n\
                  def hold():\n    \
                      signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})\n    \
                      ready.set()\n    \
                      time.sleep(300)\n\
                  thread = threading.Thread(target=hold)\n\
                  thread.start()\n\
                  ready.wait()\n\
                  signal.pthread_kill(thread.ident, signal.SIGUSR1)\n\
                  print(os.getpid(), flush=True)\n\
                  time.sleep(300)";
    let mut command = Command::new(python);
    command.args(["-c", script]).stdout(Stdio::piped());
    let pid = cleanup.spawn(&mut command);
    assert_eq!(read_pid_line(cleanup.child(pid)), pid);
    pid
}

/// Reads the first line a child printed: a pid it reports.
pub fn read_pid_line(child: &mut Child) -> i32 {
    use std::io::BufRead;
    let stdout = child.stdout.as_mut().expect("stdout is piped");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reads the child's output");
    line.trim().parse().expect("the child prints a pid")
}

/// The path of a program on PATH, or `None`.
pub fn find_program(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| std::path::Path::new(dir).join(name))
        .find(|path| path.is_file())
}

/// The real interpreter behind `python3` on PATH (`sys.executable`), or
/// `None` without python3. A wrapper such as a pyenv shim is a shell script
/// that runs helpers of its own (one of them exits 1) before it execs
/// Python: watched by sigtree, they would join the tree and the verdict.
pub fn python() -> Option<std::path::PathBuf> {
    let python3 = find_program("python3")?;
    let output = Command::new(&python3)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "python3 -c failed: {output:?}");
    let executable = String::from_utf8(output.stdout).expect("a UTF-8 path");
    let executable = executable.trim();
    Some(if executable.is_empty() {
        python3
    } else {
        std::path::PathBuf::from(executable)
    })
}

impl Cleanup {
    /// Starts `command` as the leader of a new session (setsid in the
    /// child), records it and its group.
    pub fn spawn_session(&mut self, command: &mut Command) -> i32 {
        // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid()
                    .map(drop)
                    .map_err(std::io::Error::from)
            });
        }
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .expect("test process starts");
        let pid = i32::try_from(child.id()).expect("pid fits i32");
        self.groups.push(pid);
        self.children.push(child);
        pid
    }
}

/// A unique tag for one run: set as SIGTREE_RUN_ID in sigtree's environment,
/// it is inherited by everything the run starts.
pub fn run_id(name: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{name}-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    )
}

/// The stat of `pid` as sigtree's own reader parses it; `None` once gone.
pub fn stat(pid: i32) -> Option<ProcessRecord> {
    Reader::default().stat(pid).ok()
}

/// Whether `pid` is stopped by a signal (state T).
pub fn is_stopped(pid: i32) -> bool {
    stat(pid).is_some_and(|r| r.state.is_stopped())
}

/// Whether `pid` exists and is not a zombie (a Z main thread with live
/// threads is alive: FACTS 4f).
pub fn is_alive(pid: i32) -> bool {
    stat(pid).is_some_and(|r| !r.has_exited())
}

/// Live processes for which `keep` holds, from a listing of /proc.
pub fn live_pids_where(keep: impl Fn(&ProcessRecord) -> bool) -> Vec<i32> {
    list_pids()
        .unwrap_or_default()
        .into_iter()
        .filter(|&pid| stat(pid).is_some_and(|r| !r.has_exited() && keep(&r)))
        .collect()
}

/// Pids of live processes whose environment carries `SIGTREE_RUN_ID=<id>`.
pub fn tagged(id: &str) -> Vec<i32> {
    let needle = format!("SIGTREE_RUN_ID={id}");
    live_pids_where(|r| {
        std::fs::read(format!("/proc/{}/environ", r.pid)).is_ok_and(|environ| {
            environ
                .split(|&b| b == 0)
                .any(|var| var == needle.as_bytes())
        })
    })
}

/// Ends, when dropped, every process tagged with a run id: the guard of a
/// run whose processes sigtree itself should have ended.
pub struct TaggedCleanup(pub String);

impl Drop for TaggedCleanup {
    fn drop(&mut self) {
        for pid in tagged(&self.0) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// Waits until no process carries the tag; returns the stragglers if some
/// remain after the deadline.
pub fn wait_until_untagged(id: &str) -> Vec<i32> {
    let start = Instant::now();
    loop {
        let left = tagged(id);
        if left.is_empty() || start.elapsed() > DEADLINE {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `command` to its end and returns what it printed; kills it and
/// fails the test if it is still running after `limit`, so that a hang is
/// a failure rather than a stuck suite.
pub fn output_within(command: &mut Command, limit: Duration) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    output_of(child, limit)
}

/// What `child` (started with its stdout and stderr piped) printed by its
/// end; kills it and fails the test if it still runs after `limit`.
pub fn output_of(mut child: Child, limit: Duration) -> Output {
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: pid {}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("the stdout reader"),
        stderr: stderr.join().expect("the stderr reader"),
    }
}

/// Reads `pipe` to its end in a thread.
fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// One `sigtree check --json` run, ended.
pub struct CheckRun {
    /// sigtree's pid.
    pub pid: i32,
    /// Its exit code.
    pub code: Option<i32>,
    /// Its JSON report.
    pub report: serde_json::Value,
}

/// Runs `RUNNER sigtree check --json ARGS` from `/`, tagged with a run id
/// made of `name`, to its end (within `limit`, when given); every process
/// of the run must be gone after it.
pub fn check_json(
    runner: &[String],
    name: &str,
    args: &[&str],
    limit: Option<Duration>,
) -> CheckRun {
    let id = run_id(name);
    let _cleanup = TaggedCleanup(id.clone());
    let child = sigtree_under(runner)
        .args(["check", "--json"])
        .args(args)
        .env("SIGTREE_RUN_ID", &id)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sigtree runs");
    let pid = child.id() as i32;
    let output = match limit {
        Some(limit) => output_of(child, limit),
        None => child.wait_with_output().expect("sigtree's output"),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {stderr}"));
    let left = wait_until_untagged(&id);
    assert!(left.is_empty(), "processes of the run remain: {left:?}");
    CheckRun {
        pid,
        code: output.status.code(),
        report,
    }
}

/// [`check_json`] of `--ready '^ready$' ARGS -- CMD`: the stop waits for
/// the command's `ready` line, not for a guessed time.
pub fn check_ready(
    runner: &[String],
    name: &str,
    (args, cmd): (&[&str], &[&str]),
    limit: Option<Duration>,
) -> CheckRun {
    let all: Vec<&str> = ["--ready", "^ready$"]
        .into_iter()
        .chain(args.iter().copied())
        .chain(["--"])
        .chain(cmd.iter().copied())
        .collect();
    check_json(runner, name, &all, limit)
}

/// Whether the test must be skipped because `what` needs root (and it is
/// not); says so.
pub fn not_root(what: &str) -> bool {
    let skip = !rustix::process::geteuid().is_root();
    if skip {
        eprintln!("skipped: {what} need root");
    }
    skip
}

/// Why the proc connector cannot be had here, if it cannot: the reason a
/// test of its lifecycle events is skipped.
pub fn no_connector() -> Option<String> {
    sigtree::sys::connector::Connector::open()
        .err()
        .map(|e| format!("skipped: the proc connector cannot be opened here: {e}"))
}

/// [`as_nobody`]'s runner, or `None` when there is none here, the test
/// then skipped with the reason said.
pub fn nobody_or_skip() -> Option<Vec<String>> {
    as_nobody()
        .map_err(|reason| eprintln!("skipped: {reason}"))
        .ok()
}

/// `setpriv` and its arguments that run the next program as the user
/// nobody, or why that cannot be done here (not root, no setpriv, nobody
/// cannot execute the sigtree binary).
pub fn as_nobody() -> Result<Vec<String>, String> {
    if !rustix::process::geteuid().is_root() {
        return Err("not root, so no other user to become".into());
    }
    let setpriv = find_program("setpriv").ok_or("setpriv(1) is not on PATH")?;
    let prefix: Vec<String> = [
        setpriv.display().to_string(),
        "--reuid=nobody".into(),
        "--regid=nogroup".into(),
        "--clear-groups".into(),
    ]
    .into();
    let probe = Command::new(&prefix[0])
        .args(&prefix[1..])
        .args([env!("CARGO_BIN_EXE_sigtree"), "--version"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        Ok(prefix)
    } else {
        Err("nobody cannot execute the sigtree binary here".into())
    }
}
