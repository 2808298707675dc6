//! What every pool process inherits from the monitor: the scenario, the pool
//! size, the shared block and the status channel, passed in environment
//! variables (the descriptors themselves are inherited).

use std::process::Command;

use anyhow::{Context as _, anyhow};

use super::block::PoolBlock;
use super::report::{Report, Reporter};
use super::scenario::{self, Scenario};
use crate::watch::vocabulary::{Phase, Role};

/// Environment variable: the scenario's name or path.
pub const ENV_SCENARIO: &str = "SIGTREE_POOL_SCENARIO";
/// Environment variable: the number of workers.
pub const ENV_WORKERS: &str = "SIGTREE_POOL_WORKERS";
/// Environment variable: the descriptor of the shared block.
pub const ENV_BLOCK_FD: &str = "SIGTREE_POOL_BLOCK_FD";
/// Environment variable: the descriptor of the status channel's write end.
pub const ENV_STATUS_FD: &str = "SIGTREE_POOL_STATUS_FD";

/// A pool process's view of its pool.
pub struct PoolContext {
    /// The scenario, with the pool size the monitor chose.
    pub scenario: Scenario,
    /// The shared block.
    pub block: PoolBlock,
    /// The status channel.
    pub reporter: Reporter,
    /// This process's role.
    pub role: Role,
}

impl PoolContext {
    /// Reads the inherited context; `role` is who this process is.
    pub fn inherit(role: Role) -> anyhow::Result<Self> {
        let source = env(ENV_SCENARIO)?;
        let mut scenario = scenario::load(&source).map_err(|e| anyhow!("{e}"))?;
        scenario.pool.workers = env(ENV_WORKERS)?.parse().context(ENV_WORKERS)?;
        let block_fd: i32 = env(ENV_BLOCK_FD)?.parse().context(ENV_BLOCK_FD)?;
        let status_fd: i32 = env(ENV_STATUS_FD)?.parse().context(ENV_STATUS_FD)?;
        let block = PoolBlock::inherit(block_fd, scenario.pool.workers)
            .context("cannot map the pool's shared block")?;
        let reporter = Reporter::inherit(status_fd).context("cannot take the status channel")?;
        Ok(Self {
            scenario,
            block,
            reporter,
            role,
        })
    }

    /// Reports this process's new phase; a dropped report is counted.
    pub fn report(&self, phase: Phase) {
        self.send(Report::phase(self.role, phase));
    }

    /// Sends any report; a dropped one is counted.
    pub fn send(&self, report: Report) {
        if !self.reporter.send(report) {
            self.block.report_dropped();
        }
    }

    /// A command running this binary as another pool process.
    pub fn pool_command(args: &[&str]) -> anyhow::Result<Command> {
        let exe = std::env::current_exe().context("cannot find sigtree's own binary")?;
        let mut command = Command::new(exe);
        command.arg("__pool").args(args);
        Ok(command)
    }
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name)
        .with_context(|| format!("{name} is not set: pool processes are started by sigtree"))
}

/// Sleeps `ms` milliseconds in 10 ms slices, stopping early when `stop`
/// says so; returns whether it stopped early.
pub fn sleep_unless(ms: u64, mut stop: impl FnMut() -> bool) -> bool {
    let mut left = ms;
    while left > 0 {
        if stop() {
            return true;
        }
        let slice = left.min(10);
        std::thread::sleep(std::time::Duration::from_millis(slice));
        left -= slice;
    }
    stop()
}
