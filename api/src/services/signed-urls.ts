// Short-lived signed URLs for downloads (resources, recordings): `<path>?exp=<unix>&sig=<hex>`, where
// sig = HMAC-SHA256(key, "<path>\n<exp>"). They work without headers, so `<a href>` and
// `<video src>` can use them; anyone holding one can fetch that one path until it expires.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';

export type SignedUrlCheck = { ok: true } | { ok: false; code: 'url_signature_missing' | 'url_signature_invalid' | 'url_expired' };

function mac(key: Buffer, path: string, exp: number): string {
  return createHmac('sha256', key).update(`${path}\n${exp}`).digest('hex');
}

/** `path` is the URL path only (e.g. /v1/files/…), already percent-encoded as it will be requested. */
export function signPath(key: Buffer, path: string, expiresAtSeconds: number): string {
  return `${path}?exp=${expiresAtSeconds}&sig=${mac(key, path, expiresAtSeconds)}`;
}

export function checkSignedPath(
  key: Buffer,
  path: string,
  query: { exp?: unknown; sig?: unknown },
  nowSeconds: number,
): SignedUrlCheck {
  const { exp, sig } = query;
  if (typeof exp !== 'string' || typeof sig !== 'string') return { ok: false, code: 'url_signature_missing' };
  if (!/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return { ok: false, code: 'url_signature_invalid' };
  const expected = Buffer.from(mac(key, path, Number(exp)), 'utf8');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'utf8'))) return { ok: false, code: 'url_signature_invalid' };
  // Checked after the MAC, so a forged exp cannot probe anything.
  if (Number(exp) < nowSeconds) return { ok: false, code: 'url_expired' };
  return { ok: true };
}

/** An absolute signed URL for `path` on this API, valid for `ttlSeconds` (SIGNED_URL_TTL_SECONDS). */
export function signedUrl(ctx: AppContext, path: string, ttlSeconds = ctx.config.signedUrlTtlSeconds): { url: string; expiresAt: Date } {
  const exp = Math.floor(ctx.now().getTime() / 1000) + ttlSeconds;
  return { url: ctx.publicUrl() + signPath(ctx.config.urlSigningKey, path, exp), expiresAt: new Date(exp * 1000) };
}

/** Throws 403 unless the request's exp/sig sign `path` and have not expired. */
export function requireSignedPath(ctx: AppContext, path: string, query: { exp?: unknown; sig?: unknown }): void {
  const check = checkSignedPath(ctx.config.urlSigningKey, path, query, Math.floor(ctx.now().getTime() / 1000));
  if (check.ok) return;
  const messages = {
    url_signature_missing: 'this URL needs exp and sig query parameters (ask the API for a fresh link)',
    url_signature_invalid: 'the URL signature is not valid',
    url_expired: 'the link has expired; ask the API for a fresh one',
  } as const;
  throw new ApiError(403, check.code, messages[check.code]);
}
