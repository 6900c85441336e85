#!/usr/bin/env bash
# The whole test suite: installs what is missing (tests/setup.sh), then lints,
# native tests, GPU kernels on lavapipe, wasm tests in headless Chromium, the
# release builds, and the browser end-to-end tests. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SETUP_TOOLS_BACKGROUND=1 source tests/setup.sh

export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}"
SECONDS_TOTAL=$SECONDS
step() {
  local name="$1"; shift
  printf '\n\033[1;32m==> %s\033[0m\n' "$name"
  local t0=$SECONDS
  "$@"
  printf '\033[0;32m    %s: ok (%ss)\033[0m\n' "$name" "$((SECONDS - t0))"
}

step "rustfmt" cargo fmt --all --check
step "clippy (native)" cargo clippy --workspace --all-targets --locked -- -D warnings
step "clippy (wasm32)" cargo clippy --workspace --lib --test wasm --target wasm32-unknown-unknown --locked -- -D warnings
# The relaxed-SIMD GEMM module (its own crate, wasm32 only; www/post-build.mjs builds it).
relaxed_kernel_lints() {
  (cd kernels/relaxed-gemm && cargo fmt --check \
    && RUSTFLAGS='-C target-feature=+simd128,+relaxed-simd' cargo clippy --target wasm32-unknown-unknown \
      --target-dir ../../target/relaxed-gemm --locked -- -D warnings)
}
step "clippy (relaxed-SIMD GEMM module)" relaxed_kernel_lints
step "native tests" cargo test --workspace --locked
step "tools (wasm-bindgen, trunk)" setup_wait_tools
step "wasm tests (headless Chromium)" cargo test -p hopfield-playground --target wasm32-unknown-unknown --test wasm --locked
step "release site (trunk)" trunk build --release
step "browser end-to-end tests" bash -c 'cd tests && node --test --test-concurrency=1 e2e/'
printf '\n\033[1;32mAll tests passed in %ss.\033[0m\n' "$((SECONDS - SECONDS_TOTAL))"
