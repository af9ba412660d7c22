// Internal API for the media node (signaling): lesson lookups and lifecycle hooks. Hooks are
// authenticated by an HMAC over the exact bytes received, so this scope keeps the raw body.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import type { DuetEvent } from '../../events/event.ts';
import { SIGNATURE_HEADER, verify } from '../../events/signature.ts';
import { requireInternalSecret } from '../../services/auth-service.ts';
import { applyHook, isHandledHookType } from '../../services/hooks-service.ts';
import { getSession } from '../../services/sessions-service.ts';
import { joinClosesAt, joinOpensAt } from '../../domain/join-window.ts';
import { endsAt } from '../../domain/session.ts';
import { chatHistory, storeChatMessage } from '../../services/chat-service.ts';
import { bearerOf } from '../bearer.ts';
import { ChatMessageBody, HookEvent, LimitQuery, SessionParams, parseLimit } from '../schemas.ts';
import type { Static } from '@sinclair/typebox';
import { ChatHistory, ChatMessageStored, HookAccepted, InternalSessionJson, withErrors } from '../response-schemas.ts';

/**
 * This scope reads JSON bodies as strings (hook signatures cover the exact bytes received). Routes
 * parse them in preValidation, after authentication, so Fastify's schema validation then checks
 * the parsed body like everywhere else.
 */
function parseRawJson(req: FastifyRequest, what: string): void {
  const raw = typeof req.body === 'string' ? req.body : '';
  try {
    req.body = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'invalid_json', `the ${what} is not valid JSON`);
  }
}

const HOOK_BODY_LIMIT = 64 * 1024;

export async function internalRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const { config } = ctx;

  // Encapsulated: only this scope sees JSON bodies as raw strings.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: HOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  const internalFirst = async (req: FastifyRequest) => requireInternalSecret(config, bearerOf(req));

  app.get<{ Params: SessionParams }>(
    '/internal/sessions/:id',
    { schema: { params: SessionParams, response: withErrors({ 200: InternalSessionJson }) }, preValidation: internalFirst },
    async (req) => {
      const s = await getSession(ctx, req.params.id);
      return {
        id: s.id,
        status: s.status,
        recording: s.recording,
        scheduled_start: s.scheduledStart.toISOString(),
        scheduled_end: s.scheduledEnd.toISOString(),
        // The media node enforces the same window as POST /join, so a token alone never opens a room early.
        join_opens_at: joinOpensAt(s, config.joinEarlyMinutes).toISOString(),
        join_closes_at: joinClosesAt(s).toISOString(),
        // The scheduled end plus the tutor's extension: the room's timer and auto-end use it.
        ends_at: endsAt(s).toISOString(),
        extension_seconds: s.extensionSeconds,
        media_node: s.mediaNode,
      };
    },
  );

  app.post<{ Params: SessionParams; Body: ChatMessageBody }>(
    '/internal/sessions/:id/chat',
    {
      schema: { params: SessionParams, body: ChatMessageBody, response: withErrors({ 200: ChatMessageStored, 201: ChatMessageStored }) },
      preValidation: async (req) => {
        requireInternalSecret(config, bearerOf(req));
        parseRawJson(req, 'chat message');
      },
    },
    async (req, reply) => {
      const session = await getSession(ctx, req.params.id);
      const { message, created } = await storeChatMessage(ctx, session, req.body);
      return reply.code(created ? 201 : 200).send({ message });
    },
  );

  app.get<{ Params: SessionParams; Querystring: LimitQuery }>(
    '/internal/sessions/:id/chat',
    { schema: { params: SessionParams, querystring: LimitQuery, response: withErrors({ 200: ChatHistory }) }, preValidation: internalFirst },
    async (req) => {
      const session = await getSession(ctx, req.params.id);
      return chatHistory(ctx, session, parseLimit(req.query.limit, 200, 1000));
    },
  );

  app.post<{ Body: Static<typeof HookEvent> }>(
    '/internal/hooks',
    {
      schema: { body: HookEvent, response: withErrors({ 200: HookAccepted }) },
      // The signature first (over the raw bytes), then JSON, then the schema.
      preValidation: async (req) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        const header = req.headers[SIGNATURE_HEADER];
        const check = verify(config.internalHookSecret, raw, typeof header === 'string' ? header : undefined);
        if (!check.ok) throw new ApiError(401, 'signature_invalid', check.reason);
        parseRawJson(req, 'hook body');
      },
    },
    async (req, reply) => {
      const hook = req.body;
      // The lesson is in the body here, not the path: bind it like ops.ts does for path ids.
      req.log = reply.log = req.log.child({ session_id: hook.session_id, event_id: hook.id, event_type: hook.type });
      if (Number.isNaN(Date.parse(hook.created_at))) {
        throw new ApiError(400, 'validation_failed', 'created_at must be an ISO 8601 date-time');
      }
      if (!isHandledHookType(hook.type)) {
        throw new ApiError(400, 'unknown_event_type', `hook type "${hook.type}" is not handled`);
      }
      const { duplicate } = await applyHook(ctx, hook as DuetEvent);
      return duplicate ? { ok: true, duplicate: true } : { ok: true };
    },
  );
}
