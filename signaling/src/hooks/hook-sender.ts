// Lifecycle hooks to the API: at least once, in order per lesson, across API outages and media
// node restarts. Each hook is written to a spool directory before anything else happens
// (write + rename, so a crash never leaves half a file) and deleted only once the API has
// acknowledged it; a restarted node replays what is left, per lesson, in the original order.
// Each lesson has its own FIFO so one lesson's trouble never delays another's. Event ids are
// fixed at creation, so the API dedupes the replays.
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign, SIGNATURE_HEADER, EVENT_ID_HEADER, type DuetEvent } from '@duet/api/events';

export interface HookSenderOptions {
  url: string;
  secret: string;
  /** Directory for the spool; without one hooks live in memory only (tests of the sender itself). */
  spoolDir?: string;
  /** Give up on a hook the API rejects as malformed (4xx) after this many tries (kept in rejected/). */
  maxRejectedAttempts?: number;
  /** Longest pause between retries. */
  maxBackoffMs?: number;
  log?: (level: 'warn' | 'error' | 'info', msg: string, extra?: Record<string, unknown>) => void;
}

interface Queued {
  event: DuetEvent;
  file: string | undefined;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);

export class HookSender {
  private readonly queues = new Map<string, Queued[]>();
  private readonly running = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly wakers = new Set<() => void>();
  private stopped = false;
  private seq = 0;
  private delivered = 0;
  private readonly opts: HookSenderOptions & { maxRejectedAttempts: number; maxBackoffMs: number };

  constructor(opts: HookSenderOptions) {
    this.opts = { maxRejectedAttempts: 5, maxBackoffMs: 10_000, ...opts };
    if (opts.spoolDir) {
      mkdirSync(opts.spoolDir, { recursive: true });
      this.replaySpool(opts.spoolDir);
    }
  }

  send(event: DuetEvent): void {
    const file = this.spool(event);
    this.enqueue({ event, file });
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

  private spool(event: DuetEvent): string | undefined {
    const dir = this.opts.spoolDir;
    if (!dir) return undefined;
    const lessonDir = join(dir, safe(event.session_id));
    mkdirSync(lessonDir, { recursive: true });
    // Time first, then a per-process counter: the order survives a restart.
    const name = `${String(Date.now()).padStart(15, '0')}-${String(this.seq++).padStart(9, '0')}-${safe(event.id)}.json`;
    const file = join(lessonDir, name);
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(event));
      renameSync(`${file}.tmp`, file);
      return file;
    } catch (err) {
      // A full or read-only disk must not lose the hook: it is still delivered from memory.
      this.opts.log?.('error', 'hook spool write failed; delivering from memory only', { session_id: event.session_id, eventId: event.id, error: (err as Error).message });
      return undefined;
    }
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
    try {
      unlinkSync(item.file);
    } catch {
      // already gone
    }
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
      let attempt = 0;
      let rejected = 0;
      let sent = false;
      for (;;) {
        const outcome = await this.post(item.event);
        if (outcome === 'ok') {
          sent = true;
          break;
        }
        if (outcome === 'rejected' && ++rejected >= this.opts.maxRejectedAttempts) {
          this.opts.log?.('error', 'hook rejected by the API, set aside', { session_id: item.event.session_id, eventId: item.event.id, type: item.event.type });
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

  private async post(event: DuetEvent): Promise<'ok' | 'retry' | 'rejected'> {
    const body = JSON.stringify(event);
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(this.opts.secret, body), [EVENT_ID_HEADER]: event.id, 'x-request-id': event.id },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'ok';
      this.opts.log?.('warn', 'hook not accepted, will retry', { session_id: event.session_id, eventId: event.id, type: event.type, status: res.status });
      return res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429 ? 'rejected' : 'retry';
    } catch (err) {
      this.opts.log?.('warn', 'hook delivery failed, will retry', { session_id: event.session_id, eventId: event.id, error: (err as Error).message });
      return 'retry';
    }
  }
}
