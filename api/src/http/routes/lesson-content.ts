// Notes, feedback, chat history and analytics of a lesson (/v1/sessions/:id/…).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { requireCurrentToken } from '../../services/auth-service.ts';
import { chatHistory } from '../../services/chat-service.ts';
import {
  readAnalytics,
  readFeedback,
  readNote,
  recordAnalytics,
  submitFeedback,
  writeNote,
} from '../../services/lesson-content-service.ts';
import { assertParticipant, getSession, getSessionFor } from '../../services/sessions-service.ts';
import { requireKey, keyOrCurrentToken } from '../caller.ts';
import { bearerOf, seatTicketOf } from '../bearer.ts';
import {
  AnalyticsBody,
  AnalyticsQuery,
  FeedbackBody,
  LimitQuery,
  NoteBody,
  RoleQuery,
  SessionParams,
  parseLimit,
} from '../schemas.ts';
import { Accepted, AnalyticsList, ChatHistory, FeedbackCreated, FeedbackList, NoteJson, withErrors } from '../response-schemas.ts';

export function registerLessonContentRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;
  const sessionId = (req: FastifyRequest) => (req.params as SessionParams).id;
  // Authentication runs before body validation, so anonymous callers learn nothing about the schema.
  const participantFirst = async (req: FastifyRequest) => {
    (req as { claims?: unknown }).claims = await requireCurrentToken(ctx, bearerOf(req), seatTicketOf(req), sessionId(req));
  };
  const claimsOf = (req: FastifyRequest) => (req as unknown as { claims: Awaited<ReturnType<typeof requireCurrentToken>> }).claims;
  async function participantSession(req: FastifyRequest) {
    const claims = claimsOf(req);
    const session = await getSession(ctx, sessionId(req));
    assertParticipant(session, claims);
    return { claims, session };
  }

  app.get<{ Params: SessionParams; Querystring: RoleQuery }>(
    '/v1/sessions/:id/notes',
    { schema: { params: SessionParams, querystring: RoleQuery, response: withErrors({ 200: NoteJson }) } },
    async (req) => {
      const caller = await keyOrCurrentToken(ctx, req, req.params.id);
      const session = await getSessionFor(ctx, req.params.id, caller);
      if (caller.kind === 'participant') {
        if (req.query.role && req.query.role !== caller.claims.role) {
          throw new ApiError(403, 'notes_private', "notes are private: a participant reads only their own");
        }
        return readNote(ctx, session, caller.claims.role);
      }
      if (!req.query.role) throw new ApiError(400, 'validation_failed', 'with the API key, say whose notes: ?role=tutor|student');
      return readNote(ctx, session, req.query.role);
    },
  );

  app.put<{ Params: SessionParams; Body: NoteBody }>(
    '/v1/sessions/:id/notes',
    { schema: { params: SessionParams, body: NoteBody, response: withErrors({ 200: NoteJson }) }, preValidation: participantFirst },
    async (req) => {
      const { claims, session } = await participantSession(req);
      return writeNote(ctx, session, claims, req.body.text);
    },
  );

  app.post<{ Params: SessionParams; Body: FeedbackBody }>(
    '/v1/sessions/:id/feedback',
    { schema: { params: SessionParams, body: FeedbackBody, response: withErrors({ 201: FeedbackCreated }) }, preValidation: participantFirst },
    async (req, reply) => {
      const { claims, session } = await participantSession(req);
      const comment = req.body.comment?.trim() ? req.body.comment.trim() : null;
      return reply.code(201).send(await submitFeedback(ctx, session, claims, { rating: req.body.rating, comment }));
    },
  );

  app.get<{ Params: SessionParams }>('/v1/sessions/:id/feedback', { schema: { params: SessionParams, response: withErrors({ 200: FeedbackList }) } }, async (req) => {
    const caller = await keyOrCurrentToken(ctx, req, req.params.id);
    const session = await getSessionFor(ctx, req.params.id, caller);
    return readFeedback(ctx, session, caller);
  });

  app.get<{ Params: SessionParams; Querystring: LimitQuery }>(
    '/v1/sessions/:id/chat',
    { schema: { params: SessionParams, querystring: LimitQuery, response: withErrors({ 200: ChatHistory }) } },
    async (req) => {
      const caller = await keyOrCurrentToken(ctx, req, req.params.id);
      const session = await getSessionFor(ctx, req.params.id, caller);
      return chatHistory(ctx, session, parseLimit(req.query.limit, 200, 1000));
    },
  );

  app.post<{ Params: SessionParams; Body: AnalyticsBody }>(
    '/v1/sessions/:id/analytics',
    { schema: { params: SessionParams, body: AnalyticsBody, response: withErrors({ 202: Accepted }) }, bodyLimit: 16 * 1024, preValidation: participantFirst },
    async (req, reply) => {
      const { claims, session } = await participantSession(req);
      await recordAnalytics(ctx, session, claims, { type: req.body.type, at: new Date(req.body.at), data: req.body.data ?? {} });
      return reply.code(202).send({ ok: true });
    },
  );

  app.get<{ Params: SessionParams; Querystring: AnalyticsQuery }>(
    '/v1/sessions/:id/analytics',
    {
      schema: { params: SessionParams, querystring: AnalyticsQuery, response: withErrors({ 200: AnalyticsList }) },
      preValidation: async (req) => {
        requireKey(req);
      },
    },
    async (req) => {
      const session = await getSession(ctx, req.params.id);
      return readAnalytics(ctx, session, parseLimit(req.query.limit, 1000, 10000), req.query.type);
    },
  );
}
