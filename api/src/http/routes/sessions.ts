// Public lesson API (/v1/sessions…): the marketplace with its API key, participants with a join token.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { requireApiKey, requireJoinToken, requireKeyOrToken } from '../../services/auth-service.ts';
import { attendanceReport } from '../../services/attendance-service.ts';
import {
  createSession,
  getSessionFor,
  issueJoinToken,
  joinSession,
} from '../../services/sessions-service.ts';
import { bearerOf } from '../bearer.ts';
import { CreateSessionBody, MintTokenBody, SessionParams } from '../schemas.ts';
import { sessionJson } from '../session-json.ts';

export function registerSessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;

  app.post<{ Body: CreateSessionBody }>(
    '/v1/sessions',
    {
      schema: { body: CreateSessionBody },
      // Authenticate before validating, so anonymous callers learn nothing about the schema.
      preValidation: async (req) => {
        requireApiKey(config, bearerOf(req));
      },
    },
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
      return reply.code(201).send(sessionJson(session, config, ctx.now()));
    },
  );

  app.get<{ Params: SessionParams }>('/v1/sessions/:id', { schema: { params: SessionParams } }, async (req) => {
    const caller = await requireKeyOrToken(config, bearerOf(req), req.params.id);
    const session = await getSessionFor(ctx, req.params.id, caller);
    return sessionJson(session, config, ctx.now());
  });

  app.post<{ Params: SessionParams; Body: MintTokenBody }>(
    '/v1/sessions/:id/tokens',
    {
      schema: { params: SessionParams, body: MintTokenBody },
      preValidation: async (req) => {
        requireApiKey(config, bearerOf(req));
      },
    },
    async (req, reply) => {
      const { token, expiresAt, joinUrl } = await issueJoinToken(ctx, req.params.id, req.body.role);
      return reply.code(201).send({ token, expires_at: expiresAt.toISOString(), join_url: joinUrl });
    },
  );

  app.post<{ Params: SessionParams }>('/v1/sessions/:id/join', { schema: { params: SessionParams } }, async (req) => {
    const claims = await requireJoinToken(config, bearerOf(req), req.params.id);
    const grant = await joinSession(ctx, req.params.id, claims);
    return {
      signaling_url: grant.signalingUrl,
      ice_servers: grant.iceServers,
      session: sessionJson(grant.session, config, ctx.now()),
      you: { role: grant.you.role, user_id: grant.you.userId, name: grant.you.name, avatar_url: grant.you.avatarUrl },
      peer: { role: grant.peer.role, user_id: grant.peer.userId, name: grant.peer.name, avatar_url: grant.peer.avatarUrl },
    };
  });

  app.get<{ Params: SessionParams }>('/v1/sessions/:id/attendance', { schema: { params: SessionParams } }, async (req) => {
    const caller = await requireKeyOrToken(config, bearerOf(req), req.params.id);
    const session = await getSessionFor(ctx, req.params.id, caller);
    return attendanceReport(ctx, session);
  });
}
