// Named API keys (issue 16 item 2): created, listed, rotated (with an overlap window during which
// the old and the new secret both work) and revoked, by the CLI or an `operator` key. The secret is
// shown once, at creation or rotation; only its SHA-256 is stored, and it never reaches a log.
// DUET_API_KEY from the environment keeps working as the bootstrap key with every scope.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { API_KEY_SCOPES, type ApiKeyScope } from '../domain/api-key-scopes.ts';
import {
  findApiKey,
  findKeyBySecret,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
  touchApiKey,
  type ApiKeyRow,
} from '../repositories/api-keys-repo.ts';

/** Who is calling with an API key. */
export interface KeyPrincipal {
  /** `env` for DUET_API_KEY, else the api_keys id. */
  id: string;
  name: string;
  scopes: readonly ApiKeyScope[];
}

export const SECRET_PREFIX = 'duet_sk_';
/** duet_sk_ + 43 base64url characters (32 random bytes): anything else is not looked up. */
const SECRET_RE = /^duet_sk_[A-Za-z0-9_-]{43}$/;
export const BOOTSTRAP_KEY: KeyPrincipal = { id: 'env', name: 'DUET_API_KEY', scopes: API_KEY_SCOPES };
export const MAX_ROTATION_OVERLAP_SECONDS = 30 * 86400;

const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest();

function newSecret(): { secret: string; sha256: string; prefix: string } {
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { secret, sha256: sha256(secret).toString('hex'), prefix: secret.slice(0, SECRET_PREFIX.length + 4) };
}

/**
 * The key a bearer credential is, or null. The bootstrap key is compared as a digest in constant
 * time; a named key is found by the digest of its secret (256 random bits), and the match checked
 * again in constant time.
 */
export async function resolveApiKey(ctx: AppContext, bearer: string | undefined): Promise<KeyPrincipal | null> {
  if (bearer === undefined) return null;
  const digest = sha256(bearer);
  if (timingSafeEqual(digest, ctx.config.apiKeySha256)) return BOOTSTRAP_KEY;
  if (!SECRET_RE.test(bearer)) return null;
  const now = ctx.now();
  const row = await findKeyBySecret(ctx.sql, digest.toString('hex'), now);
  if (!row) return null;
  void touchApiKey(ctx.sql, row.id, now).catch((err: unknown) => ctx.log.warn({ err, keyId: row.id }, 'could not record API key use'));
  return { id: row.id, name: row.name, scopes: row.scopes };
}

export function apiKeyJson(k: ApiKeyRow) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: k.id,
    name: k.name,
    scopes: k.scopes,
    prefix: k.prefix,
    status: k.revoked_at ? ('revoked' as const) : ('active' as const),
    previous_secret_expires_at: iso(k.previous_expires_at),
    created_at: k.created_at.toISOString(),
    rotated_at: iso(k.rotated_at),
    revoked_at: iso(k.revoked_at),
    last_used_at: iso(k.last_used_at),
  };
}

function checkScopes(scopes: readonly string[]): ApiKeyScope[] {
  const unique = [...new Set(scopes)];
  if (unique.length === 0 || unique.some((s) => !(API_KEY_SCOPES as readonly string[]).includes(s))) {
    throw new ApiError(400, 'validation_failed', `scopes must be a non-empty list of ${API_KEY_SCOPES.join(', ')}`);
  }
  return unique as ApiKeyScope[];
}

export async function createApiKey(ctx: AppContext, name: string, scopes: readonly string[]): Promise<{ key: ApiKeyRow; secret: string }> {
  const s = newSecret();
  const key = await insertApiKey(ctx.sql, { id: `key_${randomBytes(8).toString('hex')}`, name: name.trim(), scopes: checkScopes(scopes), secretSha256: s.sha256, prefix: s.prefix });
  ctx.log.info({ keyId: key.id, scopes: key.scopes }, 'API key created');
  return { key, secret: s.secret };
}

export async function listKeys(ctx: AppContext): Promise<ApiKeyRow[]> {
  return listApiKeys(ctx.sql);
}

export async function getKey(ctx: AppContext, id: string): Promise<ApiKeyRow> {
  const key = await findApiKey(ctx.sql, id);
  if (!key) throw new ApiError(404, 'api_key_not_found', 'no such API key');
  return key;
}

/** A new secret; the old one keeps working for `overlapSeconds` (0 = stops at once). */
export async function rotateKey(ctx: AppContext, id: string, overlapSeconds: number): Promise<{ key: ApiKeyRow; secret: string }> {
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_ROTATION_OVERLAP_SECONDS) {
    throw new ApiError(400, 'validation_failed', `overlap_seconds must be an integer in [0, ${MAX_ROTATION_OVERLAP_SECONDS}]`);
  }
  const existing = await getKey(ctx, id);
  if (existing.revoked_at) throw new ApiError(409, 'api_key_revoked', 'a revoked key cannot be rotated');
  const s = newSecret();
  const key = await rotateApiKey(ctx.sql, id, { secretSha256: s.sha256, prefix: s.prefix, overlapUntil: new Date(ctx.now().getTime() + overlapSeconds * 1000) });
  if (!key) throw new ApiError(409, 'api_key_revoked', 'a revoked key cannot be rotated');
  ctx.log.info({ keyId: id, overlapSeconds }, 'API key rotated');
  return { key, secret: s.secret };
}

export async function revokeKey(ctx: AppContext, id: string, by: KeyPrincipal | null): Promise<ApiKeyRow> {
  if (by && by.id === id) throw new ApiError(409, 'api_key_self_revoke', 'a key cannot revoke itself; use another operator key or the CLI');
  const key = await revokeApiKey(ctx.sql, id);
  if (!key) throw new ApiError(404, 'api_key_not_found', 'no such API key');
  ctx.log.info({ keyId: id }, 'API key revoked');
  return key;
}
