//! Wait statuses: how a process ended.

use serde::Serialize;

/// How a process ended, decoded from a wait status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Ending {
    /// It called exit with this code.
    Exited(i32),
    /// It died of this signal.
    Signaled(i32),
}

impl Ending {
    /// Decodes a raw wait status (as waitpid or PIDFD_INFO_EXIT give it).
    pub fn from_wait_status(status: i32) -> Self {
        if libc::WIFSIGNALED(status) {
            Self::Signaled(libc::WTERMSIG(status))
        } else {
            Self::Exited(libc::WEXITSTATUS(status))
        }
    }

    /// The raw wait status this ending stands for (no core-dump bit).
    pub fn to_wait_status(self) -> i32 {
        match self {
            Self::Exited(code) => (code & 0xff) << 8,
            Self::Signaled(signal) => signal & 0x7f,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decode() {
        assert_eq!(Ending::from_wait_status(0), Ending::Exited(0));
        assert_eq!(Ending::from_wait_status(3 << 8), Ending::Exited(3));
        assert_eq!(Ending::from_wait_status(15), Ending::Signaled(15));
        assert_eq!(
            Ending::from_wait_status(0x80 | 11),
            Ending::Signaled(11),
            "core dumped"
        );
        for ending in [Ending::Exited(0), Ending::Exited(143), Ending::Signaled(9)] {
            assert_eq!(Ending::from_wait_status(ending.to_wait_status()), ending);
        }
    }
}
