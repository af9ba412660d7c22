// Delivers outbox rows to the marketplace's endpoints. State lives in webhook_deliveries, so a
// restart resumes where it stopped; the loop polls every WEBHOOK_POLL_MS and is kicked right after
// commits that wrote events. Receivers dedupe by event id, so an at-least-once resend is harmless.
import type { AppContext } from '../context.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, sign } from '../events/signature.ts';
import {
  claimDueDeliveries,
  markAttemptFailed,
  markDelivered,
  releaseDelivery,
  type ClaimedDelivery,
} from '../repositories/webhook-deliveries-repo.ts';
import { retryDelayMs } from './retry-backoff.ts';

const BATCH_SIZE = 20;

export interface WebhookDeliveryLoop {
  start(): void;
  /** Look for due deliveries now instead of at the next poll. */
  kick(): void;
  /** Stops polling, aborts requests in flight (their rows are released, not counted) and waits. */
  stop(): Promise<void>;
}

export function createWebhookDeliveryLoop(ctx: AppContext): WebhookDeliveryLoop {
  const { config, log } = ctx;
  // The lease must outlive a whole batch of requests running in parallel (each bounded by the
  // timeout); after a crash, leased rows are sent again once it runs out.
  const leaseMs = config.webhookTimeoutMs + 5_000;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let kickedWhileRunning = false;
  const inflight = new Set<AbortController>();

  function schedule(ms: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  }

  function run(): void {
    if (stopped) return;
    if (running) {
      kickedWhileRunning = true;
      return;
    }
    running = drain()
      .catch((err: unknown) => log.error({ err }, 'webhook delivery pass failed'))
      .finally(() => {
        running = null;
        const again = kickedWhileRunning;
        kickedWhileRunning = false;
        schedule(again ? 0 : config.webhookPollMs);
      });
  }

  async function drain(): Promise<void> {
    while (!stopped) {
      const batch = await claimDueDeliveries(ctx.sql, BATCH_SIZE, leaseMs);
      await Promise.all(batch.map(deliver));
      if (batch.length < BATCH_SIZE) return;
    }
  }

  async function deliver(d: ClaimedDelivery): Promise<void> {
    const endpoint = config.webhookEndpoints.find((e) => e.url === d.endpointUrl);
    if (!endpoint) {
      await markAttemptFailed(ctx.sql, d.id, 'endpoint is no longer configured', null, null);
      return;
    }
    const ageMs = Date.now() - d.createdAt.getTime();
    if (ageMs > config.webhookMaxAgeSeconds * 1000) {
      await markAttemptFailed(ctx.sql, d.id, `not delivered within the maximum age of ${config.webhookMaxAgeSeconds} s`, null, null, false);
      log.warn({ session_id: d.event.session_id, eventId: d.event.id, url: endpoint.url }, 'webhook delivery expired (maximum age)');
      return;
    }
    const body = JSON.stringify(d.event);
    const abort = new AbortController();
    inflight.add(abort);
    const timeout = setTimeout(() => abort.abort(new Error(`timed out after ${config.webhookTimeoutMs} ms`)), config.webhookTimeoutMs);
    let outcome: { ok: true; status: number } | { ok: false; error: string; status: number | null };
    try {
      const res = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'duet-webhooks/1',
          [SIGNATURE_HEADER]: sign(endpoint.secret, body),
          [EVENT_ID_HEADER]: d.event.id,
        },
        body,
        // A redirect would re-send a signed event to wherever it points: treat it as a failure.
        redirect: 'manual',
        signal: abort.signal,
      });
      await res.body?.cancel().catch(() => {});
      outcome = res.ok ? { ok: true, status: res.status } : { ok: false, error: `HTTP ${res.status}`, status: res.status };
    } catch (err) {
      const reason = abort.signal.aborted ? abort.signal.reason : err;
      outcome = { ok: false, error: reason instanceof Error ? reason.message : String(reason), status: null };
    } finally {
      clearTimeout(timeout);
      inflight.delete(abort);
    }

    if (outcome.ok) {
      await markDelivered(ctx.sql, d.id, outcome.status);
      log.debug({ session_id: d.event.session_id, eventId: d.event.id, url: endpoint.url }, 'webhook delivered');
      return;
    }
    if (stopped) {
      await releaseDelivery(ctx.sql, d.id);
      return;
    }
    const attempts = d.attempts + 1;
    const retryIn =
      attempts >= config.webhookMaxAttempts
        ? null
        : retryDelayMs(attempts, config.webhookRetryBaseMs, config.webhookRetryMaxMs);
    await markAttemptFailed(ctx.sql, d.id, outcome.error, outcome.status, retryIn);
    log.warn(
      { session_id: d.event.session_id, eventId: d.event.id, url: endpoint.url, attempts, error: outcome.error, retryInMs: retryIn },
      retryIn === null ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
    );
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    kick() {
      if (!stopped) run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      for (const a of inflight) a.abort(new Error('server shutting down'));
      await running;
    },
  };
}
