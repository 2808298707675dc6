//! The full stop sequence (`g`) on a real pool, driven through the library
//! as the TUI will drive it: stop event, half the grace, the stop signal,
//! SIGCONT to the group, escalation.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{TaggedCleanup, run_id, wait_until_untagged};
use nix::sys::signal::{Signal as NixSignal, kill};
use nix::unistd::Pid;
use sigtree::engine::events::wait_until;
use sigtree::engine::policy::Containment;
use sigtree::engine::session::{Launch, Session};
use sigtree::engine::stop::{StopPlan, StopSequence};
use sigtree::engine::target::Protected;
use sigtree::pool::scenario;
use sigtree::signal::sigset::Signal;
use sigtree::watch::action::Target;
use sigtree::watch::model::Outcome;
use sigtree::watch::verdict::Verdict;

/// Starts a pool of preset `name`. Its processes inherit this test
/// binary's SIGTREE_RUN_ID, set once in [`the_stop_sequence`].
fn start(name: &str) -> Session {
    let scenario = scenario::load(name).expect("a preset");
    let exe = Path::new(env!("CARGO_BIN_EXE_sigtree"));
    let launch = Launch::Pool {
        source: name,
        scenario: &scenario,
        contain: Containment::None,
    };
    let mut run = Session::start(exe, launch).expect("the pool starts");
    assert!(
        wait_until(
            &mut run,
            Duration::from_secs(20),
            Session::all_workers_started
        ),
        "every worker reports"
    );
    run
}

/// One test, so that the run tag in this process's environment is set once,
/// before any process starts, and never changes under a parallel test.
#[test]
fn the_stop_sequence() {
    let id = run_id("sequence");
    // SAFETY: no other thread of this test binary runs yet, and the
    // variable is only read by the processes the pools start.
    unsafe { std::env::set_var("SIGTREE_RUN_ID", &id) };
    let _cleanup = TaggedCleanup(id.clone());
    sigcont_after_the_stop_signal_lets_a_stopped_worker_finish_gracefully(&id);
    a_pool_that_drains_never_gets_a_signal(&id);
    default_means_the_kernels_default(&id);
}

/// In default-term nobody sets a disposition on purpose: every pool process
/// shows no ignored, caught or blocked signal at all — not SIGPIPE (Rust's
/// runtime), not SIGSEGV/SIGBUS (its stack guard), not 32/33 (left ignored
/// by glibc's posix_spawn).
///
/// glibc's posix_spawn, with which std starts the workers, blocks every
/// signal in the calling process until the child has exec'd and the caller
/// runs again: the master, which has just started worker-4 when every
/// worker has reported, may not have run since on a loaded machine (its
/// SigBlk then reads every signal but KILL and STOP). So the masks are
/// read once no pool process blocks anything, or after 20 s: a mask that
/// stays set still fails.
fn default_means_the_kernels_default(id: &str) {
    use sigtree::procfs::scan::Reader;
    let mut run = start("default-term");
    let pids: Vec<i32> = run.watch.alive();
    assert!(pids.len() >= 5, "master and four workers: {pids:?}");
    let unblocked = |pid: &i32| {
        Reader::default()
            .status(*pid)
            .is_ok_and(|s| s.signals.blocked.is_empty())
    };
    // A timeout is no failure by itself: the asserts below name the mask
    // that stayed.
    wait_until(&mut run, Duration::from_secs(20), |_| {
        pids.iter().all(unblocked)
    });
    let mut reader = Reader::default();
    for pid in pids {
        let role = &run.watch.processes()[&pid].role;
        let masks = reader.status(pid).expect("a live pool process").signals;
        assert!(
            masks.ignored.is_empty() && masks.caught.is_empty() && masks.blocked.is_empty(),
            "{pid} {role}: ignored {} caught {} blocked {}",
            masks.ignored,
            masks.caught,
            masks.blocked
        );
    }
    run.finish();
    drop(run);
    assert!(wait_until_untagged(id).is_empty());
}

fn sigcont_after_the_stop_signal_lets_a_stopped_worker_finish_gracefully(id: &str) {
    let mut run = start("graceful");
    let protected = Protected::current();

    // Stop one worker: it cannot see the stop event, nor act on any signal
    // but SIGKILL, until it is continued.
    let worker = run
        .watch
        .processes()
        .values()
        .find(|p| p.role == "worker-1")
        .map(|p| p.seen.pid)
        .expect("worker-1 observed");
    kill(Pid::from_raw(worker), NixSignal::SIGSTOP).expect("SIGSTOP");
    assert!(
        wait_until(&mut run, Duration::from_secs(20), |_| {
            common::is_stopped(worker)
        }),
        "worker-1 stops"
    );

    let plan = StopPlan::graceful(Signal::TERM, Target::Leader, Duration::from_secs(4));
    let mut stop = StopSequence::start(&mut run, &protected, plan).expect("the stop starts");
    stop.run_to_end(&mut run, &protected);
    run.finish();

    let timeline: Vec<String> = run
        .watch
        .timeline()
        .iter()
        .map(|e| e.what.clone())
        .collect();
    let position = |needle: &str| {
        timeline
            .iter()
            .position(|what| what.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in {timeline:#?}"))
    };
    assert!(position("set the stop event") < position("SIGTERM to the leader"));
    assert!(position("SIGTERM to the leader") < position("SIGCONT to process group"));
    assert_eq!(run.watch.verdict(false), Verdict::Graceful, "{timeline:#?}");
    let stopped = &run.watch.processes()[&worker];
    assert_eq!(run.watch.outcome(stopped), Outcome::Exited);
    assert!(stop.leftovers().is_empty());
    drop(run);
    assert!(wait_until_untagged(id).is_empty());
}

fn a_pool_that_drains_never_gets_a_signal(id: &str) {
    let mut run = start("block-term");
    let protected = Protected::current();
    let plan = StopPlan::graceful(Signal::TERM, Target::Group, Duration::from_secs(6));
    let mut stop = StopSequence::start(&mut run, &protected, plan).expect("the stop starts");
    stop.run_to_end(&mut run, &protected);
    run.finish();
    assert_eq!(run.watch.verdict(false), Verdict::Graceful);
    assert!(
        !run.watch
            .timeline()
            .iter()
            .any(|e| e.what.contains("SIGTERM")),
        "the workers drained within half the grace: no signal was needed"
    );
    drop(run);
    assert!(wait_until_untagged(id).is_empty());
}
