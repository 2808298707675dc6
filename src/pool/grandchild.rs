//! A worker's child: it sleeps with default dispositions, in the pool's group
//! or in a session of its own, and exits 0 when the stop event is set.

use super::context::{PoolContext, sleep_unless};
use super::scenario::Reactions;
use super::signals;
use crate::watch::vocabulary::{Phase, Role};

/// Runs a grandchild.
pub fn run() -> anyhow::Result<i32> {
    let context = PoolContext::inherit(Role::Grandchild)?;
    signals::apply(&Reactions::default(), false)?;
    context.report(Phase::Idle);
    sleep_unless(u64::MAX, || context.block.stop_requested());
    context.report(Phase::Exiting);
    Ok(0)
}
