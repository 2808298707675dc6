//! The "holding up the stop" strip: while a stop is under way, every
//! survivor that the stop's signal does not end, with the reason — the
//! effect model's sentence for that signal on what the session read of it
//! (ignored, blocked by every thread, stopped, caught, a namespace's init,
//! traced), or what keeps any signal from ending it (a zombie nobody reaps,
//! a process that left the group, an uninterruptible sleep).

use super::{Model, StopUnderWay};
use crate::signal::effect::{Effect, predict};
use crate::tui::question::target_of;
use crate::tui::screen::Holding;
use crate::watch::model::{Observed, Source};

/// The survivors holding up the stop under way; none when there is none.
pub fn holding(app: &Model<'_>) -> Vec<Holding> {
    let Some(stop) = app.stop else {
        return Vec::new();
    };
    app.run
        .watch
        .processes()
        .values()
        // Attached, the group's members outside the subtree are never stopped.
        .filter(|p| !p.outside)
        .filter_map(|p| {
            Some(Holding {
                pid: p.seen.pid,
                role: p.role.clone(),
                reason: reason(app, p, stop)?,
            })
        })
        .collect()
}

/// Whether `process` is a zombie now: seen as one, and not yet reaped.
pub fn zombie_now(process: &Observed) -> bool {
    process.zombie_since.is_some()
        && process.reaped_at.is_none()
        && !matches!(process.ending, Some((_, Source::Pidfd | Source::Inferred)))
}

/// Why `process` outlives `stop`, or `None` when it does not hold the stop
/// up (it ended, or the stop's signal ends it). The stop event alone is
/// held up only by what cannot act on it: a zombie, a process stopped or
/// in an uninterruptible sleep.
fn reason(app: &Model<'_>, process: &Observed, stop: StopUnderWay) -> Option<String> {
    if zombie_now(process) {
        return Some(format!(
            "zombie: exited, not reaped by its parent {}",
            process.seen.ppid
        ));
    }
    if process.has_ended() {
        return None;
    }
    let pid = process.seen.pid;
    let signal = match stop {
        StopUnderWay::Signal(signal) => signal,
        StopUnderWay::Event => return event_reason(app, pid),
    };
    if app.run.watch.escaped_group(process) {
        return Some(format!(
            "left the group: in group {} now, which the group's signals miss",
            process.seen.pgid
        ));
    }
    let record = app.run.status.get(&pid)?;
    if record.state.letter() == 'D' {
        return Some(format!(
            "uninterruptible sleep in {}: {} acts only when it wakes",
            wchan(app, pid),
            signal.name()
        ));
    }
    let prediction = predict(signal, &target_of(app, pid, record));
    match prediction.effect {
        Effect::Terminates | Effect::TerminatesCore | Effect::Gone => None,
        _ => Some(prediction.reason),
    }
}

/// Why a process holds up the stop event: it cannot act on it now.
fn event_reason(app: &Model<'_>, pid: i32) -> Option<String> {
    match app.run.status.get(&pid)?.state.letter() {
        'D' => Some(format!(
            "uninterruptible sleep in {}: it sees the stop event only when it wakes",
            wchan(app, pid)
        )),
        'T' | 't' => Some("stopped: it sees the stop event only once continued".into()),
        _ => None,
    }
}

/// Where `pid` sleeps, as last read; "the kernel" when unknown.
fn wchan(app: &Model<'_>, pid: i32) -> String {
    let wchan = app
        .run
        .closer
        .get(&pid)
        .map_or("", |closer| closer.wchan.as_str());
    if wchan.is_empty() || wchan == "0" {
        "the kernel".to_string()
    } else {
        wchan.to_string()
    }
}
