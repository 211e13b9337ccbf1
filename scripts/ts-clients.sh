#!/usr/bin/env bash
# Generates a TypeScript client for each contract from its schema folder with the ecosystem's
# generator, @cosmwasm/ts-codegen 1.14.1, as a dApp developer would, then type-checks them
# (tsc --strict) against the packages the clients import. Works in a temporary folder; prints it.
#
# Usage: scripts/ts-clients.sh [OUT_DIR]   (default: a new temporary folder)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
cd "$out"
for contract in mpc-workspace mpc-keyring mpc-signature-requests; do
  npx -y @cosmwasm/ts-codegen@1.14.1 generate --plugin client --no-bundle \
    --schema "$ROOT/schema/$contract" --out "$out/clients/$contract" --name "$contract" < /dev/null
done
npm init -y > /dev/null
npm install --silent --no-audit --no-fund typescript@5 @cosmjs/cosmwasm-stargate @cosmjs/amino \
  @cosmjs/proto-signing @cosmjs/stargate interchainjs @interchainjs/types @interchainjs/cosmos \
  @chain-registry/v2-types
npx tsc --noEmit --strict --skipLibCheck --target es2020 --moduleResolution node clients/*/*.ts
echo "ts-clients: clients generated and type-checked in $out/clients"
