//! The terminal the TUI lends the keeper while it draws on it: if sigtree
//! dies without giving it back (SIGKILL), the keeper restores what it can —
//! leaves the alternate screen, shows the cursor, stops mouse reporting,
//! and puts back the settings the terminal had before the TUI took it.
//! Only a terminal is ever written to: never a pipe, a file or a log.

use std::os::fd::{AsFd, OwnedFd};

use rustix::termios::isatty;

/// What undoes the TUI's modes: mouse reporting off (every mode crossterm
/// turns on), the main screen back, the cursor shown.
const RESTORE: &[u8] =
    b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?1049l\x1b[?25h";

/// A terminal lent by sigtree, with its settings from before the TUI.
#[derive(Debug)]
pub struct LentTerminal {
    fd: OwnedFd,
    /// Its settings before the TUI set raw mode, as sigtree read them.
    settings: Vec<u8>,
}

impl LentTerminal {
    /// Takes `fd` if it is a terminal, with the `settings` sigtree read
    /// from it before it entered raw mode.
    pub fn take(fd: OwnedFd, settings: Vec<u8>) -> Option<Self> {
        isatty(&fd).then_some(Self { fd, settings })
    }

    /// Restores the terminal after sigtree's death.
    pub fn restore(self) {
        let _ = crate::sys::tty::apply(self.fd.as_fd(), &self.settings);
        let mut left = RESTORE;
        while !left.is_empty() {
            match rustix::io::write(&self.fd, left) {
                Ok(0) | Err(_) => return,
                Ok(n) => left = &left[n..],
            }
        }
    }
}
