#!/usr/bin/env bash
# Times the keeper's final cleanup (SPEC "Performance targets": the keeper
# ends 2000 leftover processes within 1 s). A command under `sigtree check`
# starts N `setsid sleep` processes (each leaves the group, so only the
# keeper's walk can find them); sigtree is then SIGKILLed, and the time from
# that kill until the keeper has reaped everything and exited is measured.
#
# Usage, from anywhere in the project:  bash scripts/bench-keeper.sh
# Environment:  R=5 runs;  N=2000 leftovers per run.
#
# Every process is found through the keeper (sigtree's child) and ended by
# pid on EXIT, never by name.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

R=${R:-5}
N=${N:-2000}
for value in "$R" "$N"; do
    if ! [[ $value =~ ^[1-9][0-9]*$ ]]; then
        echo "R and N must be positive integers, got '$value'" >&2
        exit 2
    fi
done

cargo build --release --quiet
bin=target/release/sigtree

# Descendants of a pid, by /proc/PID/task/*/children.
descendants() {
    local queue=("$1") pid child
    while ((${#queue[@]})); do
        pid=${queue[0]}
        queue=("${queue[@]:1}")
        for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
            echo "$child"
            queue+=("$child")
        done
    done
}

sigtree_pid=""
keeper=""
cleanup() {
    [[ -n $sigtree_pid ]] && kill -KILL "$sigtree_pid" 2>/dev/null || true
    if [[ -n $keeper && -d /proc/$keeper ]]; then
        for pid in $(descendants "$keeper"); do kill -KILL "$pid" 2>/dev/null || true; done
    fi
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

echo "keeper cleanup of $N leftovers, $R runs (ms from sigtree's SIGKILL to the keeper's exit)"
for ((run = 1; run <= R; run++)); do
    "$bin" check --after 5m -- sh -c \
        "i=0; while [ \$i -lt $N ]; do setsid sleep 300 & i=\$((i+1)); done; exec sleep 300" \
        >/dev/null 2>&1 &
    sigtree_pid=$!
    until keeper=$(cat /proc/"$sigtree_pid"/task/*/children 2>/dev/null | tr -d ' ') && [[ -n $keeper ]]; do
        sleep 0.05
    done
    # The leftovers are the leader's children (it execs sleep after them).
    until leader=$(cat /proc/"$keeper"/task/*/children 2>/dev/null | tr -d ' ') && [[ -n $leader ]]; do
        sleep 0.05
    done
    until (($(cat /proc/"$leader"/task/*/children 2>/dev/null | wc -w) >= N)); do
        sleep 0.1
    done
    start=$(date +%s%N)
    kill -KILL "$sigtree_pid"
    wait "$sigtree_pid" 2>/dev/null || true
    # The keeper is a child of init now; poll its /proc entry.
    while [[ -d /proc/$keeper ]] && ! grep -q '^State:.*Z' /proc/"$keeper"/status 2>/dev/null; do
        :
    done
    end=$(date +%s%N)
    echo "run $run: $(((end - start) / 1000000)) ms"
    sigtree_pid=""
done
