//! The full `/proc` scan against the cheapest honest reading of the same
//! files, with N extra idle processes (SPEC "Performance targets": the
//! stat-only scan within 1.5x the stat-only floor; `ps --json --signals`
//! within 1.5x the stat+status floor, the bar 2x).
//!
//! `cargo bench --bench scan` runs N = 0, 1000 and 5000 (override with
//! `SIGTREE_BENCH_N=0,200`). Run without `--bench` (as `cargo test --benches`
//! does) it only checks that every benchmark runs, with N = 0.
//!
//! Besides criterion's report, each group ends with one line from our own
//! timing (median of interleaved runs measured with `Instant`):
//! `N=1000: floor 11.8 ms, scan 13.0 ms, ratio 1.10, ...`, and one for
//! `ps --json --signals` (its whole work, the JSON written to a sink):
//! `N=1000: stat+status floor 27.5 ms, ps --json --signals 40.1 ms, ratio 1.46`.

use std::fs::{self, File};
use std::hint::black_box;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use sigtree::cli::PsArgs;
use sigtree::procfs::scan::{Reader, ScanOptions, list_pids};

/// Timed runs per function for the printed ratio line.
const TIMED_RUNS: usize = 30;

/// The idle processes of one group, all in one process group the bench
/// created. Dropping it (also while unwinding from a panic) kills each child
/// by its pid and reaps it; nothing is ever killed by name.
struct IdleProcesses {
    children: Vec<Child>,
    pgid: Option<i32>,
}

impl IdleProcesses {
    /// Spawns `n` `sleep 3600` processes. The first one leads a new process
    /// group and the others join it. Each also gets SIGKILL from the kernel
    /// should the bench die without unwinding (Ctrl-C, SIGKILL).
    fn spawn(n: usize) -> Self {
        let mut idle = Self {
            children: Vec::with_capacity(n),
            pgid: None,
        };
        let bench_pid = i32::try_from(std::process::id()).expect("pid fits i32");
        for _ in 0..n {
            let mut command = Command::new("sleep");
            command
                .arg("3600")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(idle.pgid.unwrap_or(0));
            // SAFETY: the closure runs in the forked child before exec and
            // calls only async-signal-safe functions (prctl, getppid, _exit);
            // it allocates nothing and takes no locks.
            unsafe {
                command.pre_exec(move || {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    // The bench may have died before the prctl took effect.
                    if libc::getppid() != bench_pid {
                        libc::_exit(1);
                    }
                    Ok(())
                });
            }
            let child = command.spawn().expect("spawn sleep 3600");
            if idle.pgid.is_none() {
                idle.pgid = Some(i32::try_from(child.id()).expect("pid fits i32"));
            }
            idle.children.push(child);
        }
        idle
    }

    /// Waits until every child has exec'd `sleep` and sleeps, and `/proc`
    /// lists at least `baseline + n` pids.
    fn wait_running(&self, baseline: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let target = baseline + self.children.len();
        let mut pending: Vec<u32> = self.children.iter().map(Child::id).collect();
        loop {
            pending.retain(|pid| {
                let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // "PID (sleep) S ..." once exec'd and asleep.
                !stat.contains("(sleep) S ")
            });
            let listed = list_pids().expect("list /proc").len();
            if pending.is_empty() && listed >= target {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "idle processes not running after 60 s: {} pending, {listed} of {target} pids listed",
                pending.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for IdleProcesses {
    fn drop(&mut self) {
        // The group leader is not reaped yet, so the pgid is still ours.
        if let Some(pgid) = self.pgid {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pgid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        // Nor is any child, so no pid was reused.
        for child in &mut self.children {
            let _ = child.kill();
        }
        for child in &mut self.children {
            let _ = child.wait();
        }
    }
}

/// Reads at most this much per `read` call, as sigtree's reader does.
const CHUNK: usize = 4096;

/// Appends the whole of `file` to `buf[used..]` and returns the new end.
/// `buf` stays fully initialized between calls (it only grows), so nothing
/// is zeroed or copied per file: one read per file, more only while a read
/// fills its chunk (a short read from a seq_file is the complete record).
fn append_file(file: &mut File, buf: &mut Vec<u8>, mut used: usize) -> usize {
    loop {
        if buf.len() - used < CHUNK {
            let grown = (buf.len() * 2).max(used + CHUNK);
            buf.resize(grown, 0);
        }
        let read = file.read(&mut buf[used..used + CHUNK]).unwrap_or(0);
        used += read;
        if read < CHUNK {
            return used;
        }
    }
}

/// The floor: list `/proc`, and for each numeric entry open each of
/// `files`, read it into one reused buffer (appending, no parsing), close.
/// Returns the number of files read and the bytes read.
fn raw_floor(files: &[&str], buf: &mut Vec<u8>, path: &mut String) -> (usize, usize) {
    let mut used = 0;
    let mut count = 0;
    for entry in fs::read_dir("/proc").expect("read_dir /proc") {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        for file in files {
            path.clear();
            path.push_str("/proc/");
            path.push_str(name);
            path.push('/');
            path.push_str(file);
            // A process that ended since the listing is simply skipped.
            let Ok(mut handle) = File::open(path.as_str()) else {
                continue;
            };
            used = append_file(&mut handle, buf, used);
            count += 1;
        }
    }
    (count, used)
}

/// The stat-only floor.
fn raw_floor_stat(buf: &mut Vec<u8>, path: &mut String) -> (usize, usize) {
    raw_floor(&["stat"], buf, path)
}

/// The stat+status floor: what `ps --json --signals` must read at least.
fn raw_floor_stat_status(buf: &mut Vec<u8>, path: &mut String) -> (usize, usize) {
    raw_floor(&["stat", "status"], buf, path)
}

/// `sigtree ps --json --signals`, all of it, the JSON written to a sink.
fn ps_json_signals() {
    let args = PsArgs {
        pid: None,
        tree: false,
        signals: true,
        orphans: false,
        json: true,
    };
    sigtree::cmd::ps::run(&args, None, &mut std::io::sink()).expect("ps --json --signals");
}

fn scan(reader: &mut Reader, cmdline: bool) -> usize {
    reader
        .snapshot(ScanOptions { cmdline })
        .expect("snapshot")
        .processes
        .len()
}

fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort_unstable();
    times[times.len() / 2].as_secs_f64() * 1e3
}

/// Times the three functions round-robin (so drift hits all alike) and
/// prints the medians and ratios.
fn print_ratio_line(n: usize, runs: usize) {
    let mut buf = vec![0; 1 << 20];
    let mut path = String::with_capacity(64);
    let mut reader = Reader::default();
    let mut floor = Vec::with_capacity(runs);
    let mut stat = Vec::with_capacity(runs);
    let mut cmdline = Vec::with_capacity(runs);
    let mut processes = 0;
    for _ in 0..runs {
        let start = Instant::now();
        black_box(raw_floor_stat(&mut buf, &mut path));
        floor.push(start.elapsed());
        let start = Instant::now();
        processes = black_box(scan(&mut reader, false));
        stat.push(start.elapsed());
        let start = Instant::now();
        black_box(scan(&mut reader, true));
        cmdline.push(start.elapsed());
    }
    let floor = median_ms(&mut floor);
    let stat = median_ms(&mut stat);
    let cmdline = median_ms(&mut cmdline);
    println!(
        "N={n}: floor {floor:.2} ms, scan {stat:.2} ms, ratio {:.2} \
         (scan+cmdline {cmdline:.2} ms, ratio {:.2}; {processes} processes, \
         median of {runs})",
        stat / floor,
        cmdline / floor,
    );
}

/// Times the stat+status floor and `ps --json --signals` round-robin and
/// prints the medians and their ratio.
fn print_ps_ratio_line(n: usize, runs: usize) {
    let mut buf = vec![0; 1 << 20];
    let mut path = String::with_capacity(64);
    let mut floor = Vec::with_capacity(runs);
    let mut ps = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        black_box(raw_floor_stat_status(&mut buf, &mut path));
        floor.push(start.elapsed());
        let start = Instant::now();
        ps_json_signals();
        ps.push(start.elapsed());
    }
    let floor = median_ms(&mut floor);
    let ps = median_ms(&mut ps);
    println!(
        "N={n}: stat+status floor {floor:.2} ms, ps --json --signals {ps:.2} ms, \
         ratio {:.2} (median of {runs})",
        ps / floor
    );
}

fn bench_n(c: &mut Criterion, n: usize, runs: usize) {
    let baseline = list_pids().expect("list /proc").len();
    let spawn_start = Instant::now();
    let idle = IdleProcesses::spawn(n);
    idle.wait_running(baseline);
    if n > 0 {
        eprintln!(
            "N={n}: {n} idle processes running in group {} after {:.1} s",
            idle.pgid.unwrap_or(0),
            spawn_start.elapsed().as_secs_f64()
        );
    }

    let mut group = c.benchmark_group(format!("scan/N={n}"));
    // Flat sampling: at N=5000 one scan takes tens of ms, and linear sampling
    // would need 210 iterations for 20 samples.
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);

    let mut buf = vec![0; 1 << 20];
    let mut path = String::with_capacity(64);
    group.bench_function("raw_floor_stat", |b| {
        b.iter(|| raw_floor_stat(&mut buf, &mut path));
    });
    let mut reader = Reader::default();
    group.bench_function("sigtree_scan_stat", |b| {
        b.iter(|| scan(&mut reader, false));
    });
    group.bench_function("sigtree_scan_stat_cmdline", |b| {
        b.iter(|| scan(&mut reader, true));
    });
    group.bench_function("raw_floor_stat_status", |b| {
        b.iter(|| raw_floor_stat_status(&mut buf, &mut path));
    });
    group.bench_function("sigtree_ps_json_signals", |b| {
        b.iter(ps_json_signals);
    });
    group.finish();

    print_ratio_line(n, runs);
    print_ps_ratio_line(n, runs);
    drop(idle);
}

fn main() {
    // Cargo passes --bench to `cargo bench` runs only; otherwise (cargo test
    // --benches) criterion runs each function once, and so do we, at N = 0.
    let bench_mode = std::env::args().any(|arg| arg == "--bench");
    let counts: Vec<usize> = match std::env::var("SIGTREE_BENCH_N") {
        Ok(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("SIGTREE_BENCH_N: comma-separated counts")
            })
            .collect(),
        Err(_) if bench_mode => vec![0, 1000, 5000],
        Err(_) => vec![0],
    };
    let runs = if bench_mode { TIMED_RUNS } else { 3 };

    let mut c = Criterion::default().configure_from_args();
    for n in counts {
        bench_n(&mut c, n, runs);
    }
    c.final_summary();
}
