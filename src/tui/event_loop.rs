//! The one loop of the TUI. An input thread reads the terminal and a signal
//! thread (signal-hook) catches TERM, HUP, INT, QUIT, TSTP and CONT; both
//! send into one channel and poke a wake pipe. The main thread alone touches
//! the terminal: it waits on the pool's pidfds, its status channel and the
//! wake pipe (with a timeout for the 4 Hz refresh), handles what arrived,
//! and redraws only when something changed.

use std::io::IsTerminal;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use anyhow::{Context as _, anyhow, bail};
use ratatui::crossterm::event::{self, Event as TermEvent, MouseButton, MouseEventKind};
use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP};
use signal_hook::iterator::Signals;

use super::app::{App, AppOptions, REFRESH};
use super::input::{UserAction, popup_key, table_action, terminal_action};
use super::state::{Popup, Quit};
use super::terminal::{Display, TerminalGuard};
use super::view::Now;
use crate::sys::fds;
use crate::sys::process::signal_self;

/// Environment variable that makes the TUI panic after its first frame:
/// lets tests check that a panic restores the terminal and ends the pool.
pub const TEST_PANIC_ENV: &str = "SIGTREE_TEST_PANIC";

/// What reaches the main thread.
#[derive(Clone, Debug)]
pub enum Event {
    /// A key, mouse or resize event.
    Terminal(TermEvent),
    /// A signal sent to sigtree.
    Signal(i32),
}

/// Where events wait for the main thread: a channel, and a pipe that wakes
/// the session's wait when something was sent.
pub struct Inbox {
    events: Receiver<Event>,
    wake: OwnedFd,
}

/// The sending side of an [`Inbox`]: the input and signal threads post
/// through it (a test, its keys).
#[derive(Clone)]
pub struct Poster {
    sender: Sender<Event>,
    poke: Arc<OwnedFd>,
}

impl Inbox {
    /// An empty inbox and its sending side.
    pub fn new() -> anyhow::Result<(Self, Poster)> {
        let (sender, events) = mpsc::channel();
        let (wake, poke) = fds::pipe()?;
        fds::set_nonblocking(wake.as_fd())?;
        fds::set_nonblocking(poke.as_fd())?;
        let poster = Poster {
            sender,
            poke: Arc::new(poke),
        };
        Ok((Self { events, wake }, poster))
    }
}

impl Poster {
    /// Sends `event` and wakes the main thread; false once the inbox is gone.
    pub fn post(&self, event: Event) -> bool {
        if self.sender.send(event).is_err() {
            return false;
        }
        let _ = rustix::io::write(&*self.poke, &[1]);
        true
    }
}

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
    let (inbox, poster) = Inbox::new()?;
    spawn_input(poster.clone())?;
    spawn_signals(poster)?;
    // Lent before raw mode, so that the keeper keeps the settings to restore.
    app.run_mut().lend_terminal(true);
    let mut guard = TerminalGuard::enter().context("cannot set up the terminal")?;
    let result = drive(app, &mut guard, &inbox);
    drop(guard);
    app.run_mut().lend_terminal(false);
    result
}

/// The loop: draws on `display` when something changed, waits on the
/// session and the inbox, handles what arrived, until the app quits.
/// Generic over the ratatui backend: a test drives the real app on a
/// [`ratatui::backend::TestBackend`] and posts its keys to `inbox`.
pub fn drive<D: Display>(app: &mut App, display: &mut D, inbox: &Inbox) -> anyhow::Result<()> {
    let Inbox { events, wake } = inbox;
    let panic_after_first_frame = std::env::var_os(TEST_PANIC_ENV).is_some();
    let mut dirty = true;
    let mut seen = (0, 0);
    let mut last_refresh = Instant::now();
    let mut last_frame: Option<Instant> = None;
    while app.quit() != Quit::Now {
        if dirty && last_frame.is_none_or(|at| at.elapsed() >= FRAME) {
            last_frame = Some(Instant::now());
            let screen = app.frame(&Now::read());
            display
                .terminal()
                .draw(|frame| app.ui.table_rows = super::draw::draw(frame, &screen))
                .map_err(|error| anyhow!("cannot draw: {error}"))?;
            dirty = false;
            if panic_after_first_frame {
                panic!("{TEST_PANIC_ENV} is set: panicking after the first frame, as asked");
            }
        }
        let mut wait = REFRESH.saturating_sub(last_refresh.elapsed());
        if let (true, Some(at)) = (dirty, last_frame) {
            // A change waits for the next frame, not for the next refresh.
            wait = wait.min(FRAME.saturating_sub(at.elapsed()));
        }
        app.run_mut().tick(wait, Some(wake.as_fd()));
        drain(wake);
        for event in events.try_iter() {
            dirty |= handle(app, display, event)?;
        }
        let news = (
            app.run_mut().watch.logged(),
            app.run_mut().watch.alive().len(),
        );
        if news != seen {
            seen = news;
            dirty = true;
        }
        if last_refresh.elapsed() >= REFRESH || dirty {
            dirty |= app.on_tick();
            if last_refresh.elapsed() >= REFRESH {
                last_refresh = Instant::now();
            }
        }
    }
    Ok(())
}

/// The shortest time between two frames: a busy pool changes the model
/// thousands of times a second, the screen follows at most 30 times.
const FRAME: std::time::Duration = std::time::Duration::from_millis(33);

/// Handles one event; true when the screen must be redrawn.
fn handle(app: &mut App, display: &mut impl Display, event: Event) -> anyhow::Result<bool> {
    match event {
        Event::Terminal(TermEvent::Key(key)) => {
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
        Event::Terminal(TermEvent::Mouse(mouse)) => {
            if let MouseEventKind::Down(MouseButton::Left) = mouse.kind {
                select_clicked_row(app, mouse.column, mouse.row);
            } else {
                return Ok(false);
            }
        }
        Event::Terminal(_) => {}
        Event::Signal(SIGTSTP) => suspend(app, display)?,
        Event::Signal(SIGCONT) => {
            app.run_mut().lend_terminal(true);
            display.resume()?;
        }
        Event::Signal(_) => app.act(UserAction::Quit),
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

fn spawn_input(poster: Poster) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            while let Ok(event) = event::read() {
                if !poster.post(Event::Terminal(event)) {
                    return;
                }
            }
        })
        .context("cannot start the input thread")?;
    Ok(())
}

fn spawn_signals(poster: Poster) -> anyhow::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGCONT])
        .context("cannot install signal handlers")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if !poster.post(Event::Signal(signal)) {
                    return;
                }
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// Empties the wake pipe.
fn drain(wake: &OwnedFd) {
    let mut buf = [0u8; 64];
    while matches!(rustix::io::read(wake, &mut buf), Ok(n) if n > 0) {}
}
