// When a participant may enter the room: from JOIN_EARLY_MINUTES before the scheduled start until
// the scheduled end, and only while the lesson is not over.
import { JOINABLE_STATUSES } from './lesson-status.ts';
import { endsAt, type Session } from './session.ts';

export type JoinVerdict =
  | { ok: true }
  | { ok: false; status: number; code: string; message: string; details?: Record<string, unknown> };

export function joinOpensAt(session: Session, earlyMinutes: number): Date {
  return new Date(session.scheduledStart.getTime() - earlyMinutes * 60_000);
}

/** The room closes at the end, including any extension the tutor granted. */
export function joinClosesAt(session: Session): Date {
  return endsAt(session);
}

export function judgeJoin(session: Session, earlyMinutes: number, now: Date): JoinVerdict {
  switch (session.status) {
    case 'cancelled':
      return { ok: false, status: 409, code: 'lesson_cancelled', message: 'the lesson was cancelled' };
    case 'no_show':
      return { ok: false, status: 409, code: 'lesson_no_show', message: 'the lesson was marked as a no-show' };
    case 'completed':
    case 'archived':
      return { ok: false, status: 409, code: 'lesson_ended', message: 'the lesson has ended' };
  }
  if (!JOINABLE_STATUSES.includes(session.status)) {
    return { ok: false, status: 409, code: 'lesson_not_joinable', message: `the lesson is ${session.status}` };
  }
  const opensAt = joinOpensAt(session, earlyMinutes);
  if (now < opensAt) {
    return {
      ok: false,
      status: 409,
      code: 'too_early',
      message: `the lesson room opens at ${opensAt.toISOString()}`,
      details: { opens_at: opensAt.toISOString() },
    };
  }
  if (now >= joinClosesAt(session)) {
    return { ok: false, status: 409, code: 'lesson_ended', message: 'the lesson has ended' };
  }
  return { ok: true };
}
