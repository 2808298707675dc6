//! The status channel: pool processes report phase changes and wait
//! statuses to the monitor as fixed-size records on one pipe. Writes never
//! block: when the monitor does not read, a record is dropped and counted.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};

use crate::sys::monotonic_ms;
use crate::watch::vocabulary::{Phase, Role};

impl Role {
    fn code(self) -> (u8, u16) {
        match self {
            Self::Keeper => (0, 0),
            Self::Master => (1, 0),
            Self::Worker(n) => (2, n),
            Self::Helper => (3, 0),
            Self::Grandchild => (4, 0),
        }
    }

    fn from_code(code: u8, index: u16) -> Option<Self> {
        Some(match code {
            0 => Self::Keeper,
            1 => Self::Master,
            2 => Self::Worker(index),
            3 => Self::Helper,
            4 => Self::Grandchild,
            _ => return None,
        })
    }
}

impl Phase {
    fn code(self) -> (u8, u32) {
        match self {
            Self::Idle => (0, 0),
            Self::Busy(task) => (1, task),
            Self::Draining(task) => (2, task),
            Self::CleaningUp => (3, 0),
            Self::Exiting => (4, 0),
        }
    }

    fn from_code(code: u8, task: u32) -> Option<Self> {
        Some(match code {
            0 => Self::Idle,
            1 => Self::Busy(task),
            2 => Self::Draining(task),
            3 => Self::CleaningUp,
            4 => Self::Exiting,
            _ => return None,
        })
    }
}

/// One record on the channel, stamped with CLOCK_MONOTONIC milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// Process `pid` in `role` entered `phase`.
    Phase {
        /// Who.
        role: Role,
        /// Its pid.
        pid: i32,
        /// What it does now.
        phase: Phase,
        /// When.
        at_ms: u64,
    },
    /// The keeper started `leader`, the process the run is about (the
    /// pool's master or the command), in a process group of its own.
    Started {
        /// Its pid, which is also its process group's ID.
        leader: i32,
        /// When.
        at_ms: u64,
    },
    /// `reaper` collected `child`'s wait status.
    Reaped {
        /// Who waited (the master, or the keeper).
        reaper: Role,
        /// The pid reaped.
        child: i32,
        /// Its raw wait status.
        status: i32,
        /// When.
        at_ms: u64,
    },
}

/// Size of one record: below PIPE_BUF, so every write is atomic.
pub const RECORD_LEN: usize = 32;

impl Report {
    /// A phase report of this process, stamped now.
    pub fn phase(role: Role, phase: Phase) -> Self {
        Self::Phase {
            role,
            // The pid sigtree sees, which a pid namespace can make differ.
            pid: crate::sys::process::pid_in_proc(),
            phase,
            at_ms: monotonic_ms(),
        }
    }

    /// A reaping report, stamped now.
    pub fn reaped(reaper: Role, child: i32, status: i32) -> Self {
        Self::Reaped {
            reaper,
            child,
            status,
            at_ms: monotonic_ms(),
        }
    }

    /// The record's bytes.
    pub fn encode(self) -> [u8; RECORD_LEN] {
        let mut bytes = [0u8; RECORD_LEN];
        let (kind, role, pid, number, status, at_ms, phase_code) = match self {
            Self::Phase {
                role,
                pid,
                phase,
                at_ms,
            } => {
                let (code, task) = phase.code();
                (1u8, role, pid, task, 0, at_ms, code)
            }
            Self::Reaped {
                reaper,
                child,
                status,
                at_ms,
            } => (2u8, reaper, child, 0, status, at_ms, 0),
            Self::Started { leader, at_ms } => (3u8, Role::Keeper, leader, 0, 0, at_ms, 0),
        };
        let (role_code, index) = role.code();
        bytes[0] = kind;
        bytes[1] = phase_code;
        bytes[2..4].copy_from_slice(&index.to_le_bytes());
        bytes[4] = role_code;
        bytes[8..12].copy_from_slice(&pid.to_le_bytes());
        bytes[12..16].copy_from_slice(&number.to_le_bytes());
        bytes[16..20].copy_from_slice(&status.to_le_bytes());
        bytes[24..32].copy_from_slice(&at_ms.to_le_bytes());
        bytes
    }

    /// Decodes a record; `None` for bytes no sigtree wrote.
    pub fn decode(bytes: &[u8; RECORD_LEN]) -> Option<Self> {
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let index = u16::from_le_bytes([bytes[2], bytes[3]]);
        let role = Role::from_code(bytes[4], index)?;
        let pid = u32_at(8) as i32;
        let mut at = [0u8; 8];
        at.copy_from_slice(&bytes[24..32]);
        let at_ms = u64::from_le_bytes(at);
        match bytes[0] {
            1 => Some(Self::Phase {
                role,
                pid,
                phase: Phase::from_code(bytes[1], u32_at(12))?,
                at_ms,
            }),
            3 => Some(Self::Started { leader: pid, at_ms }),
            2 => Some(Self::Reaped {
                reaper: role,
                child: pid,
                status: u32_at(16) as i32,
                at_ms,
            }),
            _ => None,
        }
    }
}

/// The writing end, as every pool process holds it.
#[derive(Debug)]
pub struct Reporter {
    fd: OwnedFd,
}

impl Reporter {
    /// Takes over the inherited write end `fd` (already non-blocking; left
    /// inheritable for this process's children).
    pub fn inherit(fd: RawFd) -> io::Result<Self> {
        Ok(Self {
            fd: crate::sys::fds::take_inherited(fd)?,
        })
    }

    /// Wraps a write end this process created.
    pub fn new(fd: OwnedFd) -> Self {
        Self { fd }
    }

    /// Writes one record; never blocks. Returns false when it was dropped
    /// (pipe full: the monitor is not reading).
    pub fn send(&self, report: Report) -> bool {
        matches!(
            rustix::io::write(&self.fd, &report.encode()),
            Ok(RECORD_LEN)
        )
    }
}

impl AsFd for Reporter {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Splits bytes read from the channel into records, keeping a partial
/// record for the next read.
#[derive(Debug, Default)]
pub struct ReportDecoder {
    pending: Vec<u8>,
}

impl ReportDecoder {
    /// Adds `bytes` and returns every complete record.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Report> {
        self.pending.extend_from_slice(bytes);
        let complete = self.pending.len() / RECORD_LEN * RECORD_LEN;
        let reports = self.pending[..complete]
            .chunks_exact(RECORD_LEN)
            .filter_map(|chunk| {
                <&[u8; RECORD_LEN]>::try_from(chunk)
                    .ok()
                    .and_then(Report::decode)
            })
            .collect();
        self.pending.drain(..complete);
        reports
    }
}

/// Reads everything available on a non-blocking read end.
pub fn read_available(fd: BorrowedFd<'_>, decoder: &mut ReportDecoder) -> io::Result<Vec<Report>> {
    let mut reports = Vec::new();
    let mut buf = [0u8; RECORD_LEN * 64];
    loop {
        match rustix::io::read(fd, &mut buf) {
            Ok(0) => return Ok(reports),
            Ok(n) => reports.extend(decoder.feed(&buf[..n])),
            Err(rustix::io::Errno::AGAIN) => return Ok(reports),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let reports = [
            Report::Phase {
                role: Role::Worker(17),
                pid: 4242,
                phase: Phase::Draining(99),
                at_ms: 123_456_789,
            },
            Report::Reaped {
                reaper: Role::Master,
                child: 4243,
                status: 15,
                at_ms: 5,
            },
            Report::Phase {
                role: Role::Grandchild,
                pid: 1,
                phase: Phase::Exiting,
                at_ms: u64::MAX,
            },
            Report::Started {
                leader: 77,
                at_ms: 9,
            },
        ];
        let mut decoder = ReportDecoder::default();
        let bytes: Vec<u8> = reports.iter().flat_map(|r| r.encode()).collect();
        let (first, rest) = bytes.split_at(45);
        let mut decoded = decoder.feed(first);
        assert_eq!(decoded.len(), 1, "a partial record waits for the rest");
        decoded.extend(decoder.feed(rest));
        assert_eq!(decoded, reports);
    }

    #[test]
    fn a_full_pipe_drops_instead_of_blocking() {
        let (read, write) = crate::sys::fds::pipe().expect("pipe");
        crate::sys::fds::set_nonblocking(write.as_fd()).expect("nonblocking");
        let reporter = Reporter::new(write);
        let sent = (0..100_000)
            .map(|_| reporter.send(Report::phase(Role::Master, Phase::Idle)))
            .take_while(|&ok| ok)
            .count();
        assert!(
            sent > 0 && sent < 100_000,
            "sent {sent} before the pipe filled"
        );
        assert!(!reporter.send(Report::phase(Role::Master, Phase::Idle)));
        drop(read);
    }
}
