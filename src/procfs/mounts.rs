//! How much of `/proc` this user may see: the `hidepid` mount option.

/// The visibility of other users' processes, from `/proc`'s `hidepid` option
/// (proc(5)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcVisibility {
    /// `hidepid=0` (or `off`): every process can be listed and read.
    All,
    /// `hidepid=1` (`noaccess`): other users' pids are listed but unreadable.
    OthersUnreadable,
    /// `hidepid=2` (`invisible`): other users' pids are not even listed.
    OthersInvisible,
    /// `hidepid=4` (`ptraceable`): only processes we may ptrace are listed.
    PtraceableOnly,
}

/// Reads `/proc/self/mountinfo`; when it cannot be read, assumes `All`.
pub fn proc_visibility() -> ProcVisibility {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|text| parse_proc_visibility(&text))
        .unwrap_or(ProcVisibility::All)
}

/// Finds the `hidepid` option of the procfs mounted at `/proc` (the last
/// such mount, the one on top) in the text of a mountinfo file.
pub fn parse_proc_visibility(mountinfo: &str) -> ProcVisibility {
    let mut visibility = ProcVisibility::All;
    for line in mountinfo.lines() {
        let mut fields = line.split(' ');
        let mount_point = fields.nth(4);
        // After the optional fields, " - " separates: fstype, source, super options.
        let mut tail = line.split_once(" - ").map_or("", |(_, t)| t).split(' ');
        let (fstype, super_options) = (tail.next(), tail.nth(1));
        if mount_point != Some("/proc") || fstype != Some("proc") {
            continue;
        }
        visibility = ProcVisibility::All;
        for option in super_options.unwrap_or("").split(',') {
            visibility = match option.strip_prefix("hidepid=") {
                Some("1" | "noaccess") => ProcVisibility::OthersUnreadable,
                Some("2" | "invisible") => ProcVisibility::OthersInvisible,
                Some("4" | "ptraceable") => ProcVisibility::PtraceableOnly,
                _ => continue,
            };
        }
    }
    visibility
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mountinfo(super_options: &str) -> String {
        format!(
            "25 1 0:23 / / rw,relatime - ext4 /dev/vda rw\n\
             26 25 0:24 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc {super_options}\n\
             27 25 0:25 / /sys rw - sysfs sysfs rw\n"
        )
    }

    #[test]
    fn hidepid_values_numeric_and_named() {
        let cases = [
            ("rw", ProcVisibility::All),
            ("rw,hidepid=0", ProcVisibility::All),
            ("rw,hidepid=1", ProcVisibility::OthersUnreadable),
            ("rw,hidepid=noaccess", ProcVisibility::OthersUnreadable),
            ("rw,hidepid=2,gid=10", ProcVisibility::OthersInvisible),
            ("rw,hidepid=invisible", ProcVisibility::OthersInvisible),
            ("rw,hidepid=ptraceable", ProcVisibility::PtraceableOnly),
        ];
        for (options, expected) in cases {
            assert_eq!(
                parse_proc_visibility(&mountinfo(options)),
                expected,
                "{options}"
            );
        }
    }

    #[test]
    fn the_top_mount_wins_and_other_mounts_are_ignored() {
        let text = format!(
            "{}40 26 0:30 / /proc rw - proc proc rw\n\
             41 25 0:31 / /other/proc rw - proc proc rw,hidepid=2\n",
            mountinfo("rw,hidepid=2")
        );
        assert_eq!(parse_proc_visibility(&text), ProcVisibility::All);
        assert_eq!(parse_proc_visibility(""), ProcVisibility::All);
    }
}
