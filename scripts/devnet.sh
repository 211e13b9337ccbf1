#!/usr/bin/env bash
# The main job: the embedded devnet, end to end (the `devnet` binary, crate `mpc-devnet`: an in-process chain with the
# three contracts, three MPC parties over loopback TCP, the seed's process for an ECDSA and an
# EdDSA key). Exits 0 only when every request ended fulfilled with signatures that verify.
#
# Installs what the build needs first (scripts/lib/env.sh: m4 with apt; the pinned toolchain
# comes from rust-toolchain.toml through rustup) and builds where scripts/test.sh builds, so the
# two commands share one build in either order. Arguments go to the `devnet` binary (--help).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh
ensure_build_packages
exec cargo run --locked -p mpc-devnet --bin devnet -- "$@"
