//! kill(2)'s permission rule (kernel/signal.c, `check_kill_permission` and
//! `kill_ok_by_cred`; FACTS 9), over credentials the caller read.

use super::effect::Permission;

/// The user ids of a process (`Uid:` in `/proc/PID/status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uids {
    /// Real uid.
    pub real: u32,
    /// Effective uid.
    pub effective: u32,
    /// Saved set-user-ID.
    pub saved: u32,
}

/// The process that would send the signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sender {
    /// Its pid: a process may always signal itself.
    pub pid: i32,
    /// Its uids.
    pub uids: Uids,
    /// Whether it holds CAP_KILL (in its effective set).
    pub cap_kill: bool,
    /// Its session: SIGCONT needs only the same session.
    pub sid: i32,
}

/// What `sender` may send to the process `pid` with `uids` in session `sid`:
/// everything with CAP_KILL or when the sender's real or effective uid is the
/// target's real or saved uid; else SIGCONT within the same session; else
/// nothing.
pub fn permission(sender: &Sender, pid: i32, uids: Uids, sid: i32) -> Permission {
    let own = [sender.uids.real, sender.uids.effective];
    let theirs = [uids.real, uids.saved];
    if sender.pid == pid || sender.cap_kill || own.iter().any(|u| theirs.contains(u)) {
        Permission::Allowed
    } else if sid == sender.sid {
        Permission::ContinueOnly
    } else {
        Permission::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uids(real: u32, effective: u32, saved: u32) -> Uids {
        Uids {
            real,
            effective,
            saved,
        }
    }

    fn sender(real: u32, effective: u32) -> Sender {
        Sender {
            pid: 100,
            uids: uids(real, effective, effective),
            cap_kill: false,
            sid: 100,
        }
    }

    #[test]
    fn real_or_effective_uid_against_real_or_saved() {
        let target = uids(1000, 0, 1000);
        assert_eq!(
            permission(&sender(1000, 1000), 7, target, 5),
            Permission::Allowed
        );
        assert_eq!(
            permission(&sender(2000, 1000), 7, target, 5),
            Permission::Allowed,
            "effective matches real"
        );
        // The target's effective uid does not count.
        assert_eq!(
            permission(&sender(0, 0), 7, uids(1000, 0, 1000), 5),
            Permission::Denied
        );
        assert_eq!(
            permission(&sender(1000, 1000), 7, uids(0, 0, 1000), 5),
            Permission::Allowed,
            "saved matches"
        );
    }

    #[test]
    fn cap_kill_itself_and_same_session() {
        let root = Sender {
            cap_kill: true,
            ..sender(0, 0)
        };
        assert_eq!(permission(&root, 7, uids(1, 1, 1), 5), Permission::Allowed);
        assert_eq!(
            permission(&sender(5, 5), 100, uids(1, 1, 1), 5),
            Permission::Allowed,
            "itself"
        );
        assert_eq!(
            permission(&sender(5, 5), 7, uids(1, 1, 1), 100),
            Permission::ContinueOnly
        );
    }
}
