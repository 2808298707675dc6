#!/usr/bin/env bash
# Measures the TUI's own cost (SPEC "Performance targets") beside htop's, at
# the same N, against the same processes, in the same run.
#
# Usage, from anywhere in the project:
#   bash scripts/bench-tui.sh demo [N]          the demo with N busy workers (256)
#   bash scripts/bench-tui.sh attach-group [N]  attached to one of N idle members of a group (5000)
#   bash scripts/bench-tui.sh attach-small [N]  attached to a small tree, N idle processes elsewhere (5000)
# Environment:
#   SECONDS_MEASURED=60  length of each tool's measurement
#   WARMUP=10            seconds each tool runs before its measurement starts
#   SAMPLE_EVERY=5       seconds between two RSS (and CPU) samples
#   WITH_HTOP=1          0 skips htop's row
#   CARGO_TARGET_DIR     where `cargo build --release` puts sigtree (./target)
#   SIGTREE_PREFIX       a command sigtree runs under, e.g. `unshare -n`: in a
#                        network namespace of its own the proc connector is
#                        unavailable, so sigtree polls (kernel events off)
#
# What it measures: each tool runs in a pty of its own (script(1), 160x50,
# TERM=xterm-256color) while the processes of the mode exist; after WARMUP its
# CPU time (utime + stime, /proc/PID/stat) and RSS (VmRSS, /proc/PID/status)
# are sampled every SAMPLE_EVERY s for SECONDS_MEASURED s. Printed: one table
# (tool, CPU % of one core over the window, RSS at start, end, max, and its
# change over the last 20 s: "flat" is that change, with the whole series
# printed below), and the machine's load during each window (/proc/loadavg,
# and the busy share of all cores from /proc/stat, the measured tool and the
# mode's own processes included).
#
# The tools run one after the other, never together: sigtree first, then
# htop (1 s refresh, `htop -d 10`: the spec's baseline; htop's own default is
# 1.5 s), with its defaults (HTOPRC points at an empty temporary file).
#   attach-group, attach-small: the script starts the idle processes once;
#     both tools see the same ones.
#   demo: the workers belong to the demo sigtree starts, so they exist only
#     while it runs. After sigtree's window it is stopped (SIGSTOP: it uses no
#     CPU, its pool keeps working and drops the reports it cannot write) and
#     htop measures the same 256 busy workers; then sigtree is ended.
#
# Targets: demo with 256 busy workers under 10 % of a core, RSS flat;
# attached to a 5000-member group under 5 %; to a small tree beside 5000
# other processes under 1 %. Baseline (SPEC): htop at N=5000 24.7 %, 9.6 MiB.
#
# Every process the script starts is recorded (pid and start time, or process
# group) and ended by that record, never by name: on success, failure and
# Ctrl-C alike (trap). The demo's keeper ends its pool when sigtree goes; the
# keeper and the pool's group are recorded too and killed if they linger.
# Nothing is installed: without htop its row is skipped, and the reason said.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODE=${1:-demo}
SECONDS_MEASURED=${SECONDS_MEASURED:-60}
WARMUP=${WARMUP:-10}
SAMPLE_EVERY=${SAMPLE_EVERY:-5}
WITH_HTOP=${WITH_HTOP:-1}
case $MODE in
demo) N=${2:-256} ;;
attach-group | attach-small) N=${2:-5000} ;;
*)
    echo "usage: $0 demo|attach-group|attach-small [N]" >&2
    exit 2
    ;;
esac
for value in "$N" "$SECONDS_MEASURED" "$WARMUP" "$SAMPLE_EVERY"; do
    if ! [[ $value =~ ^[1-9][0-9]*$ ]]; then
        echo "N, SECONDS_MEASURED, WARMUP and SAMPLE_EVERY must be positive integers, got '$value'" >&2
        exit 2
    fi
done
command -v script >/dev/null || { echo "needs script(1) from util-linux for a pty" >&2; exit 2; }
command -v setsid >/dev/null || { echo "needs setsid(1) from util-linux" >&2; exit 2; }

htop_bin=""
htop_skipped=""
if [[ $WITH_HTOP == 0 ]]; then
    htop_skipped="WITH_HTOP=0"
elif htop_bin=$(command -v htop); then
    htop_bin=$(readlink -f "$htop_bin")
else
    htop_bin=""
    htop_skipped="htop is not installed (command -v htop found nothing)"
fi

cargo build --release --quiet
target_dir=${CARGO_TARGET_DIR:-target}
[[ $target_dir == /* ]] || target_dir=$PWD/$target_dir
bin=$(readlink -f "$target_dir/release/sigtree")
ticks=$(getconf CLK_TCK)
tmp=$(mktemp -d)

# --- Processes, recorded so that each one is ended by its own record --------

# Fields of /proc/PID/stat after the command name (which may hold spaces):
# index 0 is field 3 (state), so field F is index F-3.
stat_fields() {
    local stat
    stat=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
    echo "${stat##*) }"
}
start_of() {
    local -a f
    read -ra f <<<"$(stat_fields "$1")" || return 1
    echo "${f[19]}"
}
# Whether the process recorded as "pid:start" still runs (a zombie does not).
still() {
    local pid=${1%:*} start=${1#*:}
    local -a f
    read -ra f <<<"$(stat_fields "$pid" 2>/dev/null)" || return 1
    [[ ${f[19]:-} == "$start" && ${f[0]} != Z ]]
}
record() {
    local start
    start=$(start_of "$1") || return 1
    echo "$1:$start"
}

processes=() # "pid:start": the ptys' script(1) and the tools in them
keepers=()   # "pid:start": the demo's keeper, which ends its pool itself
idle_pgid="" # the last idle group started
groups=()    # "pgid:start" of each group's leader; ended last
signal_recorded() {
    local sig=$1 entry
    for entry in "${@:2}"; do
        if still "$entry"; then kill "-$sig" "${entry%:*}" 2>/dev/null || true; fi
    done
}
# Waits up to $1 tenths of a second for every recorded process given to end.
wait_recorded() {
    local tenths=$1 entry left
    for ((; tenths > 0; tenths--)); do
        left=0
        for entry in "${@:2}"; do still "$entry" && left=1; done
        ((left)) || return 0
        sleep 0.1
    done
    return 1
}
# SIGCONT (one may be stopped), SIGTERM, 3 s, SIGKILL.
end_recorded() {
    (($#)) || return 0
    signal_recorded CONT "$@"
    signal_recorded TERM "$@"
    wait_recorded 30 "$@" || signal_recorded KILL "$@"
}
cleaned=""
cleanup() {
    [[ -n $cleaned ]] && return
    cleaned=1
    local i entry
    # A stopped script(1) would not reap its child: continue them all first.
    signal_recorded CONT "${processes[@]}" "${keepers[@]}"
    # The tools, then their script(1), which normally has ended by itself.
    for ((i = ${#processes[@]} - 1; i >= 0; i--)); do end_recorded "${processes[i]}"; done
    # sigtree gone, its keeper ends the pool and exits by itself.
    if ((${#keepers[@]})); then
        wait_recorded 30 "${keepers[@]}" || end_recorded "${keepers[@]}"
    fi
    # SIGTERM to each group: its members die, its leader (an idle group's
    # shell, which waits for them; the pool's master) reaps them and ends.
    for entry in "${groups[@]}"; do
        if still "$entry"; then kill -TERM -- "-${entry%:*}" 2>/dev/null || true; fi
    done
    for entry in "${groups[@]}"; do
        if ! wait_recorded 50 "$entry"; then kill -KILL -- "-${entry%:*}" 2>/dev/null || true; fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# N idle processes in a process group of their own, led by a shell that
# waits for them (and on SIGTERM reaps them); records the group. Not run in
# a subshell: the leader stays this script's child, reaped when it ends.
idle_group() {
    local count=$1 ready
    ready=$(mktemp -p "$tmp")
    # shellcheck disable=SC2016 # expanded by the inner shell
    setsid bash -c 'trap wait TERM; for ((i = 0; i < $1; i++)); do sleep 3600 & done; echo $$ > "$2"; wait' \
        _ "$count" "$ready" </dev/null >/dev/null 2>&1 &
    until [[ -s $ready ]]; do sleep 0.1; done
    idle_pgid=$(<"$ready")
    groups+=("$(record "$idle_pgid")")
}

# The first child of $1 whose executable is $2 (and whose command line has
# the words $3, when given), waited for up to 30 s.
child_running() {
    local parent=$1 exe=$2 role=${3:-} deadline=$((SECONDS + 30)) pid
    local -a children
    while ((SECONDS <= deadline)); do
        read -ra children < <(cat /proc/"$parent"/task/*/children 2>/dev/null) || true
        for pid in "${children[@]}"; do
            # With kernel events sigtree has a second child of its own
            # binary, the tracer: a role (`__pool keeper`) tells them apart.
            if [[ -n $role ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF " $role"; then
                continue
            fi
            if [[ $(readlink /proc/"$pid"/exe 2>/dev/null) == "$exe" ]]; then
                echo "$pid"
                return 0
            fi
        done
        sleep 0.1
    done
    return 1
}

# Starts `$2 args…` in a pty of its own; its stdin is a fifo held open for
# reading and writing, so script(1) never sees an end of input. Sets
# $started to the tool's pid; records script's and the tool's.
pty_input=$tmp/pty-input
mkfifo "$pty_input"
start_in_pty() {
    local what=$1 exe=$2 command=$3 holder
    TERM=xterm-256color HTOPRC=$tmp/htoprc \
        script -qfec "stty cols 160 rows 50; exec $command" /dev/null <>"$pty_input" >/dev/null &
    holder=$!
    processes+=("$(record "$holder")")
    # script's child is the shell that execs the tool.
    if ! started=$(child_running "$holder" "$exe"); then
        echo "$what did not start in the pty" >&2
        exit 1
    fi
    processes+=("$(record "$started")")
}

# --- Measurement -------------------------------------------------------------

now_us() { echo "${EPOCHREALTIME/./}"; }
cpu_ticks() {
    local -a f
    read -ra f <<<"$(stat_fields "$1")"
    echo $((f[11] + f[12]))
}
rss_kib() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }
# Busy and total jiffies of all cores.
machine_ticks() {
    awk '/^cpu / {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6}' /proc/stat
}

rows=()
series=()
machine=()
# Samples tool $1 (pid $2) for SECONDS_MEASURED s after WARMUP s.
measure() {
    local tool=$1 pid=$2 t0 c0 c1 m0 m1 load0 t i at rss elapsed
    local -a rss_at=() rss_kb=()
    sleep "$WARMUP"
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    m0=$(machine_ticks)
    t0=$(now_us)
    c0=$(cpu_ticks "$pid")
    rss_at+=(0)
    rss_kb+=("$(rss_kib "$pid")")
    for ((i = 1; ; i++)); do
        at=$((i * SAMPLE_EVERY))
        ((at > SECONDS_MEASURED)) && at=$SECONDS_MEASURED
        t=$((t0 + at * 1000000 - $(now_us)))
        ((t > 0)) && sleep "$((t / 1000000)).$(printf %06d $((t % 1000000)))"
        rss_at+=("$at")
        if ((at == SECONDS_MEASURED)); then
            c1=$(cpu_ticks "$pid")
            elapsed=$(($(now_us) - t0))
        fi
        rss=$(rss_kib "$pid") || {
            echo "$tool ended during its measurement" >&2
            exit 1
        }
        rss_kb+=("$rss")
        ((at == SECONDS_MEASURED)) && break
    done
    m1=$(machine_ticks)
    rows+=("$(awk -v tool="$tool" -v c0="$c0" -v c1="$c1" -v hz="$ticks" -v us="$elapsed" \
        -v at="${rss_at[*]}" -v kb="${rss_kb[*]}" '
        BEGIN {
            n = split(at, a, " "); split(kb, r, " ")
            max = 0; for (i = 1; i <= n; i++) if (r[i] > max) max = r[i]
            # The change over the last 20 s: last sample minus the latest one
            # taken at least 20 s before it.
            j = 1; for (i = 1; i <= n; i++) if (a[n] - a[i] >= 20) j = i
            printf "%-8s %8.2f %%   %8.2f %8.2f %8.2f   %+8.3f MiB over %d s",
                tool, 100 * (c1 - c0) / hz / (us / 1e6), r[1] / 1024, r[n] / 1024,
                max / 1024, (r[n] - r[j]) / 1024, a[n] - a[j]
        }')")
    series+=("$(awk -v tool="$tool" -v at="${rss_at[*]}" -v kb="${rss_kb[*]}" '
        BEGIN {
            n = split(at, a, " "); split(kb, r, " ")
            line = sprintf("%-8s", tool)
            for (i = 1; i <= n; i++) line = line sprintf(" %ds:%.2f", a[i], r[i] / 1024)
            print line
        }')")
    machine+=("$(awk -v tool="$tool" -v m0="$m0" -v m1="$m1" -v load0="$load0" \
        -v load1="$(cut -d' ' -f1-3 /proc/loadavg)" -v cores="$(nproc)" '
        BEGIN {
            split(m0, a, " "); split(m1, b, " ")
            printf "%-8s all %d cores %.1f %% busy; load average %s at the start, %s at the end",
                tool, cores, 100 * (b[1] - a[1]) / (b[2] - a[2]), load0, load1
        }')")
}

# --- The mode's processes, then each tool ------------------------------------

case $MODE in
demo)
    # A million tasks: the workers stay busy for the whole measurement.
    args="demo --workers $N --tasks 1000000"
    ;;
attach-group)
    idle_group "$N"
    member=$(cut -d' ' -f1 < <(cat /proc/"$idle_pgid"/task/*/children))
    args="attach $member"
    ;;
attach-small)
    idle_group "$N"
    idle_group 2
    args="attach $idle_pgid"
    ;;
esac

started=""
start_in_pty sigtree "$bin" "${SIGTREE_PREFIX:-} $bin $args"
sigtree_pid=$started
if [[ $MODE == demo ]]; then
    # The keeper (sigtree's child) and the pool's group (the master leads it).
    keeper=$(child_running "$sigtree_pid" "$bin" "__pool keeper") || { echo "the demo's keeper did not start" >&2; exit 1; }
    keepers+=("$(record "$keeper")")
    master=$(child_running "$keeper" "$bin") || { echo "the demo's master did not start" >&2; exit 1; }
    groups+=("$(record "$master")")
fi
measure sigtree "$sigtree_pid"

if [[ -n $htop_bin ]]; then
    if [[ $MODE == demo ]]; then
        # script(1) stops itself when its child stops, and continues it
        # when continued: cleanup sends SIGCONT before SIGTERM.
        kill -STOP "$sigtree_pid"
    else
        end_recorded "$sigtree_pid:$(start_of "$sigtree_pid")"
        end_recorded "${processes[@]}"
    fi
    start_in_pty htop "$htop_bin" "$htop_bin -d 10"
    measure htop "$started"
fi

echo
echo "$MODE, N=$N: CPU over ${SECONDS_MEASURED} s after a ${WARMUP} s warm-up; RSS in MiB every ${SAMPLE_EVERY} s"
printf '%-8s %10s   %8s %8s %8s   %s\n' tool "CPU/core" "RSS 0" "RSS end" "RSS max" "RSS change, last 20 s"
printf '%s\n' "${rows[@]}"
[[ -z $htop_skipped ]] || printf '%-8s skipped: %s\n' htop "$htop_skipped"
echo "RSS series (seconds into the window: MiB):"
printf '%s\n' "${series[@]}"
echo "Machine during each window:"
printf '%s\n' "${machine[@]}"
