#!/usr/bin/env bash
# The approver's page, checked and tested in a real browser against a running local chain:
#   apps/approver/scripts/test.sh <path to local-chain.json>
# (the file scripts/local-chain.sh writes, as the client package's end-to-end tests take it).
# Installs what it needs: Debian's chromium (apt, if missing), the client package's build (linked
# by file:), the page's locked dependencies. Screenshots of each step: apps/approver/test-artifacts/.
set -euo pipefail
chain_json="$(realpath "${1:?usage: $0 <local-chain.json>}")"
[[ -f "$chain_json" ]] || { echo "no such file: $chain_json" >&2; exit 1; }
cd "$(dirname "$0")/.."

if [[ -z "${CHROMIUM:-}" ]] && ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian's package) for the browser test"
  if [[ "$(id -u)" == 0 ]]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  "${apt_get[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq chromium >/dev/null
fi
export CHROMIUM="${CHROMIUM:-$(command -v chromium)}"

# The client package the page links to (`file:../../packages/client-ts`): its dependencies and
# dist/. scripts/test.sh built it already (npm ci runs its build) and runs the client's own tests
# beside this script, which load dist/: it sets MPC_CLIENT_BUILT=1 so that dist/ is not rewritten
# under them.
if [[ "${MPC_CLIENT_BUILT:-}" != 1 ]]; then
  (
    cd ../../packages/client-ts
    [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error
    npm run --silent build
  )
fi

npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
log="$(mktemp)"
started=$SECONDS
MPC_LOCAL_CHAIN_JSON="$chain_json" npm test --silent >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
grep -q '^# skipped 0' "$log" || { cat "$log" >&2; echo "the browser test was skipped" >&2; exit 1; }
grep -E '^# (tests|pass|fail|skipped)' "$log"
echo "approver page: browser test passed in $((SECONDS - started)) s; screenshots in $(pwd)/test-artifacts/"
