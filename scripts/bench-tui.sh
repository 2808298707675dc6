#!/usr/bin/env bash
# Measures the TUI's own cost (SPEC "Performance targets"): sigtree runs in
# a pty (script(1)); its CPU time and RSS are read from /proc/PID/stat and
# status after a warm-up and again SECONDS_MEASURED later.
#
# Usage, from anywhere in the project:
#   bash scripts/bench-tui.sh demo [N]          the demo with N busy workers (256)
#   bash scripts/bench-tui.sh attach-group [N]  attached to one of N idle members of a group (5000)
#   bash scripts/bench-tui.sh attach-small [N]  attached to a small tree, N idle processes elsewhere (5000)
# Environment:  SECONDS_MEASURED=60;  WARMUP=10.
#
# Targets: demo with 256 busy workers under 10 % of a core, RSS flat;
# attached to a 5000-member group under 5 %; to a small tree beside 5000
# other processes under 1 %.
#
# Every process is ended by the pid or group the script recorded (sigtree
# with SIGTERM, then SIGKILL; its keeper ends the pool), never by name.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODE=${1:-demo}
SECONDS_MEASURED=${SECONDS_MEASURED:-60}
WARMUP=${WARMUP:-10}
case $MODE in
demo) N=${2:-256} ;;
attach-group | attach-small) N=${2:-5000} ;;
*)
    echo "usage: $0 demo|attach-group|attach-small [N]" >&2
    exit 2
    ;;
esac
for value in "$N" "$SECONDS_MEASURED" "$WARMUP"; do
    if ! [[ $value =~ ^[1-9][0-9]*$ ]]; then
        echo "N, SECONDS_MEASURED and WARMUP must be positive integers, got '$value'" >&2
        exit 2
    fi
done
command -v script >/dev/null || { echo "needs script(1) from util-linux for a pty" >&2; exit 2; }
command -v setsid >/dev/null || { echo "needs setsid(1) from util-linux" >&2; exit 2; }

cargo build --release --quiet
bin=$PWD/target/release/sigtree
ticks=$(getconf CLK_TCK)

holder=""
sigtree_pid=""
groups=()
cleanup() {
    [[ -n $sigtree_pid ]] && kill -TERM "$sigtree_pid" 2>/dev/null || true
    sleep 1
    [[ -n $sigtree_pid ]] && kill -KILL "$sigtree_pid" 2>/dev/null || true
    [[ -n $holder ]] && kill "$holder" 2>/dev/null || true
    for pgid in "${groups[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# N idle processes in a process group of their own, led by a shell that
# waits for them; prints the group's id.
idle_group() {
    local count=$1 ready
    ready=$(mktemp)
    setsid bash -c 'for ((i = 0; i < $1; i++)); do sleep 3600 & done; echo $$ > "$2"; wait' \
        _ "$count" "$ready" </dev/null >/dev/null 2>&1 &
    until [[ -s $ready ]]; do sleep 0.1; done
    cat "$ready"
    rm -f "$ready"
}

case $MODE in
demo)
    # A million tasks: the workers stay busy for the whole measurement.
    args="demo --workers $N --tasks 1000000"
    ;;
attach-group)
    group=$(idle_group "$N")
    groups+=("$group")
    member=$(cut -d' ' -f1 < <(cat /proc/"$group"/task/*/children))
    args="attach $member"
    ;;
attach-small)
    groups+=("$(idle_group "$N")")
    small=$(idle_group 2)
    groups+=("$small")
    args="attach $small"
    ;;
esac

# script(1) needs a stdin that stays open: a sleep's pipe.
sleep $((WARMUP + SECONDS_MEASURED + 30)) |
    script -qfec "stty cols 160 rows 50; exec $bin $args" /dev/null >/dev/null &
holder=$!
# script's child runs the shell that execs sigtree.
deadline=$((SECONDS + 30))
until sigtree_pid=$(cat /proc/"$holder"/task/*/children 2>/dev/null | tr -d ' ') &&
    [[ -n $sigtree_pid ]] && [[ $(readlink /proc/"$sigtree_pid"/exe 2>/dev/null) == "$bin" ]]; do
    if ((SECONDS > deadline)); then
        echo "sigtree did not start in the pty" >&2
        exit 1
    fi
    sleep 0.1
done

cpu() { awk '{print $14 + $15}' /proc/"$sigtree_pid"/stat; }
rss() { awk '/^VmRSS/ {print $2}' /proc/"$sigtree_pid"/status; }

sleep "$WARMUP"
cpu0=$(cpu)
rss0=$(rss)
sleep "$SECONDS_MEASURED"
cpu1=$(cpu)
rss1=$(rss)
awk -v c0="$cpu0" -v c1="$cpu1" -v t="$ticks" -v s="$SECONDS_MEASURED" -v r0="$rss0" -v r1="$rss1" \
    -v what="$MODE, N=$N" \
    'BEGIN { printf "%s: %.1f %% of a core over %d s; RSS %.1f MiB -> %.1f MiB\n", what, 100 * (c1 - c0) / t / s, s, r0 / 1024, r1 / 1024 }'
