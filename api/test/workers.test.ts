// API_WORKERS: several API processes on one port (node:cluster) against one PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadApiConfig } from '../src/config.ts';
import { exited, freePort, spawnApi } from './support/api-process.ts';
import { API_KEY, HOOK_SECRET, JOIN_SECRET, createLesson, createTestDatabase, httpClient, mintToken, testEnv, type TestDatabase } from './support/harness.ts';

describe('API_WORKERS', () => {
  it('needs PostgreSQL (PGlite lives in one process)', () => {
    const base = { DUET_API_KEY: API_KEY, JOIN_TOKEN_SECRET: JOIN_SECRET, INTERNAL_HOOK_SECRET: HOOK_SECRET };
    expect(() => loadApiConfig({ ...base, API_WORKERS: '2' })).toThrow(ConfigError);
    expect(loadApiConfig({ ...base, API_WORKERS: '2', DATABASE_URL: 'postgres://u:p@db/duet' }).workers).toBe(2);
    expect(loadApiConfig(base).workers).toBe(1);
  });

  describe('two workers on one port (postgres)', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('postgres');
    });
    afterAll(() => db?.drop());

    it('serve the API from two processes, keep join tokens single-use across them, and stop on SIGTERM', async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env = { ...testEnv(db.url, { API_PORT: String(port), API_WORKERS: '2', LOG_LEVEL: 'info', JOIN_TOKEN_SINGLE_USE: 'true' }) };
      const { child, output } = spawnApi(env);
      try {
        const listening = () => output().split('\n').filter((l) => l.includes('duet api listening'));
        for (let i = 0; i < 600 && listening().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
        const lines = listening().map((l) => JSON.parse(l) as { pid: number; worker: number });
        expect(lines, output()).toHaveLength(2);
        expect(new Set(lines.map((l) => l.pid)).size).toBe(2);
        expect(lines.every((l) => l.pid !== child.pid)).toBe(true);

        // Fresh connections, so the primary spreads them over both workers.
        const api = { request: httpClient(url) };
        const lesson = await createLesson(api);
        const token = await mintToken(api, lesson.id, 'student');
        const joins = await Promise.all(
          Array.from({ length: 6 }, () =>
            fetch(`${url}/v1/sessions/${lesson.id}/join`, { method: 'POST', headers: { authorization: `Bearer ${token}`, connection: 'close' } }),
          ),
        );
        const statuses = joins.map((r) => r.status).sort();
        expect(statuses, output()).toEqual([200, 409, 409, 409, 409, 409]);
        const got = await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY });
        expect(got.body.media_node).toBe('default');
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited(child), output()).toBe(0);
      expect(output()).toContain('all API workers stopped');
    }, 90_000);
  });
});
