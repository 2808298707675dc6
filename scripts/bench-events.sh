#!/usr/bin/env bash
# Kernel lifecycle events under load: a command forks RATE children a
# second for SECS seconds (each exits 1 at once), under `sigtree check`;
# prints how many it forked, how many the report has, and whether the
# kernel dropped events (ENOBUFS). Usage: bash scripts/bench-events.sh [RATE] [SECS]
set -euo pipefail
rate=${1:-3000}
secs=${2:-10}
cd "$(dirname "$0")/.."
cargo build --release --quiet
sigtree=$PWD/target/release/sigtree
[ -n "${CARGO_TARGET_DIR:-}" ] && sigtree=$CARGO_TARGET_DIR/release/sigtree
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
forker='use POSIX; use Time::HiRes qw(time sleep);
my ($rate, $secs, $out) = @ARGV; my $n = 0; my $t0 = time;
while (time - $t0 < $secs) {
  my $due = $t0 + $n / $rate; my $now = time;
  sleep($due - $now) if $due > $now;
  my $pid = fork(); POSIX::_exit(1) if $pid == 0; $n++;
  1 while waitpid(-1, WNOHANG) > 0;
}
1 while wait() > 0;
open(my $f, ">", $out); print $f "$n\n"; close $f;
$| = 1; print "done\n"; sleep 60;'
start=$(awk '{print $14+$15}' /proc/$$/stat)
/usr/bin/time -f "%U %S %e" -o "$dir/time" \
  "$sigtree" check --grace 1s --ready '^done$' --ready-timeout "$((secs * 3))s" \
  -- perl -e "$forker" "$rate" "$secs" "$dir/forked" > "$dir/report" || true
forked=$(cat "$dir/forked")
seen=$(awk '$2 == "child"' "$dir/report" | wc -l)
awk '$2 == "child" && !/exit 1 \(by itself\)/' "$dir/report" | head -5
read -r user sys elapsed < <(tail -1 "$dir/time")
echo "rate $rate/s for $secs s: forked $forked, in the report $seen"
grep -q "dropped events" "$dir/report" && grep "dropped events" "$dir/report" || echo "ENOBUFS: 0"
echo "sigtree CPU: user ${user}s sys ${sys}s over ${elapsed}s"
