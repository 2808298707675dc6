//! `sigtree ps`: a one-shot listing of processes from `/proc`.

mod orphans;
mod table;

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::cli::PsArgs;
use crate::procfs::full_scan::{FullScan, Wanted, full_scan};
use crate::procfs::mounts::{ProcVisibility, proc_visibility};
use crate::procfs::record::ProcessRecord;
use crate::procfs::scan::{Reader, Snapshot};
use crate::procfs::tree::ProcessTree;
use crate::signal::disposition::ProcessSignals;

/// Runs `sigtree ps`, writing the listing to `out` (lines cut to `width`
/// characters when given) and notices to stderr.
pub fn run(args: &PsArgs, width: Option<usize>, out: &mut impl Write) -> anyhow::Result<()> {
    // One write per buffer, not per line: JSON has a line per key.
    let mut out = BufWriter::new(out);
    // JSON needs the uid from status even without --signals.
    let status = (args.signals || args.json) && !args.orphans;
    // Every process listed: everything printed is read in one pass.
    // With a pid, status only for the processes its selection prints.
    let whole = args.pid.is_none();
    let wanted = Wanted {
        cmdline: true,
        status: status && whole,
        signals: args.signals && whole && !args.orphans,
    };
    let FullScan {
        mut snapshot,
        mut signals,
    } = full_scan(wanted).context("cannot list /proc")?;
    warn_about_hidden(&snapshot);

    if args.orphans {
        orphans::print(&snapshot, args.json, width, &mut out)?;
        return Ok(out.flush()?);
    }
    let selected = select(&snapshot, args.pid)?;
    if status && !whole {
        let mut reader = Reader::default();
        reader.fill_status(&mut snapshot, selected.iter().copied());
        // Pending and blocked over every thread, not the main thread's alone.
        if args.signals {
            signals = selected
                .iter()
                .filter_map(|pid| Some((*pid, reader.signals_of(snapshot.get(*pid)?)?)))
                .collect();
        }
    }
    if !args.signals {
        snapshot
            .processes
            .values_mut()
            .for_each(|r| r.signals = None);
    }
    let tree = ProcessTree::new(&snapshot);
    let row = |pid: i32, guides: String| {
        Some(table::Row {
            record: tree.get(pid)?,
            signals: signals.get(&pid).copied(),
            guides,
        })
    };
    let rows: Vec<table::Row> = if args.tree {
        tree.lines(&selected)
            .into_iter()
            .filter_map(|line| row(line.pid, line.guides))
            .collect()
    } else {
        listing_order(&tree, args.pid, &selected)
            .into_iter()
            .filter_map(|pid| row(pid, String::new()))
            .collect()
    };
    if args.json {
        let records: Vec<_> = rows
            .iter()
            .map(|row| JsonRow {
                record: row.record,
                signals: row.signals,
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &records)?;
        writeln!(out)?;
    } else {
        table::print(&rows, args.signals, width, &mut out)?;
    }
    Ok(out.flush()?)
}

/// One process in `ps --json`: its record, and with `--signals` its signal
/// sets over every thread.
#[derive(Serialize)]
struct JsonRow<'a> {
    #[serde(flatten)]
    record: &'a ProcessRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    signals: Option<ProcessSignals>,
}

/// Every process, or with a pid: its subtree plus the other members of its
/// process group.
fn select(snapshot: &Snapshot, pid: Option<i32>) -> anyhow::Result<BTreeSet<i32>> {
    let Some(pid) = pid else {
        return Ok(snapshot.processes.keys().copied().collect());
    };
    let Some(record) = snapshot.get(pid) else {
        bail!("no process with pid {pid}");
    };
    let tree = ProcessTree::new(snapshot);
    let mut selected: BTreeSet<i32> = tree.subtree(pid).into_iter().collect();
    selected.extend(tree.group_members(record.pgid));
    Ok(selected)
}

/// The flat listing's order: ascending pids, or with a pid its subtree first
/// (parents before children), then the rest of its group.
fn listing_order(tree: &ProcessTree, pid: Option<i32>, selected: &BTreeSet<i32>) -> Vec<i32> {
    let Some(pid) = pid else {
        return selected.iter().copied().collect();
    };
    let mut order = tree.subtree(pid);
    let in_subtree: BTreeSet<i32> = order.iter().copied().collect();
    order.extend(selected.difference(&in_subtree));
    order
}

/// One line on stderr when `/proc` hides other users' processes.
fn warn_about_hidden(snapshot: &Snapshot) {
    let root = rustix::process::geteuid().is_root();
    match proc_visibility() {
        ProcVisibility::OthersInvisible | ProcVisibility::PtraceableOnly if !root => {
            eprintln!(
                "sigtree: note: /proc is mounted with hidepid: other users' processes are invisible"
            );
        }
        _ if snapshot.denied > 0 => eprintln!(
            "sigtree: warning: {} processes could not be read (other users' processes, /proc mounted with hidepid=1)",
            snapshot.denied
        ),
        _ => {}
    }
}
