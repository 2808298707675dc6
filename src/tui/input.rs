//! Keys become actions: the vocabulary of everything a user can ask of the
//! TUI. A popup takes keys before the table does.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::signal::sigset::Signal;

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAction {
    /// Select the row above.
    Up,
    /// Select the row below.
    Down,
    /// Select the first row.
    First,
    /// Select the last row.
    Last,
    /// Send a signal to the selected process (through its pidfd).
    SignalSelected(Signal),
    /// Send a signal to the watched process group (killpg).
    SignalGroup(Signal),
    /// Set the cooperative stop event (demo).
    StopEvent,
    /// Run the stop sequence.
    GracefulStop,
    /// Open the signal menu.
    SignalMenu,
    /// SIGSTOP the selected process, or SIGCONT it when stopped.
    PauseResume,
    /// Restart the pool (demo) or the command (run).
    Restart,
    /// Choose another scenario (demo).
    ChooseScenario,
    /// Choose the stop policy `g` runs.
    ChoosePolicy,
    /// The orphans and zombies view.
    Orphans,
    /// Show or hide the detail pane (folded on small terminals).
    ToggleDetail,
    /// Pause the event log (PgUp/PgDn then scroll it), or follow it again.
    PauseLog,
    /// Help: keys, the scenario's explanation, the legend.
    Help,
    /// Quit: the stop sequence, then exit; again: SIGKILL and exit.
    Quit,
    /// Ctrl-Z: restore the terminal and stop sigtree.
    Suspend,
    /// Ctrl-L: repaint everything.
    Redraw,
    /// Scroll the output pane (run): positive is up, into the past.
    ScrollOutput(isize),
}

/// What a key does in a popup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopupKey {
    /// Move up.
    Up,
    /// Move down.
    Down,
    /// Confirm (Enter, or `y` in a question).
    Confirm,
    /// Close (Esc, `q`, or `n` in a question).
    Cancel,
    /// Switch the target (Tab).
    NextTarget,
    /// A character typed (signal name or number).
    Type(char),
    /// Delete the last character typed.
    Erase,
}

/// The terminal's own keys (Ctrl-Z, Ctrl-L): they act whatever popup is
/// open, before it sees the key.
pub fn terminal_action(key: KeyEvent) -> Option<UserAction> {
    if key.kind == KeyEventKind::Release || !key.modifiers.contains(KeyModifiers::CONTROL) {
        return None;
    }
    match key.code {
        KeyCode::Char('z') => Some(UserAction::Suspend),
        KeyCode::Char('l') => Some(UserAction::Redraw),
        _ => None,
    }
}

/// The action of `key` over the table; `None` for keys that mean nothing.
pub fn table_action(key: KeyEvent) -> Option<UserAction> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if let Some(action) = terminal_action(key) {
        return Some(action);
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => UserAction::Quit,
        _ if ctrl => return None,
        KeyCode::Up | KeyCode::Char('k') => UserAction::Up,
        KeyCode::Down | KeyCode::Char('j') => UserAction::Down,
        KeyCode::Home => UserAction::First,
        KeyCode::PageUp => UserAction::ScrollOutput(10),
        KeyCode::PageDown => UserAction::ScrollOutput(-10),
        KeyCode::End => UserAction::Last,
        KeyCode::Char('t') => UserAction::SignalSelected(Signal::TERM),
        KeyCode::Char('T') => UserAction::SignalGroup(Signal::TERM),
        KeyCode::Char('i') => UserAction::SignalGroup(Signal::INT),
        KeyCode::Char('x') => UserAction::SignalSelected(Signal::KILL),
        KeyCode::Char('X') => UserAction::SignalGroup(Signal::KILL),
        KeyCode::Char('e') => UserAction::StopEvent,
        KeyCode::Char('g') => UserAction::GracefulStop,
        KeyCode::Char('s') => UserAction::SignalMenu,
        KeyCode::Char('p') => UserAction::PauseResume,
        KeyCode::Char('r') => UserAction::Restart,
        KeyCode::Char('c') => UserAction::ChooseScenario,
        KeyCode::Char('P') => UserAction::ChoosePolicy,
        KeyCode::Char('o') => UserAction::Orphans,
        KeyCode::Char('d') => UserAction::ToggleDetail,
        KeyCode::Char('l') => UserAction::PauseLog,
        KeyCode::Char('?') => UserAction::Help,
        KeyCode::Char('q') => UserAction::Quit,
        _ => return None,
    })
}

/// The meaning of `key` inside a popup; `question` popups take y/n.
pub fn popup_key(key: KeyEvent, question: bool) -> Option<PopupKey> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    Some(match key.code {
        KeyCode::Esc => PopupKey::Cancel,
        KeyCode::Enter => PopupKey::Confirm,
        KeyCode::Up => PopupKey::Up,
        KeyCode::Down => PopupKey::Down,
        KeyCode::Tab => PopupKey::NextTarget,
        KeyCode::Backspace => PopupKey::Erase,
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => PopupKey::Cancel,
        KeyCode::Char('y') if question => PopupKey::Confirm,
        KeyCode::Char('n') if question => PopupKey::Cancel,
        KeyCode::Char('q') if question => PopupKey::Cancel,
        KeyCode::Char(c) => PopupKey::Type(c),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_specs_keys() {
        let cases = [
            ('t', UserAction::SignalSelected(Signal::TERM)),
            ('T', UserAction::SignalGroup(Signal::TERM)),
            ('i', UserAction::SignalGroup(Signal::INT)),
            ('x', UserAction::SignalSelected(Signal::KILL)),
            ('X', UserAction::SignalGroup(Signal::KILL)),
            ('e', UserAction::StopEvent),
            ('g', UserAction::GracefulStop),
            ('s', UserAction::SignalMenu),
            ('p', UserAction::PauseResume),
            ('r', UserAction::Restart),
            ('c', UserAction::ChooseScenario),
            ('P', UserAction::ChoosePolicy),
            ('o', UserAction::Orphans),
            ('l', UserAction::PauseLog),
            ('?', UserAction::Help),
            ('q', UserAction::Quit),
            ('j', UserAction::Down),
            ('k', UserAction::Up),
        ];
        for (c, action) in cases {
            assert_eq!(table_action(key(KeyCode::Char(c))), Some(action), "{c}");
        }
        assert_eq!(table_action(key(KeyCode::Up)), Some(UserAction::Up));
        assert_eq!(table_action(key(KeyCode::Char('Z'))), None);
    }

    #[test]
    fn control_keys() {
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(table_action(ctrl('z')), Some(UserAction::Suspend));
        assert_eq!(table_action(ctrl('c')), Some(UserAction::Quit));
        assert_eq!(table_action(ctrl('l')), Some(UserAction::Redraw));
        assert_eq!(table_action(ctrl('t')), None, "ctrl-t is not t");
    }

    #[test]
    fn popups_take_typing_and_questions_take_y_and_n() {
        assert_eq!(
            popup_key(key(KeyCode::Char('y')), true),
            Some(PopupKey::Confirm)
        );
        assert_eq!(
            popup_key(key(KeyCode::Char('y')), false),
            Some(PopupKey::Type('y'))
        );
        assert_eq!(
            popup_key(key(KeyCode::Char('n')), true),
            Some(PopupKey::Cancel)
        );
        assert_eq!(popup_key(key(KeyCode::Esc), false), Some(PopupKey::Cancel));
        assert_eq!(
            popup_key(key(KeyCode::Tab), false),
            Some(PopupKey::NextTarget)
        );
        assert_eq!(
            popup_key(key(KeyCode::Char('1')), false),
            Some(PopupKey::Type('1'))
        );
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut release = key(KeyCode::Char('X'));
        release.kind = KeyEventKind::Release;
        assert_eq!(table_action(release), None);
        assert_eq!(popup_key(release, true), None);
    }
}
