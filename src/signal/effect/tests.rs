//! Each step of the order, on hand-built targets.

use super::*;

fn set(signals: &[Signal]) -> SigSet {
    signals.iter().copied().collect()
}

fn running() -> Target {
    Target {
        threads: 1,
        ..Target::default()
    }
}

fn in_state(activity: Activity) -> Target {
    Target {
        activity,
        ..running()
    }
}

fn catching(signals: &[Signal], target: Target) -> Target {
    Target {
        masks: SignalMasks {
            caught: set(signals),
            ..target.masks
        },
        ..target
    }
}

fn ignoring(signals: &[Signal], target: Target) -> Target {
    Target {
        masks: SignalMasks {
            ignored: set(signals),
            ..target.masks
        },
        ..target
    }
}

/// Every mask full: ignores, catches and blocks everything it can.
fn hostile(activity: Activity) -> Target {
    let everything = SigSet::from_bits(u64::MAX);
    Target {
        masks: SignalMasks {
            blocked: everything,
            ignored: everything,
            caught: everything,
            ..SignalMasks::default()
        },
        blocked_by_all_threads: everything,
        ..in_state(activity)
    }
}

fn effect(signal: Signal, target: &Target) -> Effect {
    predict(signal, target).effect
}

fn reason(signal: Signal, target: &Target) -> String {
    predict(signal, target).reason
}

#[test]
fn step_1_gone_not_permitted_and_zombie_come_first() {
    let gone = hostile(Activity::Gone);
    let zombie = hostile(Activity::Zombie);
    for signal in Signal::all() {
        assert_eq!(effect(signal, &gone), Effect::Gone);
        assert_eq!(effect(signal, &zombie), Effect::Nothing);
    }
    assert_eq!(
        reason(Signal::KILL, &zombie),
        "nothing: already exited; a zombie takes no signals and its parent must reap it"
    );
    let denied = Target {
        permission: Permission::Denied,
        ..hostile(Activity::Zombie)
    };
    assert_eq!(effect(Signal::KILL, &denied), Effect::NotPermitted);
    let same_session = Target {
        permission: Permission::ContinueOnly,
        ..in_state(Activity::Stopped)
    };
    assert_eq!(effect(Signal::TERM, &same_session), Effect::NotPermitted);
    assert!(reason(Signal::TERM, &same_session).contains("only SIGCONT"));
    assert_eq!(effect(Signal::CONT, &same_session), Effect::Continues);
}

#[test]
fn step_2_kernel_threads_take_only_what_they_allow() {
    let kthread = Target {
        kernel_thread: true,
        ..catching(&[Signal::KILL], running())
    };
    assert_eq!(effect(Signal::STOP, &kthread), Effect::Ignored);
    assert_eq!(effect(Signal::TERM, &kthread), Effect::Ignored);
    assert_eq!(
        reason(Signal::STOP, &kthread),
        "ignored: a kernel thread ignores SIGSTOP, which it does not allow"
    );
    assert_eq!(effect(Signal::KILL, &kthread), Effect::HandlerRuns);
    assert_eq!(
        reason(
            Signal::KILL,
            &Target {
                masks: SignalMasks::default(),
                ..kthread
            }
        ),
        "ignored: a kernel thread ignores SIGKILL, which it does not allow"
    );
}

#[test]
fn step_3_sigkill_terminates_traced_stopped_or_hostile() {
    for activity in [Activity::Running, Activity::Stopped, Activity::TracingStop] {
        let target = Target {
            tracer: Some(1),
            ..hostile(activity)
        };
        assert_eq!(effect(Signal::KILL, &target), Effect::Terminates);
    }
    assert!(reason(Signal::KILL, &in_state(Activity::Stopped)).ends_with("even while stopped"));
    assert!(reason(Signal::KILL, &in_state(Activity::DiskSleep)).contains("when the sleep ends"));
    let from_ancestor = Target {
        namespace_init: NamespaceInit::SeenFromAncestor,
        ..running()
    };
    assert_eq!(effect(Signal::KILL, &from_ancestor), Effect::Terminates);
    let from_inside = Target {
        namespace_init: NamespaceInit::SeenFromInside,
        ..running()
    };
    assert_eq!(effect(Signal::KILL, &from_inside), Effect::Ignored);
    assert!(reason(Signal::KILL, &from_inside).contains("only from an ancestor namespace"));
}

#[test]
fn step_4_sigstop_stops_unless_already_stopped() {
    assert_eq!(
        effect(Signal::STOP, &hostile(Activity::Running)),
        Effect::Stops
    );
    for activity in [Activity::Stopped, Activity::TracingStop] {
        assert_eq!(effect(Signal::STOP, &in_state(activity)), Effect::Nothing);
    }
    assert_eq!(
        reason(Signal::STOP, &in_state(Activity::Stopped)),
        "nothing: already stopped"
    );
    let from_inside = Target {
        namespace_init: NamespaceInit::SeenFromInside,
        ..running()
    };
    assert_eq!(effect(Signal::STOP, &from_inside), Effect::Ignored);
}

#[test]
fn step_5_blocked_by_every_thread_stays_pending_even_if_ignored() {
    let target = Target {
        blocked_by_all_threads: set(&[Signal::TERM, Signal::CHLD, Signal::CONT]),
        threads: 3,
        ..ignoring(&[Signal::TERM], in_state(Activity::Running))
    };
    assert_eq!(effect(Signal::TERM, &target), Effect::PendingBlocked);
    assert_eq!(
        reason(Signal::TERM, &target),
        "pending: every one of its 3 threads blocks SIGTERM"
    );
    assert_eq!(effect(Signal::CHLD, &target), Effect::PendingBlocked);
    assert_eq!(effect(Signal::CONT, &target), Effect::PendingBlocked);
    let one = Target {
        threads: 1,
        ..target
    };
    assert_eq!(
        reason(Signal::TERM, &one),
        "pending: its only thread blocks SIGTERM"
    );
    // A stopped process still continues; only the handler waits.
    let stopped = Target {
        activity: Activity::Stopped,
        ..catching(&[Signal::CONT], target)
    };
    assert_eq!(effect(Signal::CONT, &stopped), Effect::Continues);
    assert!(reason(Signal::CONT, &stopped).contains("its handler waits"));
}

#[test]
fn blocked_by_the_main_thread_only_is_delivered_elsewhere() {
    let mut target = catching(&[Signal::TERM], running());
    target.masks.blocked = set(&[Signal::TERM]);
    assert_eq!(effect(Signal::TERM, &target), Effect::HandlerRuns);
}

#[test]
fn step_6_a_traced_process_queues_for_its_tracer_even_ignored_signals() {
    let traced = Target {
        tracer: Some(42),
        ..ignoring(&[Signal::TERM], running())
    };
    assert_eq!(effect(Signal::TERM, &traced), Effect::QueuedForTracer);
    assert_eq!(
        reason(Signal::TERM, &traced),
        "queued for the tracer (TracerPid 42), although SIGTERM is SIG_IGN: a traced process reports every signal but SIGKILL"
    );
    assert_eq!(effect(Signal::INT, &traced), Effect::QueuedForTracer);
    let trace_stopped = Target {
        activity: Activity::TracingStop,
        ..traced
    };
    assert_eq!(
        effect(Signal::CONT, &trace_stopped),
        Effect::QueuedForTracer
    );
    assert!(reason(Signal::CONT, &trace_stopped).contains("stays stopped"));
}

#[test]
fn step_7_sigcont_continues_only_a_stopped_process() {
    assert_eq!(effect(Signal::CONT, &running()), Effect::Nothing);
    assert_eq!(
        reason(Signal::CONT, &running()),
        "nothing: it is not stopped, and SIGCONT only resumes a stopped process"
    );
    assert_eq!(
        effect(Signal::CONT, &catching(&[Signal::CONT], running())),
        Effect::HandlerRuns
    );
    let stopped = in_state(Activity::Stopped);
    assert_eq!(
        effect(Signal::CONT, &ignoring(&[Signal::CONT], stopped)),
        Effect::Continues
    );
    assert_eq!(
        reason(Signal::CONT, &stopped),
        "continues: SIGCONT resumes a stopped process whatever its disposition"
    );
    assert!(
        reason(Signal::CONT, &catching(&[Signal::CONT], stopped))
            .ends_with("then its handler runs")
    );
    let with_term = Target {
        pending: set(&[Signal::TERM]),
        ..stopped
    };
    assert!(reason(Signal::CONT, &with_term).ends_with("then the pending SIGTERM kills it"));
    let term_caught = catching(&[Signal::TERM], with_term);
    assert!(!reason(Signal::CONT, &term_caught).contains("kills"));
}

#[test]
fn step_8_job_control_stops_in_an_orphaned_group_or_to_a_stopped_process() {
    let orphaned = Target {
        orphaned_group: true,
        ..running()
    };
    for signal in [Signal::TSTP, Signal::TTIN, Signal::TTOU] {
        assert_eq!(effect(signal, &orphaned), Effect::Discarded);
        assert_eq!(effect(signal, &running()), Effect::Stops);
        assert_eq!(
            effect(signal, &in_state(Activity::Stopped)),
            Effect::Nothing
        );
    }
    assert_eq!(
        reason(Signal::TSTP, &orphaned),
        "discarded: SIGTSTP in an orphaned process group"
    );
    assert_eq!(
        reason(Signal::TSTP, &in_state(Activity::Stopped)),
        "nothing: already stopped; the next SIGCONT discards SIGTSTP"
    );
    // SIGSTOP still stops an orphaned group; a handler still runs.
    assert_eq!(effect(Signal::STOP, &orphaned), Effect::Stops);
    assert_eq!(
        effect(Signal::TSTP, &catching(&[Signal::TSTP], orphaned)),
        Effect::HandlerRuns
    );
}

#[test]
fn step_9_ignored_or_ignored_by_default_even_when_stopped() {
    for target in [running(), in_state(Activity::Stopped)] {
        assert_eq!(
            effect(Signal::TERM, &ignoring(&[Signal::TERM], target)),
            Effect::Ignored
        );
        for signal in [Signal::CHLD, Signal::URG, Signal::WINCH] {
            assert_eq!(effect(signal, &target), Effect::Ignored);
        }
    }
    assert_eq!(
        reason(Signal::TERM, &ignoring(&[Signal::TERM], running())),
        "ignored: SIGTERM is SIG_IGN"
    );
    assert_eq!(
        reason(Signal::CHLD, &running()),
        "ignored: SIGCHLD's default action is to ignore it"
    );
}

#[test]
fn step_10_a_namespace_init_ignores_what_it_has_no_handler_for() {
    let init = Target {
        namespace_init: NamespaceInit::SeenFromAncestor,
        ..catching(&[Signal::INT], running())
    };
    let rtmin: Signal = "RTMIN".parse().expect("a signal");
    for signal in [Signal::TERM, Signal::HUP, Signal::USR1, rtmin, Signal::QUIT] {
        assert_eq!(effect(signal, &init), Effect::Ignored, "{signal}");
    }
    assert_eq!(
        reason(Signal::TERM, &init),
        "ignored: PID 1 of a namespace ignores SIGTERM, for which it has no handler"
    );
    assert_eq!(effect(Signal::INT, &init), Effect::HandlerRuns);
}

#[test]
fn step_11_a_stopped_process_acts_when_continued() {
    let stopped = in_state(Activity::Stopped);
    assert_eq!(
        effect(Signal::TERM, &stopped),
        Effect::PendingUntilContinued
    );
    assert_eq!(
        effect(Signal::TERM, &catching(&[Signal::TERM], stopped)),
        Effect::PendingUntilContinued
    );
    assert_eq!(
        reason(Signal::TERM, &stopped),
        "pending until continued: it is stopped; SIGTERM acts once SIGCONT resumes it"
    );
}

#[test]
fn step_12_and_13_handler_or_default_action() {
    assert_eq!(
        effect(Signal::TERM, &catching(&[Signal::TERM], running())),
        Effect::HandlerRuns
    );
    assert_eq!(
        reason(Signal::TERM, &running()),
        "terminates: SIGTERM's default action"
    );
    assert_eq!(effect(Signal::TSTP, &running()), Effect::Stops);
    assert_eq!(effect(Signal::QUIT, &running()), Effect::TerminatesCore);
    assert!(
        Signal::all()
            .skip(31)
            .all(|s| effect(s, &running()) == Effect::Terminates)
    );
}

#[test]
fn a_core_dump_only_where_rlimit_core_and_core_pattern_allow() {
    let limited = |limit, piped| Target {
        core_limit: limit,
        core_piped: piped,
        ..running()
    };
    let zero = limited(CoreLimit::Bytes(0), false);
    assert_eq!(effect(Signal::QUIT, &zero), Effect::Terminates);
    assert_eq!(
        reason(Signal::QUIT, &zero),
        "terminates without a core dump: its RLIMIT_CORE is 0"
    );
    assert_eq!(
        effect(Signal::SEGV, &limited(CoreLimit::Unlimited, false)),
        Effect::TerminatesCore
    );
    assert!(
        reason(Signal::SEGV, &limited(CoreLimit::Unknown, false))
            .contains("depends on RLIMIT_CORE")
    );
    let piped = limited(CoreLimit::Bytes(0), true);
    assert_eq!(effect(Signal::QUIT, &piped), Effect::TerminatesCore);
    assert!(reason(Signal::QUIT, &piped).contains("RLIMIT_CORE does not limit"));
    assert_eq!(
        effect(Signal::QUIT, &limited(CoreLimit::Bytes(1), true)),
        Effect::Terminates
    );
}

#[test]
fn every_signal_has_a_reason_in_every_state() {
    let activities = [
        Activity::Running,
        Activity::DiskSleep,
        Activity::Stopped,
        Activity::TracingStop,
    ];
    for activity in activities {
        for signal in Signal::all() {
            let prediction = predict(signal, &in_state(activity));
            assert!(!prediction.reason.is_empty());
            assert_eq!(prediction.to_string(), prediction.reason);
        }
    }
}

#[test]
fn effects_serialize_as_the_spec_words() {
    let words: Vec<String> = [
        Effect::Terminates,
        Effect::TerminatesCore,
        Effect::PendingUntilContinued,
        Effect::QueuedForTracer,
        Effect::NotPermitted,
    ]
    .iter()
    .map(|e| serde_json::to_string(e).unwrap_or_default())
    .collect();
    assert_eq!(
        words,
        [
            "\"terminates\"",
            "\"terminates_core\"",
            "\"pending_until_continued\"",
            "\"queued_for_tracer\"",
            "\"not_permitted\""
        ]
    );
    assert_eq!(Effect::PendingBlocked.as_str(), "pending_blocked");
}
