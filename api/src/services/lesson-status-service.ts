// The one way a lesson's status changes: checks the transition table, compare-and-sets the row
// (the database trigger checks the same table again) and records the move as an event, all in the
// caller's transaction.
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/connect.ts';
import { ApiError } from '../errors.ts';
import { newEvent, type DuetEvent } from '../events/event.ts';
import { findTransition, IllegalTransitionError, type LessonStatus } from '../domain/lesson-status.ts';
import type { Session } from '../domain/session.ts';
import { updateSessionStatus, type StatusStamps } from '../repositories/sessions-repo.ts';
import { recordEvent } from './outbox-service.ts';

export interface StatusChange {
  /** When the fact happened (e.g. the hook's created_at); becomes the event's created_at. */
  at: Date;
  /** Why, for the event consumer: 'first_join', 'both_present', 'both_left', … */
  reason: string;
  data?: Record<string, unknown>;
  /** Extra columns set with the move (cancel reason, no-show flags, …). */
  stamps?: StatusStamps;
}

export async function changeLessonStatus(
  ctx: AppContext,
  tx: Tx,
  session: Session,
  to: LessonStatus,
  change: StatusChange,
): Promise<{ session: Session; event: DuetEvent }> {
  const from = session.status;
  const transition = findTransition(from, to);
  if (!transition) throw new IllegalTransitionError(from, to);

  const stamps: StatusStamps = {
    ...change.stamps,
    startedAt: to === 'live' && from === 'waiting' ? change.at : undefined,
    endedAt: to === 'completed' || to === 'no_show' || (to === 'cancelled' && from !== 'scheduled') ? change.at : undefined,
    cancelledAt: to === 'cancelled' ? change.at : undefined,
    archivedAt: to === 'archived' ? change.at : undefined,
    endReason: to === 'completed' || to === 'no_show' ? change.reason : undefined,
  };
  if (!(await updateSessionStatus(tx, session.id, from, to, stamps))) {
    throw new ApiError(409, 'status_conflict', `the lesson is no longer ${from}`);
  }
  const updated: Session = {
    ...session,
    status: to,
    startedAt: session.startedAt ?? stamps.startedAt ?? null,
    endedAt: session.endedAt ?? stamps.endedAt ?? null,
    cancelledAt: session.cancelledAt ?? stamps.cancelledAt ?? null,
    cancelReason: session.cancelReason ?? stamps.cancelReason ?? null,
    archivedAt: session.archivedAt ?? stamps.archivedAt ?? null,
    endReason: session.endReason ?? stamps.endReason ?? null,
    tutorNoShow: session.tutorNoShow || (stamps.tutorNoShow ?? false),
    studentNoShow: session.studentNoShow || (stamps.studentNoShow ?? false),
    updatedAt: ctx.now(),
  };
  const event = newEvent(
    transition.event,
    session.id,
    {
      from,
      to,
      reason: change.reason,
      ...(to === 'live' && updated.startedAt ? { started_at: updated.startedAt.toISOString() } : {}),
      ...(to === 'completed' && updated.endedAt ? { ended_at: updated.endedAt.toISOString() } : {}),
      ...change.data,
    },
    change.at,
  );
  await recordEvent(ctx, tx, event);
  ctx.log.info({ session_id: session.id, from, to, reason: change.reason, eventId: event.id }, 'lesson status changed');
  return { session: updated, event };
}
