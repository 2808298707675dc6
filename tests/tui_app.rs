//! The real app and its event loop on ratatui's `TestBackend`, driven with
//! keys as a user presses them (as gitui's tests drive theirs): a real run
//! under a real keeper, the screen read after each frame, the commands'
//! effects checked on the real processes.

mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Cleanup, TaggedCleanup, is_alive, run_id, tagged, wait_for};
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Size};
use ratatui::{Terminal, backend};
use sigtree::engine::events::Poster;
use sigtree::engine::policy::Policy;
use sigtree::signal::sigset::Signal;
use sigtree::sys::pidfd::{ExitInfo, PidFd};
use sigtree::sys::wait::Ending;
use sigtree::tui::app::{App, AppOptions, Mode};
use sigtree::tui::event_loop::{Due, TuiEvents, drive};
use sigtree::watch::action::Target;

/// A `TestBackend` that publishes its buffer's text at every flush (the
/// end of each frame), for the test's other thread to read.
struct Published {
    inner: TestBackend,
    screen: Arc<Mutex<String>>,
}

impl Backend for Published {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        *self.screen.lock().expect("the screen lock") = self.inner.to_string();
        backend::Backend::flush(&mut self.inner)
    }
}

/// The user's side: posts keys, reads the last frame.
struct User {
    poster: Poster<TermEvent, Due>,
    screen: Arc<Mutex<String>>,
}

impl User {
    fn press(&self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        assert!(self.poster.post(TermEvent::Key(key)));
    }

    fn screen(&self) -> String {
        self.screen.lock().expect("the screen lock").clone()
    }

    /// Waits, with the suite's deadline, until the last frame shows `text`.
    fn wait_for_text(&self, text: &str) {
        wait_for(&format!("{text:?} on the screen"), || {
            self.screen().contains(text).then_some(())
        });
    }
}

/// Starts `argv` as `sigtree run` would, on a 140x40 `TestBackend`; runs
/// `script` as the user on a thread of its own while the real event loop
/// runs here, then checks that the loop ended cleanly and the script held.
/// A script that fails quits the app as SIGTERM to sigtree does, twice (the
/// stop sequence, then SIGKILL; no popup takes it), so that a failure never
/// hangs the loop.
fn run_app(argv: &[&str], script: impl FnOnce(&User) + Send + 'static) {
    run_app_stopping_as(Policy::Sigtree, argv, script);
}

/// [`run_app`] with `g` stopping as `policy` from the start (`--policy`).
fn run_app_stopping_as(policy: Policy, argv: &[&str], script: impl FnOnce(&User) + Send + 'static) {
    let options = AppOptions {
        mode: Mode::Run {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            stop_signal: Signal::TERM,
            stop_target: Target::Leader,
        },
        grace: Some(Duration::from_secs(2)),
        policy,
    };
    let mut app =
        App::start_with(options, env!("CARGO_BIN_EXE_sigtree").into()).expect("the run starts");
    let mut cleanup = Cleanup::default();
    if let Some(keeper) = app.run_mut().keeper_pid() {
        cleanup.pid(keeper);
    }
    let screen = Arc::new(Mutex::new(String::new()));
    let backend = Published {
        inner: TestBackend::new(140, 40),
        screen: screen.clone(),
    };
    let mut terminal = Terminal::new(backend).expect("a test terminal");
    let mut events = TuiEvents::new().expect("an event source");
    let poster = events.poster();
    let (done, outcome) = mpsc::channel();
    let user = std::thread::spawn(move || {
        let user = User { poster, screen };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| script(&user)));
        if result.is_err() {
            user.poster.post_signal(libc::SIGTERM);
            user.poster.post_signal(libc::SIGTERM);
        }
        let _ = done.send(result.is_ok());
    });
    let looped = drive(&mut app, &mut terminal, &mut events);
    app.shut_down();
    user.join().expect("the user thread ends");
    assert_eq!(outcome.recv().ok(), Some(true), "the user's script failed");
    looped.expect("the event loop ends cleanly");
}

#[test]
fn t_on_the_selected_row_terminates_that_process_and_q_then_quits() {
    let id = run_id("tui-app-t");
    let _tagged = TaggedCleanup(id.clone());
    let tag = format!("SIGTREE_RUN_ID={id}");
    let argv = ["env", tag.as_str(), "sleep", "300"];
    run_app(&argv, move |user| {
        let pid = wait_for("the tagged sleep", || tagged(&id).first().copied());
        // Its row (the header names the command from the start): the only
        // row, selected as soon as it is drawn.
        user.wait_for_text(&format!("● {pid} "));
        user.press(KeyCode::Char('t'));
        wait_for("the sleep to end", || (!is_alive(pid)).then_some(()));
        user.wait_for_text(&format!("SIGTERM to {pid}"));
        // Everything has ended: q quits at once.
        user.press(KeyCode::Char('q'));
    });
}

#[test]
fn o_shows_the_sessions_orphans_report_and_esc_closes_it() {
    let id = run_id("tui-app-o");
    let _tagged = TaggedCleanup(id.clone());
    let tag = format!("SIGTREE_RUN_ID={id}");
    let argv = ["env", tag.as_str(), "sleep", "300"];
    run_app(&argv, move |user| {
        let pid = wait_for("the tagged sleep", || tagged(&id).first().copied());
        user.wait_for_text(&format!("● {pid} "));
        user.press(KeyCode::Char('o'));
        user.wait_for_text("orphans and zombies");
        // The system-wide scan runs off the loop's thread; its sections
        // come with their counts once it is done.
        user.wait_for_text("Zombies (");
        user.press(KeyCode::Esc);
        wait_for("the popup to close", || {
            (!user.screen().contains("orphans and zombies")).then_some(())
        });
        assert!(is_alive(pid), "o and Esc signal nothing");
        // q runs the stop sequence: SIGTERM to the leader, then quits.
        user.press(KeyCode::Char('q'));
    });
}

#[test]
fn p_picks_docker_and_r_restarts_the_command_as_pid_1_of_a_pid_namespace() {
    let id = run_id("tui-app-p-docker");
    let _tagged = TaggedCleanup(id.clone());
    let tag = format!("SIGTREE_RUN_ID={id}");
    let argv = ["env", tag.as_str(), "sleep", "300"];
    let nspid = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                let line = status
                    .lines()
                    .find(|l| l.starts_with("NSpid:"))?
                    .to_string();
                Some(
                    line.split_whitespace()
                        .skip(1)
                        .map(String::from)
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap_or_default()
    };
    run_app(&argv, move |user| {
        let first = wait_for("the tagged sleep", || tagged(&id).first().copied());
        assert_eq!(nspid(first).len(), 1, "sigtree's own stop contains nothing");
        user.wait_for_text(&format!("● {first} "));
        user.press(KeyCode::Char('P'));
        user.wait_for_text("docker");
        // The picker lists sigtree first, then docker.
        user.press(KeyCode::Down);
        user.press(KeyCode::Enter);
        user.wait_for_text("g now stops as docker (r restarts it as PID 1 of a pid namespace");
        user.press(KeyCode::Char('r'));
        let second = wait_for("the restarted sleep", || {
            tagged(&id).into_iter().find(|&pid| pid != first)
        });
        wait_for("the first sleep to end", || {
            (!is_alive(first)).then_some(())
        });
        let ids = nspid(second);
        if rustix::process::geteuid().is_root() {
            assert_eq!(ids.len(), 2, "a pid namespace below ours: {ids:?}");
        }
        if ids.len() == 2 {
            assert_eq!(ids[1], "1", "the command is its PID 1: {ids:?}");
        }
        user.press(KeyCode::Char('q'));
    });
}

#[test]
fn run_policy_docker_starts_the_command_as_pid_1_and_g_lets_the_kernel_drop_its_sigterm() {
    let id = run_id("tui-app-run-docker");
    let _tagged = TaggedCleanup(id.clone());
    let tag = format!("SIGTREE_RUN_ID={id}");
    let argv = ["env", tag.as_str(), "sleep", "300"];
    run_app_stopping_as(Policy::Docker, &argv, move |user| {
        let pid = wait_for("the tagged sleep", || tagged(&id).first().copied());
        user.wait_for_text(&format!("● {pid} "));
        user.wait_for_text("stops as docker");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let in_namespace = status
            .lines()
            .any(|line| line.starts_with("NSpid:") && line.ends_with("\t1"));
        if !in_namespace {
            assert!(
                !rustix::process::geteuid().is_root(),
                "root may make one: {status}"
            );
            eprintln!("skipped: no pid namespace can be made here");
            user.press(KeyCode::Char('q'));
            return;
        }
        let pidfd = PidFd::open(pid).expect("a pidfd of the sleep");
        // g stops at once: it asks nothing of what sigtree started.
        user.press(KeyCode::Char('g'));
        user.wait_for_text(&format!("SIGTERM to the leader ({pid})"));
        // Ended and reaped: a zombie is not alive, but has no status yet.
        wait_for("the sleep to end", || {
            (!is_alive(pid) && pidfd.exit_info() != ExitInfo::NotYet).then_some(())
        });
        // sleep has no SIGTERM handler: as PID 1 the kernel dropped it, and
        // it lived until docker's SIGKILL at the grace (2 s here).
        match pidfd.exit_info() {
            ExitInfo::Ended(ending) => assert_eq!(ending, Ending::Signaled(libc::SIGKILL)),
            ExitInfo::Unsupported => eprintln!("no PIDFD_INFO_EXIT: the ending is not checked"),
            ExitInfo::NotYet => panic!("ended, but no exit status"),
        }
        user.press(KeyCode::Char('q'));
    });
}
