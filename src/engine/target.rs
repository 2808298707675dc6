//! Sending a signal safely: a single process through its pidfd, a group
//! through its leader's pidfd (or killpg only right after a live member
//! vouched for the group), never sigtree itself, its group or its
//! ancestors. sigtree and its keeper both signal groups through here.

use std::fmt;
use std::io;

use crate::procfs::record::ReadFailure;
use crate::procfs::scan::Reader;
use crate::signal::sigset::Signal;
use crate::sys::pidfd::PidFd;
use crate::sys::process::kill_group;

/// Why a signal was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    /// sigtree will not send it: the target is itself, its group, an
    /// ancestor, or a pid/group that means "everything".
    #[error("refused: {0}")]
    Refused(String),
    /// EPERM: the target belongs to another user and we lack CAP_KILL.
    #[error("not permitted to signal {0}")]
    NotPermitted(String),
    /// ESRCH: the process or group is gone.
    #[error("{0} does not exist (any more)")]
    NoSuchTarget(String),
    /// Anything else the kernel said.
    #[error("cannot signal {0}: {1}")]
    Other(String, io::Error),
}

fn classify(target: String, error: io::Error) -> SignalError {
    match error.raw_os_error() {
        Some(libc::EPERM) => SignalError::NotPermitted(target),
        Some(libc::ESRCH) => SignalError::NoSuchTarget(target),
        _ => SignalError::Other(target, error),
    }
}

/// sigtree's own pid, group and ancestors: what it never signals.
#[derive(Clone, Debug)]
pub struct Protected {
    pids: Vec<i32>,
    groups: Vec<i32>,
}

impl Protected {
    /// Reads sigtree's own ancestry from /proc.
    pub fn current() -> Self {
        let chain = Reader::default().ancestry(std::process::id() as i32);
        Self {
            pids: chain.iter().map(|r| r.pid).collect(),
            groups: chain.iter().map(|r| r.pgid).collect(),
        }
    }

    /// Refuses pid 0, 1, sigtree and its ancestors.
    pub fn check_process(&self, pid: i32) -> Result<(), SignalError> {
        if pid <= 1 {
            return Err(SignalError::Refused(format!(
                "pid {pid} is never signalled"
            )));
        }
        if pid == std::process::id() as i32 {
            return Err(SignalError::Refused("that is sigtree itself".into()));
        }
        if self.pids.contains(&pid) {
            return Err(SignalError::Refused(format!(
                "pid {pid} is an ancestor of sigtree"
            )));
        }
        Ok(())
    }

    /// Refuses groups 0 and 1, sigtree's own, and any holding an ancestor.
    pub fn check_group(&self, pgid: i32) -> Result<(), SignalError> {
        if pgid <= 1 {
            return Err(SignalError::Refused(format!(
                "process group {pgid} is never signalled"
            )));
        }
        if self.groups.first() == Some(&pgid) {
            return Err(SignalError::Refused(format!(
                "process group {pgid} is sigtree's own"
            )));
        }
        if self.groups.contains(&pgid) {
            return Err(SignalError::Refused(format!(
                "process group {pgid} holds an ancestor of sigtree"
            )));
        }
        Ok(())
    }
}

/// Sends `signal` to the process behind `pidfd`.
pub fn signal_process(
    protected: &Protected,
    pidfd: &PidFd,
    signal: Signal,
) -> Result<(), SignalError> {
    protected.check_process(pidfd.pid())?;
    pidfd
        .send_signal(signal.number())
        .map_err(|e| classify(format!("pid {}", pidfd.pid()), e))
}

/// A process group to signal, and the pidfds sigtree holds to do it
/// without hitting a newer group that reused the number.
#[derive(Debug)]
pub struct GroupTarget<'a> {
    /// The group's id: its leader's pid.
    pub pgid: i32,
    /// A pidfd of the leader, opened while its pid could not have been
    /// reused (by its parent right after the fork, or checked at attach).
    pub leader: Option<&'a PidFd>,
    /// Pidfds of the processes last seen in the group, for the fallback.
    pub members: Vec<&'a PidFd>,
}

/// How a group signal reached the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupDelivery {
    /// Through the leader's pidfd (PIDFD_SIGNAL_PROCESS_GROUP).
    LeaderPidfd,
    /// killpg, right after a live member's pidfd showed it still in the group.
    CheckedKillpg {
        /// The member that vouched for the group.
        member: i32,
    },
    /// No member could be checked: each was signalled by its own pidfd.
    OneByOne {
        /// The pids signalled.
        hit: Vec<i32>,
    },
}

impl fmt::Display for GroupDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LeaderPidfd => f.write_str("through the leader's pidfd"),
            Self::CheckedKillpg { member } => {
                write!(f, "by killpg after {member} showed the group is still ours")
            }
            Self::OneByOne { hit } => write!(
                f,
                "member by member by pidfd ({} processes): no member could vouch for the group",
                hit.len()
            ),
        }
    }
}

/// Whether the process behind `pidfd` is now a live member of group
/// `pgid`, which it then keeps in existence (a number in use cannot lead
/// another group). The stat read is the pidfd's process only if it still
/// runs after the read: until it is reaped its pid cannot be reused. `Err`:
/// its stat could not be read for another reason than its end.
pub fn vouches_for(reader: &mut Reader, pidfd: &PidFd, pgid: i32) -> Result<bool, ReadFailure> {
    match reader.stat(pidfd.pid()) {
        Ok(record) => Ok(record.pgid == pgid && !record.is_reaped() && pidfd.is_running()),
        Err(ReadFailure::Gone) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Sends `signal` to every member of the group `target` names: through the
/// leader's pidfd when one is held and the kernel has the flag (6.9);
/// else killpg right after a live member's pidfd showed that the group is
/// still the one meant; else member by member by pidfd.
pub fn signal_group(
    protected: &Protected,
    target: &GroupTarget<'_>,
    signal: Signal,
) -> Result<GroupDelivery, SignalError> {
    let pgid = target.pgid;
    protected.check_group(pgid)?;
    let what = || format!("process group {pgid}");
    if let Some(leader) = target.leader {
        match leader.send_signal_to_group(signal.number()) {
            Ok(()) => return Ok(GroupDelivery::LeaderPidfd),
            // No PIDFD_SIGNAL_PROCESS_GROUP before Linux 6.9.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
            Err(e) => return Err(classify(what(), e)),
        }
    }
    let mut reader = Reader::default();
    let mut unchecked = Vec::new();
    for member in &target.members {
        match vouches_for(&mut reader, member, pgid) {
            Ok(true) => {
                return kill_group(pgid, signal.number())
                    .map(|()| GroupDelivery::CheckedKillpg {
                        member: member.pid(),
                    })
                    .map_err(|e| classify(what(), e));
            }
            Ok(false) => {}
            Err(_) => unchecked.push(*member),
        }
    }
    let mut hit = Vec::new();
    for member in unchecked {
        if member.send_signal(signal.number()).is_ok() {
            hit.push(member.pid());
        }
    }
    if hit.is_empty() {
        Err(SignalError::NoSuchTarget(what()))
    } else {
        Ok(GroupDelivery::OneByOne { hit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigtree_its_group_and_ancestors_are_refused() {
        let protected = Protected::current();
        let own_pgid = crate::sys::process::own_group();
        for pid in [
            0,
            1,
            -1,
            std::process::id() as i32,
            crate::sys::process::parent_pid(),
        ] {
            assert!(
                matches!(protected.check_process(pid), Err(SignalError::Refused(_))),
                "pid {pid}"
            );
        }
        for pgid in [0, 1, own_pgid] {
            assert!(
                matches!(protected.check_group(pgid), Err(SignalError::Refused(_))),
                "pgid {pgid}"
            );
        }
    }

    /// A group whose leader, a shell, started `sleep 300` in the
    /// background, printed its pid and exited; the shell is reaped. The
    /// leader's pidfd was opened before, as the keeper does.
    struct Orphaned {
        leader: PidFd,
        member: i32,
    }

    impl Orphaned {
        fn start() -> Self {
            use std::io::BufRead as _;
            use std::os::unix::process::CommandExt as _;
            let mut shell = std::process::Command::new("sh")
                .args(["-c", "sleep 300 & echo $!"])
                .process_group(0)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("sh starts");
            let leader = PidFd::open(shell.id() as i32).expect("pidfd of our child");
            let mut line = String::new();
            std::io::BufReader::new(shell.stdout.take().expect("piped"))
                .read_line(&mut line)
                .expect("the member's pid");
            shell.wait().expect("reap the leader");
            let member = line.trim().parse().expect("a pid");
            Self { leader, member }
        }

        fn member_pidfd(&self) -> PidFd {
            PidFd::open(self.member).expect("pidfd of the member")
        }
    }

    impl Drop for Orphaned {
        fn drop(&mut self) {
            let _ = crate::sys::process::kill(self.member, libc::SIGKILL);
        }
    }

    /// Polls `condition` for up to 30 s; whether it came true.
    fn eventually(condition: impl Fn() -> bool) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !condition() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    fn died_of(pidfd: &PidFd) -> bool {
        eventually(|| !pidfd.is_running())
    }

    #[test]
    fn the_leaders_pidfd_reaches_the_group_after_the_leader_was_reaped() {
        let group = Orphaned::start();
        let member = group.member_pidfd();
        let target = GroupTarget {
            pgid: group.leader.pid(),
            leader: Some(&group.leader),
            members: vec![],
        };
        let delivery = signal_group(&Protected::current(), &target, Signal::TERM);
        match delivery {
            Ok(GroupDelivery::LeaderPidfd) => assert!(died_of(&member), "the member got SIGTERM"),
            // Before Linux 6.9 the fallback takes over: nothing held vouches.
            Err(SignalError::NoSuchTarget(_)) => {
                eprintln!("skipped: no PIDFD_SIGNAL_PROCESS_GROUP on this kernel")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_emptied_group_is_never_signalled_by_its_number() {
        let group = Orphaned::start();
        // The member leaves (dies): the group is empty, its number free.
        let member = group.member_pidfd();
        member.send_signal(libc::SIGKILL).expect("kill the member");
        assert!(died_of(&member));
        // A zombie still holds the group: wait until init has reaped it.
        let path = format!("/proc/{}", group.member);
        assert!(
            eventually(|| !std::path::Path::new(&path).exists()),
            "the member is never reaped"
        );
        let target = GroupTarget {
            pgid: group.leader.pid(),
            leader: Some(&group.leader),
            members: vec![&member],
        };
        let error =
            signal_group(&Protected::current(), &target, Signal::KILL).expect_err("an empty group");
        assert!(matches!(error, SignalError::NoSuchTarget(_)), "{error}");
    }

    #[test]
    fn without_the_leaders_pidfd_a_live_member_vouches_for_killpg() {
        let group = Orphaned::start();
        let member = group.member_pidfd();
        let target = GroupTarget {
            pgid: group.leader.pid(),
            leader: None,
            members: vec![&member],
        };
        let delivery = signal_group(&Protected::current(), &target, Signal::TERM);
        assert_eq!(
            delivery.expect("delivered"),
            GroupDelivery::CheckedKillpg {
                member: group.member
            }
        );
        assert!(died_of(&member));
    }

    #[test]
    fn without_the_leaders_pidfd_and_no_member_nothing_is_sent() {
        let protected = Protected::current();
        let pid_max: i32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(4_194_304);
        let target = GroupTarget {
            pgid: pid_max,
            leader: None,
            members: vec![],
        };
        let error = signal_group(&protected, &target, Signal::TERM).expect_err("no such group");
        assert!(matches!(error, SignalError::NoSuchTarget(_)), "{error}");
    }
}
