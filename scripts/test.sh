#!/usr/bin/env bash
# Sets up and runs every test layer:
#   1. native:  cargo test --workspace (engine core, pipeline, CLI, fake server, model client)
#   2. browser: wasm-bindgen-test in headless Chromium (IndexedDB, the index in wasm, the model
#               client streaming over fetch from the fake OpenAI server)
#   3. e2e:     trunk build --release, serve dist/ on 127.0.0.1, drive it with Playwright
# Figures (wasm size raw and gzipped, e2e timings) are printed along the way.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$(date +%s)
scripts/setup.sh --browser
source scripts/env.sh
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "native tests"
cargo test --workspace --locked

step "browser tests (wasm-bindgen-test, headless Chromium)"
export CHROMEDRIVER=/usr/bin/chromedriver
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=120
# Quiet Chromium flags for this closed network (the runner adds headless and no-sandbox).
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/webdriver.json"
cargo test --locked --target wasm32-unknown-unknown -p persona-idb --lib --test browser
# The model client in the browser (fetch, streaming, faults, cancellation) against the fake
# OpenAI server, run natively on 127.0.0.1; the test is compiled with its URL.
cargo build --locked -p persona-fake-server --bin fake-openai
exec {fake_out}< <(exec target/debug/fake-openai --script tests/fake-scripts/browser-stream.json)
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true' EXIT
if ! read -r -t 30 fake_line <&"$fake_out" || [[ $fake_line != "listening on http://127.0.0.1:"* ]]; then
  echo "fake-openai did not start (first line: ${fake_line:-none})" >&2
  exit 1
fi
PERSONA_FAKE_URL="${fake_line#listening on }/v1" \
  cargo test --locked --target wasm32-unknown-unknown -p persona-model --test browser_stream
kill "$fake_pid" 2>/dev/null || true
wait "$fake_pid" 2>/dev/null || true
exec {fake_out}<&-
trap - EXIT

step "storage benchmark (release wasm, headless Chromium; prints figures)"
cargo test --locked --release --target wasm32-unknown-unknown -p persona-idb --test bench -- --nocapture

step "knowledge bundle load benchmark (release wasm, headless Chromium; 1,000 chunks)"
cargo test --locked --release --target wasm32-unknown-unknown -p persona-idb --test bundle -- --nocapture

step "release build (trunk)"
# Relative URLs: the build works from any path of any static host (e2e serves it from /personas/).
trunk build --release --offline --public-url ./
wasm=$(ls dist/*.wasm)
printf 'release wasm: %s bytes raw, %s bytes gzipped (%s)\n' \
  "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" "$wasm"

step "embeddable widget (scripts/build-widget.sh → dist/widget)"
scripts/build-widget.sh dist/widget

step "end-to-end tests (Playwright, Chromium)"
# target/debug/fake-openai was built in the browser step.
node --test --test-concurrency=1 tests/e2e/

step "all test layers passed"
