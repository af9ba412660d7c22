// The media node's hook spool with group commit (signaling/src/hooks/hook-sender.ts): the hooks of
// one event-loop turn, or sent while a spool write is in flight, share one batch file. Real files
// in a temp dir and a real HTTP server standing in for the API; no mock of fs or of the network.
// - one turn, many hooks (several lessons): one batch file; a burst beyond the bound is cut into
//   several files whose names sort in send order;
// - at most MAX_POSTS_IN_FLIGHT hooks are posted at once across lessons (each lesson in order);
// - hooks sent while a write is in flight wait for the next batch instead of each writing a file;
// - no hook reaches the API before the batch file holding it is in place (the server looks for it
//   on disk when the hook arrives; the fsync order is checked by strace in
//   security/hook-delivery.test.ts);
// - a restart replays what is left, per lesson in send order, from batch files and from the
//   previous version's one-file-per-hook layout together (old files first);
// - one malformed hook in a batch: only it goes to rejected/, the batch file goes once the others
//   are acknowledged; a batch partly acknowledged, then a "crash": the rest is replayed;
// - an unreadable line is kept in rejected/ while the readable hooks of its file are delivered;
// - a spool that cannot be written (here: a file where the directory was): hooks are delivered
//   from memory, logged at error.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { newEvent, type DuetEvent } from '@duet/api/events';
import { HookSender, MAX_BATCH_EVENTS, MAX_POSTS_IN_FLIGHT } from '../src/hooks/hook-sender.ts';

interface FakeApi {
  url: string;
  /** Every hook received, in arrival order, with the answer given. */
  seen: { event: DuetEvent; status: number }[];
  /** Hooks that arrived while no batch file on disk held them (must stay empty). */
  early: string[];
  /** Acknowledged event ids of a lesson, in order (duplicates folded, first acknowledgement wins). */
  acked(sessionId: string): string[];
  close(): Promise<void>;
}

/** A real HTTP server answering each hook as `answer` says (200 unless told otherwise). */
async function fakeApi(spool: string, answer: (event: DuetEvent) => number | Promise<number> = () => 200): Promise<FakeApi> {
  const seen: FakeApi['seen'] = [];
  const early: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as DuetEvent;
      if (!spooledIds(spool).has(event.id)) early.push(event.id);
      const status = await answer(event);
      seen.push({ event, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"ok":true}' : '{"error":{"code":"test","message":"test"}}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/hooks`,
    seen,
    early,
    acked: (sid) => [...new Set(seen.filter((s) => s.status === 200 && s.event.session_id === sid).map((s) => s.event.id))],
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const batchFiles = (spool: string) => readdirSync(spool).filter((f) => /^\d{15}-\d{9}\.ndjson$/.test(f)).sort();
const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DuetEvent);

/** Ids of the hooks in the spool's batch files (final names only, not temp files). */
function spooledIds(spool: string): Set<string> {
  const ids = new Set<string>();
  let files: string[] = [];
  try {
    files = batchFiles(spool);
  } catch {
    // no spool directory (the unwritable-spool case)
  }
  for (const f of files) {
    try {
      for (const e of linesOf(join(spool, f))) ids.add(e.id);
    } catch {
      // deleted meanwhile
    }
  }
  return ids;
}

const hook = (lesson: string, n: number) => newEvent('participant.joined', lesson, { role: 'tutor', user_id: `u${n}` });
const until = async (check: () => boolean, timeoutMs = 10_000) => expect.poll(check, { timeout: timeoutMs, interval: 20 }).toBe(true);

describe('hook spool: group commit', () => {
  const dirs: string[] = [];
  const closers: (() => unknown)[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'duet-spool-'));
    dirs.push(d);
    return d;
  };
  const sender = (spool: string, api: FakeApi, extra: Partial<ConstructorParameters<typeof HookSender>[0]> = {}) => {
    const s = new HookSender({ url: api.url, secret: 'x'.repeat(32), spoolDir: spool, maxBackoffMs: 50, ...extra });
    closers.push(() => s.stop());
    return s;
  };
  const api = async (spool: string, answer?: (event: DuetEvent) => number | Promise<number>) => {
    const a = await fakeApi(spool, answer);
    closers.push(() => a.close());
    return a;
  };
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('posts at most MAX_POSTS_IN_FLIGHT hooks at once across lessons, each lesson in order, and delivers them all', async () => {
    const spool = tmp();
    let now = 0;
    let peak = 0;
    const fake = await api(spool, async () => {
      peak = Math.max(peak, ++now);
      await new Promise((r) => setTimeout(r, 15)); // a busy API: requests overlap if the sender lets them
      now--;
      return 200;
    });
    const s = sender(spool, fake);
    // 24 lessons with 3 hooks each: unbounded, 24 posts would be in flight at once.
    const events = Array.from({ length: 72 }, (_, i) => hook(`lesson-${i % 24}`, i));
    for (const e of events) s.send(e);
    await until(() => s.inFlight.waiting > 0); // lessons queue for a slot
    expect(s.inFlight.posting).toBe(MAX_POSTS_IN_FLIGHT);
    await until(() => s.deliveredCount() === 72);
    expect(peak).toBe(MAX_POSTS_IN_FLIGHT);
    expect(s.inFlight).toEqual({ posting: 0, waiting: 0 });
    for (let l = 0; l < 24; l++) expect(fake.acked(`lesson-${l}`)).toEqual(events.filter((e) => e.session_id === `lesson-${l}`).map((e) => e.id));
  });

  it('writes the hooks of one turn, for several lessons, to one batch file, and posts none before it is in place', async () => {
    const spool = tmp();
    let up = false;
    const fake = await api(spool, () => (up ? 200 : 503));
    const s = sender(spool, fake);
    const events = Array.from({ length: 60 }, (_, i) => hook(`lesson-${i % 3}`, i));
    for (const e of events) s.send(e);
    await s.spooled();
    const files = batchFiles(spool);
    expect(files).toHaveLength(1);
    expect(readdirSync(spool)).toEqual(files); // no per-lesson directory, no temp file left
    expect(linesOf(join(spool, files[0]!)).map((e) => e.id)).toEqual(events.map((e) => e.id));
    up = true;
    s.kick();
    await until(() => s.deliveredCount() === 60);
    for (let l = 0; l < 3; l++) expect(fake.acked(`lesson-${l}`)).toEqual(events.filter((e) => e.session_id === `lesson-${l}`).map((e) => e.id));
    expect(fake.early).toEqual([]);
    await until(() => batchFiles(spool).length === 0);
  });

  it(`cuts a burst into files of at most ${MAX_BATCH_EVENTS} hooks whose names sort in send order`, async () => {
    const spool = tmp();
    const fake = await api(spool, () => 503);
    const s = sender(spool, fake);
    const events = Array.from({ length: MAX_BATCH_EVENTS * 2 + 10 }, (_, i) => hook('lesson-burst', i));
    for (const e of events) s.send(e);
    await s.spooled();
    const files = batchFiles(spool);
    expect(files).toHaveLength(3);
    expect(files.map((f) => linesOf(join(spool, f)).length)).toEqual([MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 10]);
    expect(files.flatMap((f) => linesOf(join(spool, f)).map((e) => e.id))).toEqual(events.map((e) => e.id));
  });

  it('groups the hooks sent while a write is in flight into the next batch, and posts each only once its own batch is in place', async () => {
    const spool = tmp();
    let up = false;
    const fake = await api(spool, () => (up ? 200 : 503));
    const s = sender(spool, fake);
    const events: DuetEvent[] = [];
    // One hook a turn for 30 turns: a batch per turn would be 30 files; a write takes several
    // turns (open, write, fsync, close, rename, open, fsync, close on libuv's threads), and the
    // hooks of those turns share the next file.
    for (let i = 0; i < 30; i++) {
      const e = hook(`lesson-${i % 2}`, i);
      events.push(e);
      s.send(e);
      await new Promise((r) => setImmediate(r));
    }
    await s.spooled();
    const files = batchFiles(spool);
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(10);
    expect(files.flatMap((f) => linesOf(join(spool, f)).map((e) => e.id))).toEqual(events.map((e) => e.id));
    up = true;
    s.kick();
    await until(() => s.deliveredCount() === 30);
    expect(fake.seen.length).toBeGreaterThan(30); // the 503s reached the API too
    expect(fake.early).toEqual([]); // every hook, answered 503 or 200, was on disk when it reached the API
    for (let l = 0; l < 2; l++) expect(fake.acked(`lesson-${l}`)).toEqual(events.filter((e) => e.session_id === `lesson-${l}`).map((e) => e.id));
    await until(() => batchFiles(spool).length === 0);
  });

  it('a restart replays batch files and previous-layout files per lesson in send order, old files first', async () => {
    const spool = tmp();
    const down = await api(spool, () => 503);
    // The previous version's spool: <lesson>/<time>-<seq>-<id>.json, one hook per file.
    const old = [hook('lesson-a', 0), hook('lesson-b', 1), hook('lesson-a', 2)];
    const t0 = Date.now() - 60_000;
    old.forEach((e, i) => {
      mkdirSync(join(spool, e.session_id), { recursive: true });
      writeFileSync(join(spool, e.session_id, `${String(t0 + i).padStart(15, '0')}-${String(i).padStart(9, '0')}-${e.id}.json`), JSON.stringify(e));
    });
    writeFileSync(join(spool, 'lesson-a', 'half-written.json.tmp'), '{"id":'); // a temp file is never replayed
    mkdirSync(join(spool, 'lesson-gone')); // an old lesson directory already emptied
    // This version, the API down: two batches (two turns), then the node dies.
    const first = sender(spool, down);
    expect(first.pending()).toBe(3); // the old files, queued (and failing) already
    const fresh = [hook('lesson-b', 3), hook('lesson-a', 4), hook('lesson-c', 5), hook('lesson-a', 6)];
    first.send(fresh[0]!);
    first.send(fresh[1]!);
    await first.spooled();
    first.send(fresh[2]!);
    first.send(fresh[3]!);
    await first.spooled();
    first.stop();
    expect(batchFiles(spool)).toHaveLength(2);
    expect(down.seen.every((s) => s.status === 503)).toBe(true);

    const fake = await api(spool);
    const logs: string[] = [];
    const second = sender(spool, fake, { log: (level, msg) => logs.push(`${level} ${msg}`) });
    expect(readdirSync(spool)).not.toContain('lesson-gone');
    await second.idle();
    const all = [...old, ...fresh];
    for (const l of ['lesson-a', 'lesson-b', 'lesson-c']) expect(fake.acked(l)).toEqual(all.filter((e) => e.session_id === l).map((e) => e.id));
    expect(second.deliveredCount()).toBe(7);
    expect(logs).toContain('info replaying spooled hooks');
    // Everything acknowledged is deleted: no batch file, no old file (the temp file stays).
    await until(() => batchFiles(spool).length === 0 && readdirSync(join(spool, 'lesson-a')).length === 1 && readdirSync(join(spool, 'lesson-b')).length === 0);
  });

  it('sets aside only the malformed hook of a batch, and deletes the batch file once the others are acknowledged', async () => {
    const spool = tmp();
    const events = [hook('lesson-a', 0), hook('lesson-b', 1), hook('lesson-a', 2), hook('lesson-c', 3)];
    const bad = events[1]!;
    let releaseC!: () => void;
    const cHeld = new Promise<void>((r) => (releaseC = r));
    // 400 for the bad one (malformed); lesson-c is answered only once we say so.
    const fake = await api(spool, async (e) => (e.id === bad.id ? 400 : e.session_id === 'lesson-c' ? (await cHeld, 200) : 200));
    const logs: { level: string; msg: string }[] = [];
    const s = sender(spool, fake, { maxRejectedAttempts: 2, log: (level, msg) => logs.push({ level, msg }) });
    for (const e of events) s.send(e);
    await s.spooled();
    const [file] = batchFiles(spool);
    expect(file).toBeDefined();
    await until(() => s.setAsideTotal() === 1 && fake.acked('lesson-a').length === 2);
    expect(readdirSync(join(spool, 'rejected'))).toHaveLength(1);
    const rejected = readdirSync(join(spool, 'rejected'))[0]!;
    expect(JSON.parse(readFileSync(join(spool, 'rejected', rejected), 'utf8'))).toEqual(bad);
    expect(logs.some((l) => l.level === 'error' && /malformed, set aside/.test(l.msg))).toBe(true);
    // lesson-c's hook is not acknowledged yet: the batch file must stay (and still hold it).
    await new Promise((r) => setTimeout(r, 100));
    expect(batchFiles(spool)).toEqual([file]);
    releaseC();
    await s.idle();
    expect(s.deliveredCount()).toBe(3);
    await until(() => batchFiles(spool).length === 0);
    expect(readdirSync(join(spool, 'rejected'))).toEqual([rejected]);
    expect(fake.seen.filter((x) => x.event.id === bad.id)).toHaveLength(2);
  });

  it('a batch partly acknowledged, then a crash: a new sender on the same spool replays the rest in order', async () => {
    const spool = tmp();
    const down = await api(spool, (e) => (e.session_id === 'lesson-a' ? 200 : 503)); // lesson-b's API calls fail
    const first = sender(spool, down);
    const events = [hook('lesson-a', 0), hook('lesson-b', 1), hook('lesson-a', 2), hook('lesson-b', 3), hook('lesson-b', 4)];
    for (const e of events) first.send(e);
    await first.spooled();
    await until(() => down.acked('lesson-a').length === 2);
    // lesson-a's trouble-free hooks went through without waiting for lesson-b's.
    expect(down.acked('lesson-b')).toEqual([]);
    expect(batchFiles(spool)).toHaveLength(1); // still held by lesson-b's hooks
    first.stop(); // the node dies

    let up = false;
    const fake = await api(spool, () => (up ? 200 : 503));
    const second = sender(spool, fake);
    const later = hook('lesson-b', 5);
    second.send(later);
    await second.spooled();
    // The new node's batch names count on past the file it found: no rename can replace it.
    expect(batchFiles(spool).map((f) => f.slice(16))).toEqual(['000000000.ndjson', '000000001.ndjson']);
    up = true;
    second.kick();
    await second.idle();
    expect(fake.acked('lesson-b')).toEqual([...events.filter((e) => e.session_id === 'lesson-b'), later].map((e) => e.id));
    // Acknowledged hooks of the batch may come again (the API dedupes by id); none is lost.
    expect(fake.acked('lesson-a').every((id) => down.acked('lesson-a').includes(id))).toBe(true);
    await until(() => batchFiles(spool).length === 0);
  });

  it('keeps an unreadable line in rejected/ and still delivers the readable hooks of its file', async () => {
    const spool = tmp();
    const good = [hook('lesson-a', 0), hook('lesson-a', 1)];
    const name = `${String(Date.now()).padStart(15, '0')}-000000000.ndjson`;
    const text = `${JSON.stringify(good[0])}\n{"id": truncated\n${JSON.stringify(good[1])}\n`;
    writeFileSync(join(spool, name), text);
    const fake = await api(spool);
    const logs: string[] = [];
    const s = sender(spool, fake, { log: (level, msg) => logs.push(`${level} ${msg}`) });
    await s.idle();
    expect(fake.acked('lesson-a')).toEqual(good.map((e) => e.id));
    expect(logs).toContain('error unreadable spooled hook set aside');
    expect(readFileSync(join(spool, 'rejected', name), 'utf8')).toBe(text);
    await until(() => batchFiles(spool).length === 0);
  });

  it('a spool that cannot be written: the hooks are still delivered from memory, logged at error', async () => {
    const spool = tmp();
    const events = [hook('lesson-a', 0), hook('lesson-b', 1), hook('lesson-a', 2)];
    const bad = events[1]!;
    const fake = await api(spool, (e) => (e.id === bad.id ? 422 : 200));
    const logs: { level: string; msg: string; extra?: Record<string, unknown> }[] = [];
    const s = sender(spool, fake, { maxRejectedAttempts: 1, log: (level, msg, extra) => logs.push({ level, msg, extra }) });
    // The spool directory disappears and a plain file takes its place: every write fails (ENOTDIR).
    rmSync(spool, { recursive: true });
    writeFileSync(spool, 'not a directory');
    for (const e of events) s.send(e);
    await s.idle();
    expect(fake.acked('lesson-a')).toEqual([events[0]!.id, events[2]!.id]);
    expect(logs.filter((l) => l.level === 'error' && /spool write failed; delivering from memory/.test(l.msg))).toHaveLength(1); // one batch
    // The malformed one is still counted and logged, with why it could not be kept.
    expect(s.setAsideTotal()).toBe(1);
    expect(logs.find((l) => /malformed, set aside/.test(l.msg))?.extra).toMatchObject({ eventId: bad.id, keptInSpool: true });
    rmSync(spool);
    mkdirSync(spool); // for afterAll
  });
});
