// Recording hooks to the API (recording.started/ready/failed), signed like every internal hook and
// retried with backoff until the API acknowledges them. Event ids are fixed by the caller and kept
// in the manifest, so a retry after a restart is deduplicated by the API.
import { sign, SIGNATURE_HEADER, EVENT_ID_HEADER, type DuetEvent } from '@duet/api/events';
import { postJson } from './node-http.ts';

export type Log = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;

export class HookClient {
  private readonly url: string;
  private readonly secret: string;
  private readonly log: Log;
  private stopped = false;

  private readonly nodeId: string | null;
  constructor(apiInternalUrl: string, secret: string, log: Log, nodeId: string | null = null) {
    this.nodeId = nodeId;
    this.url = `${apiInternalUrl}/internal/hooks`;
    this.secret = secret;
    this.log = log;
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * 'delivered' once the API acknowledged it, 'rejected' if the API refused it for good, 'stopped'
   * if the client stopped first (the hook stays pending in the manifest for the next start).
   */
  async deliver(event: DuetEvent): Promise<'delivered' | 'rejected' | 'stopped'> {
    let rejected = 0;
    for (let attempt = 0; !this.stopped; attempt++) {
      const body = JSON.stringify(event);
      try {
        const res = await postJson(this.url, { ...(this.nodeId ? { 'duet-node': this.nodeId } : {}), [SIGNATURE_HEADER]: sign(this.secret, body), [EVENT_ID_HEADER]: event.id }, body, 5_000);
        if (res.status >= 200 && res.status < 300) return 'delivered';
        const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
        this.log('warn', 'recording hook not accepted', { eventId: event.id, type: event.type, status: res.status, body: res.body.slice(0, 300) });
        if (permanent && ++rejected >= 5) return 'rejected';
      } catch (err) {
        this.log('warn', 'recording hook delivery failed, will retry', { eventId: event.id, type: event.type, error: (err as Error).message });
      }
      await new Promise((r) => setTimeout(r, Math.min(15_000, 250 * 2 ** Math.min(attempt, 6))));
    }
    return 'stopped';
  }
}
