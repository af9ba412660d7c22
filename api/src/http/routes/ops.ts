// Operator endpoints of the API process: /readyz (database reachable, not shutting down), /metrics
// (Prometheus), request metrics for every route, join latency, client-reported time to first frame,
// and the HTTP side of a graceful shutdown: once draining, requests that were not in flight get
// 503 shutting_down (Connection: close) while those in flight finish.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { createApiMetrics, type ApiMetrics } from '../../ops/api-metrics.ts';
import { bearerOf } from '../bearer.ts';
import { errorBody } from '../error-handling.ts';
import { Type } from '@sinclair/typebox';
import { ErrorBody, MetricsText, Readyz, withErrors } from '../response-schemas.ts';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { QualityReply } from './quality.ts';

export interface HttpDrain {
  /** Stop taking new requests; resolves when none is in flight (or after `maxWaitMs`). */
  drain(maxWaitMs: number): Promise<void>;
  readonly draining: boolean;
  readonly inFlight: number;
}

const drains = new WeakMap<FastifyInstance, HttpDrain>();
const metricsByApp = new WeakMap<FastifyInstance, ApiMetrics>();

/** The drain handle of a server built with opsRoutes (graceful shutdown uses it). */
export function httpDrainOf(app: FastifyInstance): HttpDrain | undefined {
  return drains.get(app);
}

export function apiMetricsOf(app: FastifyInstance): ApiMetrics | undefined {
  return metricsByApp.get(app);
}

const sameSecret = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

async function opsPlugin(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const metrics = createApiMetrics(() => ctx);
  metricsByApp.set(app, metrics);
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;
  const tracked = new WeakSet<FastifyRequest>();

  drains.set(app, {
    get draining() {
      return draining;
    },
    get inFlight() {
      return inFlight;
    },
    async drain(maxWaitMs) {
      draining = true;
      if (inFlight === 0) return;
      await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, maxWaitMs).unref())]);
    },
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', req.id);
    if (draining) {
      reply.header('connection', 'close');
      return reply.code(503).send(errorBody('shutting_down', 'this API instance is shutting down; retry (another instance will answer)'));
    }
    inFlight++;
    tracked.add(req);
  });
  const done = (req: FastifyRequest) => {
    if (!tracked.has(req)) return;
    tracked.delete(req);
    inFlight--;
    if (inFlight === 0 && idle) {
      const r = idle;
      idle = null;
      r();
    }
  };
  app.addHook('onResponse', async (req, reply) => {
    done(req);
    const route = req.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, seconds);
    if (req.method === 'POST' && route === '/v1/sessions/:id/join') {
      const result = reply.statusCode === 200 ? 'ok' : String((reply as FastifyReply & { duetErrorCode?: string }).duetErrorCode ?? reply.statusCode);
      metrics.joins.inc({ result });
      metrics.joinDuration.observe({ result: reply.statusCode === 200 ? 'ok' : 'error' }, seconds);
    }
    if (req.method === 'POST' && route === '/internal/hooks') {
      // Hooks from media nodes and recorders, by result: ok, or the error code (signature_expired
      // = clock skew beyond the signature window, validation_failed = malformed, ...).
      metrics.internalHooks.inc({ result: reply.statusCode < 300 ? 'ok' : String((reply as FastifyReply & { duetErrorCode?: string }).duetErrorCode ?? reply.statusCode) });
    }
    const finalQuality = (reply as QualityReply).duetFinalQuality;
    if (finalQuality) {
      metrics.lessonFreezeSeconds.observe({ mode: finalQuality.mode }, finalQuality.freezeSeconds);
      if (finalQuality.concealmentRatio !== null) metrics.lessonConcealment.observe({ mode: finalQuality.mode }, finalQuality.concealmentRatio);
    }
    if (req.method === 'POST' && route === '/v1/sessions/:id/analytics' && reply.statusCode < 300) {
      const b = req.body as { type?: unknown; data?: Record<string, unknown> } | undefined;
      const ms = b?.data?.ms;
      if ((b?.type === 'first_frame' || b?.type === 'media.first_frame') && typeof ms === 'number' && ms >= 0 && ms <= 600_000) {
        const mode = b.data?.mode === 'p2p' || b.data?.mode === 'sfu' ? b.data.mode : 'unknown';
        metrics.timeToFirstFrame.observe({ mode }, ms / 1000);
      }
    }
  });
  // Every log line of a lesson's request carries its id (and the request id, server.ts).
  app.addHook('preHandler', async (req, reply) => {
    const route = req.routeOptions.url ?? '';
    const id = (req.params as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') return;
    // The same key as the media node's and the recorder's logs: one grep finds a lesson everywhere.
    const key = route.startsWith('/v1/sessions/') || route.startsWith('/internal/sessions/') ? 'session_id' : route.includes('/nodes/') ? 'node_id' : null;
    if (!key) return;
    const child = req.log.child({ [key]: id });
    req.log = child;
    reply.log = child;
  });
  // A request whose socket died never gets onResponse.
  app.addHook('onRequestAbort', async (req) => done(req));
  // Every refused request is counted by its error code (the error body is built by the error
  // handler, or by the rate limiter); join error codes also feed the joins counter.
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) {
      const code = (typeof payload === 'string' && /"code":"([a-z0-9_]{1,64})"/.exec(payload)?.[1]) || `http_${reply.statusCode}`;
      // Unmatched URLs share one label, so a scanner cannot grow the series.
      metrics.rejected.inc({ route: req.routeOptions.url ?? 'unmatched', code });
      const counted = req.routeOptions.url === '/v1/sessions/:id/join' || req.routeOptions.url === '/internal/hooks';
      if (req.method === 'POST' && counted) (reply as FastifyReply & { duetErrorCode?: string }).duetErrorCode = code;
    }
    return payload;
  });

  // 503: not ready (the same body), or the shutting_down error every route answers while draining.
  app.get('/readyz', { schema: { response: { 200: Readyz, 503: Type.Union([Readyz, ErrorBody]), '4xx': ErrorBody } } }, async (_req, reply) => {
    const reasons: string[] = [];
    if (draining) reasons.push('shutting down');
    try {
      await Promise.race([ctx.sql`select 1`, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2_000).unref())]);
    } catch {
      reasons.push('database unreachable');
    }
    return reply.code(reasons.length === 0 ? 200 : 503).send({ ready: reasons.length === 0, reasons });
  });

  if (ctx.config.ops.metricsEnabled) {
    app.get('/metrics', { schema: { response: withErrors({ 200: MetricsText }) } }, async (req, reply) => {
      const token = ctx.config.ops.metricsToken;
      if (token !== null && !sameSecret(bearerOf(req) ?? '', token)) {
        return reply.code(401).send(errorBody('unauthorized', 'Authorization: Bearer <METRICS_TOKEN> is required'));
      }
      return reply.header('content-type', metrics.registry.contentType).send(await metrics.scrape());
    });
  }
}
// Hooks apply to every route of the server (like fastify-plugin's skip-override).
(opsPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
export const opsRoutes = opsPlugin;
