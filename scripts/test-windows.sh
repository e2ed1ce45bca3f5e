#!/usr/bin/env bash
# The Windows tests, for real: node.exe and koffi's win32-x64 build under wine
# (test/windows-wine.test.ts), against a semaphore made as make does, under
# `jobslot -j`, and under GNU make 4.4.1 for Windows; and `jobslot run`
# beneath make for Windows (test/windows-run-wine.test.ts). CI runs this
# after the main suite.
#
# Sets wine up first (scripts/setup-wine.sh). Where wine cannot be had (not
# Linux x64, no apt-get, not root), prints why and exits 0: the tests are
# skipped, not failed. When they run, a failing test fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."

START=$SECONDS
mkdir -p .tools
if ! bash scripts/setup-wine.sh 2>.tools/setup-wine.log; then
  cat .tools/setup-wine.log >&2
  echo "== Windows tests SKIPPED: wine could not be set up here ($(tail -n 1 .tools/setup-wine.log | sed 's/^\[setup-wine\] //'))"
  exit 0
fi
cat .tools/setup-wine.log >&2
echo "== wine ready in $((SECONDS - START)) s"

# GNU make 4.4.1 for Windows, cross-built with mingw-w64 from the same Debian
# source as the Linux build. Without it its tests are skipped, saying why, or
# fail where make 4.4.1 is required (JOBSLOT_REQUIRE_MAKE44, as in CI).
t=$SECONDS
if MAKE44_HOST=x86_64-w64-mingw32 bash scripts/build-make44.sh; then
  echo "== make 4.4.1 for Windows ready in $((SECONDS - t)) s"
else
  echo "== make 4.4.1 for Windows could not be built: see above"
fi

# The tests run the built @jobslot/core (packages/core/dist) on node.exe.
[ -f packages/core/dist/index.js ] || make --no-print-directory build

JOBSLOT_WINE=1 npx --yes pnpm@12.4.2 exec vitest run ${VITEST_FLAGS:-} test/windows-wine.test.ts test/windows-run-wine.test.ts
echo "== Windows tests done in $((SECONDS - START)) s"
