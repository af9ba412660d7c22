// What participants leave in a lesson besides attendance: private notes, feedback after the end,
// and the web room's analytics events.
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { newEvent } from '../events/event.ts';
import type { Session } from '../domain/session.ts';
import type { JoinClaims, Role } from '../tokens/join-token.ts';
import {
  findNote,
  insertAnalytics,
  insertFeedback,
  listAnalytics,
  listFeedback,
  upsertNote,
  type FeedbackRow,
} from '../repositories/lesson-content-repo.ts';
import type { Caller } from './auth-service.ts';
import { recordEvent } from './outbox-service.ts';
import { countSeatAnalytics } from '../repositories/quota-repo.ts';
import { quotaExceeded, underQuotaLock } from './quota-service.ts';

export async function readNote(ctx: AppContext, session: Session, role: Role) {
  const row = await findNote(ctx.sql, session.id, role);
  return { role, text: row?.text ?? '', updated_at: row?.updated_at.toISOString() ?? null };
}

export async function writeNote(ctx: AppContext, session: Session, claims: JoinClaims, text: string) {
  const max = ctx.config.limits.notesMaxChars;
  if (text.length > max) throw quotaExceeded('notes_chars', max, `a note is at most ${max} characters (NOTES_MAX_CHARS)`, 413);
  const row = await upsertNote(ctx.sql, session.id, claims.role, claims.userId, text);
  return { role: row.role, text: row.text, updated_at: row.updated_at.toISOString() };
}

function feedbackJson(r: FeedbackRow) {
  return { role: r.role, user_id: r.user_id, rating: r.rating, comment: r.comment, created_at: r.created_at.toISOString() };
}

/** Feedback is about a lesson that took place: after it ended (completed, possibly archived since). */
function lessonEnded(session: Session): boolean {
  return session.status === 'completed' || (session.status === 'archived' && session.startedAt !== null && session.endedAt !== null);
}

export async function submitFeedback(
  ctx: AppContext,
  session: Session,
  claims: JoinClaims,
  input: { rating: number; comment: string | null },
) {
  if (!lessonEnded(session)) {
    throw new ApiError(409, 'lesson_not_ended', `feedback opens when the lesson has ended (it is ${session.status})`);
  }
  const row = await ctx.sql.begin(async (tx) => {
    const inserted = await insertFeedback(tx, { sessionId: session.id, role: claims.role, userId: claims.userId, ...input });
    if (!inserted) throw new ApiError(409, 'feedback_already_submitted', 'feedback was already submitted for this lesson');
    await recordEvent(ctx, tx, newEvent('feedback.submitted', session.id, feedbackJson(inserted), inserted.created_at));
    return inserted;
  });
  ctx.eventsCommitted();
  return { feedback: feedbackJson(row) };
}

/** The marketplace sees both; a participant sees their own. */
export async function readFeedback(ctx: AppContext, session: Session, caller: Caller) {
  const rows = await listFeedback(ctx.sql, session.id);
  const visible = caller.kind === 'service' ? rows : rows.filter((r) => r.role === caller.claims.role);
  return { feedback: visible.map(feedbackJson) };
}

export async function recordAnalytics(
  ctx: AppContext,
  session: Session,
  claims: JoinClaims,
  e: { type: string; at: Date; data: Record<string, unknown> },
): Promise<void> {
  if (Number.isNaN(e.at.getTime())) throw new ApiError(400, 'validation_failed', 'at must be an ISO 8601 date-time');
  if (Math.abs(e.at.getTime() - ctx.now().getTime()) > 7 * 86400_000) {
    throw new ApiError(400, 'validation_failed', 'at is more than 7 days away from the server clock');
  }
  // Per seat, so a misbehaving page of one participant cannot use up the other's events.
  const max = ctx.config.limits.analyticsMaxPerSeat;
  await underQuotaLock(ctx, `analytics:${session.id}:${claims.role}`, async (tx) => {
    if ((await countSeatAnalytics(tx, session.id, claims.role)) >= max) {
      throw quotaExceeded('analytics_events_per_seat', max, `a participant records at most ${max} analytics events per lesson (ANALYTICS_MAX_EVENTS_PER_SEAT)`);
    }
    await insertAnalytics(tx, { sessionId: session.id, role: claims.role, userId: claims.userId, ...e });
  });
}

export async function readAnalytics(ctx: AppContext, session: Session, limit: number, type?: string) {
  const rows = await listAnalytics(ctx.sql, session.id, limit, type);
  return {
    events: rows.map((r) => ({
      id: r.id,
      type: r.type,
      at: r.at.toISOString(),
      role: r.role,
      user_id: r.user_id,
      data: r.data,
      received_at: r.received_at.toISOString(),
    })),
  };
}
