//! The `sigtree` binary: parse the command line, dispatch, map errors to exit
//! statuses.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use sigtree::cli::{AttachArgs, CheckArgs, Cli, Command, DemoArgs, PoolRole, RunArgs};
use sigtree::tui::app::{AppOptions, Mode};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Ps(args)) => {
            let stdout = std::io::stdout();
            let width = terminal_width(&stdout);
            let mut out = stdout.lock();
            let result =
                sigtree::cmd::ps::run(&args, width, &mut out).and_then(|()| Ok(out.flush()?));
            finish(result, 1)
        }
        Some(Command::Scenarios(args)) => {
            let result =
                sigtree::cmd::scenarios::run(args.name.as_deref(), &mut std::io::stdout().lock());
            finish(result, 2)
        }
        Some(Command::Explain(args)) => {
            let mut out = std::io::stdout().lock();
            let result =
                sigtree::cmd::explain::run(&args, &mut out).and_then(|()| Ok(out.flush()?));
            finish(result, 1)
        }
        Some(Command::Completions(args)) => {
            let mut out = std::io::stdout().lock();
            let result = sigtree::cmd::manual::completions(args.shell, &mut out)
                .and_then(|()| Ok(out.flush()?));
            finish(result, 1)
        }
        Some(Command::Man) => {
            let mut out = std::io::stdout().lock();
            let result = sigtree::cmd::manual::man_page(&mut out).and_then(|()| Ok(out.flush()?));
            finish(result, 1)
        }
        Some(Command::Check(args)) => check(&args),
        Some(Command::Tracer { control_fd }) => {
            match sigtree::engine::kernel::tracer::run(control_fd) {
                Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
                Err(error) => finish(Err(error.into()), 2),
            }
        }
        Some(Command::Trace(args)) => {
            let target = match args.pid {
                Some(pid) => sigtree::cmd::trace::TraceTarget::Pid(pid),
                None => sigtree::cmd::trace::TraceTarget::Command(args.command),
            };
            let result = sigtree::cmd::trace::run(
                &target,
                args.json,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr(),
            );
            finish(result, 1)
        }
        Some(Command::Pool(args)) => {
            let result = match args.role {
                PoolRole::Keeper {
                    control_fd,
                    status_fd,
                    output_fd,
                    share_status,
                    pid_namespace,
                    init,
                    init_group,
                    cgroup,
                    command,
                } => {
                    let fds = sigtree::pool::keeper::KeeperFds {
                        control: control_fd,
                        status: status_fd,
                        output: output_fd,
                        share_status,
                        pid_namespace,
                        init: init.then_some(forward(init_group)),
                        cgroup,
                    };
                    sigtree::pool::keeper::run(fds, &command)
                }
                PoolRole::Init {
                    control_fd,
                    group,
                    command,
                } => sigtree::pool::init::run(control_fd, forward(group), &command),
                PoolRole::Master => sigtree::pool::master::run(),
                PoolRole::Worker { index, master } => sigtree::pool::worker::run(index, master),
                PoolRole::Helper { control_fd } => sigtree::pool::helper::run(control_fd),
                PoolRole::Grandchild { .. } => sigtree::pool::grandchild::run(),
            };
            match result {
                Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
                Err(error) => finish(Err(error), 2),
            }
        }
        Some(Command::Demo(args)) => demo(args),
        Some(Command::Run(args)) => run(args),
        Some(Command::Attach(args)) => attach(&args),
        None => demo(DemoArgs::default()),
    }
}

/// Where tini's init forwards signals: the child's `group`, or the child.
fn forward(group: bool) -> sigtree::pool::init::Forward {
    if group {
        sigtree::pool::init::Forward::Group
    } else {
        sigtree::pool::init::Forward::Child
    }
}

/// `sigtree demo`: the TUI over the pool. Not a terminal, or a bad
/// scenario: exit 2.
fn demo(args: DemoArgs) -> ExitCode {
    // Checked before the terminal: an unknown scenario is said as such,
    // with or without one.
    if let Err(error) = sigtree::pool::scenario::load(&args.scenario) {
        return finish(Err(anyhow::anyhow!("{error}")), 2);
    }
    let mode = Mode::Demo {
        scenario: args.scenario,
        workers: args.workers,
        tasks: args.tasks,
    };
    tui(mode, args.grace, args.policy)
}

/// `sigtree run`: the TUI over a command. Not a terminal, or a command
/// that cannot start: exit 2.
fn run(args: RunArgs) -> ExitCode {
    let mode = Mode::Run {
        argv: args.command,
        stop_signal: args.stop_signal,
        stop_target: args.stop_target,
    };
    tui(mode, args.grace, args.policy)
}

/// `sigtree attach PID`: a pid that does not exist is a runtime failure
/// (exit 1); pid 1, or no terminal, exit 2.
fn attach(args: &AttachArgs) -> ExitCode {
    if !std::path::Path::new(&format!("/proc/{}", args.pid)).exists() {
        eprintln!("sigtree: no process with pid {}", args.pid);
        return ExitCode::FAILURE;
    }
    tui(Mode::Attach { pid: args.pid }, args.grace, None)
}

fn tui(
    mode: Mode,
    grace: Option<std::time::Duration>,
    policy: Option<sigtree::engine::policy::Policy>,
) -> ExitCode {
    let options = AppOptions {
        mode,
        grace,
        policy: policy.unwrap_or(sigtree::engine::policy::Policy::Sigtree),
    };
    finish(sigtree::tui::event_loop::run_tui(options), 2)
}

/// `sigtree check`: the verdict's exit status, or 2 for an error of its own.
fn check(args: &CheckArgs) -> ExitCode {
    let plan = match check_plan(args) {
        Ok(plan) => plan,
        Err(error) => return finish(Err(error), 2),
    };
    let mut out = std::io::stdout().lock();
    if args.policies.is_none() && args.repeat == 1 {
        let report = match sigtree::cmd::check::run(&plan) {
            Ok(report) => report,
            Err(error) => return finish(Err(error), 2),
        };
        let printed = sigtree::cmd::check::print(&report, args.json, &mut out);
        return match printed {
            // A reader that went away early (`| head -1`) does not change the
            // verdict: the exit status is the verdict, always.
            Err(error) if !is_broken_pipe(&error) => finish(Err(error), 2),
            _ => ExitCode::from(report.verdict.exit_status()),
        };
    }
    let default_grace = sigtree::engine::stop::DEFAULT_GRACE;
    let plans: Vec<_> = match &args.policies {
        Some(policies) => policies
            .0
            .iter()
            .map(|policy| sigtree::cmd::check::CheckPlan {
                policy: Some(policy.plan(args.grace, default_grace)),
                ..plan.clone()
            })
            .collect(),
        None => vec![plan],
    };
    let runs = match sigtree::cmd::check::run_all(&plans, args.repeat) {
        Ok(runs) => runs,
        Err(error) => return finish(Err(error), 2),
    };
    match sigtree::cmd::check::print_runs(&runs, args.json, &mut out) {
        Err(error) if !is_broken_pipe(&error) => finish(Err(error), 2),
        _ => ExitCode::from(runs.verdict.exit_status()),
    }
}

/// The plan of a check, refusing combinations that make no sense.
fn check_plan(args: &CheckArgs) -> anyhow::Result<sigtree::cmd::check::CheckPlan> {
    use sigtree::cmd::check::{CheckPlan, CheckTarget};
    let target = match &args.scenario {
        Some(source) => {
            if args.ready.is_some() {
                anyhow::bail!("--ready applies to commands (check -- CMD), not to --scenario");
            }
            CheckTarget::Scenario {
                source: source.clone(),
                workers: args.workers,
            }
        }
        None => {
            if args.workers.is_some() {
                anyhow::bail!("--workers applies to --scenario, not to a command");
            }
            if args.stop_action() == sigtree::watch::action::Action::StopEvent {
                anyhow::bail!("the stop event exists only in the built-in pool (--scenario)");
            }
            CheckTarget::Command(args.command.clone())
        }
    };
    let ready = args
        .ready
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| anyhow::anyhow!("invalid --ready pattern: {e}"))?;
    let grace = args.grace.unwrap_or(sigtree::engine::stop::DEFAULT_GRACE);
    Ok(CheckPlan {
        target,
        action: args.stop_action(),
        policy: args
            .policy
            .map(|policy| policy.plan(args.grace, sigtree::engine::stop::DEFAULT_GRACE)),
        after: args.after,
        ready,
        ready_timeout: args.ready_timeout,
        grace,
        strict: args.strict,
    })
}

/// Success, or the error printed and `failure` as the exit status.
fn finish(result: anyhow::Result<()>, failure: u8) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sigtree: {error:#}");
            ExitCode::from(failure)
        }
    }
}

/// The terminal's width when stdout is one, so that long lines are cut.
fn terminal_width(stdout: &std::io::Stdout) -> Option<usize> {
    if !stdout.is_terminal() {
        return None;
    }
    ratatui::crossterm::terminal::size()
        .ok()
        .map(|(columns, _)| usize::from(columns))
}

/// `sigtree ps | head` closes the pipe early: not an error worth a message.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let kind = match cause.downcast_ref::<serde_json::Error>() {
            Some(json) => json.io_error_kind(),
            None => cause
                .downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind),
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}
