#!/usr/bin/env bash
# Proves the first-run path: the README's first command, exactly as written, in a clean clone on
# a machine where nothing the project installs is present, ends with fulfilled requests whose
# signatures verify. Optionally (--with-tests) the README's second command runs next in the same
# state, to time it and to show it reuses the first one's build; or (--tests-first) the second
# command runs first, on the empty caches as a cold CI run does, and the first one after it.
#
# What "nothing installed" means here, and how it is made (say it runs as root in a container,
# or on a developer machine that has run the tests before):
#   - a fresh clone of this repository's HEAD (committed work only) in a temporary directory;
#   - HOME and CARGO_HOME point into that directory: no build cache (~/.cache/mpc-target), no
#     wasm build cache, no tools cache (binaryen, wasmd), no crates.io registry cache, no npm or
#     Go caches. RUSTUP_HOME stays (rustup and Rust are what the README assumes the machine has);
#   - the system packages the project installs (scripts/lib/env.sh: m4) are removed with apt,
#     which needs root; without root the script stops and says so. What it removed is printed.
#
# Usage: scripts/first-run.sh [--with-tests | --tests-first] [--keep]
#   --with-tests  also run the README's second command afterwards (the full suite)
#   --tests-first run the README's second command first, then the first one
#   --keep        keep the temporary directory (its path is printed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
with_tests=0
tests_first=0
keep=0
for arg in "$@"; do
  case "$arg" in
    --with-tests) with_tests=1 ;;
    --tests-first) tests_first=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

say() { printf 'first-run: %s\n' "$*" >&2; }
[[ $with_tests == 1 && $tests_first == 1 ]] && { say "--with-tests or --tests-first, not both"; exit 2; }

# The README's commands: the first block of the README, one command per line (comments dropped).
readme_command() { # readme_command <n>
  awk '/^```sh$/ {inside=1; next} inside && /^```/ {exit} inside {print}' "$ROOT/README.md" \
    | sed -n "${1}p" | sed 's/[[:space:]]*#.*$//'
}
devnet_command="$(readme_command 1)"
test_command="$(readme_command 2)"
[[ -n "$devnet_command" && -n "$test_command" ]] || { say "no commands found in README.md"; exit 1; }
say "README's first command:  $devnet_command"
say "README's second command: $test_command"

if [[ "$(id -u)" != 0 ]]; then
  say "needs root to remove the system packages the project installs (m4); run it as root, e.g."
  say "in a container: docker run --rm -v \$PWD:/src -w /src <image with rust, go, node> scripts/first-run.sh"
  exit 1
fi

# shellcheck source=lib/env.sh
source "$ROOT/scripts/lib/env.sh"
removed=()
for pkg in "${BUILD_PACKAGES[@]}"; do
  if dpkg -s "$pkg" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$pkg" >/dev/null
    removed+=("$pkg")
  fi
  if command -v "$pkg" >/dev/null 2>&1; then
    say "$pkg is still on PATH at $(command -v "$pkg") (not from apt): remove it by hand first"
    exit 1
  fi
done
say "removed system packages: ${removed[*]:-(none were installed)}"

work="$(mktemp -d /tmp/mpc-first-run.XXXXXX)"
if [[ $keep == 0 ]]; then trap 'rm -rf "$work"' EXIT; else say "keeping $work"; fi
git clone --quiet "$ROOT" "$work/clone"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export HOME="$work/home" CARGO_HOME="$work/cargo"
unset CARGO_TARGET_DIR
mkdir -p "$HOME" "$CARGO_HOME"
say "clean clone at $work/clone (HEAD $(git -C "$work/clone" rev-parse --short HEAD)); HOME=$HOME; empty caches"

run_timed() { # run_timed <label> <command>: runs it in the clone, output in <label>.log
  local label="$1" command="$2" started=$SECONDS status=0
  say "running $label: $command"
  (cd "$work/clone" && bash -c "$command") 2>&1 | tee "$work/$label.log" || status=$?
  elapsed=$((SECONDS - started))
  say "$label: exit $status after $((elapsed / 60))m$((elapsed % 60))s"
  return "$status"
}

if [[ $tests_first == 1 ]]; then
  run_timed tests "$test_command"
  say "tests: cold, on empty caches, took $((elapsed / 60))m$((elapsed % 60))s on $(nproc) cores"
fi

run_timed devnet "$devnet_command"
devnet_elapsed=$elapsed
# The devnet exits 0 only when every request was fulfilled with signatures that verify; the
# lines it prints say so too, and are checked here so a silent success cannot pass.
verified="$(grep -cE 'signature request [0-9]+: fulfilled in .* verifies against key' "$work/devnet.log" || true)"
[[ "$verified" -ge 2 ]] \
  || { say "the devnet printed $verified fulfilled signature requests that verify (want one per key type)"; exit 1; }
grep -E '^\[ *[0-9.]+s\] done: ' "$work/devnet.log" \
  || { say "the devnet did not end with its summary line"; exit 1; }
if [[ $tests_first == 1 ]]; then
  say "devnet: after the test command, took $((devnet_elapsed / 60))m$((devnet_elapsed % 60))s"
else
  say "devnet: cold first run took $((devnet_elapsed / 60))m$((devnet_elapsed % 60))s on $(nproc) cores"
fi

if [[ $with_tests == 1 ]]; then
  run_timed tests "$test_command"
  say "tests: right after the devnet, took $((elapsed / 60))m$((elapsed % 60))s"
fi
say "ok"
