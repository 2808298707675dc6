//! The pure model of a run: what was observed, how each process ended and
//! why, and the verdict. No I/O happens here.

pub mod action;
pub mod cause;
pub mod model;
pub mod signals;
pub mod verdict;
pub mod vocabulary;
pub mod wording;
