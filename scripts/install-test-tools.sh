#!/usr/bin/env bash
# scripts/install-test-tools.sh - tools only the test suite needs, installed once into
# ${DUET_CACHE_DIR:-~/.cache/duet} (pinned, keyed by their pins) and reused offline afterwards.
# Run by scripts/test.sh before the suite enters the network namespace that has no network.
#
#   - moto (a real S3-protocol server, from PyPI), pinned by scripts/s3-test-server.requirements.txt
#   - kubeconform (validates deploy/k8s against deploy/k8s/schemas), `go install`ed at a pinned tag
#   - helm (lints and renders deploy/helm/duet), `go install`ed at a pinned tag
#   (promtool and prometheus come from Debian's `prometheus` package: scripts/bootstrap.sh)
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

{
  echo "DUET_HELM=$HELM"
  echo "DUET_S3_SERVER_BIN=$MOTO_DIR/venv/bin/moto_server"
  echo "DUET_KUBECONFORM=$KUBECONFORM"
} > "$ROOT/.duet/test-tools.env"
