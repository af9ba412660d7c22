// SQL for attendance intervals (one open interval per seat at most, enforced by a unique index).
import type { Queryable } from '../db/connect.ts';
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
