//! Drawing one frame from a [`Screen`]: the layout, then one widget per
//! part, then the popup over everything.
//!
//! Terminals from 160x34 get the table and the detail pane side by side
//! over the "holding up the stop" strip, the lifelines and the log;
//! narrower ones get the table full width (full columns from 120, PPID and
//! SID giving way first; fewer below) and `d` shows the detail pane over
//! it. Below 80x24, only a notice.

use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::Line,
    widgets::Paragraph,
};

use super::screen::Screen;
use super::widgets::{
    detail, footer, header, holding, lifelines, log, output, overlay,
    table::{self, Columns},
    wrap,
};

/// The narrowest terminal sigtree draws in.
pub const MIN_WIDTH: u16 = 80;
/// The lowest terminal sigtree draws in.
pub const MIN_HEIGHT: u16 = 24;

/// From this width on, the table has its full columns.
const LARGE_WIDTH: u16 = 120;
/// From this width on (and [`LARGE_HEIGHT`]), the detail pane stands
/// beside the table; below, it folds and `d` shows it over the table.
const DETAIL_BESIDE_WIDTH: u16 = 160;
/// From this height on (and [`LARGE_WIDTH`]), the large layout.
const LARGE_HEIGHT: u16 = 34;

/// Draws the whole frame; returns where the table's rows are, if drawn.
pub fn draw(frame: &mut Frame, screen: &Screen) -> Option<Rect> {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return None;
    }
    let message = screen.message.as_deref();
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(footer::height(message)),
    ])
    .areas(area);
    header::render(frame, top, &screen.header, screen.color);
    let large = area.width >= LARGE_WIDTH && area.height >= LARGE_HEIGHT;
    let rows = draw_body(frame, body, screen, large);
    footer::render(frame, bottom, message, &screen.keys, screen.color);
    if let Some(popup) = &screen.overlay {
        overlay::render(frame, area, popup, &screen.keys, screen.color);
    }
    Some(rows)
}

/// The table (and detail pane), the "holding up the stop" strip, the
/// lifelines and the log; returns where the table's rows are.
fn draw_body(frame: &mut Frame, area: Rect, screen: &Screen, large: bool) -> Rect {
    let (lanes_max, log_min, strip_max) = if large { (12, 5, 6) } else { (8, 3, 4) };
    // From 160 columns the detail pane stands beside the table; below, it
    // folds, and `d` shows it over the table (and the lifelines' room).
    let beside = large && area.width >= DETAIL_BESIDE_WIDTH;
    let detail_shown = beside != screen.detail_toggled;
    let over = detail_shown && !beside;
    let lanes_height = if over {
        0
    } else {
        lifelines::height(&screen.lifelines, lanes_max)
    };
    let strip_height = holding::height(&screen.holding, strip_max);
    let [table_width, detail_width] = if beside && detail_shown {
        let [t, d] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Fill(1)]).areas(area);
        [t.width, d.width]
    } else {
        [area.width, area.width]
    };
    let mut top_needed = table::height(&screen.rows);
    if detail_shown {
        top_needed = top_needed.max(detail::height(screen.detail.as_ref(), detail_width));
    }
    let top_room = area
        .height
        .saturating_sub(lanes_height + strip_height + log_min);
    let [top, strip, lanes, rest] = Layout::vertical([
        Constraint::Length(top_needed.min(top_room)),
        Constraint::Length(strip_height),
        Constraint::Length(lanes_height),
        Constraint::Fill(1),
    ])
    .areas(area);
    // Full columns as soon as the terminal is wide, whatever its height.
    let columns = if area.width >= LARGE_WIDTH {
        Columns::Full
    } else {
        Columns::Narrow
    };
    let color = screen.color;
    let rows = if over {
        detail::render(frame, top, screen.detail.as_ref(), color);
        // Under the pane, the rows keep their place for the next frame.
        table::rows_area(top)
    } else if detail_shown {
        let [left, right] = Layout::horizontal([
            Constraint::Length(table_width),
            Constraint::Length(detail_width),
        ])
        .areas(top);
        detail::render(frame, right, screen.detail.as_ref(), color);
        table::render(frame, left, &screen.rows, screen.selected, columns, color)
    } else {
        table::render(frame, top, &screen.rows, screen.selected, columns, color)
    };
    if strip_height > 0 {
        holding::render(frame, strip, &screen.holding, color);
    }
    if lanes_height > 0 {
        lifelines::render(frame, lanes, &screen.lifelines, color);
    }
    match &screen.output {
        Some(pane) => {
            let [events, printed] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)])
                    .spacing(2)
                    .areas(rest);
            log::render(
                frame,
                events,
                &screen.log,
                screen.log_paused.as_deref(),
                color,
            );
            output::render(frame, printed, pane);
        }
        None => log::render(
            frame,
            rest,
            &screen.log,
            screen.log_paused.as_deref(),
            color,
        ),
    }
    rows
}

/// The notice drawn instead of everything on a terminal that is too small.
fn too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "sigtree needs at least {MIN_WIDTH}x{MIN_HEIGHT}; this terminal is {}x{}",
        area.width, area.height
    );
    let lines: Vec<Line> = wrap(&text, usize::from(area.width))
        .into_iter()
        .map(|l| Line::from(l).centered())
        .collect();
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .min(area.height);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines), middle);
}

#[cfg(test)]
mod tests {
    //! Snapshots of whole frames from fixed screens: no clock, no real pids.

    use ratatui::{
        Terminal,
        backend::TestBackend,
        style::{Color, Modifier},
    };

    use super::*;
    use crate::tui::screen::{
        Detail, EndMark, Header, Holding, Lane, Lifelines, LogLine, OrphansView, Overlay, Row,
        RowKind, Segment, SignalMenu,
    };

    fn frame(screen: &Screen, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| {
                draw(f, screen);
            })
            .unwrap();
        terminal
    }

    fn s(text: &str) -> String {
        text.to_string()
    }

    /// (pid, ppid, pgid, sid).
    type Ids = (i32, i32, i32, i32);
    /// (state, role, phase).
    type What<'a> = (char, &'a str, &'a str);
    /// (TERM, INT, CPU, RSS, AGE).
    type Facts<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);

    fn row(
        ids: Ids,
        what: What,
        facts: Facts,
        cmd: &str,
        kind: RowKind,
        outcome: Option<&str>,
    ) -> Row {
        // The tree guides stand before the command, in a column of their own.
        let tree_end = cmd
            .char_indices()
            .find(|(_, c)| !matches!(c, ' ' | '│' | '├' | '└' | '─'))
            .map_or(cmd.len(), |(i, _)| i);
        Row {
            pid: ids.0,
            ppid: ids.1,
            pgid: ids.2,
            sid: ids.3,
            state: what.0,
            role: s(what.1),
            phase: s(what.2),
            term: s(facts.0),
            int: s(facts.1),
            pending: s(if facts.0.is_empty() { "" } else { "-" }),
            cpu: s(facts.2),
            rss: s(facts.3),
            age: s(facts.4),
            tree: s(&cmd[..tree_end]),
            cmd: s(&cmd[tree_end..]),
            kind,
            outcome: outcome.map(s),
        }
    }

    fn log(lines: &[(&str, &str, &str)]) -> Vec<LogLine> {
        lines
            .iter()
            .map(|(at, who, what)| LogLine {
                at: s(at),
                who: s(who),
                what: s(what),
            })
            .collect()
    }

    fn lane(label: &str, segments: &[(u64, u64, Segment)], end: Option<(u64, EndMark)>) -> Lane {
        Lane {
            label: s(label),
            segments: segments.to_vec(),
            end,
            signals: Vec::new(),
        }
    }

    fn keys() -> Vec<(String, String)> {
        [
            ("↑/↓", "select"),
            ("t", "SIGTERM"),
            ("T", "SIGTERM group"),
            ("i", "SIGINT group"),
            ("e", "stop event"),
            ("x", "SIGKILL"),
            ("X", "SIGKILL group"),
            ("g", "graceful stop"),
            ("s", "signal menu"),
            ("p", "stop/continue"),
            ("r", "restart"),
            ("c", "scenario"),
            ("o", "orphans"),
            ("?", "help"),
            ("q", "quit"),
        ]
        .iter()
        .map(|(k, l)| (s(k), s(l)))
        .collect()
    }

    #[rustfmt::skip]
    fn running_rows() -> Vec<Row> {
        use RowKind::*;
        vec![
            row((4120, 4110, 4120, 3300), ('S', "master", "waiting"), ("catch", "ign", "0.1s", "9.8M", "12s"), "python3 -m pool --workers 4", Member, None),
            row((4122, 4120, 4120, 3300), ('R', "worker-1", "busy #9"), ("catch", "ign", "2.9s", "8.2M", "12s"), "├─ python3 -m pool worker 1", Member, None),
            row((4123, 4120, 4120, 3300), ('S', "worker-2", "busy #10"), ("catch", "ign", "2.7s", "8.1M", "12s"), "├─ python3 -m pool worker 2", Member, None),
            row((4126, 4123, 4126, 4126), ('S', "grandchild", ""), ("dfl", "dfl", "0.0s", "1.1M", "8s"), "│  └─ sleep 600", OtherSession, None),
            row((4124, 4120, 4120, 3300), ('S', "worker-3", "busy #11"), ("catch", "ign", "2.2s", "8.2M", "12s"), "├─ python3 -m pool worker 3", Member, None),
            row((4125, 4120, 4120, 3300), ('R', "worker-4", "busy #12"), ("catch", "ign", "2.9s", "8.3M", "12s"), "└─ python3 -m pool worker 4", Member, None),
            row((4127, 4125, 4127, 3300), ('S', "child", ""), ("dfl", "dfl", "0.0s", "2.0M", "6s"), "   └─ sh -c 'sleep 300'", OtherGroup, None),
        ]
    }

    #[rustfmt::skip]
    fn running_lanes() -> Vec<Lane> {
        use Segment::*;
        let mut lanes = vec![
            lane("worker-1", &[(300, 400, Idle), (400, 12_400, Busy)], None),
            lane("worker-2", &[(300, 500, Idle), (500, 6100, Busy), (6100, 6300, Idle), (6300, 12_400, Busy)], None),
            lane("worker-3", &[(300, 400, Idle), (400, 5000, Busy), (5000, 7000, Stopped), (7000, 12_400, Busy)], None),
            lane("worker-4", &[(300, 600, Idle), (600, 12_400, Busy)], None),
        ];
        // worker-2 received SIGUSR1 at +6.0 s.
        lanes[1].signals = vec![6000];
        lanes
    }

    /// The graceful demo at +12.4 s: four busy workers, worker-3 was
    /// stopped and continued, worker-2 started a grandchild with setsid,
    /// worker-4 a child in its own group.
    fn running() -> Screen {
        Screen {
            header: Header {
                mode: s("demo"),
                subject: s("graceful"),
                pgid: Some(4120),
                sid: Some(3300),
                own_pid: 4100,
                own_pgid: 4100,
                keeper: Some(4101),
                events: s("events: kernel (with signal senders)"),
                stop_event: Some(s("clear")),
                tasks: Some((12, 0, Some(188))),
                stopping: None,
                elapsed: s("+12.4 s"),
            },
            rows: running_rows(),
            selected: Some(2),
            detail_toggled: false,
            holding: Vec::new(),
            log_paused: None,
            detail: Some(Detail {
                title: s("4123 worker-2 · python3 -m pool worker 2"),
                state: s("S sleeping (interruptible wait), in hrtimer_nanosleep"),
                masks: vec![
                    (s("pending"), s("")),
                    (s("shared"), s("")),
                    (s("blocked"), s("")),
                    (s("ignored"), s("SIGINT")),
                    (s("caught"), s("SIGTERM SIGUSR1")),
                ],
                threads: s("1"),
                stop_event: s("holds it (maps the shared block)"),
                phases: vec![
                    (s("+0.3 s"), s("idle")),
                    (s("+0.5 s"), s("busy #2")),
                    (s("+6.1 s"), s("idle")),
                    (s("+6.3 s"), s("busy #10")),
                ],
                signals: vec![(
                    s("+6.0 s"),
                    s("SIGUSR1 from 4120 (python3): queued, handler ran"),
                )],
                signals_unseen: String::new(),
                notes: vec![s(
                    "started 4126 with setsid at +4.0 s: it left the group and the session",
                )],
            }),
            lifelines: Lifelines {
                from_ms: 0,
                to_ms: 12_400,
                lanes: running_lanes(),
                total_lanes: running_lanes().len(),
                markers: vec![(5000, s("p")), (7000, s("p"))],
            },
            log: log(&[
                (
                    "+0.0 s",
                    "sigtree",
                    "started the pool: master 4120 leads group 4120",
                ),
                ("+0.3 s", "4120 master", "started 4 workers"),
                (
                    "+4.0 s",
                    "4123 worker-2",
                    "started 4126 with setsid (new session 4126)",
                ),
                ("+5.0 s", "you", "SIGSTOP to 4124 worker-3"),
                ("+5.0 s", "kernel", "4124 worker-3 stopped"),
                ("+6.0 s", "4125 worker-4", "started 4127 in its own group"),
                ("+7.0 s", "you", "SIGCONT to 4124 worker-3"),
                ("+12.1 s", "4122 worker-1", "task #9 started"),
            ]),
            keys: keys(),
            message: None,
            overlay: None,
            color: true,
            output: None,
        }
    }

    #[rustfmt::skip]
    fn stopping_rows() -> Vec<Row> {
        use RowKind::*;
        let gone = ("", "", "", "", "");
        vec![
            row((4120, 4110, 4120, 3300), ('-', "master", ""), gone, "python3 -m pool --workers 4", Ghost, Some("SIGKILL by escalation, was waiting for workers")),
            row((4121, 4100, 4121, 4121), ('S', "helper", ""), ("dfl", "dfl", "0.0s", "3.2M", "15s"), "├─ python3 -m pool helper", OtherSession, Some("leaked: left the group with setsid")),
            row((4128, 4121, 4121, 4121), ('Z', "helper", ""), ("dfl", "dfl", "0.0s", "0", "4s"), "│  └─ [python3] <defunct>", OtherSession, Some("zombie for 4 s, parent 4121 does not reap")),
            row((4122, 4120, 4120, 3300), ('-', "worker-1", ""), gone, "├─ python3 -m pool worker 1", Ghost, Some("exit 0, 1.2 s after stop event")),
            row((4123, 4120, 4120, 3300), ('-', "worker-2", ""), gone, "├─ python3 -m pool worker 2", Ghost, Some("exit 1, 2.6 s after stop event")),
            row((4124, 4120, 4120, 3300), ('-', "worker-3", ""), gone, "├─ python3 -m pool worker 3", Ghost, Some("SIGKILL by escalation, was cleaning up")),
            row((4125, 4120, 4120, 3300), ('-', "worker-4", ""), gone, "└─ python3 -m pool worker 4", Ghost, Some("died of SIGTERM")),
        ]
    }

    #[rustfmt::skip]
    fn stopping_lanes() -> Vec<Lane> {
        use EndMark::*;
        use Segment::*;
        vec![
            lane("helper", &[(300, 15_000, Idle)], Some((15_000, Leaked))),
            lane("worker-1", &[(300, 400, Idle), (400, 9000, Busy), (9000, 9800, Draining), (9800, 10_200, CleaningUp)], Some((10_200, Graceful))),
            lane("worker-2", &[(300, 500, Idle), (500, 9000, Busy), (9000, 11_000, Draining), (11_000, 11_600, CleaningUp)], Some((11_600, Unclean))),
            lane("worker-3", &[(300, 400, Idle), (400, 9000, Busy), (9000, 13_500, Draining), (13_500, 15_000, CleaningUp)], Some((15_000, Forced))),
            lane("worker-4", &[(300, 600, Idle), (600, 9000, Busy), (9000, 13_500, Draining)], Some((13_500, Signaled))),
        ]
    }

    /// The same pool at +15.2 s, during a graceful stop that had to
    /// escalate: ghosts saying how each process ended, a zombie nobody
    /// reaps, a helper that left the group and outlived its SIGKILL.
    fn stopping() -> Screen {
        Screen {
            header: Header {
                mode: s("demo"),
                subject: s("graceful"),
                pgid: Some(4120),
                sid: Some(3300),
                own_pid: 4100,
                own_pgid: 4100,
                keeper: Some(4101),
                events: s("events: lifecycle (senders need root)"),
                stop_event: Some(s("set at +9.0 s")),
                tasks: Some((14, 1, Some(0))),
                stopping: Some(s(
                    "graceful stop: group killed, SIGKILL to 4121 by pidfd next",
                )),
                elapsed: s("+15.2 s"),
            },
            rows: stopping_rows(),
            selected: Some(1),
            detail_toggled: false,
            log_paused: None,
            holding: vec![
                Holding {
                    pid: 4121,
                    role: s("helper"),
                    reason: s("left the group: in group 4121 now, which the group's signals miss"),
                },
                Holding {
                    pid: 4128,
                    role: s("helper-child"),
                    reason: s("zombie: exited, not reaped by its parent 4121"),
                },
            ],
            detail: Some(Detail {
                title: s("4121 helper · python3 -m pool helper"),
                state: s("S sleeping (interruptible wait), in hrtimer_nanosleep"),
                masks: vec![
                    (s("pending"), s("SIGCHLD")),
                    (s("shared"), s("")),
                    (s("blocked"), s("SIGCHLD")),
                    (s("ignored"), s("")),
                    (s("caught"), s("")),
                ],
                threads: s("1"),
                stop_event: s("does not hold it"),
                phases: vec![
                    (s("+0.3 s"), s("idle")),
                    (s("+2.0 s"), s("setsid: session 4121")),
                ],
                signals: Vec::new(),
                signals_unseen: s("senders unseen: needs root"),
                notes: vec![
                    s("escaped the group at +2.0 s (setsid)"),
                    s("orphan: re-parented to sigtree (subreaper) at +15.0 s"),
                    s("leaked: alive after the group's SIGKILL at +15.0 s"),
                ],
            }),
            lifelines: Lifelines {
                from_ms: 0,
                to_ms: 15_200,
                lanes: stopping_lanes(),
                total_lanes: stopping_lanes().len(),
                markers: vec![(9000, s("g"))],
            },
            log: log(&[
                ("+9.0 s", "you", "graceful stop: set the stop event"),
                ("+10.2 s", "4122 worker-1", "exit 0, 1.2 s after stop event"),
                (
                    "+11.2 s",
                    "4128 helper",
                    "exited; parent 4121 does not reap it",
                ),
                ("+11.6 s", "4123 worker-2", "exit 1, 2.6 s after stop event"),
                ("+13.5 s", "sigtree", "SIGTERM to group 4120, then SIGCONT"),
                ("+13.5 s", "4125 worker-4", "died of SIGTERM"),
                ("+15.0 s", "sigtree", "SIGKILL to group 4120"),
                (
                    "+15.0 s",
                    "4124 worker-3",
                    "SIGKILL by escalation, was cleaning up",
                ),
                ("+15.0 s", "4120 master", "SIGKILL by escalation"),
                (
                    "+15.1 s",
                    "4121 helper",
                    "alive after the group's SIGKILL: leaked",
                ),
            ]),
            keys: keys(),
            message: Some(s(
                "4121 left the group: SIGKILL to group 4120 did not reach it",
            )),
            overlay: None,
            color: true,
            output: None,
        }
    }

    #[test]
    fn running_demo_large() {
        insta::assert_snapshot!(frame(&running(), 140, 40).backend());
    }

    /// Run mode: the output pane beside the event log.
    #[test]
    fn run_mode_with_output() {
        let screen = Screen {
            header: Header {
                mode: s("run"),
                subject: s("python3 examples/python/manager_event.py"),
                stop_event: None,
                tasks: None,
                ..running().header
            },
            output: Some(crate::tui::screen::OutputPane {
                lines: (1..=40)
                    .map(|i| format!("worker {} finished task {i}", i % 4))
                    .collect(),
                total: 40,
                scrolled: 0,
            }),
            ..running()
        };
        insta::assert_snapshot!(frame(&screen, 140, 40).backend());
    }

    #[test]
    fn stopping_large() {
        insta::assert_snapshot!(frame(&stopping(), 140, 40).backend());
    }

    #[test]
    fn stopping_smallest() {
        insta::assert_snapshot!(frame(&stopping(), 80, 24).backend());
    }

    #[test]
    fn stopping_without_colour() {
        let screen = Screen {
            color: false,
            ..stopping()
        };
        let terminal = frame(&screen, 140, 40);
        for cell in &terminal.backend().buffer().content {
            assert_eq!(cell.fg, Color::Reset, "{cell:?}");
            assert_eq!(cell.bg, Color::Reset, "{cell:?}");
        }
        insta::assert_snapshot!(terminal.backend());
    }

    #[test]
    fn colour_marks_row_kinds() {
        let terminal = frame(&stopping(), 140, 40);
        let buffer = terminal.backend().buffer();
        // The zombie row (line 5: header 2, title, column titles, master,
        // helper) is red; the ghost master row is dark gray.
        assert_eq!(buffer[(3, 6)].fg, Color::Red);
        assert_eq!(buffer[(3, 4)].fg, Color::DarkGray);
        // The selected row (the helper, line 5) is reversed, across the
        // whole table.
        for x in 0..80 {
            assert!(
                buffer[(x, 5)].modifier.contains(Modifier::REVERSED),
                "x {x}"
            );
        }
        assert!(!buffer[(0, 4)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn help_overlay() {
        let screen = Screen {
            overlay: Some(Overlay::Help {
                scroll: 0,
                explanation: s(
                    "graceful: every worker catches SIGTERM and watches the stop event. \
                     Press e to set the event: each worker finishes its task, cleans up \
                     and exits 0. Press T instead to see the same through SIGTERM, or \
                     X to see what SIGKILL cuts short.",
                ),
            }),
            ..running()
        };
        insta::assert_snapshot!(frame(&screen, 140, 40).backend());
    }

    #[test]
    fn signal_menu_overlay() {
        let screen = Screen {
            overlay: Some(Overlay::SignalMenu(SignalMenu {
                signal: s("SIGUSR1 (10)"),
                input: s("usr1"),
                target: s("group 4120 (5 processes; 4126 and 4127 are not in it)"),
                effects: vec![
                    (4120, s("master"), s("caught: its handler runs")),
                    (4122, s("worker-1"), s("caught: its handler runs")),
                    (
                        4123,
                        s("worker-2"),
                        s(
                            "caught: its handler runs (SIGUSR1 prints the task it works on, \
                           then the worker goes on)",
                        ),
                    ),
                    (
                        4124,
                        s("worker-3"),
                        s("stopped: stays pending until SIGCONT, then the handler runs"),
                    ),
                    (4125, s("worker-4"), s("default action: terminates")),
                ],
                unreachable: None,
            })),
            ..running()
        };
        insta::assert_snapshot!(frame(&screen, 140, 40).backend());
    }

    #[test]
    fn orphans_overlay() {
        let screen = Screen {
            overlay: Some(Overlay::Orphans(OrphansView {
                witnessed: vec![(4121, s("4120 python3 -m pool --workers 4"), 4100)],
                likely: vec![
                    (5012, 3301, s("tail -f /var/log/syslog")),
                    (5090, 3301, s("ssh-agent -s")),
                ],
                groups: vec![(5012, s("5012 5013"), s("5013"))],
                zombies: vec![
                    (4128, s("4 s"), 4121, s("python3 -m pool helper")),
                    (6001, s("2 h"), 1200, s("cron")),
                ],
                selected: 2,
                scanning: false,
            })),
            ..stopping()
        };
        insta::assert_snapshot!(frame(&screen, 140, 40).backend());
    }

    #[test]
    fn scenarios_overlay() {
        let screen = Screen {
            overlay: Some(Overlay::Choose {
                title: "choose a scenario".into(),
                entries: vec![
                    (s("graceful"), s("every worker drains on the stop event")),
                    (
                        s("blocked-wait"),
                        s("the master acts on SIGTERM only after its wait"),
                    ),
                    (
                        s("ignore-term"),
                        s("a worker ignores SIGTERM: escalation kills it"),
                    ),
                    (s("escape"), s("a grandchild leaves the group with setsid")),
                ],
                selected: 2,
                about: s("tells its story with: e → graceful · T → forced · X → terminated"),
            }),
            ..running()
        };
        insta::assert_snapshot!(frame(&screen, 80, 24).backend());
    }

    #[test]
    fn confirm_overlay() {
        let screen = Screen {
            overlay: Some(Overlay::Confirm {
                question: s("Send SIGTERM to group 3300 (bash 3300, vim 3410, make 3502)?"),
            }),
            ..running()
        };
        insta::assert_snapshot!(frame(&screen, 80, 24).backend());
    }

    #[test]
    fn too_small_shows_only_the_notice() {
        insta::assert_snapshot!(frame(&running(), 79, 24).backend());
    }
}
