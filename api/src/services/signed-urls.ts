// Short-lived signed URLs for downloads (resources, recordings): `<path>?exp=<unix>&sig=<hex>`, where
// sig = HMAC-SHA256(key, "<path>\n<exp>"). They work without headers, so `<a href>` and
// `<video src>` can use them; anyone holding one can fetch that one path until it expires.
//
// A URL minted for a participant (their join token) also names the seat's link:
// `<path>?exp=<unix>&seat=<role>.<iat ms>.<jti>&sig=<hex>`, sig = HMAC(key, "<path>\n<exp>\n<seat>").
// It follows the link: once a newer link of that seat has joined (superseded) or the seat was
// revoked, the URL is refused (403 url_link_superseded / url_link_revoked) even before it expires.
// Dropping `seat` breaks the signature, so a seat URL cannot pass for a marketplace (API key) URL.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { seatStanding } from '../repositories/join-redemptions-repo.ts';
import { ROLES, type Role } from '../tokens/join-token.ts';
import type { Caller } from './auth-service.ts';

/** The link a participant-minted URL belongs to (null: minted for the API key, not bound). */
export type SeatBinding = { role: Role; jti: string; issuedAt: Date };
export type SignedQuery = { exp?: unknown; sig?: unknown; seat?: unknown };
export type SignedUrlCheck =
  | { ok: true; seat: SeatBinding | null }
  | { ok: false; code: 'url_signature_missing' | 'url_signature_invalid' | 'url_expired' };

// role . iat in ms . jti (a UUID from join-token.ts; any token-safe id up to 64 characters).
const SEAT = /^(tutor|student)\.(\d{1,15})\.([A-Za-z0-9-]{1,64})$/;

/** The binding of a participant's join token; null for the API key (marketplace URLs are not bound). */
export function seatFor(caller: Caller): SeatBinding | null {
  return caller.kind === 'participant' ? { role: caller.claims.role, jti: caller.claims.jti, issuedAt: caller.claims.issuedAt } : null;
}

function encodeSeat(seat: SeatBinding): string {
  return `${seat.role}.${seat.issuedAt.getTime()}.${seat.jti}`;
}

function decodeSeat(value: string): SeatBinding | null {
  const m = SEAT.exec(value);
  if (!m || !(ROLES as readonly string[]).includes(m[1]!)) return null;
  return { role: m[1] as Role, issuedAt: new Date(Number(m[2])), jti: m[3]! };
}

function mac(key: Buffer, path: string, exp: number, seat: string | null): string {
  return createHmac('sha256', key).update(seat === null ? `${path}\n${exp}` : `${path}\n${exp}\n${seat}`).digest('hex');
}

/** `path` is the URL path only (e.g. /v1/files/…), already percent-encoded as it will be requested. */
export function signPath(key: Buffer, path: string, expiresAtSeconds: number, seat: SeatBinding | null = null): string {
  if (seat === null) return `${path}?exp=${expiresAtSeconds}&sig=${mac(key, path, expiresAtSeconds, null)}`;
  const s = encodeSeat(seat);
  return `${path}?exp=${expiresAtSeconds}&seat=${s}&sig=${mac(key, path, expiresAtSeconds, s)}`;
}

export function checkSignedPath(key: Buffer, path: string, query: SignedQuery, nowSeconds: number): SignedUrlCheck {
  const { exp, sig, seat } = query;
  if (typeof exp !== 'string' || typeof sig !== 'string') return { ok: false, code: 'url_signature_missing' };
  if (!/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return { ok: false, code: 'url_signature_invalid' };
  if (seat !== undefined && (typeof seat !== 'string' || decodeSeat(seat) === null)) return { ok: false, code: 'url_signature_invalid' };
  const seatText = seat === undefined ? null : (seat as string);
  const expected = Buffer.from(mac(key, path, Number(exp), seatText), 'utf8');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'utf8'))) return { ok: false, code: 'url_signature_invalid' };
  // Checked after the MAC, so a forged exp cannot probe anything.
  if (Number(exp) < nowSeconds) return { ok: false, code: 'url_expired' };
  return { ok: true, seat: seatText === null ? null : decodeSeat(seatText) };
}

/**
 * An absolute signed URL for `path` on this API, valid for `ttlSeconds` (SIGNED_URL_TTL_SECONDS).
 * `seat`: the participant's link it was minted for (it dies with that link); null for the API key.
 */
export function signedUrl(ctx: AppContext, path: string, seat: SeatBinding | null, ttlSeconds = ctx.config.signedUrlTtlSeconds): { url: string; expiresAt: Date } {
  const exp = Math.floor(ctx.now().getTime() / 1000) + ttlSeconds;
  return { url: ctx.publicUrl() + signPath(ctx.config.urlSigningKey, path, exp, seat), expiresAt: new Date(exp * 1000) };
}

/**
 * Throws 403 unless the request's exp/sig sign `path` (of lesson `sessionId`) and have not expired,
 * and, for a participant's URL, its link is still the seat's current one and not revoked.
 * Returns the seat binding, so URLs handed out from this one (playback segments) keep it.
 */
export async function requireSignedPath(ctx: AppContext, sessionId: string, path: string, query: SignedQuery): Promise<SeatBinding | null> {
  const check = checkSignedPath(ctx.config.urlSigningKey, path, query, Math.floor(ctx.now().getTime() / 1000));
  if (!check.ok) {
    const messages = {
      url_signature_missing: 'this URL needs exp and sig query parameters (ask the API for a fresh link)',
      url_signature_invalid: 'the URL signature is not valid',
      url_expired: 'the link has expired; ask the API for a fresh one',
    } as const;
    throw new ApiError(403, check.code, messages[check.code]);
  }
  if (check.seat === null) return null;
  const standing = await seatStanding(ctx.sql, { sessionId, ...check.seat });
  if (standing.revoked) throw new ApiError(403, 'url_link_revoked', 'this download link belonged to a participant who was removed from the lesson');
  if (standing.superseded) throw new ApiError(403, 'url_link_superseded', 'this download link belonged to a join link that was replaced; open the lesson with your current link');
  return check.seat;
}
