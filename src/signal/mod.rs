//! Signals as the kernel defines them: numbers and names, signal sets,
//! dispositions, kill(2)'s permission rule and the effect a signal would
//! have. Pure: nothing here reads `/proc` or sends anything; procfs/ parses
//! the masks into these types.

pub mod disposition;
pub mod effect;
pub mod permission;
pub mod sigset;
