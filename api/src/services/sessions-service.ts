// Lessons: scheduling, reading, join tokens and the join decision.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import type { IceServer, MediaNode } from '../config.ts';
import { judgeJoin } from '../domain/join-window.ts';
import { canTransition, JOINABLE_STATUSES, type LessonStatus } from '../domain/lesson-status.ts';
import { endsAt, MAX_LESSON_DURATION_MS, otherRole, seat, type Participant, type Session } from '../domain/session.ts';
import { newEvent } from '../events/event.ts';
import { mintJoinToken, type JoinClaims, type Role } from '../tokens/join-token.ts';
import { redeemAndPlace } from '../repositories/join-redemptions-repo.ts';
import {
  assignMediaNode,
  findSession,
  findSessionForJoin,
  insertSession,
  listSessions,
  openLessonsPerNode,
  reassignMediaNode,
  findSessionIdByExternalId,
  setExtension,
} from '../repositories/sessions-repo.ts';
import type { Caller } from './auth-service.ts';
import { iceServersFor } from './ice-servers.ts';
import { placeOnRegisteredNode } from './placement-service.ts';
import { newSeatTicket, revokedError, supersededError, usedError } from './seat-access-service.ts';
import { changeLessonStatus } from './lesson-status-service.ts';
import { recordEvent } from './outbox-service.ts';
import { checkMetadata } from '../domain/metadata.ts';

export interface CreateSessionInput {
  title: string;
  courseTitle: string | null;
  scheduledStart: Date;
  scheduledEnd: Date;
  recording: boolean;
  tutor: Omit<Participant, 'role'>;
  student: Omit<Participant, 'role'>;
  externalId?: string | null;
  metadata?: Record<string, unknown>;
}

export const invalid = (message: string) => new ApiError(400, 'validation_failed', message);

export function checkSchedule(ctx: AppContext, start: Date, end: Date): void {
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    throw invalid('scheduled_start and scheduled_end must be valid ISO 8601 date-times');
  }
  if (end <= start) throw invalid('scheduled_end must be after scheduled_start');
  if (end.getTime() - start.getTime() > MAX_LESSON_DURATION_MS) throw invalid('a lesson lasts at most 8 hours');
  if (end <= ctx.now()) throw invalid('scheduled_end must be in the future');
}

/**
 * Schedules a lesson. With an `externalId` the key already used, the existing lesson is returned
 * instead (`created: false`), also when two creates race: the unique index decides, the loser reads.
 */
export async function createSession(ctx: AppContext, input: CreateSessionInput, ownerKey = 'env'): Promise<Session> {
  return (await createOrFindSession(ctx, input, ownerKey)).session;
}

export async function createOrFindSession(ctx: AppContext, input: CreateSessionInput, ownerKey: string): Promise<{ session: Session; created: boolean }> {
  const externalId = input.externalId ?? null;
  if (externalId !== null) {
    const existing = await findSessionIdByExternalId(ctx.sql, ownerKey, externalId);
    if (existing) return { session: await getSession(ctx, existing), created: false };
  }
  checkSchedule(ctx, input.scheduledStart, input.scheduledEnd);
  if (input.tutor.userId === input.student.userId) throw invalid('tutor.id and student.id must differ');
  const metadata = checkMetadata(input.metadata ?? {});

  const id = randomUUID();
  try {
    const session = await insertSession(ctx.sql, { id, ...input, externalId, metadata, ownerKey });
    ctx.log.info({ session_id: id }, 'lesson scheduled');
    return { session, created: true };
  } catch (err) {
    if ((err as { constraint_name?: string }).constraint_name === 'sessions_external_id' && externalId !== null) {
      const existing = await findSessionIdByExternalId(ctx.sql, ownerKey, externalId);
      if (existing) return { session: await getSession(ctx, existing), created: false };
    }
    throw err;
  }
}

export async function getSession(ctx: AppContext, id: string): Promise<Session> {
  const session = await findSession(ctx.sql, id);
  if (!session) throw notFound();
  return session;
}

/** A participant's token must still name the person who holds that seat. */
export function assertParticipant(session: Session, claims: JoinClaims): void {
  if (seat(session, claims.role).userId !== claims.userId) {
    throw new ApiError(403, 'not_a_participant', `this token's user is not the lesson's ${claims.role}`);
  }
}

export async function getSessionFor(ctx: AppContext, id: string, caller: Caller): Promise<Session> {
  const session = await getSession(ctx, id);
  if (caller.kind === 'participant') assertParticipant(session, caller.claims);
  return session;
}

export async function issueJoinToken(
  ctx: AppContext,
  id: string,
  role: Role,
): Promise<{ token: string; expiresAt: Date; joinUrl: string }> {
  const session = await getSession(ctx, id);
  const p = seat(session, role);
  // A link lives until the lesson's join window can close at the latest (its end plus the most
  // extension a tutor may still add), capped by JOIN_TOKEN_TTL_SECONDS; never under a minute.
  const windowCloses = session.scheduledEnd.getTime() + ctx.config.maxExtensionMinutes * 60_000;
  const untilClose = Math.ceil((windowCloses - Date.now()) / 1000);
  const ttl = Math.max(60, Math.min(ctx.config.joinTokenTtlSeconds, untilClose));
  const { token, expiresAt } = await mintJoinToken(
    ctx.config.joinTokenSecret,
    { sessionId: session.id, userId: p.userId, role, name: p.name, avatarUrl: p.avatarUrl },
    ttl,
  );
  // In the fragment: browsers never send it, so the token stays out of access logs and referrers.
  const joinUrl = `${ctx.publicUrl()}/session/${encodeURIComponent(session.id)}#token=${encodeURIComponent(token)}`;
  return { token, expiresAt, joinUrl };
}

export interface TimerFacts {
  scheduledStart: Date;
  scheduledEnd: Date;
  endsAt: Date;
  extensionSeconds: number;
  maxExtensionSeconds: number;
  serverTime: Date;
}

export interface JoinGrant {
  session: Session;
  you: Participant;
  peer: Participant;
  mediaNode: string;
  signalingUrl: string;
  iceServers: IceServer[];
  timer: TimerFacts;
  seatTicket: string;
}

export function timerFacts(ctx: AppContext, session: Session): TimerFacts {
  return {
    scheduledStart: session.scheduledStart,
    scheduledEnd: session.scheduledEnd,
    endsAt: endsAt(session),
    extensionSeconds: session.extensionSeconds,
    maxExtensionSeconds: ctx.config.maxExtensionMinutes * 60,
    serverTime: ctx.now(),
  };
}

/**
 * Two round trips in the usual case: the lesson (with "is any node registered?"), then one statement
 * that redeems the token and, on a lesson's first join with a single configured node, places it.
 */
export async function joinSession(ctx: AppContext, id: string, claims: JoinClaims): Promise<JoinGrant> {
  const found = await findSessionForJoin(ctx.sql, id);
  if (!found) throw notFound();
  const { session } = found;
  assertParticipant(session, claims);
  const verdict = judgeJoin(session, ctx.config.joinEarlyMinutes, ctx.now());
  if (!verdict.ok) throw new ApiError(verdict.status, verdict.code, verdict.message, verdict.details);
  // Static placement with one configured node needs no load query: place it with the redemption.
  const nodes = ctx.config.mediaNodes;
  const placeNow = !found.registeredNodes && session.mediaNode === null && nodes.length === 1 ? nodes[0]! : null;
  const ticket = newSeatTicket();
  const placedOn = await redeemToken(ctx, session, claims, placeNow?.id ?? null, ticket.sha256);
  let node: { id: string; signalingUrl: string };
  if (placedOn !== null && placedOn === placeNow?.id) node = placeNow;
  else if (found.registeredNodes) node = (await placeOnRegisteredNode(ctx, session)) ?? (await placeLesson(ctx, session));
  else node = await placeLesson(ctx, placedOn === null ? session : { ...session, mediaNode: placedOn });
  return {
    session: { ...session, mediaNode: node.id },
    you: seat(session, claims.role),
    peer: seat(session, otherRole(claims.role)),
    mediaNode: node.id,
    signalingUrl: node.signalingUrl,
    iceServers: iceServersFor(ctx.config, claims.userId, ctx.now()),
    timer: timerFacts(ctx, session),
    seatTicket: ticket.ticket,
  };
}

/**
 * Single use where it matters: the newest token redeemed for a seat wins (an older token, e.g. a
 * leaked link, is refused once a newer one joined), and with JOIN_TOKEN_SINGLE_USE each token joins
 * once. A page reload with the current token still works by default. Returns the lesson's node
 * when `placeOn` was placed (or found) in the same statement.
 */
async function redeemToken(ctx: AppContext, session: Session, claims: JoinClaims, placeOn: string | null, ticketSha256: string): Promise<string | null> {
  const maxUses = ctx.config.joinTokenSingleUse ? 1 : 2_147_483_647;
  const { superseded, revoked, uses, mediaNode } = await redeemAndPlace(
    ctx.sql,
    { jti: claims.jti, sessionId: session.id, role: claims.role, userId: claims.userId, issuedAt: claims.issuedAt, ticketSha256 },
    placeOn,
    maxUses,
  );
  if (revoked) throw revokedError();
  if (superseded) throw supersededError();
  if (uses > maxUses) throw usedError();
  return mediaNode;
}

/** Sticky placement: the lesson keeps the node chosen at its first join (the least loaded one). */
async function placeLesson(ctx: AppContext, session: Session): Promise<MediaNode> {
  const nodes = ctx.config.mediaNodes;
  const known = nodes.find((n) => n.id === session.mediaNode);
  if (known) return known;
  if (session.mediaNode !== null && session.status !== 'scheduled') {
    // The room lives on a node that was removed from the configuration: moving it would split the two people.
    throw new ApiError(503, 'media_node_unavailable', `the lesson's media node ${session.mediaNode} is not configured`);
  }
  // One node (the usual all-in-one set-up): nothing to weigh, so no load query.
  const load = nodes.length > 1 ? await openLessonsPerNode(ctx.sql) : new Map<string, number>();
  const pick = [...nodes].sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0))[0]!;
  const chosen =
    session.mediaNode === null
      ? await assignMediaNode(ctx.sql, session.id, pick.id)
      : await reassignMediaNode(ctx.sql, session.id, session.mediaNode, pick.id);
  const node = nodes.find((n) => n.id === chosen);
  if (!node) throw new ApiError(503, 'media_node_unavailable', `the lesson's media node ${chosen} is not configured`);
  return node;
}

// ---- listing and changes by the marketplace -------------------------------------------------

export interface ListInput {
  userId?: string;
  role?: Role;
  statuses?: LessonStatus[];
  from?: Date;
  to?: Date;
  cursor?: string;
  limit: number;
}

function encodeCursor(s: Session): string {
  return Buffer.from(JSON.stringify([s.scheduledStart.toISOString(), s.id])).toString('base64url');
}

function decodeCursor(cursor: string): { start: Date; id: string } {
  try {
    const [start, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const d = new Date(start as string);
    if (typeof start === 'string' && typeof id === 'string' && !Number.isNaN(d.getTime())) return { start: d, id };
  } catch {
    // answered below
  }
  throw new ApiError(400, 'invalid_cursor', 'cursor is not a value returned as next_cursor');
}

export async function listLessons(ctx: AppContext, input: ListInput): Promise<{ sessions: Session[]; nextCursor: string | null }> {
  if (input.from && input.to && input.to <= input.from) throw invalid('to must be after from');
  const rows = await listSessions(ctx.sql, {
    userId: input.userId,
    role: input.role,
    statuses: input.statuses,
    from: input.from,
    to: input.to,
    after: input.cursor ? decodeCursor(input.cursor) : undefined,
    limit: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  return { sessions: page, nextCursor: rows.length > input.limit ? encodeCursor(page[page.length - 1]!) : null };
}

export async function archiveLesson(ctx: AppContext, id: string): Promise<Session> {
  const session = await ctx.sql.begin(async (tx) => {
    const s = await findSession(tx, id, { forUpdate: true });
    if (!s) throw notFound();
    if (!canTransition(s.status, 'archived')) {
      throw new ApiError(409, 'lesson_not_archivable', `a ${s.status} lesson cannot be archived; only completed, cancelled or no-show lessons can`);
    }
    const { session: done } = await changeLessonStatus(ctx, tx, s, 'archived', { at: ctx.now(), reason: 'archived' });
    return done;
  });
  ctx.eventsCommitted();
  return session;
}

/** The tutor (or the marketplace) adds time; the total stays within LESSON_MAX_EXTENSION_MINUTES. */
export async function extendLesson(ctx: AppContext, id: string, minutes: number, caller: Caller): Promise<Session> {
  const session = await ctx.sql.begin(async (tx) => {
    const s = await findSession(tx, id, { forUpdate: true });
    if (!s) throw notFound();
    if (caller.kind === 'participant') {
      assertParticipant(s, caller.claims);
      if (caller.claims.role !== 'tutor') throw new ApiError(403, 'tutor_only', 'only the tutor can extend the lesson');
    }
    if (!JOINABLE_STATUSES.includes(s.status)) {
      throw new ApiError(409, 'lesson_not_extendable', `a ${s.status} lesson cannot be extended`);
    }
    if (ctx.now() >= endsAt(s)) throw new ApiError(409, 'lesson_ended', 'the lesson has already reached its end');
    const max = ctx.config.maxExtensionMinutes * 60;
    const total = s.extensionSeconds + minutes * 60;
    if (total > max) {
      throw new ApiError(409, 'extension_limit', `a lesson can be extended by at most ${ctx.config.maxExtensionMinutes} minutes in total`, {
        max_extension_seconds: max,
        extension_seconds: s.extensionSeconds,
      });
    }
    await setExtension(tx, id, total);
    const extended = { ...s, extensionSeconds: total };
    await recordEvent(
      ctx,
      tx,
      newEvent('session.extended', id, {
        minutes,
        extension_seconds: total,
        ends_at: endsAt(extended).toISOString(),
        by: caller.kind === 'participant' ? { role: caller.claims.role, user_id: caller.claims.userId } : { role: 'service' },
      }, ctx.now()),
    );
    return extended;
  });
  ctx.eventsCommitted();
  ctx.log.info({ session_id: id, minutes }, 'lesson extended');
  return getSession(ctx, session.id);
}
