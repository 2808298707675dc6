//! What the TUI shows, as plain data: built from the engine's state by the
//! app, drawn by the widgets. Nothing here reads the clock, /proc or the
//! terminal, so every frame can be snapshot-tested from a fixed value.

/// One frame's content.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Screen {
    /// The top lines.
    pub header: Header,
    /// The process table, in tree order, ghost rows included.
    pub rows: Vec<Row>,
    /// Index of the selected row in `rows`.
    pub selected: Option<usize>,
    /// The selected process's details.
    pub detail: Option<Detail>,
    /// `d` turned the detail pane over from its default for the width
    /// (beside the table from 160 columns on, else folded).
    pub detail_toggled: bool,
    /// One lane per worker on a shared time axis.
    pub lifelines: Lifelines,
    /// The event log, oldest first.
    pub log: Vec<LogLine>,
    /// Said in the log's title while it is paused.
    pub log_paused: Option<String>,
    /// The keys that apply now, as (key, what it does).
    pub keys: Vec<(String, String)>,
    /// A one-line message for the footer (a refusal, an error, a result).
    pub message: Option<String>,
    /// A popup drawn over everything.
    pub overlay: Option<Overlay>,
    /// Whether colour may be used (NO_COLOR unset).
    pub color: bool,
    /// What the command printed (run mode).
    pub output: Option<OutputPane>,
    /// While a stop is under way: each survivor holding it up, and why.
    pub holding: Vec<Holding>,
}

/// A survivor holding up a stop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holding {
    /// Its pid.
    pub pid: i32,
    /// Its role.
    pub role: String,
    /// Why the stop's signal does not end it ("ignored: SIGTERM is
    /// SIG_IGN", "zombie: exited, not reaped by its parent 4120", …).
    pub reason: String,
}

/// The end of a command's captured output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutputPane {
    /// The lines to show, oldest first, ending where the view is scrolled to.
    pub lines: Vec<String>,
    /// Lines read in all since the command started.
    pub total: usize,
    /// How many lines the view is scrolled up from the end.
    pub scrolled: usize,
}

/// The header's facts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Header {
    /// "demo", "run", "attach".
    pub mode: String,
    /// The scenario's name (demo) or the command (run, attach).
    pub subject: String,
    /// The watched process group.
    pub pgid: Option<i32>,
    /// Its session.
    pub sid: Option<i32>,
    /// sigtree's own pid.
    pub own_pid: i32,
    /// sigtree's own process group (visibly not the watched one).
    pub own_pgid: i32,
    /// sigtree's keeper; `None` when attached.
    pub keeper: Option<i32>,
    /// What the events come from: "events: kernel (…)".
    pub events: String,
    /// "clear", or when it was set ("set at +12.4 s"); `None` outside demo.
    pub stop_event: Option<String>,
    /// Task accounts: completed, lost, queued (`None` for an endless queue).
    pub tasks: Option<(u32, u32, Option<u32>)>,
    /// The stop sequence's step and countdown, while one runs.
    pub stopping: Option<String>,
    /// Seconds since the run started, e.g. "+12.4 s".
    pub elapsed: String,
}

/// How a row relates to the watched group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RowKind {
    /// A live member of the watched process group.
    #[default]
    Member,
    /// Alive, in another process group of the same session.
    OtherGroup,
    /// Alive, in another session.
    OtherSession,
    /// Ended: kept as a ghost saying how.
    Ghost,
}

/// One row of the process table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// Process ID.
    pub pid: i32,
    /// Parent.
    pub ppid: i32,
    /// Process group.
    pub pgid: i32,
    /// Session.
    pub sid: i32,
    /// State letter ('Z' for a zombie until it is reaped; '-' for a ghost).
    pub state: char,
    /// "master", "worker-2", …
    pub role: String,
    /// "busy #17", "draining #3", "cleaning up", … or "" when unknown.
    pub phase: String,
    /// Disposition of SIGTERM ("dfl", "ign", "catch", "+blk").
    pub term: String,
    /// Disposition of SIGINT.
    pub int: String,
    /// Signals pending anywhere in it, short names ("TERM,USR1"), "-"
    /// when none.
    pub pending: String,
    /// CPU time, e.g. "0.3s".
    pub cpu: String,
    /// Resident memory, e.g. "1.2M".
    pub rss: String,
    /// Age, e.g. "12s".
    pub age: String,
    /// The tree guides before the command ("├─ ").
    pub tree: String,
    /// The command line.
    pub cmd: String,
    /// Member, other group, other session, or ghost.
    pub kind: RowKind,
    /// For a ghost or a zombie: how it ended and why, in the words of
    /// `watch::wording` ("exit 0, 1.2 s after the stop event", "died of
    /// SIGTERM sent by sigtree (T), …", "SIGKILL by escalation, 3 ms after
    /// it was sent; was cleaning up", "zombie for 4.0 s, parent 4121 does
    /// not reap", …).
    pub outcome: Option<String>,
}

/// The detail pane.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detail {
    /// Title: pid, role and command.
    pub title: String,
    /// State letter and meaning, and wchan: "S sleeping (interruptible wait), in hrtimer_nanosleep".
    pub state: String,
    /// The five masks decoded, as (label, names): pending, shared pending,
    /// blocked, ignored, caught.
    pub masks: Vec<(String, String)>,
    /// Threads, and whether they all block the same signals.
    pub threads: String,
    /// Whether it holds the stop event (maps the shared block); empty
    /// outside the demo.
    pub stop_event: String,
    /// Phase history: (time "+1.2 s", phase).
    pub phases: Vec<(String, String)>,
    /// The signals it received, newest first: (time "+1.2 s", "SIGTERM
    /// from 4121 (bash): queued, handler ran").
    pub signals: Vec<(String, String)>,
    /// Why no signal can be listed (no kernel signal events); empty when
    /// they are read.
    pub signals_unseen: String,
    /// Orphaning, escaping, outcome notes.
    pub notes: Vec<String>,
}

/// What a stretch of a lifeline shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Started, no task.
    Idle,
    /// Working on a task.
    Busy,
    /// Finishing the current task after a stop request.
    Draining,
    /// Cleaning up before exiting.
    CleaningUp,
    /// Stopped (SIGSTOP).
    Stopped,
    /// Exited, not yet reaped.
    Zombie,
}

/// How a lifeline ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndMark {
    /// Exited 0 by itself.
    Graceful,
    /// Exited non-zero.
    Unclean,
    /// Died of a signal (the action's, or from elsewhere).
    Signaled,
    /// Killed by the escalation's SIGKILL.
    Forced,
    /// Outlived the group's SIGKILL.
    Leaked,
}

/// One lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// "worker-1".
    pub label: String,
    /// (from ms, to ms, what), on the shared axis.
    pub segments: Vec<(u64, u64, Segment)>,
    /// Where and how it ended.
    pub end: Option<(u64, EndMark)>,
    /// When the kernel saw it receive a signal (with its signal events).
    pub signals: Vec<u64>,
}

/// The lifelines pane.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lifelines {
    /// The axis: from (ms since the run started).
    pub from_ms: u64,
    /// The axis: to (now).
    pub to_ms: u64,
    /// One lane per worker, the first [`LANES_BUILT`] of them.
    pub lanes: Vec<Lane>,
    /// How many workers have a lane, built or not.
    pub total_lanes: usize,
    /// The user's actions: (ms, short label like "e", "T", "g").
    pub markers: Vec<(u64, String)>,
}

/// The most lanes a frame builds: more than any terminal has rows for.
pub const LANES_BUILT: usize = 128;

/// The most log lines a frame builds, newest last: more than any
/// terminal has rows for.
pub const LOG_LINES_BUILT: usize = 256;

/// One line of the event log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogLine {
    /// "+12.4 s".
    pub at: String,
    /// "you", "4121 worker-2", "kernel", "sigtree".
    pub who: String,
    /// What happened.
    pub what: String,
}

/// A popup.
#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    /// Keys, the scenario's explanation, the lifeline legend.
    Help {
        /// The scenario's explanation (or the mode's description).
        explanation: String,
        /// How many lines it is scrolled down (clamped when drawn).
        scroll: u16,
    },
    /// The signal menu: pick a signal and a target, see the predicted
    /// effect on each target before confirming.
    SignalMenu(SignalMenu),
    /// A yes/no question.
    Confirm {
        /// The question, with the pids it will hit.
        question: String,
    },
    /// Orphans and zombies, system-wide.
    Orphans(OrphansView),
    /// Choose one of a list: a scenario, a stop policy.
    Choose {
        /// The popup's title.
        title: String,
        /// (name, summary).
        entries: Vec<(String, String)>,
        /// The highlighted entry.
        selected: usize,
        /// More about the highlighted entry, under the list: a policy's
        /// whole explanation, the keys that tell a scenario's story.
        about: String,
    },
}

/// The signal menu's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SignalMenu {
    /// The signal chosen, e.g. "SIGUSR1 (10)".
    pub signal: String,
    /// The text typed so far to pick a signal by name or number.
    pub input: String,
    /// "process 4121", "group 4120", "subtree of 4121".
    pub target: String,
    /// (pid, role, predicted effect) for every target process.
    pub effects: Vec<(i32, String, String)>,
    /// Why the target reaches no process: refused, or gone.
    pub unreachable: Option<String>,
}

/// The orphans and zombies view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrphansView {
    /// Processes sigtree saw re-parented: (pid, lost parent pid and command, new parent).
    pub witnessed: Vec<(i32, String, i32)>,
    /// Likely orphans system-wide: (pid, lost session leader, command).
    pub likely: Vec<(i32, i32, String)>,
    /// Orphaned process groups: (pgid, members, stopped members).
    pub groups: Vec<(i32, String, String)>,
    /// Zombies: (pid, age, parent pid, parent command).
    pub zombies: Vec<(i32, String, i32, String)>,
    /// The highlighted line.
    pub selected: usize,
    /// The system-wide scan is not done yet: the last three sections are
    /// still unknown.
    pub scanning: bool,
}
