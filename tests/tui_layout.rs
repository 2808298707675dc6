//! The TUI's layout at the sizes a user brings (SPEC, "TUI"): 140x45,
//! 120x40 and 80x24, in a real pseudo-terminal over the real demo pool,
//! every claim checked against procfs: the keeper's row, the PEND column
//! and CMD's width, `d` over the table, help that scrolls, the user's
//! action still in the log 10 s later in a busy demo, a zombie's `Z`, and
//! the "holding up the stop" strip naming each survivor with its reason.

mod common;

use std::time::{Duration, Instant};

use common::pty::Tui;
use common::{DEADLINE, wait_for};
use sigtree::procfs::scan::Reader;
use sigtree::signal::sigset::Signal;

/// The sizes the spec names: (rows, columns).
const LARGE: (u16, u16) = (45, 140);
const MEDIUM: (u16, u16) = (40, 120);
const SMALL: (u16, u16) = (24, 80);

/// How long the user's action must stay in the log of a busy demo.
const STAYS: Duration = Duration::from_secs(10);

/// The demo of `scenario` with `workers` workers in a terminal of `size`.
fn demo(scenario: &str, workers: &str, size: (u16, u16)) -> Tui {
    let args = [
        "demo",
        "--scenario",
        scenario,
        "--workers",
        workers,
        "--grace",
        "3s",
    ];
    Tui::start_sized(&args, &[], size.0, size.1)
}

/// `pid`'s command line as the table prints it: arguments joined by spaces.
fn cmdline(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some(args.join(" "))
}

/// The table's rows on screen: the line, and the words of its row part
/// (a marker, then the pid, …).
fn rows(screen: &vt100::Screen) -> Vec<(String, Vec<String>)> {
    screen
        .contents()
        .lines()
        .filter(|line| line.starts_with(['●', '◆', '▲', '†']))
        .map(|line| {
            let words = line.split_whitespace().map(str::to_string).collect();
            (line.to_string(), words)
        })
        .collect()
}

/// The pid of the row whose ROLE is `role`.
fn row_pid(screen: &vt100::Screen, role: &str) -> Option<i32> {
    rows(screen)
        .into_iter()
        .find(|(_, words)| words.iter().any(|w| w == role))
        .and_then(|(_, words)| words.get(1)?.parse().ok())
}

/// The table's column titles.
fn titles(screen: &vt100::Screen) -> Option<String> {
    screen
        .contents()
        .lines()
        .find(|line| line.trim_start().starts_with("PID "))
        .map(str::to_string)
}

/// The keeper has a row of its own: the real keeper (`sigtree __pool
/// keeper`), parent of the master, whose row stands under it.
fn assert_keeper_row(tui: &Tui) {
    let (keeper, master) = tui.wait_for_screen("the keeper's and the master's rows", |screen| {
        Some((row_pid(screen, "keeper")?, row_pid(screen, "master")?))
    });
    let cmd = cmdline(keeper).unwrap_or_default();
    assert!(
        cmd.contains("__pool keeper"),
        "the keeper row's pid {keeper} runs {cmd:?}"
    );
    let master_parent = Reader::default().stat(master).map(|r| r.ppid);
    assert_eq!(master_parent.ok(), Some(keeper), "the master's parent");
}

/// The PEND column where the spec has it (the full table from 120
/// columns); at 80 columns the table keeps PID PGID S ROLE TERM and the
/// outcome.
fn assert_columns(tui: &Tui, width: u16) {
    let titles = tui.wait_for_screen("the column titles", titles);
    let words: Vec<&str> = titles.split_whitespace().collect();
    for kept in ["PID", "PGID", "S", "ROLE", "TERM"] {
        assert!(words.contains(&kept), "{kept} in {titles:?}");
    }
    assert_eq!(
        words.contains(&"PEND"),
        width >= 120,
        "PEND at {width} columns: {titles:?}"
    );
}

/// From 120 columns CMD shows at least 24 characters of a worker's real
/// command line.
fn assert_cmd_width(tui: &Tui) {
    let pid = tui.worker_row(1).1;
    let real = cmdline(pid).expect("worker-1's command line");
    tui.wait_for_screen("worker-1's command, 24 characters of it", |screen| {
        let titles = titles(screen)?;
        let column = titles.find("CMD")?;
        let (line, _) = rows(screen)
            .into_iter()
            .find(|(_, words)| words.get(1).is_some_and(|w| *w == pid.to_string()))?;
        let cell: String = line.chars().skip(column).collect();
        // Past the tree guides, up to a cut's ellipsis.
        let shown = cell
            .trim_start_matches([' ', '│', '├', '└', '─'])
            .trim_end()
            .trim_end_matches('…');
        (shown.chars().count() >= 24 && real.starts_with(shown)).then_some(())
    });
}

/// `d` shows the detail pane over the table below 160 columns, and `d`
/// again hides it: the table is back.
fn assert_d_toggles_the_detail(tui: &mut Tui) {
    tui.press("d");
    tui.wait_for_screen("the detail pane over the table", |screen| {
        let contents = screen.contents();
        (contents.contains(" detail ") && titles(screen).is_none()).then_some(())
    });
    tui.press("d");
    tui.wait_for_screen("the table back, the pane hidden", |screen| {
        (!screen.contents().contains(" detail ") && titles(screen).is_some()).then_some(())
    });
}

/// The number of tasks done, from the header.
fn tasks_done(screen: &vt100::Screen) -> Option<u32> {
    let contents = screen.contents();
    let after = contents.split("tasks: ").nth(1)?;
    after.split(' ').next()?.parse().ok()
}

/// In a busy demo, SIGKILL to worker-1 (`x`): the log still shows the
/// user's action 10 s later, while the other workers went on working.
fn assert_action_stays(tui: &mut Tui) {
    let (_, worker) = tui.worker_row(1);
    // The first row chosen is the master's; worker-1's is the next one, as
    // the detail pane's title confirms.
    tui.press("j");
    tui.press("d");
    tui.wait_for_text(&format!("{worker} worker-1 —"));
    tui.press("d");
    let action = format!("SIGKILL to {worker} (worker-1)");
    tui.press("x");
    tui.wait_for_text(&action);
    let done = tui.wait_for_screen("the tasks done", tasks_done);
    let sent = Instant::now();
    // The action is in sight at every moment of the 10 s, not just at the end.
    while sent.elapsed() < STAYS {
        let contents = tui.contents();
        assert!(
            contents.contains(&action),
            "{:.1} s after it, the action is gone from the screen:\n{contents}",
            sent.elapsed().as_secs_f32()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    tui.wait_for_screen("more tasks done: the demo is busy", |screen| {
        (tasks_done(screen)? > done + 4 && screen.contents().contains(&action)).then_some(())
    });
}

/// Help at 80x24 does not fit: it scrolls, and its last line (the legend's
/// last entry) comes into sight.
fn assert_help_scrolls(tui: &mut Tui) {
    tui.press("?");
    tui.wait_for_text("help · ↑↓ scroll · lines 1-");
    assert!(!tui.contents().contains("your action (label below)"));
    // Down arrows, a line at a time, then space, a page at a time.
    tui.press("\x1b[B\x1b[B");
    tui.wait_for_text("help · ↑↓ scroll · lines 3-");
    for _ in 0..10 {
        tui.press(" ");
    }
    tui.wait_for_text("your action (label below)");
    tui.press("\x1b");
    tui.wait_for_screen("help closed", |screen| {
        (!screen.contents().contains("↑↓ scroll")).then_some(())
    });
}

/// Everything the spec asks of the layout at `size`.
fn layout_at(size: (u16, u16)) {
    let mut tui = demo("graceful", "8", size);
    // PHASE is not among the columns 80x24 keeps: wait for work done.
    tui.wait_for_text("worker-1");
    tui.wait_for_screen("tasks done", |screen| tasks_done(screen).filter(|&n| n > 0));
    assert_keeper_row(&tui);
    assert_columns(&tui, size.1);
    if size.1 >= 120 {
        assert_cmd_width(&tui);
    }
    assert_d_toggles_the_detail(&mut tui);
    if size == SMALL {
        assert_help_scrolls(&mut tui);
    }
    assert_action_stays(&mut tui);
    tui.quit();
}

#[test]
fn the_layout_at_140x45() {
    layout_at(LARGE);
}

#[test]
fn the_layout_at_120x40() {
    layout_at(MEDIUM);
}

#[test]
fn the_layout_at_80x24() {
    layout_at(SMALL);
}

/// The rows whose state column shows `state`: (pid, role).
fn rows_in_state(screen: &vt100::Screen, state: &str) -> Vec<(i32, String)> {
    rows(screen)
        .into_iter()
        .filter_map(|(_, words)| {
            // marker, PID, PGID, S, ROLE in the narrow table; PPID and SID
            // between in the full one: the state is the first one-letter word.
            let state_at = words.iter().skip(2).position(|w| w.len() == 1)? + 2;
            (words[state_at] == state).then(|| {
                (
                    words[1].parse().unwrap_or(0),
                    words.get(state_at + 1).cloned().unwrap_or_default(),
                )
            })
        })
        .collect()
}

/// The strip's lines: (pid, role, reason).
fn strip(screen: &vt100::Screen) -> Vec<(i32, String, String)> {
    let contents = screen.contents();
    let Some(after) = contents.split(" holding up the stop ").nth(1) else {
        return Vec::new();
    };
    after
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with(' '))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let pid = words.next()?.parse().ok()?;
            let role = words.next()?.to_string();
            Some((pid, role, words.collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

/// The state letter of `pid` in /proc.
fn state_of(pid: i32) -> Option<char> {
    Reader::default().stat(pid).ok().map(|r| r.state.letter())
}

/// The zombie scenario's master, stopped with `p`, cannot exit when the
/// stop event is set (`e`): its workers exit 0 and stay zombies. Their rows
/// show `Z`, as /proc does, and the strip names the stopped master and
/// each zombie with the parent that does not reap it.
#[test]
fn zombies_show_z_and_the_strip_names_the_stopped_master_and_each_zombie() {
    let mut tui = demo("zombie", "3", MEDIUM);
    tui.wait_for_text("worker-3");
    let master = tui.wait_for_screen("the master's row", |s| row_pid(s, "master"));
    // The first row chosen is the master's: p stops it.
    tui.press("p");
    wait_for("the master stopped", || {
        (state_of(master) == Some('T')).then_some(())
    });
    tui.press("e");
    let zombies = tui.wait_for_screen("three zombie rows", |screen| {
        let zombies = rows_in_state(screen, "Z");
        (zombies.len() == 3).then_some(zombies)
    });
    for (pid, role) in &zombies {
        assert!(role.starts_with("worker-"), "{pid} {role}");
        assert_eq!(state_of(*pid), Some('Z'), "{pid} is a zombie in /proc");
    }
    let held = tui.wait_for_screen("the strip with the master and the zombies", |screen| {
        let held = strip(screen);
        (held.len() == 4).then_some(held)
    });
    let not_reaped = format!("zombie: exited, not reaped by its parent {master}");
    for (pid, role, reason) in held {
        if pid == master {
            assert_eq!(role, "master");
            assert_eq!(
                reason,
                "stopped: it sees the stop event only once continued"
            );
        } else {
            assert!(
                zombies.iter().any(|(z, _)| *z == pid),
                "{pid} is a zombie row"
            );
            assert_eq!(reason, not_reaped);
        }
    }
    tui.quit();
}

/// SIGTERM to the group (`T`) in ignore-term: the master dies of it, the
/// workers ignore it and work on. The strip names every worker, "ignored:
/// SIGTERM is SIG_IGN", and each is alive with SIGTERM in its SigIgn.
#[test]
fn the_strip_names_each_worker_that_ignores_the_groups_sigterm() {
    let mut tui = demo("ignore-term", "4", LARGE);
    tui.wait_for_table();
    tui.press("T");
    let held = tui.wait_for_screen("four workers in the strip", |screen| {
        let held = strip(screen);
        (held.len() == 4).then_some(held)
    });
    for (pid, role, reason) in &held {
        assert!(role.starts_with("worker-"), "{pid} {role}");
        assert_eq!(reason, "ignored: SIGTERM is SIG_IGN");
        let status = Reader::default().status(*pid).expect("a live worker");
        assert!(
            status.signals.ignored.contains(Signal::TERM),
            "{pid} ignores SIGTERM in /proc"
        );
    }
    // The stop is still held up: the same survivors a while later.
    let later = Instant::now() + Duration::from_secs(1);
    tui.wait_for_screen_within(DEADLINE, "the strip unchanged", |screen| {
        (Instant::now() >= later && strip(screen) == held).then_some(())
    });
    tui.quit();
}
