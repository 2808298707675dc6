//! The session's side of the kernel's events: each lifecycle event of the
//! watched tree applied to the model as it arrives — a process seen at its
//! fork even when it lives 1 ms, its name followed through exec and
//! rename, its group through setsid, its end with the status the kernel
//! reported (`source: event`) — and a walk when the kernel lost events.

use std::time::Duration;

use super::{Session, command_line};
use crate::engine::kernel::EventsSource;
use crate::engine::kernel::lifecycle::{LifeEvent, LifeKind};
use crate::procfs::record::ProcessRecord;
use crate::sys::wait::Ending;
use crate::watch::model::{Actor, Sighting, Source};

/// How long the last events of a run may take to reach the session.
const SYNC_DEADLINE: Duration = Duration::from_secs(2);

/// How far apart an end already known and an exit event may be and still be
/// the same death (a worse source came first); further apart, the event is
/// a later process's under the same pid, one sigtree did not see start.
const SAME_DEATH_MS: u64 = 1000;

impl Session {
    /// What this run's events come from.
    pub fn events_source(&self) -> EventsSource {
        if self.lifecycle.is_some() {
            EventsSource::Lifecycle
        } else {
            EventsSource::Polling
        }
    }

    /// How many times the kernel dropped events (its socket's buffer was
    /// full) during the run.
    pub fn event_losses(&self) -> u64 {
        self.lifecycle.as_ref().map_or(0, |events| events.losses())
    }

    /// Applies the kernel events waiting; true when there were some.
    pub(super) fn read_kernel_events(&mut self) -> bool {
        let events = self
            .lifecycle
            .as_ref()
            .map(|lifecycle| lifecycle.take())
            .unwrap_or_default();
        let heard = !events.is_empty();
        for event in events {
            self.apply_life(event);
        }
        heard
    }

    /// Applies every event the kernel made until now: the run's last exits
    /// are in the report.
    pub(super) fn sync_kernel_events(&mut self) {
        let events = self
            .lifecycle
            .as_mut()
            .map(|lifecycle| lifecycle.sync(SYNC_DEADLINE))
            .unwrap_or_default();
        for event in events {
            self.apply_life(event);
        }
    }

    fn apply_life(&mut self, event: LifeEvent) {
        let at = event.at_ms;
        match event.kind {
            LifeKind::Fork {
                parent,
                child,
                start_time_ms,
                record,
            } => self.forked(at, parent, child, start_time_ms, record),
            LifeKind::Exec { pid, record } => self.execed(at, pid, record),
            LifeKind::Rename { pid, comm } => {
                if let Some(tracked) = self.pidfds.get_mut(&pid) {
                    tracked.latest.comm.clone_from(&comm);
                }
                self.watch.renamed(at, pid, &comm);
            }
            LifeKind::Setsid { pid } => self.setsid(at, pid),
            LifeKind::Exit { pid, ending } => self.exited(at, pid, ending),
            LifeKind::Lost => {
                self.watch.log(
                    at,
                    Actor::Sigtree,
                    "kernel events lost (the socket's buffer was full): walked the tree",
                );
                self.collect_now();
            }
        }
    }

    /// `parent` forked `child`: tracked at once while it lives; a process
    /// already gone is recorded from the event — its parent's group,
    /// session and command line, which a fork copies.
    fn forked(
        &mut self,
        at: u64,
        parent: i32,
        child: i32,
        start_time_ms: u64,
        record: Option<ProcessRecord>,
    ) {
        if !self.attached() && parent == self.root {
            // The keeper's child is the leader: known from the keeper, once
            // it leads its own group.
            return;
        }
        if !self.watch.processes().contains_key(&parent) {
            // Its fork came before a walk or a report showed the parent.
            self.track(parent, at, !self.attached());
        }
        let parent_cmd = self
            .watch
            .processes()
            .get(&parent)
            .map(|p| p.renamed_from.clone().unwrap_or_else(|| p.seen.cmd.clone()));
        let descends = !self.attached() || self.inside(parent);
        self.track_forked(child, at, descends, parent_cmd.as_deref());
        let known = self
            .watch
            .processes()
            .get(&child)
            .is_some_and(|p| p.seen.start_time_ms == start_time_ms);
        if known {
            return;
        }
        let Some(parent_seen) = self.watch.processes().get(&parent) else {
            // Both gone before they could be read: nothing says which group
            // and session the child had.
            return;
        };
        let (pgid, sid) = record
            .as_ref()
            .map_or((parent_seen.seen.pgid, parent_seen.seen.sid), |r| {
                (r.pgid, r.sid)
            });
        let name = record
            .as_ref()
            .map(|r| r.comm.clone())
            .or_else(|| parent_seen.names.last().cloned());
        let seen = Sighting {
            pid: child,
            start_time_ms,
            ppid: parent,
            pgid,
            sid,
            cmd: parent_seen.seen.cmd.clone(),
            zombie: record.as_ref().is_some_and(ProcessRecord::has_exited),
        };
        let outside = self.attached() && !self.inside(parent);
        let role = self.role_of(child, parent, outside);
        self.watch.observe(at, seen, || role);
        if let Some(name) = name {
            self.watch.saw_name(child, &name);
        }
        if outside {
            self.watch.set_outside(child);
        }
    }

    /// `pid` called execve: its new command line and name.
    fn execed(&mut self, at: u64, pid: i32, record: Option<ProcessRecord>) {
        let Some(known) = self.watch.processes().get(&pid) else {
            return;
        };
        let start = known.seen.start_time_ms;
        let record = record.filter(|r| r.start_time_ms == start);
        let named = record.map(|record| {
            let cmd = if record.cmdline.is_empty() {
                command_line(&mut self.reader, &record)
            } else {
                record.command()
            };
            if let Some(tracked) = self.pidfds.get_mut(&pid)
                && tracked.start_time_ms == start
            {
                tracked.cmd.clone_from(&cmd);
                tracked.latest = ProcessRecord {
                    cmdline: Vec::new(),
                    ..record.clone()
                };
            }
            (cmd, record.comm)
        });
        self.watch.exec(at, pid, named);
    }

    /// `pid` called setsid: it leads a session and a group of its own.
    fn setsid(&mut self, at: u64, pid: i32) {
        let Some(known) = self.watch.processes().get(&pid) else {
            return;
        };
        if known.has_ended() {
            return;
        }
        // A sighting carries the command line; the model keeps a rename.
        let cmd = known
            .renamed_from
            .clone()
            .unwrap_or_else(|| known.seen.cmd.clone());
        let seen = Sighting {
            pgid: pid,
            sid: pid,
            cmd,
            ..known.seen.clone()
        };
        if let Some(tracked) = self.pidfds.get_mut(&pid) {
            tracked.latest.pgid = pid;
            tracked.latest.sid = pid;
        }
        self.watch.observe(at, seen, String::new);
    }

    /// `pid` ended with `ending`, as the kernel reported it.
    fn exited(&mut self, at: u64, pid: i32, ending: Ending) {
        let Some(known) = self.watch.processes().get(&pid) else {
            return;
        };
        let same = known
            .ended_at
            .is_none_or(|end| end.abs_diff(at) <= SAME_DEATH_MS);
        if same {
            self.watch.ending(at, pid, ending, Source::Event);
        }
    }
}
