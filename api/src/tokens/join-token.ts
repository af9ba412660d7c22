// Join tokens: short-lived JWTs the marketplace hands to a participant. The algorithm is pinned
// (HS256) on both sides so a token can never pick its own verification method ("alg: none" etc.).
import { createHmac, createSecretKey, randomUUID, timingSafeEqual, type KeyObject } from 'node:crypto';

export const JOIN_TOKEN_ALG = 'HS256';
export const JOIN_TOKEN_AUDIENCE = 'duet-join';
export const JOIN_TOKEN_ISSUER = 'duet-api';
export const ROLES = ['tutor', 'student'] as const;
export type Role = (typeof ROLES)[number];

export interface JoinClaims {
  sessionId: string;
  userId: string;
  role: Role;
  name: string;
  avatarUrl: string | null;
  jti: string;
  expiresAt: Date;
  issuedAt: Date;
}

export class JoinTokenError extends Error {
  readonly code: 'token_missing' | 'token_expired' | 'token_invalid' | 'token_wrong_session';
  constructor(code: JoinTokenError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** HMAC keys by secret: imported once, not per request (the secret is fixed per process). */
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (secret.length < 32) throw new Error('JOIN_TOKEN_SECRET must be at least 32 characters');
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keys.size > 16) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

const HEADER = Buffer.from(JSON.stringify({ alg: JOIN_TOKEN_ALG, typ: 'JWT' })).toString('base64url');
const sign = (key: KeyObject, signingInput: string) => createHmac('sha256', key).update(signingInput).digest();

// HS256 with node:crypto directly (synchronous HMAC, a cached key): the join path verifies a token
// per request, and WebCrypto's per-call key import and thread-pool hop cost more than the HMAC itself.
export async function mintJoinToken(
  secret: string,
  claims: { sessionId: string; userId: string; role: Role; name: string; avatarUrl?: string | null },
  ttlSeconds: number,
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const jti = randomUUID();
  const nowMs = Date.now();
  const nowSeconds = Math.floor(nowMs / 1000);
  const expiresAt = new Date((nowSeconds + ttlSeconds) * 1000);
  const payload = {
    sid: claims.sessionId,
    role: claims.role,
    name: claims.name,
    avatar: claims.avatarUrl ?? null,
    sub: claims.userId,
    aud: JOIN_TOKEN_AUDIENCE,
    iss: JOIN_TOKEN_ISSUER,
    jti,
    // Milliseconds kept (a NumericDate may be fractional, RFC 7519 §2): which token of a seat is
    // newest, and whether it predates a revocation, must not depend on landing in the same second.
    iat: nowMs / 1000,
    exp: Math.floor(expiresAt.getTime() / 1000),
  };
  const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const token = `${signingInput}.${sign(keyOf(secret), signingInput).toString('base64url')}`;
  return { token, jti, expiresAt };
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
function decodeJson(part: string): Record<string, unknown> | null {
  if (!BASE64URL.test(part)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const invalid = () => new JoinTokenError('token_invalid', 'the join token is invalid');

/**
 * Verifies signature, algorithm (exactly HS256: "none" or any other alg is refused before the
 * signature is looked at), audience, issuer and expiry; optionally that it is for `sessionId`.
 */
export async function verifyJoinToken(secret: string, token: string | undefined, sessionId?: string): Promise<JoinClaims> {
  return verifyJoinTokenSync(secret, token, sessionId);
}

export function verifyJoinTokenSync(secret: string, token: string | undefined, sessionId?: string): JoinClaims {
  if (!token) throw new JoinTokenError('token_missing', 'a join token is required');
  if (token.length > 8192) throw invalid();
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid();
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  if (!header || header.alg !== JOIN_TOKEN_ALG || 'crit' in header || (header.typ !== undefined && header.typ !== 'JWT')) throw invalid();
  if (!BASE64URL.test(s)) throw invalid();
  const given = Buffer.from(s, 'base64url');
  const expected = sign(keyOf(secret), `${h}.${p}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  const payload = decodeJson(p);
  if (!payload) throw invalid();
  const { sub, jti, exp, iat, nbf, aud, iss, sid, role, name, avatar } = payload;
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid();
  if (iss !== JOIN_TOKEN_ISSUER) throw invalid();
  if (!(aud === JOIN_TOKEN_AUDIENCE || (Array.isArray(aud) && aud.includes(JOIN_TOKEN_AUDIENCE)))) throw invalid();
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw invalid();
  const nowSeconds = Math.floor(Date.now() / 1000);
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds)) throw invalid();
  if (exp <= nowSeconds) throw new JoinTokenError('token_expired', 'the join token has expired');
  if (typeof sid !== 'string' || typeof name !== 'string' || !(ROLES as readonly unknown[]).includes(role)) {
    throw new JoinTokenError('token_invalid', 'the join token is missing lesson claims');
  }
  if (sessionId !== undefined && sid !== sessionId) {
    throw new JoinTokenError('token_wrong_session', 'the join token is for another lesson');
  }
  return {
    sessionId: sid,
    userId: sub,
    role: role as Role,
    name,
    avatarUrl: typeof avatar === 'string' ? avatar : null,
    jti,
    expiresAt: new Date(exp * 1000),
    issuedAt: new Date(Math.round((typeof iat === 'number' ? iat : 0) * 1000)),
  };
}
