//! `sigtree trace (PID | -- CMD) [--json]`: the subtree's events as they
//! happen, one line each — fork, exec, rename, setsid, exit with its
//! status — until the subtree is gone or sigtree is told to stop (Ctrl-C,
//! SIGTERM, SIGHUP). What the events came from is said once, on stderr.

use std::io::Write;

use anyhow::{Context as _, anyhow};
use serde::Serialize;

use std::time::{Duration, Instant};

use crate::engine::events::{Deadline, Event, Events};
use crate::engine::kernel::EventsSource;
use crate::engine::policy::Containment;
use crate::engine::session::{Launch, Session, Stamped, Traced, Who};
use crate::sys::monotonic_ms;
use crate::sys::wait::Ending;
use crate::text::escape_controls;
use crate::watch::model::signal_name;
use crate::watch::signals::{Delivery, Inferred, SiCode};

/// What `trace` watches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceTarget {
    /// A running process and its subtree.
    Pid(i32),
    /// A command sigtree starts (in its own group, under the keeper).
    Command(Vec<String>),
}

/// Streams `target`'s events to `out` (JSON lines with `json`); what they
/// come from goes to `notes`.
pub fn run(
    target: &TraceTarget,
    json: bool,
    out: &mut impl Write,
    notes: &mut impl Write,
) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find sigtree's own binary")?;
    let mut run = match target {
        TraceTarget::Pid(pid) => Session::start(&exe, Launch::Attach { pid: *pid })?,
        TraceTarget::Command(argv) => {
            let program = argv
                .first()
                .ok_or_else(|| anyhow!("no command given after --"))?;
            crate::sys::process::find_program(program)?;
            let launch = Launch::Command {
                argv,
                ready: None,
                contain: Containment::None,
            };
            Session::start(&exe, launch)?
        }
    };
    run.keep_journal();
    writeln!(notes, "sigtree: {}", source_note(run.events_source()))?;
    let mut events: Events<(), ()> = Events::new().context("cannot wait for events")?;
    events
        .catch_signals(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP])
        .context("cannot catch signals")?;
    let start_ms = run.watch.start_ms();
    let mut held = Vec::new();
    loop {
        // Woken when the oldest held event is due out.
        let due: Vec<Deadline<()>> = held
            .iter()
            .map(|stamped: &Stamped| stamped.at_ns / 1_000_000)
            .min()
            .map(|oldest| Deadline {
                at: instant_of(oldest + HOLD_MS),
                what: (),
            })
            .into_iter()
            .collect();
        let stop = matches!(events.next(&mut run, &due), Event::Signal(_));
        held.extend(run.take_journal());
        if stop || run.ended() {
            break;
        }
        let until = monotonic_ms().saturating_sub(HOLD_MS);
        print_until(&mut held, Some(until), start_ms, json, out)?;
    }
    run.finish();
    held.extend(run.take_journal());
    print_until(&mut held, None, start_ms, json, out)
}

/// How long an event is held before it is printed: the tracer's records
/// and the proc connector's come through different pipes, and a later
/// batch may hold an earlier event.
const HOLD_MS: u64 = 100;

/// The Instant of CLOCK_MONOTONIC ms `at_ms`.
fn instant_of(at_ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(at_ms.saturating_sub(monotonic_ms()))
}

/// Prints, in the order of their times, the held events up to `until`
/// (all of them without it), and flushes: a reader of a pipe sees them at
/// once.
fn print_until(
    held: &mut Vec<Stamped>,
    until: Option<u64>,
    start_ms: u64,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    // Stable: events of one time keep the order they were taken in.
    held.sort_by_key(|stamped| stamped.at_ns);
    let due = held
        .partition_point(|stamped| until.is_none_or(|until| stamped.at_ns / 1_000_000 <= until));
    for stamped in held.drain(..due) {
        print(&stamped, start_ms, json, out)?;
    }
    out.flush()?;
    Ok(())
}

/// What the events come from, said once.
fn source_note(source: EventsSource) -> &'static str {
    match source {
        EventsSource::Kernel => {
            "events from the kernel: the proc connector, and tracefs's signal events \
             (a default-fatal signal is taken as SIGKILL, the group exit: what killed a \
             process is in its exit)"
        }
        EventsSource::Lifecycle => {
            "lifecycle events from the kernel's proc connector; signals are not visible \
             (tracefs needs root)"
        }
        EventsSource::Polling => {
            "no kernel events here (proc connector unavailable): processes as walks find \
             them, exits from pidfds; signals are not visible"
        }
    }
}

/// One event as a JSON line (SPEC, "JSON": `trace`).
#[derive(Debug, Serialize)]
struct TraceLine {
    at_ms: u64,
    kind: &'static str,
    pid: i32,
    role: String,
    comm: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ppid: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cmd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<Option<i32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_pid: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_comm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_pid: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_group: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<SiCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Delivery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inferred: Option<Option<Inferred>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handler: Option<String>,
    /// A signal's sender in words (not a JSON key).
    #[serde(skip)]
    sender: Option<String>,
}

impl TraceLine {
    fn new(at_ms: u64, kind: &'static str, who: &Who) -> Self {
        Self {
            at_ms,
            kind,
            pid: who.pid,
            role: who.role.clone(),
            comm: who.comm.clone(),
            ppid: None,
            cmd: None,
            exit_code: None,
            signal: None,
            from_pid: None,
            from_comm: None,
            to_pid: None,
            to_group: None,
            code: None,
            result: None,
            inferred: None,
            handler: None,
            sender: None,
        }
    }
}

/// `traced` as its JSON line, times from `start_ms`.
fn line(traced: &Traced, start_ms: u64) -> TraceLine {
    let since = |at_ms: u64| at_ms.saturating_sub(start_ms);
    match traced {
        Traced::Fork {
            at_ms,
            child,
            parent,
        } => TraceLine {
            ppid: Some(*parent),
            ..TraceLine::new(since(*at_ms), "fork", child)
        },
        Traced::Exec { at_ms, who, cmd } => TraceLine {
            cmd: cmd.clone(),
            ..TraceLine::new(since(*at_ms), "exec", who)
        },
        Traced::Rename { at_ms, who } => TraceLine::new(since(*at_ms), "rename", who),
        Traced::Setsid { at_ms, who } => TraceLine::new(since(*at_ms), "setsid", who),
        Traced::Signal { received, to } => {
            let target = Who {
                pid: to.pid,
                role: to.role.clone().unwrap_or_else(|| "outside".into()),
                comm: to.comm.clone(),
            };
            TraceLine {
                signal: Some(Some(signal_name(received.signal))),
                from_pid: Some(received.from_pid),
                from_comm: Some(received.from_comm.clone()),
                to_pid: Some(to.pid),
                to_group: Some(to.group),
                code: Some(received.code),
                result: Some(received.result),
                inferred: Some(received.inferred),
                sender: Some(received.sender()),
                ..TraceLine::new(since(received.at_ms), "signal", &target)
            }
        }
        Traced::Deliver {
            at_ms,
            who,
            signal,
            handler,
        } => TraceLine {
            signal: Some(Some(signal_name(*signal))),
            handler: Some(format!("{handler:#x}")),
            ..TraceLine::new(since(*at_ms), "deliver", who)
        },
        Traced::Exit { at_ms, who, ending } => {
            let (exit_code, signal) = match ending {
                Some(Ending::Exited(code)) => (Some(*code), None),
                Some(Ending::Signaled(number)) => (None, Some(signal_name(*number))),
                None => (None, None),
            };
            TraceLine {
                exit_code: Some(exit_code),
                signal: Some(signal),
                ..TraceLine::new(since(*at_ms), "exit", who)
            }
        }
    }
}

/// `traced` in words: "+1.234 s  exit    4131 child (sh): exit 1".
fn words(line: &TraceLine) -> String {
    let who = format!(
        "{} {} ({})",
        line.pid,
        line.role,
        escape_controls(&line.comm)
    );
    let what = match line.kind {
        "fork" => format!(
            "{who}, child of {}",
            line.ppid.map_or_else(|| "?".into(), |p| p.to_string())
        ),
        "exec" => match &line.cmd {
            Some(cmd) => format!("{who}: {}", escape_controls(cmd)),
            None => format!("{who}: gone before its command line was read"),
        },
        "rename" => format!("{who} renamed itself"),
        "setsid" => format!("{who}: a new session and group {}", line.pid),
        "signal" => format!(
            "{} {} → {who}: {}",
            line.signal.clone().flatten().unwrap_or_default(),
            line.sender.clone().unwrap_or_default(),
            line.result.map_or("", Delivery::words)
        ),
        "deliver" => {
            let signal = line.signal.clone().flatten().unwrap_or_default();
            match line.handler.as_deref() {
                Some("0x0") => format!("{who} takes {signal}: the default action"),
                Some("0x1") => format!("{who} takes {signal}: ignored"),
                _ => format!("{who} takes {signal}: a handler runs"),
            }
        }
        _ => match (line.exit_code.flatten(), line.signal.clone().flatten()) {
            (Some(code), _) => format!("{who}: exit {code}"),
            (None, Some(signal)) => format!("{who}: died of {signal}"),
            (None, None) => format!("{who}: ended, status unknown"),
        },
    };
    format!(
        "+{}.{:03} s  {:<7} {what}",
        line.at_ms / 1000,
        line.at_ms % 1000,
        line.kind
    )
}

fn print(stamped: &Stamped, start_ms: u64, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let mut line = line(&stamped.traced, start_ms);
    // The time it is ordered by: an end another source learned first is
    // told at its exit event's time.
    line.at_ms = (stamped.at_ns / 1_000_000).saturating_sub(start_ms);
    if json {
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", words(&line))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(pid: i32, role: &str, comm: &str) -> Who {
        Who {
            pid,
            role: role.into(),
            comm: comm.into(),
        }
    }

    #[test]
    fn each_kind_in_words_and_json() {
        let fork = Traced::Fork {
            at_ms: 1250,
            child: who(41, "child", "sh"),
            parent: 40,
        };
        let exit = Traced::Exit {
            at_ms: 2001,
            who: who(41, "child", "sleep"),
            ending: Some(Ending::Signaled(libc::SIGTERM)),
        };
        let rename = Traced::Rename {
            at_ms: 1300,
            who: who(41, "child", "evil\x1b[2J"),
        };
        assert_eq!(
            words(&line(&fork, 1000)),
            "+0.250 s  fork    41 child (sh), child of 40"
        );
        assert_eq!(
            words(&line(&exit, 1000)),
            "+1.001 s  exit    41 child (sleep): died of SIGTERM"
        );
        assert_eq!(
            words(&line(&rename, 1000)),
            "+0.300 s  rename  41 child (evil\\e[2J) renamed itself"
        );
        let json = serde_json::to_value(line(&exit, 1000)).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"at_ms": 1001, "kind": "exit", "pid": 41, "role": "child",
                "comm": "sleep", "exit_code": null, "signal": "SIGTERM"})
        );
        let json = serde_json::to_value(line(&fork, 1000)).expect("serializes");
        assert_eq!(json["ppid"], 40);
        assert!(json.get("exit_code").is_none(), "{json}");
    }
}
