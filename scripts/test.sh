#!/usr/bin/env bash
# `npm test`: install what is missing (cached), typecheck, build the web room and the recorder, then run every
# test suite — unit, API on PGlite and a real PostgreSQL, signaling, SFU and end-to-end with
# Chromium — inside a network namespace that has only loopback.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
# The pinned Node 24 when this platform has one (node_modules/.bin/node), else the one bootstrap chose.
NODE_BIN="${DUET_NODE:-node}"
[ -x node_modules/.bin/node ] && NODE_BIN=node_modules/.bin/node
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
# Coverage (V8) on a whole run; a run of chosen files (`npm test -- api/test/x.test.ts`) or
# COVERAGE=0 skips it, since the per-part thresholds only mean something for the whole suite.
COVERAGE_ARGS=()
if [ "$#" -eq 0 ] && [ "${COVERAGE:-1}" != 0 ]; then
  COVERAGE_ARGS=(--coverage)
  rm -rf "$ROOT/.duet/coverage"
fi
status=0
bash scripts/in-lo-netns.sh "$NODE_BIN" node_modules/.bin/vitest run \
  --reporter=default --reporter=json --outputFile.json="$REPORT" "${COVERAGE_ARGS[@]}" "$@" || status=$?
if [ "${#COVERAGE_ARGS[@]}" -gt 0 ]; then
  # One line per part; below its threshold (coverage.thresholds.ts) fails the run.
  echo "[test] coverage per part (full report: .duet/coverage/coverage.txt)" >&2
  node scripts/coverage-summary.ts || status=1
fi
# A plain closing line any CI can read.
if [ -f "$REPORT" ]; then
  node -e 'const r = require(process.argv[1]); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$REPORT"
fi
echo "[test] done in $(( $(date +%s) - T0 )) s" >&2
exit $status
