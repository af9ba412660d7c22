// Public lesson API (/v1/sessions…): the marketplace with its API key, participants with a join token.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import type { LessonStatus } from '../../domain/lesson-status.ts';
import { requireJoinToken } from '../../services/auth-service.ts';
import { attendanceReport } from '../../services/attendance-service.ts';
import {
  archiveLesson,
  createOrFindSession,
  extendLesson,
  getSessionFor,
  issueJoinToken,
  joinSession,
  listLessons,
} from '../../services/sessions-service.ts';
import { cancelLesson, changeParticipant, updateLesson } from '../../services/lesson-changes-service.ts';
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
import { ParticipantInput, ParticipantParams, RevokeBody } from '../schemas.ts';
import type { Static } from '@sinclair/typebox';
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
    {
      schema: {
        operationId: 'createLesson',
        summary: 'Schedule a lesson (201), or get the one this key created with the same external_id (200)',
        description:
          'Send `Idempotency-Key` to retry safely; `external_id` (your booking id) makes the create itself idempotent per API key: ' +
          'a create with a known external_id answers 200 with that lesson, whatever the other fields.',
        body: CreateSessionBody,
        response: withErrors({ 200: SessionJson, 201: SessionJson }),
      },
      preValidation: apiKeyFirst,
    },
    async (req, reply) => {
      const b = req.body;
      const { session, created } = await createOrFindSession(ctx, {
        title: b.title,
        courseTitle: b.course_title ?? null,
        scheduledStart: new Date(b.scheduled_start),
        scheduledEnd: new Date(b.scheduled_end),
        recording: b.recording ?? false,
        tutor: { userId: b.tutor.id, name: b.tutor.name, avatarUrl: b.tutor.avatar_url ?? null },
        student: { userId: b.student.id, name: b.student.name, avatarUrl: b.student.avatar_url ?? null },
        externalId: b.external_id ?? null,
        metadata: b.metadata ?? {},
      }, requireKey(req).id);
      return reply.code(created ? 201 : 200).send(json(session));
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
    return sessionJson(await getSessionFor(ctx, req.params.id, caller), config, ctx.now(), caller.kind === 'service');
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
        metadata: b.metadata,
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
        session: sessionJson(grant.session, config, ctx.now(), false),
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

  // The marketplace changes who sits in a seat of a scheduled lesson (old links stop working).
  app.put<{ Params: ParticipantParams; Body: Static<typeof ParticipantInput> }>(
    '/v1/sessions/:id/participants/:role',
    {
      schema: {
        operationId: 'changeParticipant',
        summary: "Change a scheduled lesson's tutor or student (a different person: their old links stop working)",
        params: ParticipantParams,
        body: { ...ParticipantInput, examples: [{ id: 'student-77', name: 'Kim Student', avatar_url: null }] },
        response: withErrors({ 200: SessionJson }),
      },
      preValidation: apiKeyFirst,
    },
    async (req) =>
      json(await changeParticipant(ctx, req.params.id, req.params.role, { userId: req.body.id, name: req.body.name, avatarUrl: req.body.avatar_url ?? null })),
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
