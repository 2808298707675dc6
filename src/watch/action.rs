//! The vocabulary of stop actions shared by `check --action`, the scenario
//! files' `[expect]` tables and (later) the TUI's keys.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::signal::sigset::Signal;

/// Who a stop signal goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The leader alone: the master of a pool, the command of a run.
    Leader,
    /// The leader's whole process group (killpg).
    Group,
}

/// One stop action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Set the cooperative stop event (pool only): no signal at all.
    StopEvent,
    /// Send `signal` to `target`.
    Signal {
        /// The signal.
        signal: Signal,
        /// Its target.
        target: Target,
    },
}

/// The named actions: (name, signal, target).
const NAMED: [(&str, Signal, Target); 8] = [
    ("term", Signal::TERM, Target::Leader),
    ("int", Signal::INT, Target::Leader),
    ("hup", Signal::HUP, Target::Leader),
    ("kill", Signal::KILL, Target::Leader),
    ("term-group", Signal::TERM, Target::Group),
    ("int-group", Signal::INT, Target::Group),
    ("hup-group", Signal::HUP, Target::Group),
    ("kill-group", Signal::KILL, Target::Group),
];

impl Action {
    /// The action names `--action` accepts, for help and error messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        std::iter::once("stop-event").chain(NAMED.iter().map(|(name, _, _)| *name))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::StopEvent => f.write_str("stop-event"),
            Self::Signal { signal, target } => {
                match NAMED.iter().find(|(_, s, t)| *s == signal && *t == target) {
                    Some((name, _, _)) => f.write_str(name),
                    None if target == Target::Group => write!(f, "{}-group", signal.name()),
                    None => f.write_str(signal.name()),
                }
            }
        }
    }
}

/// An action name that is not in the vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseActionError(pub String);

impl fmt::Display for ParseActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Action::names().collect();
        write!(
            f,
            "unknown action '{}': use one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for ParseActionError {}

impl FromStr for Action {
    type Err = ParseActionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "stop-event" {
            return Ok(Self::StopEvent);
        }
        NAMED
            .iter()
            .find(|(name, _, _)| *name == s)
            .map(|&(_, signal, target)| Self::Signal { signal, target })
            .ok_or_else(|| ParseActionError(s.to_string()))
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for name in Action::names() {
            let action: Action = name.parse().expect("a known name");
            assert_eq!(action.to_string(), name);
        }
        assert_eq!(Action::names().count(), 9);
    }

    #[test]
    fn named_actions_have_their_signal_and_target() {
        assert_eq!(
            "int-group".parse::<Action>(),
            Ok(Action::Signal {
                signal: Signal::INT,
                target: Target::Group
            })
        );
        assert_eq!("stop-event".parse::<Action>(), Ok(Action::StopEvent));
    }

    #[test]
    fn other_group_signals_are_named_by_signal() {
        assert_eq!(
            Action::Signal {
                signal: Signal::USR1,
                target: Target::Group
            }
            .to_string(),
            "SIGUSR1-group"
        );
        assert_eq!(
            Action::Signal {
                signal: Signal::TERM,
                target: Target::Group
            }
            .to_string(),
            "term-group"
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_vocabulary() {
        let error = "terminate".parse::<Action>().expect_err("not an action");
        assert!(
            error.to_string().contains("stop-event, term, int"),
            "{error}"
        );
    }
}
