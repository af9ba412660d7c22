// Issue 12 item 7, the media node's side: no hook is dropped silently.
// - A hook the API refuses with 401 (here a real API that does not know the node's secret yet, as
//   during a secret rotation), 403, 404, 409, 429 or 5xx is retried until the API accepts it.
//   Before the fix any 4xx but 408/429 counted as "malformed" and after five tries the hook was
//   moved to rejected/ and never delivered.
// - Only a malformed hook (400) is set aside in rejected/, counted and logged at error.
// - A node whose clock is off by more than the signature window gets `signature_expired` with the
//   API's time and logs the skew loudly (before: a bare signature_invalid, then set aside).
// - Every spool write is durable: the file and its directory are fsynced around the rename
//   (strace of a real node process; before: write + rename only), the hooks of one turn share
//   one batch file (one fsync + rename + directory fsync), and none is posted (connect) before.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign, type DuetEvent } from '@duet/api/events';
import { HOOK_SECRET, createLesson, eventually, sendHook, startApiOn, type TestApi } from '../../../api/test/support/harness.ts';
import { HookSender } from '../../src/hooks/hook-sender.ts';

type Step = { status: number; body?: unknown } | { forward: true; clockOffsetSeconds?: number };

/** A real HTTP hop in front of the API: answers each hook as `plan` says, or forwards it. */
async function front(target: () => string, plan: (n: number) => Step): Promise<{ url: string; seen: number[]; close(): Promise<void> }> {
  const seen: number[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const step = plan(n++);
      if ('status' in step) {
        seen.push(step.status);
        return res.writeHead(step.status, { 'content-type': 'application/json' }).end(JSON.stringify(step.body ?? { error: { code: `http_${step.status}`, message: 'test' } }));
      }
      // A clock offset re-signs the body as a node whose clock is that far off would.
      const signature = step.clockOffsetSeconds ? sign(HOOK_SECRET, raw, Math.floor(Date.now() / 1000) + step.clockOffsetSeconds) : String(req.headers['duet-signature']);
      const up = await fetch(`${target()}/internal/hooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'duet-signature': signature }, body: raw });
      seen.push(up.status);
      res.writeHead(up.status, { 'content-type': 'application/json' }).end(await up.text());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const joined = (sessionId: string, userId: string): DuetEvent => ({
  id: `evt_${randomUUID()}`,
  type: 'participant.joined',
  created_at: new Date().toISOString(),
  session_id: sessionId,
  data: { role: 'tutor', user_id: userId },
});

describe('media node hooks: nothing dropped silently', () => {
  let api: TestApi;
  let stranger: TestApi; // an API that does not know the node's secret (yet)
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'duet-hooksec-'));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    api = await startApiOn('pglite');
    stranger = await startApiOn('pglite', { INTERNAL_HOOK_SECRET: 'another-internal-hook-secret-0123456789abcdef' });
  });
  afterAll(async () => {
    await api?.close();
    await stranger?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** The hooks still in the spool's batch files (one JSON event per line). */
  // A batch file is deleted asynchronously once its last hook is done (unlink on libuv's
  // threads): one can vanish between the listing and the read.
  const pendingHooks = (spool: string) =>
    readdirSync(spool)
      .filter((f) => f.endsWith('.ndjson'))
      .flatMap((f) => {
        try {
          return readFileSync(join(spool, f), 'utf8').split('\n').filter(Boolean);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw err;
        }
      });

  it('retries a 401 from the API (unknown secret) and delivers once the API accepts it', async () => {
    const lesson = await createLesson(api);
    let accepted = false;
    const hop = await front(() => (accepted ? api.url : stranger.url), () => ({ forward: true }));
    const spool = tmp();
    const logs: string[] = [];
    const sender = new HookSender({ url: `${hop.url}/internal/hooks`, secret: HOOK_SECRET, spoolDir: spool, maxBackoffMs: 200, log: (level, msg) => logs.push(`${level} ${msg}`) });
    const event = joined(lesson.id, lesson.tutor.id);
    try {
      sender.send(event);
      // More refusals than the old give-up count (5): the hook must still be pending on disk.
      await eventually(() => (hop.seen.filter((s) => s === 401).length >= 7 ? true : undefined), 20_000);
      expect(pendingHooks(spool)).toHaveLength(1);
      expect(existsSync(join(spool, 'rejected'))).toBe(false);
      accepted = true;
      sender.kick();
      await eventually(() => (sender.deliveredCount() === 1 ? true : undefined), 10_000);
      expect(hop.seen.at(-1)).toBe(200);
      // The spooled file goes right after the acknowledgement, asynchronously (HookSender.done):
      // counted delivered first (fresh run 12 saw the file still there at that instant).
      await expect.poll(() => pendingHooks(spool).length, { timeout: 5_000 }).toBe(0);
      expect(sender.setAsideTotal()).toBe(0);
      // The API has it: the same event again is a duplicate.
      expect((await sendHook(api, event)).body).toEqual({ ok: true, duplicate: true });
    } finally {
      sender.stop();
      await hop.close();
    }
  }, 40_000);

  it('retries 403, 404, 409, 429 and 503 answers, then delivers', async () => {
    const lesson = await createLesson(api);
    const statuses = [403, 404, 409, 429, 503];
    // Each status six times (above the old give-up count), then the real API.
    const hop = await front(() => api.url, (n) => (n < statuses.length * 6 ? { status: statuses[Math.floor(n / 6)]! } : { forward: true }));
    const spool = tmp();
    const sender = new HookSender({ url: `${hop.url}/internal/hooks`, secret: HOOK_SECRET, spoolDir: spool, maxBackoffMs: 50 });
    try {
      sender.send(joined(lesson.id, lesson.tutor.id));
      await eventually(() => (sender.deliveredCount() === 1 ? true : undefined), 30_000);
      expect(hop.seen.slice(0, 30)).toEqual(statuses.flatMap((s) => Array(6).fill(s)));
      expect(hop.seen.at(-1)).toBe(200);
      expect(sender.setAsideTotal()).toBe(0);
      expect(existsSync(join(spool, 'rejected'))).toBe(false);
    } finally {
      sender.stop();
      await hop.close();
    }
  }, 40_000);

  it('sets a malformed hook (400) aside in rejected/, counts it and logs it at error', async () => {
    const lesson = await createLesson(api);
    const spool = tmp();
    const logs: { level: string; msg: string }[] = [];
    const sender = new HookSender({ url: `${api.url}/internal/hooks`, secret: HOOK_SECRET, spoolDir: spool, maxBackoffMs: 50, log: (level, msg) => logs.push({ level, msg }) });
    try {
      // The real API answers 400 unknown_event_type.
      sender.send({ ...joined(lesson.id, lesson.tutor.id), type: 'lesson.not_a_hook' as DuetEvent['type'] });
      await sender.idle();
      expect(sender.setAsideTotal()).toBe(1);
      expect(sender.deliveredCount()).toBe(0);
      expect(readdirSync(join(spool, 'rejected'))).toHaveLength(1);
      // The batch file goes with its last hook; the unlink is asynchronous (fresh run 22 read it
      // just before it went).
      await expect.poll(() => pendingHooks(spool).length, { timeout: 5_000 }).toBe(0);
      expect(logs.some((l) => l.level === 'error' && /malformed, set aside/.test(l.msg))).toBe(true);
    } finally {
      sender.stop();
    }
  }, 30_000);

  it('a clock 10 minutes off: the API answers signature_expired with its time, the node logs the skew, then delivers', async () => {
    const lesson = await createLesson(api);
    let skewed = true;
    const hop = await front(() => api.url, () => ({ forward: true, clockOffsetSeconds: skewed ? -600 : 0 }));
    const spool = tmp();
    const logs: { level: string; msg: string; extra?: Record<string, unknown> }[] = [];
    const sender = new HookSender({ url: `${hop.url}/internal/hooks`, secret: HOOK_SECRET, spoolDir: spool, maxBackoffMs: 100, log: (level, msg, extra) => logs.push({ level, msg, extra }) });
    try {
      sender.send(joined(lesson.id, lesson.tutor.id));
      await eventually(() => (sender.clockSkewRejections() >= 6 ? true : undefined), 20_000);
      const skewLog = logs.find((l) => l.level === 'error' && /clock skew/.test(l.msg));
      expect(skewLog?.extra?.skewSeconds).toBeGreaterThanOrEqual(598);
      expect(skewLog?.extra?.skewSeconds).toBeLessThanOrEqual(602);
      expect(pendingHooks(spool)).toHaveLength(1);
      skewed = false;
      sender.kick();
      await eventually(() => (sender.deliveredCount() === 1 ? true : undefined), 10_000);
      // The API counted the skewed attempts by their error code.
      const metrics = await fetch(`${api.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/duet_api_internal_hooks_total\{result="signature_expired"\} ([6-9]|\d\d)/);
    } finally {
      sender.stop();
      await hop.close();
    }
  }, 40_000);

  it('fsyncs the batch file and its directory around the rename, once for all the hooks of a turn, before posting any (strace of a real process)', () => {
    const spool = tmp();
    const script = resolve(import.meta.dirname, 'fixtures/spool-hooks.ts');
    const hooks = 40; // two lessons, one event-loop turn
    const r = spawnSync('strace', ['-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,connect', process.execPath, script, spool, String(hooks)], { encoding: 'utf8', timeout: 30_000 });
    expect(r.error, 'strace must be installed (apt-get install strace)').toBeUndefined();
    expect(r.stdout).toContain('SPOOLED');
    const lines = r.stderr.split('\n');
    const batchFile = /\d{15}-\d{9}\.ndjson/;
    const fileSyncs = lines.flatMap((l, i) => (/fsync\(\d+<[^>]+\.ndjson\.tmp>\)\s+= 0/.test(l) ? [i] : []));
    const renames = lines.flatMap((l, i) => (/rename\w*\(.*\.ndjson\.tmp".*\.ndjson"/.test(l) ? [i] : []));
    const dirSyncs = lines.flatMap((l, i) => (l.includes('fsync(') && l.includes(`<${spool}>`) && / = 0/.test(l) ? [i] : []));
    // One file for the 40 hooks: one fsync of it, one rename, one fsync of the directory.
    expect(fileSyncs, r.stderr.slice(-3000)).toHaveLength(1);
    expect(renames).toHaveLength(1);
    expect(dirSyncs).toHaveLength(1);
    const [fileSync, rename, dirSync] = [fileSyncs[0]!, renames[0]!, dirSyncs[0]!];
    expect(lines[fileSync]).toMatch(batchFile);
    expect(rename).toBeGreaterThan(fileSync);
    expect(dirSync).toBeGreaterThan(rename);
    // The hooks are posted (here: connections refused by port 9) only once the batch is durable.
    const connects = lines.flatMap((l, i) => (/connect\(.*htons\(9\)/.test(l) ? [i] : []));
    expect(connects.length).toBeGreaterThan(0);
    expect(connects[0]).toBeGreaterThan(dirSync);
    const files = readdirSync(spool).filter((f) => batchFile.test(f));
    expect(files).toHaveLength(1);
    expect(readdirSync(spool).filter((f) => f !== files[0])).toEqual([]); // no per-lesson directory, no temp file
    expect(readFileSync(join(spool, files[0]!), 'utf8').split('\n').filter(Boolean)).toHaveLength(hooks);
    // Off the event loop: the fsyncs run on libuv's threads, never on the main thread (a
    // synchronous spool stalled every socket of the node for each hook: deploy/bench/signaling).
    const mainPid = /SPOOLED (\d+)/.exec(r.stdout)![1]!;
    const tid = (line: string) => /^\[pid\s+(\d+)\]/.exec(line)?.[1] ?? mainPid;
    expect(tid(lines[fileSync]!)).not.toBe(mainPid);
    expect(tid(lines[dirSync]!)).not.toBe(mainPid);
  }, 40_000);
});
