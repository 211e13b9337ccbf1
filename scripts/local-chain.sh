#!/usr/bin/env bash
# A local chain for dApp development (the `local-chain` binary, crate `mpc-local-chain`): wasmd
# with the three contracts, a keyring of three real `connector run` parties, funded accounts,
# REST and CORS. Prints the endpoints, contracts, keyring id and accounts and writes them to
# <data dir>/local-chain.json. The data directory (default ./.local-chain, or --data-dir) is
# kept: a second start resumes the same chain. Ctrl-C stops everything.
#
# Builds where scripts/test.sh and scripts/devnet.sh build (scripts/lib/env.sh), and wasmd with
# scripts/wasmd.sh when it is not built yet. Arguments go to the binary (--help).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh
ensure_build_packages
MPC_WASMD="${MPC_WASMD:-$(scripts/wasmd.sh)}"
export MPC_WASMD
# scripts/test.sh has built both already (it sets MPC_LOCAL_CHAIN_BUILT=1).
if [[ "${MPC_LOCAL_CHAIN_BUILT:-}" != 1 ]]; then
  cargo build --locked -p mpc-connector --bin connector -p mpc-local-chain --bin local-chain
fi
exec "$CARGO_TARGET_DIR/debug/local-chain" "$@"
