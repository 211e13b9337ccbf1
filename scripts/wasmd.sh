#!/usr/bin/env bash
# Builds the wasmd binary used by the end-to-end tests (tests/localnet) and prints its path.
#
# wasmd v0.61.14 = Cosmos SDK 0.53, CometBFT 0.38 (the protocol tendermint-rpc 0.40 speaks), wasmvm
# 3.0.7. The binary is cached outside the clone, in $MPC_TOOLS_DIR/wasmd-<version>/wasmd; a second
# run only checks that the cached binary starts and prints its path.
#
# Why a wrapper module: `go install github.com/CosmWasm/wasmd/cmd/wasmd@v0.61.14` refuses a module
# whose go.mod has `replace` lines. So the script writes a throwaway module (in the cache, never in
# the clone) that requires wasmd, repeats wasmd's own replace lines (read from its go.mod in the
# module cache, so they always match the version) and builds wasmd's cmd/wasmd package from it.
#
# Toolchain quirks handled here:
#   - Go 1.24+ refuses wasmd's dependencies' `//go:linkname` into the runtime: -checklinkname=0.
#   - Go 1.26 breaks github.com/bytedance/sonic 1.14 (wasmd's pin); 1.15.x builds.
#   - wasmvm links libwasmvm.x86_64.so from its Go module by rpath into the module cache; the .so is
#     also copied next to the binary and $ORIGIN added to the rpath, so the cached binary keeps
#     working after `go clean -modcache`.
#   - The checksum database (GOSUMDB) is used as configured; it was reachable when this was written.
#     If it is not, run with GOSUMDB=off (affects this build only: the wrapper module is private).
#
# Usage: scripts/wasmd.sh            build if needed, print the binary's path on stdout
# Environment:
#   WASMD_VERSION  default v0.61.14 (skip the retracted v0.61.0-v0.61.4; v0.70 runs CometBFT 0.39)
#   MPC_TOOLS_DIR  default $HOME/.cache/mpc-tools
set -euo pipefail

WASMD_VERSION="${WASMD_VERSION:-v0.61.14}"
SONIC_VERSION=v1.15
TOOLS_DIR="${MPC_TOOLS_DIR:-$HOME/.cache/mpc-tools}"
DEST="$TOOLS_DIR/wasmd-$WASMD_VERSION"
BIN="$DEST/wasmd"

log() { echo "wasmd.sh: $*" >&2; }

cached_ok() { [[ -x "$BIN" ]] && "$BIN" version >/dev/null 2>&1; }

if cached_ok; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$DEST"
# Test binaries may call this script in parallel: one builds, the others wait for it.
exec 9>"$DEST/.lock"
flock 9
if cached_ok; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { log "go is not installed (need Go 1.24 or newer)"; exit 1; }
command -v gcc >/dev/null || { log "gcc is needed (wasmvm links with cgo)"; exit 1; }

WORK="$DEST/build"
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
# Only this build's go commands: the local toolchain, no automatic toolchain downloads.
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

start=$(date +%s)
log "downloading github.com/CosmWasm/wasmd@$WASMD_VERSION"
wasmd_gomod="$(go mod download -json "github.com/CosmWasm/wasmd@$WASMD_VERSION" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$wasmd_gomod" ]] || { log "could not download wasmd $WASMD_VERSION"; exit 1; }

go mod init mpc-localnet/wasmd-build >/dev/null 2>&1

# wasmd's replace directives, single-line or in a block, without comments:
# each becomes `old[@v] => new[ v]`, handed to `go mod edit -replace old=new@v`.
replaces="$(awk '
  /^replace[[:space:]]*\(/ { inblock = 1; next }
  inblock && /^\)/ { inblock = 0; next }
  inblock { line = $0 }
  !inblock && /^replace[[:space:]]/ { line = $0; sub(/^replace[[:space:]]+/, "", line) }
  line != "" {
    sub(/\/\/.*/, "", line)
    if (line ~ /=>/) print line
    line = ""
  }' "$wasmd_gomod")"
while read -r old a b c; do
  [[ -z "$old" ]] && continue
  if [[ "$a" == "=>" ]]; then # old => new [version]
    go mod edit -replace="$old=$b${c:+@$c}"
  else # old version => new [version]
    go mod edit -replace="$old@$a=$c${4:+@$4}"
  fi
done <<<"$replaces"
log "replace lines from wasmd's go.mod: $(grep -c '=>' go.mod)"

go get "github.com/CosmWasm/wasmd@$WASMD_VERSION"
if go version | grep -qE 'go1\.(2[6-9]|[3-9][0-9])'; then
  go get "github.com/bytedance/sonic@$SONIC_VERSION"
fi

# The version flags are what wasmd's Makefile sets, so `wasmd version` tells which build this is.
ldflags="-checklinkname=0 \
  -X github.com/cosmos/cosmos-sdk/version.Name=wasm \
  -X github.com/cosmos/cosmos-sdk/version.AppName=wasmd \
  -X github.com/cosmos/cosmos-sdk/version.Version=${WASMD_VERSION#v} \
  -X github.com/cosmos/cosmos-sdk/version.BuildTags=netgo \
  -extldflags=-Wl,-rpath,\$ORIGIN"
log "building wasmd (several minutes cold)"
nice -n 19 go build -tags netgo -ldflags "$ldflags" -o "$WORK/wasmd" github.com/CosmWasm/wasmd/cmd/wasmd

wasmvm_dir="$(go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)"
install -m 0644 "$wasmvm_dir/internal/api/libwasmvm.$(uname -m).so" "$DEST/"
mv "$WORK/wasmd" "$BIN"
cd "$DEST"
rm -rf "$WORK"

if ! cached_ok; then
  log "built $BIN but it does not run:"
  "$BIN" version >&2 || true
  exit 1
fi
log "built $("$BIN" version) in $(($(date +%s) - start)) s"
echo "$BIN"
