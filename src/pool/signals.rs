//! A pool process's signal setup: from the scenario's reactions to
//! dispositions and mask, and the flag a handler leaves behind.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};

use super::scenario::{Reaction, Reactions};
use crate::sys::process::{
    SignalAction, exit_immediately, is_ignored, reset_signals, set_mask, set_signal_action,
};

/// The last signal a flag-setting handler caught (0: none).
static CAUGHT: AtomicI32 = AtomicI32::new(0);

extern "C" fn remember(signal: libc::c_int) {
    CAUGHT.store(signal, Ordering::SeqCst);
}

extern "C" fn exit_at_once(signal: libc::c_int) {
    exit_immediately(128 + signal);
}

/// The three signals a reaction table covers, with their reactions.
fn table(reactions: &Reactions) -> [(i32, Reaction); 3] {
    [
        (libc::SIGTERM, reactions.sigterm),
        (libc::SIGINT, reactions.sigint),
        (libc::SIGHUP, reactions.sighup),
    ]
}

/// Resets every disposition and the mask, then applies `reactions`. With
/// `keep_inherited_ignores`, a signal whose reaction is `default` but that
/// arrived ignored from the parent stays ignored, as Python keeps a SIGINT
/// ignored at start-up (signal(7), execve(2); the signal module's documentation).
pub fn apply(reactions: &Reactions, keep_inherited_ignores: bool) -> io::Result<()> {
    let inherited: Vec<i32> = table(reactions)
        .iter()
        .map(|&(signal, _)| signal)
        .filter(|&signal| keep_inherited_ignores && is_ignored(signal))
        .collect();
    reset_signals()?;
    for (signal, reaction) in table(reactions) {
        let reaction = if reaction == Reaction::Default && inherited.contains(&signal) {
            Reaction::Ignore
        } else {
            reaction
        };
        set_reaction(signal, reaction)?;
    }
    Ok(())
}

/// Sets one signal's reaction.
pub fn set_reaction(signal: i32, reaction: Reaction) -> io::Result<()> {
    let action = match reaction {
        Reaction::Default | Reaction::Block => SignalAction::Default,
        Reaction::Ignore => SignalAction::Ignore,
        Reaction::CatchCleanup => SignalAction::Handler {
            handler: remember,
            restart: false,
        },
        Reaction::Deferred => SignalAction::Handler {
            handler: remember,
            restart: true,
        },
        Reaction::CatchExit => SignalAction::Handler {
            handler: exit_at_once,
            restart: false,
        },
    };
    set_signal_action(signal, action)?;
    let how = if reaction == Reaction::Block {
        libc::SIG_BLOCK
    } else {
        libc::SIG_UNBLOCK
    };
    set_mask(how, &[signal])
}

/// The reaction whose handler has fired, if any.
pub fn caught(reactions: &Reactions) -> Option<Reaction> {
    let signal = CAUGHT.load(Ordering::SeqCst);
    table(reactions)
        .iter()
        .find(|&&(s, _)| s == signal)
        .map(|&(_, reaction)| reaction)
}
