// GDPR erasure (API key): a whole lesson, or everything about one user id across lessons.
// Recordings and resource files leave object storage first (a storage failure aborts with 503 and
// nothing in the database changes, so the call can be retried); then, in one transaction, the
// content rows go, names are scrubbed, and an audit event records who asked, when and how many rows
// went — never the content. Kept: the lesson row's times and status, the seats' user ids and the
// attendance intervals (join/leave times), because the marketplace bills from them.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { Queryable, Tx } from '../db/connect.ts';
import { JOINABLE_STATUSES, type LessonStatus } from '../domain/lesson-status.ts';
import type { Session } from '../domain/session.ts';
import { ApiError, notFound } from '../errors.ts';
import { newEvent } from '../events/event.ts';
import { listIntervals } from '../repositories/attendance-repo.ts';
import { eraseContent, erasedAt, lessonsOfUser, markSessionErased, resourceKeys, type EraseCounts } from '../repositories/erasure-repo.ts';
import { lockSessionRecordings, type DeletedReason } from '../repositories/recordings-repo.ts';
import { findSession } from '../repositories/sessions-repo.ts';
import type { Role } from '../tokens/join-token.ts';
import { summarize } from './attendance-service.ts';
import { recordEvent } from './outbox-service.ts';
import { deleteLockedRecording } from './recording-lifecycle-service.ts';

type Counts = EraseCounts & { recordings: number };

function assertOver(status: LessonStatus, sessionId: string): void {
  if (JOINABLE_STATUSES.includes(status)) {
    throw new ApiError(409, 'session_not_over', `lesson ${sessionId} is ${status}: cancel it or wait until it is over before erasing`, { session_id: sessionId });
  }
}

/** Recordings (storage + rows) of a lesson; refuses while one is still being written. */
async function eraseRecordings(ctx: AppContext, tx: Tx, sessionId: string, reason: DeletedReason, eraseId: string): Promise<number> {
  const recs = await lockSessionRecordings(tx, sessionId);
  if (recs.some((r) => r.status === 'processing')) {
    throw new ApiError(409, 'recording_processing', `a recording of lesson ${sessionId} is still processing; erase once it is ready or failed`, { session_id: sessionId });
  }
  let n = 0;
  for (const r of recs) {
    if (r.status === 'deleted') continue;
    await deleteLockedRecording(ctx, tx, r, reason, { erase_id: eraseId });
    n++;
  }
  return n;
}

async function eraseResourceObjects(ctx: AppContext, tx: Queryable, sessionId: string, role?: Role): Promise<void> {
  try {
    const keys = new Set(await resourceKeys(tx, sessionId, role));
    // A whole lesson: also whatever sits under its prefix without a row (an upload cut short).
    if (!role) for (const o of await ctx.objects.list(`resources/sessions/${sessionId}/`)) keys.add(o.key);
    for (const k of keys) await ctx.objects.delete(k);
  } catch (err) {
    ctx.log.warn({ sessionId, err: (err as Error).message }, 'erase: object storage failed');
    throw new ApiError(503, 'storage_unavailable', 'object storage did not answer; nothing was erased, retry later');
  }
}

function billingFacts(ctx: AppContext, s: Session, intervals: Awaited<ReturnType<typeof listIntervals>>) {
  const seats = summarize(s, intervals, ctx.now());
  return {
    status: s.status,
    scheduled_start: s.scheduledStart.toISOString(),
    scheduled_end: s.scheduledEnd.toISOString(),
    started_at: s.startedAt?.toISOString() ?? null,
    ended_at: s.endedAt?.toISOString() ?? null,
    attended_seconds: Object.fromEntries(seats.map((e) => [e.role, e.duration_seconds])),
  };
}

export interface LessonErasure {
  erase_id: string;
  session_id: string;
  erased_at: string;
  counts: Counts;
  kept: ReturnType<typeof billingFacts>;
}

export async function eraseLesson(ctx: AppContext, sessionId: string, requestedBy: string | null): Promise<LessonErasure> {
  const result = await ctx.sql.begin(async (tx) => {
    const session = await findSession(tx, sessionId, { forUpdate: true });
    if (!session) throw notFound();
    assertOver(session.status, session.id);
    if (await erasedAt(tx, session.id)) throw new ApiError(409, 'session_erased', 'this lesson was already erased');
    const eraseId = `era_${randomUUID()}`;
    const kept = billingFacts(ctx, session, await listIntervals(tx, session.id));
    const recordings = await eraseRecordings(ctx, tx, session.id, 'session_erased', eraseId);
    await eraseResourceObjects(ctx, tx, session.id);
    const counts: Counts = { ...(await eraseContent(tx, session.id)), recordings };
    const at = ctx.now();
    await markSessionErased(tx, session.id, at);
    await recordEvent(ctx, tx, newEvent('session.erased', session.id, { erase_id: eraseId, requested_by: requestedBy, by: 'api_key', counts, kept }, at));
    return { erase_id: eraseId, session_id: session.id, erased_at: at.toISOString(), counts, kept };
  });
  ctx.eventsCommitted();
  return result;
}

export interface UserErasure {
  erase_id: string;
  user_id: string;
  erased_at: string;
  sessions: { session_id: string; role: Role; counts: Counts }[];
}

/** Bounds one request's work; a user with more lessons is erased in several calls (409 tells). */
const MAX_LESSONS_PER_USER_ERASE = 500;

export async function eraseUser(ctx: AppContext, userId: string, requestedBy: string | null): Promise<UserErasure> {
  const result = await ctx.sql.begin(async (tx) => {
    const seats = await lessonsOfUser(tx, userId);
    if (seats.length === 0) throw new ApiError(404, 'user_not_found', 'no lesson has a participant with this user id');
    const open = seats.filter((s) => JOINABLE_STATUSES.includes(s.status as LessonStatus)).map((s) => s.session_id);
    if (open.length > 0) throw new ApiError(409, 'user_has_open_lessons', 'cancel or finish these lessons before erasing the user', { session_ids: open.slice(0, 100) });
    if (seats.length > MAX_LESSONS_PER_USER_ERASE) throw new ApiError(409, 'too_many_lessons', `the user has ${seats.length} lessons; erase them lesson by lesson (POST /v1/sessions/:id/erase)`);
    const eraseId = `era_${randomUUID()}`;
    const at = ctx.now();
    const out: UserErasure['sessions'] = [];
    for (const seat of seats) {
      // The recording shows both people: erasing one of them removes it.
      const recordings = await eraseRecordings(ctx, tx, seat.session_id, 'user_erased', eraseId);
      await eraseResourceObjects(ctx, tx, seat.session_id, seat.role);
      const counts: Counts = { ...(await eraseContent(tx, seat.session_id, seat.role)), recordings };
      await recordEvent(ctx, tx, newEvent('user.erased', seat.session_id, { erase_id: eraseId, user_id: userId, role: seat.role, requested_by: requestedBy, by: 'api_key', counts }, at));
      out.push({ session_id: seat.session_id, role: seat.role, counts });
    }
    return { erase_id: eraseId, user_id: userId, erased_at: at.toISOString(), sessions: out };
  });
  ctx.eventsCommitted();
  return result;
}
