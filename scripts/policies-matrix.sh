#!/usr/bin/env bash
# Every stop policy on every scenario: `sigtree check --policies all` once
# per scenario, with each policy's own grace (docker 10 s, k8s 30 s, systemd
# 90 s…), so a scenario whose processes never end takes minutes. Prints each
# table and the whole run's time. CI runs three scenarios with a short grace
# (tests/policies.rs); this is the full matrix.
#
# Usage, from anywhere in the project:  bash scripts/policies-matrix.sh
# Environment:  GRACE=2s to replace every policy's grace (faster, less true);
#               SCENARIOS="graceful ignore-term" to run only those.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release --quiet
sigtree=target/release/sigtree
# The list's rows, between its header and the first blank line.
scenarios=${SCENARIOS:-$("$sigtree" scenarios | awk 'NR > 1 && NF == 0 { exit } NR > 1 { print $1 }')}
grace=()
if [[ -n ${GRACE:-} ]]; then
    grace=(--grace "$GRACE")
fi

start=$(date +%s)
for scenario in $scenarios; do
    echo "== $scenario"
    # The exit status is the worst verdict; the table is what matters here.
    "$sigtree" check --scenario "$scenario" --policies all "${grace[@]}" || true
    echo
done
echo "matrix: $(($(date +%s) - start)) s for: $scenarios"
