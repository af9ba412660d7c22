#!/usr/bin/env bash
# sfu/scripts/build-worker.sh - build (or reuse from cache) mediasoup's C++
# worker fully offline on Debian 12 (bookworm).
#
#   BIN=$(bash sfu/scripts/build-worker.sh)     # path on the last stdout line
#
# Sources: the mediasoup npm tarball (`npm pack`, pinned to the version in
# package-lock.json and checked against the lockfile's integrity hash) and
# Debian packages for every native dependency. mediasoup's meson subprojects
# (normally downloaded from GitHub/wrapdb) are replaced by the small shim
# subprojects in sfu/scripts/worker-shims/<wrap name>/, copied to the
# `directory =` named by each .wrap, so meson downloads nothing
# (--wrap-mode=nodownload). Source patches: every sfu/scripts/worker-patches/*.patch
# (applied with `patch`, which refuses one that does not fit), then two one-line
# patches applied with sed and verified with grep, so that a new mediasoup
# version fails loudly:
#   0. worker-patches/audio-red.patch: Opus RED (RFC 2198) forwarded as a media
#      codec, its blocks' payload types mapped like the packet's, and stripped to
#      the primary Opus block for a receiver without RED (versatica/mediasoup#481).
#   1. meson.build: meson_version '>= 1.1.0' -> '>= 1.0.0' (bookworm: 1.0.1)
#   2. src/RTC/DtlsTransport.cpp: the BIO callback must pass `ret` through for
#      every BIO_CB_RETURN-flagged call. Debian's OpenSSL has KTLS enabled;
#      unpatched, the callback answers "yes" to BIO_CTRL_GET_KTLS_SEND, libssl
#      never allocates its write buffer and the worker segfaults on the first
#      DTLS ClientHello. (Only a real DTLS handshake shows this.)
# Background: /work/shared/notes/mediasoup-worker-offline.md.
#
# Cache: ${DUET_CACHE_DIR:-$HOME/.cache/duet}/mediasoup-worker/<version>-<key>/
# where <key> is a short sha256 over this script and every shim file, so any
# change to the patches or shims gives a new cache entry. Rebuild (or bump the
# key) after a libssl security update: OpenSSL is linked in statically.
# Runtime deps of the binary: glibc, libstdc++, libsrtp2-1 (+ NSS libs).
#
# Env:
#   DUET_CACHE_DIR                   cache root (default $HOME/.cache/duet)
#   DUET_WORKER_FORCE_REBUILD=1      ignore an existing cached binary
#   DUET_WORKER_REQUIRED_PKGS_EXTRA  extra Debian packages to require (space
#                                    separated; used by tests for the error path)
#   DUET_WORKER_KEEP_WORKDIR=1       keep the temp build dir (debugging)
#   JOBS                             ninja parallelism (default: nproc)
#
# Output: progress on stderr; the binary's absolute path is the only stdout.
set -euo pipefail

# All progress to stderr; fd 3 keeps the real stdout for the final path.
exec 3>&1 1>&2

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="$(dirname "$SCRIPT_PATH")"
SHIM_DIR="$SCRIPT_DIR/worker-shims"
PATCH_DIR="$SCRIPT_DIR/worker-patches"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
LOCKFILE="$ROOT/package-lock.json"

log() { printf '[build-worker] %s\n' "$*" >&2; }
die() { printf '[build-worker] ERROR: %s\n' "$*" >&2; exit 1; }

REQUIRED_PKGS=(build-essential pkg-config python3 meson ninja-build
  libuv1-dev libssl-dev libsrtp2-dev libflatbuffers-dev flatbuffers-compiler libabsl-dev)
# shellcheck disable=SC2206 # intentional word splitting of a package list
REQUIRED_PKGS+=(${DUET_WORKER_REQUIRED_PKGS_EXTRA:-})

# ---------------------------------------------------------------------------
# 1. Pinned version (from package-lock.json, never from node_modules)
# ---------------------------------------------------------------------------
[ -f "$LOCKFILE" ] || die "package-lock.json not found at $LOCKFILE"

lock_field() { # lock_field version|integrity
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$LOCKFILE" "$1" <<'PY'
import json, sys
pkg = json.load(open(sys.argv[1])).get("packages", {}).get("node_modules/mediasoup", {})
print(pkg.get(sys.argv[2], ""))
PY
  else # fallback for machines without python3 (the package check fails later anyway)
    awk -v f="\"$1\"" '
      /^    "node_modules\/mediasoup": \{/ { inside = 1; next }
      inside && /^    }/ { exit }
      inside && index($0, f ":") { sub(/^[^:]*: *"/, ""); sub(/".*$/, ""); print; exit }' "$LOCKFILE"
  fi
}

MS_VERSION="$(lock_field version)"
MS_INTEGRITY="$(lock_field integrity)"
[ -n "$MS_VERSION" ] || die "package-lock.json has no packages[\"node_modules/mediasoup\"].version"
case "$MS_VERSION" in
  3.27.*) ;;
  *) die "package-lock.json pins mediasoup $MS_VERSION, but the patches and shims in $SCRIPT_DIR are only proven for 3.27.x. Update them (and this check) deliberately." ;;
esac

# ---------------------------------------------------------------------------
# 2. Cache lookup
# ---------------------------------------------------------------------------
[ -d "$SHIM_DIR" ] || die "shim directory missing: $SHIM_DIR"
[ -d "$PATCH_DIR" ] || die "patch directory missing: $PATCH_DIR"
cache_key() {
  # This script + every shim file (path and content), in a stable order.
  {
    sha256sum "$SCRIPT_PATH" | cut -d' ' -f1
    (cd "$SHIM_DIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    (cd "$PATCH_DIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-12
}
KEY="$(cache_key)"
CACHE_ROOT="${DUET_CACHE_DIR:-$HOME/.cache/duet}/mediasoup-worker"
CACHE_DIR="$CACHE_ROOT/$MS_VERSION-$KEY"
BIN="$CACHE_DIR/mediasoup-worker"

# Quick sanity check of a binary: executable ELF whose shared libs all resolve.
check_bin() {
  local f="$1" magic
  [ -f "$f" ] && [ -x "$f" ] || { echo "not an executable file"; return 1; }
  magic="$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')"
  [ "$magic" = "7f454c46" ] || { echo "not an ELF binary"; return 1; }
  local out
  out="$(ldd "$f" 2>&1)" || { echo "ldd failed: $out"; return 1; }
  if grep -q 'not found' <<<"$out"; then
    echo "unresolved shared libraries: $(grep 'not found' <<<"$out" | awk '{print $1}' | tr '\n' ' ')(is libsrtp2-1 installed?)"
    return 1
  fi
}

finish() { # print the path as the last (only) stdout line
  printf '%s\n' "$BIN" >&3
  exit 0
}

try_cache() {
  [ "${DUET_WORKER_FORCE_REBUILD:-0}" = 1 ] && return 1
  [ -e "$BIN" ] || return 1
  local why
  if why="$(check_bin "$BIN")"; then
    log "cache hit: reusing mediasoup-worker $MS_VERSION (key $KEY) at $BIN"
    return 0
  fi
  log "cached binary at $BIN failed its check ($why); rebuilding"
  return 1
}

if try_cache; then finish; fi

# ---------------------------------------------------------------------------
# 3. Required Debian packages (this script never runs apt-get)
# ---------------------------------------------------------------------------
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian/Ubuntu only"
installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${REQUIRED_PKGS[@]}" 2>/dev/null || true)"
missing=()
for p in "${REQUIRED_PKGS[@]}"; do
  grep -qxF "$p installed" <<<"$installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  die "missing Debian packages needed to build mediasoup-worker: ${missing[*]}
  Install them (as root) with:
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}
  (scripts/bootstrap.sh does this for you.)"
fi
for c in npm tar meson ninja flatc sha256sum patch; do
  command -v "$c" >/dev/null 2>&1 || die "'$c' not found on PATH"
done

# ---------------------------------------------------------------------------
# 4. Serialize concurrent builds of the same key, then re-check the cache
# ---------------------------------------------------------------------------
mkdir -p "$CACHE_ROOT"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/.lock-$MS_VERSION-$KEY"
  if ! flock -n 9; then
    log "another build of $MS_VERSION-$KEY is running; waiting for it"
    flock 9
  fi
  if try_cache; then finish; fi
fi

T0=$SECONDS
JOBS="${JOBS:-$(nproc)}"
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/duet-worker-build.XXXXXX")"
cleanup() {
  if [ "${DUET_WORKER_KEEP_WORKDIR:-0}" = 1 ]; then
    log "keeping work dir $WORK_DIR"
  else
    rm -rf "$WORK_DIR"
  fi
  rm -f "$CACHE_DIR/.mediasoup-worker.tmp.$$"
}
trap cleanup EXIT
log "building mediasoup-worker $MS_VERSION (cache key $KEY, $JOBS jobs) in $WORK_DIR"

# ---------------------------------------------------------------------------
# 5. Source tarball from the npm registry, verified against the lockfile
# ---------------------------------------------------------------------------
log "fetching mediasoup@$MS_VERSION with npm pack"
TGZ="$(cd "$WORK_DIR" && npm pack "mediasoup@$MS_VERSION" --silent --pack-destination "$WORK_DIR" | tail -n1)"
TGZ="$WORK_DIR/$(basename "$TGZ")"
[ -f "$TGZ" ] || die "npm pack did not produce a tarball for mediasoup@$MS_VERSION"
if [ -n "$MS_INTEGRITY" ]; then
  got="$(python3 -c 'import base64,hashlib,sys; print("sha512-"+base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$TGZ")"
  [ "$got" = "$MS_INTEGRITY" ] || die "tarball integrity $got does not match package-lock.json ($MS_INTEGRITY)"
  log "tarball integrity matches package-lock.json"
fi
tar xzf "$TGZ" -C "$WORK_DIR"
W="$WORK_DIR/package/worker"
SP="$W/subprojects"
[ -f "$W/meson.build" ] || die "unexpected tarball layout: $W/meson.build missing"

# ---------------------------------------------------------------------------
# 6. Source patches (the only edits to mediasoup's own files)
# ---------------------------------------------------------------------------
patch_file() { # patch_file <file> <sed expression> <fixed string that must appear afterwards> <name>
  sed -i "$2" "$1"
  grep -qF "$3" "$1" || die "patch '$4' did not apply to $1 (mediasoup $MS_VERSION changed?). Inspect the file and update $SCRIPT_PATH."
  log "patched: $4"
}
for p in "$PATCH_DIR"/*.patch; do
  patch -p1 -d "$W" --forward --batch --quiet <"$p" >&2 \
    || die "patch $(basename "$p") did not apply to mediasoup $MS_VERSION. Inspect it and update $PATCH_DIR."
  log "patched: $(basename "$p")"
done
patch_file "$W/meson.build" \
  "s/meson_version: '>= 1.1.0'/meson_version: '>= 1.0.0'/" \
  "meson_version: '>= 1.0.0'" \
  "meson_version >= 1.0.0 (Debian bookworm meson)"
patch_file "$W/src/RTC/DtlsTransport.cpp" \
  's/const long resultOfcallback = (operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1;/const long resultOfcallback = ((operationType \& BIO_CB_RETURN) != 0) ? static_cast<long>(ret) : 1;/' \
  'const long resultOfcallback = ((operationType & BIO_CB_RETURN) != 0) ? static_cast<long>(ret) : 1;' \
  "DtlsTransport BIO callback (KTLS-enabled system OpenSSL)"

# ---------------------------------------------------------------------------
# 7. Shim subprojects: copy worker-shims/<wrap> to subprojects/<directory>
# ---------------------------------------------------------------------------
for shim in "$SHIM_DIR"/*/; do
  name="$(basename "$shim")"
  wrap="$SP/$name.wrap"
  [ -f "$wrap" ] || die "shim '$name' has no $name.wrap in mediasoup $MS_VERSION"
  dir="$(sed -n 's/^directory *= *//p' "$wrap" | tr -d '[:space:]')"
  [ -n "$dir" ] || die "$wrap has no 'directory ='"
  rm -rf "${SP:?}/$dir"
  cp -r "$shim" "$SP/$dir"
  log "shim: $name -> subprojects/$dir"
done

# ---------------------------------------------------------------------------
# 8. Configure + build (offline)
# ---------------------------------------------------------------------------
BUILD="$W/out/Release/build"
log "configuring with meson $(meson --version)"
T1=$SECONDS
meson setup "$BUILD" "$W" \
  --wrap-mode=nodownload \
  --buildtype release -Db_ndebug=true \
  -Dms_use_builtin_bwe=false \
  ${MESON_ARGS:-} >"$WORK_DIR/meson-setup.log" 2>&1 || {
  tail -n 60 "$WORK_DIR/meson-setup.log" >&2
  die "meson setup failed (full log above, last 60 lines)"
}
log "configured in $((SECONDS - T1))s"

log "compiling with ninja -j $JOBS (progress: [done/total])"
T1=$SECONDS
NINJA_STATUS='[build-worker] [%f/%t %es] ' ninja -C "$BUILD" -j "$JOBS" mediasoup-worker
log "compiled in $((SECONDS - T1))s"

why=""
why="$(check_bin "$BUILD/mediasoup-worker")" || die "built binary failed its check: $why"

# ---------------------------------------------------------------------------
# 9. Install atomically into the cache
# ---------------------------------------------------------------------------
mkdir -p "$CACHE_DIR"
TMP_BIN="$CACHE_DIR/.mediasoup-worker.tmp.$$"
install -m 0755 "$BUILD/mediasoup-worker" "$TMP_BIN"
{
  echo "mediasoup_version=$MS_VERSION"
  echo "cache_key=$KEY"
  echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "meson=$(meson --version) ninja=$(ninja --version)"
  echo "openssl=$(dpkg-query -W -f='${Version}' libssl-dev) libsrtp2=$(dpkg-query -W -f='${Version}' libsrtp2-dev)"
} >"$CACHE_DIR/BUILD-INFO"
mv -f "$TMP_BIN" "$BIN"
# Any earlier smoke-check marker belongs to a previous binary.
rm -f "$CACHE_DIR/smoke-ok"

log "done in $((SECONDS - T0))s: $BIN ($(stat -c %s "$BIN") bytes)"
finish
