#!/usr/bin/env bash
# Runs every check and test of the suite from a clean machine, installing what it needs: the
# pinned toolchain with its wasm target (rust-toolchain.toml, through rustup), m4 (to build GMP for
# cggmp21; scripts/lib/env.sh, shared with scripts/devnet.sh), binaryen (wasm lowering, via
# scripts/build-wasm.sh) and wasmd (scripts/wasmd.sh). Build output is cached outside the clone
# (CARGO_TARGET_DIR, the same as scripts/devnet.sh's) so a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

started=$SECONDS
# The test executables `cargo test <args>` would run, built if needed (not the binaries built
# for them, which are artifacts of a non-test profile).
test_executables() {
  cargo test --locked "$@" --no-run --message-format=json | node -e '
    require("readline").createInterface({ input: process.stdin }).on("line", (line) => {
      const m = JSON.parse(line);
      if (m.reason === "compiler-artifact" && m.profile.test && m.executable) console.log(m.executable);
    });'
}
step() { printf '\n==> [%dm%02ds] %s\n' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)) "$*"; }

step "toolchain and system packages"
rustup toolchain install 2>/dev/null || rustup show active-toolchain  # rust-toolchain.toml
rustup show active-toolchain
ensure_build_packages

# The end-to-end tests need a wasmd binary; a cold build is mostly Go compiling, so it runs
# alongside the cargo builds below (which leave a core idle while linking) instead of after them.
step "wasmd test chain (building in the background if not cached)"
mkdir -p "$CARGO_TARGET_DIR"
wasmd_log="$CARGO_TARGET_DIR/wasmd-build.log"
scripts/wasmd.sh >"$wasmd_log" 2>&1 &
wasmd_pid=$!

step "formatting"
cargo fmt --all -- --check

# The end-to-end runs (the wasmd tests and the local chain) are the longest steps and mostly wait
# for blocks and timeouts, so they start first, on the committed artifacts (checked against the
# source below), and the lints, the wasm build and the other tests' build run beside them.
step "building what the end-to-end runs need (the connector, the local chain, the wasmd tests)"
# The wasmd end-to-end tests (connector/tests/localnet, `test = false`): their executable, run
# directly so that it runs beside the cargo commands below (two cargo processes would wait on
# each other's lock on the build directory).
localnet_tests="$(test_executables -p mpc-connector --test localnet)"
[[ -x "$localnet_tests" ]] || { echo "the end-to-end test executable was not built" >&2; exit 1; }
# The local chain's binaries (scripts/local-chain.sh): they run the same connector binary.
cargo build --locked -p mpc-connector --bin connector -p mpc-local-chain --bin local-chain

# Starts the end-to-end runs once wasmd is built: at once when it was cached, else between the
# build steps below, once its Go build (running beside them on a cold machine) is done.
end_to_end_started=0
start_end_to_end() {
  step "wasmd test chain (waiting for the background build)"
  if ! wait "$wasmd_pid"; then
    cat "$wasmd_log" >&2
    echo "scripts/wasmd.sh failed; the end-to-end tests cannot run" >&2
    exit 1
  fi
  tail -n 1 "$wasmd_log"

  # The end-to-end tests on wasmd (two federations at a time) run in the package's directory as
  # cargo would run them, in a process group of their own (so a failure below stops their chains
  # too); their output comes at the end.
  step "wasmd end-to-end tests started in the background (connector/tests/localnet)"
  localnet_log="$(mktemp)"
  (cd connector && exec setsid "$localnet_tests") >"$localnet_log" 2>&1 &
  localnet_pid=$!
  stop_localnet() {
    kill -- -"$localnet_pid" 2>/dev/null || true
    # The harness puts each connector in a process group of its own (the chaos run signals them
    # one by one), and a killed test runs no destructor: its chains and connectors go by name.
    pkill -KILL -f "mpc-localnet-$localnet_pid-|$CARGO_TARGET_DIR/tmp/localnet-federation" 2>/dev/null || true
  }
  trap stop_localnet EXIT

  # The local chain of scripts/local-chain.sh (wasmd and three real connectors) for the TypeScript
  # client's end-to-end tests below. Its data directory is kept, as a developer's is: a later run
  # starts in seconds, and after a contract change it deploys the new contracts on the same chain
  # while the connectors keep their primes (minutes of CPU). The trap stops the chain on any
  # failure.
  step "local chain for the TypeScript end-to-end tests started (scripts/local-chain.sh)"
  chain_dir="$CARGO_TARGET_DIR/local-chain-e2e"
  # Directories of the runs that kept one chain per contract build.
  find "$CARGO_TARGET_DIR" -maxdepth 1 -name 'local-chain-e2e-*' -exec rm -rf {} +
  chain_json="$chain_dir/local-chain.json"
  chain_log="$(mktemp)"
  rm -f "$chain_json"
  MPC_LOCAL_CHAIN_BUILT=1 scripts/local-chain.sh --data-dir "$chain_dir" >"$chain_log" 2>&1 &
  chain_pid=$!
  stop_chain() {
    kill -INT "$chain_pid" 2>/dev/null || return 0
    wait "$chain_pid"
  }
  trap 'stop_chain || true; cat "$chain_log" >&2; stop_localnet' EXIT

  # The TypeScript client: locked install, generated code in step with schema/, strict types,
  # its unit tests (the chain faked); then, once the local chain is up, its end-to-end tests (the
  # README's quickstart, an EdDSA key, an expiry, a bank send signed by an MPC key, an EVM
  # account on anvil, fee refusals: test/e2e/) and beside them the approver's page in headless
  # Chromium on the same chain (its requests come from the chain's third account; the client's
  # tests use the first two). None of it needs the Rust builds below, so it runs beside them.
  step "TypeScript client and approver page started in the background (on the local chain)"
  typescript_log="$(mktemp)"
  typescript_tests >"$typescript_log" 2>&1 &
  typescript_pid=$!
  end_to_end_started=1
}

typescript_tests() {
  (
    cd packages/client-ts
    npm ci --no-audit --no-fund --loglevel=error
    npm run --silent codegen:check
    npm run --silent typecheck
    log="$(mktemp)"
    npm test --silent >"$log" 2>&1 || { cat "$log"; exit 1; }
    tail -n 8 "$log"
  ) || { echo "the TypeScript client's checks failed"; return 1; }
  for _ in $(seq 1 1800); do
    [[ -f "$chain_json" ]] && break
    kill -0 "$chain_pid" 2>/dev/null || { echo "the local chain exited before it was up"; return 1; }
    sleep 0.5
  done
  [[ -f "$chain_json" ]] || { echo "the local chain was not up after 15 minutes"; return 1; }
  grep -E '^local-chain: up in' "$chain_log"
  local approver_log approver_pid
  approver_log="$(mktemp)"
  MPC_CLIENT_BUILT=1 apps/approver/scripts/test.sh "$chain_json" >"$approver_log" 2>&1 &
  approver_pid=$!
  (
    cd packages/client-ts
    log="$(mktemp)"
    MPC_LOCAL_CHAIN_JSON="$chain_json" npm test --silent >"$log" 2>&1 || { cat "$log"; exit 1; }
    grep -q '^# skipped 0' "$log" || { cat "$log"; echo "the end-to-end tests were skipped"; exit 1; }
    echo "TypeScript client end to end:"
    tail -n 8 "$log"
  ) || { kill "$approver_pid" 2>/dev/null; echo "the TypeScript end-to-end tests failed"; return 1; }
  wait "$approver_pid" || { cat "$approver_log"; echo "the approver page's test failed"; return 1; }
  echo "approver page in a browser (apps/approver):"
  cat "$approver_log"
}
start_end_to_end_if_ready() {
  [[ "$end_to_end_started" == 1 ]] || kill -0 "$wasmd_pid" 2>/dev/null || start_end_to_end
}
# Runs a build step; meanwhile the end-to-end runs start as soon as wasmd is there (on a cold
# machine its Go build ends in the middle of the Rust builds).
build_step() {
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    start_end_to_end_if_ready
    sleep 1
  done
  wait "$pid"
}
start_end_to_end_if_ready

step "clippy (all targets, warnings are errors)"
build_step cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end tests are a `test = false` target, which `--all-targets` leaves out.
build_step cargo clippy --locked -p mpc-connector --test localnet -- -D warnings

if [ -x scripts/build-wasm.sh ]; then
  step "wasm artifacts (built, or unchanged since a build that wrote them; validated by the VM tests below)"
  build_step scripts/build-wasm.sh
  # The build is reproducible (paths remapped), so the committed artifacts must be exactly what
  # this source builds: operators upload artifacts/ and compare checksums.txt (and the
  # end-to-end runs above use them).
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1 \
    && ! git diff --quiet -- artifacts/ tests/artifacts/; then
    git diff --stat -- artifacts/ tests/artifacts/ >&2
    echo "artifacts/ differ from what the source builds: run scripts/build-wasm.sh and commit them" >&2
    exit 1
  fi
fi

step "building the tests"
build_step cargo test --workspace --locked --no-run

# The README's first command (scripts/devnet.sh) builds the devnet alone: it must find every
# dependency built, or the two commands would each compile their own copy of them (only the
# workspace's own crates, `Compiling <name> v<version> (<path>)`, may be compiled again).
step "the devnet's build reuses the test build's dependencies"
devnet_build="$(cargo build --locked -p mpc-devnet --bin devnet 2>&1)"
if grep -E '^\s*Compiling [^ ]+ v[^ ]+$' <<<"$devnet_build"; then
  echo "scripts/devnet.sh would compile the above again: run cargo hakari generate (.config/hakari.toml)" >&2
  exit 1
fi
[[ "$end_to_end_started" == 1 ]] || start_end_to_end

# The devnet's tests (the embedded chain and three parties in one process, a party down, a
# restart in the middle of signing) mostly wait for the parties' timeouts: they run beside the
# other tests, each executable in the package's directory as cargo would run it; `cargo test`
# below leaves the package out.
step "the devnet's tests started in the background (devnet/tests)"
devnet_log="$(mktemp)"
devnet_tests="$(test_executables -p mpc-devnet)"
(
  cd devnet
  status=0
  for test in $devnet_tests; do
    "$test" || status=1
  done
  exit "$status"
) >"$devnet_log" 2>&1 &
devnet_pid=$!

# The local chain's own tests run after the TypeScript tests, on the same data directory: a
# cold run makes the parties' primes once.
local_chain_tests="$(test_executables -p mpc-local-chain)"

step "tests"
failed=0
cargo test --workspace --exclude mpc-devnet --exclude mpc-local-chain --locked --no-fail-fast || failed=1
step "waiting for the TypeScript client and the approver page, their output:"
wait "$typescript_pid" || { cat "$typescript_log" >&2; exit 1; }
cat "$typescript_log"
trap stop_localnet EXIT
stop_chain || { cat "$chain_log" >&2; echo "the local chain did not stop cleanly on Ctrl-C" >&2; exit 1; }
step "the local chain's tests (local-chain/tests) on the data directory of the TypeScript tests"
for test in $local_chain_tests; do
  (cd local-chain && MPC_LOCAL_CHAIN_DATA_DIR="$chain_dir" "$test") || failed=1
done
step "waiting for the devnet's tests (devnet/tests), their output:"
wait "$devnet_pid" || failed=1
cat "$devnet_log"
step "waiting for the wasmd end-to-end tests (connector/tests/localnet), their output:"
wait "$localnet_pid" || failed=1
trap - EXIT
cat "$localnet_log"
[[ "$failed" == 0 ]] || { echo "tests failed (above)" >&2; exit 1; }
step "done"
