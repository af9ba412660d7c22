// Receiving Duet webhooks (server side, node:crypto). The scheme is the API's
// (api/src/events/signature.ts): `duet-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<raw body>")>`, possibly several v1 values while an endpoint's secret is being rolled.
// sdk/test checks this against the API's own signer. Deliveries are at least once: dedupe on `id`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { webhooks } from './schema.ts';

export const DUET_SIGNATURE_HEADER = 'duet-signature';
export const DUET_EVENT_ID_HEADER = 'duet-event-id';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type DuetWebhookEventType = keyof webhooks;
/** One event of the catalogue, discriminated on `type` (from the document's `webhooks` section). */
export type DuetWebhookEventOf<T extends DuetWebhookEventType> = webhooks[T]['post']['requestBody']['content']['application/json'];
export type DuetWebhookEvent = { [T in DuetWebhookEventType]: DuetWebhookEventOf<T> }[DuetWebhookEventType];

export type WebhookFailure = 'missing' | 'malformed' | 'stale' | 'mismatch' | 'invalid_body';

export class WebhookSignatureError extends Error {
  readonly reason: WebhookFailure;
  constructor(reason: WebhookFailure, message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
    this.reason = reason;
  }
}

export interface VerifyOptions {
  /** Accepted clock difference (replay window); default 300 s. */
  toleranceSeconds?: number;
  /** The current time in Unix seconds (tests). */
  nowSeconds?: number;
}

/**
 * Checks the signature over the exact bytes received (before any JSON parsing) and returns the
 * typed event; throws WebhookSignatureError otherwise. `secret` may list several secrets (yours
 * rolled: the old and the new one).
 */
export function verifyWebhook(
  secret: string | readonly string[],
  rawBody: string | Uint8Array,
  signatureHeader: string | readonly string[] | null | undefined,
  opts: VerifyOptions = {},
): DuetWebhookEvent {
  const header = typeof signatureHeader === 'string' ? signatureHeader : signatureHeader?.[0];
  if (!header) throw new WebhookSignatureError('missing', `the ${DUET_SIGNATURE_HEADER} header is missing`);
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  let t: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1' && v) candidates.push(v);
  }
  if (t === undefined || candidates.length === 0) throw new WebhookSignatureError('malformed', 'the signature header is malformed');
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    throw new WebhookSignatureError('stale', 'the signature timestamp is outside the tolerance');
  }
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const matched = secrets.some((s) => {
    const expected = Buffer.from(createHmac('sha256', s).update(`${t}.${body}`).digest('hex'), 'utf8');
    return candidates.some((c) => {
      const got = Buffer.from(c, 'utf8');
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
  });
  if (!matched) throw new WebhookSignatureError('mismatch', 'the signature does not match');
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    throw new WebhookSignatureError('invalid_body', 'the body is not JSON');
  }
  const e = event as Partial<Record<string, unknown>> | null;
  if (!e || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.session_id !== 'string') {
    throw new WebhookSignatureError('invalid_body', 'the body is not a Duet event');
  }
  return e as DuetWebhookEvent;
}
