//! pidfds: signalling a process without the pid-reuse race, and learning its
//! exit status from the kernel whoever reaped it (linux/pidfd.h).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use rustix::process::{Pid, PidfdFlags, pidfd_open};

use super::wait::Ending;

/// An open pidfd and the pid it was opened for.
#[derive(Debug)]
pub struct PidFd {
    fd: OwnedFd,
    pid: i32,
}

/// What PIDFD_GET_INFO says about a process's exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitInfo {
    /// Reaped: its wait status is known.
    Ended(Ending),
    /// Still running, or a zombie not reaped yet.
    NotYet,
    /// The kernel has no PIDFD_INFO_EXIT (before 6.15): fall back.
    Unsupported,
}

/// `struct pidfd_info` of include/uapi/linux/pidfd.h, 64 bytes.
#[repr(C)]
#[derive(Default)]
struct PidfdInfo {
    mask: u64,
    cgroupid: u64,
    ids: [u32; 11],
    exit_code: i32,
}

const PIDFD_INFO_EXIT: u64 = 1 << 3;
/// include/uapi/linux/pidfd.h.
const PIDFD_SIGNAL_PROCESS_GROUP: libc::c_uint = 1 << 2;
/// `_IOWR(0xFF, 11, struct pidfd_info)`.
const PIDFD_GET_INFO: libc::c_ulong =
    (3 << 30) | ((std::mem::size_of::<PidfdInfo>() as libc::c_ulong) << 16) | (0xFF << 8) | 11;

impl PidFd {
    /// Opens a pidfd for `pid`. The caller checks the process is still the
    /// one it meant (start time), since pids are reused.
    pub fn open(pid: i32) -> io::Result<Self> {
        let raw = Pid::from_raw(pid).ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))?;
        let fd = pidfd_open(raw, PidfdFlags::empty())?;
        Ok(Self { fd, pid })
    }

    /// The pid this pidfd refers to.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Its pid as /proc counts it (another pid namespace's numbering when
    /// this process is in a pid namespace under a /proc of its parent's);
    /// none once the process is gone.
    pub fn pid_in_proc(&self) -> Option<i32> {
        pid_in_fdinfo(&self.fd)
    }

    /// Sends signal number `signal` (1..=64, real-time ones included).
    pub fn send_signal(&self, signal: i32) -> io::Result<()> {
        self.send_signal_with(signal, 0)
    }

    /// Sends `signal` to the process group whose id is this pidfd's pid
    /// (PIDFD_SIGNAL_PROCESS_GROUP, Linux 6.9): it reaches the members after
    /// the leader was reaped, and fails with ESRCH once the group is empty,
    /// so it never hits a newer group that reused the number (FACTS 10b).
    /// EINVAL: the kernel has no such flag.
    pub fn send_signal_to_group(&self, signal: i32) -> io::Result<()> {
        self.send_signal_with(signal, PIDFD_SIGNAL_PROCESS_GROUP)
    }

    fn send_signal_with(&self, signal: i32, flags: libc::c_uint) -> io::Result<()> {
        // SAFETY: pidfd_send_signal reads only its integer arguments; info is
        // NULL (the kernel fills in a SI_USER siginfo).
        let result = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                flags,
            )
        };
        if result == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Whether the process still runs: its pidfd is not readable yet (a
    /// zombie's is).
    pub fn is_running(&self) -> bool {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        matches!(poll(&mut fds, Some(&zero)), Ok(0))
    }

    /// The exit status, once the process has been reaped by anyone.
    pub fn exit_info(&self) -> ExitInfo {
        let mut info = PidfdInfo {
            mask: PIDFD_INFO_EXIT,
            ..PidfdInfo::default()
        };
        // SAFETY: the ioctl writes at most size_of::<PidfdInfo>() bytes (the
        // size is encoded in the request) into `info`, which lives across the call.
        let result = unsafe { libc::ioctl(self.fd.as_raw_fd(), PIDFD_GET_INFO, &mut info) };
        if result != 0 {
            return match io::Error::last_os_error().raw_os_error() {
                Some(libc::ENOTTY | libc::EINVAL | libc::EOPNOTSUPP) => ExitInfo::Unsupported,
                // ESRCH: reaped before PIDFD_INFO_EXIT could be recorded for us.
                _ => ExitInfo::NotYet,
            };
        }
        if info.mask & PIDFD_INFO_EXIT == 0 {
            ExitInfo::NotYet
        } else {
            ExitInfo::Ended(Ending::from_wait_status(info.exit_code))
        }
    }
}

/// Whether this kernel gives exit statuses through pidfds (PIDFD_INFO_EXIT,
/// Linux 6.15): asked once, of a pidfd of this very process.
pub fn exit_info_supported() -> bool {
    static SUPPORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        PidFd::open(std::process::id() as i32)
            .is_ok_and(|own| own.exit_info() != ExitInfo::Unsupported)
    })
}

impl From<(OwnedFd, i32)> for PidFd {
    /// A pidfd received from another process, with the pid it was opened
    /// for there. A sender in a pid namespace of its own numbers processes
    /// its own way: the pid as this process sees it is then the one
    /// /proc/self/fdinfo gives, which counts in /proc's namespace.
    fn from((fd, claimed): (OwnedFd, i32)) -> Self {
        let pid = pid_in_fdinfo(&fd).unwrap_or(claimed);
        Self { fd, pid }
    }
}

/// The `Pid:` line of a pidfd's /proc/self/fdinfo entry (-1 once the
/// process is gone: then none).
fn pid_in_fdinfo(fd: &OwnedFd) -> Option<i32> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("Pid:"))
        .and_then(|pid| pid.trim().parse().ok())
        .filter(|&pid| pid > 0)
}

impl AsFd for PidFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn the_request_number_matches_the_kernels() {
        assert_eq!(std::mem::size_of::<PidfdInfo>(), 64);
        assert_eq!(PIDFD_GET_INFO, 0xC040_FF0B);
    }

    #[test]
    fn exit_status_of_a_process_reaped_by_its_parent() {
        let mut child = Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep starts");
        let pidfd = PidFd::open(child.id() as i32).expect("pidfd_open");
        assert_eq!(pidfd.exit_info(), ExitInfo::NotYet);
        pidfd.send_signal(libc::SIGUSR1).expect("signal via pidfd");
        child.wait().expect("reap");
        match pidfd.exit_info() {
            ExitInfo::Ended(ending) => assert_eq!(ending, Ending::Signaled(libc::SIGUSR1)),
            ExitInfo::Unsupported => eprintln!("skipped: this kernel has no PIDFD_INFO_EXIT"),
            ExitInfo::NotYet => panic!("reaped, but no exit status"),
        }
    }
}
