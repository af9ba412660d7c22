#!/usr/bin/env bash
# scripts/flake-hunt.sh [-n RUNS] [--from K] [-m none|pair|burn] [-o REPORT] [--lock FILE]
#                       [--pause-while FILE] [--e2e] [FILE...]
#
# Runs each test file RUNS times (default 20), each run its own vitest process inside the
# loopback-only namespace, and records every run in a TSV report (time, mode, file, run, result,
# seconds, failed tests) plus a per-file summary at the end. Files default to every unit test
# file of every part (--e2e adds web/test/e2e). A flake is a file that both passed and failed.
#
# Load modes, to shake out timing-dependent tests:
#   none  one file at a time
#   pair  two files at once (each run of a file next to a run of the following file)
#   burn  one file at a time next to a CPU burner (one busy process per core, killed after the run)
# --lock FILE takes flock FILE around each run (a shared machine: heavy runs queue).
# --pause-while FILE holds off the next run while FILE exists (at most 2 h): two hunts can run side
#   by side, each the other's load, and still leave the machine quiet for a benchmark.
# --from K numbers the runs K..RUNS (a hunt continued from an earlier report).
# Needs the same setup as `npm test` (bootstrap, builds); it does not build anything itself.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
. .duet/env.sh

RUNS=20 FROM=1 MODE=none LOCK="" PAUSE="" E2E=0
REPORT="$ROOT/.duet/flake-hunt/report-$(date -u +%Y%m%dT%H%M%SZ).tsv"
FILES=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -n) RUNS="$2"; shift 2 ;;
    --from) FROM="$2"; shift 2 ;;
    -m) MODE="$2"; shift 2 ;;
    --pause-while) PAUSE="$2"; shift 2 ;;
    -o) REPORT="$2"; shift 2 ;;
    --lock) LOCK="$2"; shift 2 ;;
    --e2e) E2E=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) FILES+=("$1"); shift ;;
  esac
done
case "$MODE" in none|pair|burn) ;; *) echo "flake-hunt: unknown mode $MODE" >&2; exit 2 ;; esac
if [ "${#FILES[@]}" -eq 0 ]; then
  mapfile -t FILES < <(find api/test signaling/test sfu/test recorder/test deploy/test web/test \
    \( -name '*.test.ts' -o -name '*.test.tsx' \) -not -path 'web/test/e2e/*' | sort)
  [ "$E2E" = 1 ] && mapfile -t -O "${#FILES[@]}" FILES < <(find web/test/e2e -name '*.e2e.test.ts' | sort)
fi
mkdir -p "$(dirname "$REPORT")"
[ -f "$REPORT" ] || printf 'time\tmode\tfile\trun\tresult\tseconds\tfailed_tests\n' > "$REPORT"
WORK="$(mktemp -d)"
BURNERS=()
cleanup() {
  for p in "${BURNERS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Runs one file once; appends its line to the report.
run_one() {
  local file="$1" run="$2" json="$WORK/$$-$RANDOM.json" t0 secs result failed
  t0=$(date +%s)
  result=pass
  # Bounded: a hung run counts as a failure after 15 minutes.
  timeout 900 bash scripts/in-lo-netns.sh node_modules/.bin/vitest run "$file" \
    --reporter=dot --reporter=json --outputFile.json="$json" > "$WORK/last-$$.log" 2>&1 8>&- || result=fail
  secs=$(( $(date +%s) - t0 ))
  failed=""
  if [ -f "$json" ]; then
    failed=$(node -e 'const r = require(process.argv[1]);
      console.log(r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => a.fullName)).join(" | "))' "$json" 2>/dev/null || true)
  fi
  if [ "$result" = fail ] && [ -z "$failed" ]; then failed="(no test failed: $(grep -m1 -iE 'error|timed out' "$WORK/last-$$.log" | cut -c1-200 || true))"; fi
  # Keep the output of a failed run beside the report.
  if [ "$result" = fail ]; then
    mkdir -p "${REPORT%.tsv}.logs"
    cp "$WORK/last-$$.log" "${REPORT%.tsv}.logs/$(echo "$file" | tr / _)-$MODE-$run.log"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$MODE" "$file" "$run" "$result" "$secs" "$failed" >> "$REPORT"
  echo "[flake-hunt] $MODE $file #$run: $result (${secs}s)${failed:+ — $failed}" >&2
}

start_burners() {
  local n
  n=$(nproc)
  for _ in $(seq "$n"); do
    # Bounded in time too, in case this script is killed before it can stop them.
    timeout 1800 sh -c 'while :; do :; done' 8>&- &
    BURNERS+=($!)
  done
}
stop_burners() {
  for p in "${BURNERS[@]}"; do kill "$p" 2>/dev/null || true; done
  BURNERS=()
}

# Holds LOCK (if any) around one step; the processes a step starts do not inherit it.
with_lock() {
  local rc=0
  if [ -z "$LOCK" ]; then "$@"; return; fi
  exec 8>>"$LOCK"
  flock 8
  "$@" || rc=$?
  flock -u 8
  exec 8>&-
  return "$rc"
}

run_burn() {
  start_burners
  run_one "$1" "$2"
  stop_burners
}

# The partner run is load only (it is hunted in its own turn): not recorded.
run_pair() {
  local file="$1" other="$2" run="$3" partner
  timeout 900 bash scripts/in-lo-netns.sh node_modules/.bin/vitest run "$other" --reporter=dot > /dev/null 2>&1 8>&- &
  partner=$!
  run_one "$file" "$run"
  wait "$partner" || true
}

# Waits (bounded) while the pause file exists.
pause_point() {
  [ -n "$PAUSE" ] || return 0
  local waited=0
  while [ -e "$PAUSE" ] && [ "$waited" -lt 7200 ]; do
    [ "$waited" = 0 ] && echo "[flake-hunt] paused while $PAUSE exists" >&2
    sleep 5
    waited=$((waited + 5))
  done
}

echo "[flake-hunt] ${#FILES[@]} files × runs $FROM..$RUNS, mode $MODE; report $REPORT" >&2
for run in $(seq "$FROM" "$RUNS"); do
  for i in "${!FILES[@]}"; do
    pause_point
    case "$MODE" in
      none) with_lock run_one "${FILES[$i]}" "$run" ;;
      burn) with_lock run_burn "${FILES[$i]}" "$run" ;;
      pair) with_lock run_pair "${FILES[$i]}" "${FILES[$(( (i + 1) % ${#FILES[@]} ))]}" "$run" ;;
    esac
  done
done

# Per-file summary: runs, failures, and whether it is a flake (both outcomes seen).
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
const by = new Map();
for (const [, mode, file, , result] of rows) {
  const k = `${file} (${mode})`;
  const s = by.get(k) ?? { runs: 0, fails: 0 };
  s.runs++; if (result === "fail") s.fails++;
  by.set(k, s);
}
for (const [k, s] of [...by].sort()) console.log(`${s.fails === 0 ? "ok   " : s.fails === s.runs ? "FAILS" : "FLAKY"} ${k}: ${s.fails}/${s.runs} failed`);
' "$REPORT" | tee "${REPORT%.tsv}.summary.txt"
! grep -q $'\tfail\t' "$REPORT"
