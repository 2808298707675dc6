//! What a signal prediction needs to know about a process, read from
//! `/proc`: every thread's state and masks, the tracer, the pid namespace,
//! the kernel-thread flag, the core limit, and the sender's credentials.
//!
//! The parsers are pure and tested on fixed samples; [`Reader::inspect`]
//! reads one process, [`Inspection::target`] turns it into the
//! [`Target`] that [`crate::signal::effect::predict`] takes.

use super::record::{self, ProcessRecord, ReadFailure};
use super::scan::Reader;
use super::state::ProcessState;
use crate::signal::disposition::{ProcessSignals, SignalMasks};
use crate::signal::effect::{Activity, CoreLimit, NamespaceInit, Target};
use crate::signal::permission::{self, Sender, Uids};
use crate::signal::sigset::SigSet;

/// PF_KTHREAD in the flags field of `/proc/PID/stat` (include/linux/sched.h).
const PF_KTHREAD: u32 = 0x0020_0000;

/// CAP_KILL's bit in `CapEff` (include/uapi/linux/capability.h).
const CAP_KILL: u32 = 5;

/// What a status file says beyond [`record::StatusFields`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusDetails {
    /// The state letter of the `State:` line.
    pub state: char,
    /// `TracerPid`: 0 when not traced.
    pub tracer_pid: i32,
    /// Real, effective and saved uid.
    pub uids: Uids,
    /// `NSpid`: the pid in each pid namespace, outermost first.
    pub nspid: Vec<i32>,
    /// `CapEff`: the effective capabilities.
    pub cap_effective: u64,
}

/// Parses the lines of a status file that [`StatusDetails`] holds, as bytes
/// (FACTS 4g); missing lines keep their defaults.
pub fn parse_status_details(text: &[u8]) -> StatusDetails {
    let mut details = StatusDetails::default();
    for line in text.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = std::str::from_utf8(&line[colon + 1..]).unwrap_or_default();
        let mut words = value.split_whitespace();
        match &line[..colon] {
            b"State" => details.state = words.next().and_then(|w| w.chars().next()).unwrap_or('?'),
            b"TracerPid" => {
                details.tracer_pid = words.next().and_then(|w| w.parse().ok()).unwrap_or(0)
            }
            b"Uid" => {
                let ids: Vec<u32> = words.filter_map(|w| w.parse().ok()).collect();
                if let [real, effective, saved, ..] = ids[..] {
                    details.uids = Uids {
                        real,
                        effective,
                        saved,
                    };
                }
            }
            b"NSpid" => details.nspid = words.filter_map(|w| w.parse().ok()).collect(),
            b"CapEff" => {
                details.cap_effective = words
                    .next()
                    .and_then(|w| u64::from_str_radix(w, 16).ok())
                    .unwrap_or(0);
            }
            _ => {}
        }
    }
    details
}

/// The soft `Max core file size` of `/proc/PID/limits`.
pub fn parse_core_limit(text: &[u8]) -> CoreLimit {
    let text = String::from_utf8_lossy(text);
    let Some(line) = text.lines().find(|l| l.starts_with("Max core file size")) else {
        return CoreLimit::Unknown;
    };
    match line["Max core file size".len()..].split_whitespace().next() {
        Some("unlimited") => CoreLimit::Unlimited,
        Some(bytes) => bytes.parse().map_or(CoreLimit::Unknown, CoreLimit::Bytes),
        None => CoreLimit::Unknown,
    }
}

/// The activity a state letter means for signals.
pub fn activity(state: ProcessState) -> Activity {
    match state.letter() {
        'T' => Activity::Stopped,
        't' => Activity::TracingStop,
        'D' => Activity::DiskSleep,
        'Z' => Activity::Zombie,
        'X' | 'x' => Activity::Gone,
        _ => Activity::Running,
    }
}

/// The signal-relevant view of a record alone (state, main-thread masks):
/// what is known without reading threads, tracer or limits.
pub fn target_of_record(record: &ProcessRecord) -> Target {
    let masks = record.signals.unwrap_or_default();
    Target {
        activity: if record.state.is_zombie() && !record.has_exited() {
            Activity::Running
        } else {
            activity(record.state)
        },
        masks,
        blocked_by_all_threads: masks.blocked,
        threads: usize::try_from(record.threads).unwrap_or(0),
        pending: masks.pending_any(),
        ..Target::default()
    }
}

/// One thread: its id, state and masks (`/proc/PID/task/TID/status`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadStatus {
    /// Thread id.
    pub tid: i32,
    /// Its state.
    pub state: ProcessState,
    /// Its masks (`SigIgn` and `SigCgt` are the process's).
    pub masks: SignalMasks,
}

impl ThreadStatus {
    /// True unless the thread has exited (a main thread that exited stays
    /// listed as a zombie while other threads run).
    pub fn is_live(&self) -> bool {
        !matches!(self.state.letter(), 'Z' | 'X' | 'x')
    }
}

/// Everything read about one process for signal predictions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// Stat, cmdline and the main thread's status.
    pub record: ProcessRecord,
    /// Every thread, the main one first.
    pub threads: Vec<ThreadStatus>,
    /// Tracer, uids and namespace pids.
    pub details: StatusDetails,
    /// PF_KTHREAD is set.
    pub kernel_thread: bool,
    /// Its RLIMIT_CORE.
    pub core_limit: CoreLimit,
}

/// What is the same for every target: who sends, and where cores go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The sender (this process).
    pub sender: Sender,
    /// How many pid namespaces deep the sender is (its `NSpid` length).
    pub sender_depth: usize,
    /// Whether `core_pattern` pipes core dumps to a program.
    pub core_piped: bool,
}

impl Inspection {
    /// The threads still running (a main thread that exited is not).
    pub fn live_threads(&self) -> impl Iterator<Item = &ThreadStatus> {
        self.threads.iter().filter(|t| t.is_live())
    }

    /// The signals every live thread blocks.
    pub fn blocked_by_all(&self) -> SigSet {
        self.signals().blocked_by_all
    }

    /// Every thread's `SigPnd` united with `ShdPnd`.
    pub fn pending(&self) -> SigSet {
        self.signals().pending_any()
    }

    /// The process's signal sets, pending and blocked taken over its threads.
    pub fn signals(&self) -> ProcessSignals {
        process_signals(self.record.signals.unwrap_or_default(), &self.threads)
    }

    /// The activity: a Z main thread with live threads is a live process
    /// (FACTS 4f), as stopped or running as its first live thread.
    pub fn activity(&self) -> Activity {
        match self.live_threads().next() {
            Some(thread) if self.record.state.is_zombie() => activity(thread.state),
            None if self.record.state.is_zombie() => Activity::Zombie,
            _ => activity(self.record.state),
        }
    }

    /// The prediction's view of this process, for `context`'s sender, with
    /// its group's orphaned-ness (from a scan, [`super::tree::ProcessTree`]).
    pub fn target(&self, context: &Context, orphaned_group: bool) -> Target {
        let record = &self.record;
        let namespace_init = match self.details.nspid.last() {
            Some(1) if self.details.nspid.len() > context.sender_depth => {
                NamespaceInit::SeenFromAncestor
            }
            Some(1) => NamespaceInit::SeenFromInside,
            _ => NamespaceInit::No,
        };
        Target {
            activity: self.activity(),
            permission: permission::permission(
                &context.sender,
                record.pid,
                self.details.uids,
                record.sid,
            ),
            masks: record.signals.unwrap_or_default(),
            blocked_by_all_threads: self.blocked_by_all(),
            threads: self.live_threads().count(),
            pending: self.pending(),
            kernel_thread: self.kernel_thread,
            tracer: (self.details.tracer_pid > 0).then_some(self.details.tracer_pid),
            namespace_init,
            orphaned_group,
            core_limit: self.core_limit,
            core_piped: context.core_piped,
        }
    }
}

/// A process's signal sets from its main thread's masks (`main`, as
/// `/proc/PID/status` has them) and every thread's: `pending` is every
/// thread's `SigPnd` (with `shared_pending`, what is pending anywhere in
/// it), `blocked_by_all` what every live thread blocks (a process-directed
/// signal stays pending only then: FACTS 4).
pub fn process_signals(main: SignalMasks, threads: &[ThreadStatus]) -> ProcessSignals {
    ProcessSignals {
        pending: threads
            .iter()
            .fold(main.pending, |all, t| all.union(t.masks.pending)),
        shared_pending: main.shared_pending,
        blocked: main.blocked,
        blocked_by_all: threads
            .iter()
            .filter(|t| t.is_live())
            .map(|t| t.masks.blocked)
            .reduce(SigSet::intersection)
            .unwrap_or(SigSet::empty()),
        ignored: main.ignored,
        caught: main.caught,
    }
}

/// Whether `/proc/sys/kernel/core_pattern` pipes cores to a program.
pub fn core_piped() -> bool {
    std::fs::read("/proc/sys/kernel/core_pattern").is_ok_and(|p| p.starts_with(b"|"))
}

impl Reader {
    /// Every thread of `pid` with its state and masks, the main thread first;
    /// threads that end while being read are left out.
    pub fn threads(&mut self, pid: i32) -> Result<Vec<ThreadStatus>, ReadFailure> {
        let mut tids = super::scan::task_ids(pid)?;
        tids.sort_by_key(|&tid| (tid != pid, tid));
        let mut threads = Vec::with_capacity(tids.len());
        for tid in tids {
            let text = match self.read(pid, &format!("task/{tid}/status")) {
                Ok(text) => text,
                Err(ReadFailure::Gone) => continue,
                Err(other) => return Err(other),
            };
            let masks = record::parse_status(text)?.signals;
            let state = ProcessState::new(parse_status_details(text).state);
            threads.push(ThreadStatus { tid, state, masks });
        }
        Ok(threads)
    }

    /// The signal sets of `pid` over all its threads ([`process_signals`]),
    /// read from `/proc/PID/task`: the main thread's status is the
    /// process's.
    pub fn process_signals(&mut self, pid: i32) -> Result<ProcessSignals, ReadFailure> {
        let threads = self.threads(pid)?;
        let main = threads
            .iter()
            .find(|t| t.tid == pid)
            .ok_or(ReadFailure::Gone)?
            .masks;
        Ok(process_signals(main, &threads))
    }

    /// The signal sets of `record`'s process: from its own masks when it has
    /// one thread (nothing more to read), else from every thread's. `None`
    /// when its status was not read.
    pub fn signals_of(&mut self, record: &ProcessRecord) -> Option<ProcessSignals> {
        let main = record.signals?;
        if record.threads > 1
            && let Ok(signals) = self.process_signals(record.pid)
        {
            return Some(signals);
        }
        let only = ThreadStatus {
            tid: record.pid,
            state: record.state,
            masks: main,
        };
        Some(process_signals(main, &[only]))
    }

    /// Whether `pid` is PID 1 of a pid namespace below this process's: its
    /// status's NSpid has more levels than ours and ends in 1.
    pub fn is_namespace_init_below(&mut self, pid: i32) -> bool {
        let own = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
        let depth = |reader: &mut Self, pid| {
            reader
                .read(pid, "status")
                .map(|status| parse_status_details(status).nspid)
        };
        match (depth(self, own), depth(self, pid)) {
            (Ok(own), Ok(theirs)) => theirs.len() > own.len() && theirs.last() == Some(&1),
            _ => false,
        }
    }

    /// Reads all [`Inspection`] holds about `pid`.
    pub fn inspect(&mut self, pid: i32) -> Result<Inspection, ReadFailure> {
        let record = self.process(pid)?;
        let details = parse_status_details(self.read(pid, "status")?);
        let flags = self.stat_flags(pid)?;
        let core_limit = parse_core_limit(self.read(pid, "limits")?);
        let threads = self.threads(pid)?;
        Ok(Inspection {
            record,
            threads,
            details,
            kernel_thread: flags & PF_KTHREAD != 0,
            core_limit,
        })
    }

    /// The flags field of `/proc/PID/stat`.
    fn stat_flags(&mut self, pid: i32) -> Result<u32, ReadFailure> {
        use procfs::FromRead;
        let stat = procfs::process::Stat::from_read(self.read(pid, "stat")?)?;
        Ok(stat.flags)
    }

    /// This process as a sender: its uids, CAP_KILL, session and pid
    /// namespace depth, with where core dumps go.
    pub fn context(&mut self) -> Result<Context, ReadFailure> {
        let pid = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
        let details = parse_status_details(self.read(pid, "status")?);
        // nix, not rustix: a process started outside any session (sid 0,
        // as under some CI runners and containers) makes rustix's getsid
        // panic on a zero pid.
        let sid = nix::unistd::getsid(None).map_or(0, |p| p.as_raw());
        Ok(Context {
            sender: Sender {
                pid,
                uids: details.uids,
                cap_kill: details.cap_effective & (1 << CAP_KILL) != 0,
                sid,
            },
            sender_depth: details.nspid.len().max(1),
            core_piped: core_piped(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::sigset::Signal;
    use std::sync::mpsc;

    #[test]
    fn a_signal_pending_for_one_thread_is_pending_and_blocked_by_that_one_only() {
        let (ready, is_ready) = mpsc::channel();
        let (finish, finished) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            crate::sys::process::set_mask(libc::SIG_BLOCK, &[libc::SIGUSR2]).expect("block");
            let tid = rustix::thread::gettid().as_raw_nonzero().get();
            ready.send(tid).expect("send tid");
            // Ends with SIGUSR2 still blocked: its pending copy goes with it.
            let _ = finished.recv();
        });
        let tid = is_ready.recv().expect("the thread's tid");
        let pid = std::process::id() as i32;
        // SAFETY: tgkill takes plain integers; the thread blocks SIGUSR2.
        let sent = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, libc::SIGUSR2) };
        assert_eq!(sent, 0, "tgkill: {}", std::io::Error::last_os_error());
        let mut reader = Reader::default();
        let signals = reader.process_signals(pid).expect("own threads");
        let main = reader.status(pid).expect("own status").signals;
        finish.send(()).expect("finish");
        thread.join().expect("join");
        assert!(
            !signals.blocked_by_all.contains(Signal::USR2),
            "the main thread does not block it"
        );
        assert!(
            signals.pending.contains(Signal::USR2),
            "pending in the other thread's SigPnd: {signals:?}"
        );
        assert!(
            !main.pending_any().contains(Signal::USR2),
            "the main thread's status alone does not show it"
        );
    }

    const STATUS: &[u8] = b"Name:\tsleep\nState:\tt (tracing stop)\nTgid:\t77\n\
        TracerPid:\t4242\nUid:\t1000\t1001\t1002\t1003\nNStgid:\t77\t1\nNSpid:\t77\t1\n\
        CapEff:\t0000000000000020\n";

    #[test]
    fn status_details() {
        let details = parse_status_details(STATUS);
        assert_eq!(details.state, 't');
        assert_eq!(details.tracer_pid, 4242);
        assert_eq!(
            details.uids,
            Uids {
                real: 1000,
                effective: 1001,
                saved: 1002
            }
        );
        assert_eq!(details.nspid, [77, 1]);
        assert_eq!(details.cap_effective, 1 << CAP_KILL);
        assert_eq!(
            parse_status_details(b"Name:\t\xff\n"),
            StatusDetails::default()
        );
    }

    #[test]
    fn core_limits() {
        let limits =
            b"Limit                     Soft Limit           Hard Limit           Units     \n\
            Max cpu time              unlimited            unlimited            seconds   \n\
            Max core file size        0                    unlimited            bytes     \n";
        assert_eq!(parse_core_limit(limits), CoreLimit::Bytes(0));
        let unlimited =
            b"Max core file size        unlimited            unlimited            bytes\n";
        assert_eq!(parse_core_limit(unlimited), CoreLimit::Unlimited);
        assert_eq!(parse_core_limit(b""), CoreLimit::Unknown);
    }

    fn thread(tid: i32, state: char, blocked: u64) -> ThreadStatus {
        ThreadStatus {
            tid,
            state: ProcessState::new(state),
            masks: SignalMasks {
                blocked: SigSet::from_bits(blocked),
                pending: SigSet::from_bits(1 << 9),
                ..SignalMasks::default()
            },
        }
    }

    fn inspection(state: char, threads: Vec<ThreadStatus>) -> Inspection {
        let record = record::parse_stat(
            format!("77 (x) {state} 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 2 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n").as_bytes(),
            crate::sys::Units { ticks_per_second: 100, page_kib: 4 },
        )
        .expect("parses");
        Inspection {
            record,
            threads,
            details: StatusDetails::default(),
            kernel_thread: false,
            core_limit: CoreLimit::Unknown,
        }
    }

    #[test]
    fn a_zombie_main_thread_with_live_threads_is_a_live_process() {
        let live = inspection('Z', vec![thread(77, 'Z', 0), thread(78, 'S', 0x4000)]);
        assert_eq!(live.activity(), Activity::Running);
        assert_eq!(live.live_threads().count(), 1);
        assert_eq!(
            live.blocked_by_all(),
            SigSet::from_bits(0x4000),
            "the exited thread does not count"
        );
        let stopped = inspection('Z', vec![thread(77, 'Z', 0), thread(78, 'T', 0)]);
        assert_eq!(stopped.activity(), Activity::Stopped);
        let dead = inspection('Z', vec![thread(77, 'Z', 0)]);
        assert_eq!(dead.activity(), Activity::Zombie);
        assert_eq!(dead.pending(), SigSet::from_bits(1 << 9));
    }

    #[test]
    fn namespace_init_and_tracer_from_details() {
        let mut init = inspection('S', vec![thread(77, 'S', 0)]);
        init.details.nspid = vec![77, 1];
        init.details.tracer_pid = 9;
        let context = Context {
            sender_depth: 1,
            ..Context::default()
        };
        let target = init.target(&context, true);
        assert_eq!(target.namespace_init, NamespaceInit::SeenFromAncestor);
        assert_eq!(target.tracer, Some(9));
        assert!(target.orphaned_group);
        let inside = Context {
            sender_depth: 2,
            ..Context::default()
        };
        assert_eq!(
            init.target(&inside, false).namespace_init,
            NamespaceInit::SeenFromInside
        );
        init.details.nspid = vec![77];
        assert_eq!(
            init.target(&context, false).namespace_init,
            NamespaceInit::No
        );
    }

    #[test]
    fn inspecting_this_process() {
        let mut reader = Reader::default();
        let pid = i32::try_from(std::process::id()).expect("a pid");
        let me = reader.inspect(pid).expect("own process");
        assert!(!me.kernel_thread);
        assert_eq!(me.threads.first().map(|t| t.tid), Some(pid));
        let context = reader.context().expect("own status");
        assert_eq!(context.sender.pid, pid);
        let target = me.target(&context, false);
        assert_eq!(
            target.permission,
            crate::signal::effect::Permission::Allowed
        );
        assert_eq!(target.activity, Activity::Running);
    }
}
