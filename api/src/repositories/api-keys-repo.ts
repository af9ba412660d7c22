// Named API keys (migration 0081). Only SHA-256 digests of secrets are stored.
import type { Queryable } from '../db/connect.ts';
import type { ApiKeyScope } from '../domain/api-key-scopes.ts';

export interface ApiKeyRow {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  prefix: string;
  previous_expires_at: Date | null;
  created_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = (q: Queryable) => q`id, name, scopes, prefix, previous_expires_at, created_at, rotated_at, revoked_at, last_used_at`;

export async function insertApiKey(q: Queryable, k: { id: string; name: string; scopes: ApiKeyScope[]; secretSha256: string; prefix: string }): Promise<ApiKeyRow> {
  const rows = await q<ApiKeyRow[]>`
    insert into api_keys (id, name, scopes, secret_sha256, prefix)
    values (${k.id}, ${k.name}, ${k.scopes}, ${k.secretSha256}, ${k.prefix})
    returning ${COLUMNS(q)}`;
  return rows[0]!;
}

/**
 * The live key whose current secret, or previous secret still inside its overlap window, has this
 * digest. The digest is of a 256-bit random secret: looking it up by index leaks nothing useful.
 */
export async function findKeyBySecret(q: Queryable, sha256Hex: string, now: Date): Promise<(ApiKeyRow & { matched: 'current' | 'previous' }) | null> {
  const rows = await q<(ApiKeyRow & { matched: 'current' | 'previous' })[]>`
    select ${COLUMNS(q)}, case when secret_sha256 = ${sha256Hex} then 'current' else 'previous' end as matched
      from api_keys
     where revoked_at is null
       and (secret_sha256 = ${sha256Hex} or (previous_sha256 = ${sha256Hex} and previous_expires_at > ${now}))`;
  return rows[0] ?? null;
}

export async function listApiKeys(q: Queryable): Promise<ApiKeyRow[]> {
  return q<ApiKeyRow[]>`select ${COLUMNS(q)} from api_keys order by created_at, id`;
}

export async function findApiKey(q: Queryable, id: string): Promise<ApiKeyRow | null> {
  const rows = await q<ApiKeyRow[]>`select ${COLUMNS(q)} from api_keys where id = ${id}`;
  return rows[0] ?? null;
}

/** New secret; the current one becomes the previous one until `overlapUntil`. */
export async function rotateApiKey(q: Queryable, id: string, k: { secretSha256: string; prefix: string; overlapUntil: Date }): Promise<ApiKeyRow | null> {
  const rows = await q<ApiKeyRow[]>`
    update api_keys
       set previous_sha256 = secret_sha256, previous_expires_at = ${k.overlapUntil},
           secret_sha256 = ${k.secretSha256}, prefix = ${k.prefix}, rotated_at = now()
     where id = ${id} and revoked_at is null
    returning ${COLUMNS(q)}`;
  return rows[0] ?? null;
}

export async function revokeApiKey(q: Queryable, id: string): Promise<ApiKeyRow | null> {
  const rows = await q<ApiKeyRow[]>`
    update api_keys set revoked_at = coalesce(revoked_at, now()), previous_sha256 = null, previous_expires_at = null
     where id = ${id}
    returning ${COLUMNS(q)}`;
  return rows[0] ?? null;
}

/** Recorded at most once a minute per key (a busy marketplace must not write on every request). */
export async function touchApiKey(q: Queryable, id: string, now: Date): Promise<void> {
  await q`update api_keys set last_used_at = ${now} where id = ${id} and (last_used_at is null or last_used_at < ${new Date(now.getTime() - 60_000)})`;
}
