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
after="$PWD"
# Both trees build into one target directory, where a workspace crate whose dependencies did not
# change has the same output file in both trees, and its fingerprint names its sources relative to
# the crate: the tree at hand's sources are touched before each build, so cargo compiles the crate
# again from them instead of taking the other tree's output for fresh.
build_in() {
  local tree="$1"
  find "$tree" -name '*.rs' -not -path '*/target/*' -exec touch {} +
  (cd "$tree" && cargo bench -p mpc-party --profile dev --bench eddsa --bench ecdsa --no-run 2>&1 |
    grep -E '^\s*Compiling mpc-party ' || true)
}
for i in $(seq "$pairs"); do
  for tree in "$before" "$after"; do
    echo "=== $( [ "$tree" = "$before" ] && echo "before ($rev)" || echo after ) pair $i: $(uptime)"
    build_in "$tree"
    (cd "$tree" && cargo bench -q -p mpc-party --profile dev --bench eddsa)
    (cd "$tree" && SAMPLES=20 cargo bench -q -p mpc-party --profile dev --bench ecdsa)
  done
done
