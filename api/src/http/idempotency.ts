// Idempotency-Key on every POST of the public API (issue 16 item 1), Stripe style:
//  - the first request with a key runs; its answer (status and body, errors included, except 5xx
//    and 429, which a retry should run again) is stored for IDEMPOTENCY_TTL (24 h);
//  - a retry with the same key and the same request (method, path, query, body) gets that answer
//    replayed, with `Idempotent-Replayed: true`;
//  - the same key with a different request: 409 idempotency_key_reused;
//  - the same key while the first is still running: 409 idempotency_key_in_flight with
//    Retry-After: 1 (we answer at once rather than hold a connection; retry and get the replay).
// Keys are scoped per caller: an API key (by id, so a rotation keeps them), or a participant's seat.
// It runs after authentication and validation (a refused request stores nothing) and after the NUL
// check, which also bounds the body's nesting. Multipart uploads are matched by method, path and
// Content-Length (their body is streamed to storage by the handler, not read here).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import {
  IDEMPOTENCY_TTL_MS,
  claimIdempotencyKey,
  findIdempotencyKey,
  releaseIdempotencyKey,
  storeIdempotentResponse,
} from '../repositories/idempotency-repo.ts';
import { apiKeyOf } from './caller.ts';
import { limitCallerOf } from './security.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** An in-flight claim older than this belongs to a request whose process died: it may be taken over. */
const ABANDONED_AFTER_MS = 5 * 60_000;
/** Printable ASCII without spaces, 1–255 characters (a UUID, a ULID, "booking-123:create"). */
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

interface Claim {
  scope: string;
  key: string;
  settled: boolean;
}
const claims = new WeakMap<FastifyRequest, Claim>();

/** Object keys sorted at every level, so {a,b} and {b,a} are the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

function fingerprint(req: FastifyRequest): string {
  const multipart = /^multipart\//i.test(req.headers['content-type'] ?? '');
  const body = multipart ? { multipart: req.headers['content-length'] ?? null } : canonical(req.body ?? null);
  return createHash('sha256').update(JSON.stringify([req.method, req.url, body])).digest('hex');
}

function scopeOf(req: FastifyRequest): string | null {
  const key = apiKeyOf(req);
  if (key) return `key:${key.id}`;
  const c = limitCallerOf(req);
  return c.kind === 'seat' ? `seat:${c.sessionId}:${c.role}` : null;
}

export function installIdempotency(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST' || !(req.routeOptions.url ?? '').startsWith('/v1/')) return;
    const raw = req.headers[IDEMPOTENCY_HEADER];
    if (raw === undefined) return;
    if (typeof raw !== 'string' || !KEY_RE.test(raw)) {
      throw new ApiError(400, 'idempotency_key_invalid', 'Idempotency-Key must be 1–255 printable ASCII characters without spaces (a UUID is a good choice)');
    }
    const scope = scopeOf(req);
    if (scope === null) return; // anonymous: nothing to scope it to (and such calls were refused above)
    const requestSha256 = fingerprint(req);
    if (await claimIdempotencyKey(ctx.sql, { scope, key: raw, requestSha256, ttlMs: IDEMPOTENCY_TTL_MS, abandonedAfterMs: ABANDONED_AFTER_MS, now: ctx.now() })) {
      claims.set(req, { scope, key: raw, settled: false });
      return;
    }
    const existing = await findIdempotencyKey(ctx.sql, scope, raw);
    if (!existing) throw new ApiError(409, 'idempotency_key_in_flight', 'a request with this Idempotency-Key is being processed; retry shortly', { retry_after_seconds: 1 });
    if (existing.request_sha256 !== requestSha256) {
      throw new ApiError(409, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request (method, path or body); use a new key');
    }
    if (existing.state !== 'done') {
      reply.header('retry-after', '1');
      throw new ApiError(409, 'idempotency_key_in_flight', 'a request with this Idempotency-Key is being processed; retry shortly', { retry_after_seconds: 1 });
    }
    req.log.info({ idempotent_replay: true }, 'idempotent request replayed');
    return reply
      .code(existing.response_status ?? 200)
      .header('content-type', existing.response_type ?? 'application/json; charset=utf-8')
      .header('idempotent-replayed', 'true')
      .send(existing.response_body ?? '');
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const claim = claims.get(req);
    if (!claim || claim.settled) return payload;
    claim.settled = true;
    const status = reply.statusCode;
    if (status >= 500 || status === 429 || (typeof payload !== 'string' && payload !== null && payload !== undefined)) {
      await releaseIdempotencyKey(ctx.sql, claim.scope, claim.key);
      return payload;
    }
    const type = String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8');
    await storeIdempotentResponse(ctx.sql, claim.scope, claim.key, { status, type, body: (payload as string | null | undefined) ?? '' });
    return payload;
  });

  // A request that never sent its answer (client gone, crash in a hook) frees its key for a retry.
  app.addHook('onResponse', async (req) => {
    const claim = claims.get(req);
    if (claim && !claim.settled) {
      claim.settled = true;
      await releaseIdempotencyKey(ctx.sql, claim.scope, claim.key).catch(() => {});
    }
  });
}
