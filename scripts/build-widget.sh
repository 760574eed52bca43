#!/usr/bin/env bash
# Builds the embeddable chat widget into one folder a site serves as is:
#
#   scripts/build-widget.sh [out-dir]          # default dist/widget
#
# out-dir gets persona-chat.js (the one script a page includes: the element and the wasm-bindgen
# glue in one module) and persona_widget_bg.wasm. Steps: cargo (profile `web`, the
# smallest wasm), wasm-bindgen --target web, wasm-opt -Oz when wasm-opt is on PATH (scripts/env.sh
# puts the project's on it), then the copy. A re-run with nothing changed only asks cargo and
# copies: the bindgen + wasm-opt output is cached under target/widget/, keyed by the hash of
# cargo's wasm and the tool versions. Extra cargo arguments come from $WIDGET_CARGO_ARGS (e.g.
# "--no-default-features" for an offline-only widget without the endpoint client).
set -euo pipefail
# An out-dir given relative to where the script was called from (the default: to the repository).
out="${1:-}"
[[ -n $out && $out != /* ]] && out="$PWD/$out"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
out="${out:-dist/widget}"
cache=target/widget
raw=target/wasm32-unknown-unknown/web/persona_widget.wasm

# shellcheck disable=SC2086 # WIDGET_CARGO_ARGS is a list of words on purpose
cargo build --locked --profile web --target wasm32-unknown-unknown -p persona-widget ${WIDGET_CARGO_ARGS:-}

if ! command -v wasm-bindgen >/dev/null; then
  echo "wasm-bindgen is not on PATH: run scripts/setup.sh first" >&2
  exit 1
fi
opt_version=none
if command -v wasm-opt >/dev/null; then
  opt_version=$(wasm-opt --version)
else
  echo "note: wasm-opt is not on PATH; the wasm is not size-optimised (scripts/setup.sh installs it)" >&2
fi
key=$( { sha256sum "$raw" | cut -d' ' -f1; wasm-bindgen --version; echo "$opt_version"; } | sha256sum | cut -d' ' -f1)

if [ "$(cat "$cache/key" 2>/dev/null)" != "$key" ] || [ ! -f "$cache/pkg/persona_widget_bg.wasm" ]; then
  rm -rf "$cache/pkg" "$cache/key"
  mkdir -p "$cache/pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$cache/pkg" "$raw"
  if [ "$opt_version" != none ]; then
    # The features rustc's wasm32 target enables by default (wasm-opt must accept them).
    wasm-opt -Oz \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      -o "$cache/pkg/persona_widget_bg.opt.wasm" "$cache/pkg/persona_widget_bg.wasm"
    mv "$cache/pkg/persona_widget_bg.opt.wasm" "$cache/pkg/persona_widget_bg.wasm"
  fi
  echo "$key" > "$cache/key"
fi

mkdir -p "$out"
rm -f "$out/persona_widget.js"
cp "$cache/pkg/persona_widget_bg.wasm" "$out/"
# One script for the host page: the wasm-bindgen glue and the element in one module. The source
# element (www/widget/persona-chat.js) imports the glue from ./persona_widget.js; here that
# import becomes the glue already in the module.
marker='import(GLUE_URL.href)'
grep -qF "$marker" www/widget/persona-chat.js || { echo "build-widget: '$marker' not found in www/widget/persona-chat.js" >&2; exit 1; }
{
  echo "// <persona-chat>: the element (www/widget/persona-chat.js) and its wasm-bindgen glue in one module."
  echo "// Built by scripts/build-widget.sh; persona_widget_bg.wasm sits next to it."
  cat "$cache/pkg/persona_widget.js"
  echo
  echo "const bundledGlue = { default: __wbg_init, PersonaEngine };"
  sed "s|$marker|Promise.resolve(bundledGlue)|" www/widget/persona-chat.js
} > "$out/persona-chat.js"
wasm="$out/persona_widget_bg.wasm"
printf 'widget wasm: %s bytes raw, %s bytes gzipped (%s)\n' \
  "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" "$wasm"
printf 'widget script: %s bytes (persona-chat.js, the element and its glue), in %s\n' \
  "$(stat -c %s "$out/persona-chat.js")" "$out"
