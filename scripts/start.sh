#!/usr/bin/env bash
# `npm start`: install what is missing (Debian packages, the mediasoup worker, npm deps — all
# cached), build the web room if it changed, then run every role with embedded defaults and
# print a demo lesson's two join links.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
. .duet/env.sh
bash scripts/build-web.sh
exec node deploy/src/all-in-one.ts "$@"
