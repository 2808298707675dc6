//! The TUI end to end, in a real pseudo-terminal: start `sigtree demo`, press
//! keys, and check that what the screen claims matches procfs; every quit
//! path restores the terminal and leaves no process of the run behind.
//! These tests run one at a time (a lock), with generous deadlines.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{DEADLINE, TaggedCleanup, is_alive, run_id, tagged, wait_for, wait_until_untagged};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// One pty test at a time: they are heavy, and share the machine's two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// `sigtree demo` running in a pty, its screen parsed by vt100.
struct Tui {
    _lock: MutexGuard<'static, ()>,
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    id: String,
    _cleanup: TaggedCleanup,
}

impl Tui {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let lock = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = run_id("tui");
        let cleanup = TaggedCleanup(id.clone());
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 36,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty");
        // SIGTREE_TUI_PROGRAM runs another program first (setpriv, to drop
        // privileges) with `args` as its arguments.
        let program = env
            .iter()
            .find(|(key, _)| *key == "SIGTREE_TUI_PROGRAM")
            .map_or(env!("CARGO_BIN_EXE_sigtree"), |(_, program)| program);
        let mut command = CommandBuilder::new(program);
        command.args(args);
        command.env("SIGTREE_RUN_ID", &id);
        command.env("TERM", "xterm-256color");
        for (key, value) in env {
            command.env(key, value);
        }
        let child = pair
            .slave
            .spawn_command(command)
            .expect("sigtree starts in the pty");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(36, 120, 0)));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let sink = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .process(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().expect("pty writer");
        Self {
            _lock: lock,
            master: pair.master,
            child,
            writer,
            parser,
            id,
            _cleanup: cleanup,
        }
    }

    fn demo(scenario: &str) -> Self {
        Self::start(&["demo", "--scenario", scenario, "--grace", "3s"], &[])
    }

    fn contents(&self) -> String {
        self.parser
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .screen()
            .contents()
    }

    fn alternate_screen(&self) -> bool {
        self.parser
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .screen()
            .alternate_screen()
    }

    /// Waits until the screen shows `text`.
    fn wait_for_text(&self, text: &str) {
        let start = Instant::now();
        while !self.contents().contains(text) {
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {text:?} on screen:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits for the table with every worker.
    fn wait_for_table(&self) {
        self.wait_for_text("worker-4");
        self.wait_for_text("busy #");
    }

    fn press(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    fn pid(&self) -> i32 {
        self.child.process_id().expect("sigtree's pid") as i32
    }

    fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.pid()), signal).expect("signal sigtree");
    }

    /// Waits for sigtree to exit; returns its exit code.
    fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.exit_code();
            }
            assert!(
                start.elapsed() < DEADLINE,
                "sigtree did not exit:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Echo and canonical mode are on, as a shell left them.
    fn modes_restored(&self) -> bool {
        let fd = self.master.as_raw_fd().expect("pty fd");
        // SAFETY: a zeroed termios is a valid buffer; tcgetattr fills it.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is the open pty master; termios lives across the call.
        let result = unsafe { libc::tcgetattr(fd, &mut termios) };
        result == 0 && termios.c_lflag & libc::ECHO != 0 && termios.c_lflag & libc::ICANON != 0
    }

    /// The pool's group as the header shows it.
    fn pool_group(&self) -> i32 {
        let contents = self.contents();
        let after = contents
            .split("group ")
            .nth(1)
            .expect("the header names the group");
        after
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a group id")
    }

    /// Presses q, expects exit 0, a restored terminal and nothing left.
    fn quit(&mut self) {
        self.press("q");
        assert_eq!(self.wait_exit(), 0);
        self.assert_clean_exit();
    }

    /// Asserts sigtree restored the terminal and nothing of the run is left.
    fn assert_clean_exit(&self) {
        let left = wait_until_untagged(&self.id);
        assert!(left.is_empty(), "processes of the run remain: {left:?}");
        assert!(self.modes_restored(), "echo and canonical mode are back");
        self.wait_left_alternate_screen();
    }

    /// Waits until the parser saw sigtree leave the alternate screen (its
    /// output reaches the parser through the reader thread).
    fn wait_left_alternate_screen(&self) {
        wait_for("the alternate screen to be left", || {
            (!self.alternate_screen()).then_some(())
        });
    }
}

/// Waits until process group `pgid` has no living member.
fn wait_group_gone(pgid: i32) {
    wait_for("the group to be gone", || {
        group_members(pgid).is_empty().then_some(())
    });
}

fn group_members(pgid: i32) -> Vec<i32> {
    common::live_pids_where(|r| r.pgid == pgid)
}

#[test]
fn q_runs_the_stop_sequence_then_exits() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    tui.quit();
}

#[test]
fn q_twice_forces_sigkill() {
    let mut tui = Tui::demo("ignore-term");
    tui.wait_for_table();
    tui.press("q");
    tui.wait_for_text("quitting");
    tui.quit();
}

#[test]
fn signals_to_sigtree_quit_cleanly() {
    for signal in [
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGQUIT,
    ] {
        let mut tui = Tui::demo("graceful");
        tui.wait_for_table();
        tui.signal(signal);
        assert_eq!(tui.wait_exit(), 0, "{signal}");
        tui.assert_clean_exit();
    }
}

#[test]
fn a_panic_restores_the_terminal_and_ends_the_pool() {
    let mut tui = Tui::start(&["demo"], &[("SIGTREE_TEST_PANIC", "1")]);
    let code = tui.wait_exit();
    assert_eq!(code, 101, "a panic exits 101");
    tui.assert_clean_exit();
}

#[test]
fn sigkill_of_sigtree_leaves_no_process() {
    let mut tui = Tui::demo("ignore-term");
    tui.wait_for_table();
    assert!(
        tagged(&tui.id).len() >= 7,
        "sigtree, keeper, master, 4 workers"
    );
    tui.signal(Signal::SIGKILL);
    tui.wait_exit();
    let left = wait_until_untagged(&tui.id);
    assert!(left.is_empty(), "the keeper ended everything: {left:?}");
}

#[test]
fn e_sets_the_stop_event_and_the_workers_drain() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    let group = tui.pool_group();
    tui.press("e");
    tui.wait_for_text("stop event: set");
    tui.wait_for_text("exit 0,");
    wait_for("every worker to end", || {
        (group_members(group).len() <= 1).then_some(())
    });
    tui.quit();
}

/// Presses `key` on a demo of `scenario`, waits for `text` on screen and for
/// the pool's group to be gone in procfs, then quits.
fn key_ends_the_group(scenario: &str, key: &str, text: &str) {
    let mut tui = Tui::demo(scenario);
    tui.wait_for_table();
    let group = tui.pool_group();
    tui.press(key);
    tui.wait_for_text(text);
    wait_group_gone(group);
    tui.wait_for_text("the pool has ended");
    tui.quit();
}

#[test]
fn capital_x_kills_the_group_and_the_screen_says_so() {
    key_ends_the_group("graceful", "X", "died of SIGKILL");
}

#[test]
fn capital_t_terminates_the_workers() {
    key_ends_the_group("graceful", "T", "died of SIGTERM");
}

#[test]
fn g_runs_the_graceful_stop_with_its_countdown() {
    key_ends_the_group("default-term", "g", "graceful stop: draining, SIGTERM in");
}

#[test]
fn p_stops_and_continues_the_selected_process() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    tui.press("j");
    std::thread::sleep(Duration::from_millis(300));
    tui.press("p");
    let stopped = wait_for("a stopped pool process", || {
        tagged(&tui.id)
            .into_iter()
            .find(|pid| common::is_stopped(*pid))
    });
    tui.press("p");
    wait_for("it to run again", || {
        (!common::is_stopped(stopped)).then_some(())
    });
    tui.quit();
}

#[test]
fn r_restarts_the_pool_in_a_new_group() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    let first = tui.pool_group();
    tui.press("r");
    tui.wait_for_text("restarted");
    tui.wait_for_table();
    wait_for("the first group to be gone", || {
        group_members(first).is_empty().then_some(())
    });
    assert_ne!(tui.pool_group(), first);
    tui.quit();
}

/// Suspends sigtree with `suspend`, checks the terminal is given back while
/// it is stopped, then continues it and checks the repaint and raw mode.
fn suspend_and_resume(suspend: impl FnOnce(&mut Tui)) {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    suspend(&mut tui);
    let stopped = common::is_stopped;
    wait_for("sigtree to stop", || stopped(tui.pid()).then_some(()));
    assert!(
        tui.modes_restored(),
        "the terminal is given back while stopped"
    );
    tui.wait_left_alternate_screen();
    assert!(stopped(tui.pid()), "still stopped");
    tui.signal(Signal::SIGCONT);
    wait_for("the repaint", || {
        (tui.alternate_screen() && tui.contents().contains("worker-4")).then_some(())
    });
    assert!(!tui.modes_restored(), "raw mode again");
    tui.quit();
}

#[test]
fn sigtstp_restores_the_terminal_and_sigcont_repaints() {
    suspend_and_resume(|tui| tui.signal(Signal::SIGTSTP));
}

#[test]
fn ctrl_z_restores_the_terminal_and_stops_sigtree() {
    // In raw mode Ctrl-Z is a key (0x1a), not a signal from the terminal.
    suspend_and_resume(|tui| tui.press("\x1a"));
}

#[test]
fn without_a_terminal_the_tui_points_to_ps_and_check() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .arg("demo")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("sigtree runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sigtree ps") && stderr.contains("sigtree check"),
        "{stderr}"
    );
}

#[test]
fn the_signal_menu_shows_the_predicted_effect_then_sends() {
    let mut tui = Tui::demo("ignore-term");
    tui.wait_for_table();
    let group = tui.pool_group();
    tui.press("s");
    tui.press("\t");
    tui.wait_for_text(&format!("group {group}"));
    // Workers ignore SIGTERM; the master has no handler.
    tui.wait_for_text("ignored");
    tui.wait_for_text("terminates");
    tui.press("\x7f\x7f\x7f\x7fKILL");
    tui.wait_for_text("SIGKILL (9)");
    tui.press("\r");
    wait_group_gone(group);
    tui.wait_for_text("died of SIGKILL");
    tui.quit();
}

#[test]
fn a_key_that_does_not_apply_says_so() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    tui.press("e");
    tui.wait_for_text("stop event: set");
    tui.press("e");
    tui.wait_for_text("the stop event is already set");
    tui.quit();
}

/// Measures the delay from a process's exit (SIGKILL from outside) to its
/// ghost row on screen. The number is printed for the notes; the test
/// asserts only that the ghost row appears.
#[test]
fn an_exit_shows_as_a_ghost_row() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    let contents = tui.contents();
    let line = contents
        .lines()
        .find(|l| l.contains("worker-2"))
        .expect("a worker-2 row");
    let pid: i32 = line
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .expect("the row's pid");
    let start = Instant::now();
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("SIGKILL a worker");
    let ghost = |contents: &str| {
        contents
            .lines()
            .any(|l| l.contains(&pid.to_string()) && l.contains("died of SIGKILL"))
    };
    while !ghost(&tui.contents()) {
        assert!(
            start.elapsed() < DEADLINE,
            "no ghost row:\n{}",
            tui.contents()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    eprintln!(
        "exit to ghost row on screen: {} ms",
        start.elapsed().as_millis()
    );
    tui.quit();
}

#[test]
fn run_captures_a_chatty_commands_output_without_blocking_it() {
    let script = "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo line $i; done";
    let mut tui = Tui::start(&["run", "--", "sh", "-c", script], &[]);
    tui.wait_for_text("output (");
    // A pipe holds 64 KiB, some 7000 of these lines: far more means the
    // reader kept draining it while sigtree drew.
    wait_for("more than 50000 lines read", || {
        let contents = tui.contents();
        let count = contents
            .split("output (")
            .nth(1)?
            .split(' ')
            .next()?
            .parse::<usize>()
            .ok()?;
        (count > 50_000).then_some(())
    });
    tui.quit();
}

#[test]
fn run_reaps_an_orphan_with_its_real_status() {
    // The subshell starts `sh -c 'sleep 2; exit 7'` and exits half a second
    // later: that sh is orphaned, re-parented to sigtree's keeper, which
    // reaps it.
    let script = "(sh -c 'sleep 2; exit 7' & sleep 0.5); exec sleep 300";
    let mut tui = Tui::start(&["run", "--grace", "2s", "--", "sh", "-c", script], &[]);
    // The table cuts the note to its column: "orphan: re-parented to sigtree (subreaper)".
    tui.wait_for_text("orphan: re-parented");
    tui.wait_for_text("exit 7");
    tui.quit();
}

#[test]
fn run_finds_and_ends_a_process_that_left_the_group() {
    if common::find_program("setsid").is_none() {
        eprintln!("skipped: setsid(1) is not on PATH");
        return;
    }
    let mut tui = Tui::start(
        &[
            "run",
            "--grace",
            "1s",
            "--",
            "sh",
            "-c",
            "setsid sleep 300 & sleep 300",
        ],
        &[],
    );
    tui.wait_for_text("▲");
    let escapee = wait_for("the escapee's pid", || {
        // sigtree itself leads the pty's session: not the one we look for.
        tagged(&tui.id)
            .into_iter()
            .filter(|pid| *pid != tui.pid())
            .find(|pid| common::stat(*pid).is_some_and(|r| r.sid == r.pid))
    });
    tui.press("g");
    tui.wait_for_text("leaked: left the group");
    wait_for("the escapee to be gone", || {
        (!std::path::Path::new(&format!("/proc/{escapee}")).exists()).then_some(())
    });
    tui.quit();
}

/// A shell with two sleeping children in a group of its own, started by
/// the test (not by sigtree): what `attach` watches.
fn attach_target(cleanup: &mut common::Cleanup) -> (i32, Vec<i32>) {
    let mut command = std::process::Command::new("sh");
    command.args(["-c", "sleep 300 & sleep 300 & wait"]);
    let shell = cleanup.spawn(&mut command);
    let children = wait_for("the shell's two children", || {
        let pids = children(shell);
        (pids.len() == 2).then_some(pids)
    });
    (shell, children)
}

#[test]
fn attach_asks_before_every_signal_and_q_signals_nothing() {
    let mut cleanup = common::Cleanup::default();
    let (shell, children) = attach_target(&mut cleanup);
    let mut tui = Tui::start(&["attach", &shell.to_string()], &[]);
    tui.wait_for_text("attached");
    tui.wait_for_text(&children[1].to_string());
    tui.press("X");
    tui.wait_for_text(&format!("Send SIGKILL to process group {shell}?"));
    tui.wait_for_text(&format!("{}", children[0]));
    tui.wait_for_text("terminates");
    tui.press("n");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        is_alive(shell) && children.iter().all(|c| is_alive(*c)),
        "n sent nothing"
    );
    tui.press("T");
    tui.wait_for_text("Send SIGTERM to process group");
    tui.press("y");
    wait_for("the children to die of SIGTERM", || {
        children.iter().all(|c| !is_alive(*c)).then_some(())
    });
    tui.wait_for_text("died of SIGTERM");
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
    assert!(tui.modes_restored());
    tui.wait_left_alternate_screen();
}

#[test]
fn attach_q_leaves_everything_running() {
    let mut cleanup = common::Cleanup::default();
    let (shell, children) = attach_target(&mut cleanup);
    let mut tui = Tui::start(&["attach", &shell.to_string()], &[]);
    tui.wait_for_text(&children[1].to_string());
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
    assert!(
        is_alive(shell) && children.iter().all(|c| is_alive(*c)),
        "q signals nothing"
    );
}

#[test]
fn attach_refuses_sigtrees_own_ancestors() {
    // The test process is sigtree's parent: attach to it and press X. The
    // refusal comes before any question.
    let me = std::process::id() as i32;
    let mut tui = Tui::start(&["attach", &me.to_string()], &[]);
    tui.wait_for_text("attached");
    tui.press("X");
    tui.wait_for_text("refused");
    assert!(!tui.contents().contains("y / n"), "{}", tui.contents());
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
}

/// A launcher shell leading a group of its own and, in the same group, its
/// child: the Python `source`, what `attach` attaches to, once it handles
/// SIGTERM (catches or ignores it). The launcher outlives the program.
/// Returns (launcher, program), or `None` without python3.
fn launched_program(cleanup: &mut common::Cleanup, source: &str) -> Option<(i32, i32)> {
    if common::find_program("python3").is_none() {
        eprintln!("skipped: python3 not found");
        return None;
    }
    let mut command = std::process::Command::new("sh");
    command.args([
        "-c",
        "python3 -c \"$1\" & wait; exec sleep 300",
        "sh",
        source,
    ]);
    let launcher = cleanup.spawn(&mut command);
    let program = wait_for("the program to handle SIGTERM", || {
        children(launcher)
            .into_iter()
            .find(|&pid| handles_term(pid))
    });
    Some((launcher, program))
}

/// A program that exits 0 on SIGTERM.
const EXITS_ON_TERM: &str = "import signal, sys, time\n\
                             signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n\
                             time.sleep(300)";

/// The children of `pid`, from procfs.
fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Whether `pid` catches or ignores SIGTERM (SigCgt, SigIgn).
fn handles_term(pid: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    ["SigCgt:", "SigIgn:"].iter().any(|field| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .is_some_and(|mask| mask & (1 << (libc::SIGTERM - 1)) != 0)
    })
}

/// Attaches to the program and waits until the launcher shows as a
/// group member outside the subtree.
fn attach_under_launcher(launcher: i32, program: i32) -> Tui {
    let tui = Tui::start(&["attach", "--grace", "3s", &program.to_string()], &[]);
    tui.wait_for_text(&format!("{launcher} group-member"));
    tui
}

/// Clicks the row of `pid` and waits for the detail pane to show it.
fn select_row(tui: &mut Tui, pid: i32, role: &str) {
    let line = wait_for("the row of the process", || {
        tui.contents().lines().position(|l| {
            l.contains(role) && l.split_whitespace().find_map(|w| w.parse().ok()) == Some(pid)
        })
    });
    tui.press(&format!("\x1b[<0;5;{}M\x1b[<0;5;{}m", line + 1, line + 1));
    tui.wait_for_text(&format!("{pid} {role} —"));
}

/// The pids a confirmation lists: the lines after "It hits now:" that
/// start with a pid and a role, read inside the popup's column.
fn listed_pids(contents: &str) -> Vec<i32> {
    let lines: Vec<&str> = contents.lines().collect();
    let Some((start, column)) = lines.iter().enumerate().find_map(|(i, line)| {
        let byte = line.find("It hits now:")?;
        Some((i, line[..byte].chars().count()))
    }) else {
        return Vec::new();
    };
    lines[start + 1..]
        .iter()
        .take_while(|line| !line.contains("y / n"))
        .filter_map(|line| {
            let inside: String = line.chars().skip(column).collect();
            let mut words = inside.split_whitespace();
            let pid = words.next()?.parse().ok()?;
            matches!(
                words.next()?,
                "attached" | "child" | "descendant" | "group-member"
            )
            .then_some(pid)
        })
        .collect()
}

#[test]
fn attach_g_stops_only_the_attached_subtree_and_judges_it_alone() {
    let mut cleanup = common::Cleanup::default();
    let Some((launcher, program)) = launched_program(&mut cleanup, EXITS_ON_TERM) else {
        return;
    };
    let mut tui = attach_under_launcher(launcher, program);
    tui.press("g");
    tui.wait_for_text("and any descendant found later");
    assert_eq!(
        listed_pids(&tui.contents()),
        [program],
        "the launcher is never listed:\n{}",
        tui.contents()
    );
    tui.press("y");
    tui.wait_for_text("the attached subtree has ended (graceful)");
    assert!(!is_alive(program), "the program exited");
    assert!(
        is_alive(launcher) && !common::is_stopped(launcher),
        "the launcher was never signalled"
    );
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
    assert!(is_alive(launcher), "q signals nothing");
}

#[test]
fn attach_escalation_kills_only_the_attached_subtree_by_pidfd() {
    // The program and its forked child ignore SIGTERM.
    let source = "import os, signal, time\n\
                  os.fork()\n\
                  signal.signal(signal.SIGTERM, signal.SIG_IGN)\n\
                  time.sleep(300)";
    let mut cleanup = common::Cleanup::default();
    let Some((launcher, program)) = launched_program(&mut cleanup, source) else {
        return;
    };
    let child = wait_for("the program's child to ignore SIGTERM", || {
        children(program).into_iter().find(|&pid| handles_term(pid))
    });
    let mut tui = attach_under_launcher(launcher, program);
    tui.wait_for_text(&format!("{child} child"));
    tui.press("g");
    tui.wait_for_text("and any descendant found later");
    assert_eq!(
        listed_pids(&tui.contents()),
        [program, child],
        "{}",
        tui.contents()
    );
    tui.press("y");
    tui.wait_for_text("the attached subtree has ended (forced)");
    assert!(!is_alive(program) && !is_alive(child), "both were killed");
    assert!(
        is_alive(launcher) && !common::is_stopped(launcher),
        "the launcher was never signalled"
    );
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn attach_refuses_a_group_signal_before_asking_when_the_group_holds_the_launcher() {
    let mut cleanup = common::Cleanup::default();
    let Some((launcher, program)) = launched_program(&mut cleanup, EXITS_ON_TERM) else {
        return;
    };
    let mut tui = attach_under_launcher(launcher, program);
    tui.press("X");
    tui.wait_for_text(&format!(
        "refused: process group {launcher} holds {launcher} outside the attached subtree \
         (its parent); s offers the subtree"
    ));
    assert!(
        !tui.contents().contains("y / n"),
        "a refusal comes before any question:\n{}",
        tui.contents()
    );
    // A yes now confirms nothing; the help shows once both keys were read.
    tui.press("y?");
    tui.wait_for_text("never stopped, never");
    tui.press("\x1b");
    wait_for("the help to close", || {
        (!tui.contents().contains("never stopped, never")).then_some(())
    });
    assert!(
        is_alive(launcher) && is_alive(program),
        "neither was signalled"
    );
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn attach_p_asks_first_and_stops_exactly_the_pids_it_listed() {
    let mut cleanup = common::Cleanup::default();
    let Some((launcher, program)) = launched_program(&mut cleanup, EXITS_ON_TERM) else {
        return;
    };
    let mut tui = attach_under_launcher(launcher, program);
    select_row(&mut tui, program, "attached");
    tui.press("p");
    tui.wait_for_text(&format!("Send SIGSTOP to {program}?"));
    tui.wait_for_text("It hits now:");
    let listed = listed_pids(&tui.contents());
    assert_eq!(listed, [program], "{}", tui.contents());
    assert!(!common::is_stopped(program), "nothing stops before the yes");
    tui.press("y");
    let stopped_in_group =
        || common::live_pids_where(|r| r.pgid == launcher && r.state.is_stopped());
    let stopped = wait_for("the listed process to stop", || {
        let stopped = stopped_in_group();
        (!stopped.is_empty()).then_some(stopped)
    });
    assert_eq!(stopped, listed, "what was listed is what stopped");
    tui.press("p");
    tui.wait_for_text(&format!("Send SIGCONT to {program}?"));
    tui.press("y");
    wait_for("the program to run again", || {
        stopped_in_group().is_empty().then_some(())
    });
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn attach_menu_offers_the_subtree_instead_of_the_group_and_sends() {
    let mut cleanup = common::Cleanup::default();
    let Some((launcher, program)) = launched_program(&mut cleanup, EXITS_ON_TERM) else {
        return;
    };
    let mut tui = attach_under_launcher(launcher, program);
    select_row(&mut tui, program, "attached");
    tui.press("s");
    tui.wait_for_text("send a signal");
    tui.press("\t");
    tui.wait_for_text("outside the attached subtree");
    // Enter on the refused group: the menu moves to the subtree.
    tui.press("\r");
    tui.wait_for_text(&format!("subtree of {program}"));
    tui.wait_for_text("handler runs");
    tui.press("\r");
    tui.wait_for_text("Send SIGTERM to the attached subtree");
    tui.wait_for_text("It hits now:");
    assert_eq!(
        listed_pids(&tui.contents()),
        [program],
        "{}",
        tui.contents()
    );
    tui.press("y");
    tui.wait_for_text("the attached subtree has ended (graceful)");
    assert!(!is_alive(program), "the menu sent SIGTERM");
    assert!(is_alive(launcher), "never the launcher");
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn attach_to_pid_1_is_refused_and_a_missing_pid_is_an_error() {
    let mut tui = Tui::start(&["attach", "1"], &[]);
    assert_eq!(tui.wait_exit(), 2);
    assert!(
        tui.contents().contains("attaching to pid 1 is refused"),
        "{}",
        tui.contents()
    );
    drop(tui);
    let pid_max: i64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .expect("pid_max")
        .trim()
        .parse()
        .expect("a number");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["attach", &(pid_max + 1).to_string()])
        .output()
        .expect("sigtree runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no process with pid"));
}

#[test]
fn attach_as_another_user_shows_eperm_with_the_owner() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: not root, so no process of another user to try");
        return;
    }
    let Some(setpriv) = common::find_program("setpriv") else {
        eprintln!("skipped: setpriv(1) is not on PATH");
        return;
    };
    let probe = std::process::Command::new(&setpriv)
        .args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            env!("CARGO_BIN_EXE_sigtree"),
            "--version",
        ])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: nobody cannot execute the sigtree binary here");
        return;
    }
    let mut cleanup = common::Cleanup::default();
    let (shell, children) = attach_target(&mut cleanup);
    let setpriv = setpriv.display().to_string();
    let mut tui = Tui::start(
        &[
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            env!("CARGO_BIN_EXE_sigtree"),
            "attach",
            &shell.to_string(),
        ],
        &[("SIGTREE_TUI_PROGRAM", &setpriv)],
    );
    tui.wait_for_text(&children[1].to_string());
    tui.press("t");
    tui.wait_for_text("Send SIGTERM to");
    tui.press("y");
    tui.wait_for_text("not permitted");
    tui.wait_for_text("owned by uid 0");
    assert!(is_alive(shell) && children.iter().all(|c| is_alive(*c)));
    tui.press("q");
    assert_eq!(tui.wait_exit(), 0);
}

/// `sigtree run` over the Manager Event story: the workers and the
/// Manager show; `g` (SIGTERM to the leader) ends it gracefully.
#[test]
fn run_stops_the_manager_event_story_gracefully() {
    if common::find_program("python3").is_none() {
        eprintln!("skipped: python3 not found");
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/python/manager_event.py"
    );
    let mut tui = Tui::start(&["run", "--", "python3", script], &[]);
    tui.wait_for_text("ready");
    // The Manager's server and the three workers, children of the leader.
    wait_for("four child rows", || {
        let rows = tui
            .contents()
            .lines()
            .filter(|l| l.contains(" child "))
            .count();
        (rows >= 4).then_some(())
    });
    tui.press("g");
    tui.wait_for_text("everything watched has ended (graceful)");
    tui.quit();
}

#[test]
fn run_of_a_missing_command_is_a_clear_error() {
    let mut tui = Tui::start(&["run", "--", "no-such-command-here"], &[]);
    assert_eq!(tui.wait_exit(), 2);
    assert!(
        tui.contents()
            .contains("command not found: no-such-command-here"),
        "{}",
        tui.contents()
    );
}

#[test]
fn a_click_selects_the_row_under_the_mouse() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    let contents = tui.contents();
    let (line, text) = contents
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("worker-3"))
        .expect("a worker-3 row");
    let pid: i32 = text
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .expect("the row's pid");
    // SGR mouse report of a left press, 1-based column and row.
    tui.press(&format!("\x1b[<0;5;{}M\x1b[<0;5;{}m", line + 1, line + 1));
    tui.wait_for_text(&format!("{pid} worker-3 —"));
    tui.quit();
}

#[test]
fn the_orphans_view_lists_the_workers_orphaned_by_killing_the_master() {
    let mut tui = Tui::demo("orphans");
    tui.wait_for_table();
    // The first row, selected, is the master.
    tui.press("x");
    tui.wait_for_text("orphan: re-parented");
    tui.press("o");
    tui.wait_for_text("Re-parented while sigtree watched (4)");
    tui.press("\r");
    wait_for("the selection to jump to a worker", || {
        tui.contents()
            .lines()
            .any(|l| l.contains(" worker-") && l.contains(" — "))
            .then_some(())
    });
    tui.quit();
}

#[test]
fn a_hostile_command_line_shows_escaped() {
    // Printed raw, $0 would set the terminal's title; ratatui alone would
    // drop ESC and BEL and show "]0;PWNED" as if it were the command.
    let mut tui = Tui::start(
        &[
            "run",
            "--",
            "sh",
            "-c",
            "sleep 300;:",
            "\u{1b}]0;PWNED\u{7}",
        ],
        &[],
    );
    tui.wait_for_text("run · sh -c sleep 300;: \\e]0;PWNED\\x07 ·");
    tui.wait_for_text("seen: sh -c sleep 300;: \\e]0;PWNED\\x07");
    let contents = tui.contents();
    assert_eq!(
        contents.matches("]0;PWNED").count(),
        contents.matches("\\e]0;PWNED").count(),
        "every occurrence is escaped:\n{contents}"
    );
    tui.quit();
}
