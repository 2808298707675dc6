//! The terminal, given back on every path sigtree can see: a guard whose
//! enter and leave are idempotent, restored on drop, on error, and by a
//! panic hook before the previous hook prints.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::{cursor, event, execute, terminal};

/// Whether the terminal is in sigtree's modes now (raw, alternate screen).
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Where the event loop draws, and what it does to the terminal around
/// Ctrl-Z, SIGCONT and Ctrl-L: the real terminal ([`TerminalGuard`]), or a
/// bare ratatui [`Terminal`] over any backend (a test's `TestBackend`).
pub trait Display {
    /// The ratatui backend drawn on.
    type Backend: Backend;

    /// The ratatui terminal to draw on.
    fn terminal(&mut self) -> &mut Terminal<Self::Backend>;

    /// Gives the terminal back for a while (Ctrl-Z).
    fn suspend(&mut self) -> io::Result<()>;

    /// Takes it again after SIGCONT and repaints everything.
    fn resume(&mut self) -> io::Result<()>;

    /// Forgets what is on screen, so that the next frame is drawn whole
    /// (Ctrl-L, SIGCONT).
    fn repaint(&mut self) -> io::Result<()>;
}

impl Display for TerminalGuard {
    type Backend = CrosstermBackend<Stdout>;

    fn terminal(&mut self) -> &mut Terminal<Self::Backend> {
        &mut self.terminal
    }

    fn suspend(&mut self) -> io::Result<()> {
        leave_modes()
    }

    fn resume(&mut self) -> io::Result<()> {
        enter_modes()?;
        self.repaint()
    }

    fn repaint(&mut self) -> io::Result<()> {
        execute!(io::stdout(), terminal::Clear(terminal::ClearType::All))?;
        self.terminal = fresh_terminal()?;
        Ok(())
    }
}

/// A bare terminal has no modes to leave or enter: repainting clears it.
impl<B: Backend> Display for Terminal<B> {
    type Backend = B;

    fn terminal(&mut self) -> &mut Terminal<B> {
        self
    }

    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn resume(&mut self) -> io::Result<()> {
        self.repaint()
    }

    fn repaint(&mut self) -> io::Result<()> {
        self.clear()
            .map_err(|error| io::Error::other(error.to_string()))
    }
}

/// The terminal in raw mode on the alternate screen, while this lives.
pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, and installs the panic
    /// hook that restores them.
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enter_modes()?;
        Ok(Self {
            terminal: fresh_terminal()?,
        })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Err(error) = leave_modes() {
            eprintln!("sigtree: could not restore the terminal: {error}");
        }
    }
}

/// A full-screen terminal with empty buffers. (`Terminal::clear` would ask
/// the terminal for the cursor position, which needs an answer on stdin that
/// the input thread may take first.)
fn fresh_terminal() -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

fn enter_modes() -> io::Result<()> {
    if ENTERED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    terminal::enable_raw_mode()?;
    execute!(
        io::stdout(),
        terminal::EnterAlternateScreen,
        terminal::Clear(terminal::ClearType::All),
        event::EnableMouseCapture,
        cursor::Hide
    )
}

/// Leaves raw mode and the alternate screen; does nothing when not entered.
pub fn leave_modes() -> io::Result<()> {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let mut stdout = io::stdout();
    let screen = execute!(
        stdout,
        event::DisableMouseCapture,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let raw = terminal::disable_raw_mode();
    stdout.flush()?;
    screen.and(raw)
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = leave_modes();
        previous(info);
    }));
}
