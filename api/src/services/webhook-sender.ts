// One signed webhook POST to one endpoint: the delivery loop's attempts and the test ping share it.
// Env endpoints (WEBHOOK_ENDPOINTS, written by the operator) go out with fetch as before; endpoints
// created through the API go through webhook-http.ts, which refuses non-public addresses at connect
// time. During a secret roll both secrets sign: `t=…,v1=<new>,v1=<old>` (receivers accept either).
import { createHmac } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER } from '../events/signature.ts';
import type { WebhookPayload } from '../events/event.ts';
import type { EndpointRow } from '../repositories/webhook-endpoints-repo.ts';
import { postWebhook } from './webhook-http.ts';

export type WebhookTarget = { kind: 'env'; url: string; secret: string } | { kind: 'api'; endpoint: EndpointRow };
export type SendOutcome = { ok: true; status: number } | { ok: false; error: string; status: number | null };

/** The secrets that sign now: the current one, and the previous one while its roll lasts. */
export function signingSecrets(target: WebhookTarget, now: Date): string[] {
  if (target.kind === 'env') return [target.secret];
  const e = target.endpoint;
  return e.previous_secret && e.previous_secret_expires_at && e.previous_secret_expires_at > now ? [e.secret, e.previous_secret] : [e.secret];
}

export function signWith(secrets: string[], rawBody: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const macs = secrets.map((s) => `v1=${createHmac('sha256', s).update(`${nowSeconds}.${rawBody}`).digest('hex')}`);
  return [`t=${nowSeconds}`, ...macs].join(',');
}

export function targetUrl(target: WebhookTarget): string {
  return target.kind === 'env' ? target.url : target.endpoint.url;
}

export async function sendWebhook(ctx: AppContext, target: WebhookTarget, payload: WebhookPayload, signal: AbortSignal): Promise<SendOutcome> {
  const { config } = ctx;
  const body = JSON.stringify(payload);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'duet-webhooks/1',
    [SIGNATURE_HEADER]: signWith(signingSecrets(target, ctx.now()), body),
    [EVENT_ID_HEADER]: payload.id,
  };
  const abort = new AbortController();
  const onAbort = () => abort.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timeout = setTimeout(() => abort.abort(new Error(`timed out after ${config.webhookTimeoutMs} ms`)), config.webhookTimeoutMs);
  try {
    let status: number;
    if (target.kind === 'env') {
      const res = await fetch(target.url, {
        method: 'POST',
        headers,
        body,
        // A redirect would re-send a signed event to wherever it points: treat it as a failure.
        redirect: 'manual',
        signal: abort.signal,
      });
      await res.body?.cancel().catch(() => {});
      status = res.status;
    } else {
      status = await postWebhook(target.endpoint.url, headers, body, {
        timeoutMs: config.webhookTimeoutMs,
        signal: abort.signal,
        allowPrivate: config.webhookApi.allowPrivateUrls,
      });
    }
    return status >= 200 && status < 300 ? { ok: true, status } : { ok: false, error: `HTTP ${status}`, status };
  } catch (err) {
    const reason = abort.signal.aborted ? abort.signal.reason : err;
    return { ok: false, error: reason instanceof Error ? reason.message : String(reason), status: null };
  } finally {
    clearTimeout(timeout);
    signal.removeEventListener('abort', onAbort);
  }
}
