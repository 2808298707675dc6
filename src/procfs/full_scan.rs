//! One pass over every process for what a listing prints: stat, and as
//! asked its cmdline, its status, and its signal sets over every thread —
//! each file read once, by up to [`MAX_READERS`] threads over slices of
//! the pid list. Reading `/proc` is the kernel's work, per process and
//! independent: on a machine with several cores the pass takes about the
//! time of its share on one.

use std::collections::BTreeMap;

use super::record::ReadFailure;
use super::scan::{Reader, ScanOptions, Snapshot, list_pids};
use crate::signal::disposition::ProcessSignals;
use crate::sys::boottime_ms;

/// The most threads a pass reads with.
const MAX_READERS: usize = 4;
/// Below this many processes one thread reads them all: starting another
/// costs more than it saves.
const PARALLEL_FROM: usize = 512;

/// What a pass reads besides stat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// Each process's cmdline.
    pub cmdline: bool,
    /// Each process's status (uid, the main thread's masks).
    pub status: bool,
    /// Each process's signal sets over every thread (implies status).
    pub signals: bool,
}

/// A pass's result: the snapshot, and the signal sets when they were
/// wanted.
#[derive(Clone, Debug, Default)]
pub struct FullScan {
    /// Every process read, with what was wanted.
    pub snapshot: Snapshot,
    /// Each process's signal sets over every thread, by pid.
    pub signals: BTreeMap<i32, ProcessSignals>,
}

/// Reads every process in `/proc` as `wanted` says. Processes that end
/// during the pass are left out; unreadable ones are counted.
pub fn full_scan(wanted: Wanted) -> std::io::Result<FullScan> {
    let taken_at_ms = boottime_ms();
    let pids = list_pids()?;
    let readers = if pids.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_READERS)
    };
    let slice = pids.len().div_ceil(readers).max(1);
    let parts: Vec<FullScan> = std::thread::scope(|scope| {
        let running: Vec<_> = pids
            .chunks(slice)
            .skip(1)
            .map(|pids| scope.spawn(move || read_all(pids, wanted)))
            .collect();
        // This thread reads the first slice meanwhile.
        let first = read_all(pids.chunks(slice).next().unwrap_or(&[]), wanted);
        std::iter::once(first)
            .chain(running.into_iter().filter_map(|h| h.join().ok()))
            .collect()
    });
    let mut all = FullScan::default();
    all.snapshot.taken_at_ms = taken_at_ms;
    for part in parts {
        all.snapshot.processes.extend(part.snapshot.processes);
        all.snapshot.denied += part.snapshot.denied;
        all.signals.extend(part.signals);
    }
    Ok(all)
}

/// Reads `pids` with a reader of its own.
fn read_all(pids: &[i32], wanted: Wanted) -> FullScan {
    let mut reader = Reader::default();
    let mut part = FullScan::default();
    let options = ScanOptions {
        cmdline: wanted.cmdline,
    };
    for &pid in pids {
        let mut record = match reader.stat_with(pid, options) {
            Ok(record) => record,
            Err(ReadFailure::Denied) => {
                part.snapshot.denied += 1;
                continue;
            }
            Err(ReadFailure::Gone | ReadFailure::Malformed(_)) => continue,
        };
        if (wanted.status || wanted.signals)
            && let Ok(status) = reader.status(pid)
        {
            record.apply_status(status);
            if wanted.signals
                && let Some(signals) = reader.signals_of(&record)
            {
                part.signals.insert(pid, signals);
            }
        }
        part.snapshot.processes.insert(pid, record);
    }
    part
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parallel_pass_reads_what_one_reader_reads() {
        let own = i32::try_from(std::process::id()).expect("pid");
        let wanted = Wanted {
            cmdline: true,
            status: true,
            signals: true,
        };
        let scan = full_scan(wanted).expect("a pass");
        let mine = scan.snapshot.get(own).expect("this process");
        let alone = Reader::default().process(own).expect("read alone");
        assert_eq!(mine.pgid, alone.pgid);
        assert_eq!(mine.cmdline, alone.cmdline);
        assert_eq!(mine.uid, alone.uid);
        assert!(scan.signals.contains_key(&own));
        // Every process read has its signal sets, unless it ended between
        // its stat and its status: no slice is left out.
        let mut reader = Reader::default();
        for (pid, record) in &scan.snapshot.processes {
            if !scan.signals.contains_key(pid) {
                let now = reader.stat(*pid).ok();
                assert!(
                    now.is_none_or(|r| r.start_time_ms != record.start_time_ms || r.has_exited()),
                    "{pid} lives on without its signal sets"
                );
            }
        }
        let bare = full_scan(Wanted::default()).expect("a bare pass");
        assert!(bare.signals.is_empty());
        assert!(bare.snapshot.get(own).is_some_and(|r| r.uid.is_none()));
    }
}
