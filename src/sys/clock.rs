//! Clocks and the kernel's units for times and sizes in `/proc`.

use rustix::time::{ClockId, clock_gettime};

/// Milliseconds since boot, the clock of `/proc/PID/stat`'s start time
/// (CLOCK_BOOTTIME keeps counting during suspend, as starttime does).
pub fn boottime_ms() -> u64 {
    clock_ms(ClockId::Boottime)
}

/// Milliseconds on CLOCK_MONOTONIC: the clock every process of a run
/// stamps its reports with, comparable across processes.
pub fn monotonic_ms() -> u64 {
    clock_ms(ClockId::Monotonic)
}

fn clock_ms(clock: ClockId) -> u64 {
    let now = clock_gettime(clock);
    let secs = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    secs * 1000 + nanos / 1_000_000
}

/// The kernel's units for `/proc/PID/stat`: clock ticks and page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Units {
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
    pub ticks_per_second: u64,
    /// Page size in KiB.
    pub page_kib: u64,
}

impl Units {
    /// The units of the running kernel.
    pub fn current() -> Self {
        Self {
            ticks_per_second: procfs::ticks_per_second().max(1),
            page_kib: (procfs::page_size() / 1024).max(1),
        }
    }

    /// Converts clock ticks to milliseconds.
    pub fn ticks_to_ms(self, ticks: u64) -> u64 {
        ticks.saturating_mul(1000) / self.ticks_per_second
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boottime_advances_and_is_after_our_own_start() {
        let own_start_ticks = procfs::process::Process::myself()
            .and_then(|p| p.stat())
            .map(|s| s.starttime)
            .expect("own stat");
        let units = Units::current();
        let first = boottime_ms();
        assert!(first >= units.ticks_to_ms(own_start_ticks));
        assert!(boottime_ms() >= first);
    }

    #[test]
    fn ticks_convert_to_milliseconds() {
        let units = Units {
            ticks_per_second: 100,
            page_kib: 4,
        };
        assert_eq!(units.ticks_to_ms(250), 2500);
        assert_eq!(units.ticks_to_ms(u64::MAX), u64::MAX / 100);
    }
}
