//! The one orphans report: likely orphans, orphaned process groups and
//! zombies, system-wide, from one snapshot. `ps --orphans` prints it; the
//! TUI's orphans view shows it beside the orphans it witnessed.

use std::collections::BTreeMap;

use serde::Serialize;

use super::scan::Snapshot;
use super::state::ProcessState;
use super::tree::{OrphanedGroup, ProcessTree};

/// What a one-shot look at `/proc` tells of orphans; field names are the
/// JSON keys of `ps --orphans --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OrphansReport {
    /// Processes whose parent is init or a known subreaper and whose
    /// session leader is gone.
    pub likely_orphans: Vec<OrphanEntry>,
    /// Process groups no job-control shell can continue, the ones with a
    /// stopped member first.
    pub orphaned_groups: Vec<GroupEntry>,
    /// Processes that exited and that their parent does not reap, grouped
    /// by that parent.
    pub zombies: Vec<ZombieGroup>,
}

/// A likely orphan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrphanEntry {
    /// The process.
    pub pid: i32,
    /// Its adoptive parent.
    pub ppid: i32,
    /// Its process group.
    pub pgid: i32,
    /// The pid of its session's leader, which is gone.
    pub lost_session_leader: i32,
    /// Its command line (raw: escape it before printing).
    pub cmd: String,
}

/// An orphaned process group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupEntry {
    /// The group.
    pub pgid: i32,
    /// Its session.
    pub sid: i32,
    /// Every member, ascending pids.
    pub members: Vec<MemberEntry>,
    /// The members that are stopped: the group is already orphaned, so
    /// they stay stopped (FACTS 5).
    pub stopped: Vec<i32>,
}

/// A member of an orphaned process group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberEntry {
    /// The member.
    pub pid: i32,
    /// Its state letter.
    pub state: ProcessState,
    /// Its command line (raw: escape it before printing).
    pub cmd: String,
}

/// The zombies of one parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZombieGroup {
    /// The parent that does not reap them.
    pub ppid: i32,
    /// The parent's command line, if the parent is still there (raw).
    pub parent_cmd: Option<String>,
    /// Its zombies, ascending pids.
    pub zombies: Vec<ZombieEntry>,
}

/// A zombie.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZombieEntry {
    /// The zombie.
    pub pid: i32,
    /// Its command name (raw: escape it before printing).
    pub comm: String,
    /// Time since the zombie was started: /proc does not record when it died.
    pub age_ms: u64,
}

impl OrphansReport {
    /// The report over `snapshot`; `subreapers` are the processes known to
    /// be subreapers (their children are orphans too).
    pub fn new(snapshot: &Snapshot, subreapers: &[i32]) -> Self {
        let tree = ProcessTree::new(snapshot);
        let likely_orphans = tree
            .likely_orphans(subreapers)
            .into_iter()
            .filter_map(|orphan| {
                let record = tree.get(orphan.pid)?;
                Some(OrphanEntry {
                    pid: orphan.pid,
                    ppid: orphan.ppid,
                    pgid: record.pgid,
                    lost_session_leader: orphan.lost_session_leader,
                    cmd: record.command(),
                })
            })
            .collect();
        let orphaned_groups = tree
            .orphaned_groups()
            .into_iter()
            .map(
                |OrphanedGroup {
                     pgid,
                     sid,
                     members,
                     stopped,
                 }| GroupEntry {
                    pgid,
                    sid,
                    members: members
                        .into_iter()
                        .filter_map(|pid| {
                            let record = tree.get(pid)?;
                            Some(MemberEntry {
                                pid,
                                state: record.state,
                                cmd: record.command(),
                            })
                        })
                        .collect(),
                    stopped,
                },
            )
            .collect();
        let mut by_parent: BTreeMap<i32, Vec<ZombieEntry>> = BTreeMap::new();
        for pid in tree.zombies() {
            let Some(record) = tree.get(pid) else {
                continue;
            };
            by_parent.entry(record.ppid).or_default().push(ZombieEntry {
                pid,
                comm: record.comm.clone(),
                age_ms: snapshot.taken_at_ms.saturating_sub(record.start_time_ms),
            });
        }
        let zombies = by_parent
            .into_iter()
            .map(|(ppid, zombies)| ZombieGroup {
                ppid,
                parent_cmd: tree.get(ppid).map(|parent| parent.command()),
                zombies,
            })
            .collect();
        Self {
            likely_orphans,
            orphaned_groups,
            zombies,
        }
    }
}
