//! `sigtree ps`: a one-shot listing of processes from `/proc`.

mod orphans;
mod table;

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{Context, bail};

use crate::cli::PsArgs;
use crate::procfs::mounts::{ProcVisibility, proc_visibility};
use crate::procfs::scan::{Reader, ScanOptions, Snapshot};
use crate::procfs::tree::ProcessTree;

/// Runs `sigtree ps`, writing the listing to `out` (lines cut to `width`
/// characters when given) and notices to stderr.
pub fn run(args: &PsArgs, width: Option<usize>, out: &mut impl Write) -> anyhow::Result<()> {
    let mut reader = Reader::default();
    let mut snapshot = reader
        .snapshot(ScanOptions { cmdline: true })
        .context("cannot list /proc")?;
    warn_about_hidden(&snapshot);

    if args.orphans {
        return orphans::print(&snapshot, args.json, width, out);
    }
    let selected = select(&snapshot, args.pid)?;
    if args.signals || args.json {
        // JSON needs the uid from status even without --signals.
        reader.fill_status(&mut snapshot, selected.iter().copied());
        if !args.signals {
            snapshot
                .processes
                .values_mut()
                .for_each(|r| r.signals = None);
        }
    }
    let tree = ProcessTree::new(&snapshot);
    let rows: Vec<table::Row> = if args.tree {
        tree.lines(&selected)
            .into_iter()
            .filter_map(|line| {
                Some(table::Row {
                    record: tree.get(line.pid)?,
                    guides: line.guides,
                })
            })
            .collect()
    } else {
        listing_order(&tree, args.pid, &selected)
            .into_iter()
            .filter_map(|pid| {
                Some(table::Row {
                    record: tree.get(pid)?,
                    guides: String::new(),
                })
            })
            .collect()
    };
    if args.json {
        let records: Vec<_> = rows.iter().map(|row| row.record).collect();
        serde_json::to_writer_pretty(&mut *out, &records)?;
        writeln!(out)?;
    } else {
        table::print(&rows, args.signals, width, out)?;
    }
    Ok(())
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
