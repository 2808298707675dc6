//! Stop policies as data: what each runtime sends, to whom, how long it
//! waits, how it escalates and when it considers the stop done — the table
//! of the spec's "Stop policies", each row exact, with the paragraph that
//! explains it. Pure: the stop sequence runs a [`PolicyPlan`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::signal::sigset::Signal;

/// A named stop sequence: sigtree's own, or a runtime's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// sigtree's own: stop event, the stop signal and SIGCONT, SIGKILL to
    /// the group, SIGKILL by pidfd to escapees.
    Sigtree,
    /// `docker stop`.
    Docker,
    /// Kubernetes' pod termination (preStop not modelled).
    K8s,
    /// systemd with KillMode=control-group.
    Systemd,
    /// systemd with KillMode=mixed.
    SystemdMixed,
    /// supervisord with its defaults.
    Supervisord,
    /// supervisord with stopasgroup and killasgroup.
    SupervisordGroup,
    /// process-compose.
    ProcessCompose,
    /// tini as PID 1, forwarding to its child.
    Tini,
    /// tini -g as PID 1, forwarding to its child's group.
    TiniG,
    /// honcho (foreman's Python port).
    Honcho,
    /// s6-svc -d.
    S6,
    /// runit's sv down.
    Runit,
}

/// Who a policy's signal goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The process the runtime started (PID 1 of its container, the main
    /// process of a unit, a supervised program).
    Leader,
    /// The leader's process group.
    Group,
    /// Every process of the run's cgroup, whatever its group or session.
    Cgroup,
    /// tini's forwarding: the signal goes to sigtree's init as PID 1,
    /// which sends it on to its child (`group`: to the child's group).
    ThroughInit {
        /// tini -g: forwarded to the child's whole group.
        group: bool,
    },
    /// PID 1 of the run's pid namespace: sigtree's init playing tini (the
    /// leader where the namespace is emulated).
    Pid1,
}

/// What contains the run, so that a policy's teardown is the kernel's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Containment {
    /// Nothing beyond the keeper's subreaping.
    None,
    /// A new pid namespace: the leader is its PID 1, and its death kills
    /// every other process in it.
    PidNamespace,
    /// A new pid namespace whose PID 1 is sigtree's init, playing tini:
    /// the command is its child, in a group of its own.
    InitNamespace {
        /// tini -g: the init forwards what it receives to its child's
        /// whole group, not to its child alone.
        group: bool,
    },
    /// A cgroup v2 directory: cgroup.kill and cgroup.events.
    Cgroup,
}

/// How long a policy waits after its first signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A grace period, then the escalation.
    Grace(Duration),
    /// No timeout: the runtime waits for ever (until `--grace` gives one).
    Forever,
}

/// When the runtime would say the stop is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// Nothing sigtree watches lives (sigtree's own rule).
    NothingLeft,
    /// PID 1 of the namespace (the leader, or sigtree's init as tini) exited.
    Pid1Exits,
    /// The cgroup is empty.
    CgroupEmpty,
    /// The leader was reaped.
    LeaderReaped,
    /// The leader exited.
    LeaderExits,
    /// Every process the runtime started has stopped.
    AllStopped,
    /// The process is gone, or the runtime's wait is over.
    ProcessGoneOrWaitOver,
}

/// One policy made concrete for a run: what the stop sequence executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyPlan {
    /// The policy this is.
    pub policy: Policy,
    /// Set the pool's stop event first and wait up to half the grace.
    pub stop_event_first: bool,
    /// The first signal and who gets it.
    pub first: (Signal, Reach),
    /// SIGCONT after the first signal, to the same recipients.
    pub continue_after: bool,
    /// How long to wait before escalating.
    pub wait: Wait,
    /// The escalation, if the runtime has one.
    pub escalation: Option<(Signal, Reach)>,
    /// The escalation happens only while the leader lives
    /// (process-compose).
    pub escalate_only_while_leader_lives: bool,
    /// When the runtime would report the stop done.
    pub done: Done,
    /// What contains the run.
    pub containment: Containment,
}

/// How long a policy without a timeout and without an ending process
/// goes on before sigtree calls it over.
pub const ENDLESS_POLICY_LIMIT: Duration = Duration::from_secs(30);

impl Policy {
    /// Every policy, in the spec's order.
    pub const ALL: [Policy; 13] = [
        Policy::Sigtree,
        Policy::Docker,
        Policy::K8s,
        Policy::Systemd,
        Policy::SystemdMixed,
        Policy::Supervisord,
        Policy::SupervisordGroup,
        Policy::ProcessCompose,
        Policy::Tini,
        Policy::TiniG,
        Policy::Honcho,
        Policy::S6,
        Policy::Runit,
    ];

    /// The policies that can run on a session: attached, only those that
    /// need no containment (sigtree cannot put a running process in a pid
    /// namespace or a cgroup).
    pub fn offered(attached: bool) -> Vec<Policy> {
        Policy::ALL
            .into_iter()
            .filter(|policy| {
                !attached || policy.plan(None, Duration::ZERO).containment == Containment::None
            })
            .collect()
    }

    /// The policy's name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Sigtree => "sigtree",
            Policy::Docker => "docker",
            Policy::K8s => "k8s",
            Policy::Systemd => "systemd",
            Policy::SystemdMixed => "systemd-mixed",
            Policy::Supervisord => "supervisord",
            Policy::SupervisordGroup => "supervisord-group",
            Policy::ProcessCompose => "process-compose",
            Policy::Tini => "tini",
            Policy::TiniG => "tini-g",
            Policy::Honcho => "honcho",
            Policy::S6 => "s6",
            Policy::Runit => "runit",
        }
    }

    /// One paragraph: what the runtime does and what it leaves.
    pub fn explanation(self) -> &'static str {
        match self {
            Policy::Sigtree => {
                "sigtree's own: the stop event (pool only), up to half the grace to drain, the \
                 stop signal then SIGCONT to the group, the rest of the grace, SIGKILL to the \
                 group, then SIGKILL by pidfd to every observed descendant still alive."
            }
            Policy::Docker => {
                "docker stop: SIGTERM to the container's PID 1, SIGKILL after 10 s. PID 1 \
                 ignores every signal it has no handler for, so a program without a SIGTERM \
                 handler is killed at 10 s; its death tears the namespace down, killing the rest."
            }
            Policy::K8s => {
                "Kubernetes: SIGTERM to PID 1 (preStop is not modelled), SIGKILL after \
                 terminationGracePeriodSeconds (30 s); PID 1's death tears the namespace down."
            }
            Policy::Systemd => {
                "systemd, KillMode=control-group: SIGTERM and SIGCONT to every process of the \
                 unit's cgroup, SIGKILL to the cgroup after TimeoutStopSec (90 s). setsid does \
                 not leave a cgroup: nothing escapes."
            }
            Policy::SystemdMixed => {
                "systemd, KillMode=mixed: SIGTERM and SIGCONT to the main process only, SIGKILL \
                 to the whole cgroup after TimeoutStopSec (90 s)."
            }
            Policy::Supervisord => {
                "supervisord: SIGTERM to the program, SIGKILL to it after stopwaitsecs (10 s); \
                 done when it is reaped. It is not a subreaper: the program's children are \
                 orphaned and left running, and it reports success."
            }
            Policy::SupervisordGroup => {
                "supervisord with stopasgroup and killasgroup: SIGTERM to the program's group, \
                 SIGKILL to the group after 10 s; done when the program is reaped. Processes \
                 that left the group are not signalled."
            }
            Policy::ProcessCompose => {
                "process-compose: SIGTERM to the process's group; SIGKILL to the group only \
                 with a timeout (--grace) and only while the leader lives; done when the leader \
                 exits, so a member that ignores SIGTERM survives (its issue #520)."
            }
            Policy::Tini => {
                "tini as PID 1: SIGTERM to tini, which forwards it to its child only; SIGKILL to \
                 PID 1 after 10 s; tini exits when its child does, and the namespace's teardown \
                 kills the rest."
            }
            Policy::TiniG => {
                "tini -g as PID 1: SIGTERM forwarded to the child's whole group; SIGKILL to PID 1 \
                 after 10 s; the teardown kills the rest."
            }
            Policy::Honcho => {
                "honcho: SIGTERM to each process's group, SIGKILL to the group after 5 s; done \
                 when every process it started has stopped."
            }
            Policy::S6 => {
                "s6-svc -d: SIGTERM then SIGCONT to the process; SIGKILL only with a timeout \
                 (timeout-kill, --grace); done when the process is gone."
            }
            Policy::Runit => {
                "runit's sv down: SIGTERM then SIGCONT to the process, then waits 7 s; it never \
                 escalates: done when the process is gone or the wait is over."
            }
        }
    }

    /// The policy made concrete. `grace` (the user's `--grace`) replaces
    /// the policy's grace or wait, or gives a timeout to one without; it
    /// never adds an escalation the runtime does not have. sigtree's own
    /// grace is `grace`, or `default_grace`.
    pub fn plan(self, grace: Option<Duration>, default_grace: Duration) -> PolicyPlan {
        let secs = Duration::from_secs;
        let kill = Signal::KILL;
        let term = Signal::TERM;
        let fixed = |default: u64| Wait::Grace(grace.unwrap_or(secs(default)));
        let timeout = grace.map_or(Wait::Forever, Wait::Grace);
        let base = PolicyPlan {
            policy: self,
            stop_event_first: false,
            first: (term, Reach::Leader),
            continue_after: false,
            wait: fixed(10),
            escalation: Some((kill, Reach::Leader)),
            escalate_only_while_leader_lives: false,
            done: Done::LeaderReaped,
            containment: Containment::None,
        };
        match self {
            Policy::Sigtree => PolicyPlan {
                stop_event_first: true,
                first: (term, Reach::Leader),
                continue_after: true,
                wait: Wait::Grace(grace.unwrap_or(default_grace)),
                escalation: Some((kill, Reach::Group)),
                done: Done::NothingLeft,
                ..base
            },
            Policy::Docker | Policy::K8s => PolicyPlan {
                wait: fixed(if self == Policy::Docker { 10 } else { 30 }),
                done: Done::Pid1Exits,
                containment: Containment::PidNamespace,
                ..base
            },
            Policy::Systemd | Policy::SystemdMixed => PolicyPlan {
                first: (
                    term,
                    if self == Policy::Systemd {
                        Reach::Cgroup
                    } else {
                        Reach::Leader
                    },
                ),
                continue_after: true,
                wait: fixed(90),
                escalation: Some((kill, Reach::Cgroup)),
                done: Done::CgroupEmpty,
                containment: Containment::Cgroup,
                ..base
            },
            Policy::Supervisord => base,
            Policy::SupervisordGroup => PolicyPlan {
                first: (term, Reach::Group),
                escalation: Some((kill, Reach::Group)),
                ..base
            },
            Policy::ProcessCompose => PolicyPlan {
                first: (term, Reach::Group),
                wait: timeout,
                escalation: grace.map(|_| (kill, Reach::Group)),
                escalate_only_while_leader_lives: true,
                done: Done::LeaderExits,
                ..base
            },
            Policy::Tini | Policy::TiniG => {
                let group = self == Policy::TiniG;
                PolicyPlan {
                    first: (term, Reach::ThroughInit { group }),
                    escalation: Some((kill, Reach::Pid1)),
                    done: Done::Pid1Exits,
                    containment: Containment::InitNamespace { group },
                    ..base
                }
            }
            Policy::Honcho => PolicyPlan {
                first: (term, Reach::Group),
                wait: fixed(5),
                escalation: Some((kill, Reach::Group)),
                done: Done::AllStopped,
                ..base
            },
            Policy::S6 => PolicyPlan {
                continue_after: true,
                wait: timeout,
                escalation: grace.map(|_| (kill, Reach::Leader)),
                done: Done::ProcessGoneOrWaitOver,
                ..base
            },
            Policy::Runit => PolicyPlan {
                continue_after: true,
                wait: fixed(7),
                escalation: None,
                done: Done::ProcessGoneOrWaitOver,
                ..base
            },
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown policy '{0}'; the policies: {names}", names = names())]
pub struct UnknownPolicy(pub String);

/// Every policy's name, comma-separated.
fn names() -> String {
    Policy::ALL.map(Policy::name).join(", ")
}

impl FromStr for Policy {
    type Err = UnknownPolicy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Policy::ALL
            .into_iter()
            .find(|policy| policy.name() == s)
            .ok_or_else(|| UnknownPolicy(s.to_string()))
    }
}

impl PolicyPlan {
    /// Whether PID 1 of a pid namespace runs the command: its death tears
    /// the namespace down, killing what is left.
    pub fn containment_is_a_pid_namespace(&self) -> bool {
        matches!(
            self.containment,
            Containment::PidNamespace | Containment::InitNamespace { .. }
        )
    }

    /// How long the policy can last before it is over whatever lives: its
    /// wait, or [`ENDLESS_POLICY_LIMIT`] when it has none and no
    /// escalation ends it.
    pub fn limit(&self) -> Duration {
        match self.wait {
            Wait::Grace(grace) => grace,
            Wait::Forever => ENDLESS_POLICY_LIMIT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: Duration = Duration::from_secs(5);

    #[test]
    fn names_round_trip_and_an_unknown_name_lists_them_all() {
        for policy in Policy::ALL {
            assert_eq!(policy.name().parse::<Policy>(), Ok(policy));
            assert!(!policy.explanation().is_empty());
        }
        let error = "dockr"
            .parse::<Policy>()
            .expect_err("no such policy")
            .to_string();
        assert!(error.starts_with("unknown policy 'dockr'"), "{error}");
        assert!(
            error.contains("supervisord-group") && error.contains("runit"),
            "{error}"
        );
    }

    #[test]
    fn the_table_row_by_row() {
        let s = Duration::from_secs;
        let docker = Policy::Docker.plan(None, FIVE);
        assert_eq!(docker.first, (Signal::TERM, Reach::Leader));
        assert_eq!(docker.wait, Wait::Grace(s(10)));
        assert_eq!(docker.escalation, Some((Signal::KILL, Reach::Leader)));
        assert_eq!(
            (docker.continue_after, docker.done, docker.containment),
            (false, Done::Pid1Exits, Containment::PidNamespace)
        );
        assert_eq!(Policy::K8s.plan(None, FIVE).wait, Wait::Grace(s(30)));

        let systemd = Policy::Systemd.plan(None, FIVE);
        assert_eq!(systemd.first, (Signal::TERM, Reach::Cgroup));
        assert_eq!(systemd.escalation, Some((Signal::KILL, Reach::Cgroup)));
        assert_eq!(
            (systemd.continue_after, systemd.wait, systemd.done),
            (true, Wait::Grace(s(90)), Done::CgroupEmpty)
        );
        let mixed = Policy::SystemdMixed.plan(None, FIVE);
        assert_eq!(mixed.first, (Signal::TERM, Reach::Leader));
        assert_eq!(mixed.escalation, Some((Signal::KILL, Reach::Cgroup)));

        let supervisord = Policy::Supervisord.plan(None, FIVE);
        assert_eq!(supervisord.first.1, Reach::Leader);
        assert_eq!(supervisord.escalation, Some((Signal::KILL, Reach::Leader)));
        assert_eq!(supervisord.done, Done::LeaderReaped);
        let group = Policy::SupervisordGroup.plan(None, FIVE);
        assert_eq!(group.first.1, Reach::Group);
        assert_eq!(group.escalation, Some((Signal::KILL, Reach::Group)));

        let compose = Policy::ProcessCompose.plan(None, FIVE);
        assert_eq!(compose.first, (Signal::TERM, Reach::Group));
        assert_eq!((compose.wait, compose.escalation), (Wait::Forever, None));
        assert_eq!(compose.done, Done::LeaderExits);

        let tini = Policy::Tini.plan(None, FIVE);
        assert_eq!(tini.first.1, Reach::ThroughInit { group: false });
        assert_eq!(tini.escalation, Some((Signal::KILL, Reach::Pid1)));
        assert_eq!(
            (tini.wait, tini.done),
            (Wait::Grace(s(10)), Done::Pid1Exits)
        );
        assert_eq!(
            tini.containment,
            Containment::InitNamespace { group: false }
        );
        let tini_g = Policy::TiniG.plan(None, FIVE);
        assert_eq!(tini_g.first.1, Reach::ThroughInit { group: true });
        assert_eq!(
            tini_g.containment,
            Containment::InitNamespace { group: true }
        );

        let honcho = Policy::Honcho.plan(None, FIVE);
        assert_eq!(
            (honcho.wait, honcho.done),
            (Wait::Grace(s(5)), Done::AllStopped)
        );
        assert_eq!(honcho.escalation, Some((Signal::KILL, Reach::Group)));

        let s6 = Policy::S6.plan(None, FIVE);
        assert!(s6.continue_after);
        assert_eq!((s6.wait, s6.escalation), (Wait::Forever, None));
        let runit = Policy::Runit.plan(None, FIVE);
        assert!(runit.continue_after);
        assert_eq!((runit.wait, runit.escalation), (Wait::Grace(s(7)), None));
        assert_eq!(runit.done, Done::ProcessGoneOrWaitOver);
    }

    #[test]
    fn grace_replaces_a_timeout_adds_one_and_never_adds_an_escalation() {
        let two = Some(Duration::from_secs(2));
        let docker = Policy::Docker.plan(two, FIVE);
        assert_eq!(docker.wait, Wait::Grace(Duration::from_secs(2)));
        let compose = Policy::ProcessCompose.plan(two, FIVE);
        assert_eq!(compose.wait, Wait::Grace(Duration::from_secs(2)));
        assert_eq!(compose.escalation, Some((Signal::KILL, Reach::Group)));
        assert!(compose.escalate_only_while_leader_lives);
        let s6 = Policy::S6.plan(two, FIVE);
        assert_eq!(s6.escalation, Some((Signal::KILL, Reach::Leader)));
        let runit = Policy::Runit.plan(two, FIVE);
        assert_eq!(
            (runit.wait, runit.escalation),
            (Wait::Grace(Duration::from_secs(2)), None)
        );
        assert_eq!(
            Policy::Runit.plan(None, FIVE).limit(),
            Duration::from_secs(7)
        );
        assert_eq!(Policy::S6.plan(None, FIVE).limit(), ENDLESS_POLICY_LIMIT);
    }

    #[test]
    fn sigtrees_own_policy_uses_the_default_grace() {
        let own = Policy::Sigtree.plan(None, FIVE);
        assert!(own.stop_event_first && own.continue_after);
        assert_eq!(own.wait, Wait::Grace(FIVE));
        assert_eq!(own.escalation, Some((Signal::KILL, Reach::Group)));
        assert_eq!(own.done, Done::NothingLeft);
    }
}
