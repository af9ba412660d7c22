// Verifying a Duet webhook on the marketplace's side: `duet-signature: t=<unix>,v1=<hex>` where
// v1 = HMAC-SHA256(secret, "<t>.<raw body>"). Compare in constant time, refuse stale timestamps,
// then dedupe by the event id (deliveries are at least once).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DUET_SIGNATURE_HEADER = 'duet-signature';
export const DUET_EVENT_ID_HEADER = 'duet-event-id';

export interface DuetWebhookEvent<D = Record<string, unknown>> {
  id: string;
  type: string;
  created_at: string;
  session_id: string;
  data: D;
}

export class WebhookSignatureError extends Error {
  readonly reason: 'missing' | 'malformed' | 'stale' | 'mismatch' | 'invalid_body';
  constructor(reason: WebhookSignatureError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Checks the signature over the exact bytes received and returns the parsed event. Throws
 * WebhookSignatureError otherwise. Pass the body as received (before any JSON parsing).
 */
export function verifyWebhook(
  secret: string,
  rawBody: string | Buffer,
  signatureHeader: string | string[] | undefined,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): DuetWebhookEvent {
  const tolerance = opts.toleranceSeconds ?? 300;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const header = Array.isArray(signatureHeader) ? signatureHeader[0] : signatureHeader;
  if (!header) throw new WebhookSignatureError('missing', `the ${DUET_SIGNATURE_HEADER} header is missing`);
  let t: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1' && v) candidates.push(v);
  }
  if (t === undefined || candidates.length === 0) throw new WebhookSignatureError('malformed', 'the signature header is malformed');
  if (Math.abs(now - t) > tolerance) throw new WebhookSignatureError('stale', 'the signature timestamp is outside the tolerance');
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'), 'utf8');
  const ok = candidates.some((c) => {
    const got = Buffer.from(c, 'utf8');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  if (!ok) throw new WebhookSignatureError('mismatch', 'the signature does not match');
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    throw new WebhookSignatureError('invalid_body', 'the body is not JSON');
  }
  const e = event as Partial<DuetWebhookEvent>;
  if (typeof e?.id !== 'string' || typeof e.type !== 'string' || typeof e.session_id !== 'string') {
    throw new WebhookSignatureError('invalid_body', 'the body is not a Duet event');
  }
  return e as DuetWebhookEvent;
}
