//! Sending signals and setting the stop event: the only module that acts on
//! processes.

pub mod action;
