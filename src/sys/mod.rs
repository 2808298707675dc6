//! The system interfaces the rest of sigtree needs in raw form.
//!
//! Each one is a thin, safe wrapper; anything that needs `unsafe` lives here
//! with a `// SAFETY:` line.

pub mod cgroup;
pub mod channel;
mod clock;
pub mod connector;
pub mod fds;
pub mod namespace;
pub mod pidfd;
pub mod process;
pub mod shared;
pub mod tracefs;
pub mod tty;
pub mod wait;

pub use clock::{Units, boottime_ms, monotonic_ms};
