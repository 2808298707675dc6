//! The process tree built from a snapshot, and the questions asked of it:
//! subtrees, groups, sessions, zombies and orphans.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::record::ProcessRecord;
use super::scan::Snapshot;

/// Parent-to-children links over one snapshot.
pub struct ProcessTree<'a> {
    snapshot: &'a Snapshot,
    children: HashMap<i32, Vec<i32>>,
}

/// An orphaned process group (POSIX): no member has a parent in another
/// group of the same session, so no job-control shell can continue it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrphanedGroup {
    /// The group's ID.
    pub pgid: i32,
    /// Its session.
    pub sid: i32,
    /// Every member, ascending.
    pub members: Vec<i32>,
    /// Members that are stopped. The kernel sends SIGHUP then SIGCONT only
    /// at the moment a group becomes orphaned with a member stopped; a
    /// member stopped in a group already orphaned stays stopped (FACTS 5).
    pub stopped: Vec<i32>,
}

/// A process that probably lost its parent, as a one-shot look can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LikelyOrphan {
    /// The process.
    pub pid: i32,
    /// Its adoptive parent: init or a subreaper.
    pub ppid: i32,
    /// The pid of its session's leader, which is gone.
    pub lost_session_leader: i32,
}

/// One line of a drawn tree: a pid and the guides drawn before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeLine {
    /// The process on this line.
    pub pid: i32,
    /// Box-drawing guides such as "│  └─ " (empty for a root).
    pub guides: String,
}

impl<'a> ProcessTree<'a> {
    /// Links every process of `snapshot` to its parent.
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        // The snapshot is ordered by pid, so every list comes out ascending.
        for record in snapshot.processes.values() {
            if record.ppid != record.pid {
                children.entry(record.ppid).or_default().push(record.pid);
            }
        }
        Self { snapshot, children }
    }

    /// The record of `pid`.
    pub fn get(&self, pid: i32) -> Option<&'a ProcessRecord> {
        self.snapshot.get(pid)
    }

    /// The children of `pid`, ascending.
    pub fn children(&self, pid: i32) -> &[i32] {
        self.children.get(&pid).map_or(&[], Vec::as_slice)
    }

    /// Processes whose parent is not in the snapshot (init, kthreadd, and
    /// children of processes outside our pid namespace), ascending.
    pub fn roots(&self) -> Vec<i32> {
        self.records()
            .filter(|r| r.ppid == r.pid || self.get(r.ppid).is_none())
            .map(|r| r.pid)
            .collect()
    }

    /// `pid` and everything below it, parents before children; empty when
    /// `pid` is not in the snapshot.
    pub fn subtree(&self, pid: i32) -> Vec<i32> {
        let mut found = Vec::new();
        let mut stack = vec![pid];
        while let Some(next) = stack.pop() {
            if self.get(next).is_some() {
                found.push(next);
                stack.extend(self.children(next).iter().rev());
            }
        }
        found
    }

    /// Members of process group `pgid`, ascending.
    pub fn group_members(&self, pgid: i32) -> Vec<i32> {
        self.pids_where(|r| r.pgid == pgid)
    }

    /// Members of session `sid`, ascending.
    pub fn session_members(&self, sid: i32) -> Vec<i32> {
        self.pids_where(|r| r.sid == sid)
    }

    /// Zombies, ascending; each record's `ppid` is the parent that does not
    /// reap it.
    pub fn zombies(&self) -> Vec<i32> {
        self.pids_where(ProcessRecord::has_exited)
    }

    /// Orphaned process groups other than session leaders' own groups (those
    /// are orphaned by definition and say nothing) and groups of zombies
    /// only (nothing left to stop or continue), the ones with a stopped
    /// member first.
    pub fn orphaned_groups(&self) -> Vec<OrphanedGroup> {
        let mut groups: BTreeMap<i32, Vec<&ProcessRecord>> = BTreeMap::new();
        for record in self.records().filter(|r| r.pgid > 0 && r.pgid != r.sid) {
            groups.entry(record.pgid).or_default().push(record);
        }
        let mut orphaned: Vec<OrphanedGroup> = groups
            .into_iter()
            .filter(|(_, members)| members.iter().any(|m| !m.has_exited()))
            .filter(|(_, members)| members.iter().all(|m| !self.holds_group_open(m)))
            .map(|(pgid, members)| OrphanedGroup {
                pgid,
                sid: members[0].sid,
                stopped: members
                    .iter()
                    .filter(|m| m.state.is_stopped())
                    .map(|m| m.pid)
                    .collect(),
                members: members.iter().map(|m| m.pid).collect(),
            })
            .collect();
        orphaned.sort_by_key(|g| (g.stopped.is_empty(), g.pgid));
        orphaned
    }

    /// Whether process group `pgid` is orphaned as the kernel decides it
    /// (kernel/exit.c, will_become_orphaned_pgrp): no member links it to
    /// another group of its session. A session leader's own group usually
    /// is: its SIGTSTP, SIGTTIN and SIGTTOU are discarded (FACTS 4d).
    /// Kernel threads (group 0) belong to no group.
    pub fn is_orphaned_group(&self, pgid: i32) -> bool {
        pgid > 0
            && self
                .records()
                .filter(|r| r.pgid == pgid)
                .all(|member| !self.holds_group_open(member))
    }

    /// True when `member`'s parent is in another group of the same session:
    /// such a parent keeps the member's group from being orphaned. A member
    /// that has exited does not (FACTS 5), nor does init as the parent.
    fn holds_group_open(&self, member: &ProcessRecord) -> bool {
        !member.has_exited()
            && member.ppid != 1
            && self
                .get(member.ppid)
                .is_some_and(|parent| parent.pgid != member.pgid && parent.sid == member.sid)
    }

    /// Processes whose parent is init (pid 1) or one of `subreapers`, that are
    /// not session leaders, and whose session leader is gone: what a one-shot
    /// look can say was orphaned (a live parent cannot be told from an
    /// adoptive one in `/proc`).
    pub fn likely_orphans(&self, subreapers: &[i32]) -> Vec<LikelyOrphan> {
        self.records()
            .filter(|r| r.ppid == 1 || subreapers.contains(&r.ppid))
            .filter(|r| r.sid > 0 && !r.is_session_leader() && self.leader_gone(r.sid))
            .map(|r| LikelyOrphan {
                pid: r.pid,
                ppid: r.ppid,
                lost_session_leader: r.sid,
            })
            .collect()
    }

    /// True when session `sid` has no living leader: it exited, and is gone
    /// or a zombie.
    fn leader_gone(&self, sid: i32) -> bool {
        self.get(sid).is_none_or(ProcessRecord::has_exited)
    }

    /// The processes of `selected` drawn as a forest: each one whose parent
    /// is not selected starts a tree, then its selected descendants follow
    /// depth first with box-drawing guides.
    pub fn lines(&self, selected: &BTreeSet<i32>) -> Vec<TreeLine> {
        let mut lines = Vec::with_capacity(selected.len());
        for &pid in selected {
            let parent_selected = self
                .get(pid)
                .is_some_and(|r| r.ppid != pid && selected.contains(&r.ppid));
            if !parent_selected {
                self.draw(pid, String::new(), "", selected, &mut lines);
            }
        }
        lines
    }

    fn draw(
        &self,
        pid: i32,
        guides: String,
        indent: &str,
        selected: &BTreeSet<i32>,
        lines: &mut Vec<TreeLine>,
    ) {
        lines.push(TreeLine { pid, guides });
        let children: Vec<i32> = self
            .children(pid)
            .iter()
            .copied()
            .filter(|c| selected.contains(c))
            .collect();
        for (i, &child) in children.iter().enumerate() {
            let last = i + 1 == children.len();
            let (branch, pipe) = if last {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            let child_indent = format!("{indent}{pipe}");
            self.draw(
                child,
                format!("{indent}{branch}"),
                &child_indent,
                selected,
                lines,
            );
        }
    }

    fn records(&self) -> impl Iterator<Item = &'a ProcessRecord> + use<'a> {
        self.snapshot.processes.values()
    }

    fn pids_where(&self, keep: impl Fn(&ProcessRecord) -> bool) -> Vec<i32> {
        self.records().filter(|r| keep(r)).map(|r| r.pid).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(pid: i32, ppid: i32, pgid: i32, sid: i32, state: char) -> ProcessRecord {
        ProcessRecord::sample(pid, ppid, pgid, sid, state)
    }

    fn snapshot(records: &[ProcessRecord]) -> Snapshot {
        Snapshot {
            processes: records.iter().map(|r| (r.pid, r.clone())).collect(),
            ..Snapshot::default()
        }
    }

    /// init(1) ─ shell(10, session 10) ─ job leader(20, group 20) ─ worker(21)
    ///                                 └─ other job(30, group 30, stopped)
    fn shell_with_jobs() -> Vec<ProcessRecord> {
        vec![
            record(1, 0, 1, 1, 'S'),
            record(10, 1, 10, 10, 'S'),
            record(20, 10, 20, 10, 'S'),
            record(21, 20, 20, 10, 'S'),
            record(30, 10, 30, 10, 'T'),
        ]
    }

    #[test]
    fn children_roots_subtree_groups_sessions() {
        let snap = snapshot(&shell_with_jobs());
        let tree = ProcessTree::new(&snap);
        assert_eq!(tree.children(10), [20, 30]);
        assert!(tree.children(21).is_empty());
        assert_eq!(tree.roots(), [1]);
        assert_eq!(tree.subtree(10), [10, 20, 21, 30]);
        assert_eq!(tree.subtree(99), Vec::<i32>::new());
        assert_eq!(tree.group_members(20), [20, 21]);
        assert_eq!(tree.session_members(10), [10, 20, 21, 30]);
    }

    #[test]
    fn jobs_under_a_live_shell_are_not_orphaned() {
        let snap = snapshot(&shell_with_jobs());
        let tree = ProcessTree::new(&snap);
        assert!(tree.orphaned_groups().is_empty());
        assert!(tree.likely_orphans(&[]).is_empty());
    }

    #[test]
    fn shell_gone_orphans_its_jobs_stopped_group_first() {
        // The shell (10) died: its jobs were re-parented to init.
        let snap = snapshot(&[
            record(1, 0, 1, 1, 'S'),
            record(20, 1, 20, 10, 'S'),
            record(21, 20, 20, 10, 'S'),
            record(30, 1, 30, 10, 'T'),
        ]);
        let tree = ProcessTree::new(&snap);
        let groups = tree.orphaned_groups();
        assert_eq!(
            groups,
            [
                OrphanedGroup {
                    pgid: 30,
                    sid: 10,
                    members: vec![30],
                    stopped: vec![30]
                },
                OrphanedGroup {
                    pgid: 20,
                    sid: 10,
                    members: vec![20, 21],
                    stopped: vec![]
                },
            ]
        );
        let orphans = tree.likely_orphans(&[]);
        assert_eq!(
            orphans,
            [
                LikelyOrphan {
                    pid: 20,
                    ppid: 1,
                    lost_session_leader: 10
                },
                LikelyOrphan {
                    pid: 30,
                    ppid: 1,
                    lost_session_leader: 10
                },
            ],
            "21 still has its parent"
        );
    }

    #[test]
    fn one_member_with_a_parent_in_another_group_of_the_session_keeps_it() {
        // Group 20 has one member (22) whose parent (40) is in group 40 of the
        // same session: not orphaned, even though 20's leader is init's child.
        let snap = snapshot(&[
            record(1, 0, 1, 1, 'S'),
            record(20, 1, 20, 10, 'S'),
            record(40, 1, 40, 10, 'S'),
            record(22, 40, 20, 10, 'S'),
        ]);
        let tree = ProcessTree::new(&snap);
        let pgids: Vec<i32> = tree.orphaned_groups().iter().map(|g| g.pgid).collect();
        assert_eq!(pgids, [40], "40's only parent is init, in another session");
    }

    #[test]
    fn a_parent_in_another_session_does_not_hold_a_group() {
        // 50 called setsid: its own group is a session leader's group (left
        // out); its child 51 moved to group 51 in that session is orphaned
        // only if no member has a parent in another group of session 50 —
        // but 51's parent (50) is exactly that, so it is not.
        let snap = snapshot(&[
            record(1, 0, 1, 1, 'S'),
            record(50, 1, 50, 50, 'S'),
            record(51, 50, 51, 50, 'S'),
            record(60, 51, 60, 99, 'S'),
        ]);
        let tree = ProcessTree::new(&snap);
        let pgids: Vec<i32> = tree.orphaned_groups().iter().map(|g| g.pgid).collect();
        assert_eq!(pgids, [60], "60's parent is in another session");
    }

    #[test]
    fn subreapers_count_as_adoptive_parents_and_leaders_are_never_orphans() {
        let snap = snapshot(&[
            record(1, 0, 1, 1, 'S'),
            record(5, 1, 5, 5, 'S'),
            record(7, 5, 7, 3, 'S'),
            record(8, 1, 8, 8, 'S'),
        ]);
        let tree = ProcessTree::new(&snap);
        assert!(tree.likely_orphans(&[]).is_empty());
        let pids: Vec<i32> = tree.likely_orphans(&[5]).iter().map(|o| o.pid).collect();
        assert_eq!(pids, [7]);
    }

    #[test]
    fn a_zombie_session_leader_is_gone() {
        let snap = snapshot(&[
            record(1, 0, 1, 1, 'S'),
            record(10, 1, 10, 10, 'Z'),
            record(11, 1, 10, 10, 'S'),
        ]);
        let pids: Vec<i32> = ProcessTree::new(&snap)
            .likely_orphans(&[])
            .iter()
            .map(|o| o.pid)
            .collect();
        assert_eq!(pids, [11]);
    }

    #[test]
    fn a_zombie_member_does_not_hold_its_group_open() {
        // Shell 10 in session 10; job 20 whose only link to the shell, its
        // member 21, has exited: orphaned. A Z with live threads still links.
        let mut records = vec![
            record(1, 0, 1, 1, 'S'),
            record(10, 1, 10, 10, 'S'),
            record(20, 1, 20, 10, 'S'),
            record(21, 10, 20, 10, 'Z'),
        ];
        assert!(ProcessTree::new(&snapshot(&records)).is_orphaned_group(20));
        records[3].threads = 2;
        assert!(!ProcessTree::new(&snapshot(&records)).is_orphaned_group(20));
        // A session leader's own group, its parent in another session.
        assert!(ProcessTree::new(&snapshot(&records)).is_orphaned_group(10));
    }

    #[test]
    fn a_group_of_zombies_only_is_not_listed_as_orphaned() {
        // Zombie 20 leads group 20; its parent 10 is in another group of the
        // session but holds nothing open for an exited member.
        let snap = snapshot(&[
            record(1, 0, 1, 1, 'S'),
            record(10, 1, 10, 10, 'S'),
            record(20, 10, 20, 10, 'Z'),
        ]);
        let tree = ProcessTree::new(&snap);
        assert!(tree.is_orphaned_group(20));
        assert!(tree.orphaned_groups().is_empty());
    }

    #[test]
    fn zombies_are_listed() {
        let snap = snapshot(&[record(1, 0, 1, 1, 'S'), record(9, 1, 1, 1, 'Z')]);
        assert_eq!(ProcessTree::new(&snap).zombies(), [9]);
    }

    #[test]
    fn a_z_main_thread_with_live_threads_is_no_zombie_and_leads_its_session() {
        let mut live = record(9, 1, 9, 9, 'Z');
        live.threads = 2;
        let member = record(10, 9, 10, 9, 'S');
        let tree_records = [record(1, 0, 1, 1, 'S'), live, member];
        let snap = snapshot(&tree_records);
        let tree = ProcessTree::new(&snap);
        assert!(tree.zombies().is_empty());
        assert!(!tree.leader_gone(9), "its session leader lives on");
        assert!(tree.likely_orphans(&[]).is_empty());
    }

    #[test]
    fn lines_draw_guides() {
        let snap = snapshot(&[
            record(1, 0, 1, 1, 'S'),
            record(2, 1, 1, 1, 'S'),
            record(3, 2, 1, 1, 'S'),
            record(4, 1, 1, 1, 'S'),
            record(5, 4, 1, 1, 'S'),
        ]);
        let drawn: Vec<(i32, String)> = ProcessTree::new(&snap)
            .lines(&[1, 2, 3, 4, 5].into())
            .into_iter()
            .map(|l| (l.pid, l.guides))
            .collect();
        let expected = [
            (1, ""),
            (2, "├─ "),
            (3, "│  └─ "),
            (4, "└─ "),
            (5, "   └─ "),
        ];
        let expected: Vec<(i32, String)> =
            expected.iter().map(|(p, g)| (*p, g.to_string())).collect();
        assert_eq!(drawn, expected);
    }

    #[test]
    fn lines_of_a_selection_skip_unselected_and_start_new_roots() {
        let snap = snapshot(&shell_with_jobs());
        let drawn: Vec<(i32, String)> = ProcessTree::new(&snap)
            .lines(&[10, 21, 30].into())
            .into_iter()
            .map(|l| (l.pid, l.guides))
            .collect();
        let expected = [(10, ""), (30, "└─ "), (21, "")];
        let expected: Vec<(i32, String)> =
            expected.iter().map(|(p, g)| (*p, g.to_string())).collect();
        assert_eq!(drawn, expected, "21's parent 20 is not selected");
    }
}
