// Verifying a Duet webhook on the marketplace's side: `duet-signature: t=<unix>,v1=<hex>` where
// v1 = HMAC-SHA256(secret, "<t>.<raw body>"). Compare in constant time, refuse stale timestamps,
// then dedupe by the event id (deliveries are at least once).
import { verify, type VerifyFailure } from '../events/signature.ts';

export const DUET_SIGNATURE_HEADER = 'duet-signature';
export const DUET_EVENT_ID_HEADER = 'duet-event-id';

export interface DuetWebhookEvent<D = Record<string, unknown>> {
  id: string;
  type: string;
  created_at: string;
  session_id: string;
  data: D;
}

const FAILURE_MESSAGES: Record<VerifyFailure, string> = {
  missing: `the ${DUET_SIGNATURE_HEADER} header is missing`,
  malformed: 'the signature header is malformed',
  stale: 'the signature timestamp is outside the tolerance',
  mismatch: 'the signature does not match',
};

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
  const header = Array.isArray(signatureHeader) ? signatureHeader[0] : signatureHeader;
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  // The same check the API applies to internal hooks (one implementation of the scheme).
  const result = verify(secret, body, header, { toleranceSeconds: opts.toleranceSeconds, nowSeconds: opts.nowSeconds });
  if (!result.ok) throw new WebhookSignatureError(result.code, FAILURE_MESSAGES[result.code]);
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
