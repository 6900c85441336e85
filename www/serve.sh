#!/usr/bin/env bash
# Install whatever is missing, build the playground (release: the models need the
# optimised wasm) and serve it at http://127.0.0.1:8080 until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tests/setup.sh
echo "Serving the playground at http://127.0.0.1:8080" >&2
exec trunk serve --release --address 127.0.0.1 --port 8080 "$@"
