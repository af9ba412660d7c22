// Lifecycle hooks to the API: at least once, in order per lesson. Each lesson has its own FIFO so
// one lesson's trouble never delays another's; the head is retried with backoff until the API
// acknowledges it. (Spooling to disk across a signaling restart belongs to a later issue.)
import { sign, SIGNATURE_HEADER, EVENT_ID_HEADER, type DuetEvent } from '@duet/api/events';

export interface HookSenderOptions {
  url: string;
  secret: string;
  /** Give up on a hook the API rejects as malformed (4xx) after this many tries. */
  maxRejectedAttempts?: number;
  log?: (level: 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}

export class HookSender {
  private readonly queues = new Map<string, DuetEvent[]>();
  private readonly running = new Set<string>();
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly opts: Required<Omit<HookSenderOptions, 'log'>> & Pick<HookSenderOptions, 'log'>;

  constructor(opts: HookSenderOptions) {
    this.opts = { maxRejectedAttempts: 5, ...opts };
  }

  send(event: DuetEvent): void {
    const q = this.queues.get(event.session_id) ?? [];
    q.push(event);
    this.queues.set(event.session_id, q);
    if (!this.running.has(event.session_id)) void this.drain(event.session_id);
  }

  /** Resolves when every queued hook has been delivered (or dropped as rejected). */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  stop(): void {
    this.stopped = true;
  }

  private async drain(sessionId: string): Promise<void> {
    this.running.add(sessionId);
    const q = this.queues.get(sessionId)!;
    while (q.length > 0 && !this.stopped) {
      const event = q[0]!;
      let attempt = 0;
      let rejected = 0;
      for (;;) {
        const outcome = await this.post(event);
        if (outcome === 'ok') break;
        if (outcome === 'rejected' && ++rejected >= this.opts.maxRejectedAttempts) {
          this.opts.log?.('error', 'hook rejected by the API, dropped', { eventId: event.id, type: event.type });
          break;
        }
        if (this.stopped) break;
        await new Promise((r) => setTimeout(r, Math.min(10_000, 200 * 2 ** attempt++)));
      }
      q.shift();
    }
    this.queues.delete(sessionId);
    this.running.delete(sessionId);
    if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async post(event: DuetEvent): Promise<'ok' | 'retry' | 'rejected'> {
    const body = JSON.stringify(event);
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(this.opts.secret, body), [EVENT_ID_HEADER]: event.id },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return 'ok';
      this.opts.log?.('warn', 'hook not accepted, will retry', { eventId: event.id, status: res.status });
      return res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429 ? 'rejected' : 'retry';
    } catch (err) {
      this.opts.log?.('warn', 'hook delivery failed, will retry', { eventId: event.id, error: (err as Error).message });
      return 'retry';
    }
  }
}
