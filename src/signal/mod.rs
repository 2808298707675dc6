//! Signals as the kernel defines them: numbers and names, signal sets,
//! dispositions and the effect a signal would have. Pure: nothing here reads
//! `/proc` or sends anything; procfs/ parses the masks into these types.

pub mod disposition;
pub mod sigset;
