//! The terminal UI: the UI's own state, keys → actions, the pure update
//! (action → UI state and what is left for the session), the app that turns
//! them into engine commands, the pure view (session view + UI state + now
//! → screen), drawing with one file per widget, the terminal guard and the
//! event loop. Nothing here reads /proc or signals a process: the engine
//! does, for what the app says it shows and asks.

pub mod app;
pub mod draw;
pub mod event_loop;
pub mod input;
pub mod question;
pub mod screen;
pub mod state;
pub mod terminal;
pub mod update;
pub mod view;
pub mod widgets;
