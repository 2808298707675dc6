//! One process as `/proc/PID/stat`, `/proc/PID/status` and
//! `/proc/PID/cmdline` describe it.
//!
//! The functions here are pure: they take text already read and the kernel's
//! units, so they are tested on fixed samples. Every file is taken as bytes:
//! a process names itself with any bytes, and its name is in stat and status.

use procfs::FromRead;
use procfs::process::Stat;
use serde::Serialize;

use super::state::ProcessState;
use crate::signal::disposition::SignalMasks;
use crate::signal::sigset::SigSet;
use crate::sys::Units;

/// What sigtree knows of one process at one moment. Field names are the keys
/// of `sigtree ps --json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessRecord {
    /// Process ID.
    pub pid: i32,
    /// Parent's pid (0 for init and kthreadd, or a parent outside our pid namespace).
    pub ppid: i32,
    /// Process group ID.
    pub pgid: i32,
    /// Session ID (the pid of the session leader).
    pub sid: i32,
    /// Foreground process group of the controlling terminal, -1 without one.
    pub tpgid: i32,
    /// Scheduling state.
    pub state: ProcessState,
    /// The command name (at most 15 bytes, may hold any character).
    pub comm: String,
    /// Arguments; empty for kernel threads and zombies.
    pub cmdline: Vec<String>,
    /// Number of threads.
    pub threads: u32,
    /// Real user ID, known once status was read.
    pub uid: Option<u32>,
    /// Start time in milliseconds since boot.
    pub start_time_ms: u64,
    /// Resident set size in KiB.
    pub rss_kib: u64,
    /// User plus system CPU time in milliseconds.
    pub cpu_ms: u64,
    /// The five signal masks of the main thread, known once status was read.
    /// Not in the JSON: `ps --json --signals` and `explain --json` show the
    /// whole process's sets there (`ProcessSignals`, over every thread).
    #[serde(skip)]
    pub signals: Option<SignalMasks>,
}

/// Why a file of `/proc/PID` could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadFailure {
    /// The process ended (or its pid never existed): normal, never an error.
    Gone,
    /// Permission denied, as with `hidepid=1` for other users' processes.
    Denied,
    /// The text did not parse; holds what the parser said.
    Malformed(String),
}

impl From<procfs::ProcError> for ReadFailure {
    fn from(error: procfs::ProcError) -> Self {
        match error {
            procfs::ProcError::NotFound(_) => Self::Gone,
            procfs::ProcError::PermissionDenied(_) => Self::Denied,
            procfs::ProcError::Io(e, _) => Self::from(e),
            other => Self::Malformed(other.to_string()),
        }
    }
}

impl From<std::io::Error> for ReadFailure {
    fn from(error: std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::NotFound => Self::Gone,
            std::io::ErrorKind::PermissionDenied => Self::Denied,
            // ESRCH: the process died while its file was being read.
            _ if error.raw_os_error() == Some(libc::ESRCH) => Self::Gone,
            _ => Self::Malformed(error.to_string()),
        }
    }
}

/// Parses the text of `/proc/PID/stat` into a record without cmdline, uid or
/// signal masks; a comm that is not UTF-8 gets U+FFFD.
pub fn parse_stat(text: &[u8], units: Units) -> Result<ProcessRecord, ReadFailure> {
    let stat = Stat::from_read(text)?;
    Ok(ProcessRecord {
        pid: stat.pid,
        ppid: stat.ppid,
        pgid: stat.pgrp,
        sid: stat.session,
        tpgid: stat.tpgid,
        state: ProcessState::new(stat.state),
        comm: stat.comm,
        cmdline: Vec::new(),
        threads: u32::try_from(stat.num_threads).unwrap_or(0),
        uid: None,
        start_time_ms: units.ticks_to_ms(stat.starttime),
        rss_kib: stat.rss.saturating_mul(units.page_kib),
        cpu_ms: units.ticks_to_ms(stat.utime.saturating_add(stat.stime)),
        signals: None,
    })
}

/// What `/proc/PID/status` (or `/proc/PID/task/TID/status`) adds to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusFields {
    /// Real user ID.
    pub uid: u32,
    /// The five signal masks of the thread the file describes.
    pub signals: SignalMasks,
}

/// The mask lines of a status file, in the order of [`SignalMasks`]'s fields.
const MASK_KEYS: [&[u8]; 5] = [b"SigPnd", b"ShdPnd", b"SigBlk", b"SigIgn", b"SigCgt"];

/// Parses the text of a status file, as bytes (FACTS 4g): only the lines it
/// needs are read, so a Name line holding any byte is no error.
pub fn parse_status(text: &[u8]) -> Result<StatusFields, ReadFailure> {
    let mut uid = None;
    let mut masks = [None; 5];
    for line in text.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let key = &line[..colon];
        let value = std::str::from_utf8(&line[colon + 1..]).unwrap_or_default();
        if key == b"Uid" {
            // Real, effective, saved and filesystem uid: the real one first.
            uid = value.split_whitespace().next().and_then(|v| v.parse().ok());
        } else if let Some(slot) = MASK_KEYS.iter().position(|k| *k == key) {
            masks[slot] = u64::from_str_radix(value.trim(), 16)
                .ok()
                .map(SigSet::from_bits);
        }
        // The masks come after Uid; the lines after SigCgt are not needed.
        if uid.is_some() && masks.iter().all(Option::is_some) {
            break;
        }
    }
    let [
        Some(pending),
        Some(shared_pending),
        Some(blocked),
        Some(ignored),
        Some(caught),
    ] = masks
    else {
        return Err(ReadFailure::Malformed("status lacks a signal mask".into()));
    };
    Ok(StatusFields {
        uid: uid.ok_or_else(|| ReadFailure::Malformed("status lacks its Uid line".into()))?,
        signals: SignalMasks {
            pending,
            shared_pending,
            blocked,
            ignored,
            caught,
        },
    })
}

/// Splits the NUL-separated text of `/proc/PID/cmdline` into arguments.
pub fn parse_cmdline(text: &[u8]) -> Vec<String> {
    let text = text.strip_suffix(b"\0").unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    text.split(|&b| b == 0)
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

impl ProcessRecord {
    /// Adds what the status file told.
    pub fn apply_status(&mut self, fields: StatusFields) {
        self.uid = Some(fields.uid);
        self.signals = Some(fields.signals);
    }

    /// Keeps the status fields of an earlier record of the same process
    /// (a fresh stat read without its status).
    pub fn keep_status_of(&mut self, earlier: &ProcessRecord) {
        self.uid = earlier.uid;
        self.signals = earlier.signals;
    }

    /// Whether this is the stat of a process already reaped whose entry
    /// is not removed yet: the kernel then reports state X, or ppid 0 and
    /// group and session -1 once its signal data is gone (do_task_stat).
    /// Such a read is no sighting of a live process.
    pub fn is_reaped(&self) -> bool {
        matches!(self.state.letter(), 'X' | 'x') || self.pgid < 0 || self.sid < 0
    }

    /// The command line as one string, or `[comm]` when there is none (kernel
    /// threads, zombies), as `ps` shows them.
    pub fn command(&self) -> String {
        if self.cmdline.is_empty() {
            format!("[{}]", self.comm)
        } else {
            self.cmdline.join(" ")
        }
    }

    /// True once every thread has exited: a zombie. A Z main thread whose
    /// other threads still run is a live process (FACTS 4f); its stat still
    /// counts them.
    pub fn has_exited(&self) -> bool {
        self.state.is_zombie() && self.threads <= 1
    }

    /// True for a session leader: its pid is its session's ID.
    pub fn is_session_leader(&self) -> bool {
        self.pid == self.sid
    }
}

#[cfg(test)]
impl ProcessRecord {
    /// A record for tests: `state`, one thread, comm `pPID`, no command line.
    pub(crate) fn sample(pid: i32, ppid: i32, pgid: i32, sid: i32, state: char) -> Self {
        Self {
            pid,
            ppid,
            pgid,
            sid,
            tpgid: -1,
            state: ProcessState::new(state),
            comm: format!("p{pid}"),
            cmdline: Vec::new(),
            threads: 1,
            uid: None,
            start_time_ms: 0,
            rss_kib: 0,
            cpu_ms: 0,
            signals: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::sigset::Signal;

    const UNITS: Units = Units {
        ticks_per_second: 100,
        page_kib: 4,
    };

    fn stat_line(comm: &str) -> Vec<u8> {
        format!(
            "4242 ({comm}) T 4100 4242 4000 34816 4100 1077936128 120 0 0 0 \
             150 50 0 0 20 0 3 0 123456 10000000 512 18446744073709551615 \
             1 1 0 0 0 0 16384 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
        )
        .into_bytes()
    }

    #[test]
    fn stat_fields_and_units() {
        let record = parse_stat(&stat_line("worker"), UNITS).expect("parses");
        assert_eq!(
            (
                record.pid,
                record.ppid,
                record.pgid,
                record.sid,
                record.tpgid
            ),
            (4242, 4100, 4242, 4000, 4100)
        );
        assert_eq!(record.state.letter(), 'T');
        assert_eq!(record.comm, "worker");
        assert_eq!(record.threads, 3);
        assert_eq!(record.start_time_ms, 1_234_560);
        assert_eq!(record.cpu_ms, 2000);
        assert_eq!(record.rss_kib, 2048);
        assert_eq!(record.uid, None);
        assert_eq!(record.signals, None);
    }

    #[test]
    fn comm_with_spaces_parentheses_and_newline() {
        for comm in ["a b", "x) (y", "((", "))", "new\nline", ") S 1 2 3"] {
            let record = parse_stat(&stat_line(comm), UNITS).expect("parses");
            assert_eq!(record.comm, comm);
            assert_eq!(record.ppid, 4100, "comm {comm:?}");
            assert_eq!(record.state.letter(), 'T', "comm {comm:?}");
        }
    }

    #[test]
    fn truncated_stat_is_malformed_not_a_panic() {
        assert!(matches!(
            parse_stat(b"12 (x) S 1", UNITS),
            Err(ReadFailure::Malformed(_))
        ));
        assert!(matches!(
            parse_stat(b"", UNITS),
            Err(ReadFailure::Malformed(_))
        ));
    }

    const STATUS: &str = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\n\
        Tgid:\t77\nNgid:\t0\nPid:\t77\nPPid:\t1\nTracerPid:\t0\n\
        Uid:\t1000\t1001\t1002\t1003\nGid:\t100\t100\t100\t100\nFDSize:\t64\n\
        Groups:\t100 \nNStgid:\t77\nNSpid:\t77\nNSpgid:\t77\nNSsid:\t1\n\
        Kthread:\t0\nThreads:\t1\nSigQ:\t1/95043\n\
        SigPnd:\t0000000000000200\nShdPnd:\t0000000000004000\n\
        SigBlk:\t0000000000004000\nSigIgn:\t8000000000001000\n\
        SigCgt:\t0000000000000440\nCapInh:\t0000000000000000\n\
        CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n\
        CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n\
        NoNewPrivs:\t0\nSeccomp:\t0\nSpeculation_Store_Bypass:\tvulnerable\n\
        Cpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t1\n\
        Mems_allowed_list:\t0\nvoluntary_ctxt_switches:\t1\n\
        nonvoluntary_ctxt_switches:\t0\n";

    #[test]
    fn status_masks_and_real_uid() {
        let fields = parse_status(STATUS.as_bytes()).expect("parses");
        assert_eq!(fields.uid, 1000);
        let masks = fields.signals;
        assert_eq!(masks.pending.iter().collect::<Vec<_>>(), [Signal::USR1]);
        assert_eq!(
            masks.shared_pending.iter().collect::<Vec<_>>(),
            [Signal::TERM]
        );
        assert_eq!(masks.blocked.iter().collect::<Vec<_>>(), [Signal::TERM]);
        assert_eq!(
            masks.ignored.names(),
            ["SIGPIPE", "SIGRTMAX"],
            "bit 63 is signal 64"
        );
        assert_eq!(masks.caught.names(), ["SIGBUS", "SIGSEGV"]);
    }

    #[test]
    fn a_name_that_is_not_utf8_does_not_hide_uid_and_masks() {
        let mut text = b"Name:\tbad\xff\x1bname\n".to_vec();
        text.extend_from_slice(STATUS.split_once('\n').expect("a Name line").1.as_bytes());
        let fields = parse_status(&text).expect("parses");
        assert_eq!(fields, parse_status(STATUS.as_bytes()).expect("parses"));
        assert_eq!(fields.uid, 1000);

        let mut stat = stat_line("x");
        stat.splice(6..7, b"bad\xffname".iter().copied());
        let record = parse_stat(&stat, UNITS).expect("parses");
        assert_eq!(record.comm, "bad\u{fffd}name");
        assert_eq!(record.ppid, 4100);
    }

    #[test]
    fn status_without_masks_is_malformed() {
        assert!(matches!(
            parse_status(b"Name:\tx\n"),
            Err(ReadFailure::Malformed(_))
        ));
    }

    #[test]
    fn cmdline_splits_on_nul() {
        assert_eq!(parse_cmdline(b"sleep\x0030\x00"), ["sleep", "30"]);
        assert_eq!(parse_cmdline(b"a b\x00\x00c\x00"), ["a b", "", "c"]);
        assert_eq!(parse_cmdline(b"no-trailing-nul"), ["no-trailing-nul"]);
        assert!(parse_cmdline(b"").is_empty());
    }

    #[test]
    fn command_falls_back_to_bracketed_comm() {
        let mut record = parse_stat(&stat_line("kworker/0:1"), UNITS).expect("parses");
        assert_eq!(record.command(), "[kworker/0:1]");
        record.cmdline = vec!["sleep".into(), "30".into()];
        assert_eq!(record.command(), "sleep 30");
    }
}
