// Lessons: scheduling, reading, join tokens and the join decision.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { judgeJoin } from '../domain/join-window.ts';
import { MAX_LESSON_DURATION_MS, otherRole, seat, type Participant, type Session } from '../domain/session.ts';
import { mintJoinToken, type JoinClaims, type Role } from '../tokens/join-token.ts';
import { findSession, insertSession } from '../repositories/sessions-repo.ts';
import type { Caller } from './auth-service.ts';

export interface CreateSessionInput {
  title: string;
  courseTitle: string | null;
  scheduledStart: Date;
  scheduledEnd: Date;
  recording: boolean;
  tutor: Omit<Participant, 'role'>;
  student: Omit<Participant, 'role'>;
}

const invalid = (message: string) => new ApiError(400, 'validation_failed', message);

export async function createSession(ctx: AppContext, input: CreateSessionInput): Promise<Session> {
  const { scheduledStart: start, scheduledEnd: end } = input;
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    throw invalid('scheduled_start and scheduled_end must be valid ISO 8601 date-times');
  }
  if (end <= start) throw invalid('scheduled_end must be after scheduled_start');
  if (end.getTime() - start.getTime() > MAX_LESSON_DURATION_MS) throw invalid('a lesson lasts at most 8 hours');
  if (end <= ctx.now()) throw invalid('scheduled_end must be in the future');
  if (input.tutor.userId === input.student.userId) throw invalid('tutor.id and student.id must differ');

  const id = randomUUID();
  await ctx.sql.begin((tx) => insertSession(tx, { id, ...input }));
  ctx.log.info({ sessionId: id }, 'lesson scheduled');
  return getSession(ctx, id);
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
  const { token, expiresAt } = await mintJoinToken(
    ctx.config.joinTokenSecret,
    { sessionId: session.id, userId: p.userId, role, name: p.name, avatarUrl: p.avatarUrl },
    ctx.config.joinTokenTtlSeconds,
  );
  // In the fragment: browsers never send it, so the token stays out of access logs and referrers.
  const joinUrl = `${ctx.publicUrl()}/session/${encodeURIComponent(session.id)}#token=${encodeURIComponent(token)}`;
  return { token, expiresAt, joinUrl };
}

export interface JoinGrant {
  session: Session;
  you: Participant;
  peer: Participant;
  signalingUrl: string;
  iceServers: AppContext['config']['iceServers'];
}

export async function joinSession(ctx: AppContext, id: string, claims: JoinClaims): Promise<JoinGrant> {
  const session = await getSession(ctx, id);
  assertParticipant(session, claims);
  const verdict = judgeJoin(session, ctx.config.joinEarlyMinutes, ctx.now());
  if (!verdict.ok) throw new ApiError(verdict.status, verdict.code, verdict.message, verdict.details);
  return {
    session,
    you: seat(session, claims.role),
    peer: seat(session, otherRole(claims.role)),
    // One media node for now; placement across registered nodes comes with the node registry.
    signalingUrl: ctx.config.signalingPublicUrl,
    iceServers: ctx.config.iceServers,
  };
}
