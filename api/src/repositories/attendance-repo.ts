// SQL for attendance intervals (one open interval per seat at most, enforced by a unique index).
import type { Queryable, Tx } from '../db/connect.ts';
import type { Role } from '../tokens/join-token.ts';

export interface IntervalRow {
  id: string;
  role: Role;
  user_id: string;
  joined_at: Date;
  left_at: Date | null;
}

export async function findOpenInterval(q: Queryable, sessionId: string, role: Role): Promise<IntervalRow | null> {
  const rows = await q<IntervalRow[]>`
    select id, role, user_id, joined_at, left_at from attendance_intervals
     where session_id = ${sessionId} and role = ${role} and left_at is null`;
  return rows[0] ?? null;
}

export async function openInterval(
  q: Queryable,
  i: { sessionId: string; role: Role; userId: string; joinedAt: Date; eventId: string },
): Promise<void> {
  await q`
    insert into attendance_intervals (session_id, role, user_id, joined_at, join_event_id)
    values (${i.sessionId}, ${i.role}, ${i.userId}, ${i.joinedAt}, ${i.eventId})`;
}

/** Closes at `leftAt`, but never before the interval opened (hook clocks may disagree). */
export async function closeInterval(q: Queryable, id: string, leftAt: Date, eventId: string): Promise<void> {
  await q`
    update attendance_intervals
       set left_at = greatest(joined_at, ${leftAt}), leave_event_id = ${eventId}
     where id = ${id}`;
}

export async function presentRoles(q: Queryable, sessionId: string): Promise<Role[]> {
  const rows = await q<{ role: Role }[]>`
    select role from attendance_intervals where session_id = ${sessionId} and left_at is null order by role`;
  return rows.map((r) => r.role);
}

export async function listIntervals(q: Queryable, sessionId: string): Promise<IntervalRow[]> {
  return q<IntervalRow[]>`
    select id, role, user_id, joined_at, left_at from attendance_intervals
     where session_id = ${sessionId} order by joined_at, id`;
}

export interface FactRow {
  event_id: string;
  kind: 'join' | 'drop' | 'leave';
  at: Date;
  joined_at: Date | null;
}

export async function insertFact(
  q: Queryable,
  f: { eventId: string; sessionId: string; role: Role; userId: string; kind: FactRow['kind']; at: Date; joinedAt: Date | null },
): Promise<void> {
  await q`
    insert into attendance_facts (event_id, session_id, role, user_id, kind, at, joined_at)
    values (${f.eventId}, ${f.sessionId}, ${f.role}, ${f.userId}, ${f.kind}, ${f.at}, ${f.joinedAt})
    on conflict (event_id) do nothing`;
}

export async function listFacts(q: Queryable, sessionId: string, role: Role): Promise<FactRow[]> {
  return q<FactRow[]>`
    select event_id, kind, at, joined_at from attendance_facts
     where session_id = ${sessionId} and role = ${role} order by at, event_id`;
}

/**
 * Replaces one seat's intervals with `rows` (they are derived from the facts). Both statements are
 * issued at once (pipelined, in order, on the transaction's connection), before this returns its
 * promise: a statement issued right after the call runs after them.
 */
export async function replaceIntervals(
  q: Tx,
  sessionId: string,
  role: Role,
  userId: string,
  rows: { joinedAt: Date; leftAt: Date | null; joinEventId: string | null; leaveEventId: string | null }[],
): Promise<void> {
  const cleared = q`delete from attendance_intervals where session_id = ${sessionId} and role = ${role}`;
  if (rows.length === 0) return void (await cleared);
  await Promise.all([
    cleared,
    q`
    insert into attendance_intervals ${q(
      rows.map((r) => ({
        session_id: sessionId,
        role,
        user_id: userId,
        joined_at: r.joinedAt,
        left_at: r.leftAt,
        join_event_id: r.joinEventId,
        leave_event_id: r.leaveEventId,
      })),
    )}`,
  ]);
}
