#!/usr/bin/env bash
# Generates the per-contract types, clients and message composers in src/generated/ from the
# contracts' JSON schemas (schema/<contract>/ at the repository root) with the generator pinned
# in package-lock.json (@cosmwasm/ts-codegen 1.12.1 with @cosmwasm/ts-codegen-ast 1.8.1: the
# last output typed for cosmjs; see README.md, "Generated code").
#
# Usage: scripts/codegen.sh           regenerate src/generated/
#        scripts/codegen.sh --check   regenerate into a temporary folder and fail if src/generated/
#                                     differs (the schemas changed and nobody regenerated)
set -euo pipefail

PKG="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$PKG/../.." && pwd)"
CONTRACTS=(mpc-workspace mpc-keyring mpc-signature-requests)

check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

codegen="$PKG/node_modules/.bin/ts-codegen"
if [ ! -x "$codegen" ]; then
  echo "codegen: $codegen is missing; run npm ci in $PKG first" >&2
  exit 1
fi

generate() { # <out dir>
  local out="$1" contract
  for contract in "${CONTRACTS[@]}"; do
    # stdin closed: the generator prompts for anything missing instead of failing
    "$codegen" generate --plugin client --plugin message-composer --no-bundle \
      --schema "$ROOT/schema/$contract" --out "$out/$contract" --name "$contract" \
      </dev/null >/dev/null
  done
  # The generator writes extensionless relative imports ("./MpcKeyring.types"), which ES modules
  # in Node and browsers cannot resolve once compiled: name the compiled file, as NodeNext wants.
  find "$out" -name '*.ts' -exec sed -i -E 's#(from "\./[^"]+)";#\1.js";#' {} +
}

if ! $check; then
  rm -rf "$PKG/src/generated"
  generate "$PKG/src/generated"
  echo "codegen: wrote $PKG/src/generated"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
generate "$tmp"
if ! diff -ru "$PKG/src/generated" "$tmp" >"$tmp.diff" 2>&1; then
  cat "$tmp.diff" >&2
  rm -f "$tmp.diff"
  echo "codegen: src/generated/ is stale against schema/ (diff above): run 'npm run codegen' in packages/client-ts and commit the result" >&2
  exit 1
fi
rm -f "$tmp.diff"
echo "codegen: src/generated/ matches schema/"
