// Attack: a media node started with a secret copied from deploy/env/media.env.example (anyone can
// then forge hooks), or listening beyond loopback (k8s: SIGNALING_HOST=0.0.0.0)
// with /metrics open to whoever reaches the port. Defence: the process refuses to start, naming
// the variable; METRICS_TOKEN is required beyond loopback and /metrics checks it.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRefused, runRole } from '../../../api/test/security/role-process.ts';
import { startNodeStack, type NodeStack } from '../support/stack.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const GOOD = { JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'), INTERNAL_HOOK_SECRET: randomBytes(32).toString('hex'), SIGNALING_PORT: '0', LOG_LEVEL: 'silent' };
const TOKEN = 'metrics-7f3a9c2e51d84b6a';

describe('the media node refuses to start', () => {
  it.each([
    // (JOIN_TOKEN_SECRET is no longer a media-node secret: join-keys.test.ts; a node only warns.)
    ['INTERNAL_HOOK_SECRET', 'CHANGE_ME_internal_hook_secret_at_least_32_chars'],
    ['INTERNAL_HOOK_SECRET', 'secretsecretsecretsecretsecretsecret'],
    ['METRICS_TOKEN', 'CHANGE_ME_metrics_token'],
    ['INTERNAL_HOOK_SECRET', 'z'.repeat(48)],
  ])('on %s = a placeholder or well-known value', async (name, value) => {
    expectRefused(await runRole(MAIN, { ...GOOD, [name]: value }), name, value);
  });

  it('on SIGNALING_HOST beyond loopback without METRICS_TOKEN', async () => {
    expectRefused(await runRole(MAIN, { ...GOOD, SIGNALING_HOST: '0.0.0.0' }), 'METRICS_TOKEN');
  });
});

describe('media node /metrics with METRICS_TOKEN', () => {
  let stack: NodeStack;
  beforeAll(async () => {
    stack = await startNodeStack({ SIGNALING_HOST: '0.0.0.0', METRICS_TOKEN: TOKEN });
  });
  afterAll(() => stack?.stop());

  it('refuses unauthenticated scrapes and serves the operator', async () => {
    const url = `http://127.0.0.1:${new URL(stack.httpUrl).port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer not-the-metrics-token' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^duet_/m);
  });
});
