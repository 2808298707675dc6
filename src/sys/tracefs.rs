//! tracefs's signal events (FACTS 10c): a private instance with
//! signal:signal_generate (who sent what to whom, and what the kernel did
//! with it), signal:signal_deliver (a handler ran, or the default action),
//! sched:sched_process_exit (a sender exiting) and task:task_newtask (its
//! pid taken again), read as text from its trace_pipe. Creating an instance needs write access to tracefs's
//! instances/ (root). Where tracefs is not mounted, it is mounted in a
//! mount namespace of the caller's own.

use std::io;
use std::path::{Path, PathBuf};

/// Where tracefs is usually mounted.
const TRACEFS: &str = "/sys/kernel/tracing";

/// The prefix of sigtree's instances: `sigtree-PID-STARTTIME` (the owner).
const PREFIX: &str = "sigtree-";

/// What a sync writes to trace_marker, before its number: the line comes
/// after every event recorded before it.
pub const SYNC_MARKER: &str = "sigtree-sync ";

/// tracefs, found or mounted for this process: its root.
pub fn tracefs() -> io::Result<PathBuf> {
    let root = Path::new(TRACEFS);
    if root.join("instances").is_dir() {
        return Ok(root.to_path_buf());
    }
    // SAFETY: unshare takes a flag and touches no memory of ours; the
    // caller is a single-threaded process of its own (the tracer).
    if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
        return Err(io::Error::last_os_error());
    }
    mount(None, "/", None, libc::MS_REC | libc::MS_PRIVATE)?;
    mount(Some("nodev"), TRACEFS, Some("tracefs"), 0)?;
    Ok(root.to_path_buf())
}

/// mount(2) with C strings made here.
fn mount(
    source: Option<&str>,
    target: &str,
    kind: Option<&str>,
    flags: libc::c_ulong,
) -> io::Result<()> {
    let c = |s: &str| {
        std::ffi::CString::new(s).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let source = source.map(c).transpose()?;
    let target = c(target)?;
    let kind = kind.map(c).transpose()?;
    let ptr = |s: &Option<std::ffi::CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: every pointer is a NUL-terminated string alive for the call,
    // or null where mount(2) allows it; data is null.
    let result = unsafe {
        libc::mount(
            ptr(&source),
            target.as_ptr(),
            ptr(&kind),
            flags,
            std::ptr::null(),
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The name of the instance owned by the process `pid` started at
/// `start_time_ms` (ms since boot).
pub fn instance_name(pid: i32, start_time_ms: u64) -> String {
    format!("{PREFIX}{pid}-{start_time_ms}")
}

/// The owner an instance's name says, if it is one of sigtree's.
pub fn instance_owner(name: &str) -> Option<(i32, u64)> {
    let (pid, start) = name.strip_prefix(PREFIX)?.split_once('-')?;
    Some((pid.parse().ok()?, start.parse().ok()?))
}

/// Removes sigtree's instances under `root` whose owner `alive` says is
/// gone; returns their names.
pub fn remove_stale(root: &Path, alive: impl Fn(i32, u64) -> bool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join("instances")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| instance_owner(name).is_some_and(|(pid, start)| !alive(pid, start)))
        .filter(|name| std::fs::remove_dir(root.join("instances").join(name)).is_ok())
        .collect()
}

/// A private instance with the signal events on; removed when dropped.
#[derive(Debug)]
pub struct Instance {
    dir: PathBuf,
}

impl Instance {
    /// Creates instance `name` under `root`: CLOCK_MONOTONIC times, each
    /// line with its thread group, a 4 MiB buffer per CPU, both signal
    /// events on.
    pub fn create(root: &Path, name: &str) -> io::Result<Self> {
        let dir = root.join("instances").join(name);
        std::fs::create_dir(&dir)?;
        let instance = Self { dir };
        instance.write("trace_clock", "mono")?;
        instance.write("options/record-tgid", "1")?;
        // A larger buffer only lowers the odds of a loss: not required.
        let _ = instance.write("buffer_size_kb", "4096");
        instance.write("events/signal/signal_generate/enable", "1")?;
        instance.write("events/signal/signal_deliver/enable", "1")?;
        // Only refine what the signal events say (a sender exiting, its
        // pid taken again): not required.
        let _ = instance.write("events/sched/sched_process_exit/enable", "1");
        let _ = instance.write("events/task/task_newtask/enable", "1");
        Ok(instance)
    }

    fn write(&self, file: &str, value: &str) -> io::Result<()> {
        std::fs::write(self.dir.join(file), value)
    }

    /// The instance's trace_marker, to write markers into the trace.
    pub fn open_marker(&self) -> io::Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .write(true)
            .open(self.dir.join("trace_marker"))
    }

    /// The instance's trace_pipe, opened non-blocking.
    pub fn open_pipe(&self) -> io::Result<std::fs::File> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(self.dir.join("trace_pipe"))
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.write("events/signal/signal_generate/enable", "0");
        let _ = self.write("events/signal/signal_deliver/enable", "0");
        let _ = self.write("events/sched/sched_process_exit/enable", "0");
        let _ = self.write("events/task/task_newtask/enable", "0");
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// One line of the trace, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceRecord {
    /// signal_generate: `sender` sent `sig` to `target`.
    Generate {
        /// CLOCK_MONOTONIC nanoseconds.
        at_ns: u64,
        /// The sending thread and its process, and its name.
        sender: Task,
        /// The signal.
        sig: i32,
        /// Its si_code.
        code: i32,
        /// The target task's pid (a thread's, for a thread-directed
        /// signal) and name.
        target_pid: i32,
        /// The target's name.
        target_comm: String,
        /// Sent to the whole thread group (process-directed).
        group: bool,
        /// What the kernel did: 0 queued, 1 ignored, 2 already pending,
        /// 3 dropped (overflow), 4 queued without its info.
        result: u8,
    },
    /// signal_deliver: `task` takes `sig` now.
    Deliver {
        /// CLOCK_MONOTONIC nanoseconds.
        at_ns: u64,
        /// The receiving thread and its process.
        task: Task,
        /// The signal (SIGKILL for a default-fatal one: the group exit).
        sig: i32,
        /// Its si_code.
        code: i32,
        /// The handler's address: 0 SIG_DFL, 1 SIG_IGN, else a handler runs.
        handler: u64,
    },
    /// sched_process_exit: `task` entered do_exit; what it sends from now
    /// on comes from its exit (PR_SET_PDEATHSIG's signal to its children).
    Exiting {
        /// CLOCK_MONOTONIC nanoseconds.
        at_ns: u64,
        /// The exiting thread and its process.
        task: Task,
    },
    /// task_newtask: a task (thread or process) was created with `pid`:
    /// a pid seen exiting before is another task's from now on.
    NewTask {
        /// CLOCK_MONOTONIC nanoseconds.
        at_ns: u64,
        /// The new task's pid (thread id).
        pid: i32,
    },
    /// The ring buffer overflowed: this many events were lost.
    Lost(u64),
    /// The marker of sync request N: every event before it was read.
    Synced(u64),
}

/// A task as a trace line names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Its name.
    pub comm: String,
    /// Its thread id.
    pub tid: i32,
    /// Its process.
    pub tgid: i32,
}

/// Decodes one trace_pipe line (with record-tgid on); other lines are
/// `None`.
pub fn parse_line(line: &str) -> Option<TraceRecord> {
    if let Some(rest) = line.trim().strip_prefix("CPU:") {
        // "CPU:1 [LOST 12 EVENTS]"
        let lost = rest.split_once("[LOST ")?.1.split_whitespace().next()?;
        return Some(TraceRecord::Lost(lost.parse().ok()?));
    }
    if let Some((_, marker)) = line.split_once(": tracing_mark_write: ") {
        let number = marker.trim().strip_prefix(SYNC_MARKER)?;
        return Some(TraceRecord::Synced(number.trim().parse().ok()?));
    }
    let other = [
        (": sched_process_exit: ", "exiting"),
        (": task_newtask: ", "newtask"),
    ]
    .into_iter()
    .find_map(|(marker, event)| {
        let (head, fields) = line.split_once(marker)?;
        Some((head, event, fields))
    });
    let (head, event, fields) = match other {
        Some(found) => found,
        None => {
            let (head, tail) = line.split_once(": signal_")?;
            let (event, fields) = tail.split_once(": ")?;
            (head, event, fields)
        }
    };
    // head: "<comm>-<tid> (<tgid>) [cpu] flags secs.micros"
    let (task, rest) = head.rsplit_once(") [")?;
    let (comm_tid, tgid) = task.rsplit_once('(')?;
    let (comm, tid) = comm_tid.trim_end().rsplit_once('-')?;
    let tid = tid.parse().ok()?;
    let task = Task {
        comm: comm.trim_start().to_string(),
        tid,
        // "(-------)": the trace did not keep this task's process; a
        // single-threaded process's thread is the process.
        tgid: tgid.trim().parse().unwrap_or(tid),
    };
    let at_ns = parse_time(rest.split_whitespace().last()?)?;
    let field = |name: &str| -> Option<&str> {
        let start = fields.find(&format!("{name}="))? + name.len() + 1;
        let value = &fields[start..];
        Some(value.split_whitespace().next().unwrap_or(""))
    };
    let number = |name: &str| field(name)?.parse::<i64>().ok();
    match event {
        "generate" => Some(TraceRecord::Generate {
            at_ns,
            sender: task,
            sig: number("sig")? as i32,
            code: number("code")? as i32,
            // comm= may hold spaces: it runs up to " pid=".
            target_comm: {
                let start = fields.find("comm=")? + 5;
                let end = fields.rfind(" pid=")?;
                fields.get(start..end)?.to_string()
            },
            target_pid: {
                let start = fields.rfind(" pid=")? + 5;
                fields[start..].split_whitespace().next()?.parse().ok()?
            },
            group: number("grp")? != 0,
            result: number("res")? as u8,
        }),
        "deliver" => Some(TraceRecord::Deliver {
            at_ns,
            task,
            sig: number("sig")? as i32,
            code: number("code")? as i32,
            handler: u64::from_str_radix(field("sa_handler")?, 16).ok()?,
        }),
        "exiting" => Some(TraceRecord::Exiting { at_ns, task }),
        "newtask" => Some(TraceRecord::NewTask {
            at_ns,
            pid: number("pid")? as i32,
        }),
        _ => None,
    }
}

/// "21494.632687" (seconds.microseconds) in nanoseconds.
fn parse_time(text: &str) -> Option<u64> {
    let (secs, fraction) = text.split_once('.')?;
    let secs: u64 = secs.parse().ok()?;
    let digits = fraction.len().min(9);
    let fraction: u64 = fraction.get(..digits)?.parse().ok()?;
    Some(secs * 1_000_000_000 + fraction * 10u64.pow(9 - digits as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generate_line_decodes_sender_target_and_result() {
        let line = "              sh-6294    (   6293) [000] d..1. 21494.632687: \
                    signal_generate: sig=15 errno=0 code=0 comm=my prog pid=6300 grp=1 res=1";
        assert_eq!(
            parse_line(line),
            Some(TraceRecord::Generate {
                at_ns: 21_494_632_687_000,
                sender: Task {
                    comm: "sh".into(),
                    tid: 6294,
                    tgid: 6293
                },
                sig: 15,
                code: 0,
                target_pid: 6300,
                target_comm: "my prog".into(),
                group: true,
                result: 1,
            })
        );
    }

    #[test]
    fn a_deliver_line_and_a_comm_with_dashes_decode() {
        let line = " kworker/u4:1-my-78 (   77) [001] d..1. 5.000001: signal_deliver: sig=2 \
                    errno=0 code=128 sa_handler=55d0c0ffee sa_flags=4000000";
        assert_eq!(
            parse_line(line),
            Some(TraceRecord::Deliver {
                at_ns: 5_000_001_000,
                task: Task {
                    comm: "kworker/u4:1-my".into(),
                    tid: 78,
                    tgid: 77
                },
                sig: 2,
                code: 128,
                handler: 0x55_d0c0_ffee,
            })
        );
    }

    #[test]
    fn a_task_whose_process_the_trace_did_not_keep_is_its_own() {
        let line = "           <...>-12864   (-------) [000] d..1. 21624.323882: signal_deliver: \
                    sig=15 errno=0 code=0 sa_handler=55e851919500 sa_flags=4000000";
        let Some(TraceRecord::Deliver { task, .. }) = parse_line(line) else {
            panic!("a deliver line");
        };
        assert_eq!(
            (task.tid, task.tgid, task.comm.as_str()),
            (12864, 12864, "<...>")
        );
    }

    #[test]
    fn an_exit_line_names_the_exiting_thread() {
        let line = "              sh-6294    (   6293) [000] ..... 21494.700000: \
                    sched_process_exit: comm=sh pid=6294 prio=120 group_dead=true";
        assert_eq!(
            parse_line(line),
            Some(TraceRecord::Exiting {
                at_ns: 21_494_700_000_000,
                task: Task {
                    comm: "sh".into(),
                    tid: 6294,
                    tgid: 6293
                },
            })
        );
    }

    #[test]
    fn a_new_task_line_names_its_pid() {
        let line = "              sh-6294    (   6293) [000] ..... 21494.700000: \
                    task_newtask: pid=6301 comm=sh clone_flags=1200000 oom_score_adj=0";
        assert_eq!(
            parse_line(line),
            Some(TraceRecord::NewTask {
                at_ns: 21_494_700_000_000,
                pid: 6301
            })
        );
    }

    #[test]
    fn losses_and_other_lines() {
        assert_eq!(
            parse_line("CPU:1 [LOST 12 EVENTS]"),
            Some(TraceRecord::Lost(12))
        );
        let marker = "  sigtree-9 (9) [000] ..... 1.5: tracing_mark_write: sigtree-sync 3";
        assert_eq!(parse_line(marker), Some(TraceRecord::Synced(3)));
        assert_eq!(parse_line("# tracer: nop"), None);
        assert_eq!(parse_line(""), None);
    }

    #[test]
    fn instance_names_say_their_owner() {
        let name = instance_name(4121, 98_765);
        assert_eq!(name, "sigtree-4121-98765");
        assert_eq!(instance_owner(&name), Some((4121, 98_765)));
        assert_eq!(instance_owner("other-1-2"), None);
        assert_eq!(instance_owner("sigtree-x-2"), None);
    }
}
