#!/usr/bin/env bash
# deploy/bench/install-k6.sh - builds k6 (pinned) with `go install` into the Duet cache once and
# prints its path. Needs Go >= 1.25 (/usr/local/go/bin/go or on PATH) and the Go module proxy the
# first time; afterwards it is reused offline.
set -euo pipefail
K6_VERSION=v1.8.1
DIR="${DUET_CACHE_DIR:-$HOME/.cache/duet}/k6-$K6_VERSION"
if [ -x "$DIR/k6" ]; then echo "$DIR/k6"; exit 0; fi
GO="$(command -v go || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || true)"
[ -n "$GO" ] || { echo "install-k6: Go not found (need Go >= 1.25)" >&2; exit 1; }
echo "install-k6: go install go.k6.io/k6@$K6_VERSION (one time, a few minutes)" >&2
mkdir -p "$DIR.tmp"
GOBIN="$DIR.tmp" GOTOOLCHAIN=local GOFLAGS=-trimpath "$GO" install "go.k6.io/k6@$K6_VERSION" >&2
rm -rf "$DIR" && mv "$DIR.tmp" "$DIR"
echo "$DIR/k6"
