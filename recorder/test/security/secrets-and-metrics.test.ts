// Attack: a recorder started with the example's CHANGE_ME hook secret or S3 keys (anyone can then
// drive it or sign recording hooks), or listening beyond loopback with /metrics open. Defence: the
// process (started as production starts it, dist/main.js) refuses to start, naming the variable;
// METRICS_TOKEN is required beyond loopback and /metrics checks it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRefused, runRole } from '../../../api/test/security/role-process.ts';
import { LocalObjectStore } from '../../src/store.ts';
import { RECORDER_ARGV, REPO_ROOT, recorderEnv, startRecorderInProcess } from '../support/recorder-harness.ts';

const TOKEN = 'metrics-7f3a9c2e51d84b6a';

describe('the recorder refuses to start', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-rec-secrets-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const env = (extra: Record<string, string>) => ({ ...recorderEnv(join(dir, 'work'), 'http://127.0.0.1:9', { OBJECTS_DIR: join(dir, 'objects') }), ...extra });

  it.each([
    ['INTERNAL_HOOK_SECRET', 'CHANGE_ME_internal_hook_secret_at_least_32_chars'],
    ['INTERNAL_HOOK_SECRET', 'secretsecretsecretsecretsecretsecret'],
    ['S3_SECRET_ACCESS_KEY', 'CHANGE_ME'],
    ['S3_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE'],
  ])('on %s = a placeholder or well-known value', async (name, value) => {
    const extra = name.startsWith('S3_') ? { S3_BUCKET: 'duet', S3_ACCESS_KEY_ID: 'duet-access-7f3a9c', S3_SECRET_ACCESS_KEY: 'duet-secret-7f3a9c2e51', [name]: value } : { [name]: value };
    expectRefused(await runRole(RECORDER_ARGV, env(extra), 20_000, REPO_ROOT), name, value === 'CHANGE_ME' ? undefined : value);
  });

  it('on RECORDER_HOST beyond loopback without METRICS_TOKEN', async () => {
    expectRefused(await runRole(RECORDER_ARGV, env({ RECORDER_HOST: '0.0.0.0' }), 20_000, REPO_ROOT), 'METRICS_TOKEN');
  });
});

describe('recorder /metrics with METRICS_TOKEN', () => {
  let dir: string;
  let rec: Awaited<ReturnType<typeof startRecorderInProcess>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duet-rec-metrics-'));
    rec = await startRecorderInProcess(recorderEnv(join(dir, 'work'), 'http://127.0.0.1:9', { RECORDER_HOST: '0.0.0.0', METRICS_TOKEN: TOKEN }), new LocalObjectStore(join(dir, 'objects')));
  });
  afterAll(async () => {
    await rec?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses unauthenticated scrapes and serves the operator', async () => {
    const url = `http://127.0.0.1:${new URL(rec.url).port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('duet_recorder_');
  });
});
