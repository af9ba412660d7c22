// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, used for internal hooks and
// outbound webhooks alike. Verification is constant time and rejects stale timestamps (replay).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'duet-signature';
export const EVENT_ID_HEADER = 'duet-event-id';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function sign(secret: string, rawBody: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${nowSeconds}.${rawBody}`).digest('hex');
  return `t=${nowSeconds},v1=${mac}`;
}

export type VerifyFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';
export type VerifyResult = { ok: true } | { ok: false; code: VerifyFailure; reason: string };

export function verify(
  secret: string,
  rawBody: string,
  header: string | undefined,
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, nowSeconds = Math.floor(Date.now() / 1000) } = {},
): VerifyResult {
  if (!header) return { ok: false, code: 'missing', reason: 'missing signature header' };
  let t: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1' && v) candidates.push(v);
  }
  if (t === undefined || candidates.length === 0) return { ok: false, code: 'malformed', reason: 'malformed signature header' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, code: 'stale', reason: 'signature timestamp outside tolerance' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'), 'utf8');
  for (const c of candidates) {
    const got = Buffer.from(c, 'utf8');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return { ok: true };
  }
  return { ok: false, code: 'mismatch', reason: 'signature mismatch' };
}
