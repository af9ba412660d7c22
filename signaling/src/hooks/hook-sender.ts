// Lifecycle hooks to the API: at least once, in order per lesson, across API outages and media
// node restarts. Each hook is written to a spool directory before it is sent
// (temp file, fsync, rename, fsync of the directory: a crash or power cut never leaves half a
// file nor loses one) and deleted only once the API has acknowledged it; a restarted node
// replays what is left, per lesson, in the original order. Each lesson has its own FIFO so one
// lesson's trouble never delays another's. Event ids are fixed at creation, so the API dedupes
// the replays. Nothing is dropped silently: every answer but a malformed-request one (400, 413,
// 415, 422) is retried, including 401/403 (a secret being rotated, a clock off) and 404/409/429;
// a malformed hook is set aside in rejected/, logged at error and counted.
// The spool writes and deletes are asynchronous (libuv's threads): done synchronously, two fsyncs
// per hook stalled the node's event loop — at 200 joins/s (three hooks per join and leave) the
// signaling bench spent 40 % of the node's time in fsync and join handshakes waited seconds.
// A hook is still never posted before its file is durable (drain awaits the write); the names
// carry the order, so a replay after a restart keeps it whatever order the writes finished in.
import { mkdirSync, readdirSync, readFileSync, renameSync, unlink } from 'node:fs';
import { join } from 'node:path';
import { hookOutcome, sign, skewOf, SIGNATURE_HEADER, EVENT_ID_HEADER, type DuetEvent } from '@duet/api/events';
import { writeFileDurable } from '@duet/api/durable-file';
import { internalRequest } from '../internal-http.ts';

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
  log?: (level: 'warn' | 'error' | 'info', msg: string, extra?: Record<string, unknown>) => void;
}

interface Queued {
  event: DuetEvent;
  file: string | undefined;
  /** The spool write in flight (the hook is posted only once it has settled). */
  written?: Promise<void>;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);

export class HookSender {
  private readonly queues = new Map<string, Queued[]>();
  private readonly running = new Set<string>();
  private readonly writes = new Set<Promise<void>>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly wakers = new Set<() => void>();
  private stopped = false;
  private seq = 0;
  private delivered = 0;
  private setAsideCount = 0;
  private skewRejections = 0;
  private readonly opts: HookSenderOptions & { maxRejectedAttempts: number; maxBackoffMs: number };

  constructor(opts: HookSenderOptions) {
    this.opts = { maxRejectedAttempts: 5, maxBackoffMs: 10_000, ...opts };
    if (opts.spoolDir) {
      mkdirSync(opts.spoolDir, { recursive: true });
      this.replaySpool(opts.spoolDir);
    }
  }

  send(event: DuetEvent): void {
    const item: Queued = { event, file: undefined };
    this.spool(item);
    this.enqueue(item);
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

  /** Hooks the API refused as malformed and moved to rejected/ (since start). */
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

  /** Stops sending; spooled hooks stay on disk for the next start. */
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

  private spool(item: Queued): void {
    const dir = this.opts.spoolDir;
    if (!dir) return;
    const event = item.event;
    const lessonDir = join(dir, safe(event.session_id));
    // Time first, then a per-process counter: the order survives a restart.
    const name = `${String(Date.now()).padStart(15, '0')}-${String(this.seq++).padStart(9, '0')}-${safe(event.id)}.json`;
    const file = join(lessonDir, name);
    item.file = file;
    const write = (async () => {
      try {
        await writeFileDurable(file, JSON.stringify(event)); // creates the lesson's directory when missing
      } catch (err) {
        // A full or read-only disk must not lose the hook: it is still delivered from memory.
        item.file = undefined;
        this.opts.log?.('error', 'hook spool write failed; delivering from memory only', { session_id: event.session_id, eventId: event.id, error: (err as Error).message });
      }
    })();
    item.written = write;
    this.writes.add(write);
    void write.then(() => this.writes.delete(write));
  }

  private replaySpool(dir: string): void {
    let replayed = 0;
    for (const lesson of readdirSync(dir, { withFileTypes: true })) {
      if (!lesson.isDirectory() || lesson.name === 'rejected') continue;
      const lessonDir = join(dir, lesson.name);
      for (const name of readdirSync(lessonDir).filter((n) => n.endsWith('.json')).sort()) {
        const file = join(lessonDir, name);
        try {
          const event = JSON.parse(readFileSync(file, 'utf8')) as DuetEvent;
          if (typeof event.id !== 'string' || typeof event.session_id !== 'string') throw new Error('not a hook event');
          this.enqueue({ event, file });
          replayed++;
        } catch (err) {
          this.opts.log?.('error', 'unreadable spooled hook set aside', { file, error: (err as Error).message });
          this.setAside(file);
        }
      }
    }
    if (replayed > 0) this.opts.log?.('info', 'replaying spooled hooks', { count: replayed });
  }

  private setAside(file: string): void {
    const dir = this.opts.spoolDir!;
    try {
      mkdirSync(join(dir, 'rejected'), { recursive: true });
      renameSync(file, join(dir, 'rejected', file.slice(dir.length + 1).replace(/[/\\]/g, '__')));
    } catch {
      // best effort: if it cannot be moved it is retried on the next start
    }
  }

  private done(item: Queued): void {
    if (!item.file) return;
    // Deleted asynchronously: a replay of an acknowledged hook is a harmless duplicate (same id).
    unlink(item.file, () => undefined);
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
      if (item.written) await item.written;
      let attempt = 0;
      let rejected = 0;
      let sent = false;
      for (;;) {
        const outcome = await this.post(item.event);
        if (outcome === 'ok') {
          sent = true;
          break;
        }
        if (outcome === 'malformed' && ++rejected >= this.opts.maxRejectedAttempts) {
          this.setAsideCount++;
          this.opts.log?.('error', 'hook rejected by the API as malformed, set aside in rejected/', { session_id: item.event.session_id, eventId: item.event.id, type: item.event.type, attempts: rejected });
          if (item.file) this.setAside(item.file);
          item.file = undefined;
          break;
        }
        if (this.stopped) break;
        await this.sleep(Math.min(this.opts.maxBackoffMs, 200 * 2 ** attempt++));
      }
      if (this.stopped && !sent) break;
      if (sent) this.delivered++;
      this.done(item);
      q.shift();
    }
    if (q.length === 0) this.queues.delete(sessionId);
    this.running.delete(sessionId);
    if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
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
