// Attack: scrape /metrics of an API that listens beyond loopback (k8s sets API_HOST=0.0.0.0):
// lesson counts, node names and load, error rates — for anyone who reaches the port. Defence:
// METRICS_TOKEN is required whenever API_HOST is not a loopback address (or metrics are off).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiConfig } from '../../src/config.ts';
import { API_KEY, HOOK_SECRET, JOIN_SECRET, startApiOn, type TestApi } from '../support/harness.ts';
import { expectRefused, runRole } from './role-process.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const BASE = { DATABASE_URL: 'pglite:memory', API_PORT: '0', LOG_LEVEL: 'silent', DUET_API_KEY: API_KEY, JOIN_TOKEN_SECRET: JOIN_SECRET, INTERNAL_HOOK_SECRET: HOOK_SECRET };
const TOKEN = 'metrics-7f3a9c2e51d84b6a';

describe('/metrics beyond loopback', () => {
  it('loopback hosts need no token; any other host needs METRICS_TOKEN, or metrics turned off', () => {
    for (const host of ['127.0.0.1', '127.0.0.53', '::1', 'localhost']) {
      expect(() => loadApiConfig({ ...BASE, API_HOST: host }), host).not.toThrow();
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.10', 'api.internal']) {
      expect(() => loadApiConfig({ ...BASE, API_HOST: host }), host).toThrow(/METRICS_TOKEN is required when API_HOST/);
      expect(() => loadApiConfig({ ...BASE, API_HOST: host, METRICS_TOKEN: TOKEN }), host).not.toThrow();
      expect(() => loadApiConfig({ ...BASE, API_HOST: host, METRICS_ENABLED: 'false' }), host).not.toThrow();
    }
  });

  describe('on 0.0.0.0', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startApiOn('pglite', { API_HOST: '0.0.0.0', METRICS_TOKEN: TOKEN });
    });
    afterAll(() => api?.close());

    it('the API process exits with a clear message without a token; with one, unauthenticated scrapes are refused', async () => {
      expectRefused(await runRole(MAIN, { ...BASE, API_HOST: '0.0.0.0' }), 'METRICS_TOKEN');
      const port = new URL(api.url).port;
      const url = `http://127.0.0.1:${port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('duet_api_http_requests_total');
    });
  });
});
