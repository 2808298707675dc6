//! The one loop of the TUI, over the engine's one event source: keys (an
//! input thread reads the terminal), signals to sigtree (TERM, HUP, INT,
//! QUIT, TSTP, CONT), the run's news, and deadlines — the stop's next step,
//! the 4 Hz refresh, the next frame. The main thread alone touches the
//! terminal, and redraws only when something changed, at most every
//! [`FRAME`]. The loop is generic over the display: a test drives the real
//! app on ratatui's `TestBackend` and posts its keys.

use std::io::IsTerminal;
use std::time::Instant;

use anyhow::{Context as _, anyhow, bail};
use ratatui::crossterm::event::{self, Event as TermEvent, MouseButton, MouseEventKind};
use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};

use super::app::{App, AppOptions};
use super::input::{UserAction, popup_key, table_action, terminal_action};
use super::state::{Popup, Quit};
use super::terminal::{Display, TerminalGuard};
use super::view::Now;
use crate::engine::events::{Deadline, Event, Events, Poster};
use crate::sys::process::signal_self;

/// Environment variable that makes the TUI panic after its first frame:
/// lets tests check that a panic restores the terminal and ends the pool.
pub const TEST_PANIC_ENV: &str = "SIGTREE_TEST_PANIC";

/// The TUI's event source: terminal events as input, its deadlines.
pub type TuiEvents = Events<TermEvent, Due>;

/// Why the TUI cannot run: stdout is not a terminal.
#[derive(Debug)]
pub struct NotATerminal;

impl std::fmt::Display for NotATerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the TUI needs a terminal on stdout; for a one-shot listing use `sigtree ps`, \
             for a headless stop test `sigtree check`",
        )
    }
}

impl std::error::Error for NotATerminal {}

/// Runs the TUI (demo or run) until the user quits.
pub fn run_tui(options: AppOptions) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(NotATerminal);
    }
    let mut app = App::start(options)?;
    let result = on_the_terminal(&mut app);
    app.shut_down();
    result
}

/// Runs the event loop on the real terminal, its input and signals.
fn on_the_terminal(app: &mut App) -> anyhow::Result<()> {
    let mut events = TuiEvents::new().context("cannot set up the event source")?;
    spawn_input(events.poster())?;
    events
        .catch_signals(&[SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGCONT])
        .context("cannot install signal handlers")?;
    // Lent before raw mode, so that the keeper keeps the settings to restore.
    app.run_mut().lend_terminal(true);
    let mut guard = TerminalGuard::enter().context("cannot set up the terminal")?;
    let result = drive(app, &mut guard, &mut events);
    drop(guard);
    app.run_mut().lend_terminal(false);
    result
}

/// The loop: draws on `display` when something changed, takes the next
/// event (input, a signal, the run's news, a deadline) and handles it,
/// until the app quits. A test drives the real app on a
/// [`ratatui::backend::TestBackend`] and posts its keys to `events`.
pub fn drive<D: Display>(
    app: &mut App,
    display: &mut D,
    events: &mut TuiEvents,
) -> anyhow::Result<()> {
    let panic_after_first_frame = std::env::var_os(TEST_PANIC_ENV).is_some();
    // The shortest time since the last frame before the next one: FRAME
    // after what the user did, NEWS_FRAME after what the run did; none
    // when the screen is up to date.
    let mut wanted = Some(FRAME);
    let mut seen = (0, 0);
    let mut last_frame: Option<Instant> = None;
    while app.quit() != Quit::Now {
        if let Some(gap) = wanted
            && last_frame.is_none_or(|at| at.elapsed() >= gap)
        {
            last_frame = Some(Instant::now());
            let screen = app.frame(&Now::read());
            display
                .terminal()
                .draw(|frame| app.ui.table_rows = super::draw::draw(frame, &screen))
                .map_err(|error| anyhow!("cannot draw: {error}"))?;
            wanted = None;
            if panic_after_first_frame {
                panic!("{TEST_PANIC_ENV} is set: panicking after the first frame, as asked");
            }
        }
        let next_frame = wanted.zip(last_frame).map(|(gap, at)| at + gap);
        let deadlines = deadlines(app, next_frame);
        match events.next(app.run_mut(), &deadlines) {
            Event::Input(input) => {
                let changed = handle(app, display, input)?;
                want(&mut wanted, FRAME, changed);
            }
            Event::Signal(signal) => {
                let changed = on_signal(app, display, signal)?;
                want(&mut wanted, FRAME, changed);
            }
            Event::News => {
                let news = (
                    app.run_mut().watch.revision(),
                    app.run_mut().watch.alive().len(),
                );
                let changed = news != seen;
                seen = news;
                want(&mut wanted, NEWS_FRAME, changed);
                // The run may have ended: the stop is then done.
                let stopped = app.advance_stop();
                want(&mut wanted, FRAME, stopped);
            }
            Event::Due(Due::Stop) => {
                let changed = app.advance_stop();
                want(&mut wanted, FRAME, changed);
            }
            Event::Due(Due::Refresh) => {
                let changed = app.on_tick();
                want(&mut wanted, NEWS_FRAME, changed);
            }
            Event::Due(Due::Frame) => {}
        }
    }
    Ok(())
}

/// A frame is wanted `gap` after the last one, if `changed` (the sooner of
/// two wishes wins).
fn want(wanted: &mut Option<std::time::Duration>, gap: std::time::Duration, changed: bool) {
    if changed {
        *wanted = Some(wanted.map_or(gap, |was| was.min(gap)));
    }
}

/// The TUI's deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// The stop sequence's current step ends.
    Stop,
    /// The rows are re-read ([`App::next_refresh`]).
    Refresh,
    /// A pending change can be drawn ([`FRAME`] or [`NEWS_FRAME`] after
    /// the last frame).
    Frame,
}

/// What the loop waits for besides input and news: the refresh, the stop's
/// step, and the next frame when a change waits for one.
fn deadlines(app: &App, next_frame: Option<Instant>) -> Vec<Deadline<Due>> {
    let refresh = Deadline {
        at: app.next_refresh(),
        what: Due::Refresh,
    };
    let stop = app.stop_deadline().map(|at| Deadline {
        at,
        what: Due::Stop,
    });
    let frame = next_frame.map(|at| Deadline {
        at,
        what: Due::Frame,
    });
    [Some(refresh), stop, frame].into_iter().flatten().collect()
}

/// The shortest time between two frames after a key: the screen answers
/// the user at up to 30 frames a second.
const FRAME: std::time::Duration = std::time::Duration::from_millis(33);

/// The shortest time between two frames for the run's own news: a busy
/// pool changes the model thousands of times a second, the screen follows
/// 10 times.
const NEWS_FRAME: std::time::Duration = std::time::Duration::from_millis(100);

/// Handles one event; true when the screen must be redrawn.
fn handle(app: &mut App, display: &mut impl Display, event: TermEvent) -> anyhow::Result<bool> {
    match event {
        TermEvent::Key(key) => {
            // Terminal keys first, then the popup, then the table.
            let terminal = terminal_action(key);
            if let (None, Some(popup)) = (terminal, &app.ui.popup) {
                let question = matches!(popup, Popup::Confirm(_));
                if let Some(key) = popup_key(key, question) {
                    app.popup_key(key);
                }
                return Ok(true);
            }
            match terminal.or_else(|| table_action(key)) {
                Some(UserAction::Suspend) => suspend(app, display)?,
                Some(UserAction::Redraw) => display.repaint()?,
                Some(action) => app.act(action),
                None => return Ok(false),
            }
        }
        TermEvent::Mouse(mouse) => {
            if let MouseEventKind::Down(MouseButton::Left) = mouse.kind {
                select_clicked_row(app, mouse.column, mouse.row);
            } else {
                return Ok(false);
            }
        }
        _ => {}
    }
    Ok(true)
}

/// Handles a signal sent to sigtree; true when the screen must be redrawn.
fn on_signal(app: &mut App, display: &mut impl Display, signal: i32) -> anyhow::Result<bool> {
    match signal {
        SIGTSTP => suspend(app, display)?,
        SIGCONT => {
            app.run_mut().lend_terminal(true);
            display.resume()?;
        }
        _ => app.act(UserAction::Quit),
    }
    Ok(true)
}

/// Ctrl-Z or SIGTSTP: give the terminal back, then stop. SIGSTOP, because
/// the kernel discards SIGTSTP for a process in an orphaned process group
/// (POSIX job control: orphaned process groups), and sigtree's own handler has replaced TSTP's default.
/// The terminal is taken back from the keeper once it is restored: a
/// SIGKILL while stopped must not make the keeper write into the shell.
fn suspend(app: &mut App, display: &mut impl Display) -> anyhow::Result<()> {
    display.suspend()?;
    app.run_mut().lend_terminal(false);
    signal_self(libc::SIGSTOP)?;
    Ok(())
}

/// A click on a table row selects it, counting from the first row the
/// table shows (it scrolls to keep the selection visible).
fn select_clicked_row(app: &mut App, column: u16, row: u16) {
    let ui = &mut app.ui;
    let Some(rows) = ui.table_rows else { return };
    if !rows.contains(ratatui::layout::Position { x: column, y: row }) {
        return;
    }
    let selected = ui
        .selected
        .and_then(|pid| ui.order.iter().position(|p| *p == pid));
    let first = super::widgets::table::first_visible(selected, usize::from(rows.height));
    if let Some(pid) = ui.order.get(first + usize::from(row - rows.y)) {
        ui.selected = Some(*pid);
    }
}

fn spawn_input(poster: Poster<TermEvent, Due>) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            while let Ok(event) = event::read() {
                if !poster.post(event) {
                    return;
                }
            }
        })
        .context("cannot start the input thread")?;
    Ok(())
}
