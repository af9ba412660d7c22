#!/usr/bin/env bash
# Builds the web room (web/dist) only when its inputs changed since the last build.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
# The pinned Node 24 when this platform has one (node_modules/.bin/node), else the one bootstrap chose.
NODE_BIN="${DUET_NODE:-node}"
[ -x node_modules/.bin/node ] && NODE_BIN=node_modules/.bin/node
HASH="$(cat package-lock.json web/index.html web/vite.config.ts web/build/*.ts \
  $(find web/src signaling/src/protocol -type f | sort) | sha256sum | cut -c1-16)"
if [ -f web/dist/.build-hash ] && [ "$(cat web/dist/.build-hash)" = "$HASH" ]; then
  echo "[web] up to date" >&2
  exit 0
fi
echo "[web] building the room (vite)" >&2
"$NODE_BIN" node_modules/.bin/vite build web --logLevel warn >&2
echo "$HASH" > web/dist/.build-hash
