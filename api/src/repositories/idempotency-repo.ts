// Idempotency-Key records (migration 0080): one row per (caller scope, key).
import type { Queryable } from '../db/connect.ts';

/** How long a key's answer is kept and replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface IdempotencyRow {
  request_sha256: string;
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_type: string | null;
  response_body: string | null;
}

/**
 * Claims (scope, key) for this request: true when the caller now owns it (a new key, an expired
 * one, or an in-flight claim abandoned longer than `abandonedAfterMs` — its process died).
 */
export async function claimIdempotencyKey(
  q: Queryable,
  r: { scope: string; key: string; requestSha256: string; ttlMs: number; abandonedAfterMs: number; now: Date },
): Promise<boolean> {
  const expired = new Date(r.now.getTime() - r.ttlMs);
  const abandoned = new Date(r.now.getTime() - r.abandonedAfterMs);
  const rows = await q`
    insert into idempotency_keys (scope, key, request_sha256, state, created_at)
    values (${r.scope}, ${r.key}, ${r.requestSha256}, 'in_flight', ${r.now})
    on conflict (scope, key) do update
       set request_sha256 = excluded.request_sha256, state = 'in_flight', response_status = null,
           response_type = null, response_body = null, created_at = excluded.created_at
     where idempotency_keys.created_at < ${expired}
        or (idempotency_keys.state = 'in_flight' and idempotency_keys.created_at < ${abandoned})
    returning 1`;
  return rows.length === 1;
}

export async function findIdempotencyKey(q: Queryable, scope: string, key: string): Promise<IdempotencyRow | null> {
  const rows = await q<IdempotencyRow[]>`
    select request_sha256, state, response_status, response_type, response_body
      from idempotency_keys where scope = ${scope} and key = ${key}`;
  return rows[0] ?? null;
}

export async function storeIdempotentResponse(q: Queryable, scope: string, key: string, r: { status: number; type: string; body: string }): Promise<void> {
  await q`
    update idempotency_keys
       set state = 'done', response_status = ${r.status}, response_type = ${r.type}, response_body = ${r.body}
     where scope = ${scope} and key = ${key} and state = 'in_flight'`;
}

export async function releaseIdempotencyKey(q: Queryable, scope: string, key: string): Promise<void> {
  await q`delete from idempotency_keys where scope = ${scope} and key = ${key} and state = 'in_flight'`;
}

export async function purgeIdempotencyKeys(q: Queryable, olderThan: Date): Promise<number> {
  const rows = await q`delete from idempotency_keys where created_at < ${olderThan} returning 1`;
  return rows.length;
}
