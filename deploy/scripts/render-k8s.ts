// Renders deploy/k8s/duet.yaml from the Helm chart (deploy/helm/duet with ci/k8s-values.yaml):
// the plain manifests for `kubectl apply -f deploy/k8s/` are the chart's output, never edited
// by hand (deploy/test/k8s.test.ts fails when they differ from a fresh render).
//
//   node deploy/scripts/render-k8s.ts          # helm from DUET_HELM or scripts/install-test-tools.sh
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const CHART = join(ROOT, 'deploy/helm/duet');
export const K8S_FILE = join(ROOT, 'deploy/k8s/duet.yaml');
/** Kubernetes version the chart is rendered for (the vendored schemas are 1.33's). */
export const KUBE_VERSION = '1.33.0';

const HEADER = `# GENERATED from the Helm chart deploy/helm/duet (values: ci/k8s-values.yaml) by
#   node deploy/scripts/render-k8s.ts
# Do not edit: change the chart and re-render. Apply with kubectl apply -f deploy/k8s/duet.yaml.
# Secrets are not in git: create them first (deploy/RUNBOOK.md, "Kubernetes"):
#   kubectl -n duet create secret generic duet-secrets --from-env-file=secrets.env
#   kubectl -n duet create secret generic duet-coturn --from-file=turnserver.conf
#   kubectl -n duet create secret tls duet-turn-tls --cert=fullchain.pem --key=privkey.pem
`;

export function helmBin(): string {
  if (process.env.DUET_HELM) return process.env.DUET_HELM;
  const recorded = join(ROOT, '.duet/test-tools.env');
  const line = existsSync(recorded) ? readFileSync(recorded, 'utf8').split('\n').find((l) => l.startsWith('DUET_HELM=')) : undefined;
  return line?.slice('DUET_HELM='.length).trim() || join(homedir(), '.cache/duet/helm-v3.22.0/helm');
}

/** `helm template` argv for a values file (none: the chart's defaults). */
export function templateArgs(values?: string, namespace = 'duet'): string[] {
  return ['template', 'duet', CHART, '--namespace', namespace, '--kube-version', KUBE_VERSION, ...(values ? ['-f', values] : [])];
}

export function renderK8s(helm = helmBin()): string {
  const out = execFileSync(helm, templateArgs(join(CHART, 'ci/k8s-values.yaml')), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return HEADER + out;
}

if (import.meta.main) {
  writeFileSync(K8S_FILE, renderK8s());
  console.log(`wrote ${K8S_FILE}`);
}
