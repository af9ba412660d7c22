// Internal hooks (signaling -> API), already authenticated by their signature. Each hook is applied
// in ONE transaction: receipt (idempotency by event id), attendance, status moves and outbox rows
// commit together or not at all, so a sender's retry after a failure is always safe.
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/connect.ts';
import { assertNodeMayAct, type InternalCaller } from './node-credentials.ts';
import { ApiError, notFound } from '../errors.ts';
import type { DuetEvent, EventType } from '../events/event.ts';
import type { Session } from '../domain/session.ts';
import { endsAt, seat } from '../domain/session.ts';
import { ROLES, type Role } from '../tokens/join-token.ts';
import { findSession } from '../repositories/sessions-repo.ts';
import { recordHookReceipt } from '../repositories/hook-receipts-repo.ts';
import { listIntervals } from '../repositories/attendance-repo.ts';
import { recordPresence, summarize } from './attendance-service.ts';
import { overlapSeconds } from '../domain/attendance.ts';
import { isWarningMinute, MAX_WARNING_MINUTES } from '../domain/warning-minutes.ts';
import { deliveriesWritten, recordEvent } from './outbox-service.ts';
import { changeLessonStatus } from './lesson-status-service.ts';
import { RECORDING_HOOK_HANDLERS } from './recording-hooks.ts';
import { lessonQuality } from './quality-service.ts';

type HookHandler = (ctx: AppContext, tx: Tx, session: Session, event: DuetEvent) => Promise<void>;

/** Hook types the API understands (recorder hooks are added next to these). */
const HANDLERS: Partial<Record<EventType, HookHandler>> = {
  'participant.joined': onParticipantJoined,
  'participant.left': onParticipantLeft,
  'participant.reconnecting': onParticipantReconnecting,
  'session.ended': onSessionEnded,
  'session.warning': onSessionWarning,
  'session.mode_changed': onModeChanged,
  ...RECORDING_HOOK_HANDLERS,
};

/** Lets other parts of the API (e.g. recordings) add handlers for their hook types. */
export function registerHookHandler(type: EventType, handler: HookHandler): void {
  HANDLERS[type] = handler;
}
export type { HookHandler };

export function isHandledHookType(type: string): boolean {
  return Object.hasOwn(HANDLERS, type);
}

/** `caller`: a node's own credential applies hooks only for lessons placed on that node. */
export async function applyHook(ctx: AppContext, event: DuetEvent, caller: InternalCaller = { kind: 'root' }): Promise<{ duplicate: boolean }> {
  const handler = HANDLERS[event.type];
  if (!handler) throw new ApiError(400, 'unknown_event_type', `hook type ${event.type} is not handled`);
  const result = await ctx.sql.begin(async (tx) => {
    // The lesson (locked: one lesson's hooks apply one after another) and the receipt in one round
    // trip; an unknown lesson or a node acting out of scope rolls the receipt back with the rest.
    const [session, fresh] = await Promise.all([findSession(tx, event.session_id, { forUpdate: true }), recordHookReceipt(tx, event)]);
    if (!session) throw notFound();
    assertNodeMayAct(caller, session.mediaNode, false);
    if (!fresh) return { duplicate: true, deliveries: 0 };
    await handler(ctx, tx, session, event);
    return { duplicate: false, deliveries: deliveriesWritten(tx) };
  });
  if (result.deliveries > 0) ctx.eventsCommitted();
  return { duplicate: result.duplicate };
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

function optionalDate(event: DuetEvent, field: string): Date | null {
  const v = event.data[field];
  if (v === undefined || v === null) return null;
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new ApiError(400, 'invalid_event_data', `${event.type} data.${field} must be an ISO 8601 date-time`);
  return d;
}

/** The marketplace hears about participants too: the hook itself goes out as a webhook (same id). */
async function forward(ctx: AppContext, tx: Tx, event: DuetEvent): Promise<void> {
  await recordEvent(ctx, tx, event);
}

/**
 * live/reconnecting → completed, with each participant's time and the time they were there together
 * (`overlap_seconds`) in the event. waiting → completed is the lesson both attended but never at the
 * same time (reason `never_overlapped`, `never_overlapped: true`): not a no-show, nobody penalised.
 */
export async function completeLesson(
  ctx: AppContext,
  tx: Tx,
  session: Session,
  at: Date,
  reason: string,
): Promise<Session> {
  const rows = await listIntervals(tx, session.id);
  const attendance = summarize({ ...session, endedAt: at }, rows, at).map((p) => ({
    role: p.role,
    user_id: p.user_id,
    duration_seconds: p.duration_seconds,
  }));
  const of = (role: Role) => rows.filter((r) => r.role === role).map((r) => ({ joinedAt: r.joined_at, leftAt: r.left_at }));
  const overlap = overlapSeconds(of('tutor'), of('student'), at);
  // What each room reported of its media so far (a report sent at leave may come just after).
  const quality = (await lessonQuality(tx, session.id)).participants;
  const data = { attendance, overlap_seconds: overlap, never_overlapped: reason === NEVER_OVERLAPPED, quality };
  const { session: done } = await changeLessonStatus(ctx, tx, session, 'completed', { at, reason, data });
  return done;
}

/** end_reason of a lesson both attended, one after the other, never together. */
export const NEVER_OVERLAPPED = 'never_overlapped';

async function onParticipantJoined(ctx: AppContext, tx: Tx, session: Session, event: DuetEvent): Promise<void> {
  const { role, userId } = participantOf(session, event);
  const at = new Date(event.created_at);
  // The webhook's rows go out in the same round trips as the attendance fact (one connection, in order).
  const [{ presentRoles: present }] = await Promise.all([recordPresence(tx, session, { role, userId, kind: 'join', at, eventId: event.id }), forward(ctx, tx, event)]);
  let current = session;
  if (current.status === 'scheduled') {
    ({ session: current } = await changeLessonStatus(ctx, tx, current, 'waiting', { at, reason: 'first_join' }));
  }
  if (present.length === ROLES.length && (current.status === 'waiting' || current.status === 'reconnecting')) {
    const reason = current.status === 'reconnecting' ? (event.data.resumed === true ? 'resumed' : 'rejoined') : 'both_present';
    await changeLessonStatus(ctx, tx, current, 'live', { at, reason });
  }
}

async function onParticipantLeft(ctx: AppContext, tx: Tx, session: Session, event: DuetEvent): Promise<void> {
  const { role, userId } = participantOf(session, event);
  const at = new Date(event.created_at);
  const joinedAt = optionalDate(event, 'joined_at');
  const [{ presentRoles: present }] = await Promise.all([recordPresence(tx, session, { role, userId, kind: 'leave', at, eventId: event.id, joinedAt }), forward(ctx, tx, event)]);
  // One person leaving a live lesson keeps it live; when the last one leaves, it is over. A seat
  // given up while the lesson waits for a reconnect ends it (the reconnect grace is over).
  if (session.status === 'live' && present.length === 0) {
    await completeLesson(ctx, tx, session, at, 'both_left');
  } else if (session.status === 'reconnecting') {
    await completeLesson(ctx, tx, session, at, present.length === 0 ? 'both_left' : 'reconnect_grace_over');
  }
}

async function onParticipantReconnecting(ctx: AppContext, tx: Tx, session: Session, event: DuetEvent): Promise<void> {
  const { role, userId } = participantOf(session, event);
  const at = new Date(event.created_at);
  await Promise.all([recordPresence(tx, session, { role, userId, kind: 'drop', at, eventId: event.id }), forward(ctx, tx, event)]);
  if (session.status === 'live') {
    await changeLessonStatus(ctx, tx, session, 'reconnecting', { at, reason: 'participant_dropped', data: { role } });
  }
}

const END_REASONS = ['ended_by_tutor', 'time_up'];

async function onSessionEnded(ctx: AppContext, tx: Tx, session: Session, event: DuetEvent): Promise<void> {
  const reason = event.data.reason;
  if (typeof reason !== 'string' || !END_REASONS.includes(reason)) {
    throw new ApiError(400, 'invalid_event_data', `session.ended needs data.reason: ${END_REASONS.join(' | ')}`);
  }
  if (session.status === 'live' || session.status === 'reconnecting') {
    await completeLesson(ctx, tx, session, new Date(event.created_at), reason);
  } else {
    ctx.log.info({ session_id: session.id, status: session.status, reason }, 'session.ended from the media node changes nothing');
  }
}

const MODES = ['waiting', 'p2p', 'sfu'];
/** Reasons are the media node's ModeReason values; anything shaped like one is kept (bounded). */
const MODE_REASON_RE = /^[a-z][a-z0-9_]{0,39}$/;

async function onModeChanged(ctx: AppContext, tx: Tx, _session: Session, event: DuetEvent): Promise<void> {
  const { mode, reason } = event.data;
  if (typeof mode !== 'string' || !MODES.includes(mode) || typeof reason !== 'string' || !MODE_REASON_RE.test(reason)) {
    throw new ApiError(400, 'invalid_event_data', 'session.mode_changed needs data.mode: waiting | p2p | sfu and data.reason (a lower_snake word, e.g. p2p_timeout)');
  }
  await forward(ctx, tx, { ...event, data: { mode, reason } });
}

async function onSessionWarning(ctx: AppContext, tx: Tx, session: Session, event: DuetEvent): Promise<void> {
  const m = event.data.minutes_left;
  if (!isWarningMinute(m)) throw new ApiError(400, 'invalid_event_data', `session.warning needs data.minutes_left: minutes in (0, ${MAX_WARNING_MINUTES}]`);
  await forward(ctx, tx, { ...event, data: { minutes_left: m, ends_at: endsAt(session).toISOString() } });
}
