//! Turns a [`Model`] — the session's view, the UI state, the mode — and
//! the time into a [`Screen`]: rows in tree order with ghosts, the detail
//! pane, lifelines, the log, the keys that apply. Pure: no I/O, no clock
//! read but the [`Now`] it is given.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::question::Asked;
use super::screen::{
    Detail, EndMark, Header, LANES_BUILT, LOG_LINES_BUILT, Lane, Lifelines, LogLine, OrphansView,
    OutputPane, Overlay, Row, RowKind, Screen, Segment,
};
use super::state::{Popup, Quit, UiState};
use crate::engine::policy::Policy;
use crate::engine::session::SessionView;
use crate::engine::stop::Step;
use crate::pool::scenario::{Scenario, Tasks};
use crate::procfs::record::ProcessRecord;
use crate::signal::sigset::Signal;
use crate::sys::{boottime_ms, monotonic_ms};
use crate::text::{escape_controls, pid_list};
use crate::watch::action::{Action, Target as ActionTarget};
use crate::watch::model::{Actor, Observed, Outcome};
use crate::watch::vocabulary::{Phase, Role};
use crate::watch::wording::{self, duration};

/// How many phases the detail pane lists, the newest first.
const PHASES_SHOWN: usize = 6;
/// How many received signals the detail pane lists, newest first.
const SIGNALS_SHOWN: usize = 6;

/// Everything one frame shows.
#[derive(Clone, Debug)]
pub struct Model<'a> {
    /// The session as it reads now.
    pub run: SessionView<'a>,
    /// The UI's state.
    pub ui: &'a UiState,
    /// "demo", "run" or "attach".
    pub mode: &'static str,
    /// The scenario's name, or the command line, or the attached pid.
    pub subject: String,
    /// The demo's scenario; `None` in run and attach.
    pub scenario: Option<&'a Scenario>,
    /// Where a running stop sequence is.
    pub stopping: Option<Step>,
    /// What the open question's command hits now.
    pub asked: Option<&'a Asked>,
    /// The stop under way; `None` when no stop was asked for.
    pub stop: Option<StopUnderWay>,
}

/// A stop under way, as the "holding up the stop" strip judges survivors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopUnderWay {
    /// The stop event was set (`e`): no signal was sent.
    Event,
    /// A stop sequence's signal, or a signal the user sent the group.
    Signal(Signal),
}

/// The time a frame is drawn at, on each clock the view needs.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    /// Monotonic milliseconds (the model's clock).
    pub monotonic_ms: u64,
    /// Milliseconds since boot, suspend included (start times' clock).
    pub boottime_ms: u64,
    /// For the stop sequence's deadlines.
    pub instant: Instant,
}

impl Now {
    /// The clocks now.
    pub fn read() -> Self {
        Self {
            monotonic_ms: monotonic_ms(),
            boottime_ms: boottime_ms(),
            instant: Instant::now(),
        }
    }
}

/// The whole screen for `app` at `now`.
pub fn screen(app: &Model<'_>, at: &Now) -> Screen {
    let watch = app.run.watch;
    let now = at.monotonic_ms.saturating_sub(watch.start_ms());
    let rows = rows(app, at);
    let order: Vec<i32> = rows.iter().map(|r| r.pid).collect();
    let selected = app
        .ui
        .selected
        .and_then(|pid| order.iter().position(|p| *p == pid));
    Screen {
        header: header(app, now, at),
        detail: app.ui.selected.and_then(|pid| detail(app, pid, at)),
        detail_toggled: app.ui.detail_toggled,
        selected,
        rows,
        lifelines: lifelines(app, now),
        log: log_lines(watch, app.ui.log_paused),
        log_paused: app.ui.log_paused.map(|(at, scroll)| {
            let new = watch.logged().saturating_sub(at);
            format!("paused, {new} new (l follows again) · PgUp/PgDn scroll · {scroll} up")
        }),
        keys: keys(app),
        message: app.ui.message.clone().or_else(|| status_line(app)),
        overlay: overlay(app),
        output: app.run.output.map(|output| {
            let excerpt = output.excerpt(app.ui.output_scroll, 200);
            OutputPane {
                lines: excerpt.lines,
                total: excerpt.total,
                scrolled: app.ui.output_scroll,
            }
        }),
        color: app.ui.color,
        holding: holding::holding(app),
    }
}

/// The log's newest [`LOG_LINES_BUILT`] lines, oldest first, each run of
/// routine lines (task progress, first sightings) folded into one line
/// that counts them: the user's actions and what answers them stay on
/// screen however busy the pool is. Paused at `(count, scroll)`: the lines
/// logged before the count, less the `scroll` newest of them.
fn log_lines(watch: &crate::watch::model::Watch, paused: Option<(u64, usize)>) -> Vec<LogLine> {
    // Paused: the lines logged before the pause (a signal's line may have
    // gone in before later ones since).
    let (count, scroll) = paused.unwrap_or((u64::MAX, 0));
    let mut lines: Vec<LogLine> = Vec::new();
    let mut folded: Option<(u64, u64, usize)> = None;
    let fold = |lines: &mut Vec<LogLine>, (first, last, count): (u64, u64, usize)| {
        lines.push(LogLine {
            at: seconds(last),
            who: String::new(),
            what: format!(
                "{count} routine line{} folded (task progress, first sightings) since {}",
                if count == 1 { "" } else { "s" },
                seconds(first)
            ),
        });
    };
    for event in watch.timeline().iter().rev().filter(|e| e.number < count) {
        if lines.len() >= LOG_LINES_BUILT + scroll {
            break;
        }
        if event.routine {
            let (_, last, count) = folded.unwrap_or((event.at_ms, event.at_ms, 0));
            folded = Some((event.at_ms, last, count + 1));
            continue;
        }
        if let Some(run) = folded.take() {
            fold(&mut lines, run);
        }
        lines.push(LogLine {
            at: seconds(event.at_ms),
            who: match &event.who {
                Actor::You => "you".into(),
                Actor::Sigtree => "sigtree".into(),
                Actor::Kernel => "kernel".into(),
                Actor::Process(pid, role) => format!("{pid} {role}"),
            },
            what: escape_controls(&event.what).into_owned(),
        });
    }
    if let Some(run) = folded.filter(|_| lines.len() < LOG_LINES_BUILT + scroll) {
        fold(&mut lines, run);
    }
    // Scrolled up: the newest lines give way, the oldest at least stay.
    lines.drain(..scroll.min(lines.len().saturating_sub(1)));
    lines.reverse();
    lines
}

fn seconds(ms: u64) -> String {
    format!("+{}.{} s", ms / 1000, (ms % 1000) / 100)
}

fn header(app: &Model<'_>, now: u64, at: &Now) -> Header {
    let watch = app.run.watch;
    let master = app.run.group;
    let stop_event = app.run.stop_event.map(|set| {
        if set {
            let set_at = app
                .ui
                .markers
                .iter()
                .find(|(_, key)| key == "e" || key == "g")
                .map(|(at, _)| *at);
            set_at.map_or_else(|| "set".to_string(), |at| format!("set at {}", seconds(at)))
        } else {
            "clear".to_string()
        }
    });
    let accounts = app.run.accounts;
    let endless = app.scenario.is_some_and(|s| s.pool.tasks == Tasks::Endless);
    Header {
        // sigtree's own stop goes unsaid; a runtime's is named.
        mode: match app.ui.policy {
            Policy::Sigtree => app.mode.into(),
            policy => format!("{} · stops as {policy}", app.mode),
        },
        subject: app.subject.clone(),
        pgid: master,
        sid: master
            .and_then(|m| watch.processes().get(&m))
            .map(|p| p.seen.sid),
        own_pid: app.run.sigtree.0,
        own_pgid: app.run.sigtree.1,
        keeper: app.run.keeper,
        events: app.run.events_source.words().into(),
        stop_event,
        tasks: accounts.map(|a| (a.completed, a.lost, (!endless).then_some(a.queued))),
        stopping: app.stopping.map(|step| match step {
            Step::Draining(until) => {
                format!("graceful stop: draining, SIGTERM in {}", left(until, at))
            }
            Step::Signalled(until) => {
                format!("graceful stop: signalled, SIGKILL in {}", left(until, at))
            }
            Step::KillingGroup(_) => "graceful stop: SIGKILL sent to the group".into(),
            Step::Settling(_) => "stop: the runtime is done; waiting for the dying to end".into(),
            Step::Finishing(_) => "graceful stop: ending what left the group".into(),
            Step::Done => "graceful stop: done".into(),
        }),
        elapsed: seconds(now),
    }
}

fn left(until: Instant, at: &Now) -> String {
    let ms = until.saturating_duration_since(at.instant).as_millis() as u64;
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}

/// The rows: observed processes as a tree (parents before children), the
/// ended ones as ghosts in place. Only the rows the table can show (and a
/// table's height around them) are built in full; the others carry their
/// pid alone, for the order: a 5000-member group costs a frame 5000 pids,
/// not 5000 rows of text.
fn rows(app: &Model<'_>, at: &Now) -> Vec<Row> {
    let processes = app.run.watch.processes();
    let keeper = app.run.keeper_record;
    let init = app.run.init_record;
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    // tini's init under the keeper, what it started and adopted under it.
    for (pid, ppid) in init
        .map(|i| (i.pid, i.ppid))
        .into_iter()
        .chain(processes.values().map(|p| (p.seen.pid, p.seen.ppid)))
    {
        children.entry(ppid).or_default().push(pid);
    }
    // The keeper first, what it started and adopted under it.
    let keeper_pid = keeper.map(|k| k.pid);
    let roots: Vec<i32> = keeper_pid
        .into_iter()
        .chain(
            processes
                .values()
                .filter(|p| {
                    !processes.contains_key(&p.seen.ppid) && Some(p.seen.ppid) != keeper_pid
                })
                .map(|p| p.seen.pid),
        )
        .collect();
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for root in roots {
        push_tree(root, String::new(), "", &children, &mut seen, &mut order);
    }
    let built = built_window(app, &order);
    order
        .into_iter()
        .enumerate()
        .filter_map(|(i, (pid, guides))| {
            let full = built.contains(&i);
            if let Some(keeper) = keeper.filter(|k| k.pid == pid) {
                let what = "sigtree's keeper: subreaper of the run, in a group of its own";
                return Some(own_row(app, at, keeper, Role::Keeper.name(), what));
            }
            if let Some(init) = init.filter(|i| i.pid == pid) {
                let what = "sigtree's init: PID 1 of the run's pid namespace, playing tini";
                return Some(own_row(app, at, init, "init".into(), what));
            }
            let process = processes.get(&pid)?;
            Some(if full {
                row(app, at, process, &guides)
            } else {
                Row {
                    pid,
                    ..Row::default()
                }
            })
        })
        .collect()
}

/// Which rows of `order` a frame builds in full: the ones the table showed
/// last around the selection, with a table's height more on each side (the
/// selection moves a row at a time); every row before the first frame.
fn built_window(app: &Model<'_>, order: &[(i32, String)]) -> std::ops::Range<usize> {
    let Some(area) = app.ui.table_rows else {
        return 0..order.len();
    };
    let height = usize::from(area.height);
    let selected = app
        .ui
        .selected
        .and_then(|pid| order.iter().position(|(p, _)| *p == pid));
    let first = super::widgets::table::first_visible(selected, height);
    first.saturating_sub(height)..first + 2 * height
}

/// Appends `pid` and its subtree to `order`, each with its tree guides.
fn push_tree(
    pid: i32,
    guides: String,
    indent: &str,
    children: &BTreeMap<i32, Vec<i32>>,
    seen: &mut BTreeSet<i32>,
    order: &mut Vec<(i32, String)>,
) {
    if !seen.insert(pid) {
        return;
    }
    order.push((pid, guides));
    let kids = children.get(&pid).map(Vec::as_slice).unwrap_or(&[]);
    for (i, &child) in kids.iter().enumerate() {
        let last = i + 1 == kids.len();
        let (branch, pipe) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        push_tree(
            child,
            format!("{indent}{branch}"),
            &format!("{indent}{pipe}"),
            children,
            seen,
            order,
        );
    }
}

fn row(app: &Model<'_>, at: &Now, process: &Observed, guides: &str) -> Row {
    let pid = process.seen.pid;
    let stats = app
        .run
        .status
        .get(&pid)
        .filter(|_| !process.has_ended() || process.ending.is_none());
    let ghost = process.ending.is_some() || (process.has_ended() && stats.is_none());
    let kind = if ghost {
        RowKind::Ghost
    } else {
        kind_of(app, process.seen.pgid, process.seen.sid)
    };
    Row {
        ppid: process.seen.ppid,
        pgid: process.seen.pgid,
        sid: process.seen.sid,
        state: if holding::zombie_now(process) {
            'Z'
        } else if ghost {
            '-'
        } else {
            stats.map_or('?', |r| r.state.letter())
        },
        role: process.role.clone(),
        phase: process.phase().map(Phase::label).unwrap_or_default(),
        tree: guides.to_string(),
        cmd: escape_controls(&process.seen.cmd).into_owned(),
        kind,
        outcome: outcome_text(app, process, at),
        ..live_cells(app, at, pid, stats)
    }
}

/// How a live process in group `pgid` of session `sid` relates to the
/// watched group.
fn kind_of(app: &Model<'_>, pgid: i32, sid: i32) -> RowKind {
    let group = app.run.group;
    if Some(pgid) == group {
        RowKind::Member
    } else if group
        .and_then(|g| app.run.watch.processes().get(&g))
        .is_some_and(|leader| leader.seen.sid == sid)
    {
        RowKind::OtherGroup
    } else {
        RowKind::OtherSession
    }
}

/// A row of `pid` with the values read of it live (dispositions, pending
/// signals, CPU, memory, age); blank where nothing was read.
fn live_cells(app: &Model<'_>, at: &Now, pid: i32, stats: Option<&ProcessRecord>) -> Row {
    let disposition = |signal: Signal| {
        stats
            .and_then(|r| r.signals)
            .map_or_else(String::new, |masks| {
                masks.disposition(signal).label().to_string()
            })
    };
    Row {
        pid,
        term: disposition(Signal::TERM),
        int: disposition(Signal::INT),
        pending: stats
            .filter(|r| r.signals.is_some())
            .map_or_else(String::new, |record| {
                super::question::target_of(app, pid, record)
                    .pending
                    .to_string()
            }),
        cpu: stats.map_or_else(String::new, |r| {
            format!("{}.{}s", r.cpu_ms / 1000, (r.cpu_ms % 1000) / 100)
        }),
        rss: stats.map_or_else(String::new, |r| {
            format!("{:.1}M", r.rss_kib as f64 / 1024.0)
        }),
        age: stats.map_or_else(String::new, |r| {
            duration(at.boottime_ms.saturating_sub(r.start_time_ms))
        }),
        ..Row::default()
    }
}

/// sigtree's keeper as a row of its own (the subreaper the run's orphans
/// come back to, so that "re-parented to the keeper" matches PPID), and
/// so its init playing tini's PID 1: `role`, and `what` it is as CMD.
fn own_row(app: &Model<'_>, at: &Now, own: &ProcessRecord, role: String, what: &str) -> Row {
    Row {
        ppid: own.ppid,
        pgid: own.pgid,
        sid: own.sid,
        state: own.state.letter(),
        role,
        cmd: what.into(),
        kind: kind_of(app, own.pgid, own.sid),
        ..live_cells(app, at, own.pid, Some(own))
    }
}

/// How a process ended and why, with what happened to it (orphaned, left
/// the group, a zombie for a while), in the words `check` and the log use;
/// or what is odd about a live one.
pub fn outcome_text(app: &Model<'_>, process: &Observed, at: &Now) -> Option<String> {
    let watch = app.run.watch;
    let keeper = app.run.keeper;
    if process.ending.is_none() {
        if process.zombie_since.is_some() {
            let since = process.zombie_since.unwrap_or_default();
            let ms = at.monotonic_ms.saturating_sub(since);
            return Some(format!(
                "{}, parent {} does not reap",
                wording::zombie_for(process, ms),
                process.seen.ppid
            ));
        }
        if !process.has_ended() {
            return process
                .reparented_to
                .map(|parent| wording::orphan(parent, keeper));
        }
    }
    let mut said = vec![wording::ending(watch, process)];
    said.extend(wording::notes(watch, process, keeper));
    Some(said.join("; "))
}

fn detail(app: &Model<'_>, pid: i32, at: &Now) -> Option<Detail> {
    let process = app.run.watch.processes().get(&pid)?;
    let stats = app.run.status.get(&pid);
    let mut notes = Vec::new();
    if let Some(text) = outcome_text(app, process, at) {
        notes.push(text);
    }
    if app.run.watch.escaped_group(process) {
        notes.push(format!(
            "left the pool's group: now in group {}",
            process.seen.pgid
        ));
    }
    let start = app.run.watch.start_ms();
    let mut detail = Detail {
        title: format!(
            "{pid} {} — {}",
            process.role,
            escape_controls(&process.seen.cmd)
        ),
        state: "ended".into(),
        masks: Vec::new(),
        threads: String::new(),
        // The stop event exists only in the demo's pool.
        stop_event: if app.scenario.is_none() {
            String::new()
        } else if process.role == "process" {
            "does not hold the stop event".into()
        } else {
            format!(
                "holds the stop event (set: {})",
                if app.run.stop_event == Some(true) {
                    "yes"
                } else {
                    "no"
                }
            )
        },
        // The newest first, a pane's worth: the history is a ring of 256.
        phases: process
            .phases
            .iter()
            .rev()
            .take(PHASES_SHOWN)
            .map(|(at, phase)| (seconds(at.saturating_sub(start)), phase.label()))
            .collect(),
        signals: process
            .signals
            .iter()
            .rev()
            .take(SIGNALS_SHOWN)
            .map(|received| {
                let at = seconds(received.at_ms.saturating_sub(start));
                (at, received.summary())
            })
            .collect(),
        signals_unseen: if app.run.watch.signals_traced() {
            String::new()
        } else {
            "senders unseen: needs root".into()
        },
        notes,
    };
    if let Some(record) = stats.filter(|_| !process.has_ended()) {
        let wchan = app
            .run
            .closer
            .get(&pid)
            .map_or("", |closer| closer.wchan.as_str());
        detail.state = format!("{} {}", record.state.letter(), record.state.meaning());
        if !wchan.is_empty() && wchan != "0" {
            detail.state.push_str(&format!(", in {wchan}"));
        }
        if let Some(masks) = record.signals {
            // Pending anywhere in the process: every thread's SigPnd and
            // ShdPnd, once the threads were read; else the main thread's.
            let pending = app
                .run
                .closer
                .get(&pid)
                .and_then(|closer| closer.target)
                .map_or_else(|| masks.pending_any(), |target| target.pending);
            detail.masks = vec![
                ("pending".into(), pending.to_string()),
                ("shared pending".into(), masks.shared_pending.to_string()),
                ("blocked".into(), masks.blocked.to_string()),
                ("ignored".into(), masks.ignored.to_string()),
                ("caught".into(), masks.caught.to_string()),
            ];
        }
        detail.threads = format!(
            "{} thread{}",
            record.threads,
            if record.threads == 1 { "" } else { "s" }
        );
    }
    Some(detail)
}

fn lifelines(app: &Model<'_>, now: u64) -> Lifelines {
    let watch = app.run.watch;
    let start = watch.start_ms();
    let laned = |p: &&Observed| p.role.starts_with("worker-") || app.scenario.is_none();
    let total_lanes = watch.processes().values().filter(laned).count();
    let lanes = watch
        .processes()
        .values()
        // The demo's workers; in a run, every process (there are no workers).
        .filter(laned)
        .take(LANES_BUILT)
        .map(|p| {
            let end_at = p.ended_at.map(|at| at.saturating_sub(start));
            let mut segments = Vec::new();
            for (i, (at, phase)) in p.phases.iter().enumerate() {
                let from = at.saturating_sub(start);
                let to = p
                    .phases
                    .get(i + 1)
                    .map_or(end_at.unwrap_or(now), |(next, _)| {
                        next.saturating_sub(start)
                    });
                let kind = match phase {
                    Phase::Idle | Phase::Exiting => Segment::Idle,
                    Phase::Busy(_) => Segment::Busy,
                    Phase::Draining(_) => Segment::Draining,
                    Phase::CleaningUp => Segment::CleaningUp,
                };
                segments.push((from, to, kind));
            }
            if end_at.is_none()
                && app
                    .run
                    .status
                    .get(&p.seen.pid)
                    .is_some_and(|r| r.state.is_stopped())
                && let Some(last) = segments.last_mut()
            {
                last.2 = Segment::Stopped;
            }
            // A zombie's stretch runs from its exit until it is reaped (or
            // now); the end mark stands where it was reaped.
            let reaped = p.reaped_at.map(|at| at.saturating_sub(start));
            if let (Some(from), Some(_)) = (end_at, p.zombie_since) {
                let to = if holding::zombie_now(p) {
                    now
                } else {
                    reaped.unwrap_or(from)
                };
                segments.push((from, to.max(from), Segment::Zombie));
            }
            let end_at = end_at.map(|at| match (p.zombie_since, reaped) {
                (Some(_), Some(reaped)) => reaped.max(at),
                _ => at,
            });
            let end = end_at.filter(|_| p.ending.is_some()).map(|at| {
                let mark = match watch.outcome(p) {
                    Outcome::Exited
                        if matches!(p.ending, Some((crate::sys::wait::Ending::Exited(0), _))) =>
                    {
                        EndMark::Graceful
                    }
                    Outcome::Exited | Outcome::Unknown => EndMark::Unclean,
                    Outcome::Signaled => EndMark::Signaled,
                    Outcome::Killed => EndMark::Forced,
                    Outcome::Leaked => EndMark::Leaked,
                };
                (at, mark)
            });
            Lane {
                label: p.role.clone(),
                segments,
                end,
                signals: p
                    .signals
                    .iter()
                    .map(|received| received.at_ms.saturating_sub(start))
                    .collect(),
            }
        })
        .collect();
    // The axis stops when everything has ended.
    let last_end = watch
        .processes()
        .values()
        .filter_map(|p| p.reaped_at.max(p.ended_at))
        .max()
        .map(|at| at.saturating_sub(start));
    let to_ms = match last_end {
        Some(end) if app.run.ended => end,
        _ => now,
    };
    Lifelines {
        from_ms: 0,
        to_ms: to_ms.max(1),
        lanes,
        total_lanes,
        markers: app.ui.markers.clone(),
    }
}

/// The help text of attach mode.
fn attach_explanation() -> String {
    "sigtree watches a process it did not start: its subtree and the other \
     members of its process group (group-member: shown, never stopped, never \
     judged). Every signal asks first, listing the pids it hits and the \
     predicted effect on each; q never signals anything. g stops the \
     attached subtree only, by pidfd: SIGTERM to the attached process, then \
     after the grace period SIGKILL to what is left of the subtree. A group \
     signal whose group holds the attached process's ancestors or other \
     members outside the subtree is refused; the signal menu's subtree target \
     reaches the subtree instead. sigtree itself, its group and its \
     ancestors are never targets. Exit \
     statuses come from pidfds when the kernel offers PIDFD_INFO_EXIT (Linux \
     6.15), whoever reaps the process; otherwise an ended process's outcome \
     is inferred (unknown)."
        .into()
}

/// The help text of run mode.
fn run_explanation() -> String {
    "sigtree runs the command in a process group of its own, under a keeper \
     that is its subreaper: processes orphaned inside the run come back to it \
     and are reaped with their real status, and processes that leave the \
     group (setsid, setpgid) are still found as descendants. g sends the stop \
     signal to its target (by default SIGTERM to the leader, as docker stop \
     and systemd's KillMode=mixed do), then SIGCONT to the group, waits for \
     the grace period, and escalates to SIGKILL: the group first, then every \
     descendant still alive, by pidfd. The output pane shows what the command \
     prints (PgUp/PgDn scroll)."
        .into()
}

/// The keys that apply now: a popup's own, the force-quit while quitting,
/// or the table's keys of the current mode.
fn keys(app: &Model<'_>) -> Vec<(String, String)> {
    let pairs: Vec<(&str, &str)> = match app.ui.popup {
        Some(Popup::SignalMenu(_)) => vec![
            ("type", "signal name or number"),
            ("Tab", "target"),
            ("Enter", "send"),
            ("Esc", "cancel"),
        ],
        Some(Popup::Confirm(_)) => vec![("y", "yes, send"), ("n", "no")],
        Some(Popup::Help(_)) | None if app.ui.quit == Quit::Stopping => {
            vec![("q", "force: SIGKILL now")]
        }
        Some(Popup::Help(_)) | None => table_keys(app),
        Some(_) => vec![("↑↓", "move"), ("Enter", "choose"), ("Esc", "close")],
    };
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The table's keys in the current mode: the stop event and scenarios only
/// in the demo, the output pane only in run, no restart when attached.
fn table_keys(app: &Model<'_>) -> Vec<(&'static str, &'static str)> {
    let demo = app.scenario.is_some();
    let attached = app.run.attached;
    let mut keys = vec![("?", "help"), ("q", "quit"), ("↑↓", "select")];
    if demo {
        keys.push(("e", "stop event"));
    }
    keys.push((
        "g",
        if demo {
            "graceful stop"
        } else {
            "stop sequence"
        },
    ));
    keys.extend([
        ("t", "TERM sel"),
        ("T", "TERM group"),
        ("i", "INT group"),
        ("x", "KILL sel"),
        ("X", "KILL group"),
        ("s", "signal…"),
        ("p", "stop/cont"),
    ]);
    if !attached {
        keys.push(("r", "restart"));
    }
    if demo {
        keys.push(("c", "scenario"));
    } else if !attached {
        keys.push(("PgUp/PgDn", "output"));
    }
    keys.extend([
        ("P", "policy"),
        ("o", "orphans"),
        ("l", "pause log"),
        ("d", "detail"),
    ]);
    keys
}

fn status_line(app: &Model<'_>) -> Option<String> {
    if app.ui.quit == Quit::Stopping {
        return Some("quitting: the stop sequence runs; q again forces SIGKILL".into());
    }
    if app.run.ended {
        let verdict = app.run.watch.verdict(false);
        let what = if app.scenario.is_some() {
            "the pool"
        } else if app.run.attached {
            // Its group's other members are never stopped nor judged.
            "the attached subtree"
        } else {
            "everything watched"
        };
        let restart = if app.run.attached {
            ""
        } else {
            "r restarts it, "
        };
        return Some(format!("{what} has ended ({verdict}): {restart}q quits"));
    }
    let dropped = app.run.dropped_reports;
    (dropped > 0).then(|| {
        format!("{dropped} pool reports were dropped while sigtree did not read them: phases may be missing")
    })
}

fn overlay(app: &Model<'_>) -> Option<Overlay> {
    Some(match app.ui.popup.as_ref()? {
        Popup::Help(scroll) => Overlay::Help {
            scroll: *scroll,
            explanation: match app.scenario {
                Some(scenario) => scenario.explanation.clone(),
                None if app.run.attached => attach_explanation(),
                None => run_explanation(),
            },
        },
        Popup::SignalMenu(menu) => Overlay::SignalMenu(super::question::signal_menu(app, menu)),
        Popup::Orphans(selected) => Overlay::Orphans(OrphansView {
            selected: *selected,
            ..orphans(&app.run)
        }),
        Popup::Confirm(_) => Overlay::Confirm {
            question: app.asked.map_or_else(String::new, |asked| {
                super::question::confirmation(app, asked)
            }),
        },
        Popup::Policies(selected) => {
            let offered = Policy::offered(app.run.attached);
            Overlay::Choose {
                title: "choose the stop policy g runs".into(),
                // Each explanation opens with the runtime it copies:
                // "docker stop: …"; the highlighted one is said in full.
                entries: offered
                    .iter()
                    .map(|policy| {
                        let explanation = policy.explanation();
                        let runtime = explanation.split_once(": ").map_or(explanation, |(r, _)| r);
                        (policy.name().to_string(), runtime.to_string())
                    })
                    .collect(),
                selected: *selected,
                about: offered
                    .get(*selected)
                    .map_or_else(String::new, |policy| policy.explanation().to_string()),
            }
        }
        Popup::Scenarios(selected) => {
            let presets = crate::pool::scenario::presets().unwrap_or_default();
            Overlay::Choose {
                title: "choose a scenario".into(),
                about: presets.get(*selected).map_or_else(String::new, story_keys),
                entries: presets.into_iter().map(|s| (s.name, s.summary)).collect(),
                selected: *selected,
            }
        }
    })
}

/// The keys that tell `scenario`'s story and the verdict each gives:
/// "e → graceful · T → forced · X → terminated".
fn story_keys(scenario: &Scenario) -> String {
    let told: Vec<String> = scenario
        .expect
        .iter()
        .map(|(action, verdict)| format!("{} → {verdict}", key_for(*action)))
        .collect();
    if told.is_empty() {
        return String::new();
    }
    format!("tells its story with: {}", told.join(" · "))
}

/// The key (or the way through the signal menu) that performs `action`.
fn key_for(action: Action) -> String {
    let Action::Signal { signal, target } = action else {
        return "e".into();
    };
    match (signal, target) {
        (Signal::TERM, ActionTarget::Group) => "T".into(),
        (Signal::INT, ActionTarget::Group) => "i".into(),
        (Signal::KILL, ActionTarget::Group) => "X".into(),
        (Signal::TERM, ActionTarget::Leader) => "t on the master".into(),
        (Signal::KILL, ActionTarget::Leader) => "x on the master".into(),
        (signal, ActionTarget::Group) => format!("s, {signal} to the group"),
        (signal, ActionTarget::Leader) => format!("s on the master, {signal}"),
    }
}

/// Orphans sigtree saw being re-parented, then the session's report:
/// likely orphans system-wide, orphaned process groups and zombies.
pub fn orphans(run: &SessionView<'_>) -> OrphansView {
    let watch = run.watch;
    let witnessed = watch
        .processes()
        .values()
        .filter_map(|p| {
            let parent = p.reparented_to?;
            let lost = p.lost_parent.unwrap_or_default();
            let lost_cmd = watch
                .processes()
                .get(&lost)
                .map_or("", |l| l.seen.cmd.as_str());
            Some((
                p.seen.pid,
                format!("{lost} {}", escape_controls(lost_cmd)),
                parent,
            ))
        })
        .collect();
    let Some(report) = run.orphans else {
        return OrphansView {
            witnessed,
            scanning: true,
            ..OrphansView::default()
        };
    };
    let likely = report
        .likely_orphans
        .iter()
        .map(|o| {
            let cmd = escape_controls(&o.cmd).into_owned();
            (o.pid, o.lost_session_leader, cmd)
        })
        .collect();
    let groups = report
        .orphaned_groups
        .iter()
        .map(|g| {
            let members: Vec<i32> = g.members.iter().map(|m| m.pid).collect();
            (g.pgid, pid_list(&members), pid_list(&g.stopped))
        })
        .collect();
    let zombies = report
        .zombies
        .iter()
        .flat_map(|group| {
            let parent = group
                .parent_cmd
                .as_deref()
                .map(|cmd| escape_controls(cmd).into_owned())
                .unwrap_or_default();
            group
                .zombies
                .iter()
                .map(move |z| (z.pid, duration(z.age_ms), group.ppid, parent.clone()))
        })
        .collect();
    OrphansView {
        witnessed,
        likely,
        groups,
        zombies,
        selected: 0,
        scanning: false,
    }
}

mod holding;

#[cfg(test)]
mod tests;
