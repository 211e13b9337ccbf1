#!/usr/bin/env bash
# Builds the three contracts into chain-ready wasm in artifacts/ (plus artifacts/checksums.txt),
# and the end-to-end tests' own contracts into tests/artifacts/ (never deployed by operators).
#
# Rust 1.95 emits bulk-memory instructions, which cosmwasm-vm 3.0 and wasmvm reject; binaryen's
# wasm-opt --llvm-memory-copy-fill-lowering rewrites memory.copy/fill as loops. Two recipes
# (compared in BENCHMARKS.md, "Recipes compared"):
#   build-std (default) rebuild std with -Zbuild-std (RUSTC_BOOTSTRAP=1, the rust-src component)
#             and the `immediate-abort` panic strategy plus std's `optimize_for_size`: a panic
#             is a bare `unreachable` trap, so no panic message, location formatting or
#             backtrace printing is linked in (~55 kB less per contract). Contract errors
#             (`ContractError`, `StdError`) are returned as before; only a panic (a bug) loses
#             its message. Then wasm-opt with the lowering.
#   lowered   stable `cargo build` (no RUSTC_BOOTSTRAP), then wasm-opt with the lowering: the
#             fallback if the pinned toolchain's std cannot be rebuilt; over 400 kB since the
#             keyring's addresses query.
#
# Usage: scripts/build-wasm.sh [--variant build-std|lowered] [--out DIR] [--cw3] [--no-contracts]
#   --variant    recipe (default build-std)
#   --out        output folder (default artifacts/ for build-std, artifacts/lowered/ for lowered)
#   --cw3        also build cw-plus cw3-fixed-multisig (the benchmark's reference) into
#                $MPC_TOOLS_DIR/cw3/artifacts/<variant>/cw3_fixed_multisig.wasm
#   --no-contracts  skip our three contracts (e.g. only the reference)
#
# Tools are installed on first use and reused: the wasm32 target (rustup), binaryen 132 from npm
# into $MPC_TOOLS_DIR/binaryen, rust-src for build-std. Environment:
#   CARGO_TARGET_DIR  default $HOME/.cache/mpc-target-wasm (kept apart from the native builds)
#   MPC_TOOLS_DIR     default $HOME/.cache/mpc-tools
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mpc-target-wasm}"
TOOLS_DIR="${MPC_TOOLS_DIR:-$HOME/.cache/mpc-tools}"
BINARYEN_VERSION=132
TARGET=wasm32-unknown-unknown
CONTRACTS=(mpc-workspace mpc-keyring mpc-signature-requests)
# Cargo profile (Cargo.toml's `wasm`: release at opt-level "z") and wasm-opt level: optimised for
# size, at a few percent more VM gas (BENCHMARKS.md); with the build-std recipe every artifact
# stays below 400 kB.
PROFILE=wasm
WASM_OPT_LEVEL=-Oz
# Run the passes until the module stops shrinking, and let them assume what rustc's output
# guarantees: nothing below address 1024 is used (wasm-ld's global base) and memory starts
# zeroed: 3.0-3.6 kB less per contract (BENCHMARKS.md).
WASM_OPT_EXTRA=(--converge --low-memory-unused --zero-filled-memory)
TEST_CONTRACTS=(mpc-callback-receiver)
# Features the rustc output uses; the release profile strips the target_features section, so
# wasm-opt must be told them to parse the module.
WASM_FEATURES=(--enable-bulk-memory --enable-bulk-memory-opt --enable-sign-ext
  --enable-nontrapping-float-to-int --enable-mutable-globals --enable-multivalue
  --enable-reference-types)

variant=build-std
out=""
with_cw3=0
with_contracts=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --variant) variant="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --cw3) with_cw3=1; shift ;;
    --no-contracts) with_contracts=0; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$variant" in
  build-std) out="${out:-$ROOT/artifacts}" ;;
  lowered) out="${out:-$ROOT/artifacts/lowered}" ;;
  *) echo "unknown variant: $variant (build-std|lowered)" >&2; exit 2 ;;
esac

log() { echo "build-wasm: $*" >&2; }

ensure_target() {
  if ! rustup target list --installed | grep -qx "$TARGET"; then
    log "adding rust target $TARGET"
    rustup target add "$TARGET"
  fi
  if [[ "$variant" == build-std ]] && ! rustup component list --installed | grep -q '^rust-src'; then
    log "adding rust-src (needed by -Zbuild-std)"
    rustup component add rust-src
  fi
}

# wasm-opt from the npm package: Debian's binaryen is too old for the lowering pass.
WASM_OPT="$TOOLS_DIR/binaryen/node_modules/.bin/wasm-opt"
ensure_binaryen() {
  if [[ -x "$WASM_OPT" ]] && "$WASM_OPT" --version | grep -q "version $BINARYEN_VERSION"; then
    return
  fi
  log "installing binaryen@$BINARYEN_VERSION into $TOOLS_DIR/binaryen"
  mkdir -p "$TOOLS_DIR/binaryen"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/binaryen" "binaryen@$BINARYEN_VERSION"
  "$WASM_OPT" --version
}

# cargo_wasm <manifest> <package> [extra cargo args]: one package at a time, never --workspace
# (feature unification with other crates' `library` feature would strip the entry points), as a
# cdylib (the contracts' manifests declare an rlib only, for the native builds).
# Paths of the checkout and of the cargo registry end up in panic messages; mapping them to fixed
# names makes the artifacts byte-identical wherever the repository is cloned, so anyone can
# rebuild them and compare checksums.txt (scripts/test.sh does, against the committed ones).
# When the rust-src component is installed, rustc swaps std's virtual /rustc/<commit> paths for
# the local copy's; map those back too, so it makes no difference whether rust-src is there.
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
RUST_SRC="$(rustc --print sysroot)/lib/rustlib/src/rust"
RUSTC_COMMIT="$(rustc -vV | sed -n 's/^commit-hash: //p')"
REPRODUCIBLE_FLAGS="--remap-path-prefix=$ROOT=/code --remap-path-prefix=$CARGO_HOME_DIR=/cargo"
REPRODUCIBLE_FLAGS+=" --remap-path-prefix=$RUST_SRC=/rustc/$RUSTC_COMMIT"

cargo_wasm() {
  local manifest="$1" package="$2"
  shift 2
  if [[ "$variant" == build-std ]]; then
    # `-Cpanic=immediate-abort` is an unstable panic strategy (on 1.95, std's former
    # `panic_immediate_abort` feature is a compile error pointing to it); it overrides the
    # profile's `panic = "abort"`.
    RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort $REPRODUCIBLE_FLAGS" \
      CARGO_TARGET_DIR="$CARGO_TARGET_DIR/build-std" \
      cargo rustc --manifest-path "$manifest" --profile "$PROFILE" --lib --crate-type cdylib \
      --target "$TARGET" -p "$package" -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size "$@"
  else
    RUSTFLAGS="$REPRODUCIBLE_FLAGS" \
      cargo rustc --manifest-path "$manifest" --profile "$PROFILE" --lib --crate-type cdylib \
      --target "$TARGET" -p "$package" "$@"
  fi
}

built_wasm() { # path of the raw cargo output of a crate
  local name="${1//-/_}"
  if [[ "$variant" == build-std ]]; then
    echo "$CARGO_TARGET_DIR/build-std/$TARGET/$PROFILE/$name.wasm"
  else
    echo "$CARGO_TARGET_DIR/$TARGET/$PROFILE/$name.wasm"
  fi
}

optimise() { # optimise <in> <out>
  # Both recipes emit bulk-memory instructions (rustc's default wasm32 features); the lowering
  # removes them.
  local args=("$WASM_OPT_LEVEL" "${WASM_OPT_EXTRA[@]}" "${WASM_FEATURES[@]}"
    --llvm-memory-copy-fill-lowering)
  # Written beside and renamed into place: scripts/test.sh's end-to-end runs read artifacts/
  # while this rebuilds it, and must never see half a file.
  "$WASM_OPT" "${args[@]}" --strip-debug "$1" -o "$2.tmp"
  # The lowering leaves the feature enabled but must leave no bulk-memory instruction behind.
  if "$WASM_OPT" "${WASM_FEATURES[@]}" --print "$2.tmp" 2>/dev/null \
      | grep -qE '\((memory\.(copy|fill|init)|data\.drop)'; then
    echo "build-wasm: $2 still contains bulk-memory instructions" >&2
    exit 1
  fi
  mv "$2.tmp" "$2"
}

build_contracts() { # build_contracts <out dir> <crate>...
  local dir="$1" crate name
  shift
  mkdir -p "$dir"
  for crate in "$@"; do
    log "building $crate ($variant)"
    cargo_wasm "$ROOT/Cargo.toml" "$crate"
    name="${crate//-/_}"
    optimise "$(built_wasm "$crate")" "$dir/$name.wasm"
  done
  (
    cd "$dir"
    files=()
    for crate in "$@"; do files+=("${crate//-/_}.wasm"); done
    sha256sum "${files[@]}" > checksums.txt.tmp
    mv checksums.txt.tmp checksums.txt
  )
  log "wrote $dir:"
  (cd "$dir" && ls -l ./*.wasm && cat checksums.txt) >&2
}

# The benchmark's reference: cw-plus cw3-fixed-multisig 2.x from crates.io, in a scratch project
# whose cdylib re-exports its entry points. Its own lock (cosmwasm-std 2.0.0) aborts in the VM on
# Rust 1.95, so the lock is made fresh, which takes the current cosmwasm-std 2.x patch release.
build_cw3() {
  local dir="$TOOLS_DIR/cw3"
  # The reference keeps cw-plus' own recipe: release at opt-level 3, wasm-opt -O3.
  local PROFILE=release WASM_OPT_LEVEL=-O3 WASM_OPT_EXTRA=()
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml.new" <<'EOF'
[package]
name = "cw3-reference"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
cw3-fixed-multisig = { version = "2", features = ["library"] }
cosmwasm-std = "2"

[profile.release]
opt-level = 3
debug = false
rpath = false
lto = true
debug-assertions = false
codegen-units = 1
panic = "abort"
incremental = false
overflow-checks = true

[workspace]
EOF
  cat > "$dir/src/lib.rs.new" <<'EOF'
// cw3-fixed-multisig's own #[entry_point] exports do not survive into a cdylib when it is
// built as a dependency (Rust 1.95), so the entry points are declared here and delegate to it.
use cosmwasm_std::{entry_point, Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult};
use cw3_fixed_multisig::msg::{ExecuteMsg, InstantiateMsg, QueryMsg};
use cw3_fixed_multisig::{contract, ContractError};

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    contract::instantiate(deps, env, info, msg)
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    contract::execute(deps, env, info, msg)
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    contract::query(deps, env, msg)
}
EOF
  local f
  for f in Cargo.toml src/lib.rs; do
    if ! cmp -s "$dir/$f.new" "$dir/$f"; then
      mv "$dir/$f.new" "$dir/$f"
      if [[ $f == Cargo.toml ]]; then rm -f "$dir/Cargo.lock"; fi
    else
      rm "$dir/$f.new"
    fi
  done
  if [[ ! -f "$dir/Cargo.lock" ]]; then
    (cd "$dir" && cargo generate-lockfile)
  fi
  log "building cw3-fixed-multisig ($variant) with $(grep -A1 'name = "cosmwasm-std"' "$dir/Cargo.lock" | tail -1)"
  cargo_wasm "$dir/Cargo.toml" cw3-reference --locked
  mkdir -p "$dir/artifacts/$variant"
  optimise "$(built_wasm cw3-reference)" "$dir/artifacts/$variant/cw3_fixed_multisig.wasm"
  log "wrote $dir/artifacts/$variant/cw3_fixed_multisig.wasm"
}

# The build is reproducible, so the same inputs give the same bytes: a build whose inputs match a
# stamp left by an earlier build, and whose outputs are still the bytes it wrote, is skipped. A new
# clone of unchanged contracts (new file times, so cargo would rebuild them all, with LTO) costs
# seconds instead of minutes. The inputs: the toolchain, binaryen, this script, the lock file and
# manifests, and every file of the path packages the built crates depend on (from cargo metadata,
# normal and build dependencies). Without git, nothing is skipped.
inputs_digest() { # inputs_digest <crate>...
  local dirs
  dirs="$(cargo metadata --manifest-path "$ROOT/Cargo.toml" --format-version 1 --locked 2>/dev/null \
    | node -e '
      const crates = process.argv.slice(1);
      let text = "";
      process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
        const meta = JSON.parse(text);
        const byId = new Map(meta.packages.map((p) => [p.id, p]));
        const nodes = new Map(meta.resolve.nodes.map((n) => [n.id, n]));
        const todo = meta.packages.filter((p) => crates.includes(p.name)).map((p) => p.id);
        const seen = new Set();
        while (todo.length) {
          const id = todo.pop();
          if (seen.has(id)) continue;
          seen.add(id);
          for (const dep of nodes.get(id).deps) {
            if (dep.dep_kinds.some((k) => k.kind !== "dev")) todo.push(dep.pkg);
          }
        }
        for (const id of seen) {
          const p = byId.get(id);
          if (p.source === null) console.log(p.manifest_path.replace(/\/Cargo\.toml$/, ""));
        }
      });' "$@")" || return 1
  [[ -n "$dirs" ]] || return 1
  {
    rustc -vV
    echo "binaryen $BINARYEN_VERSION variant $variant profile $PROFILE out ${out#"$ROOT"/}"
    (
      cd "$ROOT"
      # shellcheck disable=SC2046
      git ls-files -co --exclude-standard -- Cargo.toml Cargo.lock rust-toolchain.toml \
        scripts/build-wasm.sh $(sed "s|^$ROOT/||" <<<"$dirs") | LC_ALL=C sort | xargs sha256sum
    ) || return 1
  } | sha256sum | cut -c1-32
}

# The files a contracts build writes, relative to the root.
built_files() {
  local crate
  for crate in "${CONTRACTS[@]}"; do echo "${out#"$ROOT"/}/${crate//-/_}.wasm"; done
  echo "${out#"$ROOT"/}/checksums.txt"
  if [[ "$variant" == build-std ]]; then
    for crate in "${TEST_CONTRACTS[@]}"; do echo "tests/artifacts/${crate//-/_}.wasm"; done
    echo "tests/artifacts/checksums.txt"
  fi
}

ensure_target
ensure_binaryen
if [[ $with_contracts == 1 ]]; then
  stamp=""
  if digest="$(inputs_digest "${CONTRACTS[@]}" "${TEST_CONTRACTS[@]}")"; then
    stamp="$CARGO_TARGET_DIR/wasm-stamps/$digest"
  fi
  if [[ -n "$stamp" && -f "$stamp" ]] && (cd "$ROOT" && sha256sum --quiet --check "$stamp" 2>/dev/null); then
    log "inputs unchanged since a build that wrote these very files (stamp $(basename "$stamp")): not rebuilt"
  else
    build_contracts "$out" "${CONTRACTS[@]}"
    if [[ "$variant" == build-std ]]; then
      build_contracts "$ROOT/tests/artifacts" "${TEST_CONTRACTS[@]}"
    fi
    if [[ -n "$stamp" ]]; then
      mkdir -p "$(dirname "$stamp")"
      (cd "$ROOT" && built_files | xargs sha256sum) > "$stamp.tmp"
      mv "$stamp.tmp" "$stamp"
    fi
  fi
fi
if [[ $with_cw3 == 1 ]]; then build_cw3; fi
