//! The kernel's own event sources, used whenever they can be had and never
//! required (FACTS 10c): the proc connector's lifecycle events for the
//! watched tree ([`lifecycle`]); as root, tracefs's signal events, read by
//! a tracer process ([`tracer`]) and taken in by [`signals`].

pub mod lifecycle;
pub mod signals;
pub mod tracer;

/// What a run's events came from (SPEC, `events_source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventsSource {
    /// The proc connector and tracefs's signal events were both read.
    Kernel,
    /// Only the proc connector was read (no tracefs: not root).
    Lifecycle,
    /// Neither: walks, stat reads and pidfds only.
    Polling,
}

impl EventsSource {
    /// What the header says of it.
    pub fn words(self) -> &'static str {
        match self {
            Self::Kernel => "events: kernel (with signal senders)",
            Self::Lifecycle => "events: lifecycle (senders need root)",
            Self::Polling => "events: polling (may miss short lives)",
        }
    }
}
