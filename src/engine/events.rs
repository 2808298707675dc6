//! One event source for a front end: its input, signals sent to sigtree,
//! the session's news (reports, pidfd exits, the walk on its cadence) and
//! deadlines, each as an [`Event`]. Input and signals come from threads
//! (crossterm's reader owns its own poll; signal-hook has its own pipe)
//! through one channel and a wake pipe; the session's descriptors and the
//! wake pipe are waited on together, until the earliest deadline — so a
//! stop's escalation fires when its grace ends, not at the next refresh.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use signal_hook::iterator::Signals;

use super::session::Session;
use crate::sys::fds;

/// What woke the front end. `I` is its input (a terminal event for the
/// TUI); `D` names its deadlines.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<I, D> {
    /// Input posted by the front end's input thread.
    Input(I),
    /// A signal sent to sigtree.
    Signal(i32),
    /// The session took in something: reports, exits, or a walk.
    News,
    /// The deadline named `D` has come.
    Due(D),
}

/// A moment the front end wants to be woken at, with its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline<D> {
    /// When.
    pub at: Instant,
    /// What comes due then.
    pub what: D,
}

/// The event source: owns the channel's receiving end and the wake pipe.
pub struct Events<I, D> {
    receiver: Receiver<Event<I, D>>,
    sender: Sender<Event<I, D>>,
    wake: OwnedFd,
    poke: Arc<OwnedFd>,
}

/// Posts input into an [`Events`] from another thread.
pub struct Poster<I, D> {
    sender: Sender<Event<I, D>>,
    poke: Arc<OwnedFd>,
}

impl<I, D> Poster<I, D> {
    /// Posts `input`; false once the event source is gone.
    pub fn post(&self, input: I) -> bool {
        self.send(Event::Input(input))
    }

    /// Posts `signal` as if caught: a front end that catches signals its
    /// own way, or a test, delivers it like [`Events::catch_signals`].
    pub fn post_signal(&self, signal: i32) -> bool {
        self.send(Event::Signal(signal))
    }

    fn send(&self, event: Event<I, D>) -> bool {
        if self.sender.send(event).is_err() {
            return false;
        }
        // A full pipe already wakes the waiter; nothing else can fail here.
        let _ = rustix::io::write(&*self.poke, &[1]);
        true
    }
}

impl<I: Send + 'static, D: Copy + Send + 'static> Events<I, D> {
    /// An event source with no input yet.
    pub fn new() -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::channel();
        let (wake, poke) = fds::pipe()?;
        fds::set_nonblocking(wake.as_fd())?;
        fds::set_nonblocking(poke.as_fd())?;
        Ok(Self {
            receiver,
            sender,
            wake,
            poke: Arc::new(poke),
        })
    }

    /// A handle for an input thread.
    pub fn poster(&self) -> Poster<I, D> {
        Poster {
            sender: self.sender.clone(),
            poke: self.poke.clone(),
        }
    }

    /// Catches `signals` (signal-hook) and delivers each as
    /// [`Event::Signal`].
    pub fn catch_signals(&self, signals: &[i32]) -> std::io::Result<()> {
        let mut caught = Signals::new(signals)?;
        let poster = self.poster();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for signal in caught.forever() {
                    if !poster.post_signal(signal) {
                        return;
                    }
                }
            })?;
        Ok(())
    }

    /// The next event: posted input and signals first, in order; else
    /// whatever comes first of the session's news, new input, and the
    /// earliest of `deadlines` (a past deadline is due at once). The
    /// session's own walk cadence is one of the deadlines it waits for.
    pub fn next(&mut self, run: &mut Session, deadlines: &[Deadline<D>]) -> Event<I, D> {
        loop {
            if let Ok(event) = self.receiver.try_recv() {
                return event;
            }
            let now = Instant::now();
            let earliest = deadlines.iter().min_by_key(|deadline| deadline.at);
            if let Some(due) = earliest.filter(|deadline| deadline.at <= now) {
                return Event::Due(due.what);
            }
            let until = earliest.map_or_else(|| run.next_collect(), |deadline| deadline.at);
            let news = wait_for_news(run, until, Some(self.wake.as_fd()));
            drain(&self.wake);
            if news {
                return Event::News;
            }
        }
    }
}

/// Waits for the run's next news (reports, exits, its walk when due) or
/// for `until`, or for `wake` to become readable; true when the run took
/// something in.
pub fn wait_for_news(run: &mut Session, until: Instant, wake: Option<BorrowedFd<'_>>) -> bool {
    let until = until.min(run.next_collect());
    run.tick(until.saturating_duration_since(Instant::now()), wake)
}

/// Ticks the run until `done` says so or `timeout` passes, woken by its
/// news, not by a polling interval; true if done.
pub fn wait_until(run: &mut Session, timeout: Duration, done: impl Fn(&Session) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !done(run) {
        if Instant::now() >= deadline {
            return false;
        }
        wait_for_news(run, deadline, None);
    }
    true
}

/// Empties the wake pipe.
fn drain(wake: &OwnedFd) {
    let mut buf = [0u8; 64];
    while matches!(rustix::io::read(wake, &mut buf), Ok(n) if n > 0) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::session::Launch;

    /// A `sleep` this test started, killed and reaped when dropped.
    struct Sleeper(std::process::Child);

    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn attached_to_a_sleeper() -> (Sleeper, Session) {
        let child = std::process::Command::new("sleep")
            .arg("600")
            .spawn()
            .expect("sleep starts");
        let pid = child.id() as i32;
        let sleeper = Sleeper(child);
        let exe = std::path::Path::new("/proc/self/exe");
        let run = Session::start(exe, Launch::Attach { pid }).expect("attach");
        (sleeper, run)
    }

    #[test]
    fn a_deadline_comes_due_not_before_its_time() {
        let (_sleeper, mut run) = attached_to_a_sleeper();
        let mut events: Events<(), &str> = Events::new().expect("events");
        let at = Instant::now() + Duration::from_millis(600);
        let deadlines = [Deadline { at, what: "grace" }];
        let started = Instant::now();
        loop {
            match events.next(&mut run, &deadlines) {
                Event::Due(what) => {
                    assert_eq!(what, "grace");
                    break;
                }
                Event::News => {
                    assert!(
                        Instant::now() < at,
                        "news after the deadline, not the deadline"
                    );
                }
                other => panic!("unexpected {other:?}"),
            }
            assert!(started.elapsed() < Duration::from_secs(30), "never due");
        }
        assert!(Instant::now() >= at, "due before its time");
    }

    #[test]
    fn posted_input_and_an_exit_wake_the_wait() {
        let (mut sleeper, mut run) = attached_to_a_sleeper();
        let mut events: Events<u8, ()> = Events::new().expect("events");
        let poster = events.poster();
        std::thread::spawn(move || poster.post(7));
        let far = [Deadline {
            at: Instant::now() + Duration::from_secs(60),
            what: (),
        }];
        let mut input = None;
        while input.is_none() {
            match events.next(&mut run, &far) {
                Event::Input(key) => input = Some(key),
                Event::News => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(input, Some(7));

        let pid = sleeper.0.id() as i32;
        sleeper.0.kill().expect("kill the sleeper");
        sleeper.0.wait().expect("reap the sleeper");
        let started = Instant::now();
        while run.watch.alive().contains(&pid) {
            assert_eq!(events.next(&mut run, &far), Event::News);
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "exit never seen"
            );
        }
    }
}
