# Sourced by the README's two commands (scripts/devnet.sh, scripts/test.sh) so that they build
# into one place and install the same system packages: whichever runs first, the other reuses its
# build and finds what it installed.
#
#   CARGO_TARGET_DIR  default $HOME/.cache/mpc-target (outside the clone: a fresh clone of the
#                     same commit, as CI makes, reuses it)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mpc-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# System packages the Rust build needs: m4, to configure GMP (built from source by gmp-mpfr-sys
# for cggmp21's Paillier arithmetic).
BUILD_PACKAGES=(m4)

# Installs the missing BUILD_PACKAGES with apt (as root, or through sudo), saying what it does.
ensure_build_packages() {
  local missing=() pkg
  for pkg in "${BUILD_PACKAGES[@]}"; do
    command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "installing ${missing[*]} with apt (needed to build GMP for threshold ECDSA)" >&2
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "missing ${missing[*]}: install it (apt-get install ${missing[*]}) and run again" >&2
      return 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq >/dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
