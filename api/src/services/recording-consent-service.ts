// A participant's acknowledgement of the recording notice (the checkbox before joining a recorded
// lesson): one `recording.consent` event per seat, in the event log and out as a webhook, so the
// marketplace can show who was told and when (GET /v1/sessions/:id/events).
import type { AppContext } from '../context.ts';
import { JOINABLE_STATUSES } from '../domain/lesson-status.ts';
import { ApiError, notFound } from '../errors.ts';
import { newEvent } from '../events/event.ts';
import { findConsent } from '../repositories/events-repo.ts';
import { findSession } from '../repositories/sessions-repo.ts';
import type { JoinClaims } from '../tokens/join-token.ts';
import { recordEvent } from './outbox-service.ts';
import { assertParticipant } from './sessions-service.ts';

export interface ConsentResult {
  role: string;
  user_id: string;
  at: string;
  /** True when this seat had already consented (the first time is kept). */
  duplicate: boolean;
}

export async function recordConsent(ctx: AppContext, sessionId: string, claims: JoinClaims): Promise<ConsentResult> {
  const result = await ctx.sql.begin(async (tx) => {
    // The row lock serializes two clicks, so a seat consents once.
    const session = await findSession(tx, sessionId, { forUpdate: true });
    if (!session) throw notFound();
    assertParticipant(session, claims);
    if (!session.recording) throw new ApiError(409, 'recording_off', 'this lesson is not recorded: there is nothing to consent to');
    if (!JOINABLE_STATUSES.includes(session.status)) throw new ApiError(409, 'session_over', `the lesson is ${session.status}`);
    const earlier = await findConsent(tx, session.id, claims.role, claims.userId);
    if (earlier) return { role: claims.role, user_id: claims.userId, at: earlier.created_at, duplicate: true };
    const at = ctx.now();
    await recordEvent(ctx, tx, newEvent('recording.consent', session.id, { role: claims.role, user_id: claims.userId, at: at.toISOString(), notice: 'recorded_lesson' }, at));
    return { role: claims.role, user_id: claims.userId, at: at.toISOString(), duplicate: false };
  });
  if (!result.duplicate) ctx.eventsCommitted();
  return result;
}
