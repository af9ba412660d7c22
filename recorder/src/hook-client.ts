// Recording hooks to the API (recording.started/ready/failed), signed like every internal hook and
// retried with backoff until the API acknowledges them. Event ids are fixed by the caller and kept
// in the manifest, so a retry after a restart is deduplicated by the API. Only an answer that says
// the hook itself is malformed (400, 413, 415, 422; five times) gives up on it — logged at error
// and counted; 401/403 (secret rotation, clock skew), 404/409/429, 5xx and timeouts are retried.
import { hookOutcome, sign, skewOf, SIGNATURE_HEADER, EVENT_ID_HEADER, type DuetEvent } from '@duet/api/events';
import { internalRequest } from '@duet/api/internal-http';

export type Log = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;

export interface HookClientCounters {
  /** A hook the API refused as malformed five times. */
  onRejected?(): void;
  /** The API answered `signature_expired`: clocks differ by more than the signature window. */
  onClockSkew?(): void;
}

export class HookClient {
  private readonly url: string;
  private readonly secret: string;
  private readonly log: Log;
  private readonly counters: HookClientCounters;
  private readonly retryBaseMs: number;
  private stopped = false;

  private readonly nodeId: string | null;
  constructor(apiInternalUrl: string, secret: string, log: Log, counters: HookClientCounters = {}, retryBaseMs = 250, nodeId: string | null = null) {
    this.retryBaseMs = retryBaseMs;
    this.nodeId = nodeId;
    this.url = `${apiInternalUrl}/internal/hooks`;
    this.secret = secret;
    this.log = log;
    this.counters = counters;
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * 'delivered' once the API acknowledged it, 'rejected' if the API called it malformed five times,
   * 'stopped' if the client stopped first (the hook stays pending in the manifest for the next start).
   */
  async deliver(event: DuetEvent): Promise<'delivered' | 'rejected' | 'stopped'> {
    let malformed = 0;
    for (let attempt = 0; !this.stopped; attempt++) {
      const body = JSON.stringify(event);
      try {
        const res = await internalRequest(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(this.nodeId ? { 'duet-node': this.nodeId } : {}), [SIGNATURE_HEADER]: sign(this.secret, body), [EVENT_ID_HEADER]: event.id },
          body,
          timeoutMs: 5_000,
          maxBytes: 64 * 1024,
        });
        const outcome = hookOutcome(res.status);
        if (outcome === 'ok') return 'delivered';
        const text = res.text();
        const skew = skewOf(res.status, text);
        if (skew !== undefined) {
          this.counters.onClockSkew?.();
          this.log('error', 'recording hook refused: clock skew with the API beyond the signature window; fix NTP on this host or the API', { session_id: event.session_id, eventId: event.id, skewSeconds: skew });
        } else {
          this.log('warn', 'recording hook not accepted, will retry', { session_id: event.session_id, eventId: event.id, type: event.type, status: res.status, body: text.slice(0, 300) });
        }
        if (outcome === 'malformed' && ++malformed >= 5) {
          this.counters.onRejected?.();
          return 'rejected';
        }
      } catch (err) {
        this.log('warn', 'recording hook delivery failed, will retry', { session_id: event.session_id, eventId: event.id, type: event.type, error: (err as Error).message });
      }
      await new Promise((r) => setTimeout(r, Math.min(15_000, this.retryBaseMs * 2 ** Math.min(attempt, 6))));
    }
    return 'stopped';
  }
}
