//! The terminal UI: app state and key → action, one file per widget, the
//! terminal guard.

pub mod app;
pub mod draw;
pub mod event_loop;
pub mod input;
pub mod question;
pub mod screen;
pub mod terminal;
pub mod view;
pub mod widgets;
