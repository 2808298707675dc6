//! Scenarios: the shape and behaviour of the built-in pool, with the story
//! they tell and the verdicts they expect. Presets live in
//! `assets/scenarios/*.toml`, embedded in the binary; a path loads any file.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::control::action::Action;
use crate::procfs::sigset::Signal;
use crate::watch::verdict::Verdict;

/// One scenario, as its TOML file describes it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name (the preset's file stem).
    pub name: String,
    /// One line, for `sigtree scenarios`.
    pub summary: String,
    /// What happens and why, in terms of the kernel's rules (FACTS.md).
    pub explanation: String,
    /// Workers, tasks and task duration.
    #[serde(default)]
    pub pool: PoolShape,
    /// How the master behaves.
    #[serde(default)]
    pub master: MasterBehaviour,
    /// How every worker behaves.
    #[serde(default)]
    pub workers: WorkerBehaviour,
    /// The verdict each action that tells the story must produce.
    #[serde(default)]
    pub expect: BTreeMap<Action, Verdict>,
}

/// The pool's size and work.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolShape {
    /// Number of workers (1..=1024).
    pub workers: u32,
    /// Number of tasks in the queue.
    pub tasks: u32,
    /// How long one task takes, in milliseconds.
    pub task_ms: u64,
}

impl Default for PoolShape {
    fn default() -> Self {
        Self {
            workers: 4,
            tasks: 200,
            task_ms: 500,
        }
    }
}

/// What a process does when a signal arrives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reaction {
    /// The kernel's default action (dispositions reset on purpose).
    #[default]
    Default,
    /// SIG_IGN.
    Ignore,
    /// Blocked in the signal mask: it stays pending.
    Block,
    /// A handler sets a flag; the process finishes its current work, cleans
    /// up for `cleanup_ms`, and exits 0.
    CatchCleanup,
    /// A handler exits at once with status 128 + the signal number.
    CatchExit,
    /// A handler sets a flag that is only looked at when a blocking wait
    /// ends (the master: when every worker has ended; a worker: when its
    /// current task ends), then it cleans up and exits 0.
    Deferred,
}

/// Reactions to the three signals a stop uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Reactions {
    /// On SIGTERM.
    pub sigterm: Reaction,
    /// On SIGINT.
    pub sigint: Reaction,
    /// On SIGHUP.
    pub sighup: Reaction,
}

/// Where a worker's grandchild goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grandchild {
    /// No grandchild.
    #[default]
    None,
    /// A child of each worker, in the pool's process group.
    SameGroup,
    /// A child of each worker that calls setsid(): a new session and group.
    NewSession,
}

/// The master's behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MasterBehaviour {
    /// Reactions to SIGTERM, SIGINT, SIGHUP (the `[master.signals]` table).
    /// A master that catches a signal sets the stop event and waits for its
    /// workers before cleaning up.
    pub signals: Reactions,
    /// How long cleaning up takes, in milliseconds.
    pub cleanup_ms: u64,
    /// Whether the master waits for (reaps) its children.
    pub reaps: bool,
    /// SIGINT ignored while spawning workers (they inherit SIG_IGN), then
    /// restored to the master's own reaction.
    pub ignore_sigint_while_spawning: bool,
    /// A helper process (like a multiprocessing Manager) that the master
    /// shuts down at normal exit and that lingers if the master dies of a
    /// signal.
    pub helper: bool,
}

impl Default for MasterBehaviour {
    fn default() -> Self {
        Self {
            signals: Reactions::default(),
            cleanup_ms: 0,
            reaps: true,
            ignore_sigint_while_spawning: false,
            helper: false,
        }
    }
}

/// Every worker's behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerBehaviour {
    /// Reactions to SIGTERM, SIGINT, SIGHUP (the `[workers.signals]` table).
    pub signals: Reactions,
    /// How long cleaning up takes, in milliseconds.
    pub cleanup_ms: u64,
    /// Whether the worker polls the stop event between slices of work.
    pub poll_stop_event: bool,
    /// PR_SET_PDEATHSIG: the signal (a name such as "TERM", in TOML) the
    /// worker gets when the master dies.
    pub pdeathsig: Option<Signal>,
    /// A grandchild, and where it goes.
    pub grandchild: Grandchild,
}

impl Default for WorkerBehaviour {
    fn default() -> Self {
        Self {
            signals: Reactions::default(),
            cleanup_ms: 0,
            poll_stop_event: true,
            pdeathsig: None,
            grandchild: Grandchild::None,
        }
    }
}
