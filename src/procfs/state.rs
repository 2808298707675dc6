//! The one-letter process state of `/proc/PID/stat` and what it means.

use serde::{Serialize, Serializer};

/// A process state letter as the kernel reports it (proc(5), field 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProcessState(char);

impl ProcessState {
    /// Wraps a state letter; any letter is kept, unknown ones say so.
    pub const fn new(letter: char) -> Self {
        Self(letter)
    }

    /// The letter, as `ps` prints it in its S column.
    pub const fn letter(self) -> char {
        self.0
    }

    /// What the letter means, in the words of proc(5).
    pub fn meaning(self) -> &'static str {
        match self.0 {
            'R' => "running",
            'S' => "sleeping (interruptible wait)",
            'D' => "disk sleep (uninterruptible wait)",
            'Z' => "zombie",
            'T' => "stopped (on a signal)",
            't' => "tracing stop",
            'X' | 'x' => "dead",
            'I' => "idle (kernel thread)",
            'P' => "parked",
            'W' => "waking",
            'K' => "wakekill",
            _ => "unknown state",
        }
    }

    /// True for a zombie: it exited and its parent has not waited for it.
    pub const fn is_zombie(self) -> bool {
        self.0 == 'Z'
    }

    /// True when stopped by a signal or by a tracer: it acts on no signal but
    /// SIGKILL until continued.
    pub const fn is_stopped(self) -> bool {
        matches!(self.0, 'T' | 't')
    }
}

impl Serialize for ProcessState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_char(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_have_meanings_and_flags() {
        assert_eq!(ProcessState::new('Z').meaning(), "zombie");
        assert!(ProcessState::new('Z').is_zombie());
        assert!(ProcessState::new('T').is_stopped());
        assert!(ProcessState::new('t').is_stopped());
        assert!(!ProcessState::new('S').is_stopped());
        assert_eq!(ProcessState::new('?').meaning(), "unknown state");
        assert_eq!(
            serde_json::to_string(&ProcessState::new('D'))
                .ok()
                .as_deref(),
            Some("\"D\"")
        );
    }
}
