#!/usr/bin/env bash
# Installs everything the project needs, idempotently: a second run only checks versions.
#
#   scripts/setup.sh             # build tools: wasm target, trunk, wasm-bindgen CLI, npm packages
#   scripts/setup.sh --browser   # ... and Chromium + ChromeDriver for the browser tests
#
# Versions: trunk 0.21.14 (the newest trunk needs a newer rustc); wasm-bindgen CLI = the exact
# wasm-bindgen version in Cargo.lock (installed without --locked, see ../shared/TOOLCHAIN.md);
# wasm-opt from the npm package binaryen (Debian's is too old for current rustc output).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

step() { printf '\n==> %s\n' "$*"; }
# Build tools are compiled without fat LTO and with parallel codegen: their own release profiles
# ask for both, which roughly doubles a 2-core install for no benefit to us.
tool_install() {
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install "$@"
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION"; then
  step "installing trunk $TRUNK_VERSION (several minutes on 2 cores, once)"
  tool_install --locked trunk --version "$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION" \
   || ! wasm-bindgen-test-runner --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
  tool_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ ! -x node_modules/.bin/wasm-opt ] || ! npm ls --depth=0 >/dev/null 2>&1; then
  step "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
fi

if [ "$want_browser" = 1 ] && ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  step "installing Chromium and ChromeDriver from apt"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
fi
