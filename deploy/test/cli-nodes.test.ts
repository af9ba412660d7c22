// `duet nodes …` run as the real binary against a real API (PGlite) with registered media nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createApiServer, loadApiConfig, type ApiServer } from '@duet/api';
import { REPO_ROOT, run } from './support/exec.ts';

const API_KEY = `duet_cli_${randomBytes(16).toString('hex')}`;
const HOOK_SECRET = randomBytes(32).toString('hex');
let api: ApiServer;
let apiUrl: string;

beforeAll(async () => {
  // The nodes heartbeat once, at registration; the API's sweep declares a node lost 6 s after its
  // last heartbeat by default, and under load the CLI's runs take longer than that (a hunt run saw
  // "active (lost)" after an undrain). These tests are about the CLI, so the timeout is long.
  api = createApiServer(
    loadApiConfig({ DATABASE_URL: 'pglite:memory', API_PORT: '0', DUET_API_KEY: API_KEY, JOIN_TOKEN_SECRET: randomBytes(32).toString('hex'), INTERNAL_HOOK_SECRET: HOOK_SECRET, LOG_LEVEL: 'silent', NODE_HEARTBEAT_TIMEOUT_MS: '600000' }),
  );
  apiUrl = (await api.start()).url;
});
afterAll(() => api?.close());

const duet = (args: string[]) =>
  run(process.execPath, [join(REPO_ROOT, 'deploy/bin/duet.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DUET_API_URL: apiUrl, DUET_API_KEY: API_KEY },
    timeoutMs: 60_000,
  });

async function register(id: string, lessons: number) {
  const boot = randomUUID();
  const post = (path: string, body: unknown) =>
    fetch(apiUrl + path, { method: 'POST', headers: { authorization: `Bearer ${HOOK_SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post('/internal/nodes/register', { id, signaling_url: `wss://${id}.example.test/ws`, internal_url: 'http://127.0.0.1:9', media_address: '198.51.100.4', capacity: 40, heartbeat_interval_ms: 60000, boot_id: boot })).status).toBe(200);
  expect((await post(`/internal/nodes/${id}/heartbeat`, { boot_id: boot, load: { lessons, participants: lessons * 2, consumers: lessons * 4, cpu_percent: 12.5, bitrate_bps: 2_000_000, workers: 2 } })).status).toBe(200);
}

describe('duet nodes', () => {
  it('lists nothing, then the registered nodes with their load', async () => {
    const empty = await duet(['nodes', 'list']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('no media node registered');
    await register('media-1', 3);
    await register('media-2', 0);
    const list = await duet(['nodes', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+HEALTH\s+STATE\s+LESSONS/);
    expect(lines[1]).toMatch(/^media-1\s+healthy\s+active\s+3\/40/);
    expect(lines[2]).toMatch(/^media-2\s+healthy\s+active\s+0\/40/);
    const json = JSON.parse((await duet(['nodes', 'list', '--json'])).stdout);
    expect(json.nodes.map((n: any) => n.id)).toEqual(['media-1', 'media-2']);
    const show = await duet(['nodes', 'show', 'media-1']);
    expect(show.stdout).toMatch(/load\.consumers\s+12/);
  });

  it('drains with a deadline and undrains', async () => {
    const drained = await duet(['nodes', 'drain', 'media-1', '--deadline', '15m', '--reason', 'kernel upgrade']);
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toContain('node media-1 is draining');
    const node = JSON.parse((await duet(['nodes', 'show', 'media-1', '--json'])).stdout);
    expect(node).toMatchObject({ state: 'draining', drain_reason: 'kernel upgrade' });
    expect(Date.parse(node.drain_deadline) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(Date.parse(node.drain_deadline) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    const undrained = await duet(['nodes', 'undrain', 'media-1']);
    expect(undrained.stdout).toContain('node media-1 is active (healthy)');
  });

  it('refuses bad usage and unknown nodes with clear errors', async () => {
    const badDeadline = await duet(['nodes', 'drain', 'media-1', '--deadline', 'soon']);
    expect(badDeadline.code).toBe(2);
    expect(badDeadline.stderr).toContain('--deadline must be a duration');
    const noId = await duet(['nodes', 'drain']);
    expect(noId.code).toBe(2);
    const unknown = await duet(['nodes', 'drain', 'ghost']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('node_not_found');
    expect((await duet(['nodes', 'explode'])).code).toBe(2);
  });
});
