//! The command line, as clap parses it.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::engine::policy::Policy;
use crate::signal::sigset::Signal;
use crate::watch::action::Action;

/// See and test how multi-process programs stop: the process tree with its
/// groups, sessions and signal dispositions, read from /proc.
#[derive(Debug, Parser)]
#[command(name = "sigtree", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without one, the demo.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// TUI over a built-in worker pool running a scenario (the default command).
    Demo(DemoArgs),
    /// TUI over any command, launched in its own process group.
    Run(RunArgs),
    /// TUI over a running process, its subtree and its group (never signals without asking).
    Attach(AttachArgs),
    /// One-shot listing of processes from /proc.
    Ps(PsArgs),
    /// Why PID is (not) ending: state, dispositions per thread, and the predicted effect of each signal on each target, with the reason.
    Explain(ExplainArgs),
    /// Live stream of a subtree's events (fork, exec, rename, setsid, exit with its status), one line each, until the subtree is gone or Ctrl-C.
    #[command(
        after_help = "PID: a running process and its subtree; -- CMD: a command sigtree starts (and ends on Ctrl-C).\nLifecycle events come from the kernel's proc connector (any user); without it, from walks and pidfds. Exit status: 0; 1 when PID does not exist; 2 a usage error."
    )]
    Trace(TraceArgs),
    /// Headless stop test: start, wait, stop, watch, report; the exit status is the verdict.
    #[command(
        after_help = "Exit status: 0 graceful, 5 unclean, 4 terminated, 1 forced, 3 leaked; 2 for an error of check's own.",
        after_long_help = check_long_help()
    )]
    Check(CheckArgs),
    /// List the scenarios, or print one's explanation.
    Scenarios(ScenariosArgs),
    /// Print a shell completion script (bash, zsh or fish) to stdout.
    #[command(
        after_help = "bash: sigtree completions bash > ~/.local/share/bash-completion/completions/sigtree\nzsh:  sigtree completions zsh > \"${fpath[1]}/_sigtree\"\nfish: sigtree completions fish > ~/.config/fish/completions/sigtree.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout: `sigtree man | man -l -`.
    Man,
    /// A process of the built-in pool (started by sigtree itself).
    #[command(name = "__pool", hide = true)]
    Pool(PoolArgs),
    /// The tracer of signal events (started by sigtree itself, as root).
    #[command(name = "__tracer", hide = true)]
    Tracer {
        /// Read end of sigtree's pipe.
        #[arg(long)]
        control_fd: i32,
    },
}

/// Options of `sigtree demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The scenario: a built-in name (see `sigtree scenarios`) or a TOML file.
    #[arg(long, default_value = "graceful")]
    pub scenario: String,
    /// Number of workers (1 to 1024), instead of the scenario's.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub workers: Option<u32>,
    /// Number of tasks in the queue (default: endless, so the demo never runs out of work).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub tasks: Option<u32>,
    /// Grace period of the graceful stop (g, q) before SIGKILL (5s; under a
    /// policy chosen with P, the policy's own unless given).
    #[arg(long, value_parser = parse_duration)]
    pub grace: Option<Duration>,
    /// The policy `g` stops as, as if chosen with P (see `sigtree check
    /// --help`); a cgroup runtime starts the pool in a cgroup of its own.
    #[arg(long)]
    pub policy: Option<Policy>,
}

impl Default for DemoArgs {
    fn default() -> Self {
        Self {
            scenario: "graceful".into(),
            workers: None,
            tasks: None,
            grace: None,
            policy: None,
        }
    }
}

/// Options of `sigtree run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The signal `g` and `q` send first (name or number).
    #[arg(long, default_value = "TERM", value_parser = parse_signal)]
    pub stop_signal: Signal,
    /// Who gets it: the leader (docker stop, systemd KillMode=mixed) or the whole group (supervisord stopasgroup).
    #[arg(long, default_value = "leader", value_parser = parse_target)]
    pub stop_target: crate::watch::action::Target,
    /// Grace period of the stop sequence before SIGKILL (5s; under a policy
    /// chosen with P, the policy's own unless given).
    #[arg(long, value_parser = parse_duration)]
    pub grace: Option<Duration>,
    /// The policy `g` stops as, as if chosen with P (see `sigtree check
    /// --help`); the command starts in its containment where sigtree can
    /// make it (docker, k8s: a pid namespace; systemd: a cgroup).
    #[arg(long)]
    pub policy: Option<Policy>,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Options of `sigtree attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The process to watch.
    #[arg(value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: i32,
    /// Grace period of the stop sequence (g) before SIGKILL (5s; under a
    /// policy chosen with P, the policy's own unless given).
    #[arg(long, value_parser = parse_duration)]
    pub grace: Option<Duration>,
}

/// Options of `sigtree ps`.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// Only the subtree rooted at PID plus the other members of its process group.
    #[arg(value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: Option<i32>,
    /// Draw the parent-child tree.
    #[arg(long)]
    pub tree: bool,
    /// Add decoded dispositions of TERM, INT, HUP, QUIT, CHLD and the pending signals.
    #[arg(long)]
    pub signals: bool,
    /// List likely orphans, orphaned process groups and zombies instead.
    #[arg(long)]
    pub orphans: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sigtree explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The process to explain.
    #[arg(value_parser = clap::value_parser!(i32).range(1..))]
    pub pid: i32,
    /// Signals to predict, by name or number (TERM, SIGUSR1, 10, RTMIN+2) [default: TERM INT HUP KILL].
    #[arg(value_parser = parse_signal, value_name = "SIGNAL")]
    pub signals: Vec<Signal>,
    /// Predict for every member of PID's process group (what killpg reaches).
    #[arg(long, conflicts_with = "subtree")]
    pub group: bool,
    /// Predict for PID and all its descendants.
    #[arg(long)]
    pub subtree: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options of `sigtree trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The process whose subtree to trace.
    #[arg(
        value_parser = clap::value_parser!(i32).range(1..),
        required_unless_present = "command",
        conflicts_with = "command"
    )]
    pub pid: Option<i32>,
    /// Print one JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// A command to start and trace instead (after `--`).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Options of `sigtree completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells `sigtree completions` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

impl From<CompletionShell> for clap_complete::Shell {
    fn from(shell: CompletionShell) -> Self {
        match shell {
            CompletionShell::Bash => Self::Bash,
            CompletionShell::Zsh => Self::Zsh,
            CompletionShell::Fish => Self::Fish,
        }
    }
}

/// The policies `--policies` names, in its order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyList(pub Vec<Policy>);

/// `--policies`: `all`, or policy names separated by commas.
fn parse_policies(text: &str) -> Result<PolicyList, String> {
    if text == "all" {
        return Ok(PolicyList(Policy::ALL.to_vec()));
    }
    text.split(',')
        .map(|name| name.trim().parse::<Policy>().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()
        .map(PolicyList)
}

/// `check --help`'s end: the exit statuses, then each policy explained.
fn check_long_help() -> String {
    let policies: Vec<String> = Policy::ALL
        .iter()
        .map(|policy| format!("  {policy}\n      {}", policy.explanation()))
        .collect();
    format!(
        "Exit status: 0 graceful, 5 unclean, 4 terminated, 1 forced, 3 leaked; 2 for an error of \
         check's own.\n\nPolicies (--policy). Containment is the kernel's where sigtree can make \
         it: a pid namespace for the command or pool under docker and k8s (as root, or in a user \
         namespace), the same under tini and tini-g with sigtree's init as its PID 1 playing \
         tini, a cgroup v2 directory under systemd (where it may write one); otherwise \
         emulated. The report says which:\n{}",
        policies.join("\n")
    )
}

/// Options of `sigtree check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The scenario to run: a built-in name (see `sigtree scenarios`) or a TOML file.
    #[arg(long, required_unless_present = "command", conflicts_with = "command")]
    pub scenario: Option<String>,
    /// The stop action: stop-event, term, int, hup, kill, term-group, int-group, hup-group, kill-group.
    #[arg(long, conflicts_with = "signal", value_parser = parse_action)]
    pub action: Option<Action>,
    /// Send this signal instead (name or number: TERM, SIGUSR1, 10, RTMIN+2), to the group unless --stop-target leader.
    #[arg(long, value_parser = parse_signal)]
    pub signal: Option<Signal>,
    /// Who --signal goes to: the group (default) or the leader.
    #[arg(long, requires = "signal", value_parser = parse_target)]
    pub stop_target: Option<crate::watch::action::Target>,
    /// Stop as a runtime would (its signals, grace, escalation, and when it
    /// reports done; its containment, real or emulated): sigtree, docker, k8s, systemd,
    /// systemd-mixed, supervisord, supervisord-group, process-compose, tini,
    /// tini-g, honcho, s6, runit.
    #[arg(long, conflicts_with_all = ["action", "signal"])]
    pub policy: Option<Policy>,
    /// Run the check once per policy (a comma-separated list, or `all`) and
    /// print one row each; the exit status is the worst verdict.
    #[arg(long, conflicts_with_all = ["action", "signal", "policy"], value_parser = parse_policies)]
    pub policies: Option<PolicyList>,
    /// Run each check N times (1 to 100); the exit status is the worst verdict.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
    /// How long to wait before stopping, from the moment every worker started (a scenario) or from the command's start (250ms, 5s, 1m).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub after: Duration,
    /// Wait for a line of the command's output to match instead of --after (commands only).
    #[arg(long, conflicts_with = "after")]
    pub ready: Option<String>,
    /// How long --ready waits for its line before check gives up (exit 2).
    #[arg(long, requires = "ready", default_value = "60s", value_parser = parse_duration)]
    pub ready_timeout: Duration,
    /// How long to wait for the processes to end before SIGKILL (5s; a
    /// policy's own grace unless given).
    #[arg(long, value_parser = parse_duration)]
    pub grace: Option<Duration>,
    /// Number of workers (1 to 1024), instead of the scenario's.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub workers: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Count processes that ended before the stop request against the
    /// verdict (any that did not exit 0); by default they are listed only.
    #[arg(long)]
    pub strict: bool,
    /// The command to test instead of a scenario (after `--`).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

impl CheckArgs {
    /// The action to perform: --signal, --action, or `term`.
    pub fn stop_action(&self) -> Action {
        match (self.signal, self.action) {
            (Some(signal), _) => Action::Signal {
                signal,
                target: self
                    .stop_target
                    .unwrap_or(crate::watch::action::Target::Group),
            },
            (None, Some(action)) => action,
            (None, None) => Action::Signal {
                signal: Signal::TERM,
                target: crate::watch::action::Target::Leader,
            },
        }
    }
}

/// Options of `sigtree scenarios`.
#[derive(Debug, Args)]
pub struct ScenariosArgs {
    /// A scenario name or TOML file: print its explanation.
    pub name: Option<String>,
}

/// The hidden `__pool` subcommand: which pool process to be.
#[derive(Debug, Args)]
pub struct PoolArgs {
    /// The role.
    #[command(subcommand)]
    pub role: PoolRole,
}

/// The pool's processes.
#[derive(Debug, Subcommand)]
pub enum PoolRole {
    /// The keeper between sigtree and what it starts.
    Keeper {
        /// Read end of sigtree's pipe.
        #[arg(long)]
        control_fd: i32,
        /// Write end of the status channel.
        #[arg(long)]
        status_fd: i32,
        /// Where the command's stdout and stderr go, when captured.
        #[arg(long)]
        output_fd: Option<i32>,
        /// Let the started process inherit the status channel (the pool's master).
        #[arg(long)]
        share_status: bool,
        /// Start the command as PID 1 of a new pid namespace (docker's and
        /// Kubernetes' containment), when the system allows it.
        #[arg(long)]
        pid_namespace: bool,
        /// Make PID 1 of that namespace sigtree's init, playing tini, which
        /// starts the command and forwards signals to it.
        #[arg(long, requires = "pid_namespace")]
        init: bool,
        /// The init forwards to the command's whole group (tini -g).
        #[arg(long, requires = "init")]
        init_group: bool,
        /// Start the command in this cgroup v2 directory (systemd's
        /// containment), and remove it when everything in it has ended.
        #[arg(long)]
        cgroup: Option<std::path::PathBuf>,
        /// The command to start.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// sigtree's init: PID 1 of a pid namespace, playing tini.
    Init {
        /// sigtree's socket, kept from the keeper.
        #[arg(long)]
        control_fd: i32,
        /// Forward signals to the command's whole group (tini -g).
        #[arg(long)]
        group: bool,
        /// The command to start.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// The master.
    Master,
    /// A worker.
    Worker {
        /// Its number, from 1.
        #[arg(long)]
        index: u16,
        /// The master's pid.
        #[arg(long)]
        master: i32,
    },
    /// The helper.
    Helper {
        /// Read end of the master's pipe.
        #[arg(long)]
        control_fd: i32,
    },
    /// A worker's child.
    Grandchild {
        /// "same" group or "new" session (informational).
        #[arg(long)]
        session: String,
    },
}

/// Parses `250ms`, `5s`, `1m` (a number and a unit; no unit is an error).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number.parse().map_err(|_| {
        format!("invalid duration '{text}': use a number and a unit, e.g. 250ms, 5s, 1m")
    })?;
    let millis = match unit {
        "ms" => Some(value),
        "s" => value.checked_mul(1000),
        "m" => value.checked_mul(60_000),
        _ => None,
    };
    millis
        .filter(|&ms| ms <= 24 * 3_600_000)
        .map(Duration::from_millis)
        .ok_or_else(|| {
            format!("invalid duration '{text}': use a number and a unit (ms, s, m), at most a day")
        })
}

fn parse_signal(text: &str) -> Result<Signal, String> {
    text.parse()
        .map_err(|e: crate::signal::sigset::ParseSignalError| e.to_string())
}

fn parse_target(text: &str) -> Result<crate::watch::action::Target, String> {
    match text {
        "leader" => Ok(crate::watch::action::Target::Leader),
        "group" => Ok(crate::watch::action::Target::Group),
        _ => Err(format!("unknown stop target '{text}': use leader or group")),
    }
}

fn parse_action(text: &str) -> Result<Action, String> {
    text.parse()
        .map_err(|e: crate::watch::action::ParseActionError| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        for bad in [
            "",
            "5",
            "s",
            "1.5s",
            "-1s",
            "5h",
            "99999999999999999999s",
            "2000m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
