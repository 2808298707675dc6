//! sigtree: see and test how multi-process programs stop.
//!
//! The library holds everything the `sigtree` binary does, so that it can be
//! tested: [`procfs`] reads the kernel's view of processes, [`sys`] wraps the
//! few raw system calls, [`pool`] is the built-in worker pool, [`engine`] runs
//! and stops a session (the only module that signals), [`watch`] is the pure
//! model, [`cmd`] and [`tui`] are the front ends.

pub mod cli;
pub mod cmd;
pub mod engine;
pub mod pool;
pub mod procfs;
pub mod signal;
pub mod sys;
pub mod text;
pub mod tui;
pub mod watch;
