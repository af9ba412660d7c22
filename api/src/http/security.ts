// HTTP hardening shared by every route: security headers (helmet), CORS for the web origin only,
// and the rate limiter (applied per route to token minting and join).
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config.ts';
import { ApiError } from '../errors.ts';
import { presignedUrlOrigins } from '../storage/storage-config.ts';

/** Registers on `app` itself (the plugins are not encapsulated), before any route. */
export function registerSecurity(app: FastifyInstance, config: ApiConfig): void {
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
        'connect-src': ["'self'", ...signalingOrigins, ...config.nodes.connectSrc],
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
    allowedHeaders: ['authorization', 'content-type', 'range'],
    exposedHeaders: ['content-range', 'accept-ranges', 'content-length', 'retry-after'],
    maxAge: 600,
  });
  app.register(rateLimit, {
    global: false,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    errorResponseBuilder: (_req, ctx) =>
      new ApiError(429, 'rate_limited', `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`, {
        retry_after_seconds: Math.ceil(ctx.ttl / 1000),
      }),
  });
}

/**
 * Route option for limited routes (token minting, join): RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS per
 * client address, route and lesson, so one busy marketplace backend is not throttled across lessons
 * while guessing or flooding one lesson is.
 */
export function rateLimited(config: ApiConfig) {
  return {
    rateLimit: {
      max: config.rateLimitMax,
      timeWindow: config.rateLimitWindowMs,
      keyGenerator: (req: FastifyRequest) =>
        `${req.ip}|${req.routeOptions.url ?? ''}|${(req.params as { id?: string } | undefined)?.id ?? ''}`,
    },
  };
}
