// Internal hooks (signaling -> API), already authenticated by their signature. Each hook is applied
// in ONE transaction: receipt (idempotency by event id), attendance, status moves and outbox rows
// commit together or not at all, so a sender's retry after a failure is always safe.
import type { AppContext } from '../context.ts';
import type { Queryable } from '../db/connect.ts';
import { ApiError, notFound } from '../errors.ts';
import type { DuetEvent, EventType } from '../events/event.ts';
import type { Session } from '../domain/session.ts';
import { seat } from '../domain/session.ts';
import { ROLES, type Role } from '../tokens/join-token.ts';
import { findSession } from '../repositories/sessions-repo.ts';
import { recordHookReceipt } from '../repositories/hook-receipts-repo.ts';
import { listIntervals, presentRoles } from '../repositories/attendance-repo.ts';
import { recordJoin, recordLeave, summarize } from './attendance-service.ts';
import { changeLessonStatus } from './lesson-status-service.ts';
import { RECORDING_HOOK_HANDLERS } from './recording-hooks.ts';

type HookHandler = (ctx: AppContext, tx: Queryable, session: Session, event: DuetEvent) => Promise<void>;

/** Hook types the API understands; later issues add recorder and reconnect handlers here. */
const HANDLERS: Partial<Record<EventType, HookHandler>> = {
  'participant.joined': onParticipantJoined,
  'participant.left': onParticipantLeft,
  ...RECORDING_HOOK_HANDLERS,
};

export function isHandledHookType(type: string): boolean {
  return Object.hasOwn(HANDLERS, type);
}

export async function applyHook(ctx: AppContext, event: DuetEvent): Promise<{ duplicate: boolean }> {
  const handler = HANDLERS[event.type];
  if (!handler) throw new ApiError(400, 'unknown_event_type', `hook type ${event.type} is not handled`);
  const result = await ctx.sql.begin(async (tx) => {
    const session = await findSession(tx, event.session_id, { forUpdate: true });
    if (!session) throw notFound();
    if (!(await recordHookReceipt(tx, event))) return { duplicate: true };
    await handler(ctx, tx, session, event);
    return { duplicate: false };
  });
  if (!result.duplicate) ctx.eventsCommitted();
  return result;
}

function participantOf(session: Session, event: DuetEvent): { role: Role; userId: string } {
  const { role, user_id: userId } = event.data;
  if (!(ROLES as readonly unknown[]).includes(role) || typeof userId !== 'string') {
    throw new ApiError(400, 'invalid_event_data', `${event.type} needs data {role: "tutor"|"student", user_id}`);
  }
  if (seat(session, role as Role).userId !== userId) {
    throw new ApiError(400, 'participant_mismatch', `user ${userId} is not the lesson's ${role as string}`);
  }
  return { role: role as Role, userId };
}

async function onParticipantJoined(ctx: AppContext, tx: Queryable, session: Session, event: DuetEvent): Promise<void> {
  const { role, userId } = participantOf(session, event);
  const at = new Date(event.created_at);
  if (!(await recordJoin(tx, session, role, userId, at, event.id))) {
    ctx.log.warn({ sessionId: session.id, role, eventId: event.id }, 'participant.joined while already present; ignored');
    return;
  }
  let current = session;
  if (current.status === 'scheduled') {
    ({ session: current } = await changeLessonStatus(ctx, tx, current, 'waiting', { at, reason: 'first_join' }));
  }
  const present = await presentRoles(tx, session.id);
  if (present.length === ROLES.length && (current.status === 'waiting' || current.status === 'reconnecting')) {
    await changeLessonStatus(ctx, tx, current, 'live', { at, reason: 'both_present' });
  }
}

async function onParticipantLeft(ctx: AppContext, tx: Queryable, session: Session, event: DuetEvent): Promise<void> {
  const { role } = participantOf(session, event);
  const at = new Date(event.created_at);
  if (!(await recordLeave(tx, session, role, at, event.id))) {
    ctx.log.warn({ sessionId: session.id, role, eventId: event.id }, 'participant.left without an open interval; ignored');
    return;
  }
  // One person leaving a live lesson keeps it live; when the last one leaves, it is over.
  const present = await presentRoles(tx, session.id);
  if (present.length === 0 && (session.status === 'live' || session.status === 'reconnecting')) {
    const attendance = summarize(session, await listIntervals(tx, session.id), at).map((p) => ({
      role: p.role,
      user_id: p.user_id,
      duration_seconds: p.duration_seconds,
    }));
    await changeLessonStatus(ctx, tx, session, 'completed', { at, reason: 'both_left', data: { attendance } });
  }
}
