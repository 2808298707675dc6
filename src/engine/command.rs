//! One vocabulary for what keys, the signal menu and `g`/`q` ask of the
//! processes: a [`Command`] value. [`Command::targets`] says what it hits
//! now, or why it is refused; [`Command::execute`] hits what the same
//! resolution gives. A confirmation holds the Command it will execute.

use super::reach::{self, Recipients, Sent, Targets};
use super::stop::{self, StopPlan, StopSequence};
use super::target::{Protected, SignalError};
use crate::engine::session::Session;
use crate::signal::sigset::Signal;

/// Something the user asks sigtree to do to processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Send `signal` to `to`.
    Signal {
        /// The signal.
        signal: Signal,
        /// Who gets it.
        to: Recipients,
    },
    /// Run the stop sequence.
    Stop(StopPlan),
}

/// What a command hits now.
#[derive(Debug)]
pub struct Plan<'r> {
    /// Each signal sent now, in order, with what it reaches.
    pub sends: Vec<(Signal, Targets<'r>)>,
    /// A stop goes on after these: its later steps reach the survivors and
    /// any descendant found later.
    pub later: bool,
}

/// What executing a command started or did.
#[derive(Debug)]
pub enum Executed {
    /// The signal was sent.
    Sent(Sent),
    /// The stop sequence runs.
    Stopping(StopSequence),
}

impl Command {
    /// What the command hits now, with the pidfds that reach each target,
    /// or why sigtree refuses it. A stop lists the signals of its first
    /// step; a target of it that has already ended is left out.
    pub fn targets<'r>(
        &self,
        run: &'r Session,
        protected: &Protected,
    ) -> Result<Plan<'r>, SignalError> {
        match *self {
            Self::Signal { signal, to } => Ok(Plan {
                sends: vec![(signal, reach::targets(run, protected, to)?)],
                later: false,
            }),
            Self::Stop(plan) => {
                let mut sends = Vec::new();
                for (signal, to) in stop::signals_now(run, &plan) {
                    match reach::targets(run, protected, to) {
                        Ok(targets) => sends.push((signal, targets)),
                        Err(SignalError::NoSuchTarget(_)) => {}
                        Err(error) => return Err(error),
                    }
                }
                Ok(Plan { sends, later: true })
            }
        }
    }

    /// Attached, a group signal first looks for the group's members again:
    /// one that appeared since the last scan may make it refused.
    pub fn look_again(&self, run: &mut Session) {
        if let Self::Signal {
            to: Recipients::Group,
            ..
        } = self
        {
            run.rescan_group();
        }
    }

    /// Does it: the signal to what [`Command::targets`] gives now, or the
    /// stop sequence, whose first step sends what it lists.
    pub fn execute(
        &self,
        run: &mut Session,
        protected: &Protected,
    ) -> Result<Executed, SignalError> {
        // What was born since the last walk is known before anything acts:
        // its ending is then the run's, not a stranger's.
        run.collect_now();
        self.look_again(run);
        match *self {
            // The same resolution as `targets` lists. What the send hits is
            // recorded by the caller, which knows the key that asked.
            Self::Signal { signal, to } => {
                reach::read_caught(run, protected, signal, to)?;
                let targets = reach::targets(run, protected, to)?;
                reach::send(&targets, protected, signal).map(Executed::Sent)
            }
            Self::Stop(plan) => StopSequence::start(run, protected, plan).map(Executed::Stopping),
        }
    }
}
