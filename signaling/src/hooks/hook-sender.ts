// Lifecycle hooks to the API: at least once, in order per lesson, across API outages and media
// node restarts. Each hook is written to a spool directory before it is sent and deleted only
// once the API has acknowledged it; a restarted node replays what is left, per lesson, in the
// original order. Each lesson has its own FIFO so one lesson's trouble never delays another's.
// Event ids are fixed at creation, so the API dedupes the replays. Nothing is dropped silently:
// every answer but a malformed-request one (400, 413, 415, 422) is retried, including 401/403 (a
// secret being rotated, a clock off) and 404/409/429; a malformed hook is written to its own file
// in rejected/, logged at error and counted.
//
// Group commit: the hooks sent in one event-loop turn, or while an earlier spool write is in
// flight, go into ONE batch file `<spoolDir>/<time>-<seq>.ndjson` (one event per line), written
// temp → fsync → rename → fsync of the directory (a crash or power cut never leaves half a file
// nor loses one). One hook per file cost ~25 % of the node's main thread at 200 joins/s in the
// signaling bench (open, fsync, close, rename, unlink callbacks, ~400 hooks/s); a batch pays
// them once. Idle, a hook waits for no timer: its batch is written at the end of the turn. A
// batch holds at most MAX_BATCH_EVENTS hooks / MAX_BATCH_BYTES; a full one is written at once.
// The file is deleted once every hook in it is acknowledged or set aside, so a crash replays the
// acknowledged ones too (harmless duplicates, same ids).
// The writes are asynchronous (libuv's threads): done synchronously, the fsyncs stalled the
// node's event loop and join handshakes waited seconds. A hook is still never posted before its
// batch is durable (drain awaits the write). Names are time then a counter (which starts past the
// files found at start), so they sort in write order and a replay keeps the send order whatever
// order the writes finished in.
// Posting: one hook per lesson at a time (its order), and at most MAX_POSTS_IN_FLIGHT for the
// whole node. Hooks are bookkeeping the API may apply a moment later; seat checks are what a
// joining person waits for, and both share the node's connections to the API. Unbounded, a burst
// of joins (every join and leave is a hook) filled those connections and the API's queue with
// hooks, and the seat checks queued behind them. A hook waiting for a slot stays spooled.
// Replay also reads the previous layout (`<spoolDir>/<lesson>/<time>-<seq>-<id>.json`, one hook
// per file, same name prefix): an upgraded node loses nothing, and those older files sort first.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, unlink, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { hookOutcome, sign, skewOf, SIGNATURE_HEADER, EVENT_ID_HEADER, type DuetEvent } from '@duet/api/events';
import { writeFileDurable, writeFileDurableSync } from '@duet/api/durable-file';
import { internalRequest } from '@duet/api/internal-http';
import { PostSlots } from './post-slots.ts';

/** Bounds of one batch file: a burst is cut into several files, written side by side. */
export const MAX_BATCH_EVENTS = 256;
export const MAX_BATCH_BYTES = 1024 * 1024;
const BATCH_EXT = '.ndjson';
/** Hooks posted at once by one node (each lesson still one at a time): see "Posting" above. */
export const MAX_POSTS_IN_FLIGHT = 4;

export interface HookSenderOptions {
  url: string;
  secret: string;
  /** Sent with every hook (`duet-node: <id>` when the node signs with its own NODE_SECRET). */
  headers?: Record<string, string>;
  /** Directory for the spool; without one hooks live in memory only (tests of the sender itself). */
  spoolDir?: string;
  /** Give up on a hook the API rejects as malformed (400/413/415/422) after this many tries (kept in rejected/). */
  maxRejectedAttempts?: number;
  /** Longest pause between retries. */
  maxBackoffMs?: number;
  /** Hooks posted at once across lessons (default MAX_POSTS_IN_FLIGHT). */
  maxInFlight?: number;
  log?: (level: 'warn' | 'error' | 'info', msg: string, extra?: Record<string, unknown>) => void;
}

/** One spool file: a batch being filled or written, a replayed batch, or a previous-layout file. */
interface Batch {
  file: string;
  /** Hooks in it not yet acknowledged or set aside (while open: its size); the file is deleted at 0. */
  left: number;
  /** Settles once the batch's write has (undefined for a file read back at start: on disk already). */
  written?: Promise<void>;
  settle?: () => void;
  /** While open: its lines (one JSON event each) and their size. */
  body: string;
  bytes: number;
}

interface Queued {
  event: DuetEvent;
  /** Its spool file (none without a spool dir, or once it must stay on disk for the next start). */
  batch: Batch | undefined;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);

export class HookSender {
  private readonly queues = new Map<string, Queued[]>();
  private readonly running = new Set<string>();
  private readonly writes = new Set<Promise<void>>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly wakers = new Set<() => void>();
  /** The batch taking new hooks (not being written yet). */
  private open: Batch | undefined;
  private writesInFlight = 0;
  private stopped = false;
  private seq = 0;
  private delivered = 0;
  private setAsideCount = 0;
  private skewRejections = 0;
  private readonly slots: PostSlots;
  private readonly opts: HookSenderOptions & { maxRejectedAttempts: number; maxBackoffMs: number; maxInFlight: number };

  constructor(opts: HookSenderOptions) {
    this.opts = { maxRejectedAttempts: 5, maxBackoffMs: 10_000, maxInFlight: MAX_POSTS_IN_FLIGHT, ...opts };
    this.slots = new PostSlots(this.opts.maxInFlight);
    if (opts.spoolDir) {
      mkdirSync(opts.spoolDir, { recursive: true });
      this.replaySpool(opts.spoolDir);
    }
  }

  send(event: DuetEvent): void {
    this.enqueue({ event, batch: this.spool(event) });
  }

  /** Resolves when every hook sent so far is durably on disk (or known not to be). */
  async spooled(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  /** Resolves when every queued hook has been delivered (or set aside as rejected). */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  deliveredCount(): number {
    return this.delivered;
  }

  /** Hooks the API refused as malformed and wrote to rejected/ (since start). */
  setAsideTotal(): number {
    return this.setAsideCount;
  }

  /** Answers `signature_expired`: this node's clock and the API's differ by more than the window (since start). */
  clockSkewRejections(): number {
    return this.skewRejections;
  }

  /** Retry now instead of waiting for the backoff (e.g. the API is known to be back). */
  kick(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Stops sending; spooled hooks stay on disk for the next start (batches being filled are still written). */
  stop(): void {
    this.stopped = true;
    this.kick();
  }

  private enqueue(item: Queued): void {
    const sid = item.event.session_id;
    const q = this.queues.get(sid) ?? [];
    q.push(item);
    this.queues.set(sid, q);
    if (!this.running.has(sid)) void this.drain(sid);
  }

  /** Adds the hook to the open batch (opening one when needed); returns that batch. */
  private spool(event: DuetEvent): Batch | undefined {
    const dir = this.opts.spoolDir;
    if (!dir) return undefined;
    const line = `${JSON.stringify(event)}\n`; // JSON.stringify never emits a raw newline
    const bytes = Buffer.byteLength(line);
    let batch = this.open;
    if (batch && (batch.left >= MAX_BATCH_EVENTS || batch.bytes + bytes > MAX_BATCH_BYTES)) {
      this.seal(batch); // full: written now, alongside any write in flight
      batch = undefined;
    }
    if (!batch) {
      // Time first, then a per-process counter: names sort in write order, across restarts too.
      const name = `${String(Date.now()).padStart(15, '0')}-${String(this.seq++).padStart(9, '0')}${BATCH_EXT}`;
      // The promise exists from the start: drain() awaits it before posting any hook of the batch.
      const { promise, resolve } = Promise.withResolvers<void>();
      const opened: Batch = (batch = this.open = { file: join(dir, name), left: 0, written: promise, settle: resolve, body: '', bytes: 0 });
      this.writes.add(promise);
      void promise.then(() => this.writes.delete(promise));
      // Idle: written at the end of this turn (setImmediate runs after the turn's I/O callbacks,
      // so their hooks join it). Otherwise the write in flight seals it when it completes.
      if (this.writesInFlight === 0) setImmediate(() => this.seal(opened));
    }
    batch.body += line;
    batch.bytes += bytes;
    batch.left++;
    return batch;
  }

  /** Stops the batch taking hooks and writes it. Its hooks are posted once the write settles. */
  private seal(batch: Batch): void {
    if (this.open !== batch) return; // already sealed
    this.open = undefined;
    this.writesInFlight++;
    void writeFileDurable(batch.file, batch.body)
      .catch((err: Error) => {
        // A full or read-only disk must not lose the hooks: they are still delivered from memory.
        this.opts.log?.('error', 'hook spool write failed; delivering from memory only', { file: batch.file, count: batch.left, error: err.message });
      })
      .then(() => {
        this.writesInFlight--;
        batch.settle!();
        if (this.open) this.seal(this.open); // the hooks that came while this one was written
      });
    batch.body = '';
  }

  /** Reads back every spool file, oldest first, and queues its hooks on their lessons. */
  private replaySpool(dir: string): void {
    const files: { name: string; path: string }[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(BATCH_EXT)) {
        files.push({ name: entry.name, path: join(dir, entry.name) });
        // New batches count on from the files found: a name never repeats one still on disk (the
        // rename would replace it), even with the clock set back since.
        this.seq = Math.max(this.seq, Number(entry.name.slice(16, 25)) + 1 || 0);
      } else if (entry.isDirectory() && entry.name !== 'rejected') {
        // The previous layout: a directory per lesson, one file per hook.
        const lessonDir = join(dir, entry.name);
        const names = readdirSync(lessonDir).filter((n) => n.endsWith('.json'));
        if (names.length === 0) rmdirQuietly(lessonDir);
        for (const name of names) files.push({ name, path: join(lessonDir, name) });
      }
    }
    // Both layouts' names start with <time>-<seq>: one sort gives the send order per lesson (and
    // the previous version's files, written before the upgrade, come first).
    files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let replayed = 0;
    for (const { path } of files) {
      let text = '';
      const events: DuetEvent[] = [];
      let unreadable = 0;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        unreadable++;
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          const event = JSON.parse(line) as DuetEvent;
          if (typeof event?.id !== 'string' || typeof event.session_id !== 'string') throw new Error('not a hook event');
          events.push(event);
        } catch {
          unreadable++;
        }
      }
      const batch: Batch = { file: path, left: events.length, body: '', bytes: 0 };
      if (unreadable > 0) {
        // A copy of the whole file goes to rejected/ for an operator; its readable hooks are still
        // delivered. If the copy fails the file stays (one more hold on it) for the next start.
        this.opts.log?.('error', 'unreadable spooled hook set aside', { file: path, unreadable });
        if (!this.keepAside(path.slice(dir.length + 1).replace(/[/\\]/g, '__'), text)) batch.left++;
      }
      if (batch.left === 0) unlinkQuietly(path);
      for (const event of events) this.enqueue({ event, batch });
      replayed += events.length;
    }
    if (replayed > 0) this.opts.log?.('info', 'replaying spooled hooks', { count: replayed, files: files.length });
  }

  /** Synchronous durable copy into rejected/ (only at start); false when it could not be written. */
  private keepAside(name: string, text: string): boolean {
    try {
      mkdirSync(join(this.opts.spoolDir!, 'rejected'), { recursive: true });
      writeFileDurableSync(join(this.opts.spoolDir!, 'rejected', name), text);
      return true;
    } catch {
      return false;
    }
  }

  /** A malformed hook: written alone to rejected/ (before its batch lets go of it), counted, logged. */
  private async setAside(item: Queued, attempts: number): Promise<void> {
    const event = item.event;
    const dir = this.opts.spoolDir;
    let error: string | undefined;
    if (dir) {
      try {
        await writeFileDurable(join(dir, 'rejected', `${safe(event.session_id)}__${safe(event.id)}.json`), JSON.stringify(event));
      } catch (err) {
        // Not kept in rejected/: its batch file must stay (the next start sets it aside again).
        item.batch = undefined;
        error = (err as Error).message;
      }
    }
    this.setAsideCount++;
    this.opts.log?.('error', 'hook rejected by the API as malformed, set aside in rejected/', { session_id: event.session_id, eventId: event.id, type: event.type, attempts, ...(error ? { error, keptInSpool: true } : {}) });
  }

  /** The hook is acknowledged or set aside: its batch file goes with its last hook. */
  private done(item: Queued): void {
    const batch = item.batch;
    // Deleted asynchronously: a replay of an acknowledged hook is a harmless duplicate (same id).
    if (batch && --batch.left === 0) unlink(batch.file, () => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  private async drain(sessionId: string): Promise<void> {
    this.running.add(sessionId);
    const q = this.queues.get(sessionId)!;
    while (q.length > 0 && !this.stopped) {
      const item = q[0]!;
      if (item.batch?.written) await item.batch.written;
      let attempt = 0;
      let rejected = 0;
      let settled = false;
      for (;;) {
        // Stopped while waiting for a slot: the hook stays spooled for the next start.
        const outcome = await this.slots.run(() => (this.stopped ? Promise.resolve('retry' as const) : this.post(item.event)));
        if (outcome === 'ok') {
          this.delivered++;
          settled = true;
          break;
        }
        if (outcome === 'malformed' && ++rejected >= this.opts.maxRejectedAttempts) {
          await this.setAside(item, rejected);
          settled = true;
          break;
        }
        if (this.stopped) break;
        await this.sleep(Math.min(this.opts.maxBackoffMs, 200 * 2 ** attempt++));
      }
      if (!settled) break; // stopped: the hook stays spooled for the next start
      this.done(item);
      q.shift();
    }
    if (q.length === 0) this.queues.delete(sessionId);
    this.running.delete(sessionId);
    if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Hooks being posted right now, and hooks of other lessons waiting for a slot. */
  get inFlight(): { posting: number; waiting: number } {
    return this.slots.state;
  }

  private async post(event: DuetEvent): Promise<'ok' | 'retry' | 'malformed'> {
    const body = JSON.stringify(event);
    try {
      const res = await internalRequest(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.opts.headers, [SIGNATURE_HEADER]: sign(this.opts.secret, body), [EVENT_ID_HEADER]: event.id, 'x-request-id': event.id },
        body,
        maxBytes: 64 * 1024,
      });
      const text = res.text();
      if (res.status >= 200 && res.status < 300) return 'ok';
      const skew = skewOf(res.status, text);
      if (skew !== undefined) {
        this.skewRejections++;
        this.opts.log?.('error', 'hook refused: clock skew with the API beyond the signature window; fix NTP on this node or the API', { session_id: event.session_id, eventId: event.id, skewSeconds: skew });
      } else {
        this.opts.log?.('warn', 'hook not accepted, will retry', { session_id: event.session_id, eventId: event.id, type: event.type, status: res.status });
      }
      return hookOutcome(res.status);
    } catch (err) {
      this.opts.log?.('warn', 'hook delivery failed, will retry', { session_id: event.session_id, eventId: event.id, error: (err as Error).message });
      return 'retry';
    }
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or the next start tries again
  }
}

/** The previous layout's lesson directories, once empty (only at start). */
function rmdirQuietly(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // not empty (a temporary file) or not ours: left alone
  }
}
