#!/usr/bin/env bash
# `npm test`: install what is missing (cached), typecheck, build the web room and the recorder, then run every
# test suite — unit, API on PGlite and a real PostgreSQL, signaling, SFU and end-to-end with
# Chromium — inside a network namespace that has only loopback.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
T0=$(date +%s)
bash scripts/bootstrap.sh
. .duet/env.sh
bash scripts/install-test-tools.sh
echo "[test] typecheck" >&2
tsc -p tsconfig.json
bash scripts/build-web.sh
bash scripts/build-recorder.sh
echo "[test] vitest (in a lo-only network namespace)" >&2
REPORT="$ROOT/.duet/vitest-report.json"
rm -f "$REPORT"
status=0
bash scripts/in-lo-netns.sh node_modules/.bin/node node_modules/.bin/vitest run \
  --reporter=default --reporter=json --outputFile.json="$REPORT" "$@" || status=$?
# A plain closing line any CI can read.
if [ -f "$REPORT" ]; then
  node -e 'const r = require(process.argv[1]); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$REPORT"
fi
echo "[test] done in $(( $(date +%s) - T0 )) s" >&2
exit $status
