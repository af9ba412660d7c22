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
import { joinOpensAt } from '../../domain/join-window.ts';
import { bearerOf } from '../bearer.ts';
import { HookEvent, SessionParams } from '../schemas.ts';

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
      join_closes_at: s.scheduledEnd.toISOString(),
    };
  });

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
