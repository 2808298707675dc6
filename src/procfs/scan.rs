//! Reading `/proc`: the whole-system snapshot, single processes, threads, and
//! the descendants walk.
//!
//! The pieces are separate so that a later incremental scanner can reuse them:
//! [`list_pids`] lists, [`Reader`] reads one process's files into a reused
//! buffer, [`children_of`] and [`descendants`] walk from a root.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;

use rustix::fs::{Mode, OFlags};

use super::record::{self, ProcessRecord, ReadFailure, StatusFields};
use crate::sys::{Units, boottime_ms};

/// Which files a snapshot reads besides `stat`, which is always read.
/// Status files are read afterwards, only for the pids that need them
/// ([`Reader::fill_status`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanOptions {
    /// Read `/proc/PID/cmdline` for every process.
    pub cmdline: bool,
}

/// Every process visible at one moment, by pid.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The records, ordered by pid.
    pub processes: BTreeMap<i32, ProcessRecord>,
    /// Pids that were listed but whose stat could not be read for lack of
    /// permission (`hidepid=1`).
    pub denied: usize,
    /// When the scan started, in milliseconds since boot.
    pub taken_at_ms: u64,
}

impl Snapshot {
    /// The record of `pid`, if it was seen.
    pub fn get(&self, pid: i32) -> Option<&ProcessRecord> {
        self.processes.get(&pid)
    }
}

/// Lists the pids in `/proc`, in the order the kernel gives them (ascending).
pub fn list_pids() -> std::io::Result<Vec<i32>> {
    let mut pids = Vec::with_capacity(512);
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        if let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
            pids.push(pid);
        }
    }
    Ok(pids)
}

/// Reads the files of single processes, reusing one buffer and one path
/// string across calls, each opened relative to `/proc`, which it holds
/// open: no walk from `/` per file.
pub struct Reader {
    units: Units,
    buf: Vec<u8>,
    path: String,
    /// `/proc`, opened once; `None` when it could not be (each file is then
    /// opened by its whole path).
    proc_dir: Option<OwnedFd>,
}

impl Default for Reader {
    fn default() -> Self {
        Self::new(Units::current())
    }
}

impl Reader {
    /// A reader converting times and sizes with `units`.
    pub fn new(units: Units) -> Self {
        let proc_dir = rustix::fs::open(
            "/proc",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok();
        Self {
            units,
            buf: Vec::with_capacity(4096),
            path: String::with_capacity(64),
            proc_dir,
        }
    }

    /// Reads `/proc/<pid>/<file>` (or any path below `/proc`) into the buffer.
    pub(super) fn read(&mut self, pid: i32, file: &str) -> Result<&[u8], ReadFailure> {
        use std::fmt::Write;
        self.path.clear();
        let mut handle = match &self.proc_dir {
            Some(dir) => {
                let _ = write!(self.path, "{pid}/{file}");
                let flags = OFlags::RDONLY | OFlags::CLOEXEC;
                let opened = rustix::fs::openat(dir, self.path.as_str(), flags, Mode::empty());
                File::from(opened.map_err(std::io::Error::from)?)
            }
            None => {
                let _ = write!(self.path, "/proc/{pid}/{file}");
                File::open(&self.path)?
            }
        };
        read_whole(&mut handle, &mut self.buf)?;
        Ok(&self.buf)
    }

    /// The stat record of `pid`, without cmdline or status fields.
    pub fn stat(&mut self, pid: i32) -> Result<ProcessRecord, ReadFailure> {
        let units = self.units;
        record::parse_stat(self.read(pid, "stat")?, units)
    }

    /// The arguments of `pid` (empty for kernel threads and zombies).
    pub fn cmdline(&mut self, pid: i32) -> Result<Vec<String>, ReadFailure> {
        Ok(record::parse_cmdline(self.read(pid, "cmdline")?))
    }

    /// The uid and main-thread signal masks of `pid`.
    pub fn status(&mut self, pid: i32) -> Result<StatusFields, ReadFailure> {
        record::parse_status(self.read(pid, "status")?)
    }

    /// The kernel function `pid` sleeps in; empty or "0" when it runs.
    pub fn wchan(&mut self, pid: i32) -> Result<String, ReadFailure> {
        Ok(String::from_utf8_lossy(self.read(pid, "wchan")?).into_owned())
    }

    /// A full record of `pid`: stat, cmdline and status.
    pub fn process(&mut self, pid: i32) -> Result<ProcessRecord, ReadFailure> {
        let mut record = self.stat(pid)?;
        record.cmdline = self.cmdline(pid)?;
        let status = self.status(pid)?;
        record.apply_status(status);
        Ok(record)
    }

    /// Reads every process in `/proc` as `options` asks. Processes that end
    /// during the scan are left out; unreadable ones are counted.
    pub fn snapshot(&mut self, options: ScanOptions) -> std::io::Result<Snapshot> {
        let mut snapshot = Snapshot {
            taken_at_ms: boottime_ms(),
            ..Snapshot::default()
        };
        for pid in list_pids()? {
            match self.stat_with(pid, options) {
                Ok(record) => {
                    snapshot.processes.insert(pid, record);
                }
                Err(ReadFailure::Denied) => snapshot.denied += 1,
                Err(ReadFailure::Gone | ReadFailure::Malformed(_)) => {}
            }
        }
        Ok(snapshot)
    }

    /// Stat plus whatever else `options` asks for `pid`. A cmdline that
    /// cannot be read stays empty rather than dropping the process: it was
    /// alive when its stat was read.
    pub fn stat_with(
        &mut self,
        pid: i32,
        options: ScanOptions,
    ) -> Result<ProcessRecord, ReadFailure> {
        let mut record = self.stat(pid)?;
        if options.cmdline {
            record.cmdline = self.cmdline(pid).unwrap_or_default();
        }
        Ok(record)
    }

    /// Reads the status of each of `pids` into its record in `snapshot`.
    /// A process that ended since the snapshot keeps its status fields empty.
    pub fn fill_status(&mut self, snapshot: &mut Snapshot, pids: impl IntoIterator<Item = i32>) {
        for pid in pids {
            if let Some(record) = snapshot.processes.get_mut(&pid)
                && let Ok(status) = self.status(pid)
            {
                record.apply_status(status);
            }
        }
    }
}

/// Reads a whole `/proc` file. Files there are generated at open or read
/// time; one read with a large enough buffer returns all of a small file, so
/// the loop usually runs once plus the read that returns 0.
fn read_whole(file: &mut File, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    if buf.capacity() < 4096 {
        buf.reserve(4096);
    }
    loop {
        let len = buf.len();
        let spare = buf.capacity() - len;
        buf.resize(len + spare, 0);
        let read = file.read(&mut buf[len..])?;
        buf.truncate(len + read);
        if read == 0 || read < spare {
            // A short read from a seq_file means the record is complete.
            return Ok(());
        }
        buf.reserve(buf.capacity());
    }
}

/// The thread ids of `pid`, from `/proc/PID/task`.
pub(super) fn task_ids(pid: i32) -> Result<Vec<i32>, ReadFailure> {
    let mut tids = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        if let Some(tid) = entry?.file_name().to_str().and_then(|n| n.parse().ok()) {
            tids.push(tid);
        }
    }
    Ok(tids)
}

/// The children of `pid`, from `/proc/PID/task/TID/children` of every thread
/// (each thread has its own children: the ones it created).
pub fn children_of(pid: i32) -> Result<Vec<i32>, ReadFailure> {
    let mut children = Vec::new();
    for tid in task_ids(pid)? {
        match std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/children")) {
            Ok(text) => children.extend(
                text.split_ascii_whitespace()
                    .filter_map(|c| c.parse::<i32>().ok()),
            ),
            Err(e) => match ReadFailure::from(e) {
                ReadFailure::Gone => {}
                other => return Err(other),
            },
        }
    }
    Ok(children)
}

/// Every descendant of `root` (not `root` itself), breadth first, found by
/// walking the children files rather than scanning all of `/proc`. Processes
/// that end during the walk are skipped.
pub fn descendants(root: i32) -> Result<Vec<i32>, ReadFailure> {
    let mut found = children_of(root)?;
    let mut next = 0;
    while next < found.len() {
        let pid = found[next];
        next += 1;
        match children_of(pid) {
            Ok(children) => found.extend(children),
            Err(ReadFailure::Gone) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(found)
}

impl Reader {
    /// `pid` and its ancestors up to init, nearest first; stops where a
    /// process cannot be read.
    pub fn ancestry(&mut self, pid: i32) -> Vec<ProcessRecord> {
        let mut chain: Vec<ProcessRecord> = Vec::new();
        let mut next = pid;
        while next > 0 && !chain.iter().any(|r| r.pid == next) {
            let Ok(record) = self.stat(next) else { break };
            next = record.ppid;
            chain.push(record);
        }
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_of_a_process_without_children_are_none_and_gone_is_gone() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep");
        let pid = child.id() as i32;
        assert_eq!(descendants(pid), Ok(Vec::new()));
        assert!(
            children_of(std::process::id() as i32)
                .expect("own children")
                .contains(&pid)
        );
        child.kill().expect("kill");
        child.wait().expect("reap");
        assert_eq!(
            Reader::default().stat(pid).map(|r| r.pid),
            Err(ReadFailure::Gone)
        );
        assert_eq!(descendants(pid), Err(ReadFailure::Gone));
    }
}
