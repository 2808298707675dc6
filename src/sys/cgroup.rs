//! A cgroup v2 directory of its own for what the keeper starts (systemd's
//! containment): every process in it is found by the kernel's list
//! (cgroup.procs), killed at once (cgroup.kill, Linux 5.14) and known gone
//! (cgroup.events). Made under this process's own cgroup in the cgroup2
//! hierarchy, where this process may write (root, or a delegated tree).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// One cgroup directory made for a run.
#[derive(Debug)]
pub struct Cgroup {
    /// Its directory in the mounted cgroup2 hierarchy.
    dir: PathBuf,
    /// Its path inside the hierarchy, as /proc/PID/cgroup names it.
    name: String,
}

/// Numbers the cgroups one process makes.
static MADE: AtomicU32 = AtomicU32::new(0);

impl Cgroup {
    /// Makes a new cgroup under this process's own in the cgroup2
    /// hierarchy; an error where there is none or it may not write there.
    pub fn create() -> io::Result<Self> {
        let mount = cgroup2_mount()?;
        let own = own_cgroup()?;
        let leaf = format!(
            "sigtree-{}-{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        );
        let name = format!("{}/{leaf}", own.trim_end_matches('/'));
        let dir = mount.join(name.trim_start_matches('/'));
        if let Some(parent) = dir.parent() {
            remove_stale(parent);
        }
        std::fs::create_dir(&dir)?;
        Ok(Self { dir, name })
    }

    /// The cgroup at `dir`, made by another process (the keeper is given
    /// sigtree's).
    pub fn at(dir: PathBuf) -> io::Result<Self> {
        let mount = cgroup2_mount()?;
        let inside = dir
            .strip_prefix(&mount)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "not in the cgroup2 mount"))?;
        let name = format!("/{}", inside.display());
        Ok(Self { dir, name })
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its cgroup.procs, for a process to move itself in by writing "0".
    pub fn procs_file(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    /// The pids in it now, as the kernel lists them.
    pub fn pids(&self) -> io::Result<Vec<i32>> {
        let procs = std::fs::read_to_string(self.procs_file())?;
        Ok(procs.lines().filter_map(|pid| pid.parse().ok()).collect())
    }

    /// Whether `pid` is in it now (its /proc/PID/cgroup).
    pub fn holds(&self, pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|groups| {
            groups
                .lines()
                .any(|line| line.strip_prefix("0::") == Some(self.name.as_str()))
        })
    }

    /// Whether any process is in it (cgroup.events' `populated`).
    pub fn populated(&self) -> io::Result<bool> {
        let events = std::fs::read_to_string(self.dir.join("cgroup.events"))?;
        Ok(events.lines().any(|line| line == "populated 1"))
    }

    /// SIGKILL to every process in it and every one forked meanwhile.
    pub fn kill(&self) -> io::Result<()> {
        std::fs::write(self.dir.join("cgroup.kill"), "1")
    }

    /// Removes the directory (it must be empty: EBUSY while populated).
    pub fn remove(&self) -> io::Result<()> {
        match std::fs::remove_dir(&self.dir) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Kills what is in it and removes it once the kernel lets it (rmdir
    /// fails while a process is in it: one killed may still be exiting),
    /// trying for up to `within`.
    pub fn kill_and_remove(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self.remove().is_err() && Instant::now() < deadline {
            let _ = self.kill();
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Removes the cgroups under `parent` that a sigtree now dead made and left
/// empty (its keeper died with it before removing one).
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let owner = name
            .to_str()
            .and_then(|name| name.strip_prefix("sigtree-"))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        if let Some(owner) = owner
            && !Path::new(&format!("/proc/{owner}")).exists()
        {
            // An rmdir of a cgroup still holding processes fails: only
            // empty ones go.
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// Where the cgroup2 hierarchy is mounted (/proc/self/mountinfo).
pub fn cgroup2_mount() -> io::Result<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo")?;
    mounts
        .lines()
        .find_map(|line| {
            let (fields, after) = line.split_once(" - ")?;
            (after.split_whitespace().next() == Some("cgroup2"))
                .then(|| fields.split_whitespace().nth(4).map(PathBuf::from))?
        })
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no cgroup2 hierarchy is mounted"))
}

/// This process's cgroup in the cgroup2 hierarchy (the `0::` line).
fn own_cgroup() -> io::Result<String> {
    let groups = std::fs::read_to_string("/proc/self/cgroup")?;
    groups
        .lines()
        .find_map(|line| line.strip_prefix("0::").map(str::to_string))
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not in a cgroup2 hierarchy"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Command;

    #[test]
    fn a_process_moved_in_is_listed_killed_and_the_cgroup_removed() {
        let cgroup = match Cgroup::create() {
            Ok(cgroup) => cgroup,
            Err(error) => {
                eprintln!("skipped: no cgroup can be made here ({error})");
                return;
            }
        };
        let mut child = Command::new("sleep").arg("30").spawn().expect("sleep");
        let pid = child.id() as i32;
        if let Err(error) = std::fs::write(cgroup.procs_file(), pid.to_string()) {
            let _ = child.kill();
            let _ = child.wait();
            let _ = cgroup.remove();
            panic!("made a cgroup but cannot move a child in: {error}");
        }
        assert_eq!(cgroup.pids().expect("procs"), [pid]);
        assert!(cgroup.holds(pid));
        assert!(cgroup.populated().expect("events"));
        cgroup.kill().expect("cgroup.kill");
        let status = child.wait().expect("reap");
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        let again = Cgroup::at(cgroup.dir().to_path_buf()).expect("the same");
        assert!(!again.holds(pid));
        assert!(!again.populated().expect("events"));
        again.remove().expect("rmdir");
        assert!(!cgroup.dir().exists());
    }

    #[test]
    fn the_empty_cgroups_of_a_dead_sigtree_are_removed_and_a_live_ones_kept() {
        let Ok(first) = Cgroup::create() else {
            eprintln!("skipped: no cgroup can be made here");
            return;
        };
        let parent = first.dir().parent().expect("a parent").to_path_buf();
        let mut gone = Command::new("true").spawn().expect("true");
        let dead = gone.id();
        gone.wait().expect("reaped");
        let stale = parent.join(format!("sigtree-{dead}-0"));
        std::fs::create_dir(&stale).expect("a stale cgroup");
        let second = Cgroup::create().expect("another");
        assert!(!stale.exists(), "a dead sigtree's empty cgroup is removed");
        assert!(first.dir().exists(), "this live sigtree's is kept");
        first.remove().expect("rmdir");
        second.remove().expect("rmdir");
    }
}
