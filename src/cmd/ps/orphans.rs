//! `sigtree ps --orphans`: the orphans report of [`crate::procfs::orphans`]
//! (likely orphans, orphaned process groups, zombies) as text or JSON.

use std::io::Write;

use crate::cmd::text_table::{Align, write_table};
use crate::procfs::orphans::OrphansReport;
use crate::procfs::scan::Snapshot;
use crate::text::{escape_controls, pid_list};

/// Prints the three lists, as text sections or as one JSON object.
pub fn print(
    snapshot: &Snapshot,
    json: bool,
    width: Option<usize>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let report = OrphansReport::new(snapshot, &[]);
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(());
    }

    writeln!(out, "Likely orphans (parent is init, session leader gone):")?;
    let rows: Vec<Vec<String>> = report
        .likely_orphans
        .iter()
        .map(|o| {
            vec![
                o.pid.to_string(),
                o.ppid.to_string(),
                o.pgid.to_string(),
                o.lost_session_leader.to_string(),
                escape_controls(&o.cmd).into_owned(),
            ]
        })
        .collect();
    let header = [
        ("PID", Align::Right),
        ("PPID", Align::Right),
        ("PGID", Align::Right),
        ("LOST-LEADER", Align::Right),
        ("CMD", Align::Left),
    ];
    write_section(&header, &rows, width, out)?;

    writeln!(
        out,
        "\nOrphaned process groups (stopped members first; the kernel sends those SIGHUP then SIGCONT):"
    )?;
    let rows: Vec<Vec<String>> = report
        .orphaned_groups
        .iter()
        .map(|g| {
            vec![
                g.pgid.to_string(),
                g.sid.to_string(),
                pid_list(&g.stopped),
                pid_list(&g.members),
            ]
        })
        .collect();
    let header = [
        ("PGID", Align::Right),
        ("SID", Align::Right),
        ("STOPPED", Align::Left),
        ("MEMBERS", Align::Left),
    ];
    write_section(&header, &rows, width, out)?;

    writeln!(
        out,
        "\nZombies (exited, not yet reaped by their parent; AGE counts from their start):"
    )?;
    let rows: Vec<Vec<String>> = report
        .zombies
        .iter()
        .map(|z| {
            let parent = z
                .parent_cmd
                .as_deref()
                .map_or("(gone)".into(), escape_controls);
            vec![
                z.pid.to_string(),
                escape_controls(&z.comm).into_owned(),
                format_age(z.age_ms),
                z.ppid.to_string(),
                parent.into_owned(),
            ]
        })
        .collect();
    let header = [
        ("PID", Align::Right),
        ("COMM", Align::Left),
        ("AGE", Align::Right),
        ("PPID", Align::Right),
        ("PARENT (does not reap)", Align::Left),
    ];
    write_section(&header, &rows, width, out)?;
    Ok(())
}

fn write_section(
    header: &[(&str, Align)],
    rows: &[Vec<String>],
    width: Option<usize>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if rows.is_empty() {
        writeln!(out, "  none")
    } else {
        write_table(header, rows, width, out)
    }
}

/// A duration as people read ages: "850ms", "4.2s", "3m12s", "2h05m", "3d04h".
pub fn format_age(ms: u64) -> String {
    let secs = ms / 1000;
    match secs {
        0 => format!("{ms}ms"),
        1..60 => format!("{}.{}s", secs, (ms % 1000) / 100),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        3600..86400 => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("{}d{:02}h", secs / 86400, (secs % 86400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(format_age(850), "850ms");
        assert_eq!(format_age(4_250), "4.2s");
        assert_eq!(format_age(192_000), "3m12s");
        assert_eq!(format_age(7_500_000), "2h05m");
        assert_eq!(format_age(273_600_000), "3d04h");
    }
}
