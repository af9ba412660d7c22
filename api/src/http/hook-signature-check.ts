// The internal hook receiver's signature check, with clock skew told apart from forgery. A hook
// whose HMAC is right but whose timestamp is outside the window comes from a real media node or
// recorder whose clock (or the API's) is off: it is logged at error with the skew in seconds and
// answered `signature_expired` with the server time, so the sender can log the skew too and keep
// retrying. The MAC is checked before anything is logged, so a forger cannot fill the log.
import { ApiError } from '../errors.ts';
import { verify } from '../events/signature.ts';

type SkewLog = { error(obj: Record<string, unknown>, msg: string): void };

export function checkHookSignature(secret: string, raw: string, header: string | undefined, log: SkewLog, nowMs = Date.now()): void {
  const check = verify(secret, raw, header, { nowSeconds: Math.floor(nowMs / 1000) });
  if (check.ok) return;
  if (check.code === 'stale' && verify(secret, raw, header, { toleranceSeconds: Number.POSITIVE_INFINITY }).ok) {
    const t = Number(/(?:^|,)\s*t=(\d+)/.exec(header ?? '')?.[1]);
    const skewSeconds = Math.round(nowMs / 1000 - t);
    log.error({ skew_seconds: skewSeconds, signed_at: new Date(t * 1000).toISOString() }, 'internal hook signed with a clock outside the signature window: fix NTP on the sender or this API');
    throw new ApiError(401, 'signature_expired', `signature timestamp is ${Math.abs(skewSeconds)} s ${skewSeconds > 0 ? 'behind' : 'ahead of'} the API's clock`, {
      server_time: new Date(nowMs).toISOString(),
      skew_seconds: skewSeconds,
    });
  }
  throw new ApiError(401, 'signature_invalid', check.reason);
}
