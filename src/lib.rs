//! sigtree: see and test how multi-process programs stop.
//!
//! The library holds everything the `sigtree` binary does, so that it can be
//! tested: [`procfs`] reads the kernel's view of processes, [`sys`] wraps the
//! few raw system calls, [`cmd`] holds the headless front ends.

pub mod cli;
pub mod cmd;
pub mod control;
pub mod pool;
pub mod procfs;
pub mod sys;
pub mod text;
pub mod tui;
pub mod watch;
