#!/usr/bin/env bash
# Runs the threshold-signing benches of an earlier commit and of this tree alternately, so both
# see the same machine load: `scripts/bench-ab.sh <rev> [pairs]` (BENCHMARKS.md, "Idle re-take").
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:?usage: scripts/bench-ab.sh <rev> [pairs]}"
pairs="${2:-2}"
source scripts/lib/env.sh
ensure_build_packages
before="$(mktemp -d)"
trap 'rm -rf "$before"' EXIT
git archive "$rev" | tar -x -C "$before"
for i in $(seq "$pairs"); do
  for tree in "$before" "$PWD"; do
    echo "=== $( [ "$tree" = "$before" ] && echo "before ($rev)" || echo after ) pair $i: $(uptime)"
    (cd "$tree" && cargo bench -q -p mpc-party --profile dev --bench eddsa)
    (cd "$tree" && SAMPLES=20 cargo bench -q -p mpc-party --profile dev --bench ecdsa)
  done
done
