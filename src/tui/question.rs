//! What the signal menu and a confirmation show before anything is sent:
//! every pid a command hits now, from the same [`Command::targets`] that
//! then executes it, with its role, command and the predicted effect of
//! each signal it gets.

use super::app::{App, MenuState, MenuTarget};
use super::screen::SignalMenu;
use crate::engine::command::Command;
use crate::engine::reach::{Recipients, describe};
use crate::engine::stop::recipients;
use crate::procfs::scan::Reader;
use crate::procfs::target::target_of_record;
use crate::signal::effect::{Target, predict};
use crate::signal::sigset::Signal;
use crate::text::escape_controls;
use crate::watch::action::{Action, Target as StopTarget};

/// How much of a command line a question shows.
const COMMAND_WIDTH: usize = 28;

/// The signal menu: the signal typed, the target, and the predicted effect
/// on every process the target reaches — or why it reaches none.
pub fn signal_menu(app: &App, menu: &MenuState) -> SignalMenu {
    let signal = menu.signal();
    let target = match (menu.target, app.selected) {
        (MenuTarget::Process, Some(pid)) => format!("process {pid}"),
        (MenuTarget::Group, _) => app
            .run
            .group()
            .map_or("group: unknown".into(), |g| format!("group {g}")),
        (MenuTarget::Subtree, Some(pid)) => format!("subtree of {pid}, each by its pidfd"),
        (_, None) => "none selected".into(),
    };
    let mut shown = SignalMenu {
        signal: signal.map_or_else(
            || format!("'{}' names no signal", menu.input),
            |s| format!("{} ({})", s.name(), s.number()),
        ),
        input: menu.input.clone(),
        target,
        ..SignalMenu::default()
    };
    let Some(to) = app.menu_recipients(menu.target) else {
        return shown;
    };
    // Who a signal reaches does not depend on the signal.
    let command = Command::Signal {
        signal: signal.unwrap_or(Signal::TERM),
        to,
    };
    match app.targets(&command) {
        Ok(plan) => {
            let mut reader = Reader::default();
            shown.effects = plan
                .sends
                .iter()
                .flat_map(|(_, targets)| targets.pids())
                .map(|pid| {
                    let effect = signal.map_or_else(
                        || "—".to_string(),
                        |signal| effect(app, &mut reader, pid, signal),
                    );
                    (pid, app.role_of(pid), effect)
                })
                .collect();
        }
        Err(error) => shown.unreachable = Some(error.to_string()),
    }
    shown
}

/// The question asked before `command`: what it does, every pid it hits
/// now with what each signal does to it, and for a stop, what comes later.
pub fn confirmation(app: &App, command: &Command) -> String {
    let plan = match app.targets(command) {
        Ok(plan) => plan,
        Err(error) => return format!("{error}: nothing would be sent. n closes."),
    };
    let mut hits: Vec<(i32, Vec<Signal>)> = Vec::new();
    for (signal, targets) in &plan.sends {
        for pid in targets.pids() {
            match hits.iter_mut().find(|(p, _)| *p == pid) {
                Some((_, signals)) => signals.push(*signal),
                None => hits.push((pid, vec![*signal])),
            }
        }
    }
    let mut lines = vec![headline(app, command)];
    lines.push(if hits.is_empty() {
        "It hits nothing now.".to_string()
    } else {
        "It hits now:".to_string()
    });
    let mut reader = Reader::default();
    for (pid, signals) in hits {
        let effects: Vec<String> = signals
            .iter()
            .map(|&signal| {
                format!(
                    "{} {}",
                    signal.name(),
                    effect(app, &mut reader, pid, signal)
                )
            })
            .collect();
        lines.push(format!(
            "  {pid} {} {}: {}",
            app.role_of(pid),
            command_of(app, pid),
            effects.join("; ")
        ));
    }
    if plan.later {
        lines.push("  and any descendant found later".into());
    }
    lines.join("\n")
}

/// The first line of a question: the command in words.
fn headline(app: &App, command: &Command) -> String {
    let run = &app.run;
    match *command {
        Command::Signal {
            signal,
            to: Recipients::Process(pid),
        } => format!("Send {} to {pid}?", signal.name()),
        Command::Signal { signal, to } => {
            format!("Send {} to {}?", signal.name(), describe(run, to))
        }
        Command::Stop(plan) => {
            let scope = recipients(run, StopTarget::Group)
                .map_or_else(|| "the group".into(), |to| describe(run, to));
            let first = match plan.action {
                Action::StopEvent => "set the stop event".to_string(),
                Action::Signal { signal, target } => {
                    let to = recipients(run, target)
                        .map_or_else(|| "the leader".into(), |to| describe(run, to));
                    let event = if plan.stop_event_first && run.block().is_some() {
                        "set the stop event, then "
                    } else {
                        ""
                    };
                    format!("{event}{} to {to}", signal.name())
                }
            };
            let cont = if plan.continue_after {
                format!(", SIGCONT to {scope}")
            } else {
                String::new()
            };
            format!(
                "Run the stop sequence: {first}{cont}; after {} s, SIGKILL to {scope}, \
                 then by pidfd to whatever is left?",
                plan.grace.as_secs_f32()
            )
        }
    }
}

/// The command line of `pid`, escaped and cut to [`COMMAND_WIDTH`].
fn command_of(app: &App, pid: i32) -> String {
    let cmd = app
        .run
        .watch
        .processes()
        .get(&pid)
        .map_or_else(String::new, |p| escape_controls(&p.seen.cmd).into_owned());
    if cmd.chars().count() > COMMAND_WIDTH {
        let cut: String = cmd.chars().take(COMMAND_WIDTH - 1).collect();
        format!("{cut}…")
    } else {
        cmd
    }
}

/// The predicted effect of `signal` on `pid`, thread masks and stopped
/// state taken into account.
fn effect(app: &App, reader: &mut Reader, pid: i32, signal: Signal) -> String {
    let Some(record) = app.stats.get(&pid) else {
        return "unknown: not read yet".into();
    };
    let seen = target_of_record(record);
    let target = Target {
        blocked_by_all_threads: reader
            .blocked_by_all_threads(pid)
            .unwrap_or(seen.blocked_by_all_threads),
        ..seen
    };
    predict(signal, &target).to_string()
}
