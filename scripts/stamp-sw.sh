#!/usr/bin/env bash
# Trunk post-build hook: writes the service worker's version (a hash of every built file) and
# its precache list (every built file, relative to the app's root) into sw.js in the staging
# directory. The same build always gives the same sw.js; any change to any file gives a new one.
set -euo pipefail
dir="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
cd "$dir"
sw=sw.js
[[ -f $sw ]] || { echo "stamp-sw: $dir/$sw is missing" >&2; exit 1; }
# The example host page is not part of the app (and the widget, built later, is not either).
mapfile -t files < <(find . -type f ! -name "$sw" ! -name '*.map' ! -path './examples/*' ! -path './widget/*' -printf '%P\n' | LC_ALL=C sort)
version=$(for f in "${files[@]}"; do printf '%s ' "$f"; sha256sum < "$f"; done | sha256sum | cut -c1-16)
list='["./"'
for f in "${files[@]}"; do list+=",\"$f\""; done
list+=']'
sed -i -e "s|__PERSONA_VERSION__|$version|" -e "s|__PERSONA_FILES__|$list|" "$sw"
echo "stamp-sw: version $version, ${#files[@]} files precached"
