//! Signal numbers, their names and default actions, and the 64-bit signal sets
//! of `/proc/PID/status` (`SigPnd`, `ShdPnd`, `SigBlk`, `SigIgn`, `SigCgt`).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Names of signals 1..=64, as bash's `kill -l` prints them.
static NAMES: [&str; 64] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
    "SIG32",
    "SIG33",
    "SIGRTMIN",
    "SIGRTMIN+1",
    "SIGRTMIN+2",
    "SIGRTMIN+3",
    "SIGRTMIN+4",
    "SIGRTMIN+5",
    "SIGRTMIN+6",
    "SIGRTMIN+7",
    "SIGRTMIN+8",
    "SIGRTMIN+9",
    "SIGRTMIN+10",
    "SIGRTMIN+11",
    "SIGRTMIN+12",
    "SIGRTMIN+13",
    "SIGRTMIN+14",
    "SIGRTMIN+15",
    "SIGRTMAX-14",
    "SIGRTMAX-13",
    "SIGRTMAX-12",
    "SIGRTMAX-11",
    "SIGRTMAX-10",
    "SIGRTMAX-9",
    "SIGRTMAX-8",
    "SIGRTMAX-7",
    "SIGRTMAX-6",
    "SIGRTMAX-5",
    "SIGRTMAX-4",
    "SIGRTMAX-3",
    "SIGRTMAX-2",
    "SIGRTMAX-1",
    "SIGRTMAX",
];

/// First real-time signal as the C library numbers it (`SIGRTMIN`).
const RTMIN: i32 = 34;
/// Last real-time signal (`SIGRTMAX`).
const RTMAX: i32 = 64;

/// A Linux signal number, 1..=64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(u8);

impl Signal {
    /// `SIGHUP` (1).
    pub const HUP: Signal = Signal(1);
    /// `SIGINT` (2).
    pub const INT: Signal = Signal(2);
    /// `SIGQUIT` (3).
    pub const QUIT: Signal = Signal(3);
    /// `SIGILL` (4).
    pub const ILL: Signal = Signal(4);
    /// `SIGTRAP` (5).
    pub const TRAP: Signal = Signal(5);
    /// `SIGABRT` (6), alias `SIGIOT`.
    pub const ABRT: Signal = Signal(6);
    /// `SIGBUS` (7).
    pub const BUS: Signal = Signal(7);
    /// `SIGFPE` (8).
    pub const FPE: Signal = Signal(8);
    /// `SIGKILL` (9): cannot be caught, blocked or ignored.
    pub const KILL: Signal = Signal(9);
    /// `SIGUSR1` (10).
    pub const USR1: Signal = Signal(10);
    /// `SIGSEGV` (11).
    pub const SEGV: Signal = Signal(11);
    /// `SIGUSR2` (12).
    pub const USR2: Signal = Signal(12);
    /// `SIGPIPE` (13).
    pub const PIPE: Signal = Signal(13);
    /// `SIGALRM` (14).
    pub const ALRM: Signal = Signal(14);
    /// `SIGTERM` (15).
    pub const TERM: Signal = Signal(15);
    /// `SIGSTKFLT` (16).
    pub const STKFLT: Signal = Signal(16);
    /// `SIGCHLD` (17), alias `SIGCLD`.
    pub const CHLD: Signal = Signal(17);
    /// `SIGCONT` (18).
    pub const CONT: Signal = Signal(18);
    /// `SIGSTOP` (19): cannot be caught, blocked or ignored.
    pub const STOP: Signal = Signal(19);
    /// `SIGTSTP` (20).
    pub const TSTP: Signal = Signal(20);
    /// `SIGTTIN` (21).
    pub const TTIN: Signal = Signal(21);
    /// `SIGTTOU` (22).
    pub const TTOU: Signal = Signal(22);
    /// `SIGURG` (23).
    pub const URG: Signal = Signal(23);
    /// `SIGXCPU` (24).
    pub const XCPU: Signal = Signal(24);
    /// `SIGXFSZ` (25).
    pub const XFSZ: Signal = Signal(25);
    /// `SIGVTALRM` (26).
    pub const VTALRM: Signal = Signal(26);
    /// `SIGPROF` (27).
    pub const PROF: Signal = Signal(27);
    /// `SIGWINCH` (28).
    pub const WINCH: Signal = Signal(28);
    /// `SIGIO` (29), alias `SIGPOLL`.
    pub const IO: Signal = Signal(29);
    /// `SIGPWR` (30).
    pub const PWR: Signal = Signal(30);
    /// `SIGSYS` (31).
    pub const SYS: Signal = Signal(31);

    /// The signal numbered `n`, or `None` outside 1..=64.
    pub const fn new(n: i32) -> Option<Signal> {
        if matches!(n, 1..=64) {
            Some(Signal(n as u8))
        } else {
            None
        }
    }

    /// The signal number, 1..=64.
    pub fn number(self) -> i32 {
        i32::from(self.0)
    }

    /// The full name, such as `SIGTERM`, `SIG32` or `SIGRTMIN+2`.
    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0) - 1]
    }

    /// The name without its `SIG` prefix, such as `TERM` or `RTMIN+2`;
    /// `SIG32` and `SIG33` keep theirs, since a bare number reads as a count.
    pub fn short_name(self) -> &'static str {
        let name = self.name();
        if name[3..].starts_with(|c: char| c.is_ascii_digit()) {
            name
        } else {
            &name[3..]
        }
    }

    /// What the kernel does when the signal arrives with its default handler (signal(7)).
    pub fn default_action(self) -> DefaultAction {
        match self {
            Self::QUIT
            | Self::ILL
            | Self::TRAP
            | Self::ABRT
            | Self::BUS
            | Self::FPE
            | Self::SEGV
            | Self::XCPU
            | Self::XFSZ
            | Self::SYS => DefaultAction::Core,
            Self::CHLD | Self::URG | Self::WINCH => DefaultAction::Ignore,
            Self::CONT => DefaultAction::Continue,
            Self::STOP | Self::TSTP | Self::TTIN | Self::TTOU => DefaultAction::Stop,
            _ => DefaultAction::Terminate,
        }
    }

    /// Every signal, 1 to 64 in ascending order.
    pub fn all() -> impl Iterator<Item = Signal> {
        (1..=64).map(Signal)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Signal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Signal {
    /// Reads any spelling [`FromStr`] accepts: "TERM", "SIGTERM", "15".
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A non-empty run of ASCII digits as a number (no sign, no spaces).
fn digits(s: &str) -> Option<i32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A real-time name without `SIG`: `RTMIN`, `RTMIN+n`, `RTMAX`, `RTMAX-n`.
fn realtime(s: &str) -> Option<i32> {
    if let Some(rest) = s.strip_prefix("RTMIN") {
        match rest.strip_prefix('+') {
            None if rest.is_empty() => Some(RTMIN),
            Some(n) => Some(RTMIN + digits(n)?),
            None => None,
        }
    } else if let Some(rest) = s.strip_prefix("RTMAX") {
        match rest.strip_prefix('-') {
            None if rest.is_empty() => Some(RTMAX),
            Some(n) => Some(RTMAX - digits(n)?),
            None => None,
        }
    } else {
        None
    }
}

impl FromStr for Signal {
    type Err = ParseSignalError;

    /// Accepts a name with or without `SIG` (any case), a number 1..=64,
    /// `RTMIN+n` / `RTMAX-n`, and the aliases `IOT`, `POLL` and `CLD`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        let number = match bare {
            "IOT" => Some(Self::ABRT.number()),
            "POLL" => Some(Self::IO.number()),
            "CLD" => Some(Self::CHLD.number()),
            _ => digits(bare)
                .or_else(|| realtime(bare).filter(|n| (RTMIN..=RTMAX).contains(n)))
                .or_else(|| {
                    Self::all()
                        .find(|sig| sig.short_name() == bare)
                        .map(Self::number)
                }),
        };
        number
            .and_then(Signal::new)
            .ok_or_else(|| ParseSignalError(s.to_owned()))
    }
}

/// A string that names no signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseSignalError(
    /// The rejected input, as given.
    pub String,
);

impl fmt::Display for ParseSignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown signal '{}': use a name such as TERM or SIGTERM, or a number 1-64",
            self.0
        )
    }
}

impl std::error::Error for ParseSignalError {}

/// A signal's default action, per signal(7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// The process terminates.
    Terminate,
    /// The process terminates and dumps core.
    Core,
    /// The process stops.
    Stop,
    /// A stopped process continues.
    Continue,
    /// The signal is discarded.
    Ignore,
}

impl DefaultAction {
    /// Lower-case word for the action: `terminate`, `core`, `stop`, `continue`, `ignore`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Terminate => "terminate",
            Self::Core => "core",
            Self::Stop => "stop",
            Self::Continue => "continue",
            Self::Ignore => "ignore",
        }
    }
}

impl fmt::Display for DefaultAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of signals in the layout of `/proc/PID/status`: bit n-1 is signal n.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SigSet(u64);

impl SigSet {
    /// The set whose raw mask is `bits`.
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The raw mask.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set with no signal.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Whether `signal` is in the set.
    pub fn contains(self, signal: Signal) -> bool {
        self.0 & bit(signal) != 0
    }

    /// This set plus `signal`.
    pub fn with(self, signal: Signal) -> Self {
        Self(self.0 | bit(signal))
    }

    /// Signals in either set.
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Signals in both sets.
    pub fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// Whether the set has no signal.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many signals the set holds.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The signals in ascending order.
    pub fn iter(self) -> impl Iterator<Item = Signal> {
        Signal::all().filter(move |&signal| self.contains(signal))
    }

    /// The full names of the signals, in ascending order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Signal::name).collect()
    }
}

/// The mask bit of `signal`.
fn bit(signal: Signal) -> u64 {
    1 << (signal.0 - 1)
}

impl FromIterator<Signal> for SigSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(iter: I) -> Self {
        iter.into_iter().fold(Self::empty(), Self::with)
    }
}

impl Serialize for SigSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl fmt::Display for SigSet {
    /// Comma-separated short names (`TERM,USR1`), or `-` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("-");
        }
        for (i, signal) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(signal.short_name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(n: i32) -> Signal {
        Signal::new(n).unwrap_or_else(|| panic!("{n} is a signal"))
    }

    #[test]
    fn names_round_trip_through_from_str() {
        for signal in Signal::all() {
            assert_eq!(signal.name().parse(), Ok(signal));
            assert_eq!(signal.short_name().parse(), Ok(signal));
            assert_eq!(signal.number().to_string().parse(), Ok(signal));
            assert_eq!(signal.name().to_lowercase().parse(), Ok(signal));
            assert_eq!(Signal::new(signal.number()), Some(signal));
            assert_eq!(signal.to_string(), signal.name());
        }
        assert_eq!(Signal::all().count(), 64);
    }

    #[test]
    fn names_at_key_points() {
        let expected = [
            (1, "SIGHUP"),
            (16, "SIGSTKFLT"),
            (29, "SIGIO"),
            (30, "SIGPWR"),
            (31, "SIGSYS"),
            (32, "SIG32"),
            (33, "SIG33"),
            (34, "SIGRTMIN"),
            (35, "SIGRTMIN+1"),
            (49, "SIGRTMIN+15"),
            (50, "SIGRTMAX-14"),
            (63, "SIGRTMAX-1"),
            (64, "SIGRTMAX"),
        ];
        for (n, name) in expected {
            assert_eq!(sig(n).name(), name);
        }
        assert_eq!(Signal::TERM.short_name(), "TERM");
        assert_eq!(sig(36).short_name(), "RTMIN+2");
        assert_eq!(sig(32).short_name(), "SIG32");
    }

    #[test]
    fn names_are_distinct() {
        let mut names: Vec<_> = Signal::all().map(Signal::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 64);
    }

    #[test]
    fn consts_match_libc() {
        let pairs = [
            (Signal::HUP, libc::SIGHUP),
            (Signal::INT, libc::SIGINT),
            (Signal::QUIT, libc::SIGQUIT),
            (Signal::ILL, libc::SIGILL),
            (Signal::TRAP, libc::SIGTRAP),
            (Signal::ABRT, libc::SIGABRT),
            (Signal::ABRT, libc::SIGIOT),
            (Signal::BUS, libc::SIGBUS),
            (Signal::FPE, libc::SIGFPE),
            (Signal::KILL, libc::SIGKILL),
            (Signal::USR1, libc::SIGUSR1),
            (Signal::SEGV, libc::SIGSEGV),
            (Signal::USR2, libc::SIGUSR2),
            (Signal::PIPE, libc::SIGPIPE),
            (Signal::ALRM, libc::SIGALRM),
            (Signal::TERM, libc::SIGTERM),
            (Signal::STKFLT, libc::SIGSTKFLT),
            (Signal::CHLD, libc::SIGCHLD),
            (Signal::CONT, libc::SIGCONT),
            (Signal::STOP, libc::SIGSTOP),
            (Signal::TSTP, libc::SIGTSTP),
            (Signal::TTIN, libc::SIGTTIN),
            (Signal::TTOU, libc::SIGTTOU),
            (Signal::URG, libc::SIGURG),
            (Signal::XCPU, libc::SIGXCPU),
            (Signal::XFSZ, libc::SIGXFSZ),
            (Signal::VTALRM, libc::SIGVTALRM),
            (Signal::PROF, libc::SIGPROF),
            (Signal::WINCH, libc::SIGWINCH),
            (Signal::IO, libc::SIGIO),
            (Signal::IO, libc::SIGPOLL),
            (Signal::PWR, libc::SIGPWR),
            (Signal::SYS, libc::SIGSYS),
        ];
        for (signal, number) in pairs {
            assert_eq!(signal.number(), number, "{signal}");
        }
        assert_eq!(sig(libc::SIGRTMIN()).name(), "SIGRTMIN");
        assert_eq!(sig(libc::SIGRTMAX()).name(), "SIGRTMAX");
    }

    #[test]
    fn default_actions_follow_signal_7() {
        use DefaultAction::*;
        let expected = [
            Terminate, Terminate, Core, Core, Core, Core, Core, Core, // 1-8
            Terminate, Terminate, Core, Terminate, Terminate, Terminate, Terminate, // 9-15
            Terminate, Ignore, Continue, Stop, Stop, Stop, Stop, Ignore, // 16-23
            Core, Core, Terminate, Terminate, Ignore, Terminate, Terminate, Core, // 24-31
        ];
        for (signal, action) in Signal::all().zip(expected) {
            assert_eq!(signal.default_action(), action, "{signal}");
        }
        assert!(
            Signal::all()
                .skip(31)
                .all(|s| s.default_action() == Terminate)
        );
        assert_eq!(Core.to_string(), "core");
        assert_eq!(Continue.as_str(), "continue");
    }

    #[test]
    fn parse_accepts() {
        let cases = [
            ("TERM", 15),
            ("SIGTERM", 15),
            ("sigterm", 15),
            ("Term", 15),
            ("  kill\n", 9),
            ("15", 15),
            ("1", 1),
            ("64", 64),
            ("SIG32", 32),
            ("32", 32),
            ("RTMIN", 34),
            ("SIGRTMIN", 34),
            ("RTMIN+0", 34),
            ("RTMIN+2", 36),
            ("rtmin+20", 54),
            ("SIGRTMIN+30", 64),
            ("RTMAX", 64),
            ("RTMAX-0", 64),
            ("RTMAX-1", 63),
            ("SIGRTMAX-30", 34),
            ("IOT", 6),
            ("SIGIOT", 6),
            ("POLL", 29),
            ("sigpoll", 29),
            ("CLD", 17),
            ("SIGCLD", 17),
            ("STKFLT", 16),
            ("PWR", 30),
        ];
        for (input, n) in cases {
            assert_eq!(input.parse(), Ok(sig(n)), "{input:?}");
        }
    }

    #[test]
    fn parse_rejects() {
        for input in [
            "",
            " ",
            "SIG",
            "0",
            "65",
            "-1",
            "+1",
            "1.0",
            "RTMIN+31",
            "RTMAX-31",
            "RTMIN-1",
            "RTMAX+1",
            "RTMIN+",
            "FOO",
            "SIGFOO",
            "SIGSIGTERM",
            "TERM1",
            "99999999999",
        ] {
            assert_eq!(
                input.parse::<Signal>(),
                Err(ParseSignalError(input.to_owned())),
                "{input:?}"
            );
        }
        let err = "FOO".parse::<Signal>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unknown signal 'FOO': use a name such as TERM or SIGTERM, or a number 1-64")
        );
    }

    #[test]
    fn sigset_decodes_status_masks() {
        assert_eq!(SigSet::from_bits(0x4000).names(), ["SIGTERM"]);
        assert_eq!(SigSet::from_bits(0x1000).names(), ["SIGPIPE"]);
        assert_eq!(SigSet::from_bits(0x440).names(), ["SIGBUS", "SIGSEGV"]);
        assert_eq!(SigSet::from_bits(1 << 63).names(), ["SIGRTMAX"]);
        assert_eq!(SigSet::from_bits(1).names(), ["SIGHUP"]);
        assert_eq!(SigSet::from_bits(u64::MAX).len(), 64);
        assert_eq!(
            SigSet::from_bits(u64::MAX).iter().collect::<Vec<_>>(),
            Signal::all().collect::<Vec<_>>()
        );
    }

    #[test]
    fn sigset_operations() {
        let set: SigSet = [Signal::USR1, Signal::TERM, Signal::HUP]
            .into_iter()
            .collect();
        assert_eq!(set.bits(), 0x4201);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Signal::HUP, Signal::USR1, Signal::TERM]
        );
        assert!(set.contains(Signal::TERM));
        assert!(!set.contains(Signal::KILL));
        assert_eq!(set.len(), 3);
        assert!(!set.is_empty());
        assert!(SigSet::empty().is_empty());
        assert_eq!(SigSet::default(), SigSet::empty());
        assert_eq!(SigSet::empty().with(Signal::TERM).bits(), 0x4000);
        let other = SigSet::empty().with(Signal::TERM).with(Signal::INT);
        assert_eq!(set.union(other).bits(), 0x4203);
        assert_eq!(set.intersection(other).bits(), 0x4000);
    }

    #[test]
    fn sigset_display_and_json() {
        let set = SigSet::from_bits(0x4200).with(sig(36));
        assert_eq!(set.to_string(), "USR1,TERM,RTMIN+2");
        assert_eq!(SigSet::empty().to_string(), "-");
        assert_eq!(
            serde_json::to_string(&set).ok().as_deref(),
            Some(r#"["SIGUSR1","SIGTERM","SIGRTMIN+2"]"#)
        );
        assert_eq!(
            serde_json::to_string(&SigSet::empty()).ok().as_deref(),
            Some("[]")
        );
        assert_eq!(
            serde_json::to_string(&Signal::TERM).ok().as_deref(),
            Some(r#""SIGTERM""#)
        );
    }
}
