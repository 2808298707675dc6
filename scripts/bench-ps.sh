#!/usr/bin/env bash
# Times `sigtree ps --tree` against `ps` and `pstree`, and `sigtree ps
# --json --signals` against procps's `ps -eo pid,ppid,pgid,sid,tpgid,nlwp,
# pending,blocked,ignored,caught` (the issue's command: no args, so it reads
# two files a process where sigtree, which prints cmdline, reads three) and
# the same with args (the same files as sigtree), with N extra idle processes (SPEC
# "Performance targets": sigtree ps --tree faster than ps and pstree at
# every N; issue 13: ps --json --signals faster than procps's ps printing
# the same masks). Against the raw stat+status read floor, in process:
# `cargo bench --bench scan` (its "ps --json --signals" ratio line).
#
# Usage, from anywhere in the project:  bash scripts/bench-ps.sh
# Environment:  R=20 runs per tool and N;  COUNTS="0 1000 5000" values of N.
#
# For each N the idle `sleep 3600` processes run in one process group of
# their own, led by a subshell the script starts; the script records that
# pgid and ends the group by it (on EXIT, INT and TERM too), never by name.
# The three commands run round-robin, after one untimed warm-up round, so
# that drift affects them alike. Each time includes the fork and exec from
# bash, as a user running the command would see it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

R=${R:-20}
COUNTS=${COUNTS:-"0 1000 5000"}
if ! [[ $R =~ ^[1-9][0-9]*$ ]]; then
    echo "R must be a positive integer, got '$R'" >&2
    exit 2
fi

# Process groups of idle processes still running, by pgid.
GROUPS_ALIVE=()

end_groups() {
    local pgid
    for pgid in ${GROUPS_ALIVE[@]+"${GROUPS_ALIVE[@]}"}; do
        kill -KILL -- "-$pgid" 2>/dev/null || true
        wait "$pgid" 2>/dev/null || true
    done
    GROUPS_ALIVE=()
}
trap end_groups EXIT
trap 'end_groups; exit 130' INT
trap 'end_groups; exit 143' TERM

# Number of processes in process group $1 whose command is $2 (selected by
# pgid; the name only tells exec'd sleeps from not-yet-exec'd forks).
count_in_group() {
    ps -eo pgid=,comm= | awk -v g="$1" -v c="$2" '$1 == g && $2 == c { n++ } END { print n + 0 }'
}

# Starts $1 idle processes in a new process group and sets IDLE_PGID.
spawn_idle() {
    local n=$1
    # With job control on, a background job gets a process group of its own
    # whose id is the job's pid; inside it job control is off again, so the
    # sleeps stay in that group.
    set -m
    (
        set +m
        trap - EXIT INT TERM
        for ((i = 0; i < n; i++)); do
            sleep 3600 </dev/null >/dev/null 2>&1 &
        done
        wait
    ) &
    IDLE_PGID=$!
    set +m
    GROUPS_ALIVE+=("$IDLE_PGID")
    local deadline=$((SECONDS + 120)) running
    while :; do
        running=$(count_in_group "$IDLE_PGID" sleep)
        ((running >= n)) && break
        if ((SECONDS > deadline)); then
            echo "only $running of $n idle processes running after 120 s" >&2
            exit 1
        fi
        sleep 0.2
    done
}

end_idle() {
    kill -KILL -- "-$IDLE_PGID" 2>/dev/null || true
    wait "$IDLE_PGID" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while (($(count_in_group "$IDLE_PGID" sleep) > 0)) && ((SECONDS < deadline)); do
        sleep 0.2
    done
    GROUPS_ALIVE=()
}

# Microseconds since the epoch, without a fork when bash has EPOCHREALTIME.
if [[ -n ${EPOCHREALTIME:-} ]]; then
    now_us() { NOW=${EPOCHREALTIME/[.,]/}; }
else
    echo "note: bash without EPOCHREALTIME; timing with date adds a fork" >&2
    now_us() { NOW=$(($(date +%s%N) / 1000)); }
fi

cargo build --release
SIGTREE=${CARGO_TARGET_DIR:-target}/release/sigtree

# Each comparison: sigtree's command first, then what it is measured against.
TREE=(sigtree)
JSON=(sigtree-json)
if command -v ps >/dev/null && ps -V 2>&1 | grep -q procps; then
    TREE+=(ps)
    JSON+=(ps-signals ps-signals-args)
else
    echo "note: procps's ps not found, skipped"
fi
if command -v pstree >/dev/null; then TREE+=(pstree); else echo "note: pstree not found, skipped"; fi
TOOLS=("${TREE[@]}" "${JSON[@]}")

run_tool() {
    case $1 in
        sigtree) "$SIGTREE" ps --tree >/dev/null ;;
        ps) ps -eo pid,ppid,pgid,sid,stat,comm >/dev/null ;;
        pstree) pstree -pg >/dev/null ;;
        sigtree-json) "$SIGTREE" ps --json --signals >/dev/null ;;
        ps-signals) ps -eo pid,ppid,pgid,sid,tpgid,nlwp,pending,blocked,ignored,caught >/dev/null ;;
        ps-signals-args) ps -eo pid,ppid,pgid,sid,tpgid,nlwp,pending,blocked,ignored,caught,args >/dev/null ;;
    esac
}

# Whether the first tool of the list named by $1 has the lowest median
# among its list; records the verdict line.
faster_than_the_rest() {
    local -n list=$1
    local first=${list[0]} tool verdict=yes others=()
    for tool in "${list[@]:1}"; do
        others+=("$tool")
        if ! awk -v a="${median[$first]}" -v b="${median[$tool]}" 'BEGIN { exit !(a < b) }'; then
            verdict=no
        fi
    done
    [[ $verdict == yes ]] || ALL_FASTER=no
    VERDICTS+=("N=$n: $first faster than ${others[*]:-nothing}: $verdict")
}

# Prints "median min" in ms of the microsecond values given.
stats_ms() {
    printf '%s\n' "$@" | sort -n | awk '
        { v[NR] = $1 }
        END {
            if (NR % 2) med = v[(NR + 1) / 2]; else med = (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f %.1f\n", med / 1000, v[1] / 1000
        }'
}

ROWS=()
VERDICTS=()
ALL_FASTER=yes
for n in $COUNTS; do
    spawn_idle "$n"
    total=$(ps -e --no-headers | wc -l)
    echo "N=$n: $n idle processes in group $IDLE_PGID, $total processes in all; $R runs per tool"

    declare -A times=()
    for tool in "${TOOLS[@]}"; do
        run_tool "$tool" # warm-up, untimed
        times[$tool]=""
    done
    for ((r = 0; r < R; r++)); do
        for tool in "${TOOLS[@]}"; do
            now_us
            start=$NOW
            run_tool "$tool"
            now_us
            times[$tool]+=" $((NOW - start))"
        done
    done
    end_idle

    declare -A median=()
    for tool in "${TOOLS[@]}"; do
        # shellcheck disable=SC2086 # word splitting of the list is meant
        read -r med min < <(stats_ms ${times[$tool]})
        median[$tool]=$med
        ROWS+=("$(printf '%6s  %-8s %10s %10s' "$n" "$tool" "$med" "$min")")
    done
    faster_than_the_rest TREE
    faster_than_the_rest JSON
    unset times median
done

echo
printf '%6s  %-8s %10s %10s\n' N tool "median ms" "min ms"
printf '%s\n' "${ROWS[@]}"
echo
printf '%s\n' "${VERDICTS[@]}"
if [[ ${#TOOLS[@]} -lt 6 ]]; then
    echo "note: not every tool was available; the verdict covers those that were"
fi
echo "sigtree's commands faster than the others (by median) at every N: $ALL_FASTER"
