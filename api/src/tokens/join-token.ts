// Join tokens: short-lived JWTs the marketplace hands to a participant. The algorithm is pinned
// (HS256) on both sides so a token can never pick its own verification method ("alg: none" etc.).
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';

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

function keyOf(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('JOIN_TOKEN_SECRET must be at least 32 characters');
  return new TextEncoder().encode(secret);
}

export async function mintJoinToken(
  secret: string,
  claims: { sessionId: string; userId: string; role: Role; name: string; avatarUrl?: string | null },
  ttlSeconds: number,
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const jti = randomUUID();
  const nowSeconds = Math.floor(Date.now() / 1000);
  const expiresAt = new Date((nowSeconds + ttlSeconds) * 1000);
  const token = await new SignJWT({
    sid: claims.sessionId,
    role: claims.role,
    name: claims.name,
    avatar: claims.avatarUrl ?? null,
  })
    .setProtectedHeader({ alg: JOIN_TOKEN_ALG, typ: 'JWT' })
    .setSubject(claims.userId)
    .setAudience(JOIN_TOKEN_AUDIENCE)
    .setIssuer(JOIN_TOKEN_ISSUER)
    .setJti(jti)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keyOf(secret));
  return { token, jti, expiresAt };
}

/** Verifies signature, algorithm, audience, issuer and expiry; optionally that it is for `sessionId`. */
export async function verifyJoinToken(secret: string, token: string | undefined, sessionId?: string): Promise<JoinClaims> {
  if (!token) throw new JoinTokenError('token_missing', 'a join token is required');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: [JOIN_TOKEN_ALG],
      audience: JOIN_TOKEN_AUDIENCE,
      issuer: JOIN_TOKEN_ISSUER,
      requiredClaims: ['sub', 'jti', 'exp'],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new JoinTokenError('token_expired', 'the join token has expired');
    throw new JoinTokenError('token_invalid', 'the join token is invalid');
  }
  const { sid, role, name, avatar } = payload as Record<string, unknown>;
  if (typeof sid !== 'string' || typeof name !== 'string' || !(ROLES as readonly unknown[]).includes(role)) {
    throw new JoinTokenError('token_invalid', 'the join token is missing lesson claims');
  }
  if (sessionId !== undefined && sid !== sessionId) {
    throw new JoinTokenError('token_wrong_session', 'the join token is for another lesson');
  }
  return {
    sessionId: sid,
    userId: payload.sub!,
    role: role as Role,
    name,
    avatarUrl: typeof avatar === 'string' ? avatar : null,
    jti: payload.jti!,
    expiresAt: new Date(payload.exp! * 1000),
    issuedAt: new Date((typeof payload.iat === 'number' ? payload.iat : 0) * 1000),
  };
}
