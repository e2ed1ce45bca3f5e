#!/usr/bin/env bash
# Build GNU make 4.4.1 from Debian's make-dfsg source package and install it at
#   <repo>/.tools/make-4.4.1/bin/make
# or, with MAKE44_HOST=x86_64-w64-mingw32, cross-build GNU make for Windows
# from the same source with Debian's mingw-w64, at
#   <repo>/.tools/make-4.4.1-x86_64-w64-mingw32/bin/make.exe
# (scripts/setup-wine.sh runs it under wine for the Windows tests).
#
# Idempotent: if that binary already exists and reports 4.4.1, exits 0 at once.
# Works from any cwd, without stdin (CI=true), as root on a Debian machine.
#
# The source comes from the same Debian mirror the machine's apt config already
# uses, with suite $MAKE44_DEBIAN_SUITE (default: trixie). apt runs with a
# private sources list, list dir and cache, so the system's apt state is left
# alone. Missing build prerequisites (C compiler, libc headers, xz) are
# installed with apt-get when running as root.
#
# Optional overrides:
#   MAKE44_DEBIAN_MIRROR  mirror base URL (default: taken from the apt config)
#   MAKE44_DEBIAN_SUITE   suite that carries make-dfsg 4.4.1 (default: trixie)
#   MAKE44_HOST           cross-build for this host triplet (x86_64-w64-mingw32)
set -euo pipefail

readonly MAKE_VERSION=4.4.1
readonly SRC_PACKAGE=make-dfsg
readonly SUITE="${MAKE44_DEBIAN_SUITE:-trixie}"
readonly HOST="${MAKE44_HOST:-}"

log() { printf '[build-make44] %s\n' "$*" >&2; }
die() { printf '[build-make44] ERROR: %s\n' "$*" >&2; exit 1; }

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
PREFIX="$REPO_ROOT/.tools/make-$MAKE_VERSION${HOST:+-$HOST}"
TARGET="$PREFIX/bin/make${HOST:+.exe}"
case "$HOST" in
  '') ;;
  x86_64-w64-mingw32) CROSS_PKG=gcc-mingw-w64-x86-64-win32 ;;
  *) die "MAKE44_HOST=$HOST: only x86_64-w64-mingw32 is supported" ;;
esac

# True if $1 is an executable GNU make reporting exactly $MAKE_VERSION.
is_good_make() {
  local out
  [ -x "$1" ] || return 1
  # A Windows build cannot run here: a PE executable carrying the version.
  if [ -n "$HOST" ]; then
    [ "$(head -c 2 "$1")" = MZ ] && grep -aq "GNU Make" "$1" && grep -aq "$MAKE_VERSION" "$1"
    return
  fi
  out="$("$1" --version 2>/dev/null)" || return 1
  [ "${out%%$'\n'*}" = "GNU Make $MAKE_VERSION" ]
}

if is_good_make "$TARGET"; then
  log "GNU make $MAKE_VERSION already installed at $TARGET; nothing to do."
  exit 0
fi

export LC_ALL=C DEBIAN_FRONTEND=noninteractive

mkdir -p "$PREFIX/bin" || die "cannot create $PREFIX/bin"

# Serialise concurrent runs (e.g. parallel CI steps) and re-check afterwards.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$REPO_ROOT/.tools/.make-$MAKE_VERSION${HOST:+-$HOST}.lock" || die "cannot open lock file"
  flock 9 || die "cannot take lock"
  if is_good_make "$TARGET"; then
    log "GNU make $MAKE_VERSION was installed by a concurrent run; nothing to do."
    exit 0
  fi
fi

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script needs a Debian-based system."
command -v apt-config >/dev/null 2>&1 || die "apt-config not found: this script needs a Debian-based system."

WORK="$(mktemp -d "${TMPDIR:-/tmp}/build-make44.XXXXXX")" || die "mktemp failed"
cleanup() { rm -rf -- "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# apt downloads as the unprivileged _apt user; let it traverse the work dir.
chmod 755 "$WORK"

START=$SECONDS

# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------
have_cc() {
  local cc="${CC:-}"
  if [ -z "$cc" ]; then
    if command -v gcc >/dev/null 2>&1; then cc=gcc
    elif command -v cc >/dev/null 2>&1; then cc=cc
    else return 1
    fi
  fi
  printf '#include <stdio.h>\nint main(void){puts("ok");return 0;}\n' >"$WORK/cc-test.c"
  "$cc" -o "$WORK/cc-test" "$WORK/cc-test.c" >/dev/null 2>&1
}

missing_pkgs=()
command -v xz >/dev/null 2>&1 || missing_pkgs+=(xz-utils)
have_cc || missing_pkgs+=(gcc libc6-dev)
if [ -n "$HOST" ]; then
  command -v "$HOST-gcc" >/dev/null 2>&1 || missing_pkgs+=("$CROSS_PKG")
  command -v make >/dev/null 2>&1 || missing_pkgs+=(make)
fi

if [ "${#missing_pkgs[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] \
    || die "missing build prerequisites (${missing_pkgs[*]}); install them or re-run as root."
  log "Installing missing prerequisites: ${missing_pkgs[*]}"
  # Use the system's own sources, but private lists/cache (no system apt-get update).
  mkdir -p "$WORK/sys/lists/partial" "$WORK/sys/cache/archives/partial"
  sysopts=(-q -o "Dir::State::Lists=$WORK/sys/lists" -o "Dir::Cache=$WORK/sys/cache" -o Acquire::Retries=3)
  if ! apt-get "${sysopts[@]}" update </dev/null >"$WORK/sys-update.log" 2>&1; then
    log "warning: 'apt-get update' (private lists) reported errors; trying to install anyway:"
    tail -n 15 "$WORK/sys-update.log" >&2
  fi
  apt-get "${sysopts[@]}" install -y --no-install-recommends "${missing_pkgs[@]}" \
    </dev/null >"$WORK/sys-install.log" 2>&1 || {
      tail -n 30 "$WORK/sys-install.log" >&2
      die "failed to install prerequisites: ${missing_pkgs[*]}"
    }
  command -v xz >/dev/null 2>&1 || die "xz still not available after install"
  have_cc || die "no working C compiler after install"
fi

# ---------------------------------------------------------------------------
# Find the Debian mirror (and its signing key) from the machine's apt config
# ---------------------------------------------------------------------------
# Prints the Signed-By path of an apt sources entry "file:N" (N = line of a
# one-line .list file, or stanza number of a deb822 .sources file), if any.
signed_by_of_entry() {
  local file="${1%:*}" n="${1##*:}"
  [ -r "$file" ] || return 0
  case "$file" in
    *.sources)
      awk -v want="$n" '
        BEGIN { stanza = 0; inpar = 0 }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { inpar = 0; next }
        { if (!inpar) { stanza++; inpar = 1 } }
        stanza == want && tolower($0) ~ /^signed-by:/ {
          sub(/^[^:]*:[ \t]*/, ""); sub(/[ \t]+$/, "")
          if ($0 ~ /^\//) print $0
          exit
        }' "$file"
      ;;
    *)
      sed -n "${n}p" "$file" | grep -o 'signed-by=[^] ]*' | head -n 1 | sed 's/^signed-by=//' \
        | grep '^/' || true
      ;;
  esac
}

find_mirror() {
  local codename="" targets line
  if [ -r /etc/os-release ]; then
    codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
  fi
  # One line per configured "deb ... main" entry: URI RELEASE SOURCESENTRY
  targets="$(apt-get indextargets --no-release-info \
      -o "Dir::State::Lists=$WORK/probe-lists" \
      --format '$(REPO_URI) $(RELEASE) $(SOURCESENTRY)' \
      'Created-By: Packages' 'Target-Of: deb' 'Component: main' 2>/dev/null | sort -u)" || true
  [ -n "$targets" ] || return 1
  line=""
  if [ -n "$codename" ]; then
    line="$(awk -v c="$codename" '$2 == c' <<<"$targets" | head -n 1)"
  fi
  if [ -z "$line" ]; then
    # Fall back to a plain suite (no -updates/-security/...) not on a security host.
    line="$(awk '$2 !~ /-/ && $1 !~ /security/' <<<"$targets" | head -n 1)"
  fi
  [ -n "$line" ] || return 1
  printf '%s\n' "$line"
}

signed_by=""
if [ -n "${MAKE44_DEBIAN_MIRROR:-}" ]; then
  mirror="$MAKE44_DEBIAN_MIRROR"
else
  entry="$(find_mirror)" \
    || die "could not find a Debian 'deb ... main' mirror in the apt configuration; set MAKE44_DEBIAN_MIRROR."
  mirror="${entry%% *}"
  signed_by="$(signed_by_of_entry "${entry##* }")"
fi
mirror="${mirror%/}"
log "Using Debian mirror $mirror (suite $SUITE)${signed_by:+, key $signed_by}"

# ---------------------------------------------------------------------------
# Fetch the source package with a private apt state
# ---------------------------------------------------------------------------
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/src"
if [ -n "$signed_by" ]; then
  printf 'deb-src [signed-by=%s] %s %s main\n' "$signed_by" "$mirror" "$SUITE" >"$WORK/apt/sources.list"
else
  printf 'deb-src %s %s main\n' "$mirror" "$SUITE" >"$WORK/apt/sources.list"
fi
aptopts=(
  -q
  -o "Dir::Etc::SourceList=$WORK/apt/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$WORK/apt/lists"
  -o "Dir::Cache=$WORK/apt/cache"
  -o Acquire::Retries=3
)

log "Fetching $SUITE source index (private apt state)..."
apt-get "${aptopts[@]}" update </dev/null >"$WORK/apt-update.log" 2>&1 || {
  tail -n 20 "$WORK/apt-update.log" >&2
  die "apt-get update for $mirror $SUITE failed"
}
# apt-get update may only warn on fetch errors; make sure we really got Sources.
ls "$WORK/apt/lists/"*_dists_"${SUITE}"_main_source_Sources* >/dev/null 2>&1 || {
  tail -n 20 "$WORK/apt-update.log" >&2
  die "no $SUITE Sources index was downloaded from $mirror"
}

log "Downloading $SRC_PACKAGE source package..."
# Let the sandboxed _apt user write the download dir (avoids an unsandboxed-download warning).
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
  chown _apt "$WORK/src" 2>/dev/null || true
fi
(cd "$WORK/src" && apt-get "${aptopts[@]}" source --download-only "$SRC_PACKAGE") \
  </dev/null >"$WORK/apt-source.log" 2>&1 || {
    tail -n 20 "$WORK/apt-source.log" >&2
    die "apt-get source --download-only $SRC_PACKAGE failed"
  }

orig=""
for f in "$WORK/src/${SRC_PACKAGE}_${MAKE_VERSION}.orig.tar."*; do
  [ -f "$f" ] && { orig="$f"; break; }
done
[ -n "$orig" ] || die "expected ${SRC_PACKAGE}_${MAKE_VERSION}.orig.tar.* in $SUITE; got: $(cd "$WORK/src" && ls | tr '\n' ' ')"
log "Got $(basename "$orig")"

# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
mkdir -p "$WORK/build"
tar -xf "$orig" -C "$WORK/build" || die "failed to extract $(basename "$orig")"
srcdir=""
for d in "$WORK/build"/*/; do
  [ -f "$d/configure" ] && { srcdir="${d%/}"; break; }
done
[ -n "$srcdir" ] || die "no configure script found in $(basename "$orig")"

# The Debian (DFSG) tarball ships without doc/, but configure wants doc/Makefile.
mkdir -p "$srcdir/doc"
[ -f "$srcdir/doc/Makefile.in" ] || printf 'all:\ninstall:\n' >"$srcdir/doc/Makefile.in"

log "Configuring..."
(cd "$srcdir" && ./configure ${HOST:+--host=$HOST} --disable-nls --without-guile) </dev/null >"$WORK/configure.log" 2>&1 || {
  tail -n 30 "$WORK/configure.log" >&2
  die "configure failed"
}

if [ -z "$HOST" ]; then
  log "Compiling with build.sh..."
  (cd "$srcdir" && ./build.sh) </dev/null >"$WORK/build.log" 2>&1 || {
    tail -n 30 "$WORK/build.log" >&2
    die "build.sh failed"
  }
else
  # build.sh builds for this machine only; the Makefile knows the Windows
  # sources (src/w32). Only the program: the man page is not in the tarball.
  log "Cross-compiling for $HOST..."
  (cd "$srcdir" && make -j2 -C lib && make -j2 make.exe) </dev/null >"$WORK/build.log" 2>&1 || {
    tail -n 30 "$WORK/build.log" >&2
    die "make make.exe failed"
  }
  mv "$srcdir/make.exe" "$srcdir/make"
fi
is_good_make "$srcdir/make" || die "built binary does not report GNU Make $MAKE_VERSION"

# Install atomically.
tmp_target="$TARGET.tmp.$$"
cp "$srcdir/make" "$tmp_target" && chmod 755 "$tmp_target" && mv -f "$tmp_target" "$TARGET" || {
  rm -f "$tmp_target"
  die "failed to install $TARGET"
}
is_good_make "$TARGET" || die "installed $TARGET does not report GNU Make $MAKE_VERSION"

log "Installed GNU make $MAKE_VERSION at $TARGET ($((SECONDS - START))s)"
