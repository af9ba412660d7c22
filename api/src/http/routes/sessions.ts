// Public lesson API (/v1/sessions…): the marketplace with its API key, participants with a join token.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { LessonStatus } from '../../domain/lesson-status.ts';
import { requireJoinToken } from '../../services/auth-service.ts';
import { attendanceReport } from '../../services/attendance-service.ts';
import {
  archiveLesson,
  cancelLesson,
  createSession,
  extendLesson,
  getSessionFor,
  issueJoinToken,
  joinSession,
  listLessons,
  updateLesson,
} from '../../services/sessions-service.ts';
import { requireKey, keyOrCurrentToken } from '../caller.ts';
import { bearerOf, seatTicketOf } from '../bearer.ts';
import {
  CancelBody,
  CreateSessionBody,
  NoBody,
  ExtendBody,
  ListSessionsQuery,
  MintTokenBody,
  SessionParams,
  UpdateSessionBody,
  parseLimit,
} from '../schemas.ts';
import { sessionJson } from '../session-json.ts';
import { AttendanceJson, JoinJson, SessionJson, SessionList, TokenJson, withErrors } from '../response-schemas.ts';
import { rateLimited } from '../security.ts';
import { revokeParticipant } from '../../services/revocation-service.ts';
import { ParticipantParams, RevokeBody } from '../schemas.ts';
import { RevokedJson } from '../response-schemas.ts';

export function registerSessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;
  // Authenticate before validating, so anonymous callers learn nothing about the schema.
  const apiKeyFirst = async (req: Parameters<typeof bearerOf>[0]) => {
    requireKey(req);
  };
  const json = (s: Parameters<typeof sessionJson>[0]) => sessionJson(s, config, ctx.now());

  app.post<{ Body: CreateSessionBody }>(
    '/v1/sessions',
    { schema: { body: CreateSessionBody, response: withErrors({ 201: SessionJson }) }, preValidation: apiKeyFirst },
    async (req, reply) => {
      const b = req.body;
      const session = await createSession(ctx, {
        title: b.title,
        courseTitle: b.course_title ?? null,
        scheduledStart: new Date(b.scheduled_start),
        scheduledEnd: new Date(b.scheduled_end),
        recording: b.recording ?? false,
        tutor: { userId: b.tutor.id, name: b.tutor.name, avatarUrl: b.tutor.avatar_url ?? null },
        student: { userId: b.student.id, name: b.student.name, avatarUrl: b.student.avatar_url ?? null },
      });
      return reply.code(201).send(json(session));
    },
  );

  app.get<{ Querystring: ListSessionsQuery }>(
    '/v1/sessions',
    { schema: { querystring: ListSessionsQuery, response: withErrors({ 200: SessionList }) }, preValidation: apiKeyFirst },
    async (req) => {
      const q = req.query;
      const { sessions, nextCursor } = await listLessons(ctx, {
        userId: q.user_id,
        role: q.role,
        statuses: q.status ? (q.status.split(',') as LessonStatus[]) : undefined,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        cursor: q.cursor,
        limit: parseLimit(q.limit, 50, 200),
      });
      return { sessions: sessions.map(json), next_cursor: nextCursor };
    },
  );

  app.get<{ Params: SessionParams }>('/v1/sessions/:id', { schema: { params: SessionParams, response: withErrors({ 200: SessionJson }) } }, async (req) => {
    const caller = await keyOrCurrentToken(ctx, req, req.params.id);
    return json(await getSessionFor(ctx, req.params.id, caller));
  });

  app.patch<{ Params: SessionParams; Body: UpdateSessionBody }>(
    '/v1/sessions/:id',
    { schema: { params: SessionParams, body: UpdateSessionBody, response: withErrors({ 200: SessionJson }) }, preValidation: apiKeyFirst },
    async (req) => {
      const b = req.body;
      const session = await updateLesson(ctx, req.params.id, {
        title: b.title,
        courseTitle: b.course_title,
        recording: b.recording,
        scheduledStart: b.scheduled_start === undefined ? undefined : new Date(b.scheduled_start),
        scheduledEnd: b.scheduled_end === undefined ? undefined : new Date(b.scheduled_end),
      });
      return json(session);
    },
  );

  app.post<{ Params: SessionParams; Body: CancelBody }>(
    '/v1/sessions/:id/cancel',
    { schema: { params: SessionParams, body: CancelBody, response: withErrors({ 200: SessionJson }) }, preValidation: apiKeyFirst },
    async (req) => json(await cancelLesson(ctx, req.params.id, req.body.reason)),
  );

  app.post<{ Params: SessionParams }>(
    '/v1/sessions/:id/archive',
    { schema: { params: SessionParams, body: NoBody, response: withErrors({ 200: SessionJson }) }, preValidation: apiKeyFirst },
    async (req) => json(await archiveLesson(ctx, req.params.id)),
  );

  app.post<{ Params: SessionParams; Body: ExtendBody }>(
    '/v1/sessions/:id/extend',
    {
      schema: { params: SessionParams, body: ExtendBody, response: withErrors({ 200: SessionJson }) },
      preValidation: async (req) => {
        (req as { caller?: unknown }).caller = await keyOrCurrentToken(ctx, req, (req.params as SessionParams).id);
      },
    },
    async (req) => {
      const caller = (req as unknown as { caller: Parameters<typeof extendLesson>[3] }).caller;
      return json(await extendLesson(ctx, req.params.id, req.body.minutes, caller));
    },
  );

  app.post<{ Params: SessionParams; Body: MintTokenBody }>(
    '/v1/sessions/:id/tokens',
    { schema: { params: SessionParams, body: MintTokenBody, response: withErrors({ 201: TokenJson }) }, preValidation: apiKeyFirst, config: rateLimited(config) },
    async (req, reply) => {
      const { token, expiresAt, joinUrl } = await issueJoinToken(ctx, req.params.id, req.body.role);
      return reply.code(201).send({ token, expires_at: expiresAt.toISOString(), join_url: joinUrl });
    },
  );

  app.post<{ Params: SessionParams }>(
    '/v1/sessions/:id/join',
    {
      schema: { params: SessionParams, body: NoBody, response: withErrors({ 200: JoinJson }) },
      config: rateLimited(config),
      preValidation: async (req) => {
        (req as { claims?: unknown }).claims = await requireJoinToken(config, bearerOf(req), (req.params as SessionParams).id);
      },
    },
    async (req) => {
      const claims = (req as unknown as { claims: Parameters<typeof joinSession>[2] }).claims;
      const grant = await joinSession(ctx, req.params.id, claims);
      const t = grant.timer;
      return {
        signaling_url: grant.signalingUrl,
        seat_ticket: grant.seatTicket,
        media_node: grant.mediaNode,
        ice_servers: grant.iceServers,
        session: json(grant.session),
        you: { role: grant.you.role, user_id: grant.you.userId, name: grant.you.name, avatar_url: grant.you.avatarUrl },
        peer: { role: grant.peer.role, user_id: grant.peer.userId, name: grant.peer.name, avatar_url: grant.peer.avatarUrl },
        timer: {
          scheduled_start: t.scheduledStart.toISOString(),
          scheduled_end: t.scheduledEnd.toISOString(),
          ends_at: t.endsAt.toISOString(),
          extension_seconds: t.extensionSeconds,
          max_extension_seconds: t.maxExtensionSeconds,
          warnings_minutes_before_end: ctx.config.warningMinutes,
          server_time: t.serverTime.toISOString(),
        },
      };
    },
  );

  // The marketplace removes a participant: their links stop working and the media node closes the seat.
  app.post<{ Params: ParticipantParams; Body: RevokeBody }>(
    '/v1/sessions/:id/participants/:role/revoke',
    { schema: { params: ParticipantParams, body: RevokeBody, response: withErrors({ 200: RevokedJson }) }, preValidation: apiKeyFirst },
    async (req) => revokeParticipant(ctx, req.params.id, req.params.role, req.body?.reason?.trim() || null),
  );

  app.get<{ Params: SessionParams }>('/v1/sessions/:id/attendance', { schema: { params: SessionParams, response: withErrors({ 200: AttendanceJson }) } }, async (req) => {
    const caller = await keyOrCurrentToken(ctx, req, req.params.id);
    const session = await getSessionFor(ctx, req.params.id, caller);
    return attendanceReport(ctx, session);
  });
}
