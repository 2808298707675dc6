//! The tracer: a small process (`sigtree __tracer`) that owns a private
//! tracefs instance with the signal events on, named for the sigtree that
//! started it (`sigtree-PID-STARTTIME`), and copies its trace_pipe to its
//! stdout. It removes the instance when sigtree's pipe closes — sigtree
//! ended, even by SIGKILL — and, at its start, the instances of owners that
//! are gone. A byte `N\n` on the pipe asks for the marker `sigtree-sync N`
//! in the trace, after every event before it: sigtree's sync.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::procfs::scan::Reader;
use crate::sys::fds;
use crate::sys::process::ignore_ending_signals;
use crate::sys::tracefs::{Instance, SYNC_MARKER, instance_name, remove_stale, tracefs};

/// The first line the tracer prints once its instance records.
pub const READY: &str = "sigtree-tracer ready";

/// Runs the tracer; `control` is the read end of sigtree's pipe.
pub fn run(control: i32) -> io::Result<i32> {
    let mut control = std::fs::File::from(fds::take_inherited(control)?);
    fds::set_cloexec(control.as_fd())?;
    // It ends only when sigtree's pipe closes (Ctrl-C reaches sigtree's
    // group, not the tracer's own).
    ignore_ending_signals()?;
    let root = tracefs()?;
    let mut reader = Reader::default();
    let alive = |pid: i32, start: u64| {
        Reader::default()
            .stat(pid)
            .is_ok_and(|r| r.start_time_ms == start && !r.has_exited())
    };
    remove_stale(&root, alive);
    let owner = rustix::process::getppid().map_or(0, |pid| pid.as_raw_nonzero().get());
    let started = reader
        .stat(owner)
        .map_err(|_| io::Error::from(io::ErrorKind::NotFound))?
        .start_time_ms;
    let instance = Instance::create(&root, &instance_name(owner, started))?;
    let mut pipe = instance.open_pipe()?;
    let mut marker = instance.open_marker()?;
    let mut out = io::stdout().lock();
    writeln!(out, "{READY}")?;
    out.flush()?;
    let mut buffer = vec![0u8; 64 * 1024];
    let tick = Timespec {
        tv_sec: 0,
        tv_nsec: 100_000_000,
    };
    loop {
        let control_ready = {
            let mut fds = [
                PollFd::new(&pipe, PollFlags::IN),
                PollFd::new(&control, PollFlags::IN),
            ];
            // trace_pipe's wake-ups are not every event's: look every
            // 100 ms too.
            let _ = poll(&mut fds, Some(&tick));
            !fds[1].revents().is_empty()
        };
        if !copy_available(&mut pipe, &mut buffer, &mut out)? {
            break;
        }
        if control_ready {
            match control.read(&mut buffer) {
                // sigtree is gone: the instance goes with it.
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    for number in String::from_utf8_lossy(&buffer[..n]).split_whitespace() {
                        // One write, one marker line.
                        marker.write_all(format!("{SYNC_MARKER}{number}\n").as_bytes())?;
                    }
                }
            }
        }
    }
    drop(pipe);
    drop(marker);
    drop(instance);
    Ok(0)
}

/// Copies what trace_pipe holds now to `out`; false once `out` is closed.
fn copy_available(
    pipe: &mut std::fs::File,
    buffer: &mut [u8],
    out: &mut impl Write,
) -> io::Result<bool> {
    loop {
        match pipe.read(buffer) {
            Ok(0) => return Ok(true),
            Ok(n) => {
                if out.write_all(&buffer[..n]).is_err() {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out.flush().is_ok())
}
