// The Helm chart deploy/helm/duet: `helm lint --strict` and `helm template` for each value set in
// deploy/helm/duet/ci (and the defaults), every rendered object valid for Kubernetes 1.33
// (kubeconform, strict, vendored schemas), the shape operators rely on (host-network media nodes
// one per labelled machine with the recorder beside them, read-only roots with their writable
// volumes, probes, PDBs, secrets only by reference, external PostgreSQL/S3), and bad values
// refused with a clear message.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RECORDER_ARGV } from '@duet/recorder/launch';
import { MEDIA_NODE_ARGV } from '@duet/signaling/launch';
import { requestsFor } from '../src/sizing.ts';
import { CHART, templateArgs } from '../scripts/render-k8s.ts';
import { run } from './support/exec.ts';
import { kubeconform } from './support/kubeconform.ts';
import { HELM } from './support/tools.ts';
import { parseEnv } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadApiConfig } from '@duet/api';
import { internalCaller } from '@duet/api/node-credentials';
import { runCli } from '../src/cli/main.ts';

type Obj = Record<string, any>;
const VALUE_SETS = ['', ...readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('.yaml')).map((f) => join(CHART, 'ci', f))];

async function template(values?: string, extra: string[] = []) {
  expect(existsSync(HELM), `helm not found at ${HELM}: run scripts/install-test-tools.sh (needs Go)`).toBe(true);
  return run(HELM, [...templateArgs(values || undefined), ...extra]);
}
async function render(values?: string, extra: string[] = []): Promise<{ text: string; objs: Obj[] }> {
  const r = await template(values, extra);
  expect(r.code, r.stderr).toBe(0);
  return { text: r.stdout, objs: parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter(Boolean) };
}
const find = (objs: Obj[], kind: string, name: string): any => objs.find((o) => o.kind === kind && o.metadata?.name === name);
const containers = (o: Obj): any[] => o.spec.template.spec.containers;
const podLabels = (o: Obj) => o.spec.template.metadata.labels;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Helm chart deploy/helm/duet', () => {
  it('has value sets to render: the defaults and ci/*.yaml', () => {
    expect(VALUE_SETS.length).toBeGreaterThanOrEqual(4);
  });

  for (const values of VALUE_SETS) {
    const name = values ? values.slice(CHART.length + 1) : 'defaults';
    it(`${name}: helm lint --strict passes and every rendered object is valid (kubeconform)`, async () => {
      const lint = await run(HELM, ['lint', CHART, '--strict', ...(values ? ['-f', values] : [])]);
      expect(lint.code, lint.stdout + lint.stderr).toBe(0);
      const { text, objs } = await render(values);
      expect(objs.length).toBeGreaterThan(5);
      const { code, report, raw } = await kubeconform(['-'], text);
      expect(code, raw).toBe(0);
      expect(report.summary).toEqual({ valid: objs.length, invalid: 0, errors: 0, skipped: 0 });
      // Every workload: read-only root, probes, requests; its PDB (when it has one) selects its pods.
      for (const w of objs.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')) {
        for (const c of containers(w)) {
          expect(c.securityContext.readOnlyRootFilesystem, `${w.metadata.name}/${c.name}`).toBe(true);
          expect(c.securityContext.allowPrivilegeEscalation, `${w.metadata.name}/${c.name}`).toBe(false);
          expect(c.readinessProbe && c.livenessProbe, `${w.metadata.name}/${c.name} probes`).toBeTruthy();
          expect(c.resources.requests.cpu && c.resources.requests.memory, `${w.metadata.name}/${c.name} requests`).toBeTruthy();
        }
        expect(matches(w.spec.selector.matchLabels, podLabels(w)), w.metadata.name).toBe(true);
        // Per-machine media DaemonSets share the one media PDB (one machine at a time).
        const pdb: any = objs.find((o) => o.kind === 'PodDisruptionBudget' && matches(o.spec.selector.matchLabels, podLabels(w)));
        expect(pdb, `${w.metadata.name} has a PodDisruptionBudget`).toBeTruthy();
        expect(matches(pdb.spec.selector.matchLabels, podLabels(w)), `${w.metadata.name} PDB selects its pods`).toBe(true);
        expect('minAvailable' in pdb.spec !== 'maxUnavailable' in pdb.spec, `${w.metadata.name} PDB sets one of the two`).toBe(true);
      }
      // No Secret objects; every secret value comes by reference.
      expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
      for (const s of ['DUET_API_KEY', 'JOIN_TOKEN_SECRET', 'INTERNAL_HOOK_SECRET', 'TURN_SECRET', 'S3_SECRET_ACCESS_KEY', 'DATABASE_URL']) {
        expect(text, `${s} must not have a literal value`).not.toMatch(new RegExp(`${s}:\\s*\\S`));
      }
    });
  }

  it('defaults: media nodes one per labelled machine on the host network, the recorder beside each, API behind a proxy', async () => {
    const { objs } = await render();
    const media = find(objs, 'DaemonSet', 'duet-media-media-1');
    const pod = media.spec.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet', nodeSelector: { 'duet.io/media': 'true' } });
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['media', 'recorder']);
    const [node, recorder] = pod.containers;
    expect(recorder.args).toEqual(RECORDER_ARGV);
    expect(pod.containers[0].args).toEqual(MEDIA_NODE_ARGV);
    // Read-only roots: the media node writes only /tmp and its hook spool, the recorder its segments.
    expect(node.volumeMounts.map((m: Obj) => m.mountPath).sort()).toEqual(['/tmp', '/var/lib/duet']);
    expect(recorder.volumeMounts.map((m: Obj) => m.mountPath).sort()).toEqual(['/tmp', '/var/lib/duet']);
    const vol = (n: string) => pod.volumes.find((v: Obj) => v.name === n);
    expect(vol(node.volumeMounts.find((m: Obj) => m.mountPath === '/var/lib/duet').name).emptyDir.sizeLimit).toBe('1Gi');
    expect(vol(recorder.volumeMounts.find((m: Obj) => m.mountPath === '/var/lib/duet').name).emptyDir.sizeLimit).toBe('20Gi');
    // The drain deadline fits in the grace period.
    const cm = find(objs, 'ConfigMap', 'duet-media').data;
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(cm.SHUTDOWN_DRAIN_DEADLINE_MS) + 15_000);
    expect(cm.RECORDER_URL).toBe(`http://127.0.0.1:${cm.RECORDER_PORT}`);
    expect(find(objs, "ConfigMap", "duet-api").data.TRUST_PROXY).toBe("1");
    expect(find(objs, 'DaemonSet', 'coturn').spec.template.spec).toMatchObject({ hostNetwork: true, nodeSelector: { 'duet.io/turn': 'true' } });
    // Requests as sized from the committed benchmarks (docs/sizing.md).
    const sized = requestsFor();
    expect(node.resources.requests.cpu).toBe(sized.media.cpu);
    expect(recorder.resources.requests).toMatchObject(sized.recorder);
    expect(containers(find(objs, 'Deployment', 'duet-api'))[0].resources.requests.cpu).toBe(sized.api.cpu);
  });

  it('production values: PostgreSQL and S3 credentials from their own Secrets, tolerations, capacity, no recorder-less pods', async () => {
    const { objs } = await render(join(CHART, 'ci/production-values.yaml'));
    const api = containers(find(objs, 'Deployment', 'duet-api'))[0];
    const env = (c: Obj, n: string) => c.env.find((e: Obj) => e.name === n)?.valueFrom?.secretKeyRef;
    expect(env(api, 'DATABASE_URL')).toEqual({ name: 'duet-postgres', key: 'url' });
    expect(env(api, 'S3_SECRET_ACCESS_KEY')).toEqual({ name: 'duet-s3', key: 'secret-key' });
    expect(api.envFrom).toContainEqual({ secretRef: { name: 'duet-core' } });
    const media = find(objs, 'DaemonSet', 'duet-media-media-1');
    expect(media.spec.template.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' }]);
    expect(env(containers(media)[1], 'S3_ACCESS_KEY_ID')).toEqual({ name: 'duet-s3', key: 'access-key' });
    expect(find(objs, 'ConfigMap', 'duet-media').data).toMatchObject({ NODE_CAPACITY: '200', S3_BUCKET: 'lessons', S3_ENDPOINT: 'https://minio.storage.svc:9000' });
    expect(find(objs, 'ConfigMap', 'duet-api').data.WEBHOOK_TIMEOUT_MS).toBe('5000');
    expect(media.spec.template.spec.terminationGracePeriodSeconds).toBe(330);
    expect(find(objs, 'Namespace', 'duet')).toBeTruthy();
    expect(containers(media)[0].image).toBe('registry.internal.example/duet/duet-media:0.2.0');
  });

  it('minimal values: no recorder container or segments volume, no coturn', async () => {
    const { objs } = await render(join(CHART, 'ci/minimal-values.yaml'));
    const media = find(objs, 'DaemonSet', 'duet-media-media-1');
    expect(containers(media).map((c) => c.name)).toEqual(['media']);
    expect(media.spec.template.spec.volumes.map((v: Obj) => v.name)).not.toContain('segments');
    expect(find(objs, 'ConfigMap', 'duet-media').data.RECORDER_URL).toBeUndefined();
    expect(objs.filter((o) => o.metadata.name === 'coturn')).toEqual([]);
  });

  // Issue 12: a leaked media machine must not open everything. Before: every media pod got
  // INTERNAL_HOOK_SECRET from duet-secrets (media node and recorder).
  it('per-node secrets: each media machine\'s pod holds only its own NODE_SECRET, which the API accepts; never INTERNAL_HOOK_SECRET', async () => {
    const { objs } = await render(undefined, ['--set', 'media.nodes={media-a,media-b}']);
    const daemons = objs.filter((o) => o.kind === 'DaemonSet' && podLabels(o)['app.kubernetes.io/name'] === 'duet-media');
    expect(daemons.map((d) => d.metadata.name).sort()).toEqual(['duet-media-media-a', 'duet-media-media-b']);
    // What the operator does (RUNBOOK "Kubernetes"): `duet nodes env <name>` on the API's secrets,
    // one Secret duet-node-<name> each.
    const apiEnv = { DATABASE_URL: 'pglite:memory', DUET_API_KEY: `duet_${randomBytes(32).toString('base64url')}`, JOIN_TOKEN_SECRET: randomBytes(32).toString('base64url'), INTERNAL_HOOK_SECRET: randomBytes(32).toString('base64url') };
    const secrets: Record<string, Record<string, string>> = {};
    for (const node of ['media-a', 'media-b']) {
      let out = '';
      expect(await runCli(['nodes', 'env', node], { env: apiEnv, out: (l) => (out += l), err: () => undefined })).toBe(0);
      secrets[`duet-node-${node}`] = parseEnv(out) as Record<string, string>;
    }
    const api = loadApiConfig(apiEnv);
    for (const ds of daemons) {
      const node = ds.metadata.name.slice('duet-media-'.length);
      const pod = ds.spec.template.spec;
      // Pinned to its machine; the selectors of two machines never overlap.
      expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields).toEqual([{ key: 'metadata.name', operator: 'In', values: [node] }]);
      expect(ds.spec.selector.matchLabels['duet.io/media-node']).toBe(node);
      for (const c of pod.containers) {
        const where = `${ds.metadata.name}/${c.name}`;
        expect(JSON.stringify(c), where).not.toContain('INTERNAL_HOOK_SECRET');
        expect((c.envFrom ?? []).filter((f: Obj) => f.secretRef), `${where}: no whole Secret`).toEqual([]);
        const id = c.env.find((e: Obj) => e.name === 'NODE_ID').value;
        const ref = c.env.find((e: Obj) => e.name === 'NODE_SECRET').valueFrom.secretKeyRef;
        expect(id, where).toBe(node);
        expect(ref, where).toEqual({ name: `duet-node-${node}`, key: 'NODE_SECRET' });
        expect(internalCaller(api, `dn1:${id}:${secrets[ref.name]![ref.key]}`), where).toEqual({ kind: 'node', nodeId: node });
      }
    }
    // A kubelet may read every key of a Secret its pods reference: media pods reference neither
    // the platform Secret (duet-secrets, which holds INTERNAL_HOOK_SECRET) nor another machine's.
    for (const ds of daemons) {
      const names = [...JSON.stringify(ds.spec.template).matchAll(/"secretKeyRef":\{"name":"([^"]+)"/g)].map((m) => m[1]);
      const node = ds.metadata.name.slice('duet-media-'.length);
      expect(new Set(names), ds.metadata.name).toEqual(new Set([`duet-node-${node}`, 'duet-media-secrets']));
    }
    expect(JSON.stringify(find(objs, 'Deployment', 'duet-api'))).toContain('"name":"duet-secrets"');
  });

  it('refuses bad values with a message that names the value', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'secrets.existingSecret='], /secrets[./]existingSecret/],
      [['--set', 'api.replicas=two'], /api\/replicas/],
      [['--set', 'api.pdb.maxUnavailable=1'], /api\.pdb: set minAvailable or maxUnavailable, not both/],
      [['--set', 'postgresql.url=postgres://u:p@db/duet'], /postgresql|additional/i],
      [['--set', 's3.endpoint=s3.example.com'], /s3\/endpoint/],
      [['--set', 'media.nodeSelector=null'], /nodeSelector/],
      [['--set', 'media.nodes=null'], /'\/media': missing property 'nodes'/],
      [['--set', 'media.nodes={Bad_Name}'], /media\/nodes/],
    ];
    for (const [args, message] of cases) {
      const r = await template(undefined, args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});
