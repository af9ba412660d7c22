#!/usr/bin/env bash
# Builds the recorder as plain JavaScript (recorder/dist/main.js, see recorder/scripts/build.ts)
# only when its inputs changed since the last build. Production, the tests and the benchmark run
# `node recorder/dist/main.js`: without TypeScript to strip, Node never loads its type stripper
# (~20 MB resident per recorder). `node recorder/src/main.ts` still works for development.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
# One build at a time (test projects and launchers may call this concurrently).
exec 9<"$ROOT/scripts/build-recorder.sh"
flock 9
NODE="${DUET_NODE:-node}"
[ -x node_modules/.bin/node ] && NODE=node_modules/.bin/node
HASH="$(cat package-lock.json recorder/package.json api/package.json \
  $(find recorder/src recorder/scripts api/src/storage api/src/events -type f | sort) | sha256sum | cut -c1-16)"
if [ -f recorder/dist/.build-hash ] && [ "$(cat recorder/dist/.build-hash)" = "$HASH" ] && [ -f recorder/dist/main.js ]; then
  echo "[recorder] up to date" >&2
  exit 0
fi
echo "[recorder] building recorder/dist (rolldown)" >&2
"$NODE" recorder/scripts/build.ts
echo "$HASH" > recorder/dist/.build-hash
