// `npm start` generates its secrets: they must always pass the placeholder / well-known checks of
// every role (api, media node, recorder), and a LAN demo (DUET_HOST beyond loopback) also gets a
// METRICS_TOKEN so the roles, which now require one there, still start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { API_SECRET_VARS, loadApiConfig } from '@duet/api';
import { checkSecrets } from '@duet/api/secrets';
import { SIGNALING_SECRET_VARS } from '@duet/signaling';
import { RECORDER_SECRET_VARS } from '@duet/recorder';
import { loadOrCreateSecrets } from '../../src/secrets.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'duet-gen-secrets-'));
  dirs.push(d);
  return d;
};

describe('generated secrets', () => {
  it('always pass every role secret check', () => {
    for (let i = 0; i < 200; i++) {
      const { secrets } = loadOrCreateSecrets(tmp(), {}, ['METRICS_TOKEN']);
      const env = { ...secrets } as Record<string, string>;
      for (const specs of [API_SECRET_VARS, SIGNALING_SECRET_VARS, RECORDER_SECRET_VARS]) expect(checkSecrets(env, specs)).toEqual([]);
    }
  });

  it('include a METRICS_TOKEN only when asked (roles beyond loopback), kept across restarts', () => {
    const dir = tmp();
    expect(loadOrCreateSecrets(dir, {}).secrets.METRICS_TOKEN).toBeUndefined();
    const lan = loadOrCreateSecrets(dir, {}, ['METRICS_TOKEN']).secrets;
    expect(lan.METRICS_TOKEN).toMatch(/^[\w-]{43}$/);
    expect(loadOrCreateSecrets(dir, {}, ['METRICS_TOKEN']).secrets.METRICS_TOKEN).toBe(lan.METRICS_TOKEN);
    expect(() => loadApiConfig({ DATABASE_URL: 'pglite:memory', API_HOST: '0.0.0.0', ...(lan as unknown as Record<string, string>) })).not.toThrow();
  });
});
