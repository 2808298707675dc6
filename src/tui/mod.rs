//! The terminal UI: app state and key → action, one file per widget, the
//! terminal guard.

pub mod screen;
