#!/usr/bin/env bash
# Install whatever is missing for building, serving and testing the playground on a
# fresh Debian machine (idempotent: each step is skipped when already in place).
# Sourced by www/serve.sh and tests/run.sh; it exports PATH for the tools it installs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION=0.2.130   # must equal the `=` pin of wasm-bindgen in crate/Cargo.toml
TRUNK_VERSION=0.21.14          # trunk 0.22 needs a newer rustc than this machine has

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

export PATH="$HOME/.cargo/bin:$ROOT/tests/node_modules/.bin:$PATH"
# lavapipe (Vulkan on the CPU) wants a private runtime dir.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d /tmp/xdg-runtime.XXXXXX)}"

apt_missing=()
command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || apt_missing+=(chromium-driver)
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || apt_missing+=(mesa-vulkan-drivers)
ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || apt_missing+=(libvulkan1)
command -v node >/dev/null 2>&1 || apt_missing+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_missing+=(npm)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "apt: installing ${apt_missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup: adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for c in clippy rustfmt; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done

# The two cargo-built tools take ~14 minutes of compiling on a fresh machine. With
# SETUP_TOOLS_BACKGROUND=1 (tests/run.sh) they build in the background while the lints and
# native tests run, and `setup_wait_tools` (defined below either way) waits for them; the
# builds then fill the core that single-threaded test phases leave idle.
install_tools() {
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    say "cargo: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes)"
    # Not --locked: the locked build fails on webpki-roots here (TOOLCHAIN.md).
    cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "cargo: installing trunk $TRUNK_VERSION (about 9 minutes)"
    cargo install -q trunk --version "$TRUNK_VERSION" --locked --force
  fi
}
tools_ready() {
  [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ] \
    && [ "$(trunk --version 2>/dev/null)" = "trunk $TRUNK_VERSION" ]
}
SETUP_TOOLS_PID=""
if tools_ready; then
  :
elif [ -n "${SETUP_TOOLS_BACKGROUND:-}" ]; then
  SETUP_TOOLS_LOG="$(mktemp /tmp/hp-setup-tools.XXXXXX.log)"
  say "building wasm-bindgen-cli and trunk in the background (log: $SETUP_TOOLS_LOG)"
  ( install_tools ) >"$SETUP_TOOLS_LOG" 2>&1 &
  SETUP_TOOLS_PID=$!
else
  install_tools
fi
setup_wait_tools() {
  if [ -n "$SETUP_TOOLS_PID" ]; then
    say "waiting for the background tool builds"
    if ! wait "$SETUP_TOOLS_PID"; then
      cat "$SETUP_TOOLS_LOG" >&2
      say "installing wasm-bindgen-cli or trunk failed (log above)"
      return 1
    fi
    SETUP_TOOLS_PID=""
  fi
  tools_ready || { say "wasm-bindgen $WASM_BINDGEN_VERSION or trunk $TRUNK_VERSION is missing after setup"; return 1; }
}

# playwright-core drives Debian's chromium; npm binaryen gives a wasm-opt that trunk
# accepts (Debian's binaryen 108 produces wasm that fails to load).
if [ ! -x "$ROOT/tests/node_modules/.bin/wasm-opt" ] || [ ! -d "$ROOT/tests/node_modules/playwright-core" ] \
   || [ "$ROOT/tests/package-lock.json" -nt "$ROOT/tests/node_modules/.package-lock.json" ]; then
  say "npm: installing the test packages"
  (cd "$ROOT/tests" && npm ci --no-audit --no-fund --loglevel=error)
fi
