//! What a front end shows, read by the session: the front end says which
//! rows it shows and which processes it looks at closely ([`Shown`]); on
//! the collect cadence the session reads status (masks, uid) for those rows
//! only, wchan and every thread's masks for the processes looked at, and the
//! system-wide orphans report while it is wanted, spaced by its cost and
//! made on a thread of its own. [`SessionView`] is what a front end reads
//! back: plain data, no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Session;
use crate::engine::kernel::EventsSource;
use crate::pool::block::Accounts;
use crate::pool::output::Output;
use crate::procfs::orphans::OrphansReport;
use crate::procfs::record::ProcessRecord;
use crate::procfs::scan::{Reader, ScanOptions};
use crate::procfs::target::Context;
use crate::signal::effect::Target;
use crate::watch::model::Watch;

/// The least time between two system-wide scans for the orphans report.
const ORPHANS_SCAN_MIN: Duration = Duration::from_secs(5);

/// What a front end shows now: the session reads for these and no others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    /// The rows on screen and the selected one: status read every collect.
    pub rows: Vec<i32>,
    /// The processes looked at closely (the selected one, the targets of
    /// an open question): wchan and every thread's masks.
    pub focus: Vec<i32>,
    /// Whether the orphans report is on screen.
    pub orphans: bool,
}

/// What is read of a process looked at closely.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Closer {
    /// The kernel function it sleeps in; empty when it runs.
    pub wchan: String,
    /// What a signal prediction needs (every thread's masks, tracer,
    /// namespace, sigtree's permission), when it could all be read.
    pub target: Option<Target>,
}

/// The session as a front end reads it for one frame.
#[derive(Clone, Copy, Debug)]
pub struct SessionView<'r> {
    /// The model of the run.
    pub watch: &'r Watch,
    /// The watched process group.
    pub group: Option<i32>,
    /// The keeper's pid; `None` when attached.
    pub keeper: Option<i32>,
    /// Whether the run watches a process sigtree did not start.
    pub attached: bool,
    /// Whether everything watched has ended.
    pub ended: bool,
    /// The pool's stop event (set or not); `None` without a pool.
    pub stop_event: Option<bool>,
    /// The pool's task accounts; `None` without a pool.
    pub accounts: Option<Accounts>,
    /// Reports the pool could not write because the channel was full.
    pub dropped_reports: u32,
    /// A command's captured output.
    pub output: Option<&'r Output>,
    /// Fresh stat and status of each live observed process.
    pub status: &'r BTreeMap<i32, ProcessRecord>,
    /// What was read of the processes looked at closely.
    pub closer: &'r BTreeMap<i32, Closer>,
    /// The last orphans report (`None` until the first scan is done).
    pub orphans: Option<&'r OrphansReport>,
    /// The keeper's stat and status as last read; `None` when attached.
    pub keeper_record: Option<&'r ProcessRecord>,
    /// sigtree's init (tini's PID 1) as last read, while it lives.
    pub init_record: Option<&'r ProcessRecord>,
    /// Whether exit statuses come from pidfds (PIDFD_INFO_EXIT).
    pub exit_info: bool,
    /// sigtree's own pid and process group.
    pub sigtree: (i32, i32),
    /// What the run's events come from.
    pub events_source: EventsSource,
}

/// The session's side of what a front end shows.
#[derive(Debug)]
pub(super) struct Sight {
    /// Whether a front end ever said what it shows: headless, nothing is
    /// read for one.
    active: bool,
    shown: BTreeSet<i32>,
    focus: BTreeSet<i32>,
    status: BTreeMap<i32, ProcessRecord>,
    closer: BTreeMap<i32, Closer>,
    orphans: OrphansScan,
    sigtree: (i32, i32),
    /// sigtree as a sender, read once: whom it may signal.
    sender: Option<Context>,
    /// The keeper's record, read with the rows.
    keeper: Option<ProcessRecord>,
    /// tini's init's record, read with the rows.
    init: Option<ProcessRecord>,
}

/// The orphans report and the scan that makes it.
#[derive(Debug, Default)]
struct OrphansScan {
    wanted: bool,
    report: Option<OrphansReport>,
    /// When the last scan started, and how long to wait for the next.
    started: Option<Instant>,
    every: Duration,
    running: Option<JoinHandle<(Option<OrphansReport>, Duration)>>,
}

impl Sight {
    /// Nothing shown yet.
    pub(super) fn new() -> Self {
        Self {
            active: false,
            shown: BTreeSet::new(),
            focus: BTreeSet::new(),
            status: BTreeMap::new(),
            closer: BTreeMap::new(),
            orphans: OrphansScan {
                every: ORPHANS_SCAN_MIN,
                ..OrphansScan::default()
            },
            sigtree: (std::process::id() as i32, crate::sys::process::own_group()),
            sender: None,
            keeper: None,
            init: None,
        }
    }
}

impl Session {
    /// A front end says what it shows: from now on the session reads for
    /// those. A process newly looked at closely is read at once (a question
    /// lists what each signal does to it); asking for the orphans report
    /// starts its scan, off this thread, when it is due.
    pub fn show(&mut self, shown: Shown) {
        self.sight.active = true;
        self.sight.shown = shown.rows.into_iter().collect();
        let focus: BTreeSet<i32> = shown.focus.into_iter().collect();
        self.sight.closer.retain(|pid, _| focus.contains(pid));
        let new: Vec<i32> = focus
            .iter()
            .filter(|pid| !self.sight.closer.contains_key(pid))
            .copied()
            .collect();
        self.sight.focus = focus;
        for pid in new {
            self.read_closer(pid);
        }
        let scan = &mut self.sight.orphans;
        if shown.orphans && !scan.wanted && scan.started.is_none_or(|at| at.elapsed() >= scan.every)
        {
            // Opened again after a while: not last time's report.
            scan.report = None;
        }
        scan.wanted = shown.orphans;
        self.scan_orphans();
    }

    /// The session as a front end reads it now.
    pub fn view(&self) -> SessionView<'_> {
        SessionView {
            watch: &self.watch,
            group: self.group(),
            keeper: self.keeper_pid(),
            attached: self.attached(),
            ended: self.ended(),
            stop_event: self.block().map(|block| block.stop_requested()),
            accounts: self.accounts(),
            dropped_reports: self.dropped_reports(),
            output: self.output(),
            status: &self.sight.status,
            closer: &self.sight.closer,
            orphans: self.sight.orphans.report.as_ref(),
            keeper_record: self.sight.keeper.as_ref(),
            init_record: self.sight.init.as_ref(),
            exit_info: crate::sys::pidfd::exit_info_supported(),
            sigtree: self.sight.sigtree,
            events_source: self.events_source(),
        }
    }

    /// Whether `pid` is stopped, read now rather than at the last collect:
    /// a SIGSTOP sent a moment ago may not have shown there yet.
    pub fn stopped_now(&mut self, pid: i32) -> bool {
        self.reader.stat(pid).is_ok_and(|r| r.state.is_stopped())
    }

    /// On the collect cadence: status for the rows shown (the others keep
    /// what was last read), the processes looked at closely, the orphans
    /// report when due.
    pub(super) fn read_shown(&mut self) {
        if !self.sight.active {
            return;
        }
        self.refresh_stats();
        let keeper = self.keeper_pid();
        let init = self.init_pidfd().filter(|init| init.is_running());
        let init = init.map(crate::sys::pidfd::PidFd::pid);
        let mut read = |pid: i32| {
            let mut record = self.reader.stat(pid).ok()?;
            if let Ok(status) = self.reader.status(pid) {
                record.apply_status(status);
            }
            Some(record)
        };
        self.sight.keeper = keeper.and_then(&mut read);
        self.sight.init = init.and_then(read);
        let focus: Vec<i32> = self.sight.focus.iter().copied().collect();
        for pid in focus {
            self.read_closer(pid);
        }
        self.scan_orphans();
    }

    /// Status (masks, uid) and the latest stat are taken again only for
    /// the rows on screen and the selected one (and once for a new
    /// process); the others keep what was last taken.
    fn refresh_stats(&mut self) {
        let live: BTreeSet<i32> = self.watch.alive().into_iter().collect();
        self.sight.status.retain(|pid, _| live.contains(pid));
        for pid in live {
            // A row out of sight keeps what was read when it was last seen:
            // nothing is copied or read for it until it shows again.
            let known = self.sight.status.contains_key(&pid);
            if known && !self.sight.shown.contains(&pid) {
                continue;
            }
            let Some(mut record) = self.latest(pid).cloned() else {
                continue;
            };
            match (self.reader.status(pid).ok(), self.sight.status.get(&pid)) {
                (Some(status), _) => record.apply_status(status),
                (None, Some(old)) => record.keep_status_of(old),
                (None, None) => {}
            }
            self.sight.status.insert(pid, record);
        }
    }

    /// Reads what a prediction needs of `pid` (the effect model's
    /// [`Target`], its group taken as not orphaned: a stop's signals are
    /// not job-control stops), and where it sleeps.
    fn read_closer(&mut self, pid: i32) {
        if self.sight.sender.is_none() {
            self.sight.sender = self.reader.context().ok();
        }
        let target = match (&self.sight.sender, self.reader.inspect(pid)) {
            (Some(sender), Ok(inspection)) => Some(inspection.target(sender, false)),
            _ => None,
        };
        let closer = Closer {
            wchan: self.reader.wchan(pid).unwrap_or_default(),
            target,
        };
        self.sight.closer.insert(pid, closer);
    }

    /// Takes a finished scan's report; starts the next when the report is
    /// wanted and due: never more often than every 5 s, and at least 100
    /// times the last scan's cost apart (under 1 % of a core).
    fn scan_orphans(&mut self) {
        let scan = &mut self.sight.orphans;
        if scan.running.as_ref().is_some_and(JoinHandle::is_finished)
            && let Some(Ok((report, cost))) = scan.running.take().map(JoinHandle::join)
        {
            scan.every = ORPHANS_SCAN_MIN.max(cost * 100);
            if scan.wanted {
                scan.report = report;
            }
        }
        let due = scan.started.is_none_or(|at| at.elapsed() >= scan.every);
        if !scan.wanted || scan.running.is_some() || !due {
            return;
        }
        let subreapers: Vec<i32> = self.keeper_pid().into_iter().collect();
        let scan = &mut self.sight.orphans;
        scan.started = Some(Instant::now());
        scan.running = std::thread::Builder::new()
            .name("orphans".into())
            .spawn(move || {
                let started = Instant::now();
                let report = Reader::default()
                    .snapshot(ScanOptions { cmdline: true })
                    .ok()
                    .map(|snapshot| OrphansReport::new(&snapshot, &subreapers));
                (report, started.elapsed())
            })
            .ok();
    }
}
