#!/usr/bin/env bash
# Sets up, builds and serves the app with `trunk serve` on http://127.0.0.1:8080 on its embedded
# defaults (Jane, the demo articles, the offline backend: no endpoint or key needed).
# Extra arguments go to trunk, e.g. `scripts/serve.sh --release --port 9000`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
source scripts/env.sh
exec trunk serve --offline "$@"
