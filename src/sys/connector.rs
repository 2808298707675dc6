//! The proc connector (linux/cn_proc.h): a netlink socket on which the
//! kernel reports every fork, exec, comm change, setsid and exit of every
//! process (FACTS 10c). Open to any user on current kernels; silent inside
//! a non-initial pid or net namespace; lossy when its socket buffer fills
//! (a read then fails with ENOBUFS, counted here).
//!
//! The socket calls are rustix's; the messages are parsed here from bytes.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{
    AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, bind, recv, sendto, socket_with,
    sockopt,
};

/// The connector's multicast group and id for process events.
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
/// `enum proc_cn_mcast_op`.
const PROC_CN_MCAST_LISTEN: u32 = 1;
const PROC_CN_MCAST_IGNORE: u32 = 2;
/// `NLMSG_DONE`: the type every connector message carries.
const NLMSG_DONE: u16 = 3;
/// `sizeof(struct nlmsghdr)`, `sizeof(struct cn_msg)`.
const NLMSG_HEADER: usize = 16;
const CN_MSG_HEADER: usize = 20;
/// `struct proc_event` before its union: what, cpu, timestamp_ns.
const PROC_EVENT_HEADER: usize = 16;

/// `enum proc_cn_event` values sigtree reads.
const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_SID: u32 = 0x80;
const PROC_EVENT_COMM: u32 = 0x200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// How large a receive buffer sigtree asks for: a burst of thousands of
/// forks fits while the reader is busy.
pub const RECEIVE_BUFFER: usize = 8 << 20;

/// One event of the proc connector. `pid` is a thread's id and `tgid` its
/// process's; a process's own events have `pid == tgid`. `at_ns` is the
/// kernel's CLOCK_MONOTONIC time of the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcEvent {
    /// `parent_tgid` created a task; a new process when `child_pid ==
    /// child_tgid`, else a thread.
    Fork {
        /// When.
        at_ns: u64,
        /// The creating process.
        parent_tgid: i32,
        /// The new task.
        child_pid: i32,
        /// Its process.
        child_tgid: i32,
    },
    /// A process called execve.
    Exec {
        /// When.
        at_ns: u64,
        /// The thread (the exec makes it the main one).
        pid: i32,
        /// Its process.
        tgid: i32,
    },
    /// A task renamed itself (prctl PR_SET_NAME, or a write to its own
    /// /proc/PID/comm); execve changes the name without this event.
    Comm {
        /// When.
        at_ns: u64,
        /// The thread.
        pid: i32,
        /// Its process.
        tgid: i32,
        /// The new name (at most 15 bytes, as the kernel keeps it).
        comm: Vec<u8>,
    },
    /// A process called setsid.
    Sid {
        /// When.
        at_ns: u64,
        /// The thread.
        pid: i32,
        /// Its process.
        tgid: i32,
    },
    /// A task exited; `status` is its wait status (exit code or signal).
    Exit {
        /// When.
        at_ns: u64,
        /// The thread.
        pid: i32,
        /// Its process.
        tgid: i32,
        /// The wait status.
        status: i32,
        /// The parent process notified (0 when the kernel does not say).
        parent_tgid: i32,
    },
}

impl ProcEvent {
    /// When the kernel made the event (CLOCK_MONOTONIC nanoseconds).
    pub fn at_ns(&self) -> u64 {
        match *self {
            Self::Fork { at_ns, .. }
            | Self::Exec { at_ns, .. }
            | Self::Comm { at_ns, .. }
            | Self::Sid { at_ns, .. }
            | Self::Exit { at_ns, .. } => at_ns,
        }
    }
}

/// A listening proc connector socket.
#[derive(Debug)]
pub struct Connector {
    socket: OwnedFd,
    /// Reads that failed with ENOBUFS: events were lost.
    losses: u64,
}

impl Connector {
    /// Opens the socket (non-blocking), raises its receive buffer to
    /// [`RECEIVE_BUFFER`] (beyond rmem_max where the user may), and asks
    /// for every process event. Fails where the kernel will not tell (no
    /// connector, a pid or net namespace, an old kernel without privilege).
    pub fn open() -> io::Result<Self> {
        let socket = socket_with(
            AddressFamily::NETLINK,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
            Some(netlink::CONNECTOR),
        )?;
        if sockopt::set_socket_recv_buffer_size_force(&socket, RECEIVE_BUFFER).is_err() {
            // Not privileged: as much as net.core.rmem_max allows.
            sockopt::set_socket_recv_buffer_size(&socket, RECEIVE_BUFFER)?;
        }
        bind(&socket, &SocketAddrNetlink::new(0, CN_IDX_PROC))?;
        let connector = Self { socket, losses: 0 };
        connector.control(PROC_CN_MCAST_LISTEN)?;
        Ok(connector)
    }

    /// Sends a multicast control operation to the kernel.
    fn control(&self, op: u32) -> io::Result<()> {
        let message = control_message(op, std::process::id());
        // To the kernel itself (port 0, no group): sending to a multicast
        // group needs privilege.
        sendto(
            &self.socket,
            &message,
            SendFlags::empty(),
            &SocketAddrNetlink::new(0, 0),
        )?;
        Ok(())
    }

    /// Reads every event available now into `events`, without blocking.
    /// An overflow (ENOBUFS) is counted and reading goes on: true when one
    /// happened during this call.
    pub fn read_available(&mut self, events: &mut Vec<ProcEvent>) -> io::Result<bool> {
        let mut buffer = [0u8; 8192];
        let mut lost = false;
        loop {
            match recv(&self.socket, &mut buffer, RecvFlags::empty()) {
                Ok((n, _)) => parse(&buffer[..n], events),
                Err(rustix::io::Errno::AGAIN) => return Ok(lost),
                Err(rustix::io::Errno::INTR) => {}
                Err(rustix::io::Errno::NOBUFS) => {
                    self.losses += 1;
                    lost = true;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// How many times events were lost since the socket was opened.
    pub fn losses(&self) -> u64 {
        self.losses
    }
}

impl AsFd for Connector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        // The kernel counts listeners: say this one stops.
        let _ = self.control(PROC_CN_MCAST_IGNORE);
    }
}

/// A netlink message carrying a connector message whose payload is `op`.
fn control_message(op: u32, port: u32) -> Vec<u8> {
    let payload = op.to_ne_bytes();
    let length = NLMSG_HEADER + CN_MSG_HEADER + payload.len();
    let mut message = Vec::with_capacity(length);
    message.extend_from_slice(&(length as u32).to_ne_bytes());
    message.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
    message.extend_from_slice(&0u16.to_ne_bytes()); // flags
    message.extend_from_slice(&0u32.to_ne_bytes()); // seq
    message.extend_from_slice(&port.to_ne_bytes());
    message.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    message.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    message.extend_from_slice(&0u32.to_ne_bytes()); // seq
    message.extend_from_slice(&0u32.to_ne_bytes()); // ack
    message.extend_from_slice(&(payload.len() as u16).to_ne_bytes());
    message.extend_from_slice(&0u16.to_ne_bytes()); // flags
    message.extend_from_slice(&payload);
    message
}

/// A native-endian u32 at `at`, if the bytes are there.
fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let slice = bytes.get(at..at + 4)?;
    Some(u32::from_ne_bytes(slice.try_into().ok()?))
}

/// A native-endian i32 at `at`.
fn i32_at(bytes: &[u8], at: usize) -> Option<i32> {
    u32_at(bytes, at).map(|value| value as i32)
}

/// Parses one datagram (one or more netlink messages) and appends the
/// process events sigtree reads; anything else is skipped.
pub fn parse(datagram: &[u8], events: &mut Vec<ProcEvent>) {
    let mut rest = datagram;
    while let Some(length) = u32_at(rest, 0) {
        let length = length as usize;
        if length < NLMSG_HEADER || length > rest.len() {
            return;
        }
        let message = &rest[NLMSG_HEADER..length];
        if u32_at(message, 0) == Some(CN_IDX_PROC)
            && u32_at(message, 4) == Some(CN_VAL_PROC)
            && let Some(event) = message.get(CN_MSG_HEADER..).and_then(parse_event)
        {
            events.push(event);
        }
        // Messages are aligned to 4 bytes.
        let next = (length + 3) & !3;
        rest = rest.get(next..).unwrap_or_default();
    }
}

/// One `struct proc_event`.
fn parse_event(event: &[u8]) -> Option<ProcEvent> {
    let what = u32_at(event, 0)?;
    let at_ns = u64::from_ne_bytes(event.get(8..16)?.try_into().ok()?);
    let data = event.get(PROC_EVENT_HEADER..)?;
    let field = |n: usize| i32_at(data, n * 4);
    Some(match what {
        PROC_EVENT_FORK => ProcEvent::Fork {
            at_ns,
            parent_tgid: field(1)?,
            child_pid: field(2)?,
            child_tgid: field(3)?,
        },
        PROC_EVENT_EXEC => ProcEvent::Exec {
            at_ns,
            pid: field(0)?,
            tgid: field(1)?,
        },
        PROC_EVENT_SID => ProcEvent::Sid {
            at_ns,
            pid: field(0)?,
            tgid: field(1)?,
        },
        PROC_EVENT_COMM => {
            let raw = data.get(8..24)?;
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            ProcEvent::Comm {
                at_ns,
                pid: field(0)?,
                tgid: field(1)?,
                comm: raw[..end].to_vec(),
            }
        }
        PROC_EVENT_EXIT => ProcEvent::Exit {
            at_ns,
            pid: field(0)?,
            tgid: field(1)?,
            status: field(2)?,
            // exit_signal at 3 is only the signal the parent is notified
            // with (SIGCHLD), never how the process ended.
            parent_tgid: field(5).unwrap_or(0),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A datagram as the kernel sends it: netlink header, cn_msg header,
    /// then `what`, cpu, the timestamp and the union's `fields`.
    fn datagram(what: u32, at_ns: u64, fields: &[u8]) -> Vec<u8> {
        let mut event = Vec::new();
        event.extend_from_slice(&what.to_ne_bytes());
        event.extend_from_slice(&1u32.to_ne_bytes());
        event.extend_from_slice(&at_ns.to_ne_bytes());
        event.extend_from_slice(fields);
        let mut cn = Vec::new();
        cn.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        cn.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        cn.extend_from_slice(&[0; 8]);
        cn.extend_from_slice(&(event.len() as u16).to_ne_bytes());
        cn.extend_from_slice(&[0; 2]);
        cn.extend_from_slice(&event);
        let mut message = Vec::new();
        message.extend_from_slice(&((NLMSG_HEADER + cn.len()) as u32).to_ne_bytes());
        message.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        message.extend_from_slice(&[0; 10]);
        message.extend_from_slice(&cn);
        message
    }

    fn ints(values: &[i32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_ne_bytes()).collect()
    }

    fn parsed(bytes: &[u8]) -> Vec<ProcEvent> {
        let mut events = Vec::new();
        parse(bytes, &mut events);
        events
    }

    #[test]
    fn fork_exec_sid_and_exit_decode() {
        let fork = datagram(PROC_EVENT_FORK, 7_000_000_123, &ints(&[10, 10, 11, 11]));
        assert_eq!(
            parsed(&fork),
            [ProcEvent::Fork {
                at_ns: 7_000_000_123,
                parent_tgid: 10,
                child_pid: 11,
                child_tgid: 11
            }]
        );
        let exec = datagram(PROC_EVENT_EXEC, 5, &ints(&[11, 11]));
        assert_eq!(
            parsed(&exec),
            [ProcEvent::Exec {
                at_ns: 5,
                pid: 11,
                tgid: 11
            }]
        );
        let sid = datagram(PROC_EVENT_SID, 6, &ints(&[12, 12]));
        assert!(matches!(
            parsed(&sid)[..],
            [ProcEvent::Sid { tgid: 12, .. }]
        ));
        // exit 1 of 13, parent-notify signal SIGCHLD, parent 10.
        let exit = datagram(PROC_EVENT_EXIT, 8, &ints(&[13, 13, 1 << 8, 17, 10, 10]));
        assert_eq!(
            parsed(&exit),
            [ProcEvent::Exit {
                at_ns: 8,
                pid: 13,
                tgid: 13,
                status: 1 << 8,
                parent_tgid: 10
            }]
        );
    }

    #[test]
    fn a_comm_keeps_its_bytes_up_to_the_nul() {
        let mut fields = ints(&[14, 14]);
        fields.extend_from_slice(b"worker\xff-3\0\0\0\0\0\0\0");
        let comm = datagram(PROC_EVENT_COMM, 9, &fields);
        assert_eq!(
            parsed(&comm),
            [ProcEvent::Comm {
                at_ns: 9,
                pid: 14,
                tgid: 14,
                comm: b"worker\xff-3".to_vec()
            }]
        );
    }

    #[test]
    fn other_events_and_truncated_bytes_are_skipped() {
        let uid = datagram(0x4, 1, &ints(&[1, 1, 0, 0]));
        assert!(parsed(&uid).is_empty());
        let fork = datagram(PROC_EVENT_FORK, 1, &ints(&[10, 10, 11, 11]));
        for cut in [0, 3, 16, 40, fork.len() - 1] {
            assert!(parsed(&fork[..cut]).is_empty(), "cut at {cut}");
        }
        let mut two = fork.clone();
        two.extend_from_slice(&datagram(PROC_EVENT_EXEC, 2, &ints(&[11, 11])));
        assert_eq!(parsed(&two).len(), 2, "two messages in one datagram");
    }

    #[test]
    fn the_listen_message_has_the_connector_layout() {
        let message = control_message(PROC_CN_MCAST_LISTEN, 42);
        assert_eq!(message.len(), 40);
        assert_eq!(u32_at(&message, 0), Some(40));
        assert_eq!(u32_at(&message, 12), Some(42));
        assert_eq!(u32_at(&message, 16), Some(CN_IDX_PROC));
        assert_eq!(u32_at(&message, 36), Some(PROC_CN_MCAST_LISTEN));
    }

    #[test]
    fn the_kernel_reports_a_child_this_test_starts() {
        let mut connector = match Connector::open() {
            Ok(connector) => connector,
            Err(error) => {
                eprintln!("skipped: the proc connector cannot be opened here: {error}");
                return;
            }
        };
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "printf renamed > /proc/self/comm; exit 3"])
            .spawn()
            .expect("sh runs");
        // This test process has other tests' children too: this one is
        // known by its pid.
        let pid = sh.id() as i32;
        assert_eq!(sh.wait().expect("reaped").code(), Some(3));
        let child_exit = |events: &[ProcEvent]| {
            events.iter().find_map(|event| match *event {
                ProcEvent::Exit {
                    tgid,
                    status,
                    parent_tgid,
                    ..
                } if tgid == pid && parent_tgid == std::process::id() as i32 => {
                    Some((tgid, status))
                }
                _ => None,
            })
        };
        let mut events = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while child_exit(&events).is_none() {
            assert!(std::time::Instant::now() < deadline, "no exit event");
            let mut fd = [rustix::event::PollFd::new(
                &connector,
                rustix::event::PollFlags::IN,
            )];
            let _ = rustix::event::poll(&mut fd, None);
            connector.read_available(&mut events).expect("reads");
        }
        let (child, status) = child_exit(&events).expect("found");
        assert_eq!(status, 3 << 8, "the exit event holds the wait status");
        assert!(events.iter().any(|e| matches!(
            e,
            ProcEvent::Fork { child_tgid, .. } if *child_tgid == child
        )));
        assert!(events.iter().any(|e| matches!(
            e,
            ProcEvent::Exec { tgid, .. } if *tgid == child
        )));
        assert!(events.iter().any(|e| matches!(
            e,
            ProcEvent::Comm { tgid, comm, .. } if *tgid == child && comm == b"renamed"
        )));
    }
}
