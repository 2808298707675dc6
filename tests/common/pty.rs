//! sigtree in a real pseudo-terminal, its screen parsed by vt100: the
//! harness of the TUI's end-to-end tests. These run one at a time (a lock),
//! with generous deadlines.
//!
//! The screen is only ever read through a wait: a reader thread feeds the
//! terminal's output to a vt100 parser, and a test waits until the parsed
//! screen shows what it expects. Once sigtree has exited, [`Tui::wait_exit`]
//! also waits until the reader has hit the end of the terminal's output (no
//! process holds the terminal any more) and joins it, so the screen is
//! final: a read right after an exit never sees a screen the reader has not
//! caught up with yet.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use super::{DEADLINE, TaggedCleanup, run_id, tagged, wait_until_untagged};

/// One pty test at a time: they are heavy, and share the machine's two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The terminal's size: at least 100x30, as the spec asks, and wide
/// enough (160 columns) for the detail pane to stand beside the table,
/// where most tests read what it says of the selected process.
pub const ROWS: u16 = 40;
pub const COLS: u16 = 160;

/// How often a wait on the screen also looks again at procfs, for the
/// conditions that check both.
const RECHECK: Duration = Duration::from_millis(50);

/// What the reader thread has made of the terminal's output so far.
struct Feed {
    parser: vt100::Parser,
    /// The reader got the end of the output: every process holding the
    /// terminal has exited, and everything they wrote is in `parser`.
    closed: bool,
}

/// The feed and the signal the reader gives after each change.
struct Shared {
    feed: Mutex<Feed>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Feed> {
        self.feed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `sigtree` running in a pty, its screen parsed by vt100.
pub struct Tui {
    /// The pty's master side, for tcgetattr; the reader and writer are copies.
    master: OwnedFd,
    writer: File,
    child: Child,
    /// sigtree's exit status, once reaped.
    status: Option<ExitStatus>,
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
    /// The run's tag (`SIGTREE_RUN_ID`): every process of the run carries it.
    pub id: String,
    // Dropped in this order, after `Drop::drop` ended sigtree itself: every
    // process of the run, then the lock that lets the next pty test start.
    _cleanup: TaggedCleanup,
    _lock: MutexGuard<'static, ()>,
}

/// Opens a pseudo-terminal pair of `rows`x`cols`, both ends close-on-exec
/// from the start: a process another test starts at the same moment cannot
/// inherit the terminal and keep it open after sigtree exits.
fn open_pty(rows: u16, cols: u16) -> (OwnedFd, OwnedFd) {
    let last_error = std::io::Error::last_os_error;
    // SAFETY: posix_openpt takes flags and returns a new descriptor or -1.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    assert!(master >= 0, "posix_openpt: {}", last_error());
    // SAFETY: `master` is a new descriptor that nothing else owns.
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    let fd = master.as_raw_fd();
    // SAFETY: fd is an open pty master.
    assert_eq!(unsafe { libc::grantpt(fd) }, 0, "grantpt: {}", last_error());
    // SAFETY: fd is an open pty master.
    assert_eq!(
        unsafe { libc::unlockpt(fd) },
        0,
        "unlockpt: {}",
        last_error()
    );
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: the buffer and its length describe writable memory.
    let named = unsafe { libc::ptsname_r(fd, name.as_mut_ptr(), name.len()) };
    assert_eq!(
        named,
        0,
        "ptsname_r: {}",
        std::io::Error::from_raw_os_error(named)
    );
    // SAFETY: ptsname_r wrote a NUL-terminated path into `name`.
    let slave = unsafe {
        libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    assert!(slave >= 0, "open the pty's slave side: {}", last_error());
    // SAFETY: `slave` is a new descriptor that nothing else owns.
    let slave = unsafe { OwnedFd::from_raw_fd(slave) };
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: fd is an open pty master; `size` lives across the call.
    let sized = unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &size) };
    assert_eq!(sized, 0, "TIOCSWINSZ: {}", last_error());
    (master, slave)
}

/// Copies the terminal's output into the parser until the end of it.
fn drain(mut reader: File, shared: &Shared) {
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                shared.lock().parser.process(&buf[..n]);
                shared.changed.notify_all();
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // EIO: no process holds the slave side any more.
            Err(_) => break,
        }
    }
    shared.lock().closed = true;
    shared.changed.notify_all();
}

impl Tui {
    /// Starts `program` (sigtree unless `SIGTREE_TUI_PROGRAM` names another,
    /// setpriv to drop privileges) with `args` in a new pty, as the leader
    /// of a new session whose controlling terminal it is.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_sized(args, env, ROWS, COLS)
    }

    /// [`Self::start`] in a terminal of `rows`x`cols`.
    pub fn start_sized(args: &[&str], env: &[(&str, &str)], rows: u16, cols: u16) -> Self {
        let lock = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = run_id("tui");
        let cleanup = TaggedCleanup(id.clone());
        let (master, slave) = open_pty(rows, cols);
        let program = env
            .iter()
            .find(|(key, _)| *key == "SIGTREE_TUI_PROGRAM")
            .map_or(env!("CARGO_BIN_EXE_sigtree"), |(_, program)| program);
        let copy = |fd: &OwnedFd| fd.try_clone().expect("a copy of a pty descriptor");
        let mut command = Command::new(program);
        command
            .args(args)
            .env("SIGTREE_RUN_ID", &id)
            .env("TERM", "xterm-256color")
            .envs(env.iter().copied())
            .stdin(Stdio::from(copy(&slave)))
            .stdout(Stdio::from(copy(&slave)))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls on no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                // As a shell leaves them: default dispositions, an empty mask.
                for signal in [
                    libc::SIGCHLD,
                    libc::SIGHUP,
                    libc::SIGINT,
                    libc::SIGQUIT,
                    libc::SIGTERM,
                    libc::SIGALRM,
                    libc::SIGPIPE,
                ] {
                    libc::signal(signal, libc::SIG_DFL);
                }
                let mut empty: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut empty);
                libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
                // Nothing of the test process but the terminal: every other
                // descriptor closes at exec (best effort: Linux 5.11).
                libc::syscall(
                    libc::SYS_close_range,
                    3,
                    libc::c_uint::MAX,
                    libc::CLOSE_RANGE_CLOEXEC,
                );
                if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("sigtree starts in the pty");
        // The last copies of the slave side in this process: from now on
        // only sigtree and what it starts hold the terminal.
        drop(command);
        let shared = Arc::new(Shared {
            feed: Mutex::new(Feed {
                parser: vt100::Parser::new(rows, cols, 0),
                closed: false,
            }),
            changed: Condvar::new(),
        });
        let reader = File::from(copy(&master));
        let sink = shared.clone();
        let reader = std::thread::spawn(move || drain(reader, &sink));
        Self {
            writer: File::from(copy(&master)),
            master,
            child,
            status: None,
            shared,
            reader: Some(reader),
            id,
            _cleanup: cleanup,
            _lock: lock,
        }
    }

    pub fn demo(scenario: &str) -> Self {
        Self::start(&["demo", "--scenario", scenario, "--grace", "3s"], &[])
    }

    /// The screen as text now, for failure messages.
    pub fn contents(&self) -> String {
        self.shared.lock().parser.screen().contents()
    }

    /// Waits until `condition` holds of the screen and returns what it
    /// found; fails after [`DEADLINE`], or as soon as the terminal closed
    /// without it (the screen cannot change any more). The condition may
    /// also look at procfs: it is tried again at least every [`RECHECK`].
    pub fn wait_for_screen<T>(
        &self,
        what: &str,
        condition: impl FnMut(&vt100::Screen) -> Option<T>,
    ) -> T {
        self.wait_for_screen_within(DEADLINE, what, condition)
    }

    /// [`Self::wait_for_screen`] with a deadline of `limit`.
    pub fn wait_for_screen_within<T>(
        &self,
        limit: Duration,
        what: &str,
        mut condition: impl FnMut(&vt100::Screen) -> Option<T>,
    ) -> T {
        let start = Instant::now();
        let mut feed = self.shared.lock();
        loop {
            if let Some(found) = condition(feed.parser.screen()) {
                return found;
            }
            let screen = feed.parser.screen().contents();
            assert!(
                !feed.closed,
                "the terminal closed without {what}; the final screen:\n{screen}"
            );
            let Some(left) = limit.checked_sub(start.elapsed()) else {
                drop(feed);
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            };
            feed = self
                .shared
                .changed
                .wait_timeout(feed, left.min(RECHECK))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits until the screen shows `text`.
    pub fn wait_for_text(&self, text: &str) {
        self.wait_for_screen(&format!("{text:?} on screen"), |screen| {
            screen.contents().contains(text).then_some(())
        });
    }

    /// Waits for the table with every worker.
    pub fn wait_for_table(&self) {
        self.wait_for_text("worker-4");
        self.wait_for_text("busy #");
    }

    pub fn press(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid fits i32")
    }

    pub fn signal(&self, signal: Signal) {
        assert!(self.status.is_none(), "sigtree was reaped already");
        kill(Pid::from_raw(self.pid()), signal).expect("signal sigtree");
    }

    /// Waits for sigtree to exit, then for the terminal's output to end
    /// (every process holding the terminal has exited) and the reader to
    /// have parsed all of it: the screen is final. Returns sigtree's exit
    /// code; `None` when a signal killed it.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "sigtree did not exit:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(25));
        };
        self.status = Some(status);
        self.wait_until_closed();
        status.code()
    }

    /// Waits until the reader got the end of the terminal's output, then
    /// joins it.
    pub fn wait_until_closed(&mut self) {
        let start = Instant::now();
        let mut feed = self.shared.lock();
        while !feed.closed {
            let Some(left) = DEADLINE.checked_sub(start.elapsed()) else {
                drop(feed);
                panic!(
                    "sigtree exited but the terminal stays open: processes of the run still hold it: {:?}\n{}",
                    tagged(&self.id),
                    self.contents()
                );
            };
            feed = self
                .shared
                .changed
                .wait_timeout(feed, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(feed);
        if let Some(reader) = self.reader.take() {
            reader.join().expect("the pty reader thread ends");
        }
    }

    /// Echo and canonical mode are on, as a shell left them.
    pub fn modes_restored(&self) -> bool {
        // SAFETY: a zeroed termios is a valid buffer; tcgetattr fills it.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: the fd is the open pty master; termios lives across the call.
        let result = unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut termios) };
        result == 0 && termios.c_lflag & libc::ECHO != 0 && termios.c_lflag & libc::ICANON != 0
    }

    /// Waits until the header names the watched process group (the first
    /// "group N" of its first line, before "sigtree pid …", which is
    /// sigtree's own) and returns it.
    pub fn pool_group(&self) -> i32 {
        self.wait_for_screen("the watched group in the header", header_group)
    }

    /// Waits until the table has a row for worker `index` whose pid procfs
    /// confirms (`sigtree __pool worker --index N`); returns the row's line
    /// on screen (0-based) and the pid.
    pub fn worker_row(&self, index: u16) -> (u16, i32) {
        let role = format!("worker-{index}");
        let args = ["worker".to_string(), "--index".into(), index.to_string()];
        self.wait_for_screen(&format!("a {role} row"), |screen| {
            let contents = screen.contents();
            let (line, pid) = contents.lines().enumerate().find_map(|(line, text)| {
                // A row: a marker, the pid, …, the role, left of the first
                // vertical rule (the detail pane right of it, the lifelines
                // and the events below may name the same role).
                let row = text.split('│').next()?;
                let pid: i32 = row
                    .split_whitespace()
                    .take(2)
                    .find_map(|word| word.parse().ok())?;
                row.split_whitespace()
                    .any(|word| word == role)
                    .then_some((line, pid))
            })?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmdline: Vec<String> = cmdline
                .split(|&b| b == 0)
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect();
            cmdline
                .windows(args.len())
                .any(|window| window == args)
                .then_some((u16::try_from(line).ok()?, pid))
        })
    }

    /// Presses q, expects exit 0, a restored terminal and nothing left.
    pub fn quit(&mut self) {
        self.press("q");
        assert_eq!(self.wait_exit(), Some(0));
        self.assert_clean_exit();
    }

    /// Asserts sigtree restored the terminal and nothing of the run is left.
    pub fn assert_clean_exit(&self) {
        let left = wait_until_untagged(&self.id);
        assert!(left.is_empty(), "processes of the run remain: {left:?}");
        assert!(self.modes_restored(), "echo and canonical mode are back");
        self.wait_left_alternate_screen();
    }

    /// Waits until the parser saw sigtree leave the alternate screen (its
    /// output reaches the parser through the reader thread).
    pub fn wait_left_alternate_screen(&self) {
        self.wait_for_screen("the alternate screen to be left", |screen| {
            (!screen.alternate_screen()).then_some(())
        });
    }
}

impl Drop for Tui {
    /// Ends sigtree by its recorded pid (and its group) unless it was
    /// reaped already, then reaps it; the run's other processes (the keeper
    /// leads a group of its own) are ended by the tag guard.
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = killpg(Pid::from_raw(self.pid()), Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

/// The watched group in the header's first line: "… · group N · … ·
/// sigtree pid P group G …", or "pgid N" when the line is short of room.
pub fn header_group(screen: &vt100::Screen) -> Option<i32> {
    let contents = screen.contents();
    let first = contents.lines().next()?;
    let (watched, _own) = first.split_once("sigtree pid ")?;
    let after = watched
        .split(" group ")
        .nth(1)
        .or_else(|| watched.split(" pgid ").nth(1))?;
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
