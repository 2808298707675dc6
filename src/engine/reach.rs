//! Who a signal reaches: one process, the watched group, or a subtree,
//! resolved to the pids it hits now — refusals first — then to the pidfds
//! that hit them. The resolution is pure ([`resolve`] over a [`Scene`]);
//! the question asked before a signal and the sending both go through
//! [`targets`], so what is listed is what is hit.

use super::target::{
    GroupDelivery, GroupTarget, Protected, SignalError, signal_group, signal_process,
};
use crate::engine::session::Session;
use crate::signal::sigset::Signal;
use crate::sys::monotonic_ms;
use crate::sys::pidfd::PidFd;
use crate::watch::cause::{Act, By};

/// Who a signal is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipients {
    /// One process, through its pidfd.
    Process(i32),
    /// The watched process group, as a group.
    Group,
    /// A process and its descendants, each through its own pidfd.
    Subtree(i32),
    /// Every process of the run's own cgroup, as the kernel lists it, each
    /// through its own pidfd (and, for SIGKILL, cgroup.kill as well).
    Cgroup,
    /// sigtree's init, PID 1 of the run's pid namespace (tini's), through
    /// its pidfd: never watched, so never in a group step.
    Init,
}

/// An observed process as the resolution sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Its pid.
    pub pid: i32,
    /// Its first parent: an orphan stays in the subtree it was born in.
    pub parent: i32,
    /// Its process group now.
    pub pgid: i32,
    /// Alive, with a pidfd sigtree holds.
    pub alive: bool,
    /// Attached: a group member outside the attached subtree.
    pub outside: bool,
}

/// What the resolution knows of a run: every observed process, the
/// watched group, and the attached process when attached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scene {
    /// Every observed process, ended ones included (they link subtrees).
    pub nodes: Vec<Node>,
    /// The watched process group.
    pub group: Option<i32>,
    /// The attached process, when attached: then nothing outside its
    /// subtree is ever signalled.
    pub attached: Option<i32>,
    /// The pids in the run's own cgroup, when it has one.
    pub cgroup: Option<Vec<i32>>,
    /// sigtree's init (tini's PID 1), while it lives.
    pub init: Option<i32>,
}

impl Scene {
    /// The scene of `run` now, as resolving `recipients` needs it: the
    /// cgroup's pids are read only for the cgroup.
    pub fn of(run: &Session, recipients: Recipients) -> Self {
        let nodes = run
            .watch
            .processes()
            .values()
            .map(|p| Node {
                pid: p.seen.pid,
                parent: p.lost_parent.unwrap_or(p.seen.ppid),
                pgid: p.seen.pgid,
                alive: !p.has_ended() && run.pidfd(p.seen.pid).is_some(),
                outside: p.outside,
            })
            .collect();
        Self {
            nodes,
            group: run.group(),
            attached: run.leader().filter(|_| run.attached()),
            cgroup: run
                .cgroup()
                .filter(|_| recipients == Recipients::Cgroup)
                .and_then(|cgroup| cgroup.pids().ok()),
            init: run
                .init_pidfd()
                .filter(|pidfd| pidfd.is_running())
                .map(PidFd::pid),
        }
    }

    fn node(&self, pid: i32) -> Option<&Node> {
        self.nodes.iter().find(|n| n.pid == pid)
    }

    /// `root` and every descendant, by first parents, in tree order; the
    /// live ones only (an ended process still links its descendants).
    fn subtree(&self, root: i32) -> Vec<&Node> {
        let mut found = vec![root];
        let mut next = 0;
        while next < found.len() {
            let parent = found[next];
            next += 1;
            for node in &self.nodes {
                if node.parent == parent && !found.contains(&node.pid) {
                    found.push(node.pid);
                }
            }
        }
        found
            .into_iter()
            .filter_map(|pid| self.node(pid))
            .filter(|n| n.alive)
            .collect()
    }

    /// How `pid`, outside the attached subtree, relates to the attached
    /// process.
    fn relation(&self, pid: i32) -> &'static str {
        let mut next = self.attached.and_then(|a| self.node(a)).map(|n| n.parent);
        let mut steps = 0;
        while let Some(ancestor) = next {
            if ancestor == pid {
                return if steps == 0 {
                    "its parent"
                } else {
                    "an ancestor"
                };
            }
            steps += 1;
            next = self
                .node(ancestor)
                .filter(|_| steps < self.nodes.len())
                .map(|n| n.parent);
        }
        "another member of its group"
    }
}

/// Who a signal reaches now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Each of these processes, through its own pidfd.
    Each(Vec<i32>),
    /// The group as a whole; `members` are its live members seen.
    Group {
        /// The group.
        pgid: i32,
        /// Its live members as last seen.
        members: Vec<i32>,
    },
}

/// Resolves `recipients` to the pids hit now, or says why sigtree will not
/// send: sigtree's own processes, and, attached, anything outside the
/// attached subtree — a group holding such a process included.
pub fn resolve(
    recipients: Recipients,
    scene: &Scene,
    protected: &Protected,
) -> Result<Reach, SignalError> {
    match recipients {
        Recipients::Init => {
            let pid = scene
                .init
                .ok_or_else(|| SignalError::NoSuchTarget("tini's PID 1".into()))?;
            protected.check_process(pid)?;
            Ok(Reach::Each(vec![pid]))
        }
        Recipients::Process(pid) => {
            let node = scene
                .node(pid)
                .filter(|n| n.alive)
                .ok_or_else(|| SignalError::NoSuchTarget(format!("pid {pid}")))?;
            allowed(node, scene, protected)?;
            Ok(Reach::Each(vec![pid]))
        }
        Recipients::Subtree(root) => {
            let nodes = scene.subtree(root);
            if nodes.is_empty() {
                return Err(SignalError::NoSuchTarget(format!(
                    "a live process in the subtree of {root}"
                )));
            }
            for node in &nodes {
                allowed(node, scene, protected)?;
            }
            Ok(Reach::Each(nodes.iter().map(|n| n.pid).collect()))
        }
        Recipients::Cgroup => {
            let listed = scene
                .cgroup
                .as_ref()
                .ok_or_else(|| SignalError::NoSuchTarget("the run's cgroup".into()))?;
            let nodes: Vec<&Node> = scene
                .nodes
                .iter()
                .filter(|n| n.alive && listed.contains(&n.pid))
                .collect();
            if nodes.is_empty() {
                return Err(SignalError::NoSuchTarget(
                    "a live process in the run's cgroup".into(),
                ));
            }
            for node in &nodes {
                allowed(node, scene, protected)?;
            }
            Ok(Reach::Each(nodes.iter().map(|n| n.pid).collect()))
        }
        Recipients::Group => {
            let pgid = scene
                .group
                .ok_or_else(|| SignalError::NoSuchTarget("the group (not known yet)".into()))?;
            protected.check_group(pgid)?;
            let members: Vec<&Node> = scene
                .nodes
                .iter()
                .filter(|n| n.alive && n.pgid == pgid)
                .collect();
            if let Some(node) = members
                .iter()
                .find(|n| scene.attached.is_some() && n.outside)
            {
                return Err(SignalError::Refused(format!(
                    "process group {pgid} holds {} outside the attached subtree ({}); \
                     s offers the subtree",
                    node.pid,
                    scene.relation(node.pid)
                )));
            }
            Ok(Reach::Group {
                pgid,
                members: members.iter().map(|n| n.pid).collect(),
            })
        }
    }
}

/// Refuses sigtree's own processes, and, attached, a process outside the
/// attached subtree.
fn allowed(node: &Node, scene: &Scene, protected: &Protected) -> Result<(), SignalError> {
    protected.check_process(node.pid)?;
    if scene.attached.is_some() && node.outside {
        return Err(SignalError::Refused(format!(
            "{} is outside the attached subtree ({}): attached, sigtree signals only \
             the attached process and its descendants",
            node.pid,
            scene.relation(node.pid)
        )));
    }
    Ok(())
}

/// What a signal reaches now, with the pidfds that reach it.
#[derive(Debug)]
pub enum Targets<'r> {
    /// Each process through its own pidfd.
    Each(Vec<&'r PidFd>),
    /// The group as a whole (its leader's pidfd, or a checked killpg).
    Group {
        /// The group and the pidfds to reach it.
        target: GroupTarget<'r>,
        /// Its live members as last seen.
        members: Vec<i32>,
    },
}

impl Targets<'_> {
    /// The pids hit now.
    pub fn pids(&self) -> Vec<i32> {
        match self {
            Self::Each(pidfds) => pidfds.iter().map(|fd| fd.pid()).collect(),
            Self::Group { members, .. } => members.clone(),
        }
    }
}

/// Resolves `recipients` in `run` (refusals first) to the pidfds that
/// reach them now.
pub fn targets<'r>(
    run: &'r Session,
    protected: &Protected,
    recipients: Recipients,
) -> Result<Targets<'r>, SignalError> {
    match resolve(recipients, &Scene::of(run, recipients), protected)? {
        Reach::Each(pids) => pids
            .into_iter()
            .map(|pid| {
                run.pidfd(pid)
                    .or_else(|| run.init_pidfd().filter(|init| init.pid() == pid))
                    .ok_or_else(|| SignalError::NoSuchTarget(format!("pid {pid}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Targets::Each),
        Reach::Group { pgid, members } => {
            if run.keeper_pid() == Some(pgid) {
                return Err(SignalError::Refused(format!(
                    "process group {pgid} is sigtree's keeper's"
                )));
            }
            let target = run
                .group_target()
                .filter(|target| target.pgid == pgid)
                .ok_or_else(|| SignalError::NoSuchTarget(format!("process group {pgid}")))?;
            Ok(Targets::Group { target, members })
        }
    }
}

/// What a send did.
#[derive(Debug)]
pub struct Sent {
    /// The pids hit (a group's: its members as last seen).
    pub hit: Vec<i32>,
    /// How a group signal reached the group.
    pub delivery: Option<GroupDelivery>,
    /// The processes that could not be signalled, and why.
    pub failed: Vec<(i32, SignalError)>,
}

impl Sent {
    /// Words for how it was delivered, when not the usual way: a group
    /// signal not through the leader's pidfd, or how many processes were
    /// signalled one by one.
    pub fn how(&self) -> String {
        match &self.delivery {
            Some(GroupDelivery::LeaderPidfd) => String::new(),
            Some(other) => format!(" ({other})"),
            None if self.hit.len() > 1 => format!(" ({} processes)", self.hit.len()),
            None => String::new(),
        }
    }

    /// The act this send was, as the model keeps it: `signal`, sent at
    /// `at_ms` (taken before the send) by `by`, and the pids it hit.
    pub fn act(&self, at_ms: u64, signal: Signal, by: By) -> Act {
        Act::signal(at_ms, signal, by, self.hit.clone())
    }

    /// The first failure when nothing at all was hit.
    pub fn into_result(mut self) -> Result<Self, SignalError> {
        if self.hit.is_empty() && !self.failed.is_empty() {
            return Err(self.failed.swap_remove(0).1);
        }
        Ok(self)
    }
}

/// Sends `signal` to `targets`: each through its pidfd, or the group.
pub fn send(
    targets: &Targets<'_>,
    protected: &Protected,
    signal: Signal,
) -> Result<Sent, SignalError> {
    match targets {
        Targets::Each(pidfds) => {
            let mut sent = Sent {
                hit: Vec::new(),
                delivery: None,
                failed: Vec::new(),
            };
            for pidfd in pidfds {
                match signal_process(protected, pidfd, signal) {
                    Ok(()) => sent.hit.push(pidfd.pid()),
                    Err(error) => sent.failed.push((pidfd.pid(), error)),
                }
            }
            Ok(sent)
        }
        Targets::Group { target, members } => {
            let delivery = signal_group(protected, target, signal)?;
            Ok(Sent {
                hit: members.clone(),
                delivery: Some(delivery),
                failed: Vec::new(),
            })
        }
    }
}

/// Reads, before `signal` is sent to `recipients`, which of them catch it
/// (SigCgt): whether one that exits after it acted on it. SIGKILL and
/// SIGSTOP cannot be caught: nothing to read.
pub fn read_caught(
    run: &mut Session,
    protected: &Protected,
    signal: Signal,
    recipients: Recipients,
) -> Result<(), SignalError> {
    if signal != Signal::KILL && signal != Signal::STOP {
        let pids = targets(run, protected, recipients)?.pids();
        run.read_caught(&pids);
    }
    Ok(())
}

/// Resolves `recipients` and sends `signal` to them as `by`, recording
/// the act (what they catch, then whom it reached) in the model; an error
/// when nothing was hit.
pub fn send_to(
    run: &mut Session,
    protected: &Protected,
    signal: Signal,
    recipients: Recipients,
    by: By,
) -> Result<Sent, SignalError> {
    if recipients == Recipients::Cgroup {
        // Everything in the cgroup is under the keeper: one walk tracks
        // what the kernel lists there that sigtree has not seen yet.
        run.collect_now();
    }
    read_caught(run, protected, signal, recipients)?;
    let at_ms = monotonic_ms();
    let sent = send(&targets(run, protected, recipients)?, protected, signal)?.into_result()?;
    if recipients == Recipients::Cgroup
        && signal == Signal::KILL
        && let Some(cgroup) = run.cgroup()
    {
        // And what forked since the list was read.
        let _ = cgroup.kill();
    }
    run.watch.acted(sent.act(at_ms, signal, by));
    Ok(sent)
}

/// `recipients` in words, for the timeline and questions.
pub fn describe(run: &Session, recipients: Recipients) -> String {
    let attached = run.attached();
    match recipients {
        Recipients::Process(pid) if attached && Some(pid) == run.leader() => {
            format!("the attached process ({pid})")
        }
        Recipients::Process(pid) if Some(pid) == run.leader() => format!("the leader ({pid})"),
        Recipients::Process(pid) => format!("{pid}"),
        Recipients::Group => run
            .group()
            .map_or_else(|| "the group".into(), |g| format!("process group {g}")),
        Recipients::Subtree(root) if attached && Some(root) == run.leader() => {
            "the attached subtree, by pidfd".into()
        }
        Recipients::Subtree(root) => format!("the subtree of {root}, by pidfd"),
        Recipients::Cgroup => "every process of the run's cgroup".into(),
        Recipients::Init => run.init().map_or_else(
            || "tini's PID 1".into(),
            |init| format!("PID 1 ({}, sigtree's init as tini)", init.pid),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pids far above any pid sigtree's ancestry could have in a test.
    const BASE: i32 = 3_000_000;

    fn node(pid: i32, parent: i32, pgid: i32) -> Node {
        Node {
            pid: BASE + pid,
            parent: BASE + parent,
            pgid: BASE + pgid,
            alive: true,
            outside: false,
        }
    }

    /// A launcher shell 1 (outside, group 1) whose child 2 is attached;
    /// 2 has children 3 and 4, and 4 a child 5 (all in group 1); 6 is
    /// another member of group 1, a child of the launcher.
    fn launcher_scene() -> Scene {
        let outside = |n: Node| Node { outside: true, ..n };
        Scene {
            nodes: vec![
                outside(node(1, -BASE, 1)),
                node(2, 1, 1),
                node(3, 2, 1),
                node(4, 2, 1),
                node(5, 4, 1),
                outside(node(6, 1, 1)),
            ],
            group: Some(BASE + 1),
            attached: Some(BASE + 2),
            cgroup: None,
            init: None,
        }
    }

    fn pids(reach: Result<Reach, SignalError>) -> Vec<i32> {
        match reach.expect("resolved") {
            Reach::Each(pids) | Reach::Group { members: pids, .. } => {
                pids.into_iter().map(|p| p - BASE).collect()
            }
        }
    }

    fn refusal(reach: Result<Reach, SignalError>) -> String {
        match reach {
            Err(SignalError::Refused(why)) => why,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn attached_the_subtree_is_the_attached_process_and_its_descendants() {
        let scene = launcher_scene();
        let protected = Protected::current();
        let reach = resolve(Recipients::Subtree(BASE + 2), &scene, &protected);
        assert_eq!(pids(reach), [2, 3, 4, 5]);
        let reach = resolve(Recipients::Process(BASE + 4), &scene, &protected);
        assert_eq!(pids(reach), [4]);
    }

    #[test]
    fn the_cgroup_is_every_live_process_the_kernel_lists_in_it() {
        let mut scene = launcher_scene();
        scene.attached = None;
        scene.nodes.iter_mut().for_each(|n| n.outside = false);
        // 3 ended; 6 is not in the cgroup; 9 is listed but was never seen.
        scene.nodes[2].alive = false;
        scene.cgroup = Some([2, 3, 4, 5, 9].map(|n| BASE + n).to_vec());
        let protected = Protected::current();
        assert_eq!(
            pids(resolve(Recipients::Cgroup, &scene, &protected)),
            [2, 4, 5]
        );
        scene.cgroup = Some(Vec::new());
        let none = resolve(Recipients::Cgroup, &scene, &protected);
        assert!(
            matches!(none, Err(SignalError::NoSuchTarget(_))),
            "{none:?}"
        );
        scene.cgroup = None;
        let none = resolve(Recipients::Cgroup, &scene, &protected);
        assert!(
            matches!(none, Err(SignalError::NoSuchTarget(_))),
            "{none:?}"
        );
    }

    #[test]
    fn attached_a_group_holding_the_launcher_is_refused_naming_it() {
        let scene = launcher_scene();
        let why = refusal(resolve(Recipients::Group, &scene, &Protected::current()));
        assert!(
            why.contains(&format!(
                "group {} holds {} outside the attached subtree (its parent)",
                BASE + 1,
                BASE + 1
            )),
            "{why}"
        );
        assert!(why.contains("s offers the subtree"), "{why}");
    }

    #[test]
    fn attached_a_process_outside_the_subtree_is_refused() {
        let scene = launcher_scene();
        let protected = Protected::current();
        let why = refusal(resolve(Recipients::Process(BASE + 6), &scene, &protected));
        assert!(why.contains("another member of its group"), "{why}");
        let why = refusal(resolve(Recipients::Subtree(BASE + 1), &scene, &protected));
        assert!(why.contains("(its parent)"), "{why}");
        // A grandparent in the group is an ancestor.
        let mut deeper = scene.clone();
        deeper.nodes[1].parent = BASE + 6;
        let why = refusal(resolve(Recipients::Process(BASE + 1), &deeper, &protected));
        assert!(why.contains("(an ancestor)"), "{why}");
    }

    #[test]
    fn attached_a_group_wholly_inside_the_subtree_is_reached_as_a_group() {
        let mut scene = launcher_scene();
        scene.nodes.retain(|n| !n.outside);
        for node in &mut scene.nodes {
            node.pgid = BASE + 2;
        }
        scene.group = Some(BASE + 2);
        let reach = resolve(Recipients::Group, &scene, &Protected::current());
        assert!(matches!(reach, Ok(Reach::Group { pgid, .. }) if pgid == BASE + 2));
        assert_eq!(pids(reach), [2, 3, 4, 5]);
    }

    #[test]
    fn an_ended_process_still_links_its_orphaned_descendants() {
        let mut scene = launcher_scene();
        // 4 died; 5 was re-parented to init but keeps 4 as its first parent.
        scene.nodes[3].alive = false;
        let reach = resolve(Recipients::Subtree(BASE + 2), &scene, &Protected::current());
        assert_eq!(pids(reach), [2, 3, 5]);
        let gone = resolve(Recipients::Process(BASE + 4), &scene, &Protected::current());
        assert!(
            matches!(gone, Err(SignalError::NoSuchTarget(_))),
            "{gone:?}"
        );
    }

    #[test]
    fn not_attached_the_whole_group_is_reached_and_outside_means_nothing() {
        let mut scene = launcher_scene();
        scene.attached = None;
        let reach = resolve(Recipients::Group, &scene, &Protected::current());
        assert_eq!(pids(reach), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_subtree_holding_sigtree_itself_is_refused() {
        let me = std::process::id() as i32;
        let mut scene = launcher_scene();
        scene.nodes.push(Node {
            pid: me,
            parent: BASE + 3,
            pgid: BASE + 1,
            alive: true,
            outside: false,
        });
        let why = refusal(resolve(
            Recipients::Subtree(BASE + 2),
            &scene,
            &Protected::current(),
        ));
        assert!(why.contains("sigtree itself"), "{why}");
    }

    #[test]
    fn tinis_pid1_is_reached_by_its_own_pid_only_while_it_lives() {
        let protected = Protected::current();
        let scene = Scene {
            init: Some(BASE + 9),
            ..Scene::default()
        };
        assert_eq!(pids(resolve(Recipients::Init, &scene, &protected)), [9]);
        let gone = resolve(Recipients::Init, &Scene::default(), &protected);
        assert!(
            matches!(gone, Err(SignalError::NoSuchTarget(_))),
            "{gone:?}"
        );
    }
}
