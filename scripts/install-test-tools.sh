#!/usr/bin/env bash
# scripts/install-test-tools.sh - tools only the test suite needs, installed once into
# ${DUET_CACHE_DIR:-~/.cache/duet} (pinned, keyed by their pins) and reused offline afterwards.
# Run by scripts/test.sh before the suite enters the network namespace that has no network.
#
#   - moto (a real S3-protocol server, from PyPI), pinned by scripts/s3-test-server.requirements.txt
#   - kubeconform (validates deploy/k8s against deploy/k8s/schemas), `go install`ed at a pinned tag
#   - helm (lints and renders deploy/helm/duet), `go install`ed at a pinned tag
#   - k6 (deploy/test/k6-signaling-churn.test.ts runs deploy/k6/signaling-churn.js for 2 s), built
#     by deploy/bench/install-k6.sh (`go install` at a pinned tag; a few minutes the first time)
#   (promtool and prometheus come from Debian's `prometheus` package: scripts/bootstrap.sh)
#   - the network lab's tools (docs/network-lab.md): Debian nftables, iptables (legacy, for
#     NFQUEUE) and libnetfilter-queue-dev; nfq-delay (web/test/e2e/lab/nfq-delay.c) compiled, keyed
#     by its source
#
# Prints where each tool is; `.duet/test-tools.env` records them for the tests.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
CACHE="${DUET_CACHE_DIR:-$HOME/.cache/duet}"
log() { printf '[test-tools] %s\n' "$*" >&2; }
mkdir -p "$ROOT/.duet" "$CACHE"

# --- S3-protocol server (moto) ---
REQ="$ROOT/scripts/s3-test-server.requirements.txt"
KEY="$(sha256sum "$REQ" | cut -c1-12)"
MOTO_DIR="$CACHE/s3-test-server-$KEY"
if [ ! -x "$MOTO_DIR/venv/bin/moto_server" ] || [ ! -f "$MOTO_DIR/ok" ]; then
  command -v python3 >/dev/null || { log "ERROR: python3 is required for the S3 test server (Debian: python3 python3-venv)"; exit 1; }
  log "installing the S3 test server (moto, pinned) into $MOTO_DIR"
  rm -rf "$MOTO_DIR"
  python3 -m venv "$MOTO_DIR/venv"
  "$MOTO_DIR/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQ"
  touch "$MOTO_DIR/ok"
else
  log "S3 test server: cached ($MOTO_DIR)"
fi

# --- kubeconform (Go module proxy), pinned ---
KUBECONFORM_VERSION=v0.7.0
KUBECONFORM="$CACHE/kubeconform-$KUBECONFORM_VERSION/kubeconform"
if [ ! -x "$KUBECONFORM" ]; then
  GO="$(command -v go || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || true)"
  [ -n "$GO" ] || { log "ERROR: Go (>= 1.22) is required to install kubeconform for deploy/test/k8s.test.ts"; exit 1; }
  log "installing kubeconform $KUBECONFORM_VERSION (go install) into $(dirname "$KUBECONFORM")"
  GOBIN="$(dirname "$KUBECONFORM")" GOTOOLCHAIN=local "$GO" install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" >&2
else
  log "kubeconform: cached ($KUBECONFORM)"
fi

# --- helm (Go module proxy), pinned ---
HELM_VERSION=v3.22.0
HELM="$CACHE/helm-$HELM_VERSION/helm"
if [ ! -x "$HELM" ]; then
  GO="$(command -v go || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || true)"
  [ -n "$GO" ] || { log "ERROR: Go (>= 1.24) is required to install helm for deploy/test/helm.test.ts"; exit 1; }
  log "installing helm $HELM_VERSION (go install) into $(dirname "$HELM")"
  GOBIN="$(dirname "$HELM")" GOTOOLCHAIN=local "$GO" install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
else
  log "helm: cached ($HELM)"
fi

# --- network lab: nftables (loss, UDP blocked), iptables-legacy NFQUEUE + nfq-delay (delay, jitter) ---
LAB_PKGS=(nftables iptables libnetfilter-queue-dev)
LAB_MISSING=""
for p in "${LAB_PKGS[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || LAB_MISSING+="$p "
done
if [ -n "$LAB_MISSING" ]; then
  [ "$(id -u)" = 0 ] || { log "ERROR: the network lab needs Debian packages: $LAB_MISSING(run as root: apt-get install $LAB_MISSING)"; exit 1; }
  log "installing the network lab's packages: $LAB_MISSING"
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $LAB_MISSING \
    || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $LAB_MISSING; }; } >&2
fi
DELAY_SRC="$ROOT/web/test/e2e/lab/nfq-delay.c"
NFQ_DELAY="$CACHE/nfq-delay-$(sha256sum "$DELAY_SRC" | cut -c1-12)/nfq-delay"
if [ ! -x "$NFQ_DELAY" ]; then
  log "building nfq-delay into $(dirname "$NFQ_DELAY")"
  mkdir -p "$(dirname "$NFQ_DELAY")"
  cc -O2 -Wall -o "$NFQ_DELAY.tmp" "$DELAY_SRC" -lnetfilter_queue -lm && mv "$NFQ_DELAY.tmp" "$NFQ_DELAY"
else
  log "nfq-delay: cached ($NFQ_DELAY)"
fi

# --- k6 (Go module proxy), pinned in deploy/bench/install-k6.sh ---
K6="$(bash "$ROOT/deploy/bench/install-k6.sh")"
log "k6: $K6"

{
  echo "DUET_K6=$K6"
  echo "DUET_NFQ_DELAY=$NFQ_DELAY"
  echo "DUET_HELM=$HELM"
  echo "DUET_S3_SERVER_BIN=$MOTO_DIR/venv/bin/moto_server"
  echo "DUET_KUBECONFORM=$KUBECONFORM"
} > "$ROOT/.duet/test-tools.env"
