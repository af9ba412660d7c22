#!/usr/bin/env bash
# scripts/flake-hunt-to.sh [-t TARGET] -o REPORT [--pause-while FILE] [FILE...]
#
# Raises every given test file (default: every *.test.ts / *.test.tsx in the repository) to
# TARGET runs (default 20), counting the runs already recorded in docs/flake-hunt/*.tsv and in
# REPORT. Lowest count first, one run per file per round, so a hunt stopped early leaves the
# files evenly hunted. Each run goes through scripts/flake-hunt.sh (its own vitest process in
# the loopback-only namespace, `nice 10`), numbered after the file's earlier runs.
#
# Lanes: start it two or three times side by side on disjoint file sets, each in its own clone
# (`git clone`, then `bash scripts/bootstrap.sh`, the web and recorder builds), each the others'
# load; touch the --pause-while file to let a benchmark or a full suite have the machine.
#   grep -E '^(api|sfu|web)/' <(git ls-files '*.test.ts*') | grep -v e2e | xargs bash scripts/flake-hunt-to.sh -o .duet/flake-hunt/api.tsv
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"

TARGET=20 REPORT="" PAUSE=""
FILES=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -t) TARGET="$2"; shift 2 ;;
    -o) REPORT="$2"; shift 2 ;;
    --pause-while) PAUSE="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) FILES+=("$1"); shift ;;
  esac
done
[ -n "$REPORT" ] || { echo "flake-hunt-to: -o REPORT is required" >&2; exit 2; }
case "$TARGET" in ''|*[!0-9]*) echo "flake-hunt-to: -t needs a number" >&2; exit 2 ;; esac
[ "$TARGET" -le 200 ] || { echo "flake-hunt-to: -t at most 200" >&2; exit 2; }
[ "${#FILES[@]}" -gt 0 ] || mapfile -t FILES < <(git ls-files '*.test.ts' '*.test.tsx' | sort)

# Runs so far per file: every committed report plus this one (a run is a row with a time in seconds).
declare -A COUNT
while IFS=$'\t' read -r file n; do COUNT["$file"]=$n; done < <(
  cat docs/flake-hunt/*.tsv "$REPORT" 2>/dev/null | awk -F'\t' '$3 ~ /test/ && $6 ~ /^[0-9]+$/ {n[$3]++} END {for (f in n) print f "\t" n[f]}')

PAUSE_ARGS=()
[ -n "$PAUSE" ] && PAUSE_ARGS=(--pause-while "$PAUSE")
for _round in $(seq 1 "$TARGET"); do
  todo=$(for f in "${FILES[@]}"; do n=${COUNT[$f]:-0}; [ "$n" -lt "$TARGET" ] && echo "$n $f"; done | sort -n | awk '{print $2}')
  [ -z "$todo" ] && break
  for f in $todo; do
    n=$(( ${COUNT[$f]:-0} + 1 ))
    # A failing run is recorded in the report; the hunt goes on.
    nice -n 10 bash scripts/flake-hunt.sh -n "$n" --from "$n" "${PAUSE_ARGS[@]}" -o "$REPORT" "$f" > /dev/null 2>&1 || true
    COUNT["$f"]=$n
  done
done
echo "flake-hunt-to: every file at $TARGET runs or more (report $REPORT)"
