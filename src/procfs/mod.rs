//! The kernel's view of processes, read from `/proc`.
//!
//! Only this module (and the pool, later) reads `/proc`. Everything here is
//! either a pure model over text and numbers (signal sets, dispositions,
//! records, the tree) or a thin reader that treats a vanished process as gone,
//! never as an error.

pub mod full_scan;
pub mod mounts;
pub mod orphans;
pub mod record;
pub mod scan;
pub mod state;
pub mod target;
pub mod tree;
