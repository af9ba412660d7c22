// Issue 12 item 7, the recorder's side: recording hooks refused with 401/403/404/409/429/5xx
// are retried until the API accepts them (before the fix, five 4xx answers dropped the hook:
// "recording hook dropped"); only a malformed answer (400) gives up, counted in
// duet_recorder_hooks_rejected_total and kept in the manifest's rejectedHooks; a
// `signature_expired` answer logs the clock skew and counts it. Manifests are written durably:
// strace of a real process shows the file fsynced, renamed, then its directory fsynced.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign, type DuetEvent } from '@duet/api/events';
import { HOOK_SECRET, createLesson, sendHook, startApiOn, type TestApi } from '../../../api/test/support/harness.ts';
import { HookClient } from '../../src/hook-client.ts';
import { createRecorderMetrics } from '../../src/metrics.ts';

type Step = { status: number } | { forward: true; clockOffsetSeconds?: number };

async function front(target: () => string, plan: (n: number) => Step) {
  const seen: number[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const step = plan(n++);
      if ('status' in step) {
        seen.push(step.status);
        return res.writeHead(step.status, { 'content-type': 'application/json' }).end('{"error":{"code":"test","message":"test"}}');
      }
      const signature = step.clockOffsetSeconds ? sign(HOOK_SECRET, raw, Math.floor(Date.now() / 1000) + step.clockOffsetSeconds) : String(req.headers['duet-signature']);
      const up = await fetch(`${target()}/internal/hooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'duet-signature': signature }, body: raw });
      seen.push(up.status);
      res.writeHead(up.status, { 'content-type': 'application/json' }).end(await up.text());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const started = (sessionId: string): DuetEvent => ({
  id: `evt_${randomUUID()}`,
  type: 'recording.started',
  created_at: new Date().toISOString(),
  session_id: sessionId,
  data: { recording_id: randomUUID() },
});

describe('recorder hooks and manifests', () => {
  let api: TestApi;
  let stranger: TestApi;
  const dirs: string[] = [];
  beforeAll(async () => {
    api = await startApiOn('pglite');
    stranger = await startApiOn('pglite', { INTERNAL_HOOK_SECRET: 'another-internal-hook-secret-0123456789abcdef' });
  });
  afterAll(async () => {
    await api?.close();
    await stranger?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const metrics = () => createRecorderMetrics({ recordingsByState: () => ({}), draining: () => false, pendingHooks: () => 0 });

  it('retries 401 (API without the secret yet) and 403/404/409/429/503, then delivers', async () => {
    const lesson = await createLesson(api, { recording: true });
    let accepted = false;
    const statuses = [403, 404, 409, 429, 503];
    const hop = await front(() => (accepted ? api.url : stranger.url), (n) => (n >= 7 && n < 7 + statuses.length * 6 ? { status: statuses[Math.floor((n - 7) / 6)]! } : { forward: true }));
    const m = metrics();
    const logs: string[] = [];
    const client = new HookClient(hop.url, HOOK_SECRET, (level, msg) => logs.push(`${level} ${msg}`), { onRejected: () => m.hooksRejected.inc() }, 5);
    const event = started(lesson.id);
    try {
      const outcome = client.deliver(event);
      // Seven real 401s, then six of each other status; the API is fixed meanwhile.
      while (hop.seen.length < 7) await new Promise((r) => setTimeout(r, 20));
      accepted = true;
      expect(await outcome).toBe('delivered');
      expect(hop.seen.slice(0, 7)).toEqual(Array(7).fill(401));
      expect(hop.seen.slice(7, 37)).toEqual(statuses.flatMap((s) => Array(6).fill(s)));
      expect(hop.seen.at(-1)).toBe(200);
      expect((await sendHook(api, event)).body).toEqual({ ok: true, duplicate: true });
      expect(await m.render()).toContain('duet_recorder_hooks_rejected_total 0');
    } finally {
      client.stop();
      await hop.close();
    }
  }, 60_000);

  it('gives up only on a malformed hook (400): counted and logged', async () => {
    const lesson = await createLesson(api, { recording: true });
    const m = metrics();
    const logs: { level: string; msg: string }[] = [];
    const client = new HookClient(api.url, HOOK_SECRET, (level, msg) => logs.push({ level, msg }), { onRejected: () => m.hooksRejected.inc() }, 5);
    // The real API answers 400 (invalid_event_data: no recording_id).
    const outcome = await client.deliver({ ...started(lesson.id), data: {} });
    expect(outcome).toBe('rejected');
    expect(await m.render()).toContain('duet_recorder_hooks_rejected_total 1');
  }, 30_000);

  it('logs the clock skew when the API answers signature_expired, and counts it', async () => {
    const lesson = await createLesson(api, { recording: true });
    let skewed = true;
    const hop = await front(() => api.url, () => ({ forward: true, clockOffsetSeconds: skewed ? 700 : 0 }));
    const m = metrics();
    const logs: { level: string; msg: string; extra?: Record<string, unknown> }[] = [];
    const client = new HookClient(hop.url, HOOK_SECRET, (level, msg, extra) => logs.push({ level, msg, extra }), { onClockSkew: () => m.hookClockSkew.inc() }, 5);
    try {
      const outcome = client.deliver(started(lesson.id));
      while (hop.seen.length < 6) await new Promise((r) => setTimeout(r, 20));
      skewed = false;
      expect(await outcome).toBe('delivered');
      const skew = logs.find((l) => l.level === 'error' && /clock skew/.test(l.msg));
      // The recorder's clock is 700 s ahead of the API's.
      expect(skew?.extra?.skewSeconds).toBeGreaterThanOrEqual(-702);
      expect(skew?.extra?.skewSeconds).toBeLessThanOrEqual(-698);
      expect(await m.render()).toMatch(/duet_recorder_hook_clock_skew_total ([6-9]|\d\d)/);
    } finally {
      client.stop();
      await hop.close();
    }
  }, 30_000);

  it('fsyncs a manifest and its directory around the rename (strace of a real process)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'duet-rec-fsync-'));
    dirs.push(dir);
    const r = spawnSync('strace', ['-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', process.execPath, resolve(import.meta.dirname, 'fixtures/write-manifest.ts'), dir], { encoding: 'utf8', timeout: 30_000 });
    expect(r.error, 'strace must be installed (apt-get install strace)').toBeUndefined();
    expect(r.stdout).toContain('WRITTEN');
    const lines = r.stderr.split('\n');
    const fileSync = lines.findIndex((l) => l.includes(`<${join(dir, 'manifest.json.tmp')}>`) && /f(data)?sync\(/.test(l) && / = 0/.test(l));
    const rename = lines.findIndex((l) => /rename\w*\(/.test(l) && l.includes('manifest.json.tmp') && / = 0/.test(l));
    const dirSync = lines.findIndex((l, i) => i > rename && /fsync\(/.test(l) && l.includes(`<${dir}>`) && / = 0/.test(l));
    expect(fileSync, r.stderr.slice(-3000)).toBeGreaterThanOrEqual(0);
    expect(rename).toBeGreaterThan(fileSync);
    expect(dirSync).toBeGreaterThan(rename);
  }, 30_000);
});
