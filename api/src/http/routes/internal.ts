// Internal API for the media node (signaling): lesson lookups and lifecycle hooks. Hooks are
// authenticated by an HMAC over the exact bytes received, so this scope keeps the raw body.
import type { FastifyInstance } from 'fastify';
import { Value } from '@sinclair/typebox/value';
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
import type { Static, TSchema } from '@sinclair/typebox';

/** This scope reads JSON bodies as strings (for hook signatures); other bodies are parsed here. */
function parseJsonBody<T extends TSchema>(body: unknown, schema: T, what: string): Static<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : '');
  } catch {
    throw new ApiError(400, 'invalid_json', `the ${what} is not valid JSON`);
  }
  if (!Value.Check(schema, parsed)) {
    const first = Value.Errors(schema, parsed).First();
    throw new ApiError(400, 'validation_failed', `invalid ${what}${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`);
  }
  return parsed;
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

  app.get<{ Params: SessionParams }>('/internal/sessions/:id', { schema: { params: SessionParams } }, async (req) => {
    requireInternalSecret(config, bearerOf(req));
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
  });

  app.post<{ Params: SessionParams }>('/internal/sessions/:id/chat', { schema: { params: SessionParams } }, async (req, reply) => {
    requireInternalSecret(config, bearerOf(req));
    const body = parseJsonBody(req.body, ChatMessageBody, 'chat message');
    const session = await getSession(ctx, req.params.id);
    const { message, created } = await storeChatMessage(ctx, session, body);
    return reply.code(created ? 201 : 200).send({ message });
  });

  app.get<{ Params: SessionParams; Querystring: LimitQuery }>(
    '/internal/sessions/:id/chat',
    { schema: { params: SessionParams, querystring: LimitQuery } },
    async (req) => {
      requireInternalSecret(config, bearerOf(req));
      const session = await getSession(ctx, req.params.id);
      return chatHistory(ctx, session, parseLimit(req.query.limit, 200, 1000));
    },
  );

  app.post('/internal/hooks', async (req) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const header = req.headers[SIGNATURE_HEADER];
    const check = verify(config.internalHookSecret, raw, typeof header === 'string' ? header : undefined);
    if (!check.ok) throw new ApiError(401, 'signature_invalid', check.reason);

    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ApiError(400, 'invalid_json', 'the hook body is not valid JSON');
    }
    if (!Value.Check(HookEvent, parsed)) {
      const first = Value.Errors(HookEvent, parsed).First();
      throw new ApiError(400, 'validation_failed', `invalid hook event${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`);
    }
    if (Number.isNaN(Date.parse(parsed.created_at))) {
      throw new ApiError(400, 'validation_failed', 'created_at must be an ISO 8601 date-time');
    }
    if (!isHandledHookType(parsed.type)) {
      throw new ApiError(400, 'unknown_event_type', `hook type "${parsed.type}" is not handled`);
    }
    const { duplicate } = await applyHook(ctx, parsed as DuetEvent);
    return duplicate ? { ok: true, duplicate: true } : { ok: true };
  });
}
