//! The verdict of a stop and the exit status `check` gives it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How a stop went, worst first in precedence (README, "sigtree check": outcomes and verdict).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Something was still alive after the group's SIGKILL.
    Leaked,
    /// Escalation to SIGKILL was needed.
    Forced,
    /// A process died of a signal.
    Terminated,
    /// A process exited non-zero, or its end is unknown.
    Unclean,
    /// Every process exited 0 within the grace period.
    Graceful,
}

impl Verdict {
    /// The exit status of `sigtree check` for this verdict.
    pub fn exit_status(self) -> u8 {
        match self {
            Self::Graceful => 0,
            Self::Forced => 1,
            Self::Leaked => 3,
            Self::Terminated => 4,
            Self::Unclean => 5,
        }
    }

    /// The worse of two verdicts, by the precedence above (leaked first).
    pub fn worst(self, other: Self) -> Self {
        let rank = |v: Self| match v {
            Self::Leaked => 0,
            Self::Forced => 1,
            Self::Terminated => 2,
            Self::Unclean => 3,
            Self::Graceful => 4,
        };
        if rank(other) < rank(self) {
            other
        } else {
            self
        }
    }

    /// The verdict's name, as JSON and the scenario files spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Leaked => "leaked",
            Self::Forced => "forced",
            Self::Terminated => "terminated",
            Self::Unclean => "unclean",
            Self::Graceful => "graceful",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Leaked,
            Self::Forced,
            Self::Terminated,
            Self::Unclean,
            Self::Graceful,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("unknown verdict '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_are_the_specs() {
        let statuses: Vec<(Verdict, u8)> =
            ["graceful", "unclean", "terminated", "forced", "leaked"]
                .iter()
                .map(|name| {
                    let verdict: Verdict = name.parse().expect("a verdict");
                    (verdict, verdict.exit_status())
                })
                .collect();
        assert_eq!(
            statuses,
            [
                (Verdict::Graceful, 0),
                (Verdict::Unclean, 5),
                (Verdict::Terminated, 4),
                (Verdict::Forced, 1),
                (Verdict::Leaked, 3)
            ]
        );
    }
}
