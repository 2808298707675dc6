//! The vocabulary of a run, shared by the pool (which reports in it), the
//! engine and the model: who a pool process is, and what it is doing.

use serde::Serialize;

/// Who a pool process is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The keeper between sigtree and the pool.
    Keeper,
    /// The pool's master.
    Master,
    /// Worker N, counted from 1 in spawn order.
    Worker(u16),
    /// The helper (like a multiprocessing Manager).
    Helper,
    /// A worker's child.
    Grandchild,
}

impl Role {
    /// The role's name as JSON and the table show it.
    pub fn name(self) -> String {
        match self {
            Self::Keeper => "keeper".into(),
            Self::Master => "master".into(),
            Self::Worker(n) => format!("worker-{n}"),
            Self::Helper => "helper".into(),
            Self::Grandchild => "grandchild".into(),
        }
    }

    /// Whether a process in this role polls the stop event: a worker when
    /// its scenario says so (`workers_poll`), a grandchild always; the
    /// master, the helper and the keeper never.
    pub fn polls_stop_event(self, workers_poll: bool) -> bool {
        match self {
            Self::Worker(_) => workers_poll,
            Self::Grandchild => true,
            Self::Keeper | Self::Master | Self::Helper => false,
        }
    }
}

/// What a pool process is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "phase", content = "task")]
pub enum Phase {
    /// Started, waiting for work.
    Idle,
    /// Working on task N.
    Busy(u32),
    /// Finishing task N after a stop was requested.
    Draining(u32),
    /// Cleaning up before exiting.
    CleaningUp,
    /// About to exit.
    Exiting,
}

impl Phase {
    /// A short label for tables and logs.
    pub fn label(self) -> String {
        match self {
            Self::Idle => "idle".into(),
            Self::Busy(task) => format!("busy #{task}"),
            Self::Draining(task) => format!("draining #{task}"),
            Self::CleaningUp => "cleaning up".into(),
            Self::Exiting => "exiting".into(),
        }
    }
}
