//! The headless front ends: each command reads the kernel's view and prints.

pub mod check;
pub mod explain;
pub mod manual;
pub mod ps;
pub mod scenarios;
pub mod text_table;
pub mod trace;
