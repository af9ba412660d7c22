// The Kubernetes manifests (deploy/k8s/duet.yaml, rendered from the Helm chart deploy/helm/duet)
// are exactly the chart's output and validate against the Kubernetes 1.33 schemas vendored in
// deploy/k8s/schemas (strict: unknown fields are errors), with no network. kubeconform and helm
// are installed (pinned, cached) by scripts/install-test-tools.sh.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RECORDER_ARGV } from '@duet/recorder/launch';
import { MEDIA_NODE_ARGV } from '@duet/signaling/launch';
import { renderK8s, K8S_FILE } from '../scripts/render-k8s.ts';
import { DEPLOY_DIR } from './support/exec.ts';
import { kubeconform } from './support/kubeconform.ts';
import { HELM } from './support/tools.ts';

const K8S_DIR = join(DEPLOY_DIR, 'k8s');
const manifests = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(K8S_DIR, f));

function docs(file: string): Record<string, any>[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Record<string, any>).filter(Boolean);
}

describe('Kubernetes manifests', () => {
  it("deploy/k8s holds only the chart's output, unchanged (re-render: node deploy/scripts/render-k8s.ts)", () => {
    expect(manifests).toEqual([K8S_FILE]);
    expect(existsSync(HELM), `helm not found at ${HELM}: run scripts/install-test-tools.sh (needs Go)`).toBe(true);
    expect(readFileSync(K8S_FILE, 'utf8') === renderK8s(HELM), 'deploy/k8s/duet.yaml differs from the chart: run node deploy/scripts/render-k8s.ts').toBe(true);
  });

  it('every resource in deploy/k8s is valid against the vendored schemas', async () => {
    const { code, report, raw } = await kubeconform(manifests);
    expect(code, raw).toBe(0);
    const expected = manifests.flatMap(docs).length;
    expect(report.summary).toEqual({ valid: expected, invalid: 0, errors: 0, skipped: 0 });
  });

  it('a broken manifest fails validation (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-k8s-'));
    try {
      const api = readFileSync(K8S_FILE, 'utf8');
      const cases: [string, string][] = [
        ['misspelled field', api.replace('      containers:', '      contianers:')],
        ['wrong type', api.replace('replicas: 2', 'replicas: two')],
        ['kind without schema', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n'],
      ];
      for (const [what, text] of cases) {
        expect(text, what).not.toBe(api);
        const file = join(dir, `${what.replace(/\W/g, '-')}.yaml`);
        writeFileSync(file, text);
        const { code, report } = await kubeconform([file]);
        expect(code, what).not.toBe(0);
        expect(report.summary.valid, what).toBeLessThan(docs(file).length);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('media nodes and coturn use the host network; secrets come from Secret refs only', () => {
    const all = manifests.flatMap(docs);
    const byName = (kind: string, name: string) => all.find((d) => d.kind === kind && d.metadata?.name === name);
    expect(byName('Deployment', 'duet-api')).toBeTruthy();
    expect(byName('Service', 'duet-api')?.spec.selector).toEqual(byName('Deployment', 'duet-api')?.spec.selector.matchLabels);
    for (const name of ['duet-media-media-1', 'coturn']) {
      const ds = byName('DaemonSet', name);
      expect(ds?.spec.template.spec.hostNetwork, name).toBe(true);
    }
    // The recorder container runs the built JavaScript (the image builds it) with its Node flags.
    const recorder = byName('DaemonSet', 'duet-media-media-1')?.spec.template.spec.containers.find((c: any) => c.name === 'recorder');
    expect(recorder?.args).toEqual(RECORDER_ARGV);
    const node = byName('DaemonSet', 'duet-media-media-1')?.spec.template.spec.containers.find((c: any) => c.name === 'media');
    expect(node?.args).toEqual(MEDIA_NODE_ARGV);
    const text = manifests.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const secret of ['DUET_API_KEY', 'JOIN_TOKEN_SECRET', 'INTERNAL_HOOK_SECRET', 'TURN_SECRET', 'S3_SECRET_ACCESS_KEY']) {
      expect(text, `${secret} must not have a literal value`).not.toMatch(new RegExp(`${secret}:\\s*\\S`));
    }
    expect(all.some((d) => d.kind === 'Secret'), 'no Secret objects with values in git').toBe(false);
    // Every ConfigMap/Secret a workload references is either in git (ConfigMap) or documented.
    const configMaps = new Set(all.filter((d) => d.kind === 'ConfigMap').map((d) => d.metadata.name));
    for (const ref of text.matchAll(/configMap(?:Ref|KeyRef):\s*\n\s*name:\s*(\S+)/g)) expect(configMaps.has(ref[1]!), ref[1]).toBe(true);
    const runbook = readFileSync(join(DEPLOY_DIR, 'RUNBOOK.md'), 'utf8');
    for (const ref of text.matchAll(/secret(?:Ref|KeyRef|Name):\s*(?:name:\s*)?(\S+)/g)) expect(runbook, `RUNBOOK creates Secret ${ref[1]}`).toContain(ref[1]!);
  });
});
