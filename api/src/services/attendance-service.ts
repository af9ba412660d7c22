// Attendance facts from internal hooks (in the hook's transaction) and the attendance report.
import type { AppContext } from '../context.ts';
import type { Queryable, Tx } from '../db/connect.ts';
import { presentSeconds } from '../domain/attendance.ts';
import type { Session } from '../domain/session.ts';
import { ROLES, type Role } from '../tokens/join-token.ts';
import { deriveIntervals, type FactKind } from '../domain/attendance-facts.ts';
import { endsAt } from '../domain/session.ts';
import { insertFact, listFacts, listIntervals, presentRoles, replaceIntervals, type IntervalRow } from '../repositories/attendance-repo.ts';

/**
 * Records one presence fact and re-derives the seat's intervals from all its facts (so hooks may
 * arrive in any order). Returns whether the seat is present afterwards, and which seats of the
 * lesson are. Two round trips to the database: the fact with the seat's facts so far, then the
 * new intervals with who is present (each pair pipelined in order on the transaction's connection).
 */
export async function recordPresence(
  tx: Tx,
  session: Session,
  fact: { role: Role; userId: string; kind: FactKind; at: Date; eventId: string; joinedAt?: Date | null },
): Promise<{ present: boolean; presentRoles: Role[] }> {
  const [, facts] = await Promise.all([insertFact(tx, { ...fact, sessionId: session.id, joinedAt: fact.joinedAt ?? null }), listFacts(tx, session.id, fact.role)]);
  const intervals = deriveIntervals(
    facts.map((f) => ({ eventId: f.event_id, kind: f.kind, at: f.at, joinedAt: f.joined_at })),
  );
  const [, roles] = await Promise.all([replaceIntervals(tx, session.id, fact.role, fact.userId, intervals), presentRoles(tx, session.id)]);
  return { present: intervals.some((i) => i.leftAt === null), presentRoles: roles };
}

export interface AttendanceEntry {
  role: Role;
  user_id: string;
  name: string;
  first_joined_at: string | null;
  last_left_at: string | null;
  no_show: boolean;
  intervals: { joined_at: string; left_at: string | null }[];
  duration_seconds: number;
}

export function summarize(session: Session, rows: readonly IntervalRow[], at: Date): AttendanceEntry[] {
  // An interval still open when the lesson ended (its "left" never came) counts until the end.
  const over = session.endedAt ?? (session.status === 'archived' ? endsAt(session) : null);
  const now = over && over < at ? over : at;
  return ROLES.map((role) => {
    const seat = role === 'tutor' ? session.tutor : session.student;
    const mine = rows.filter((r) => r.role === role);
    return {
      role,
      user_id: seat.userId,
      name: seat.name,
      first_joined_at: mine[0]?.joined_at.toISOString() ?? null,
      last_left_at: mine.length > 0 && mine.every((r) => r.left_at) ? mine[mine.length - 1]!.left_at!.toISOString() : null,
      no_show: role === 'tutor' ? session.tutorNoShow : session.studentNoShow,
      intervals: mine.map((r) => ({ joined_at: r.joined_at.toISOString(), left_at: r.left_at?.toISOString() ?? null })),
      duration_seconds: presentSeconds(
        mine.map((r) => ({ joinedAt: r.joined_at, leftAt: r.left_at })),
        now,
      ),
    };
  });
}

export async function attendanceReport(ctx: AppContext, session: Session): Promise<{ participants: AttendanceEntry[] }> {
  return { participants: summarize(session, await listIntervals(ctx.sql, session.id), ctx.now()) };
}
