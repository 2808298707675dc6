//! The session's side of the kernel's events: each lifecycle event of the
//! watched tree applied to the model as it arrives — a process seen at its
//! fork even when it lives 1 ms, its name followed through exec and
//! rename, its group through setsid, its end with the status the kernel
//! reported (`source: event`) — and a walk when the kernel lost events.

use std::time::Duration;

use super::journal::Target;
use super::{Found, Session, Traced, Who, is_keepers_copy};
use crate::engine::kernel::EventsSource;
use crate::engine::kernel::lifecycle::{LifeEvent, LifeKind, Named};
use crate::procfs::record::ProcessRecord;
use crate::sys::boottime_ms;
use crate::sys::tracefs::TraceRecord;
use crate::sys::wait::Ending;
use crate::watch::model::{Actor, Sighting, Source};
use crate::watch::signals::{Delivery, From, Inferred, Received, SiCode};

/// How long the last events of a run may take to reach the session.
const SYNC_DEADLINE: Duration = Duration::from_secs(2);

/// How far apart an end already known and an exit event may be and still be
/// the same death (a worse source came first); further apart, the event is
/// a later process's under the same pid, one sigtree did not see start.
const SAME_DEATH_MS: u64 = 1000;

impl Session {
    /// What this run's events come from.
    pub fn events_source(&self) -> EventsSource {
        match (&self.lifecycle, &self.tracer) {
            (Some(_), Some(_)) => EventsSource::Kernel,
            (Some(_), None) => EventsSource::Lifecycle,
            (None, _) => EventsSource::Polling,
        }
    }

    /// How many times the kernel dropped events (its socket's buffer was
    /// full) during the run.
    pub fn event_losses(&self) -> u64 {
        self.lifecycle.as_ref().map_or(0, |events| events.losses())
            + self.tracer.as_ref().map_or(0, |tracer| tracer.losses())
    }

    /// Applies the kernel events the reading thread has handed over, and
    /// walks the tree if the kernel lost some; true when there were some.
    pub(super) fn read_kernel_events(&mut self) -> bool {
        let events = self
            .lifecycle
            .as_ref()
            .map(|lifecycle| lifecycle.take())
            .unwrap_or_default();
        let heard = !events.is_empty();
        if self.apply_all(events) {
            self.events_lost = true;
            self.collect(false);
        }
        heard
    }

    /// Applies every event the kernel made until now (the reading thread
    /// reads its socket to the end first): applied before a walk or a stat
    /// read, so that the kernel's order is the model's. A loss is logged;
    /// the caller walks.
    pub(super) fn sync_kernel_events(&mut self) {
        let Some(lifecycle) = self.lifecycle.as_mut() else {
            return;
        };
        let asked_at = boottime_ms();
        // Walks leave young processes to the events only while they flow.
        let events = match lifecycle.sync(SYNC_DEADLINE) {
            Ok(events) => {
                self.events_synced_at = Some(asked_at);
                events
            }
            Err(events) => {
                self.events_lost = true;
                events
            }
        };
        if self.apply_all(events) {
            self.events_lost = true;
        }
    }

    /// Applies `events` in order; true when the kernel lost some.
    fn apply_all(&mut self, events: Vec<LifeEvent>) -> bool {
        let mut lost = false;
        for event in events {
            lost |= self.apply_life(event);
        }
        lost
    }

    /// Applies one event; true when it says events were lost.
    fn apply_life(&mut self, event: LifeEvent) -> bool {
        let at = event.at_ns / 1_000_000;
        self.journal_at(Some(event.at_ns));
        let lost = self.apply_life_kind(at, event.kind);
        self.journal_at(None);
        lost
    }

    /// Applies what the event at `at` (ms) says.
    fn apply_life_kind(&mut self, at: u64, kind: LifeKind) -> bool {
        match kind {
            LifeKind::Fork {
                parent,
                child,
                start_time_ms,
                record,
                named,
            } => self.forked(at, parent, (child, start_time_ms), record, named),
            LifeKind::Exec { pid, record } => self.execed(at, pid, record),
            LifeKind::Rename { pid, comm, cmd } => self.renamed(at, pid, &comm, cmd),
            LifeKind::Setsid { pid } => self.setsid(at, pid),
            LifeKind::Exit { pid, ending } => self.exited(at, pid, ending),
            LifeKind::Lost => {
                self.watch.log(
                    at,
                    Actor::Sigtree,
                    "kernel events lost (the socket's buffer was full): walked the tree",
                );
                return true;
            }
        }
        false
    }

    /// `parent` forked `child` (pid and start time): tracked at once while
    /// it lives; a process already gone is recorded from the event — the
    /// name and command line the fork copied (`named`), its parent's group
    /// and session.
    fn forked(
        &mut self,
        at: u64,
        parent: i32,
        (child, start_time_ms): (i32, u64),
        record: Option<ProcessRecord>,
        named: Option<Named>,
    ) {
        if self.is_init(parent, child) {
            return;
        }
        let keepers_child = !self.attached() && parent == self.launcher();
        if keepers_child {
            // Known already (from the keeper) or not, it is recorded here:
            // it may be gone before anything else could see it.
            if self.leader.is_some_and(|leader| leader != child) {
                return;
            }
            // The keeper forks one process, the leader; it leads a group of
            // its own before its exec (tracked then, or when the keeper says).
            self.leader = Some(child);
            self.watch.set_group(child);
        } else if !self.watch.processes().contains_key(&parent) {
            // Its fork came before a walk or a report showed the parent.
            self.track(parent, at, !self.attached());
        }
        let descends = !self.attached() || self.inside_at(parent, at);
        match &named {
            Some(named) => self.track_found(child, at, descends, Found::Event(named)),
            None => self.track(child, at, descends),
        }
        let known = self
            .watch
            .processes()
            .get(&child)
            .is_some_and(|p| p.seen.start_time_ms == start_time_ms);
        if known {
            return;
        }
        let (pgid, sid, named) = if keepers_child {
            // Its own group; the keeper's session, which is sigtree's.
            let sid = match &record {
                Some(record) => record.sid,
                None => self
                    .reader
                    .stat(std::process::id() as i32)
                    .map_or(0, |r| r.sid),
            };
            let Some(named) = named else { return };
            (child, sid, named)
        } else {
            let Some(parent_seen) = self.watch.processes().get(&parent) else {
                // Both gone before they could be read: nothing says which
                // group and session the child had.
                return;
            };
            let (pgid, sid) = record
                .as_ref()
                .map_or((parent_seen.seen.pgid, parent_seen.seen.sid), |r| {
                    (r.pgid, r.sid)
                });
            let named = named.unwrap_or_else(|| Named {
                comm: parent_seen.names.last().cloned().unwrap_or_default(),
                cmd: parent_seen.command_line.clone(),
            });
            (pgid, sid, named)
        };
        let seen = Sighting {
            pid: child,
            start_time_ms,
            ppid: parent,
            pgid,
            sid,
            cmd: named.cmd.clone(),
            zombie: record.as_ref().is_some_and(ProcessRecord::has_exited),
        };
        let outside = self.attached() && !self.inside_at(parent, at);
        let role = self.role_of(child, parent, outside);
        self.watch.observe(at, seen, || role);
        if !is_keepers_copy(&named.cmd) {
            self.watch.saw_name(child, &named.comm);
        }
        if outside {
            self.watch.set_outside(child);
        }
        // Its name when forked: the keeper's copy has none of its own.
        let comm = named.comm;
        self.journal(child, |child| Traced::Fork {
            at_ms: at,
            child: Who { comm, ..child },
            parent,
        });
    }

    /// `pid` called execve: its new command line and name. A process not
    /// seen yet (the leader, whose fork was the keeper's) is tracked now,
    /// under the name it exec'd.
    fn execed(&mut self, at: u64, pid: i32, record: Option<ProcessRecord>) {
        let known = self
            .watch
            .processes()
            .get(&pid)
            .map(|p| p.seen.start_time_ms);
        let record = record.filter(|r| known.is_none_or(|start| r.start_time_ms == start));
        let Some(start) = known else {
            let Some(record) = record else { return };
            if self.is_init(record.ppid, pid) {
                return;
            }
            let named = Named::of(&record);
            if !self.attached() && record.ppid == self.launcher() && self.leader.is_none() {
                // The keeper forks one process: the leader, exec'ing now
                // (its pre-exec, where it took its containment, is over).
                self.leader = Some(pid);
                self.settle_containment(pid);
                self.watch.set_group(pid);
                self.leader_tracked(pid, at, Found::Event(&named));
            } else {
                let descends = !self.attached() || self.inside_at(record.ppid, at);
                self.track_found(pid, at, descends, Found::Event(&named));
            }
            let cmd = Some(named.cmd);
            self.journal(pid, |who| Traced::Exec {
                at_ms: at,
                who,
                cmd,
            });
            return;
        };
        if self.leader == Some(pid) {
            // Its pre-exec, where it took its containment, is over.
            self.settle_containment(pid);
        }
        let named = record.map(|record| {
            let named = Named::of(&record);
            if let Some(tracked) = self.pidfds.get_mut(&pid)
                && tracked.start_time_ms == start
            {
                tracked.cmd.clone_from(&named.cmd);
                tracked.latest = ProcessRecord {
                    cmdline: Vec::new(),
                    ..record
                };
            }
            (named.cmd, named.comm)
        });
        let cmd = named.as_ref().map(|(cmd, _)| cmd.clone());
        self.watch.exec(at, pid, named);
        self.journal(pid, |who| Traced::Exec {
            at_ms: at,
            who,
            cmd,
        });
    }

    /// `pid` renamed itself to `comm`; `cmd` is its command line read
    /// right after.
    fn renamed(&mut self, at: u64, pid: i32, comm: &str, cmd: Option<String>) {
        if let (Some(cmd), Some(tracked)) = (&cmd, self.pidfds.get_mut(&pid)) {
            tracked.cmd.clone_from(cmd);
        }
        // Its stat keeps the old name: the next refresh sees the change and
        // reads the command line again, in case argv is rewritten after.
        self.watch.renamed(at, pid, comm, cmd);
        self.journal(pid, |who| Traced::Rename { at_ms: at, who });
    }

    /// `pid` called setsid: it leads a session and a group of its own.
    /// (Its end may be known already: the event is older than what /proc
    /// showed since.)
    fn setsid(&mut self, at: u64, pid: i32) {
        if let Some(tracked) = self.pidfds.get_mut(&pid) {
            tracked.latest.pgid = pid;
            tracked.latest.sid = pid;
        }
        self.watch.setsid(at, pid);
        self.journal(pid, |who| Traced::Setsid { at_ms: at, who });
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
            self.journal_exit(pid, false, true);
        }
    }
}

impl Session {
    /// Applies the tracer's records waiting (after the lifecycle events
    /// before them: a signal's receiver is known first).
    pub(super) fn read_signal_events(&mut self) -> bool {
        let Some(tracer) = self.tracer.as_mut() else {
            return false;
        };
        let records = tracer.read();
        let heard = !records.is_empty();
        if heard {
            self.sync_kernel_events();
            for record in records {
                self.apply_trace(record);
            }
        }
        heard
    }

    /// Applies every signal event the kernel traced until now.
    pub(super) fn sync_signal_events(&mut self) {
        let Some(tracer) = self.tracer.as_mut() else {
            return;
        };
        let records = tracer.sync(SYNC_DEADLINE);
        self.sync_kernel_events();
        for record in records {
            self.apply_trace(record);
        }
    }

    fn apply_trace(&mut self, record: TraceRecord) {
        let at_ns = match &record {
            TraceRecord::Generate { at_ns, .. } | TraceRecord::Deliver { at_ns, .. } => {
                Some(*at_ns)
            }
            _ => None,
        };
        self.journal_at(at_ns);
        self.apply_trace_record(record);
        self.journal_at(None);
    }

    fn apply_trace_record(&mut self, record: TraceRecord) {
        match record {
            TraceRecord::Generate {
                at_ns,
                sender,
                sig,
                code,
                target_pid,
                target_comm,
                group,
                result,
            } => {
                let Some(result) = Delivery::of(result) else {
                    return;
                };
                let at_ms = at_ns / 1_000_000;
                let inside =
                    |pid: i32| self.watch.processes().get(&pid).is_some_and(|p| !p.outside);
                let (to_inside, from_inside) = (inside(target_pid), inside(sender.tgid));
                if !to_inside && !from_inside {
                    return;
                }
                let ours = [Some(std::process::id() as i32), self.keeper_pid()];
                let code = SiCode::of(code, sig);
                let from = if ours.contains(&Some(sender.tgid)) {
                    From::Sigtree
                } else if code == SiCode::Kernel {
                    From::Kernel
                } else {
                    From::Process
                };
                let exiting = self
                    .tracer
                    .as_ref()
                    .is_some_and(|tracer| tracer.sent_while_exiting(sender.tid, at_ns));
                let inferred = Inferred::of(sig, code, exiting);
                let from_comm = self.name_of(sender.tgid, sender.comm);
                let received = Received {
                    at_ms,
                    signal: sig,
                    from,
                    from_pid: sender.tgid,
                    from_comm,
                    code,
                    result,
                    handled: None,
                    inferred,
                };
                // What the subtree sends outside it is the trace's too.
                if self.journal.is_some() {
                    let to = Target {
                        pid: target_pid,
                        comm: target_comm,
                        role: self
                            .watch
                            .processes()
                            .get(&target_pid)
                            .map(|p| p.role.clone()),
                        group,
                    };
                    self.journal_signal(received.clone(), to);
                }
                if to_inside {
                    self.watch.received(target_pid, received);
                }
            }
            TraceRecord::Deliver {
                at_ns,
                task,
                sig,
                handler,
                ..
            } => {
                // 0 is SIG_DFL, 1 SIG_IGN: anything else is a handler.
                let at_ms = at_ns / 1_000_000;
                self.journal(task.tgid, |who| Traced::Deliver {
                    at_ms,
                    who,
                    signal: sig,
                    handler,
                });
                self.watch
                    .delivered(at_ns / 1_000_000, task.tgid, sig, handler > 1);
            }
            TraceRecord::Exiting { .. }
            | TraceRecord::NewTask { .. }
            | TraceRecord::Lost(_)
            | TraceRecord::Synced(_) => {}
        }
    }

    /// The name of `pid`, which the trace gave as `traced`: the trace's
    /// cache of names is small and says `<...>` for a task it lost; then
    /// the name the run knows, or /proc's now.
    fn name_of(&mut self, pid: i32, traced: String) -> String {
        if traced != "<...>" {
            return traced;
        }
        let known = self
            .watch
            .processes()
            .get(&pid)
            .and_then(|p| p.names.last().cloned());
        known
            .or_else(|| self.reader.stat(pid).ok().map(|r| r.comm))
            .unwrap_or(traced)
    }
}
