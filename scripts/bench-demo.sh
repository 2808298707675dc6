#!/usr/bin/env bash
# Measures the demo's own cost (SPEC "Performance targets": the demo with
# 256 busy workers under 10 % of a core, RSS flat): sigtree runs in a pty
# (script(1)) with N workers; its CPU time and RSS are read from
# /proc/PID/stat and status after a warm-up and again SECONDS later.
#
# Usage, from anywhere in the project:  bash scripts/bench-demo.sh
# Environment:  N=256 workers;  SECONDS_MEASURED=60;  WARMUP=10.
#
# sigtree is ended by its pid (SIGTERM, then SIGKILL); its keeper ends the
# pool. Nothing is killed by name.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${N:-256}
SECONDS_MEASURED=${SECONDS_MEASURED:-60}
WARMUP=${WARMUP:-10}
for value in "$N" "$SECONDS_MEASURED" "$WARMUP"; do
    if ! [[ $value =~ ^[1-9][0-9]*$ ]]; then
        echo "N, SECONDS_MEASURED and WARMUP must be positive integers, got '$value'" >&2
        exit 2
    fi
done
command -v script >/dev/null || { echo "needs script(1) from util-linux for a pty" >&2; exit 2; }

cargo build --release --quiet
bin=$PWD/target/release/sigtree
ticks=$(getconf CLK_TCK)

holder=""
sigtree_pid=""
cleanup() {
    [[ -n $sigtree_pid ]] && kill -TERM "$sigtree_pid" 2>/dev/null || true
    sleep 1
    [[ -n $sigtree_pid ]] && kill -KILL "$sigtree_pid" 2>/dev/null || true
    [[ -n $holder ]] && kill "$holder" 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# script(1) needs a stdin that stays open: a sleep's pipe.
sleep $((WARMUP + SECONDS_MEASURED + 30)) | COLUMNS=160 LINES=50 \
    script -qfec "stty cols 160 rows 50; exec $bin demo --workers $N --tasks 1000000" /dev/null >/dev/null &
holder=$!
# script's child runs the shell that execs sigtree (a pool of a million
# tasks: the workers stay busy for the whole measurement).
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
cpu0=$(cpu); rss0=$(rss)
sleep "$SECONDS_MEASURED"
cpu1=$(cpu); rss1=$(rss)
awk -v c0="$cpu0" -v c1="$cpu1" -v t="$ticks" -v s="$SECONDS_MEASURED" -v r0="$rss0" -v r1="$rss1" -v n="$N" \
    'BEGIN { printf "demo, %d workers: %.1f %% of a core over %d s; RSS %.1f MiB -> %.1f MiB\n", n, 100 * (c1 - c0) / t / s, s, r0 / 1024, r1 / 1024 }'
