// Internal API for the media node (signaling): lesson lookups and lifecycle hooks. Hooks are
// authenticated by an HMAC over the exact bytes received, so this scope keeps the raw body.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import type { DuetEvent } from '../../events/event.ts';
import { SIGNATURE_HEADER } from '../../events/signature.ts';
import { checkHookSignature } from '../hook-signature-check.ts';
import { assertNodeMayAct, hookSecretFor, internalCaller, NODE_HEADER, type InternalCaller } from '../../services/node-credentials.ts';
import { applyHook, isHandledHookType } from '../../services/hooks-service.ts';
import { getSession } from '../../services/sessions-service.ts';
import { internalSessionJson } from '../session-json.ts';
import { chatHistory, storeChatMessage } from '../../services/chat-service.ts';
import { bearerOf } from '../bearer.ts';
import { ChatMessageBody, HookEvent, LimitQuery, SeatCheckBody, SeatCheckQuery, SessionParams, parseLimit } from '../schemas.ts';
import { requireJoinToken } from '../../services/auth-service.ts';
import { assertSeatCurrent } from '../../services/seat-access-service.ts';
import type { Static } from '@sinclair/typebox';
import { ChatHistory, ChatMessageStored, HookAccepted, InternalSessionJson, SeatCheckJson, withErrors } from '../response-schemas.ts';

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
/** The chat a room starts with (GET /internal/sessions/:id/chat's default too). */
const CHAT_HISTORY_LIMIT = 200;

export async function internalRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const { config } = ctx;

  // Encapsulated: only this scope sees JSON bodies as raw strings.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: HOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  // The root secret, or a node's own credential (acting only for lessons placed on it).
  const callerOf = (req: FastifyRequest) => (req as unknown as { internalCaller: InternalCaller }).internalCaller;
  const internalFirst = async (req: FastifyRequest) => {
    (req as unknown as { internalCaller: InternalCaller }).internalCaller = internalCaller(config, bearerOf(req));
  };

  app.get<{ Params: SessionParams }>(
    '/internal/sessions/:id',
    { schema: { params: SessionParams, response: withErrors({ 200: InternalSessionJson }) }, preValidation: internalFirst },
    async (req) => {
      const s = await getSession(ctx, req.params.id);
      assertNodeMayAct(callerOf(req), s.mediaNode, true);
      return internalSessionJson(s, config);
    },
  );

  app.post<{ Params: SessionParams; Body: ChatMessageBody }>(
    '/internal/sessions/:id/chat',
    {
      schema: { params: SessionParams, body: ChatMessageBody, response: withErrors({ 200: ChatMessageStored, 201: ChatMessageStored }) },
      preValidation: async (req) => {
        await internalFirst(req);
        parseRawJson(req, 'chat message');
      },
    },
    async (req, reply) => {
      const session = await getSession(ctx, req.params.id);
      assertNodeMayAct(callerOf(req), session.mediaNode, true);
      const { message, created } = await storeChatMessage(ctx, session, req.body);
      return reply.code(created ? 201 : 200).send({ message });
    },
  );

  // The media node, before it lets a token stand by, take or retake a seat: is the token still
  // current for its seat (not superseded, revoked or used up), and where does the lesson live?
  // A node about to open the lesson's room asks `?include=lesson`: the facts and chat it needs come
  // with the answer (an API without this ignores the query and the node asks for them itself).
  app.post<{ Params: SessionParams; Querystring: SeatCheckQuery; Body: SeatCheckBody }>(
    '/internal/sessions/:id/seat-check',
    {
      schema: { params: SessionParams, querystring: SeatCheckQuery, body: SeatCheckBody, response: withErrors({ 200: SeatCheckJson }) },
      preValidation: async (req) => {
        await internalFirst(req);
        parseRawJson(req, 'seat check');
      },
    },
    async (req) => {
      const claims = await requireJoinToken(config, req.body.token, req.params.id);
      const standing = await assertSeatCurrent(ctx, claims, req.body.ticket, true);
      assertNodeMayAct(callerOf(req), standing.mediaNode, true);
      const answer = { ok: true, role: claims.role, user_id: claims.userId, jti: claims.jti, media_node: standing.mediaNode };
      if (req.query.include !== 'lesson') return answer;
      // Both reads at once (the lesson exists: the seat check just read it).
      const [s, { messages }] = await Promise.all([getSession(ctx, req.params.id), chatHistory(ctx, { id: req.params.id }, CHAT_HISTORY_LIMIT)]);
      return { ...answer, lesson: internalSessionJson(s, config), chat: messages };
    },
  );

  app.get<{ Params: SessionParams; Querystring: LimitQuery }>(
    '/internal/sessions/:id/chat',
    { schema: { params: SessionParams, querystring: LimitQuery, response: withErrors({ 200: ChatHistory }) }, preValidation: internalFirst },
    async (req) => {
      const session = await getSession(ctx, req.params.id);
      assertNodeMayAct(callerOf(req), session.mediaNode, true);
      return chatHistory(ctx, session, parseLimit(req.query.limit, CHAT_HISTORY_LIMIT, 1000));
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
        const node = req.headers[NODE_HEADER];
        const { secret, caller } = hookSecretFor(config, typeof node === 'string' ? node : undefined);
        checkHookSignature(secret, raw, typeof header === 'string' ? header : undefined, req.log);
        (req as unknown as { internalCaller: InternalCaller }).internalCaller = caller;
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
      const { duplicate } = await applyHook(ctx, hook as DuetEvent, callerOf(req));
      return duplicate ? { ok: true, duplicate: true } : { ok: true };
    },
  );
}
