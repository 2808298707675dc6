//! The headless front ends: each command reads the kernel's view and prints.

pub mod ps;
pub mod text_table;
