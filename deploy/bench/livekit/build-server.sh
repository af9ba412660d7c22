#!/usr/bin/env bash
# build-server.sh - build livekit-server (the comparison anchor of the benches, never shipped with
# Duet) at a pinned version from the Go module proxy, cached outside the repo like mediasoup-worker:
#
#   ${DUET_CACHE_DIR:-~/.cache/duet}/livekit-<version>/livekit-server
#
#   bash deploy/bench/livekit/build-server.sh        # prints the binary's path on stdout
#
# Why not `go install …@v`: livekit-server's go.mod has had `replace` directives (go install refuses
# them), and v1.13 replaces pion with forks the proxy does not serve. v1.11.0 has neither and builds
# (~1 min on 2 cores once the modules are cached; the first run downloads ~300 MB of modules).
# The build is CPU heavy: on the shared machine run it under `flock /tmp/duet-heavy.lock nice -n 10`.
# Env: LIVEKIT_VERSION (default below), DUET_CACHE_DIR.
set -euo pipefail

LIVEKIT_VERSION="${LIVEKIT_VERSION:-v1.11.0}"
CACHE="${DUET_CACHE_DIR:-$HOME/.cache/duet}/livekit-${LIVEKIT_VERSION}"
BIN="$CACHE/livekit-server"
log() { printf '[livekit-build] %s\n' "$*" >&2; }

if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi
# Inside scripts/in-lo-netns.sh there is no network: the Go module proxy is out of reach.
if [ "${DUET_LO_NETNS:-}" = 1 ]; then log "ERROR: livekit-server not built yet, and this namespace has no network: run 'bash deploy/bench/prepare.sh' first (outside it)"; exit 1; fi
command -v go >/dev/null || { log "ERROR: go not found (Go >= 1.23 needed to build livekit-server)"; exit 1; }

# Fetch the module's source through the proxy (go's module cache keeps it read-only: copy it out).
DIR="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "github.com/livekit/livekit-server@${LIVEKIT_VERSION}" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[ -d "$DIR" ] || { log "ERROR: go mod download gave no source directory for livekit-server@${LIVEKIT_VERSION}"; exit 1; }
if grep -q '^replace' "$DIR/go.mod"; then
  log "ERROR: livekit-server@${LIVEKIT_VERSION} has replace directives (forks the proxy may not serve); use v1.11.0"
  exit 1
fi
WORK="$(mktemp -d)"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cp -r "$DIR/." "$WORK/src"
chmod -R u+w "$WORK/src"
log "building livekit-server ${LIVEKIT_VERSION} (CPU heavy, ~1-5 min)"
T0=$(date +%s)
(cd "$WORK/src" && CGO_ENABLED=0 go build -trimpath -o "$WORK/livekit-server" ./cmd/server)
mkdir -p "$CACHE"
mv "$WORK/livekit-server" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
"$BIN" --version >&2
log "built in $(( $(date +%s) - T0 )) s: $BIN"
echo "$BIN"
