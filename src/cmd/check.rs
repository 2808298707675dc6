//! `sigtree check`: start the pool, wait, perform the stop action, watch,
//! escalate if the grace period runs out, and report. The exit status is the
//! verdict; errors of its own are 2.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use regex::Regex;
use serde::Serialize;

use crate::engine::command::{Command, Executed};
use crate::engine::events::wait_until;
use crate::engine::kernel::EventsSource;
use crate::engine::policy::{Containment, PolicyPlan};
use crate::engine::session::{Launch, Session};
use crate::engine::stop::StopPlan;
use crate::engine::target::Protected;
use crate::pool::block::Accounts;
use crate::pool::scenario;
use crate::watch::action::Action;
use crate::watch::cause::Cause;
use crate::watch::model::{Outcome, Source, Watch, signal_name};
use crate::watch::signals::{Delivery, SiCode};
use crate::watch::verdict::Verdict;
use crate::watch::wording;

/// What `check` starts.
#[derive(Clone, Debug)]
pub enum CheckTarget {
    /// A scenario of the built-in pool: name or path, and a worker override.
    Scenario {
        /// Name or path.
        source: String,
        /// Worker count override.
        workers: Option<u32>,
    },
    /// A command and its arguments.
    Command(Vec<String>),
}

/// What `check` was asked to do.
#[derive(Clone, Debug)]
pub struct CheckPlan {
    /// What to start.
    pub target: CheckTarget,
    /// The stop action.
    pub action: Action,
    /// Instead of the action, a runtime's stop policy.
    pub policy: Option<PolicyPlan>,
    /// Wait after every worker started (a scenario) or after the start (a command).
    pub after: Duration,
    /// Instead of `after`, wait for a line of the command's output to match.
    pub ready: Option<Regex>,
    /// How long `ready` waits for its line.
    pub ready_timeout: Duration,
    /// Grace period before escalation.
    pub grace: Duration,
    /// Count what ended before the stop request against the verdict.
    pub strict: bool,
}

impl CheckPlan {
    /// The containment the command starts in: its policy's, or none.
    pub fn containment(&self) -> Containment {
        self.policy
            .map_or(Containment::None, |policy| policy.containment)
    }

    /// The stop this check performs: the policy's, or its one action and
    /// the escalation.
    pub fn stop_plan(&self) -> StopPlan {
        self.policy.map_or_else(
            || StopPlan::action_only(self.action, self.grace),
            StopPlan::policy,
        )
    }
}

/// One process in the report; field names are the spec's JSON keys.
#[derive(Debug, Serialize)]
pub struct ProcessReport {
    pid: i32,
    start_time_ms: u64,
    ppid: i32,
    pgid: i32,
    sid: i32,
    role: String,
    cmd: String,
    names: Vec<String>,
    outcome: Outcome,
    exit_code: Option<i32>,
    signal: Option<String>,
    at_ms: Option<i64>,
    before_stop: bool,
    cause: Cause,
    source: Source,
    orphaned: bool,
    reparented_to: Option<i32>,
    escaped_group: bool,
    zombie_ms: Option<u64>,
    signals: Vec<SignalReport>,
    /// How it ended and why, in words (not a JSON key).
    #[serde(skip)]
    ending: String,
    /// What happened to it beside its end, in words (not a JSON key).
    #[serde(skip)]
    notes: Vec<String>,
}

/// A signal a process received, as the kernel's signal events told it;
/// field names are the spec's JSON keys.
#[derive(Debug, Serialize)]
pub struct SignalReport {
    at_ms: Option<i64>,
    signal: String,
    from_pid: i32,
    from_comm: String,
    code: SiCode,
    result: Delivery,
    handled: Option<bool>,
}

/// The report of one check; field names are the spec's JSON keys.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// The JSON's schema version (SPEC, "JSON").
    schema: u32,
    /// The verdict.
    pub verdict: Verdict,
    policy: Option<&'static str>,
    /// Which repetition this was (1 on), with `--repeat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat: Option<u32>,
    action: Option<Action>,
    grace_ms: u64,
    /// The policy's containment and whether it was the kernel's own or
    /// emulated (null without one).
    containment: Option<ContainmentReport>,
    time_to_exit_ms: Option<u64>,
    escalated: bool,
    leftovers: Vec<i32>,
    tasks: Option<Accounts>,
    /// What the run's events came from: `lifecycle` (the proc
    /// connector) or `polling`.
    events_source: EventsSource,
    processes: Vec<ProcessReport>,
    /// Pool reports lost because the channel was full (not a JSON key).
    #[serde(skip)]
    dropped_reports: u32,
    /// Why sigtree had to end the run without its keeper (not a JSON key).
    #[serde(skip)]
    keeper_trouble: Option<String>,
    /// How many times the kernel dropped events during the run (not a
    /// JSON key).
    #[serde(skip)]
    event_losses: u64,
    /// The policy's explanation, for the text report (not a JSON key).
    #[serde(skip)]
    explanation: Option<&'static str>,
    /// When the policy's runtime would have called the stop done while
    /// processes still lived, ms after the stop request (not a JSON key:
    /// the leaked processes' causes say it).
    #[serde(skip)]
    runtime_done_ms: Option<i64>,
}

/// A policy's containment in the report.
#[derive(Clone, Debug, Serialize)]
pub struct ContainmentReport {
    /// `pid_namespace`, `init_namespace` or `cgroup`.
    kind: &'static str,
    /// The kernel's own (a real namespace or cgroup), or emulated.
    real: bool,
    /// sigtree's init, tini's PID 1, when it ran (null otherwise).
    init: Option<InitReport>,
}

/// tini's PID 1 in the report: sigtree's init, never judged.
#[derive(Clone, Debug, Serialize)]
pub struct InitReport {
    /// Its pid.
    pid: i32,
    /// Its exit code (its child's, or 128 + the signal that killed the
    /// child), when it exited.
    exit_code: Option<i32>,
    /// The signal that killed it (SIGKILL: the policy's escalation).
    signal: Option<String>,
}

impl ContainmentReport {
    /// What `run` got of the containment `wanted`; none when none was.
    fn of(wanted: Containment, run: &Session) -> Option<Self> {
        let kind = match wanted {
            Containment::None => return None,
            Containment::PidNamespace => "pid_namespace",
            Containment::InitNamespace { .. } => "init_namespace",
            Containment::Cgroup => "cgroup",
        };
        let init = run.init().map(|init| {
            let (exit_code, signal) = match init.ending {
                Some(crate::sys::wait::Ending::Exited(code)) => (Some(code), None),
                Some(crate::sys::wait::Ending::Signaled(sig)) => (None, Some(signal_name(sig))),
                None => (None, None),
            };
            InitReport {
                pid: init.pid,
                exit_code,
                signal,
            }
        });
        Some(Self {
            kind,
            real: run.containment() == wanted,
            init,
        })
    }

    /// Its table cell: `pid ns`, `cgroup`, `init ns`, then `(emulated)`
    /// when it was.
    fn short(&self) -> String {
        let kind = match self.kind {
            "pid_namespace" => "pid ns",
            "init_namespace" => "init ns",
            _ => "cgroup",
        };
        if self.real {
            kind.into()
        } else {
            format!("{kind} (emulated)")
        }
    }

    /// The report's line about it.
    fn line(&self) -> String {
        let what = match self.kind {
            "pid_namespace" => "a pid namespace with the leader as PID 1",
            "init_namespace" => "a pid namespace with tini as PID 1",
            _ => "a cgroup",
        };
        if let Some(init) = &self.init {
            let ended = match (init.exit_code, &init.signal) {
                (Some(code), _) => format!("exited with status {code}"),
                (None, Some(signal)) => format!("was killed by {signal}"),
                (None, None) => "had not ended".into(),
            };
            format!(
                "containment: {what}, the kernel's own; PID 1 ({}, sigtree's init playing \
                 tini) {ended}",
                init.pid
            )
        } else if self.real {
            format!("containment: {what}, the kernel's own")
        } else {
            format!(
                "containment: {what}, emulated (sigtree could not create one here): \
                 sigtree sends what the runtime would and withholds what the kernel would drop"
            )
        }
    }
}

/// Runs the check; `Err` is an error of check's own (exit 2).
pub fn run(plan: &CheckPlan) -> anyhow::Result<CheckReport> {
    let exe = std::env::current_exe().context("cannot find sigtree's own binary")?;
    let protected = Protected::current();
    let mut run = match &plan.target {
        CheckTarget::Scenario { source, workers } => {
            start_pool(&exe, source, *workers, plan.containment())?
        }
        CheckTarget::Command(argv) => start_command(&exe, argv, plan)?,
    };
    perform_stop(&mut run, &protected, plan)
}

fn start_pool(
    exe: &std::path::Path,
    source: &str,
    workers: Option<u32>,
    contain: Containment,
) -> anyhow::Result<Session> {
    let mut scenario = scenario::load(source).map_err(|e| anyhow!("{e}"))?;
    if let Some(workers) = workers {
        scenario.pool.workers = workers;
    }
    let workers = scenario.pool.workers;
    let mut run = Session::start(
        exe,
        Launch::Pool {
            source,
            scenario: &scenario,
            contain,
        },
    )?;
    let deadline = Duration::from_secs(10) + Duration::from_millis(20 * u64::from(workers));
    if !wait_until(&mut run, deadline, |r| r.all_workers_started() || r.ended()) {
        bail!("the pool did not start: not every worker reported within {deadline:?}");
    }
    Ok(run)
}

fn start_command(
    exe: &std::path::Path,
    argv: &[String],
    plan: &CheckPlan,
) -> anyhow::Result<Session> {
    let program = argv
        .first()
        .ok_or_else(|| anyhow!("no command given after --"))?;
    crate::sys::process::find_program(program)?;
    let mut run = Session::start(
        exe,
        Launch::Command {
            argv,
            ready: plan.ready.as_ref(),
            contain: plan.containment(),
        },
    )?;
    let started = wait_until(&mut run, Duration::from_secs(10), |r| {
        r.leader().is_some() || r.ended()
    });
    if let Some(code) = run.keeper_failed().filter(|_| run.leader().is_none()) {
        bail!("cannot start {program} (keeper exited {code})");
    }
    if !started {
        bail!("{program} did not start within 10 s");
    }
    if plan.ready.is_some() {
        let ready = wait_until(&mut run, plan.ready_timeout, |r| {
            r.output().is_some_and(|o| o.ready()) || r.ended()
        });
        if !ready && !run.ended() {
            bail!(
                "{program} printed no line matching --ready within {:?}",
                plan.ready_timeout
            );
        }
    }
    Ok(run)
}

/// Waits `--after` (unless `--ready` already waited), performs the action,
/// and the escalation if needed.
fn perform_stop(
    run: &mut Session,
    protected: &Protected,
    plan: &CheckPlan,
) -> anyhow::Result<CheckReport> {
    if plan.ready.is_none() {
        wait_until(run, plan.after, Session::ended);
    }
    if run.ended() {
        bail!("the run ended before the stop request");
    }
    // The same Command the TUI's keys execute.
    let command = Command::Stop(plan.stop_plan());
    let Executed::Stopping(mut stop) = command
        .execute(run, protected)
        .context("cannot perform the stop action")?
    else {
        bail!("a stop command started no stop sequence");
    };
    stop.run_to_end(run, protected);
    let tasks = run.accounts();
    run.finish();
    let keeper = run.keeper_pid();
    let mut report = report(&run.watch, plan, tasks, stop.leftovers().to_vec(), keeper);
    report.containment = ContainmentReport::of(plan.containment(), run);
    report.events_source = run.events_source();
    report.event_losses = run.event_losses();
    report.dropped_reports = run.dropped_reports();
    report.keeper_trouble = run.keeper_trouble().map(ToString::to_string);
    Ok(report)
}

fn report(
    watch: &Watch,
    plan: &CheckPlan,
    tasks: Option<Accounts>,
    leftovers: Vec<i32>,
    keeper: Option<i32>,
) -> CheckReport {
    let processes = watch
        .every_process()
        .map(|p| {
            let (exit_code, signal) = match p.ending.map(|(e, _)| e) {
                Some(crate::sys::wait::Ending::Exited(code)) => (Some(code), None),
                Some(crate::sys::wait::Ending::Signaled(sig)) => (None, Some(signal_name(sig))),
                None => (None, None),
            };
            ProcessReport {
                pid: p.seen.pid,
                start_time_ms: p.seen.start_time_ms,
                ppid: p.seen.ppid,
                pgid: p.seen.pgid,
                sid: p.seen.sid,
                role: p.role.clone(),
                cmd: p.seen.cmd.clone(),
                names: p.names.clone(),
                outcome: watch.outcome(p),
                exit_code,
                signal,
                at_ms: p.ended_at.and_then(|end| watch.since_stop(end)),
                before_stop: watch.before_stop(p),
                cause: watch.cause(p),
                source: p.ending.map_or(Source::Inferred, |(_, source)| source),
                orphaned: p.reparented_to.is_some(),
                reparented_to: p.reparented_to,
                escaped_group: watch.escaped_group(p),
                zombie_ms: p.zombie_ms(),
                signals: p
                    .signals
                    .iter()
                    .map(|received| SignalReport {
                        at_ms: watch.since_stop(received.at_ms),
                        signal: signal_name(received.signal),
                        from_pid: received.from_pid,
                        from_comm: received.from_comm.clone(),
                        code: received.code,
                        result: received.result,
                        handled: received.handled,
                    })
                    .collect(),
                ending: wording::ending(watch, p),
                notes: wording::notes(watch, p, keeper),
            }
        })
        .collect();
    CheckReport {
        schema: 2,
        verdict: watch.verdict(plan.strict),
        policy: plan.policy.map(|policy| policy.policy.name()),
        repeat: None,
        action: plan.policy.is_none().then_some(plan.action),
        grace_ms: plan.stop_plan().grace.as_millis() as u64,
        containment: None,
        time_to_exit_ms: watch.time_to_exit_ms(),
        escalated: watch.escalated_at().is_some(),
        leftovers,
        tasks,
        events_source: EventsSource::Polling,
        processes,
        dropped_reports: 0,
        keeper_trouble: None,
        runtime_done_ms: watch.runtime_done_with_survivors_at(),
        explanation: plan.policy.map(|policy| policy.policy.explanation()),
        event_losses: 0,
    }
}

/// Several checks: one per policy and repetition, and the worst verdict.
#[derive(Debug, Serialize)]
pub struct Runs {
    /// The worst verdict of all runs.
    pub verdict: Verdict,
    /// Every run's report, in order.
    pub runs: Vec<CheckReport>,
}

/// Runs each plan `repeat` times, one after the other.
pub fn run_all(plans: &[CheckPlan], repeat: u32) -> anyhow::Result<Runs> {
    let mut runs = Vec::new();
    for plan in plans {
        for time in 1..=repeat {
            let mut report = run(plan)?;
            report.repeat = (repeat > 1).then_some(time);
            runs.push(report);
        }
    }
    let verdict = runs
        .iter()
        .map(|report| report.verdict)
        .reduce(Verdict::worst)
        .unwrap_or(Verdict::Graceful);
    Ok(Runs { verdict, runs })
}

/// Prints several checks: JSON, or one row per run (its verdict, time,
/// who was force-killed, who leaked) and the worst verdict.
pub fn print_runs(runs: &Runs, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, runs)?;
        writeln!(out)?;
        return Ok(());
    }
    use crate::cmd::text_table::{Align, write_table};
    let pids = |report: &CheckReport, outcome: Outcome| {
        let pids: Vec<i32> = report
            .processes
            .iter()
            .filter(|p| p.outcome == outcome)
            .map(|p| p.pid)
            .collect();
        if pids.is_empty() {
            "-".to_string()
        } else {
            crate::text::pid_list(&pids)
        }
    };
    let rows: Vec<Vec<String>> = runs
        .runs
        .iter()
        .map(|report| {
            vec![
                report.policy.map_or_else(
                    || report.action.map(|a| a.to_string()).unwrap_or_default(),
                    str::to_string,
                ),
                report.repeat.map_or("-".into(), |time| time.to_string()),
                report.verdict.to_string(),
                report
                    .time_to_exit_ms
                    .map_or("-".into(), |ms| format!("{ms} ms")),
                pids(report, Outcome::Killed),
                pids(report, Outcome::Leaked),
                report
                    .runtime_done_ms
                    .map_or("-".into(), |ms| format!("{ms:+} ms")),
                report
                    .containment
                    .as_ref()
                    .map_or("-".into(), ContainmentReport::short),
            ]
        })
        .collect();
    let header = [
        ("POLICY", Align::Left),
        ("RUN", Align::Right),
        ("VERDICT", Align::Left),
        ("TIME", Align::Right),
        ("FORCE-KILLED", Align::Left),
        ("LEAKED", Align::Left),
        ("DONE WHILE ALIVE", Align::Right),
        ("CONTAINMENT", Align::Left),
    ];
    write_table(&header, &rows, None, out)?;
    writeln!(
        out,
        "worst verdict: {} (exit {})",
        runs.verdict,
        runs.verdict.exit_status()
    )?;
    Ok(())
}

/// Prints the report: JSON, or one line per process and the verdict.
pub fn print(report: &CheckReport, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)?;
        return Ok(());
    }
    use crate::cmd::text_table::{Align, write_table};
    let rows: Vec<Vec<String>> = report
        .processes
        .iter()
        .map(|p| {
            vec![
                p.pid.to_string(),
                p.role.clone(),
                p.ending.clone(),
                p.at_ms.map_or("-".into(), |ms| format!("{ms:+} ms")),
                format!("{:?}", p.source).to_lowercase(),
                p.notes.join("; "),
            ]
        })
        .collect();
    let header = [
        ("PID", Align::Right),
        ("ROLE", Align::Left),
        ("OUTCOME", Align::Left),
        ("WHEN", Align::Right),
        ("SOURCE", Align::Left),
        ("NOTES", Align::Left),
    ];
    write_table(&header, &rows, None, out)?;
    let ended = report.time_to_exit_ms.map_or(
        "no process ended after the stop request".to_string(),
        |ms| format!("last process ended {ms} ms after the stop request"),
    );
    writeln!(
        out,
        "verdict: {} (exit {}) after {}; {ended}",
        report.verdict,
        report.verdict.exit_status(),
        report.policy.map_or_else(
            || report.action.map(|a| a.to_string()).unwrap_or_default(),
            |policy| format!("the {policy} policy")
        )
    )?;
    if let Some(explanation) = report.explanation {
        // It names its runtime first.
        writeln!(out, "{explanation}")?;
    }
    if let Some(containment) = &report.containment {
        writeln!(out, "{}", containment.line())?;
    }
    if report.dropped_reports > 0 {
        writeln!(
            out,
            "note: {} pool reports were dropped (the channel was full); phases may be missing",
            report.dropped_reports
        )?;
    }
    if report.event_losses > 0 {
        writeln!(
            out,
            "note: the kernel dropped events {} times (its socket's buffer was full); \
             sigtree walked the tree after each loss, and a process that lived between \
             two walks may be missing",
            report.event_losses
        )?;
    }
    if let Some(trouble) = &report.keeper_trouble {
        writeln!(
            out,
            "note: sigtree's keeper could not end the run ({trouble}): sigtree ended what was left itself, by pidfd"
        )?;
    }
    if let Some(tasks) = report.tasks {
        writeln!(
            out,
            "tasks: {} completed, {} lost in flight, {} still queued",
            tasks.completed, tasks.lost, tasks.queued
        )?;
    }
    Ok(())
}
