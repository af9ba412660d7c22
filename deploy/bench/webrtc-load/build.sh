#!/usr/bin/env bash
# deploy/bench/webrtc-load/build.sh - builds the WebRTC load generator (pion + LiveKit's Go SDK,
# pinned by the committed go.mod/go.sum) into the Duet cache once and prints its path. The cache
# key is a hash of the sources, so an edit rebuilds. Needs Go >= 1.26.8 (server-sdk-go v2.19.0 asks for it; /usr/local/go/bin/go or on
# PATH) and the Go module proxy the first time (~1-2 min on 2 cores); afterwards offline.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
KEY="$(cd "$HERE" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)"
DIR="${DUET_CACHE_DIR:-$HOME/.cache/duet}/webrtc-load-$KEY"
if [ -x "$DIR/webrtc-load" ]; then echo "$DIR/webrtc-load"; exit 0; fi
# Inside scripts/in-lo-netns.sh there is no network: the Go module proxy is out of reach.
if [ "${DUET_LO_NETNS:-}" = 1 ]; then echo "webrtc-load: not built yet, and this namespace has no network: run 'bash deploy/bench/prepare.sh' first (outside it)" >&2; exit 1; fi
GO="$(command -v go || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || true)"
[ -n "$GO" ] || { echo "webrtc-load: Go not found (need Go >= 1.26.8)" >&2; exit 1; }
echo "webrtc-load: go build (one time, 1-2 minutes)" >&2
mkdir -p "$DIR.tmp"
(cd "$HERE" && GOTOOLCHAIN=local GOFLAGS=-trimpath CGO_ENABLED=0 nice -n 10 "$GO" build -o "$DIR.tmp/webrtc-load" .) >&2
rm -rf "$DIR" && mv "$DIR.tmp" "$DIR"
echo "$DIR/webrtc-load"
