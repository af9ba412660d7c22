#!/usr/bin/env bash
# deploy/bench/prepare.sh - builds what the benches that compare with LiveKit need from the Go
# module proxy, once, into the Duet cache: livekit-server (deploy/bench/livekit/build-server.sh)
# and the WebRTC load generator (deploy/bench/webrtc-load/build.sh). The benches themselves run
# inside scripts/in-lo-netns.sh, which has no network, so this runs first, outside it:
#
#   bash deploy/bench/prepare.sh && flock /tmp/duet-heavy.lock bash scripts/in-lo-netns.sh node deploy/bench/webrtc-capacity/run.ts
#
# Cached builds make it a no-op (a second or two). Heavy the first time (~3-6 min on 2 cores).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
[ "${DUET_LO_NETNS:-}" = 1 ] && { echo "prepare.sh: run it outside scripts/in-lo-netns.sh (it needs the Go module proxy)" >&2; exit 1; }
echo "livekit-server: $(nice -n 10 bash "$HERE/livekit/build-server.sh")"
echo "webrtc-load: $(bash "$HERE/webrtc-load/build.sh")"
