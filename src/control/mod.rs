//! Sending signals and setting the stop event: the only module that acts on
//! processes on a user's behalf.

pub mod action;
pub mod command;
pub mod reach;
pub mod sequence;
pub mod target;
