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

    /// Decodes what `std::process::Child` reports.
    pub fn from_exit_status(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        Self::from_wait_status(status.into_raw())
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
        assert_eq!(Ending::from_wait_status(143 << 8), Ending::Exited(143));
        assert_eq!(Ending::from_wait_status(9), Ending::Signaled(9));
    }
}
