//! `sigtree explain PID`: why a process is (not) ending — its state, its
//! dispositions decoded per thread, and the predicted effect of each signal
//! on each target, with the reason (SPEC, "Command line" and "JSON").

use std::io::Write;

use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::cli::ExplainArgs;
use crate::cmd::text_table::{Align, write_table};
use crate::procfs::record::ReadFailure;
use crate::procfs::scan::{Reader, ScanOptions};
use crate::procfs::state::ProcessState;
use crate::procfs::target::{Context, Inspection, target_of_record};
use crate::procfs::tree::ProcessTree;
use crate::signal::disposition::Disposition;
use crate::signal::effect::{Activity, CoreLimit, NamespaceInit, Prediction, Target, predict};
use crate::signal::sigset::{SigSet, Signal};
use crate::text::escape_controls;

/// The signals predicted when none is named.
const DEFAULT_SIGNALS: [Signal; 4] = [Signal::TERM, Signal::INT, Signal::HUP, Signal::KILL];

/// One thread in `process.threads`.
#[derive(Serialize)]
struct ThreadJson {
    tid: i32,
    state: ProcessState,
    blocked: SigSet,
}

/// One entry of `predictions`.
#[derive(Serialize)]
struct PredictionJson {
    signal: Signal,
    pid: i32,
    #[serde(flatten)]
    prediction: Prediction,
}

/// Runs `sigtree explain`, writing to `out`. A pid that cannot be read is
/// an error.
pub fn run(args: &ExplainArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let mut reader = Reader::default();
    let context = reader
        .context()
        .map_err(failure)
        .context("cannot read sigtree's own /proc/self/status")?;
    let inspection = match reader.inspect(args.pid) {
        Err(ReadFailure::Gone) => bail!("no process with pid {}", args.pid),
        other => other
            .map_err(failure)
            .with_context(|| format!("cannot read /proc/{}", args.pid))?,
    };
    let snapshot = reader
        .snapshot(ScanOptions::default())
        .context("cannot list /proc")?;
    let tree = ProcessTree::new(&snapshot);
    let pid = args.pid;
    let targets = if args.group {
        let mut members = tree.group_members(inspection.record.pgid);
        if !members.contains(&pid) {
            members.insert(0, pid);
        }
        members
    } else if args.subtree {
        let mut subtree = tree.subtree(pid);
        if subtree.is_empty() {
            subtree.push(pid);
        }
        subtree
    } else {
        vec![pid]
    };
    let signals: Vec<Signal> = if args.signals.is_empty() {
        DEFAULT_SIGNALS.to_vec()
    } else {
        args.signals.clone()
    };

    let orphaned = |pgid| tree.is_orphaned_group(pgid);
    let mut predictions = Vec::with_capacity(targets.len() * signals.len());
    for &target_pid in &targets {
        let target = if target_pid == pid {
            inspection.target(&context, orphaned(inspection.record.pgid))
        } else {
            read_target(&mut reader, target_pid, &context, &snapshot, &orphaned)
        };
        predictions.extend(signals.iter().map(|&signal| PredictionJson {
            signal,
            pid: target_pid,
            prediction: predict(signal, &target),
        }));
    }

    if args.json {
        let mut process = serde_json::to_value(&inspection.record)?;
        process["signals"] = serde_json::to_value(inspection.signals())?;
        process["threads"] = serde_json::to_value(
            inspection
                .threads
                .iter()
                .map(|t| ThreadJson {
                    tid: t.tid,
                    state: t.state,
                    blocked: t.masks.blocked,
                })
                .collect::<Vec<_>>(),
        )?;
        let report = serde_json::json!({ "process": process, "predictions": predictions });
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    let target = inspection.target(&context, orphaned(inspection.record.pgid));
    print_process(&inspection, &target, &signals, out)?;
    writeln!(out, "\npredicted effects")?;
    let rows: Vec<Vec<String>> = predictions
        .iter()
        .map(|p| {
            vec![
                p.pid.to_string(),
                p.signal.to_string(),
                p.prediction.effect.to_string(),
                p.prediction.reason.clone(),
            ]
        })
        .collect();
    write_table(
        &[
            ("PID", Align::Right),
            ("SIGNAL", Align::Left),
            ("EFFECT", Align::Left),
            ("REASON", Align::Left),
        ],
        &rows,
        None,
        out,
    )?;
    Ok(())
}

/// The target of a member other than the one asked about: read afresh, or
/// gone, or (unreadable) what its stat in the scan says.
fn read_target(
    reader: &mut Reader,
    pid: i32,
    context: &Context,
    snapshot: &crate::procfs::scan::Snapshot,
    orphaned: &impl Fn(i32) -> bool,
) -> Target {
    match reader.inspect(pid) {
        Ok(member) => member.target(context, orphaned(member.record.pgid)),
        Err(ReadFailure::Gone) => Target {
            activity: Activity::Gone,
            ..Target::default()
        },
        Err(_) => snapshot.get(pid).map_or(
            Target {
                activity: Activity::Gone,
                ..Target::default()
            },
            |record| Target {
                orphaned_group: orphaned(record.pgid),
                ..target_of_record(record)
            },
        ),
    }
}

/// A read failure as an error with a sentence.
fn failure(failure: ReadFailure) -> anyhow::Error {
    match failure {
        ReadFailure::Gone => anyhow::anyhow!("the process is gone"),
        ReadFailure::Denied => {
            anyhow::anyhow!("permission denied (hidepid, or another user's process)")
        }
        ReadFailure::Malformed(what) => anyhow::anyhow!("unexpected contents: {what}"),
    }
}

/// The text report's top: identity, state, facts that change predictions,
/// threads, and each signal's disposition per thread.
fn print_process(
    inspection: &Inspection,
    target: &Target,
    signals: &[Signal],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let record = &inspection.record;
    writeln!(
        out,
        "pid {}: {}",
        record.pid,
        escape_controls(&record.command())
    )?;
    let live = inspection.live_threads().count();
    writeln!(
        out,
        "state {}: {}; {live} live thread{}; parent {}, group {}, session {}",
        record.state.letter(),
        record.state.meaning(),
        if live == 1 { "" } else { "s" },
        record.ppid,
        record.pgid,
        record.sid,
    )?;
    for fact in facts(inspection, target) {
        writeln!(out, "  {fact}")?;
    }
    writeln!(out, "\nthreads")?;
    let rows: Vec<Vec<String>> = inspection
        .threads
        .iter()
        .map(|t| {
            vec![
                t.tid.to_string(),
                t.state.letter().to_string(),
                t.masks.pending.to_string(),
                t.masks.blocked.to_string(),
            ]
        })
        .collect();
    write_table(
        &[
            ("TID", Align::Right),
            ("S", Align::Left),
            ("PENDING", Align::Left),
            ("BLOCKED", Align::Left),
        ],
        &rows,
        None,
        out,
    )?;
    writeln!(
        out,
        "\ndispositions (handling is the process's; blocking is per thread)"
    )?;
    let masks = record.signals.unwrap_or_default();
    let rows: Vec<Vec<String>> = signals
        .iter()
        .map(|&signal| {
            let blocking: Vec<String> = inspection
                .live_threads()
                .filter(|t| t.masks.blocked.contains(signal))
                .map(|t| t.tid.to_string())
                .collect();
            let blocked = match blocking.len() {
                0 => "-".to_string(),
                n if n == live => format!("every thread ({n})"),
                _ => blocking.join(","),
            };
            vec![
                signal.to_string(),
                Disposition {
                    blocked: false,
                    ..masks.disposition(signal)
                }
                .label()
                .to_string(),
                blocked,
            ]
        })
        .collect();
    write_table(
        &[
            ("SIGNAL", Align::Left),
            ("HANDLING", Align::Left),
            ("BLOCKED BY", Align::Left),
        ],
        &rows,
        None,
        out,
    )
}

/// The facts beside the state that change what a signal does.
fn facts(inspection: &Inspection, target: &Target) -> Vec<String> {
    let mut facts = Vec::new();
    if inspection.record.state.is_zombie() && target.activity != Activity::Zombie {
        facts.push(
            "its main thread exited but other threads run: a live process, not a zombie".into(),
        );
    }
    if let Some(tracer) = target.tracer {
        facts.push(format!("traced (TracerPid {tracer})"));
    }
    if target.kernel_thread {
        facts.push("a kernel thread".into());
    }
    if target.namespace_init != NamespaceInit::No {
        facts.push("the init (PID 1) of a pid namespace".into());
    }
    if target.orphaned_group {
        facts.push("its process group is orphaned".into());
    }
    if target.core_piped {
        facts.push("core_pattern pipes core dumps to a program".into());
    }
    match target.core_limit {
        CoreLimit::Bytes(bytes) => facts.push(format!("RLIMIT_CORE {bytes} bytes")),
        CoreLimit::Unlimited => facts.push("RLIMIT_CORE unlimited".into()),
        CoreLimit::Unknown => {}
    }
    if !target.pending.is_empty() {
        facts.push(format!("pending: {}", target.pending));
    }
    facts
}
