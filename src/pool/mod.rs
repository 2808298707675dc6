//! The built-in worker pool: scenarios, the shared block (stop event and
//! task accounts), the status channel, and the pool's processes (keeper,
//! tini's init, master, workers, helper, grandchildren), which are this binary re-executed
//! through the hidden `__pool` subcommand.

pub mod block;
pub mod context;
pub mod grandchild;
pub mod helper;
pub mod init;
pub mod keeper;
pub mod lent_terminal;
pub mod lines;
pub mod master;
pub mod output;
pub mod report;
pub mod scenario;
pub mod signals;
pub mod worker;
