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
# The pinned Node 24 when this platform has one (node_modules/.bin/node), else the one bootstrap
# chose; resolved after bootstrap, which is what installs it on a fresh clone.
NODE_BIN="${DUET_NODE:-node}"
[ -x node_modules/.bin/node ] && NODE_BIN=node_modules/.bin/node
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
if [ "$#" -gt 0 ]; then
  # Chosen files: one vitest process, as before.
  bash scripts/in-lo-netns.sh "$NODE_BIN" node_modules/.bin/vitest run \
    --reporter=default --reporter=json --outputFile.json="$REPORT" "$@" || status=$?
else
  # The whole suite: two lanes side by side (see vitest.config.ts), each its own vitest process in
  # its own lo-only namespace, printing its files as they finish (prefixed) and writing a blob
  # report (results + coverage); the blobs are merged into the JSON report and one coverage report.
  BLOBS="$ROOT/.duet/vitest-blobs"
  rm -rf "$BLOBS" "$ROOT/.duet/coverage-lanes"
  # The core lane runs one file at a time (vitest's default on 2 cores, measured clean);
  # DUET_CORE_WORKERS=2 runs two at a time (faster, not yet proven free of timing failures).
  CORE_WORKERS="${DUET_CORE_WORKERS:-1}"
  lane() {
    set +e  # a failing lane still reports (this runs in its own background subshell)
    local name="$1" lane_cov=() lane_args=()
    [ "$name" = core ] && lane_args=(--maxWorkers="$CORE_WORKERS")
    [ "${#COVERAGE_ARGS[@]}" -gt 0 ] && lane_cov=(--coverage --coverage.reportsDirectory="$ROOT/.duet/coverage-lanes/$name")
    local t0
    t0=$(date +%s)
    DUET_TEST_LANE="$name" bash scripts/in-lo-netns.sh "$NODE_BIN" node_modules/.bin/vitest run \
      --reporter=default --reporter=blob --outputFile.blob="$BLOBS/$name.json" "${lane_args[@]}" "${lane_cov[@]}" 2>&1 | sed -u "s/^/[$name] /"
    local rc="${PIPESTATUS[0]}"
    echo "[test] lane $name: exit $rc in $(( $(date +%s) - t0 )) s" >&2
    return "$rc"
  }
  lane media & media_pid=$!
  lane core & core_pid=$!
  wait "$media_pid" || status=$?
  wait "$core_pid" || status=$?
  echo "[test] merging the lanes' reports" >&2
  node_modules/.bin/vitest run --merge-reports="$BLOBS" --reporter=json --outputFile.json="$REPORT" \
    "${COVERAGE_ARGS[@]}" >/dev/null || status=1
  rm -rf "$ROOT/.duet/coverage-lanes"
  # Where the time went: per project, the sum of its files' durations and its span.
  [ -f "$REPORT" ] && node scripts/test-timings.ts "$REPORT" >&2 || true
fi
if [ "${#COVERAGE_ARGS[@]}" -gt 0 ]; then
  # One line per part; below its threshold (coverage.thresholds.ts) fails the run.
  echo "[test] coverage per part (full report: .duet/coverage/coverage.txt)" >&2
  node scripts/coverage-summary.ts || status=1
fi
# A plain closing line any CI can read.
if [ -f "$REPORT" ]; then
  # A file can fail with every test passed (a hook that timed out, an import error): say so here too.
  node -e 'const r = require(process.argv[1]);
    const files = r.testResults.filter((f) => f.status === "failed").map((f) => require("node:path").relative(process.cwd(), f.name));
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped` +
      (files.length ? `; ${files.length} file(s) failed: ${files.join(", ")}` : ""))' "$REPORT"
fi
[ "$status" -eq 0 ] || echo "[test] FAILED (exit $status)" >&2
echo "[test] done in $(( $(date +%s) - T0 )) s" >&2
exit $status
