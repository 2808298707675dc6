//! The engine: the only thing front ends talk to. It launches and watches a
//! run (the session), turns keys, the menu and `check` into one Command
//! vocabulary, runs stops, and is the only module that signals processes.

pub mod command;
pub mod events;
pub mod keeper_link;
pub mod kernel;
pub mod policy;
pub mod reach;
pub mod session;
pub mod stop;
pub mod target;
