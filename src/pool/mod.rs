//! The built-in worker pool: scenarios, and (later) the master, workers and
//! keeper processes.

pub mod scenario;
