//! The TUI's own state, UI only: what is selected, which popup is open and
//! its state, the message, the user's markers on the time axis, where the
//! table was drawn. Nothing here knows the session.

use super::input::PopupKey;
use crate::engine::command::Command;
use crate::engine::policy::Policy;
use crate::signal::sigset::Signal;

/// The UI's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiState {
    /// The selected process; it stays selected while rows come and go.
    pub selected: Option<i32>,
    /// The open popup.
    pub popup: Option<Popup>,
    /// The footer's message: what the last key did or why it could not.
    pub message: Option<String>,
    /// `d` was pressed an odd number of times: the detail pane is the
    /// other way round from its default for the terminal's width (beside
    /// the table from 160 columns on, else folded).
    pub detail_toggled: bool,
    /// The event log is paused: the count of lines logged when it was
    /// (later ones wait), and how many lines it is scrolled up.
    pub log_paused: Option<(u64, usize)>,
    /// The user's actions on the time axis: (ms since the start, key).
    pub markers: Vec<(u64, String)>,
    /// The order of the rows last shown, for moving the selection.
    pub order: Vec<i32>,
    /// Where the table's rows were last drawn, for mouse clicks.
    pub table_rows: Option<ratatui::layout::Rect>,
    /// How many lines the output pane is scrolled up from its end.
    pub output_scroll: usize,
    /// Where quitting stands.
    pub quit: Quit,
    /// Whether to draw in colour (`NO_COLOR` unset or empty).
    pub color: bool,
    /// The stop policy `g` and `q` run.
    pub policy: Policy,
}

impl UiState {
    /// Nothing selected, no popup, the detail pane as the width has it.
    pub fn new(color: bool) -> Self {
        Self {
            selected: None,
            popup: None,
            message: None,
            detail_toggled: false,
            log_paused: None,
            markers: Vec::new(),
            order: Vec::new(),
            table_rows: None,
            output_scroll: 0,
            quit: Quit::No,
            color,
            policy: Policy::Sigtree,
        }
    }
}

/// Where quitting stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quit {
    /// Not quitting.
    No,
    /// `q` ran the stop sequence; exit when it is done (`q` again forces).
    Stopping,
    /// Exit now.
    Now,
}

/// A popup and its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    /// Help, scrolled down this many lines.
    Help(u16),
    /// The signal menu.
    SignalMenu(MenuState),
    /// The orphans and zombies view, with the highlighted line.
    Orphans(usize),
    /// The scenario picker, with the highlighted entry.
    Scenarios(usize),
    /// The stop policy picker (`P`), with the highlighted entry.
    Policies(usize),
    /// A question before acting on processes sigtree did not start: it
    /// holds the very command a yes executes.
    Confirm(Command),
}

/// The signal menu's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuState {
    /// What was typed: a signal name or number.
    pub input: String,
    /// Who it goes to.
    pub target: MenuTarget,
}

/// The signal menu's targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuTarget {
    /// The selected process.
    Process,
    /// The watched group.
    Group,
    /// The selected process and its descendants.
    Subtree,
}

/// What a key in the signal menu leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MenuStep {
    /// Keep the menu open.
    Stay,
    /// Close it without sending.
    Close,
    /// Enter on text that names no signal: say so, stay open.
    Invalid,
    /// Send this signal to this target.
    Send(Signal, MenuTarget),
}

impl MenuState {
    /// The menu as it opens: SIGTERM to the selected process.
    pub fn new() -> Self {
        Self {
            input: "TERM".into(),
            target: MenuTarget::Process,
        }
    }

    /// The signal typed, if it names one.
    pub fn signal(&self) -> Option<Signal> {
        self.input.parse().ok()
    }

    /// Applies a key: typing edits the signal, Tab or ↓ cycles the target,
    /// Enter sends, Esc closes.
    pub fn press(&mut self, key: PopupKey) -> MenuStep {
        match key {
            PopupKey::Type(c) if c.is_ascii_alphanumeric() || c == '+' || c == '-' => {
                self.input.push(c)
            }
            PopupKey::Erase => {
                self.input.pop();
            }
            PopupKey::NextTarget | PopupKey::Down => {
                self.target = match self.target {
                    MenuTarget::Process => MenuTarget::Group,
                    MenuTarget::Group => MenuTarget::Subtree,
                    MenuTarget::Subtree => MenuTarget::Process,
                };
            }
            PopupKey::Up => {
                self.target = match self.target {
                    MenuTarget::Process => MenuTarget::Subtree,
                    MenuTarget::Group => MenuTarget::Process,
                    MenuTarget::Subtree => MenuTarget::Group,
                };
            }
            PopupKey::Confirm => {
                return match self.signal() {
                    Some(signal) => MenuStep::Send(signal, self.target),
                    None => MenuStep::Invalid,
                };
            }
            PopupKey::Cancel => return MenuStep::Close,
            PopupKey::Type(_) => {}
        }
        MenuStep::Stay
    }
}

impl Default for MenuState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(menu: &mut MenuState, text: &str) {
        for c in text.chars() {
            assert_eq!(menu.press(PopupKey::Type(c)), MenuStep::Stay);
        }
    }

    #[test]
    fn the_menu_opens_on_sigterm_to_the_selected_process() {
        let mut menu = MenuState::new();
        assert_eq!(
            menu.press(PopupKey::Confirm),
            MenuStep::Send(Signal::TERM, MenuTarget::Process)
        );
    }

    #[test]
    fn typing_a_name_or_number_picks_any_of_the_64_signals() {
        let mut menu = MenuState::new();
        for _ in 0..4 {
            menu.press(PopupKey::Erase);
        }
        typed(&mut menu, "usr1");
        assert_eq!(menu.signal(), Some(Signal::USR1));
        for _ in 0..4 {
            menu.press(PopupKey::Erase);
        }
        typed(&mut menu, "RTMIN+2");
        assert_eq!(menu.signal().map(Signal::number), Some(36));
        menu.input.clear();
        typed(&mut menu, "64");
        assert_eq!(menu.signal().map(Signal::name), Some("SIGRTMAX"));
    }

    #[test]
    fn tab_cycles_process_group_subtree_and_enter_sends_to_it() {
        let mut menu = MenuState::new();
        menu.press(PopupKey::NextTarget);
        assert_eq!(menu.target, MenuTarget::Group);
        menu.press(PopupKey::NextTarget);
        assert_eq!(menu.target, MenuTarget::Subtree);
        menu.press(PopupKey::Up);
        assert_eq!(menu.target, MenuTarget::Group);
        menu.input = "KILL".into();
        assert_eq!(
            menu.press(PopupKey::Confirm),
            MenuStep::Send(Signal::KILL, MenuTarget::Group)
        );
    }

    #[test]
    fn a_name_that_is_no_signal_is_refused_and_escape_closes() {
        let mut menu = MenuState::new();
        typed(&mut menu, "X");
        assert_eq!(menu.input, "TERMX");
        assert_eq!(menu.press(PopupKey::Confirm), MenuStep::Invalid);
        assert_eq!(menu.press(PopupKey::Type('!')), MenuStep::Stay);
        assert_eq!(menu.input, "TERMX", "only name characters are typed");
        assert_eq!(menu.press(PopupKey::Cancel), MenuStep::Close);
    }
}
