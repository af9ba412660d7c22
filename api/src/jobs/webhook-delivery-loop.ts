// Delivers outbox rows to the marketplace's endpoints. State lives in webhook_deliveries, so a
// restart resumes where it stopped; the loop polls every WEBHOOK_POLL_MS and is kicked right after
// commits that wrote events. Receivers dedupe by event id, so an at-least-once resend is harmless.
import type { AppContext } from '../context.ts';
import {
  claimDueDeliveries,
  markAttemptFailed,
  markDelivered,
  releaseDelivery,
  type ClaimedDelivery,
} from '../repositories/webhook-deliveries-repo.ts';
import { jitteredRetryDelayMs } from './retry-backoff.ts';
import { findEndpoints, markEndpointHealthy, type EndpointRow } from '../repositories/webhook-endpoints-repo.ts';
import { sendWebhook, targetUrl, type SendOutcome, type WebhookTarget } from '../services/webhook-sender.ts';
import { noteEndpointFailure, webhookPayload } from '../services/webhook-endpoints-service.ts';

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
      const ids = [...new Set(batch.map((d) => d.endpointId).filter((id): id is string => id !== null))];
      const apiEndpoints = new Map((await findEndpoints(ctx.sql, ids)).map((e) => [e.id, e]));
      await Promise.all(batch.map((d) => deliver(d, apiEndpoints)));
      if (batch.length < BATCH_SIZE) return;
    }
  }

  async function deliver(d: ClaimedDelivery, apiEndpoints: Map<string, EndpointRow>): Promise<void> {
    let target: WebhookTarget;
    if (d.endpointId !== null) {
      const endpoint = apiEndpoints.get(d.endpointId);
      if (!endpoint || !endpoint.enabled) {
        await markAttemptFailed(ctx.sql, d.id, endpoint ? 'endpoint is disabled' : 'endpoint was deleted', null, null, false);
        return;
      }
      target = { kind: 'api', endpoint };
    } else {
      const endpoint = config.webhookEndpoints.find((e) => e.url === d.endpointUrl);
      if (!endpoint) {
        await markAttemptFailed(ctx.sql, d.id, 'endpoint is no longer configured', null, null);
        return;
      }
      target = { kind: 'env', url: endpoint.url, secret: endpoint.secret };
    }
    const url = targetUrl(target);
    const ageMs = Date.now() - d.createdAt.getTime();
    if (ageMs > config.webhookMaxAgeSeconds * 1000) {
      await markAttemptFailed(ctx.sql, d.id, `not delivered within the maximum age of ${config.webhookMaxAgeSeconds} s`, null, null, false);
      log.warn({ session_id: d.event.session_id, eventId: d.event.id, url }, 'webhook delivery expired (maximum age)');
      return;
    }
    const abort = new AbortController();
    inflight.add(abort);
    let outcome: SendOutcome;
    try {
      outcome = await sendWebhook(ctx, target, webhookPayload(d.event, d.metadata), abort.signal);
    } finally {
      inflight.delete(abort);
    }

    if (outcome.ok) {
      await markDelivered(ctx.sql, d.id, outcome.status);
      if (target.kind === 'api' && target.endpoint.failing_since) await markEndpointHealthy(ctx.sql, target.endpoint.id);
      log.debug({ session_id: d.event.session_id, eventId: d.event.id, url }, 'webhook delivered');
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
        : jitteredRetryDelayMs(attempts, config.webhookRetryBaseMs, config.webhookRetryMaxMs);
    await markAttemptFailed(ctx.sql, d.id, outcome.error, outcome.status, retryIn);
    log.warn(
      { session_id: d.event.session_id, eventId: d.event.id, url, attempts, error: outcome.error, retryInMs: retryIn },
      retryIn === null ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
    );
    if (target.kind === 'api') await noteEndpointFailure(ctx, target.endpoint);
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
