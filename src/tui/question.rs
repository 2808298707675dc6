//! What the signal menu and a confirmation show before anything is sent:
//! every pid a command hits now, from the same [`Command::targets`] that
//! then executes it ([`asked`], resolved by the engine), with its role,
//! command and the predicted effect of each signal it gets (pure, over
//! what the session read).

use super::screen::SignalMenu;
use super::state::{MenuState, MenuTarget};
use super::view::Model;
use crate::engine::command::Command;
use crate::engine::reach::{Recipients, describe};
use crate::engine::session::Session;
use crate::engine::stop::recipients;
use crate::engine::target::Protected;
use crate::procfs::record::ProcessRecord;
use crate::procfs::target::target_of_record;
use crate::signal::effect::{Target, predict};
use crate::signal::sigset::Signal;
use crate::text::escape_controls;
use crate::watch::action::{Action, Target as StopTarget};
use crate::watch::model::Watch;

/// What an open question's command hits now, as the engine resolved it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    /// The command in words: the question's first line.
    pub headline: String,
    /// Each signal sent now with the pids it hits, or why the command is
    /// refused.
    pub sends: Result<Vec<(Signal, Vec<i32>)>, String>,
    /// A stop goes on after these: its later steps reach the survivors and
    /// any descendant found later.
    pub later: bool,
}

impl Asked {
    /// Every pid hit now (a pid hit by two signals, twice).
    pub fn pids(&self) -> impl Iterator<Item = i32> + '_ {
        self.sends
            .iter()
            .flatten()
            .flat_map(|(_, pids)| pids.iter().copied())
    }
}

/// What `command` hits in `run` now, from [`Command::targets`]: the code
/// that executes it.
pub fn asked(run: &Session, protected: &Protected, command: &Command) -> Asked {
    let plan = command.targets(run, protected);
    Asked {
        headline: headline(run, command),
        later: plan.as_ref().is_ok_and(|plan| plan.later),
        sends: plan
            .map(|plan| {
                plan.sends
                    .iter()
                    .map(|(signal, targets)| (*signal, targets.pids()))
                    .collect()
            })
            .map_err(|error| error.to_string()),
    }
}

/// How much of a command line a question shows.
const COMMAND_WIDTH: usize = 28;

/// The signal menu: the signal typed, the target, and the predicted effect
/// on every process the target reaches — or why it reaches none.
pub fn signal_menu(app: &Model<'_>, menu: &MenuState) -> SignalMenu {
    let signal = menu.signal();
    let target = match (menu.target, app.ui.selected) {
        (MenuTarget::Process, Some(pid)) => format!("process {pid}"),
        (MenuTarget::Group, _) => app
            .run
            .group
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
    // No targets: the target needs a selection and there is none.
    let Some(asked) = app.asked else {
        return shown;
    };
    match &asked.sends {
        Ok(_) => {
            shown.effects = asked
                .pids()
                .map(|pid| {
                    let effect =
                        signal.map_or_else(|| "—".to_string(), |signal| effect(app, pid, signal));
                    (pid, role_of(app.run.watch, pid), effect)
                })
                .collect();
        }
        Err(error) => shown.unreachable = Some(error.clone()),
    }
    shown
}

/// The question asked before `command`: what it does, every pid it hits
/// now with what each signal does to it, and for a stop, what comes later.
pub fn confirmation(app: &Model<'_>, asked: &Asked) -> String {
    let sends = match &asked.sends {
        Ok(sends) => sends,
        Err(error) => return format!("{error}: nothing would be sent. n closes."),
    };
    let mut hits: Vec<(i32, Vec<Signal>)> = Vec::new();
    for (signal, pids) in sends {
        for &pid in pids {
            match hits.iter_mut().find(|(p, _)| *p == pid) {
                Some((_, signals)) => signals.push(*signal),
                None => hits.push((pid, vec![*signal])),
            }
        }
    }
    let mut lines = vec![asked.headline.clone()];
    lines.push(if hits.is_empty() {
        "It hits nothing now.".to_string()
    } else {
        "It hits now:".to_string()
    });
    for (pid, signals) in hits {
        let effects: Vec<String> = signals
            .iter()
            .map(|&signal| format!("{} {}", signal.name(), effect(app, pid, signal)))
            .collect();
        lines.push(format!(
            "  {pid} {} {}: {}",
            role_of(app.run.watch, pid),
            command_of(app, pid),
            effects.join("; ")
        ));
    }
    if asked.later {
        lines.push("  and any descendant found later".into());
    }
    lines.join("\n")
}

/// The first line of a question: the command in words.
fn headline(run: &Session, command: &Command) -> String {
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
                "Session the stop sequence: {first}{cont}; after {} s, SIGKILL to {scope}, \
                 then by pidfd to whatever is left?",
                plan.grace.as_secs_f32()
            )
        }
    }
}

/// The command line of `pid`, escaped and cut to [`COMMAND_WIDTH`].
fn command_of(app: &Model<'_>, pid: i32) -> String {
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

/// The role of an observed pid.
pub fn role_of(watch: &Watch, pid: i32) -> String {
    watch
        .processes()
        .get(&pid)
        .map_or_else(|| "process".to_string(), |p| p.role.clone())
}

/// What a prediction knows of `pid`: all of it when it was looked at
/// closely, else what its record alone says.
pub fn target_of(app: &Model<'_>, pid: i32, record: &ProcessRecord) -> Target {
    app.run
        .closer
        .get(&pid)
        .and_then(|closer| closer.target)
        .unwrap_or_else(|| target_of_record(record))
}

/// The predicted effect of `signal` on `pid`, thread masks and stopped
/// state taken into account, from what the session read.
fn effect(app: &Model<'_>, pid: i32, signal: Signal) -> String {
    let Some(record) = app.run.status.get(&pid) else {
        return "unknown: not read yet".into();
    };
    predict(signal, &target_of(app, pid, record)).to_string()
}
