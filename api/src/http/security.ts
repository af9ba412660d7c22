// HTTP hardening shared by every route: security headers (helmet), CORS for the web origin only,
// and the rate limiter. Every /v1 request is limited by who is calling, decided once per request
// before any handler runs: the API key (RATE_LIMIT_KEY_MAX), a seat (lesson + role of a valid
// join token, RATE_LIMIT_SEAT_MAX; two people behind one school NAT never share a bucket), a
// valid signed download URL (per URL), or else the client address (RATE_LIMIT_MAX; behind nginx
// that is the X-Forwarded-For entry TRUST_PROXY allows). So an anonymous flood, even from the
// participants' own address, spends only the anonymous budget and never locks the real
// participants out of their lesson.
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config.ts';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { presignedUrlOrigins } from '../storage/storage-config.ts';
import { requireJoinToken } from '../services/auth-service.ts';
import { resolveApiKey } from '../services/api-keys-service.ts';
import { scopeAllows } from '../domain/api-key-scopes.ts';
import { setApiKeyOf } from './caller.ts';
import { routeScope } from './route-scopes.ts';
import { checkSignedPath } from '../services/signed-urls.ts';
import { bearerOf } from './bearer.ts';

/** Who a request counts against; set by an onRequest hook before the limiter runs. */
export type LimitCaller = { kind: 'key'; id: string } | { kind: 'seat'; sessionId: string; role: string } | { kind: 'url'; path: string } | { kind: 'anon'; ip: string };

const callers = new WeakMap<FastifyRequest, LimitCaller>();

export function limitCallerOf(req: FastifyRequest): LimitCaller {
  return callers.get(req) ?? { kind: 'anon', ip: req.ip };
}

function callerKey(c: LimitCaller): string {
  switch (c.kind) {
    case 'key':
      return `key:${c.id}`;
    case 'seat':
      return `seat:${c.sessionId}:${c.role}`;
    case 'url':
      return `url:${c.path}`;
    case 'anon':
      return `anon:${c.ip}`;
  }
}

/**
 * Who is calling. An API key is resolved here, once per request, and its scope checked against the
 * route's (route-scopes.ts) before the limiter, validation or the route run: a key without the
 * scope gets 403 insufficient_scope, whatever the body.
 */
async function classify(ctx: AppContext, req: FastifyRequest): Promise<LimitCaller> {
  const { config } = ctx;
  const bearer = bearerOf(req);
  const key = await resolveApiKey(ctx, bearer);
  if (key) {
    const needed = routeScope(req.method, req.routeOptions.url ?? '');
    if (needed !== undefined && !scopeAllows(key.scopes, needed)) {
      throw new ApiError(403, 'insufficient_scope', needed === 'participant' ? 'this route is for participants (join tokens), not API keys' : `this API key lacks the "${needed}" scope`, {
        required_scope: needed,
        key_scopes: key.scopes,
      });
    }
    setApiKeyOf(req, key);
    return { kind: 'key', id: key.id };
  }
  const sessionId = (req.params as { id?: unknown } | undefined)?.id;
  if (bearer !== undefined && typeof sessionId === 'string') {
    try {
      // What auth-service accepts as a participant of this lesson (the route checks it again).
      const claims = await requireJoinToken(config, bearer, sessionId);
      return { kind: 'seat', sessionId: claims.sessionId, role: claims.role };
    } catch {
      // not a valid token for this lesson: anonymous
    }
  }
  const q = req.query as { exp?: unknown; sig?: unknown; seat?: unknown } | undefined;
  if (q && typeof q.sig === 'string') {
    const path = req.url.split('?')[0]!;
    if (checkSignedPath(config.urlSigningKey, path, q, Math.floor(Date.now() / 1000)).ok) return { kind: 'url', path };
  }
  return { kind: 'anon', ip: req.ip };
}

function maxFor(config: ApiConfig, c: LimitCaller): number {
  if (c.kind === 'key') return config.limits.keyMax;
  if (c.kind === 'seat' || c.kind === 'url') return config.limits.seatMax;
  return config.rateLimitMax;
}

/** Registers on `app` itself (the plugins are not encapsulated), before any route. */
export function registerSecurity(app: FastifyInstance, ctx: AppContext): void {
  const { config } = ctx;
  // The room page talks to its media nodes over WebSocket: allow exactly those origins.
  const signalingOrigins = [...new Set(config.mediaNodes.map((n) => new URL(n.signalingUrl).origin))];
  app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:', 'blob:', 'https:'],
        // Recordings on S3 play from presigned S3 URLs (storage-config.ts presignedUrlOrigins).
        'media-src': ["'self'", 'blob:', ...presignedUrlOrigins(config.storage)],
        // The recording player fetches segments (presigned on S3) for Media Source Extensions.
        'connect-src': ["'self'", ...signalingOrigins, ...config.nodes.connectSrc, ...presignedUrlOrigins(config.storage)],
        'worker-src': ["'self'", 'blob:'],
        'frame-ancestors': ["'self'", ...config.frameAncestors],
        // Plain-http deployments (the local demo, LAN) must keep their ws:// and http:// URLs.
        'upgrade-insecure-requests': null,
      },
    },
    // Downloads (signed URLs) are embedded by the marketplace's pages; routes that serve bytes
    // relax this per response.
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.register(cors, {
    // Only the web origin (WEB_ORIGIN) may call the API from a browser; no origin = same-origin only.
    origin: config.webOrigin ? [config.webOrigin] : false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'range', 'idempotency-key'],
    exposedHeaders: ['content-range', 'accept-ranges', 'content-length', 'retry-after', 'idempotent-replayed'],
    maxAge: 600,
  });
  // Root-level hook: runs before the limiter's route-level onRequest hooks.
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/v1/')) callers.set(req, await classify(ctx, req));
  });
  app.register(rateLimit, {
    // Every /v1 route (the public API); health, metrics, the web app's static files and the
    // internal routes (media nodes, blocked at nginx, authenticated per request) are not limited.
    global: true,
    allowList: (req: FastifyRequest) => !(req.routeOptions.url ?? req.url).startsWith('/v1/'),
    max: (req: FastifyRequest) => maxFor(config, limitCallerOf(req)),
    keyGenerator: (req: FastifyRequest) => callerKey(limitCallerOf(req)),
    timeWindow: config.rateLimitWindowMs,
    errorResponseBuilder: (_req, ctx) =>
      new ApiError(429, 'rate_limited', `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`, {
        retry_after_seconds: Math.ceil(ctx.ttl / 1000),
      }),
  });
}

/**
 * Route option for token minting and join: RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS per caller
 * (API key, seat or anonymous address — as above), route and lesson, so one busy marketplace
 * backend is not throttled across lessons while guessing or flooding one lesson is, and bad
 * tokens from an address never use up the real participants' budget.
 */
export function rateLimited(config: ApiConfig) {
  return {
    rateLimit: {
      max: config.rateLimitMax,
      timeWindow: config.rateLimitWindowMs,
      keyGenerator: (req: FastifyRequest) =>
        `${callerKey(limitCallerOf(req))}|${req.routeOptions.url ?? ''}|${(req.params as { id?: string } | undefined)?.id ?? ''}`,
    },
  };
}
