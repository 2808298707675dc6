//! The TUI end to end, in a real pseudo-terminal (the harness is
//! [`common::pty`]): start `sigtree demo`, press keys, and check that what
//! the screen claims matches procfs; every quit path restores the terminal
//! and leaves no process of the run behind.

mod common;

use std::time::{Duration, Instant};

use common::pty::{Tui, header_group};
use common::{DEADLINE, is_alive, tagged, wait_for, wait_until_untagged};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Whether `pid` lives with no signal pending: as far as procfs can tell,
/// nothing was sent to it (a signal sent is pending until the process
/// takes it, and a fatal one then ends it).
fn untouched(pid: i32) -> bool {
    is_alive(pid)
        && sigtree::procfs::scan::Reader::default()
            .status(pid)
            .is_ok_and(|s| s.signals.pending.is_empty() && s.signals.shared_pending.is_empty())
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
        assert_eq!(tui.wait_exit(), Some(0), "{signal}");
        tui.assert_clean_exit();
    }
}

#[test]
fn a_panic_restores_the_terminal_and_ends_the_pool() {
    let mut tui = Tui::start(&["demo"], &[("SIGTREE_TEST_PANIC", "1")]);
    assert_eq!(tui.wait_exit(), Some(101), "a panic exits 101");
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
    assert_eq!(tui.wait_exit(), None, "SIGKILL ended sigtree");
    let left = wait_until_untagged(&tui.id);
    assert!(left.is_empty(), "the keeper ended everything: {left:?}");
}

/// A SIGKILL to sigtree's whole process group (as `kill -9 -PGID` or a CI
/// job kill send it) in demo and run: nothing of the run is left, and the
/// keeper gives the terminal back (main screen, cursor, no mouse
/// reporting, echo and canonical mode).
#[test]
fn sigkill_of_sigtrees_group_leaves_nothing_and_the_keeper_restores_the_terminal() {
    let runs: [(&[&str], &str); 2] = [
        (&["demo", "--scenario", "setsid-escape"], "worker-4"),
        (
            &[
                "run",
                "--",
                "sh",
                "-c",
                "setsid sleep 300 & while :; do sleep 1; done",
            ],
            "leader",
        ),
    ];
    for (args, shown) in runs {
        let mut tui = Tui::start(args, &[]);
        tui.wait_for_text(shown);
        tui.wait_for_screen("the TUI on the alternate screen", |screen| {
            screen.alternate_screen().then_some(())
        });
        // sigtree leads the pty's session: its group is its pid.
        nix::sys::signal::killpg(Pid::from_raw(tui.pid()), Signal::SIGKILL)
            .expect("SIGKILL to sigtree's group");
        tui.wait_exit();
        let left = wait_until_untagged(&tui.id);
        assert!(
            left.is_empty(),
            "{args:?}: the keeper ended everything: {left:?}"
        );
        tui.wait_left_alternate_screen();
        tui.wait_for_screen("the cursor and mouse reporting restored", |screen| {
            (!screen.hide_cursor()
                && screen.mouse_protocol_mode() == vt100::MouseProtocolMode::None)
                .then_some(())
        });
        assert!(
            tui.modes_restored(),
            "{args:?}: echo and canonical mode are back"
        );
    }
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

/// The run's clock in the header's first line ("… · +31.2 s"), in seconds.
fn header_clock(screen: &vt100::Screen) -> Option<f64> {
    let contents = screen.contents();
    let first = contents.lines().next()?;
    let clock = first.trim_end().strip_suffix(" s")?.rsplit(' ').next()?;
    clock.strip_prefix('+')?.parse().ok()
}

/// The completed tasks in the header ("tasks: N done").
fn tasks_done(screen: &vt100::Screen) -> Option<u32> {
    let contents = screen.contents();
    let after = contents.split("tasks: ").nth(1)?;
    after.split(' ').next()?.parse().ok()
}

/// The demo's queue is endless: 40 workers still have work after 30 s, when
/// a counted queue of 200 tasks would have run dry after 2.5 s. What is
/// asserted is the state then: every worker alive in procfs, tasks still
/// being done, the header saying the queue is endless.
#[test]
fn the_demo_does_not_run_out_of_work() {
    const WORKERS: usize = 40;
    let mut tui = Tui::start(&["demo", "--workers", "40"], &[]);
    let group = tui.pool_group();
    tui.wait_for_text("endless queue");
    let early = tui.wait_for_screen("tasks done", tasks_done);
    let limit = Duration::from_secs(30) + DEADLINE;
    let (clock, done) = tui.wait_for_screen_within(limit, "30 s on the run's clock", |screen| {
        let clock = header_clock(screen).filter(|&s| s >= 30.0)?;
        Some((clock, tasks_done(screen)?))
    });
    let contents = tui.contents();
    assert!(
        contents.contains("endless queue") && contents.contains("busy #"),
        "at {clock} s the workers are still busy:\n{contents}"
    );
    assert!(
        done > early.max(200),
        "more tasks done at {clock} s ({done}) than at the start ({early}) and than a counted queue holds"
    );
    let members = group_members(group);
    assert_eq!(
        members.len(),
        WORKERS + 1,
        "the master and every worker still run at {clock} s: {members:?}"
    );
    tui.quit();
}

#[test]
fn g_runs_the_graceful_stop_with_its_countdown() {
    key_ends_the_group("default-term", "g", "graceful stop: draining, SIGTERM in");
}

/// The table rows on `screen` of processes whose role starts with `role`,
/// ghosts only when `ghosts`: left of the detail pane's rule (the last
/// vertical rule: the tree guides before it hold some too), a marker († for
/// a ghost), the pid, …, the role.
fn table_rows(screen: &vt100::Screen, role: &str, ghosts: bool) -> Vec<String> {
    screen
        .contents()
        .lines()
        .filter_map(|line| {
            let row = line.rsplit_once('│').map_or(line, |(row, _)| row);
            let row = row.trim_start();
            let marker = row.chars().next()?;
            let marked = if ghosts {
                marker == '†'
            } else {
                "●◆▲†".contains(marker)
            };
            (marked && row.split_whitespace().any(|word| word.starts_with(role)))
                .then(|| row.to_string())
        })
        .collect()
}

/// Waits until the `count` ghost rows of `role` all say how they ended,
/// and returns them.
fn wait_for_ghosts(tui: &Tui, role: &str, count: usize, ended: &str) -> Vec<String> {
    tui.wait_for_screen(
        &format!("{count} {role} ghost rows saying {ended:?}"),
        |screen| {
            let rows = table_rows(screen, role, true);
            (rows.len() == count && rows.iter().all(|row| row.contains(ended))).then_some(rows)
        },
    )
}

/// Whether a ghost row's outcome reads "exit 0, DURATION" then `cause`,
/// whole or cut to its column ("exit 0, 0.4 s after the sto…").
fn exits_after(row: &str, cause: &str) -> bool {
    let Some(start) = row.find("exit 0, ") else {
        return false;
    };
    let shown = row[start + "exit 0, ".len()..]
        .trim_end()
        .trim_end_matches('…');
    // The duration ("8 ms", "0.4 s"), then what it is after.
    let Some((_, after)) = shown.split_once(" after") else {
        return false;
    };
    let after = format!(" after{after}");
    cause.starts_with(&after) || after.starts_with(cause)
}

/// The issue's first case: workers that ignore SIGTERM, sent SIGTERM (T),
/// leave after the stop event (e) set seconds later. Their ghost rows give
/// the stop event as the cause, timed from it — not from the SIGTERM they
/// ignored.
#[test]
fn ignore_term_t_then_the_stop_event_the_workers_end_after_the_stop_event() {
    let mut tui = Tui::demo("ignore-term");
    tui.wait_for_table();
    tui.press("T");
    // The master has SIGTERM's default action; the log says who sent it.
    tui.wait_for_text("died of SIGTERM sent by sigtree (T)");
    wait_for_ghosts(&tui, "master", 1, "died of SIGTERM");
    // The workers ignored it and still run.
    assert_eq!(
        tui.wait_for_screen("the workers alive", |screen| {
            let rows = table_rows(screen, "worker-", false);
            (rows.len() == 4).then_some(rows.iter().filter(|r| r.starts_with('†')).count())
        }),
        0,
        "{}",
        tui.contents()
    );
    press_e_and_see_ends_after_the_stop_event(tui, "worker-", "after SIGTERM");
}

/// Sets the stop event; the four `role` rows become ghosts that say they
/// exited after it (the table may cut a note to its column; the log has it
/// whole), and nothing on screen says `not_after`.
fn press_e_and_see_ends_after_the_stop_event(mut tui: Tui, role: &str, not_after: &str) {
    tui.press("e");
    let rows = wait_for_ghosts(&tui, role, 4, "exit 0, ");
    assert!(
        rows.iter()
            .all(|row| exits_after(row, " after the stop event")),
        "{rows:#?}"
    );
    tui.wait_for_text(" after the stop event");
    assert!(!tui.contents().contains(not_after), "{}", tui.contents());
    tui.wait_for_text("the pool has ended");
    tui.quit();
}

/// The issue's second case: SIGKILL to the group (X) never reaches the
/// grandchildren that left it with setsid; the stop event (e) ends them.
/// Their ghost rows say so, and none claims they ended after SIGKILL.
#[test]
fn setsid_escape_x_then_the_stop_event_the_escapees_end_after_the_stop_event() {
    let mut tui = Tui::demo("setsid-escape");
    tui.wait_for_table();
    tui.wait_for_screen("four grandchild rows", |screen| {
        (table_rows(screen, "grandchild", false).len() == 4).then_some(())
    });
    tui.press("X");
    tui.wait_for_text("died of SIGKILL sent by sigtree (X)");
    wait_for_ghosts(&tui, "worker-", 4, "died of SIGKILL");
    press_e_and_see_ends_after_the_stop_event(tui, "grandchild", "after SIGKILL");
}

#[test]
fn p_stops_and_continues_the_selected_process() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    // The master's row is selected first; j selects worker-1's, below it.
    let (_, worker) = tui.worker_row(1);
    tui.press("j");
    tui.wait_for_text(&format!("{worker} worker-1 —"));
    tui.press("p");
    let stopped = wait_for("a stopped pool process", || {
        tagged(&tui.id)
            .into_iter()
            .find(|pid| common::is_stopped(*pid))
    });
    assert_eq!(stopped, worker, "p stopped the selected process");
    tui.press("p");
    wait_for("it to run again", || {
        (!common::is_stopped(stopped)).then_some(())
    });
    tui.quit();
}

/// Waits for the pool of group `first` to be gone and the header to name
/// a new pool's group, whose members exist.
fn wait_for_new_pool(tui: &Tui, first: i32) {
    wait_for("the first group to be gone", || {
        group_members(first).is_empty().then_some(())
    });
    // The header names the new pool's group once sigtree knows it.
    let second = tui.wait_for_screen("a new group in the header", |screen| {
        header_group(screen).filter(|group| *group != first)
    });
    assert!(
        !group_members(second).is_empty(),
        "the header's group {second} is the new pool's"
    );
}

#[test]
fn r_restarts_the_pool_in_a_new_group() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    let first = tui.pool_group();
    tui.press("r");
    tui.wait_for_text("restarted");
    wait_for_new_pool(&tui, first);
    tui.wait_for_table();
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
    tui.wait_for_screen("the repaint", |screen| {
        (screen.alternate_screen() && screen.contents().contains("worker-4")).then_some(())
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
fn ctrl_z_suspends_with_a_popup_open() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    tui.press("s");
    tui.wait_for_text("send a signal");
    tui.press("\x1a");
    wait_for("sigtree to stop", || {
        common::is_stopped(tui.pid()).then_some(())
    });
    tui.wait_left_alternate_screen();
    tui.signal(Signal::SIGCONT);
    tui.wait_for_screen("the repaint, the menu still open", |screen| {
        (screen.alternate_screen() && screen.contents().contains("send a signal")).then_some(())
    });
    // The menu took no "z" into what is typed.
    assert!(
        !tui.contents()
            .lines()
            .any(|line| line.contains("typed") && line.contains('z')),
        "{}",
        tui.contents()
    );
    tui.press("\x1b");
    tui.wait_for_screen("the menu closed", |screen| {
        (!screen.contents().contains("send a signal")).then_some(())
    });
    tui.quit();
}

#[test]
fn an_unknown_scenario_is_said_as_such_without_a_terminal() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sigtree"))
        .args(["demo", "--scenario", "no-such"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("sigtree runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown scenario 'no-such'"), "{stderr}");
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
    // The menu's target line (the header says "group N" too).
    tui.wait_for_text(&format!("target  group {group}"));
    // Workers ignore SIGTERM (the detail pane's "ignored" is a label); the
    // master has no handler.
    tui.wait_for_text(" worker-1  ignored");
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
    let (_, pid) = tui.worker_row(2);
    let start = Instant::now();
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("SIGKILL a worker");
    // The reader wakes the wait at each screen change: the delay is not
    // rounded up to a polling interval.
    tui.wait_for_screen("the ghost row", |screen| {
        screen
            .contents()
            .lines()
            .any(|l| l.contains(&pid.to_string()) && l.contains("died of SIGKILL"))
            .then_some(())
    });
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
    tui.wait_for_screen("more than 50000 lines read", |screen| {
        let contents = screen.contents();
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
    let escapee = wait_for("the escapee's pid", || {
        // sigtree itself leads the pty's session: not the one we look for.
        tagged(&tui.id)
            .into_iter()
            .filter(|pid| *pid != tui.pid())
            .find(|pid| common::stat(*pid).is_some_and(|r| r.sid == r.pid))
    });
    // Its row, marked as in another session. (A bare "▲" is in the legend
    // from the first frame on.)
    let marked = ["▲".to_string(), escapee.to_string()];
    tui.wait_for_screen("the escapee's row marked ▲", |screen| {
        screen
            .contents()
            .lines()
            .any(|l| {
                l.split_whitespace()
                    .take(2)
                    .eq(marked.iter().map(String::as_str))
            })
            .then_some(())
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
    tui.wait_for_screen("the question to close", |screen| {
        (!screen.contents().contains("Send SIGKILL to")).then_some(())
    });
    // Whatever n did is done when the question closes: nothing may be on
    // its way. (Had n sent SIGKILL, the children would not die of the
    // SIGTERM below either.)
    assert!(
        untouched(shell) && children.iter().all(|c| untouched(*c)),
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
    assert_eq!(tui.wait_exit(), Some(0));
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
    assert_eq!(tui.wait_exit(), Some(0));
    assert!(
        untouched(shell) && children.iter().all(|c| untouched(*c)),
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
    assert_eq!(tui.wait_exit(), Some(0));
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
    wait_for_row(&tui, launcher, "group-member");
    tui
}

/// Waits until the table has a row of `pid` in `role`.
fn wait_for_row(tui: &Tui, pid: i32, role: &str) {
    let pid = pid.to_string();
    tui.wait_for_screen(&format!("the row of {pid} {role}"), |screen| {
        screen
            .contents()
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .any(|words| words.get(1) == Some(&pid.as_str()) && words.contains(&role))
            .then_some(())
    });
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
    tui.wait_for_screen("the question to list [program]", |screen| {
        (listed_pids(&screen.contents()) == [program]).then_some(())
    });
    tui.press("y");
    tui.wait_for_text("the attached subtree has ended (graceful)");
    assert!(!is_alive(program), "the program exited");
    assert!(
        is_alive(launcher) && !common::is_stopped(launcher),
        "the launcher was never signalled"
    );
    tui.press("q");
    assert_eq!(tui.wait_exit(), Some(0));
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
    wait_for_row(&tui, child, "child");
    tui.press("g");
    tui.wait_for_text("and any descendant found later");
    tui.wait_for_screen("the question to list [program, child]", |screen| {
        (listed_pids(&screen.contents()) == [program, child]).then_some(())
    });
    tui.press("y");
    tui.wait_for_text("the attached subtree has ended (forced)");
    assert!(!is_alive(program) && !is_alive(child), "both were killed");
    assert!(
        is_alive(launcher) && !common::is_stopped(launcher),
        "the launcher was never signalled"
    );
    tui.press("q");
    assert_eq!(tui.wait_exit(), Some(0));
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
    assert_eq!(tui.wait_exit(), Some(0));
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
    let listed = tui.wait_for_screen("the question to list the program", |screen| {
        let listed = listed_pids(&screen.contents());
        (listed == [program]).then_some(listed)
    });
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
    assert_eq!(tui.wait_exit(), Some(0));
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
    tui.wait_for_screen("the question to list [program]", |screen| {
        (listed_pids(&screen.contents()) == [program]).then_some(())
    });
    tui.press("y");
    tui.wait_for_text("the attached subtree has ended (graceful)");
    assert!(!is_alive(program), "the menu sent SIGTERM");
    assert!(is_alive(launcher), "never the launcher");
    tui.press("q");
    assert_eq!(tui.wait_exit(), Some(0));
}

#[test]
fn attach_to_pid_1_is_refused_and_a_missing_pid_is_an_error() {
    let mut tui = Tui::start(&["attach", "1"], &[]);
    assert_eq!(tui.wait_exit(), Some(2));
    tui.wait_for_text("attaching to pid 1 is refused");
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
    assert_eq!(tui.wait_exit(), Some(0));
}

/// `sigtree run` over the Manager Event story: the workers and the
/// Manager show; `g` (SIGTERM to the leader) ends it gracefully.
#[test]
fn run_stops_the_manager_event_story_gracefully() {
    // The interpreter itself, not a wrapper that starts processes of its own.
    let Some(python) = common::python() else {
        eprintln!("skipped: python3 not found");
        return;
    };
    let python = python.display().to_string();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/python/manager_event.py"
    );
    let mut tui = Tui::start(&["run", "--", &python, script], &[]);
    tui.wait_for_text("ready");
    // The Manager's server and the three workers, children of the leader.
    tui.wait_for_screen("four child rows", |screen| {
        let rows = screen
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
    assert_eq!(tui.wait_exit(), Some(2));
    tui.wait_for_text("command not found: no-such-command-here");
}

#[test]
fn a_click_selects_the_row_under_the_mouse() {
    let mut tui = Tui::demo("graceful");
    tui.wait_for_table();
    let (line, pid) = tui.worker_row(3);
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
    tui.wait_for_text(" master — ");
    tui.press("x");
    // The next row is worker-1's: its detail says it was orphaned (a live
    // row's notes go to the detail pane, never over its live values).
    tui.press("j");
    tui.wait_for_text("orphan: re-parented");
    tui.press("o");
    tui.wait_for_text("Re-parented while sigtree watched (4)");
    tui.press("\r");
    tui.wait_for_screen("the selection to jump to a worker", |screen| {
        screen
            .contents()
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
    // The leader's own command line, as /proc gives it, in the detail
    // pane's title (the log's "seen:" line may have caught it before its
    // exec, as the keeper's child: commands are not followed yet).
    tui.wait_for_text("leader — sh -c sleep 300;:");
    tui.wait_for_text("\\e]0;PWNED\\x07");
    let contents = tui.contents();
    assert_eq!(
        contents.matches("]0;PWNED").count(),
        contents.matches("\\e]0;PWNED").count(),
        "every occurrence is escaped:\n{contents}"
    );
    tui.quit();
}

/// A recycled pid is never signalled from the TUI. `sigtree run` runs in a
/// new pid namespace; its leader starts a `setsid` child and exits; a victim
/// then takes the leader's exact pid and leads its own group. `X`, `T`, `i`
/// and the menu's group target, `r` (which kills the old group and ends its
/// keeper), and after a second victim took the new leader's pid, `q` (the
/// stop sequence, then the keeper's cleanup at exit) must all miss it.
#[test]
fn a_recycled_leader_pid_is_never_signalled_from_the_tui() {
    use common::pidns::{LEADER, Victim, first_child, read_pid, unavailable, unshare_args};
    if let Some(reason) = unavailable() {
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let leader_file = dir.path().join("leader");
    let script = format!("\"$0\" run --grace 1s -- sh -c {LEADER}; exec sleep 300");
    let args = unshare_args(&script);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let leader_path = leader_file.to_str().expect("a UTF-8 tempdir");
    let mut tui = Tui::start(
        &args,
        &[
            ("SIGTREE_TUI_PROGRAM", "unshare"),
            ("LEADER_FILE", leader_path),
        ],
    );
    let init = first_child(tui.pid(), "the namespace's init");
    let first = read_pid(&leader_file, None);
    let victim = Victim::take_pid(init, first);
    let refused = "does not exist (any more)";
    for (what, keys) in [
        ("X", "X"),
        ("T", "T"),
        ("i", "i"),
        ("the menu's group target", "s\t\x7f\x7f\x7f\x7fKILL\r"),
    ] {
        tui.press(keys);
        tui.wait_for_text(&format!("process group {first} {refused}"));
        assert!(
            victim.unharmed(),
            "{what} hit the victim with the leader's old pid"
        );
        // Any action clears the message: the next one is seen afresh.
        tui.press("j");
        tui.wait_for_screen("the message cleared", |screen| {
            (!screen.contents().contains(refused)).then_some(())
        });
    }
    tui.press("r");
    tui.wait_for_text("restarted");
    let second = read_pid(&leader_file, Some(first));
    assert!(
        victim.unharmed(),
        "r hit the victim with the leader's old pid"
    );
    let second_victim = Victim::take_pid(init, second);
    let sigtree = first_child(init, "sigtree in the namespace");
    tui.press("q");
    wait_for("sigtree and its keeper to end", || {
        (!is_alive(sigtree) && sigtree::procfs::scan::children_of(sigtree).is_err()).then_some(())
    });
    tui.wait_left_alternate_screen();
    assert!(victim.unharmed(), "q hit the first victim");
    assert!(
        second_victim.unharmed(),
        "q (the stop sequence and the keeper's cleanup) hit the victim with the leader's old pid"
    );
}

/// The attach path of the same promise: attached to a process whose group
/// leader is gone (so no leader pidfd is held), once that process has
/// ended too, a victim takes the group's number and leads a group of its
/// own; `X` must miss it.
#[test]
fn attached_x_never_signals_a_recycled_group_number() {
    use common::pidns::{Victim, first_child, read_pid, unavailable, unshare_args};
    if let Some(reason) = unavailable() {
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let leader_file = dir.path().join("leader");
    let attach_file = dir.path().join("attach");
    // A group leader that starts a member and exits; sigtree attaches to
    // the member, which lives two seconds.
    let script = "setsid sh -c '(exec sleep 2) & echo $! > \"$ATTACH_FILE\"; \
                  echo $$ > \"$LEADER_FILE\"; exit 0'; \
                  while [ ! -s \"$ATTACH_FILE\" ]; do sleep 0.01; done; \
                  \"$0\" attach \"$(cat \"$ATTACH_FILE\")\"; exec sleep 300";
    let args = unshare_args(script);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut tui = Tui::start(
        &args,
        &[
            ("SIGTREE_TUI_PROGRAM", "unshare"),
            ("LEADER_FILE", leader_file.to_str().expect("UTF-8")),
            ("ATTACH_FILE", attach_file.to_str().expect("UTF-8")),
        ],
    );
    let init = first_child(tui.pid(), "the namespace's init");
    let group = read_pid(&leader_file, None);
    let member = read_pid(&attach_file, None);
    wait_for_row(&tui, member, "attached");
    // The member ends: the group is empty, its number free for the victim.
    let victim = Victim::take_pid(init, group);
    tui.press("X");
    // The group sigtree attached to is gone: the victim is no member of it.
    tui.wait_for_text("It hits nothing now.");
    tui.press("y");
    tui.wait_for_text(&format!("process group {group} does not exist (any more)"));
    tui.wait_for_text(&format!("process group {group} has no member left"));
    assert!(
        victim.unharmed(),
        "X hit the victim with the group's old number"
    );
    assert!(
        !tui.contents().contains(" group-member "),
        "the victim is shown as a member of the group attached to:\n{}",
        tui.contents()
    );
}

/// `P` picks the stop policy `g` runs; the header names it. Under docker,
/// ignore-term's master has no SIGTERM handler, so as PID 1 it would drop
/// it: withheld, then SIGKILL at the grace, and the namespace's teardown
/// takes the workers, which ignore SIGTERM. The stop event plays no part.
#[test]
fn p_picks_docker_and_g_ends_ignore_term_forced_through_the_teardown() {
    let mut tui = Tui::start(&["demo", "--scenario", "ignore-term", "--grace", "1s"], &[]);
    tui.wait_for_table();
    tui.press("P");
    tui.wait_for_text("choose the stop policy g runs");
    // sigtree's own is first; docker is next.
    tui.press("\x1b[B");
    tui.press("\r");
    tui.wait_for_text("stops as docker");
    tui.press("g");
    tui.wait_for_text("withheld");
    tui.wait_for_text("teardown");
    tui.wait_for_text("the pool has ended");
    let contents = tui.contents();
    assert!(
        !contents.contains("after the stop event"),
        "docker sets no stop event:\n{contents}"
    );
    tui.quit();
}

#[test]
fn demo_policy_docker_runs_the_pool_in_a_pid_namespace_whose_kernel_drops_the_masters_sigterm() {
    let mut tui = Tui::start(
        &[
            "demo",
            "--scenario",
            "ignore-term",
            "--grace",
            "1s",
            "--policy",
            "docker",
        ],
        &[],
    );
    tui.wait_for_table();
    tui.wait_for_text("stops as docker");
    tui.press("g");
    tui.wait_for_text("the pool has ended");
    let contents = tui.contents();
    if contents.contains("withheld") {
        // No pid namespace could be made here: emulated, and said so.
        assert!(
            !rustix::process::geteuid().is_root(),
            "root may make one:\n{contents}"
        );
        eprintln!("skipped: no pid namespace can be made here");
    } else {
        // The master is PID 1 without a SIGTERM handler: the kernel dropped
        // the SIGTERM, docker's SIGKILL ended it, the kernel's teardown the rest.
        assert!(contents.contains("the kernel drops it"), "{contents}");
        assert!(contents.contains("teardown"), "{contents}");
    }
    tui.quit();
}

/// `sigtree run` of a two-sleep pipeline in `runner` (empty: directly),
/// once both sleeps show: the screen and the watched group.
fn run_pipeline(runner: &[String]) -> (Tui, i32) {
    let sigtree = env!("CARGO_BIN_EXE_sigtree").to_string();
    let run = ["run", "--", "sh", "-c", "sleep 300 | sleep 300"];
    let args: Vec<&str> = match runner.split_first() {
        Some((_, prefix)) => prefix
            .iter()
            .map(String::as_str)
            .chain([sigtree.as_str()])
            .chain(run)
            .collect(),
        None => run.to_vec(),
    };
    let env: Vec<(&str, &str)> = runner
        .first()
        .map(|program| ("SIGTREE_TUI_PROGRAM", program.as_str()))
        .into_iter()
        .collect();
    let tui = Tui::start(&args, &env);
    let group = tui.wait_for_screen("both sleeps in the table", |screen| {
        let sleeps = screen.contents().matches("─ sleep 300").count();
        (sleeps == 2).then(|| header_group(screen)).flatten()
    });
    (tui, group)
}

#[test]
fn as_root_a_group_sigint_is_one_log_line_a_detail_entry_and_a_lifeline_mark() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    let (mut tui, group) = run_pipeline(&[]);
    if !tui.contents().contains("events: kernel") {
        eprintln!("skipped: no kernel signal events here: {}", tui.contents());
        tui.quit();
        return;
    }
    tui.press("i");
    // One send by sigtree to the group's three members: one line.
    tui.wait_for_text(&format!("SIGINT sigtree → group {group} (3 processes)"));
    wait_group_gone(group);
    // Each lane marks the arrival; the legend names the mark.
    tui.wait_for_screen("a signal mark on the lifelines", |screen| {
        let contents = screen.contents();
        let lanes = contents
            .lines()
            .filter(|l| (l.starts_with("leader") || l.starts_with("child")) && l.contains('↓'))
            .count();
        (contents.contains("↓ signal received") || contents.contains("↓ received"))
            .then_some(lanes)
            .filter(|&lanes| lanes >= 3)
    });
    // The selected process lists what it received, and from whom.
    tui.press("\x1b[B");
    tui.wait_for_text("SIGINT from sigtree: queued");
    tui.quit();
}

#[test]
fn as_nobody_the_header_says_lifecycle_events_and_the_detail_pane_that_senders_are_unseen() {
    let Some(runner) = common::nobody_or_skip() else {
        return;
    };
    let (mut tui, _group) = run_pipeline(&runner);
    let events = tui.wait_for_screen("where the events come from", |screen| {
        let contents = screen.contents();
        ["events: lifecycle", "events: polling"]
            .into_iter()
            .find(|source| contents.contains(source))
    });
    assert_eq!(
        events,
        "events: lifecycle",
        "the proc connector works unprivileged on this kernel: {}",
        tui.contents()
    );
    tui.press("\x1b[B");
    tui.wait_for_text("senders unseen: needs root");
    tui.quit();
}

#[test]
fn as_root_block_term_a_second_sigterm_to_the_group_is_already_pending_as_its_story_says() {
    if common::not_root("tracefs's signal events") {
        return;
    }
    let mut tui = Tui::demo("block-term");
    tui.wait_for_table();
    if !tui.contents().contains("events: kernel") {
        eprintln!("skipped: no kernel signal events here");
        tui.quit();
        return;
    }
    let group = tui.pool_group();
    tui.press("T");
    // The master dies of it; the workers hold it pending.
    tui.wait_for_text(&format!(
        "SIGTERM sigtree → group {group} (5 processes): queued"
    ));
    tui.press("T");
    tui.wait_for_text(&format!(
        "SIGTERM sigtree → group {group} (4 processes): already pending"
    ));
    tui.quit();
}

#[test]
fn c_opens_the_picker_on_the_running_scenario_with_the_keys_that_tell_its_story() {
    let mut tui = Tui::demo("zombie");
    tui.wait_for_table();
    let first = tui.pool_group();
    tui.press("c");
    // zombie's [expect]: the stop event and t on the master are graceful,
    // T is terminated.
    tui.wait_for_text("tells its story with: e → graceful");
    tui.wait_for_text("t on the master → graceful");
    // Enter at once keeps the scenario: the picker opened on it.
    tui.press("\r");
    wait_for_new_pool(&tui, first);
    let contents = tui.contents();
    let header = contents.lines().next().unwrap_or_default();
    assert!(header.contains("· zombie ·"), "{header}");
    tui.quit();
}
