// Changes the marketplace makes to a lesson: details and time (session.rescheduled), metadata,
// who sits in a seat (participant.changed), and cancelling one that has not ended (even running).
import type { AppContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { canTransition } from '../domain/lesson-status.ts';
import { checkMetadata } from '../domain/metadata.ts';
import { otherRole, seat, type Participant, type Session } from '../domain/session.ts';
import { newEvent } from '../events/event.ts';
import { revokeSeat } from '../repositories/join-redemptions-repo.ts';
import { findSession, setMetadata, updateDetails, updateParticipant, updateSchedule } from '../repositories/sessions-repo.ts';
import type { Role } from '../tokens/join-token.ts';
import { changeLessonStatus } from './lesson-status-service.ts';
import { notifyNodeOfRevocation, tellNodeCancelled } from './node-notify.ts';
import { recordEvent } from './outbox-service.ts';
import { checkSchedule, getSession, invalid } from './sessions-service.ts';

export interface UpdateInput {
  title?: string;
  courseTitle?: string | null;
  recording?: boolean;
  scheduledStart?: Date;
  scheduledEnd?: Date;
  metadata?: Record<string, unknown>;
}

/**
 * Details and schedule can change only while the lesson is still scheduled (nobody has joined);
 * metadata alone can change at any time. A new time writes `session.rescheduled`.
 */
export async function updateLesson(ctx: AppContext, id: string, input: UpdateInput): Promise<Session> {
  const metadata = input.metadata === undefined ? undefined : checkMetadata(input.metadata);
  let rescheduled = false;
  await ctx.sql.begin(async (tx) => {
    const session = await findSession(tx, id, { forUpdate: true });
    if (!session) throw notFound();
    const onlyMetadata = Object.entries(input).every(([k, v]) => k === 'metadata' || v === undefined);
    if (session.status !== 'scheduled' && !onlyMetadata) {
      throw new ApiError(409, 'lesson_not_scheduled', `a ${session.status} lesson cannot be changed; only scheduled lessons can (metadata can always change)`);
    }
    const start = input.scheduledStart ?? session.scheduledStart;
    const end = input.scheduledEnd ?? session.scheduledEnd;
    if (input.scheduledStart || input.scheduledEnd) {
      checkSchedule(ctx, start, end);
      await updateSchedule(tx, id, start, end);
      if (start.getTime() !== session.scheduledStart.getTime() || end.getTime() !== session.scheduledEnd.getTime()) {
        rescheduled = true;
        await recordEvent(
          ctx,
          tx,
          newEvent('session.rescheduled', id, {
            scheduled_start: start.toISOString(),
            scheduled_end: end.toISOString(),
            previous: { scheduled_start: session.scheduledStart.toISOString(), scheduled_end: session.scheduledEnd.toISOString() },
          }, ctx.now()),
        );
      }
    }
    if (metadata !== undefined) await setMetadata(tx, id, metadata);
    if (!onlyMetadata) await updateDetails(tx, id, { title: input.title, courseTitle: input.courseTitle, recording: input.recording });
  });
  if (rescheduled) ctx.eventsCommitted();
  ctx.log.info({ session_id: id, rescheduled }, 'lesson updated');
  return getSession(ctx, id);
}

/**
 * Who sits in a seat, changed while the lesson is scheduled. A different person (user id): every
 * link of the seat minted so far stops working (the seat revocation of the security work) and the
 * media node closes any pre-join socket; `participant.changed` says so. Same person: name/avatar only.
 */
export async function changeParticipant(ctx: AppContext, id: string, role: Role, next: Omit<Participant, 'role'>): Promise<Session> {
  const at = new Date(); // wall clock, like the tokens' own iat (revocation compares with it)
  const result = await ctx.sql.begin(async (tx) => {
    const session = await findSession(tx, id, { forUpdate: true });
    if (!session) throw notFound();
    if (session.status !== 'scheduled') {
      throw new ApiError(409, 'lesson_not_scheduled', `participants of a ${session.status} lesson cannot be changed; only scheduled lessons can`);
    }
    if (seat(session, otherRole(role)).userId === next.userId) throw invalid('tutor.id and student.id must differ');
    const previous = seat(session, role);
    const replaced = previous.userId !== next.userId;
    await updateParticipant(tx, id, role, next);
    if (replaced) await revokeSeat(tx, { sessionId: id, role, at, reason: 'participant_replaced' });
    await recordEvent(
      ctx,
      tx,
      newEvent('participant.changed', id, {
        role,
        previous: { user_id: previous.userId, name: previous.name },
        participant: { user_id: next.userId, name: next.name, avatar_url: next.avatarUrl },
        links_revoked: replaced,
      }, at),
    );
    return { session, replaced };
  });
  ctx.eventsCommitted();
  if (result.replaced) await notifyNodeOfRevocation(ctx, id, result.session.mediaNode, role);
  ctx.log.info({ session_id: id, role, replaced: result.replaced }, 'participant changed');
  return getSession(ctx, id);
}

/**
 * Cancels a lesson that is not over: scheduled, or already started (waiting, live, reconnecting).
 * A started one ends for both at once: the media node ends the room (participants see the
 * cancelled screen), the reason is kept, and the event says where it was (`from`).
 */
export async function cancelLesson(ctx: AppContext, id: string, reason: string): Promise<Session> {
  const session = await ctx.sql.begin(async (tx) => {
    const s = await findSession(tx, id, { forUpdate: true });
    if (!s) throw notFound();
    if (!canTransition(s.status, 'cancelled')) {
      throw new ApiError(409, 'lesson_not_cancellable', `a ${s.status} lesson cannot be cancelled; only lessons not over yet can`);
    }
    const { session: done } = await changeLessonStatus(ctx, tx, s, 'cancelled', {
      at: ctx.now(),
      reason: 'cancelled',
      data: { cancel_reason: reason, started: s.status !== 'scheduled' },
      stamps: { cancelReason: reason },
    });
    return done;
  });
  ctx.eventsCommitted();
  // Scheduled lessons may have pre-join sockets; started ones have a room. Best effort: the room
  // also re-reads the lesson and refuses a cancelled one anyway.
  if (session.mediaNode !== null || ctx.config.mediaNodes.length === 1) {
    const told = await tellNodeCancelled(ctx, id, session.mediaNode);
    ctx.log.info({ session_id: id, node_notified: told }, 'lesson cancelled');
  }
  return session;
}

