// Attendance facts from internal hooks (in the hook's transaction) and the attendance report.
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/connect.ts';
import { presentSeconds } from '../domain/attendance.ts';
import type { Session } from '../domain/session.ts';
import { ROLES, type Role } from '../tokens/join-token.ts';
import {
  closeInterval,
  findOpenInterval,
  listIntervals,
  openInterval,
  type IntervalRow,
} from '../repositories/attendance-repo.ts';

/** Opens an interval; false when the seat already has an open one (a repeated "joined"). */
export async function recordJoin(
  tx: Queryable,
  session: Session,
  role: Role,
  userId: string,
  at: Date,
  eventId: string,
): Promise<boolean> {
  if (await findOpenInterval(tx, session.id, role)) return false;
  await openInterval(tx, { sessionId: session.id, role, userId, joinedAt: at, eventId });
  return true;
}

/** Closes the open interval; false when there is none (a "left" without a "joined"). */
export async function recordLeave(tx: Queryable, session: Session, role: Role, at: Date, eventId: string): Promise<boolean> {
  const open = await findOpenInterval(tx, session.id, role);
  if (!open) return false;
  await closeInterval(tx, open.id, at, eventId);
  return true;
}

export interface AttendanceEntry {
  role: Role;
  user_id: string;
  name: string;
  intervals: { joined_at: string; left_at: string | null }[];
  duration_seconds: number;
}

export function summarize(session: Session, rows: readonly IntervalRow[], now: Date): AttendanceEntry[] {
  return ROLES.map((role) => {
    const seat = role === 'tutor' ? session.tutor : session.student;
    const mine = rows.filter((r) => r.role === role);
    return {
      role,
      user_id: seat.userId,
      name: seat.name,
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
