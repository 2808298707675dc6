//! A user's action applied to the UI state: pure. What only moves the UI
//! (selection, panes, popups) happens here; what acts on processes comes
//! back as an [`Intent`] — a signal as the engine's [`Command`] — for the
//! app to carry out on the session.

use super::input::UserAction;
use super::state::{MenuState, Popup, UiState};
use crate::engine::command::Command;
use crate::engine::policy::Policy;
use crate::engine::reach::Recipients;

/// What the app must do on the session after an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Nothing: the UI state says it all.
    Nothing,
    /// This command: executed at once, or asked first when attached.
    Ask(Command),
    /// The stop sequence (the app builds its plan from the run's options).
    Stop,
    /// Set the stop event.
    StopEvent,
    /// SIGSTOP `pid`, or SIGCONT it when it is stopped (the session knows).
    PauseResume(i32),
    /// Restart what sigtree started.
    Restart,
    /// Scroll the output pane by this many lines.
    ScrollOutput(isize),
    /// Pause the event log at the lines logged so far.
    PauseLog,
    /// Quit (the stop sequence first, or at once).
    Quit,
}

/// What an action's meaning depends on, besides the UI state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The session watches a process sigtree did not start.
    pub attached: bool,
    /// The demo: a scenario runs (scenarios can be chosen).
    pub demo: bool,
    /// The running scenario's place in the picker, when it is a preset.
    pub preset: Option<usize>,
}

/// Applies `action` to `ui`; returns what is left for the session.
pub fn update(ui: &mut UiState, action: UserAction, facts: Facts) -> Intent {
    ui.message = None;
    match action {
        UserAction::Up => move_selection(ui, -1),
        UserAction::Down => move_selection(ui, 1),
        UserAction::First => ui.selected = ui.order.first().copied(),
        UserAction::Last => ui.selected = ui.order.last().copied(),
        UserAction::SignalSelected(signal) => {
            return match ui.selected {
                Some(pid) => Intent::Ask(Command::Signal {
                    signal,
                    to: Recipients::Process(pid),
                }),
                None => no_selection(ui),
            };
        }
        UserAction::SignalGroup(signal) => {
            return Intent::Ask(Command::Signal {
                signal,
                to: Recipients::Group,
            });
        }
        UserAction::StopEvent => return Intent::StopEvent,
        UserAction::GracefulStop => return Intent::Stop,
        UserAction::SignalMenu => ui.popup = Some(Popup::SignalMenu(MenuState::new())),
        UserAction::PauseResume => {
            return ui
                .selected
                .map_or_else(|| no_selection(ui), Intent::PauseResume);
        }
        UserAction::Restart if facts.attached => {
            ui.message =
                Some("r restarts what sigtree started; attached, it started nothing".into());
        }
        UserAction::Restart => return Intent::Restart,
        UserAction::ChooseScenario if !facts.demo => {
            ui.message = Some("c chooses a scenario in the demo; r restarts the command".into());
        }
        UserAction::ChooseScenario => {
            ui.popup = Some(Popup::Scenarios(facts.preset.unwrap_or(0)));
        }
        UserAction::ChoosePolicy => {
            let current = Policy::offered(facts.attached)
                .iter()
                .position(|policy| *policy == ui.policy);
            ui.popup = Some(Popup::Policies(current.unwrap_or(0)));
        }
        // A paused log takes PgUp/PgDn; else the output pane does.
        UserAction::ScrollOutput(lines) => match &mut ui.log_paused {
            Some((_, scroll)) => *scroll = scroll.saturating_add_signed(lines),
            None => return Intent::ScrollOutput(lines),
        },
        UserAction::PauseLog if ui.log_paused.is_some() => ui.log_paused = None,
        UserAction::PauseLog => return Intent::PauseLog,
        // The session scans for it, off the UI's thread, once told it shows.
        UserAction::Orphans => ui.popup = Some(Popup::Orphans(0)),
        UserAction::ToggleDetail => ui.detail_toggled = !ui.detail_toggled,
        UserAction::Help => ui.popup = Some(Popup::Help(0)),
        UserAction::Quit => return Intent::Quit,
        // The event loop handles what needs the terminal.
        UserAction::Suspend | UserAction::Redraw => {}
    }
    Intent::Nothing
}

/// Says that the action needs a selected process.
fn no_selection(ui: &mut UiState) -> Intent {
    ui.message = Some("no process selected".into());
    Intent::Nothing
}

/// Moves the selection `step` rows, within the rows shown.
fn move_selection(ui: &mut UiState, step: isize) {
    if ui.order.is_empty() {
        return;
    }
    let current = ui
        .selected
        .and_then(|pid| ui.order.iter().position(|p| *p == pid))
        .unwrap_or(0);
    let next = current.saturating_add_signed(step).min(ui.order.len() - 1);
    ui.selected = Some(ui.order[next]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::sigset::Signal;

    const RUN: Facts = Facts {
        attached: false,
        demo: false,
        preset: None,
    };

    fn ui_with_rows(rows: &[i32]) -> UiState {
        let mut ui = UiState::new(false);
        ui.order = rows.to_vec();
        ui
    }

    #[test]
    fn signal_keys_become_commands_on_the_selection_or_the_group() {
        let mut ui = ui_with_rows(&[40, 41, 42]);
        ui.selected = Some(41);
        let term = update(&mut ui, UserAction::SignalSelected(Signal::TERM), RUN);
        assert_eq!(
            term,
            Intent::Ask(Command::Signal {
                signal: Signal::TERM,
                to: Recipients::Process(41)
            })
        );
        let group = update(&mut ui, UserAction::SignalGroup(Signal::KILL), RUN);
        assert_eq!(
            group,
            Intent::Ask(Command::Signal {
                signal: Signal::KILL,
                to: Recipients::Group
            })
        );
        assert_eq!(
            update(&mut ui, UserAction::PauseResume, RUN),
            Intent::PauseResume(41)
        );
    }

    #[test]
    fn without_a_selection_a_process_key_says_so_and_does_nothing() {
        let mut ui = ui_with_rows(&[]);
        for action in [
            UserAction::SignalSelected(Signal::KILL),
            UserAction::PauseResume,
        ] {
            assert_eq!(update(&mut ui, action, RUN), Intent::Nothing);
            assert_eq!(ui.message.as_deref(), Some("no process selected"));
        }
    }

    #[test]
    fn the_selection_moves_within_the_rows() {
        let mut ui = ui_with_rows(&[40, 41, 42]);
        update(&mut ui, UserAction::Down, RUN);
        assert_eq!(ui.selected, Some(41), "from no selection, the first row");
        update(&mut ui, UserAction::Last, RUN);
        update(&mut ui, UserAction::Down, RUN);
        assert_eq!(ui.selected, Some(42));
        update(&mut ui, UserAction::First, RUN);
        update(&mut ui, UserAction::Up, RUN);
        assert_eq!(ui.selected, Some(40));
    }

    #[test]
    fn restart_and_scenarios_depend_on_what_runs() {
        let mut ui = ui_with_rows(&[]);
        let attached = Facts {
            attached: true,
            demo: false,
            preset: None,
        };
        assert_eq!(
            update(&mut ui, UserAction::Restart, attached),
            Intent::Nothing
        );
        assert!(
            ui.message
                .as_deref()
                .is_some_and(|m| m.contains("started nothing"))
        );
        assert_eq!(update(&mut ui, UserAction::Restart, RUN), Intent::Restart);
        assert_eq!(ui.message, None, "an action clears the last message");
        update(&mut ui, UserAction::ChooseScenario, RUN);
        assert_eq!(ui.popup, None);
        let demo = Facts {
            attached: false,
            demo: true,
            preset: None,
        };
        update(&mut ui, UserAction::ChooseScenario, demo);
        assert_eq!(ui.popup, Some(Popup::Scenarios(0)));
        // The picker opens on the scenario that runs.
        let third = Facts {
            preset: Some(2),
            ..demo
        };
        update(&mut ui, UserAction::ChooseScenario, third);
        assert_eq!(ui.popup, Some(Popup::Scenarios(2)));
    }

    #[test]
    fn ui_only_actions_change_only_the_ui() {
        let mut ui = ui_with_rows(&[40]);
        let shown = ui.detail_toggled;
        assert_eq!(
            update(&mut ui, UserAction::ToggleDetail, RUN),
            Intent::Nothing
        );
        assert_eq!(ui.detail_toggled, !shown);
        assert_eq!(update(&mut ui, UserAction::Help, RUN), Intent::Nothing);
        assert_eq!(ui.popup, Some(Popup::Help(0)));
        assert_eq!(update(&mut ui, UserAction::Quit, RUN), Intent::Quit);
        assert_eq!(update(&mut ui, UserAction::GracefulStop, RUN), Intent::Stop);
    }

    #[test]
    fn a_paused_log_takes_page_up_and_down_and_l_follows_it_again() {
        let mut ui = ui_with_rows(&[40]);
        let page = UserAction::ScrollOutput(10);
        assert_eq!(update(&mut ui, page, RUN), Intent::ScrollOutput(10));
        // The app pauses the log at the lines logged so far.
        assert_eq!(update(&mut ui, UserAction::PauseLog, RUN), Intent::PauseLog);
        ui.log_paused = Some((120, 0));
        assert_eq!(update(&mut ui, page, RUN), Intent::Nothing);
        assert_eq!(update(&mut ui, page, RUN), Intent::Nothing);
        assert_eq!(ui.log_paused, Some((120, 20)));
        update(&mut ui, UserAction::ScrollOutput(-30), RUN);
        assert_eq!(ui.log_paused, Some((120, 0)));
        assert_eq!(update(&mut ui, UserAction::PauseLog, RUN), Intent::Nothing);
        assert_eq!(ui.log_paused, None);
    }
}
