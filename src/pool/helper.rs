//! The helper: a process holding shared state for the pool, like a
//! multiprocessing Manager. It ignores SIGINT (as the Manager's server does,
//! bpo-36368) and exits 0 only when its owner tells it to; if the owner dies
//! without telling it, it lingers.

use std::io::Read;

use super::context::{PoolContext, sleep_unless};
use super::scenario::{Reaction, Reactions};
use super::signals;
use crate::watch::vocabulary::{Phase, Role};

/// Runs the helper, told to stop through the pipe read end `control_fd`.
pub fn run(control_fd: i32) -> anyhow::Result<i32> {
    let context = PoolContext::inherit(Role::Helper)?;
    let reactions = Reactions {
        sigint: Reaction::Ignore,
        ..Reactions::default()
    };
    signals::apply(&reactions, false)?;
    context.report(Phase::Idle);
    let mut control = std::fs::File::from(crate::sys::fds::take_inherited(control_fd)?);
    let mut message = [0u8; 16];
    match control.read(&mut message) {
        Ok(n) if n > 0 => {
            context.report(Phase::Exiting);
            Ok(0)
        }
        // End of file without a message: the owner died. Linger.
        _ => {
            sleep_unless(u64::MAX, || false);
            Ok(0)
        }
    }
}
