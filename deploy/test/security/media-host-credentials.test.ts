// Issue 12: a leaked secret must not open everything — in the shipped defaults. Every shipped
// deployment gives a media node and its recorder only NODE_ID + NODE_SECRET (derived from the
// API's INTERNAL_HOOK_SECRET by the API's own function), never INTERNAL_HOOK_SECRET itself:
// `npm start` (all-in-one), compose (node.env from `duet nodes env`) and systemd (/etc/duet/node.env).
// The Helm chart is covered in helm.test.ts ("per-node secrets").
// Before: npm start, compose and the chart handed media nodes and recorders the shared secret, so
// one leaked media host opened every internal route for every lesson and node.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadApiConfig } from '@duet/api';
import { internalCaller } from '@duet/api/node-credentials';
import { loadSignalingConfig } from '@duet/signaling';
import { loadRecorderConfig } from '@duet/recorder';
import { runCli } from '../../src/cli/main.ts';
import { mediaHostEnv, nodeEnv } from '../../src/node-env.ts';
import { loadOrCreateSecrets } from '../../src/secrets.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const DEPLOY_DIR = resolve(import.meta.dirname, '../..');
const ROOT_SECRETS = ['INTERNAL_HOOK_SECRET', 'JOIN_TOKEN_SECRET', 'DUET_API_KEY', 'URL_SIGNING_SECRET'];

const apiEnv = () => ({
  DATABASE_URL: 'pglite:memory',
  DUET_API_KEY: `duet_${randomBytes(32).toString('base64url')}`,
  JOIN_TOKEN_SECRET: randomBytes(32).toString('base64url'),
  INTERNAL_HOOK_SECRET: randomBytes(32).toString('base64url'),
});

/** What the API makes of `dn1:<id>:<secret>`: a node credential for that node, or 401. */
function apiAccepts(env: Record<string, string>, nodeId: string, secret: string) {
  return internalCaller(loadApiConfig(env), `dn1:${nodeId}:${secret}`);
}

/** `duet nodes env <id>` as an operator runs it on the API host. */
async function duetNodesEnv(env: Record<string, string | undefined>, id: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['nodes', 'env', id], { env, out: (l) => (out += l + '\n'), err: (l) => (err += l + '\n') });
  return { code, out, err };
}

describe('npm start gives its media node and recorder only their node credential', () => {
  it('derives NODE_SECRET for node `local`; no shared or signing secret reaches them; the API accepts it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-node-env-'));
    try {
      const { secrets } = loadOrCreateSecrets(dir, {});
      const env = { DATABASE_URL: 'pglite:memory', SIGNALING_PORT: '8090', ...secrets } as Record<string, string>;
      const media = mediaHostEnv(env, nodeEnv(secrets.INTERNAL_HOOK_SECRET, 'local'));
      for (const name of ROOT_SECRETS) expect(media[name], name).toBeUndefined();
      expect(media.NODE_ID).toBe('local');

      const node = loadSignalingConfig(media);
      expect(node.node?.id).toBe('local');
      expect(node.internalHookSecret).not.toBe(secrets.INTERNAL_HOOK_SECRET);
      expect(apiAccepts(env, node.node!.id, node.nodeSecret!)).toEqual({ kind: 'node', nodeId: 'local' });
      const recorder = loadRecorderConfig({ ...media, RECORDER_PORT: '0' });
      expect(recorder.hookNodeId).toBe('local');
      expect(apiAccepts(env, 'local', recorder.internalHookSecret)).toEqual({ kind: 'node', nodeId: 'local' });
      // Another node's id with this secret is refused (one leaked host opens only its own lessons).
      expect(() => apiAccepts(env, 'media-2', node.nodeSecret!)).toThrow(/not valid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compose and systemd give media hosts node.env, not INTERNAL_HOOK_SECRET', () => {
  const compose = parse(readFileSync(join(DEPLOY_DIR, 'compose/compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, any> };
  const examples: Record<string, string> = {
    'media.env': 'env/media.env.example',
    'recorder.env': 'env/recorder.env.example',
    'node.env': 'env/node.env.example',
  };

  it('media and recorder containers, with node.env written by `duet nodes env`, hold a NODE_SECRET the API accepts and no shared secret', async () => {
    const api = apiEnv();
    const generated = await duetNodesEnv(api, 'media-1');
    expect(generated.code, generated.err).toBe(0);
    const nodeFile = parseEnv(generated.out);
    expect(nodeFile.NODE_SECRET).toMatch(/^[0-9a-f]{64}$/);
    for (const role of ['media', 'recorder']) {
      const svc = compose.services[role];
      const files = [svc.env_file].flat() as string[];
      expect(files, role).toContain('node.env');
      // Compose precedence: env files in order, then `environment:`.
      const env: Record<string, string | undefined> = {};
      for (const f of files) Object.assign(env, f === 'node.env' ? nodeFile : parseEnv(readFileSync(join(DEPLOY_DIR, examples[f]!), 'utf8')));
      Object.assign(env, svc.environment ?? {});
      for (const name of ROOT_SECRETS) expect(env[name], `${role}: ${name}`).toBeUndefined();
      expect(env.NODE_ID, role).toBe('media-1');
      expect(apiAccepts(api, env.NODE_ID!, env.NODE_SECRET!)).toEqual({ kind: 'node', nodeId: 'media-1' });
    }
    // The API container keeps the root secret (its env file is the only one that has it).
    expect([compose.services.api.env_file].flat()).toEqual(['api.env']);
  });

  it('the shipped node.env example is refused until generated; `duet nodes env` needs the API\'s secret and a valid id', async () => {
    const example = parseEnv(readFileSync(join(DEPLOY_DIR, 'env/node.env.example'), 'utf8'));
    expect(() => loadSignalingConfig({ ...example, API_INTERNAL_URL: 'http://127.0.0.1:8080' })).toThrow(/NODE_SECRET is still a placeholder/);
    expect((await duetNodesEnv({}, 'media-1')).err).toMatch(/INTERNAL_HOOK_SECRET is not set/);
    const bad = await duetNodesEnv(apiEnv(), 'media 1;rm');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/node id/);
  });

  it('systemd media and recorder units read /etc/duet/node.env; no example for a media host carries INTERNAL_HOOK_SECRET', () => {
    for (const unit of ['duet-media.service', 'duet-recorder.service']) {
      expect(readFileSync(join(DEPLOY_DIR, 'systemd', unit), 'utf8')).toMatch(/^EnvironmentFile=\/etc\/duet\/node\.env$/m);
    }
    for (const f of Object.values(examples)) expect(parseEnv(readFileSync(join(DEPLOY_DIR, f), 'utf8')).INTERNAL_HOOK_SECRET, f).toBeUndefined();
  });
});
