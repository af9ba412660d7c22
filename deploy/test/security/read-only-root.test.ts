// Issue 12 item 9: every Duet role runs with a read-only root filesystem, and every directory it
// writes (DUET_DATA_DIR, the media node's HOOK_SPOOL_DIR, the recorder's RECORDER_WORK_DIR) is a
// volume or tmpfs in compose and in Kubernetes. Before the fix the media container had only
// /tmp writable, so its hook spool (/var/lib/duet/hook-spool) was on the read-only root, and the
// compose recorder took RECORDER_WORK_DIR=/var/lib/duet-recorder/work from its env file, outside
// its volume. Static, like the other deploy checks (Docker cannot run here); the schema checks
// in containers.test.ts and k8s.test.ts validate the same files.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEPLOY_DIR } from '../support/exec.ts';

const DATA_DIR = '/var/lib/duet'; // the image's DUET_DATA_DIR

/** The directories a role writes, given its effective environment (defaults as in each role's config). */
function writablePaths(role: 'api' | 'media' | 'recorder', env: Record<string, string>): string[] {
  const data = env.DUET_DATA_DIR ?? DATA_DIR;
  if (role === 'media') return [data, env.HOOK_SPOOL_DIR ?? posix.join(data, 'hook-spool'), '/tmp'];
  if (role === 'recorder') return [env.RECORDER_WORK_DIR ?? posix.join(data, 'recorder'), '/tmp'];
  return [data, '/tmp'];
}

const under = (path: string, mounts: string[]) => mounts.some((m) => path === m || path.startsWith(m.endsWith('/') ? m : `${m}/`));

function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe('read-only root with the data dirs on volumes', () => {
  it('Dockerfile: the data dir is a volume', () => {
    const text = readFileSync(join(DEPLOY_DIR, 'container/Dockerfile'), 'utf8');
    expect(text).toMatch(/^VOLUME \["\/var\/lib\/duet"\]$/m);
  });

  it('compose: api, media and recorder are read_only and write only to volumes or tmpfs', () => {
    const compose = parse(readFileSync(join(DEPLOY_DIR, 'compose/compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, any> };
    for (const [role, example] of [['api', 'api.env.example'], ['media', 'media.env.example'], ['recorder', 'recorder.env.example']] as const) {
      const svc = compose.services[role];
      expect(svc.read_only, role).toBe(true);
      // env_file first, `environment:` wins (compose precedence).
      const env = { ...envFile(join(DEPLOY_DIR, 'env', example)), ...(svc.environment ?? {}) };
      const mounts = [...(svc.tmpfs ?? []), ...((svc.volumes ?? []) as string[]).map((v) => v.split(':')[1]!)];
      for (const path of writablePaths(role, env)) expect(under(path, mounts), `${role} writes ${path}; mounts: ${mounts.join(', ')}`).toBe(true);
    }
  });

  it('k8s: every media pod container has readOnlyRootFilesystem and its write paths mounted', () => {
    // Every manifest in deploy/k8s (hand-written files or one rendered from a chart).
    const files = readdirSync(join(DEPLOY_DIR, 'k8s')).filter((f) => f.endsWith('.yaml'));
    const all = files.flatMap((f) => parseAllDocuments(readFileSync(join(DEPLOY_DIR, 'k8s', f), 'utf8')).map((d) => d.toJSON()).filter(Boolean));
    const configMap = (name: string) => (all.find((d: any) => d.kind === 'ConfigMap' && d.metadata.name === name)?.data ?? {}) as Record<string, string>;
    const pods: [string, any][] = [
      ['duet-media', all.find((d: any) => d.kind === 'DaemonSet' && d.metadata.name === 'duet-media-media-1')],
      ['duet-api', all.find((d: any) => d.kind === 'Deployment' && d.metadata.name === 'duet-api')],
    ];
    for (const [name, workload] of pods) {
      expect(workload, name).toBeTruthy();
      for (const c of workload.spec.template.spec.containers) {
        expect(c.securityContext?.readOnlyRootFilesystem, `${name}/${c.name}`).toBe(true);
        const env: Record<string, string> = {};
        for (const from of c.envFrom ?? []) Object.assign(env, configMap(from.configMapRef?.name));
        for (const e of c.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
        const role = c.name === 'recorder' ? 'recorder' : c.name === 'media' ? 'media' : 'api';
        const mounts = (c.volumeMounts ?? []).map((m: any) => m.mountPath as string);
        for (const path of writablePaths(role, env)) expect(under(path, mounts), `${name}/${c.name} writes ${path}; mounts: ${mounts.join(', ')}`).toBe(true);
      }
    }
  });
});
