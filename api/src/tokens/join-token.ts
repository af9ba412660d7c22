// Join tokens: short-lived JWTs the marketplace hands to a participant. Signed with Ed25519 (EdDSA):
// the API alone holds the private key; media nodes verify with public keys (GET /v1/join-keys), so a
// compromised node cannot mint tokens. The algorithm is pinned on both sides (a token never picks its
// own verification method: "none", HS256 or HS256 keyed with the public key are refused), and every
// token names its key (`kid`) so two keys can be valid at once during a rotation.
import { createHash, createPrivateKey, createPublicKey, hkdfSync, randomUUID, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';

export const JOIN_TOKEN_ALG = 'EdDSA';
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

export interface JoinSigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The raw 32-byte public key, base64url (the JWK `x`). */
  x: string;
}

/** A public key as published in the JWKS (RFC 8037). */
export interface JoinPublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  kid: string;
  x: string;
  alg: 'EdDSA';
  use: 'sig';
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The kid names a public key: the first 16 characters of base64url(SHA-256(raw public key)). */
export function kidOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest('base64url').slice(0, 16);
}

/**
 * The Ed25519 key pair derived from JOIN_TOKEN_SECRET (HKDF-SHA256): deployments, `npm start` and
 * every test harness keep their one variable. Cached: the secret is fixed per process.
 */
const derived = new Map<string, JoinSigningKey>();
export function joinKeyOf(secret: string): JoinSigningKey {
  let key = derived.get(secret);
  if (!key) {
    if (secret.length < 32) throw new Error('JOIN_TOKEN_SECRET must be at least 32 characters');
    const seed = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'duet-join-token/ed25519/v1', 32));
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey(privateKey);
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
    key = { kid: kidOf(raw), privateKey, publicKey, x: raw.toString('base64url') };
    if (derived.size > 16) derived.clear();
    derived.set(secret, key);
  }
  return key;
}

export function publicJwkOf(key: Pick<JoinSigningKey, 'kid' | 'x'>): JoinPublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', kid: key.kid, x: key.x, alg: 'EdDSA', use: 'sig' };
}

/**
 * A published JWK back to a verification key; null when it is not an Ed25519 signing key or its
 * kid does not name its bytes (a key set cannot smuggle one key under another's kid).
 */
export function publicKeyFromJwk(jwk: unknown): { kid: string; publicKey: KeyObject } | null {
  if (jwk === null || typeof jwk !== 'object') return null;
  const { kty, crv, kid, x, alg } = jwk as Record<string, unknown>;
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof kid !== 'string' || typeof x !== 'string') return null;
  if (alg !== undefined && alg !== 'EdDSA') return null;
  if (!/^[A-Za-z0-9_-]{43}$/.test(x)) return null;
  const raw = Buffer.from(x, 'base64url');
  if (raw.length !== 32 || kidOf(raw) !== kid) return null;
  try {
    return { kid, publicKey: createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' }) };
  } catch {
    return null;
  }
}

/** Where the verifier finds the public key a token names: secrets (the API) or a lookup (a media node). */
export type JoinKeyLookup = (kid: string) => KeyObject | undefined | Promise<KeyObject | undefined>;
export type JoinVerifyKeys = string | readonly string[] | JoinKeyLookup;

function fromSecrets(secrets: string | readonly string[]): (kid: string) => KeyObject | undefined {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return (kid) => list.map(joinKeyOf).find((k) => k.kid === kid)?.publicKey;
}

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
  const key = joinKeyOf(secret);
  const header = Buffer.from(JSON.stringify({ alg: JOIN_TOKEN_ALG, typ: 'JWT', kid: key.kid })).toString('base64url');
  const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const token = `${signingInput}.${edSign(null, Buffer.from(signingInput), key.privateKey).toString('base64url')}`;
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
 * Verifies signature, algorithm (exactly EdDSA with a known kid: "none", HS256 or any other alg is
 * refused before a key is looked at), audience, issuer and expiry; optionally that it is for
 * `sessionId`. `keys`: the secret(s) whose derived public keys are accepted, or a kid lookup.
 */
export async function verifyJoinToken(keys: JoinVerifyKeys, token: string | undefined, sessionId?: string): Promise<JoinClaims> {
  const { h, p, s, kid } = parse(token);
  const lookup = typeof keys === 'function' ? keys : fromSecrets(keys);
  return check(await lookup(kid), h, p, s, sessionId);
}

export function verifyJoinTokenSync(secrets: string | readonly string[], token: string | undefined, sessionId?: string): JoinClaims {
  const { h, p, s, kid } = parse(token);
  return check(fromSecrets(secrets)(kid), h, p, s, sessionId);
}

function parse(token: string | undefined): { h: string; p: string; s: string; kid: string } {
  if (!token) throw new JoinTokenError('token_missing', 'a join token is required');
  if (token.length > 8192) throw invalid();
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid();
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  if (!header || header.alg !== JOIN_TOKEN_ALG || 'crit' in header || (header.typ !== undefined && header.typ !== 'JWT')) throw invalid();
  const kid = header.kid;
  if (typeof kid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(kid)) throw invalid();
  if (!BASE64URL.test(s)) throw invalid();
  return { h, p, s, kid };
}

function check(publicKey: KeyObject | undefined, h: string, p: string, s: string, sessionId: string | undefined): JoinClaims {
  if (!publicKey) throw invalid();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== 64 || !edVerify(null, Buffer.from(`${h}.${p}`), publicKey, given)) throw invalid();
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
