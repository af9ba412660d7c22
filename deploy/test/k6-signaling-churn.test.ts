// deploy/k6/signaling-churn.js (issue 14 item 5, for operators) parses and runs: 2 s of churn
// with the pinned k6 (scripts/install-test-tools.sh) against a real API (PGlite) and media node,
// JSON subprotocol, every participant seated and gone again. The load itself is measured by
// deploy/bench/signaling/run.ts, not here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { createSignalingServer, loadSignalingConfig, type SignalingServer } from '@duet/signaling';
import { freePort } from '../src/testing/index.ts';
import { REPO_ROOT, run } from './support/exec.ts';
import { K6 } from './support/tools.ts';

let api: ApiServer;
let node: SignalingServer;
let apiUrl: string;
let dir: string;
const apiKey = `duet_${randomBytes(16).toString('hex')}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duet-k6-churn-'));
  const [apiPort, nodePort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    DATABASE_URL: 'pglite:memory',
    API_PORT: String(apiPort),
    SIGNALING_PORT: String(nodePort),
    API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
    SIGNALING_PUBLIC_URL: `ws://127.0.0.1:${nodePort}/ws`,
    HOOK_SPOOL_DIR: join(dir, 'spool'),
    OBJECTS_DIR: join(dir, 'objects'),
    DUET_API_KEY: apiKey,
    JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'),
    INTERNAL_HOOK_SECRET: randomBytes(32).toString('hex'),
    MEDIASOUP_WORKERS: '1',
    MEDIA_PORT_BASE: '0',
    LOG_LEVEL: 'warn',
  };
  node = await createSignalingServer(loadSignalingConfig(env), () => undefined);
  api = createApiServer(loadApiConfig(env));
  await node.start();
  apiUrl = (await api.start()).url;
}, 60_000);

afterAll(async () => {
  await node?.close();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy/k6/signaling-churn.js', () => {
  it('churns lessons for 2 s: every participant is seated over the JSON subprotocol, then leaves', async () => {
    const summary = join(dir, 'summary.json');
    const r = await run(K6, ['run', '--quiet', '--no-usage-report', join(REPO_ROOT, 'deploy/k6/signaling-churn.js')], {
      // A loose p99 threshold: the suite runs on busy cores; the script's default (50 ms) is for operators.
      env: { ...process.env, BASE_URL: apiUrl, API_KEY: apiKey, RATE: '6', DURATION: '2s', HOLD_MS: '200', P99_MS: '5000', SUMMARY_FILE: summary },
      timeoutMs: 40_000,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const metrics = JSON.parse(readFileSync(summary, 'utf8')).metrics;
    expect(metrics.signaling_seated.values.count).toBeGreaterThanOrEqual(4);
    expect(metrics.signaling_handshake.values.max).toBeGreaterThan(0);
    expect(metrics.checks.values.rate).toBe(1);
    expect(metrics.checks.values.passes).toBeGreaterThan(0);
    // They all left: nobody is still connected to the node.
    await expect.poll(() => node.stats().connections, { timeout: 5_000 }).toBe(0);
    expect(node.stats().frames).toBeGreaterThanOrEqual(2 * metrics.signaling_seated.values.count);
  }, 60_000);
});
