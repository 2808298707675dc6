//! The process table of `sigtree ps`.

use std::io::Write;

use crate::cmd::text_table::{Align, write_table};
use crate::procfs::record::ProcessRecord;
use crate::signal::disposition::ProcessSignals;
use crate::signal::sigset::Signal;
use crate::text::escape_controls;

/// The signals whose disposition `--signals` shows, with their column names.
const SIGNAL_COLUMNS: [(&str, Signal); 5] = [
    ("TERM", Signal::TERM),
    ("INT", Signal::INT),
    ("HUP", Signal::HUP),
    ("QUIT", Signal::QUIT),
    ("CHLD", Signal::CHLD),
];

/// One row: a process and the tree guides drawn before its command.
pub struct Row<'a> {
    /// The process.
    pub record: &'a ProcessRecord,
    /// Its signal sets over every thread, with `--signals`.
    pub signals: Option<ProcessSignals>,
    /// Box-drawing guides, empty in a flat listing.
    pub guides: String,
}

impl Row<'_> {
    /// The cells in header order.
    fn cells(&self, signals: bool) -> Vec<String> {
        let r = self.record;
        let mut cells = vec![
            r.pid.to_string(),
            r.ppid.to_string(),
            r.pgid.to_string(),
            r.sid.to_string(),
            r.tpgid.to_string(),
            r.state.letter().to_string(),
            r.threads.to_string(),
        ];
        if signals {
            match (&r.signals, &self.signals) {
                (Some(masks), Some(all)) => {
                    cells.extend(
                        SIGNAL_COLUMNS
                            .iter()
                            .map(|(_, signal)| masks.disposition(*signal).label().to_string()),
                    );
                    // Pending anywhere in it: every thread's SigPnd and ShdPnd.
                    cells.push(all.pending_any().to_string());
                }
                // Its status could not be read: it ended after the scan.
                _ => cells.extend(std::iter::repeat_n(
                    "?".to_string(),
                    SIGNAL_COLUMNS.len() + 1,
                )),
            }
        }
        cells.push(format!("{}{}", self.guides, escape_controls(&r.command())));
        cells
    }
}

/// Writes the table: PID PPID PGID SID TPGID S THR, with `signals` the
/// decoded dispositions and pending signals, then CMD.
pub fn print(
    rows: &[Row],
    signals: bool,
    width: Option<usize>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut header = vec![
        ("PID", Align::Right),
        ("PPID", Align::Right),
        ("PGID", Align::Right),
        ("SID", Align::Right),
        ("TPGID", Align::Right),
        ("S", Align::Left),
        ("THR", Align::Right),
    ];
    if signals {
        header.extend(SIGNAL_COLUMNS.iter().map(|(name, _)| (*name, Align::Left)));
        header.push(("PENDING", Align::Left));
    }
    header.push(("CMD", Align::Left));
    let cells: Vec<Vec<String>> = rows.iter().map(|row| row.cells(signals)).collect();
    write_table(&header, &cells, width, out)
}
