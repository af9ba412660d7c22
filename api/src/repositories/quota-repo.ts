// Per-lesson quota figures, read under a transaction-scoped advisory lock so two concurrent
// writers cannot both see "one left" and both insert (PostgreSQL and PGlite alike).
import type { Queryable } from '../db/connect.ts';

/** Serializes quota checks for `key` until the surrounding transaction ends. */
export async function lockQuota(tx: Queryable, key: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext(${key}))`;
}

export async function countChatMessages(q: Queryable, sessionId: string): Promise<number> {
  const rows = await q<{ n: number }[]>`select count(*)::int as n from chat_messages where session_id = ${sessionId}`;
  return rows[0]!.n;
}

export async function chatMessageExists(q: Queryable, id: string): Promise<boolean> {
  const rows = await q<{ id: string }[]>`select id from chat_messages where id = ${id}`;
  return rows.length > 0;
}

export async function countSeatAnalytics(q: Queryable, sessionId: string, role: string): Promise<number> {
  const rows = await q<{ n: number }[]>`select count(*)::int as n from analytics_events where session_id = ${sessionId} and role = ${role}`;
  return rows[0]!.n;
}

export async function resourceUsage(q: Queryable, sessionId: string): Promise<{ count: number; bytes: number }> {
  const rows = await q<{ count: number; bytes: number }[]>`
    select count(*)::int as count, coalesce(sum(size_bytes), 0)::float8 as bytes from resources where session_id = ${sessionId}`;
  return rows[0]!;
}
