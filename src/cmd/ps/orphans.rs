//! `sigtree ps --orphans`: the orphans report of [`crate::procfs::orphans`]
//! (likely orphans, orphaned process groups, zombies) as text or JSON.

use std::io::Write;

use crate::cmd::text_table::{Align, write_table};
use crate::procfs::orphans::{OrphansReport, ZombieEntry};
use crate::procfs::scan::Snapshot;
use crate::text::escape_controls;

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
        "\nOrphaned process groups (no member has a parent in another group of its session).\n\
         A member stopped in a group already orphaned stays stopped: the kernel sends SIGHUP\n\
         then SIGCONT only when a group becomes orphaned with a member stopped."
    )?;
    let rows: Vec<Vec<String>> = report
        .orphaned_groups
        .iter()
        .flat_map(|g| {
            // The group's cells on its first member's row only.
            g.members.iter().enumerate().map(move |(i, m)| {
                let (pgid, sid) = if i == 0 {
                    (g.pgid.to_string(), g.sid.to_string())
                } else {
                    (String::new(), String::new())
                };
                vec![
                    pgid,
                    sid,
                    m.pid.to_string(),
                    m.state.letter().to_string(),
                    escape_controls(&m.cmd).into_owned(),
                ]
            })
        })
        .collect();
    let header = [
        ("PGID", Align::Right),
        ("SID", Align::Right),
        ("PID", Align::Right),
        ("S", Align::Left),
        ("CMD", Align::Left),
    ];
    write_section(&header, &rows, width, out)?;

    writeln!(
        out,
        "\nZombies (exited, not yet reaped), grouped by the parent that does not reap them\n\
         (AGE: the oldest one's, counted from its start: /proc keeps no time of death):"
    )?;
    if report.zombies.is_empty() {
        writeln!(out, "  none")?;
    }
    for group in &report.zombies {
        let parent = group
            .parent_cmd
            .as_deref()
            .map_or("(gone)".into(), escape_controls);
        let count = group.zombies.len();
        writeln!(
            out,
            "{count} zombie{} of parent {} {parent}",
            if count == 1 { "" } else { "s" },
            group.ppid
        )?;
        let rows: Vec<Vec<String>> = runs(&group.zombies)
            .into_iter()
            .map(|run| {
                let (first, last) = (run[0].pid, run[run.len() - 1].pid);
                let oldest = run.iter().map(|z| z.age_ms).max().unwrap_or(0);
                vec![
                    if first == last {
                        first.to_string()
                    } else {
                        format!("{first}-{last}")
                    },
                    format_age(oldest),
                    escape_controls(&run[0].comm).into_owned(),
                ]
            })
            .collect();
        let header = [
            ("PIDS", Align::Right),
            ("AGE", Align::Right),
            ("COMM", Align::Left),
        ];
        write_table(&header, &indent(rows), width, out)?;
    }
    Ok(())
}

/// The zombies of one parent as runs of consecutive pids with the same
/// command name: a thousand children of one loop fit in a row or two.
fn runs(zombies: &[ZombieEntry]) -> Vec<&[ZombieEntry]> {
    zombies
        .chunk_by(|a, b| b.pid == a.pid + 1 && b.comm == a.comm)
        .collect()
}

/// `rows` with their first cell pushed right, under the group's line.
fn indent(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    for row in &mut rows {
        if let Some(first) = row.first_mut() {
            first.insert_str(0, "  ");
        }
    }
    rows
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
    fn zombies_in_runs_of_pids_and_names() {
        let zombie = |pid: i32, comm: &str| ZombieEntry {
            pid,
            comm: comm.into(),
            age_ms: 0,
        };
        let zombies = [
            zombie(10, "a"),
            zombie(11, "a"),
            zombie(12, "b"),
            zombie(14, "b"),
            zombie(15, "b"),
        ];
        let pids: Vec<Vec<i32>> = runs(&zombies)
            .iter()
            .map(|run| run.iter().map(|z| z.pid).collect())
            .collect();
        assert_eq!(pids, [vec![10, 11], vec![12], vec![14, 15]]);
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(format_age(850), "850ms");
        assert_eq!(format_age(4_250), "4.2s");
        assert_eq!(format_age(192_000), "3m12s");
        assert_eq!(format_age(7_500_000), "2h05m");
        assert_eq!(format_age(273_600_000), "3d04h");
    }
}
