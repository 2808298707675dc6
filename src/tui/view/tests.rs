//! The real view over a hand-built model (a watch, what the session read,
//! the UI state, a fixed now), drawn on a `TestBackend` and snapshotted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ratatui::{Terminal, backend::TestBackend};

use super::{Model, Now, StopUnderWay, screen};
use crate::engine::command::Command;
use crate::engine::kernel::EventsSource;
use crate::engine::reach::Recipients;
use crate::engine::session::{Closer, SessionView};
use crate::engine::stop::Step;
use crate::procfs::record::ProcessRecord;
use crate::procfs::state::ProcessState;
use crate::procfs::target::target_of_record;
use crate::signal::disposition::SignalMasks;
use crate::signal::effect::Target;
use crate::signal::sigset::{SigSet, Signal};
use crate::sys::wait::Ending;
use crate::tui::question::Asked;
use crate::tui::state::{Popup, UiState};
use crate::watch::cause::{Act, By, StopStep};
use crate::watch::model::{Sighting, Source, Watch};

/// When the hand-built run started, on the monotonic clock.
const START: u64 = 1_000_000;

/// A run of `sh -c ./serve` (leader 4100) with two children: 4101 ignores
/// SIGTERM and sleeps, 4102 catches it and exited 0 800 ms after the
/// stop's SIGTERM to the group at +5.0 s.
fn watch() -> Watch {
    let mut watch = Watch::new(START);
    watch.set_group(4100);
    let seen = |pid, ppid, cmd: &str| Sighting {
        pid,
        start_time_ms: 50_000 + pid as u64,
        ppid,
        pgid: 4100,
        sid: 4000,
        cmd: cmd.into(),
        zombie: false,
    };
    watch.observe(START + 100, seen(4100, 4000, "sh -c ./serve"), || {
        "leader".into()
    });
    watch.observe(START + 200, seen(4101, 4100, "serve --worker 1"), || {
        "child".into()
    });
    watch.observe(START + 200, seen(4102, 4100, "serve --worker 2"), || {
        "child".into()
    });
    watch.saw_caught(4102, sigset(&[Signal::TERM]));
    watch.stop_requested(START + 5_000, "SIGTERM to the group (4100)");
    watch.acted(Act::signal(
        START + 5_000,
        Signal::TERM,
        By::Stop(StopStep::Action),
        vec![4100, 4101, 4102],
    ));
    watch.ending(START + 5_800, 4102, Ending::Exited(0), Source::Waited);
    watch
}

fn sigset(signals: &[Signal]) -> SigSet {
    signals.iter().copied().collect()
}

/// What the session read of a live process: state, masks, CPU, memory.
fn record(pid: i32, ppid: i32, state: char, masks: SignalMasks) -> ProcessRecord {
    ProcessRecord {
        pid,
        ppid,
        pgid: 4100,
        sid: 4000,
        tpgid: -1,
        state: ProcessState::new(state),
        comm: "serve".into(),
        cmdline: Vec::new(),
        threads: if pid == 4100 { 1 } else { 3 },
        uid: Some(1000),
        start_time_ms: 50_000 + pid as u64,
        rss_kib: 2048,
        cpu_ms: 1_300,
        signals: Some(masks),
    }
}

/// The leader catches SIGTERM but its main thread blocks it; 4101 ignores
/// SIGTERM and sleeps in `do_nanosleep`.
fn status() -> BTreeMap<i32, ProcessRecord> {
    let leader = SignalMasks {
        blocked: sigset(&[Signal::TERM]),
        caught: sigset(&[Signal::TERM, Signal::CHLD]),
        ..SignalMasks::default()
    };
    let worker = SignalMasks {
        ignored: sigset(&[Signal::TERM]),
        ..SignalMasks::default()
    };
    BTreeMap::from([
        (4100, record(4100, 4000, 'S', leader)),
        (4101, record(4101, 4100, 'S', worker)),
    ])
}

/// Every thread was read for both: the leader's other threads do not
/// block SIGTERM, so a process-directed SIGTERM is not left pending.
fn closer() -> BTreeMap<i32, Closer> {
    let status = status();
    let every_thread_read = |pid: i32| {
        Some(Target {
            blocked_by_all_threads: SigSet::empty(),
            pending: SigSet::empty(),
            ..target_of_record(&status[&pid])
        })
    };
    BTreeMap::from([
        (
            4100,
            Closer {
                wchan: "do_wait".into(),
                target: every_thread_read(4100),
            },
        ),
        (
            4101,
            Closer {
                wchan: "do_nanosleep".into(),
                target: every_thread_read(4101),
            },
        ),
    ])
}

/// The keeper the run was started under: pid 4000, its own group.
fn keeper() -> ProcessRecord {
    ProcessRecord {
        pgid: 4000,
        threads: 1,
        ..record(4000, 3990, 'S', SignalMasks::default())
    }
}

/// The session's view of group 4100 in `watch`: started under `keeper`, or
/// attached when there is none.
fn session_view<'a>(
    watch: &'a Watch,
    status: &'a BTreeMap<i32, ProcessRecord>,
    closer: &'a BTreeMap<i32, Closer>,
    keeper: Option<&'a ProcessRecord>,
) -> SessionView<'a> {
    SessionView {
        watch,
        group: Some(4100),
        keeper: keeper.map(|k| k.pid),
        keeper_record: keeper,
        init_record: None,
        attached: keeper.is_none(),
        ended: false,
        stop_event: None,
        accounts: None,
        dropped_reports: 0,
        output: None,
        status,
        closer,
        orphans: None,
        exit_info: true,
        sigtree: (3990, 3990),
        events_source: EventsSource::Kernel,
    }
}

/// Draws the real view of the model on a `TestBackend`.
fn drawn(ui: &UiState, asked: Option<&Asked>, width: u16, height: u16) -> TestBackend {
    let watch = watch();
    let status = status();
    let closer = closer();
    let keeper = keeper();
    let now = Now {
        monotonic_ms: START + 6_200,
        boottime_ms: 50_000 + 4_100 + 6_300,
        instant: Instant::now(),
    };
    let model = Model {
        run: session_view(&watch, &status, &closer, Some(&keeper)),
        ui,
        mode: "run",
        subject: "sh -c ./serve".into(),
        scenario: None,
        stopping: Some(Step::Signalled(now.instant + Duration::from_millis(1_800))),
        asked,
        stop: Some(StopUnderWay::Signal(Signal::TERM)),
    };
    let screen = screen(&model, &now);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| {
            crate::tui::draw::draw(frame, &screen);
        })
        .expect("drawn");
    terminal.backend().clone()
}

fn ui() -> UiState {
    UiState {
        selected: Some(4101),
        markers: vec![(5_000, "g".into())],
        ..UiState::new(false)
    }
}

#[test]
fn a_stop_under_way_with_a_ghost_and_the_selected_survivors_detail() {
    insta::assert_snapshot!(drawn(&ui(), None, 140, 40));
}

#[test]
fn a_question_lists_the_predicted_effect_on_each_target() {
    let command = Command::Signal {
        signal: Signal::TERM,
        to: Recipients::Group,
    };
    let asked = Asked {
        headline: "Send SIGTERM to process group 4100?".into(),
        sends: Ok(vec![(Signal::TERM, vec![4100, 4101])]),
        later: false,
    };
    let ui = UiState {
        popup: Some(Popup::Confirm(command)),
        ..ui()
    };
    let backend = drawn(&ui, Some(&asked), 100, 30);
    let text = backend.to_string();
    assert!(text.contains("4101 child"), "{text}");
    insta::assert_snapshot!(backend);
}

/// A group of `n` members under one leader, as attach sees it.
fn big_group(n: i32) -> Watch {
    let mut watch = Watch::new(START);
    watch.set_group(4100);
    for pid in 4100..=4100 + n {
        let sighting = Sighting {
            pid,
            start_time_ms: 50_000,
            ppid: if pid == 4100 { 4000 } else { 4100 },
            pgid: 4100,
            sid: 4000,
            cmd: format!("member {pid}"),
            zombie: false,
        };
        watch.observe(START + 100, sighting, || "member".into());
    }
    watch
}

#[test]
fn a_frame_builds_in_full_only_the_rows_around_what_the_table_shows() {
    let watch = big_group(600);
    let status = BTreeMap::new();
    let closer = BTreeMap::new();
    let now = Now {
        monotonic_ms: START + 1_000,
        boottime_ms: 60_000,
        instant: Instant::now(),
    };
    let view = |ui: &UiState| {
        let model = Model {
            run: session_view(&watch, &status, &closer, None),
            ui,
            mode: "attach",
            subject: "4100".into(),
            scenario: None,
            stopping: None,
            asked: None,
            stop: None,
        };
        screen(&model, &now)
    };
    // Before the first frame: every row in full.
    let first = view(&UiState::new(false));
    assert_eq!(first.rows.len(), 601);
    assert!(first.rows.iter().all(|row| row.cmd.contains("member")));
    // A 20-row table with row 300 selected shows rows 281..=300; with a
    // table's height on each side, rows 261..=320 are built in full, the
    // rest carry their pid only, in the same order.
    let ui = UiState {
        selected: Some(4100 + 300),
        table_rows: Some(ratatui::layout::Rect::new(0, 3, 100, 20)),
        ..UiState::new(false)
    };
    let later = view(&ui);
    let pids: Vec<i32> = later.rows.iter().map(|row| row.pid).collect();
    let all: Vec<i32> = first.rows.iter().map(|row| row.pid).collect();
    assert_eq!(pids, all, "the order is whole");
    let full: Vec<usize> = (0..later.rows.len())
        .filter(|&i| later.rows[i].cmd.contains("member"))
        .collect();
    assert_eq!(full.first(), Some(&261));
    assert_eq!(full.last(), Some(&320));
    assert_eq!(full.len(), 60);
    assert!(later.rows[300].cmd.contains("member 4400"));
}

/// The screen of `watch` under the keeper at +6.2 s, with `closer` as what
/// the session read of the processes looked at closely, during `stop`.
fn screen_of(
    watch: &Watch,
    closer: &BTreeMap<i32, Closer>,
    stop: Option<StopUnderWay>,
) -> crate::tui::screen::Screen {
    let status = status();
    let keeper = keeper();
    let ui = ui();
    let now = Now {
        monotonic_ms: START + 6_200,
        boottime_ms: 60_000,
        instant: Instant::now(),
    };
    let model = Model {
        run: session_view(watch, &status, closer, Some(&keeper)),
        ui: &ui,
        mode: "run",
        subject: "sh -c ./serve".into(),
        scenario: None,
        stopping: None,
        asked: None,
        stop,
    };
    screen(&model, &now)
}

/// SIGTERM to the group is the stop under way.
const TERM_STOP: Option<StopUnderWay> = Some(StopUnderWay::Signal(Signal::TERM));

#[test]
fn the_strip_names_each_survivor_with_the_effect_models_reason() {
    let strip = |closer: &BTreeMap<i32, Closer>| -> Vec<(i32, String)> {
        screen_of(&watch(), closer, TERM_STOP)
            .holding
            .into_iter()
            .map(|h| (h.pid, h.reason))
            .collect()
    };
    // Every thread read: the leader's other threads take SIGTERM, so its
    // handler runs; 4101 ignores it; 4102 has ended and holds nothing up.
    assert_eq!(
        strip(&closer()),
        [
            (4100, "handler runs: SIGTERM is caught".to_string()),
            (4101, "ignored: SIGTERM is SIG_IGN".to_string()),
        ]
    );
    // Once its only thread is known to block SIGTERM, the leader holds
    // the stop up for that reason: the effect model's step 5.
    let mut blocked = closer();
    if let Some(target) = blocked.get_mut(&4100).and_then(|c| c.target.as_mut()) {
        target.blocked_by_all_threads = sigset(&[Signal::TERM]);
        target.threads = 1;
    }
    assert_eq!(
        strip(&blocked)[0],
        (4100, "pending: its only thread blocks SIGTERM".to_string())
    );
    // No stop asked for: no strip.
    assert!(screen_of(&watch(), &closer(), None).holding.is_empty());
}

#[test]
fn a_zombie_shows_z_and_the_keeper_has_a_row_of_its_own() {
    let mut watch = watch();
    // 4101 exits; its parent does not reap it.
    watch.observe(
        START + 6_000,
        Sighting {
            pid: 4101,
            start_time_ms: 50_000 + 4101,
            ppid: 4100,
            pgid: 4100,
            sid: 4000,
            cmd: "serve --worker 1".into(),
            zombie: true,
        },
        String::new,
    );
    let screen = screen_of(&watch, &closer(), TERM_STOP);
    let rows: Vec<(i32, char, &str)> = screen
        .rows
        .iter()
        .map(|r| (r.pid, r.state, r.role.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (4000, 'S', "keeper"),
            (4100, 'S', "leader"),
            (4101, 'Z', "child"),
            (4102, '-', "child")
        ]
    );
    assert_eq!(screen.rows[1].tree, "└─ ", "the leader under the keeper");
    // Its lifeline ends in a zombie's stretch, from its exit to now.
    let zombie = crate::tui::screen::Segment::Zombie;
    assert!(
        screen
            .lifelines
            .lanes
            .iter()
            .any(|lane| lane.segments.last() == Some(&(6_000, 6_200, zombie))),
        "{:?}",
        screen.lifelines.lanes
    );
    assert!(
        screen
            .holding
            .iter()
            .any(|h| h.pid == 4101 && h.reason == "zombie: exited, not reaped by its parent 4100"),
        "{:?}",
        screen.holding
    );
}

#[test]
fn a_paused_log_keeps_its_lines_and_scrolls() {
    let mut watch = watch();
    let what = |watch: &Watch, paused| -> Vec<String> {
        super::log_lines(watch, paused)
            .into_iter()
            .map(|l| l.what)
            .collect()
    };
    let at_pause = watch.logged();
    let before = what(&watch, None);
    watch.log(START + 7_000, crate::watch::model::Actor::Kernel, "later");
    // Paused: what came after waits.
    assert_eq!(what(&watch, Some((at_pause, 0))), before);
    assert_eq!(what(&watch, None).last().map(String::as_str), Some("later"));
    // Scrolled up by one: the newest line before the pause gives way.
    assert_eq!(
        what(&watch, Some((at_pause, 1))),
        before[..before.len() - 1].to_vec()
    );
    // However far it scrolls, the oldest line stays.
    assert_eq!(what(&watch, Some((at_pause, 99))), before[..1].to_vec());
}
