//! The "holding up the stop" strip: while a stop is under way, every
//! survivor that the stop's signal does not end, with the reason — the
//! effect model's sentence for that signal on what the session read of it
//! (ignored, blocked by every thread, stopped, caught, a namespace's init,
//! traced), or what keeps any signal from ending it (a zombie nobody reaps,
//! a process that left the group, an uninterruptible sleep).

use super::Model;
use crate::signal::effect::{Effect, predict};
use crate::signal::sigset::Signal;
use crate::tui::question::target_of;
use crate::tui::screen::Holding;
use crate::watch::model::{Observed, Source};

/// The survivors holding up a stop that sent (or will send) `signal`; none
/// when no stop is under way.
pub fn holding(app: &Model<'_>) -> Vec<Holding> {
    let Some(signal) = app.stop_signal else {
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
                reason: reason(app, p, signal)?,
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

/// Why `process` outlives `signal`, or `None` when it does not hold the
/// stop up (it ended, or the signal ends it).
fn reason(app: &Model<'_>, process: &Observed, signal: Signal) -> Option<String> {
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
    if app.run.watch.escaped_group(process) {
        return Some(format!(
            "left the group: in group {} now, which the group's signals miss",
            process.seen.pgid
        ));
    }
    let record = app.run.status.get(&pid)?;
    if record.state.letter() == 'D' {
        let wchan = app
            .run
            .closer
            .get(&pid)
            .map_or("", |closer| closer.wchan.as_str());
        let wchan = if wchan.is_empty() || wchan == "0" {
            "the kernel".to_string()
        } else {
            wchan.to_string()
        };
        return Some(format!(
            "uninterruptible sleep in {wchan}: {} acts only when it wakes",
            signal.name()
        ));
    }
    let prediction = predict(signal, &target_of(app, pid, record));
    match prediction.effect {
        Effect::Terminates | Effect::TerminatesCore | Effect::Gone => None,
        _ => Some(prediction.reason),
    }
}
