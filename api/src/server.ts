// Assembles the API: Fastify app, database (opened and migrated on start), routes and the webhook
// delivery loop. `close()` undoes `start()` in reverse order and is safe to call twice.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import pino from 'pino';
import type { ApiConfig } from './config.ts';
import type { AppContext } from './context.ts';
import { createObjectStore, type ObjectStore } from './storage/index.ts';
import { openDatabase, type Database, type Sql } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { errorBody, installErrorHandling } from './http/error-handling.ts';
import { registerHealthRoutes } from './http/routes/health.ts';
import { registerJoinKeyRoutes } from './http/routes/join-keys.ts';
import { internalRoutes } from './http/routes/internal.ts';
import { whiteboardRoutes } from './http/routes/whiteboard.ts';
import { nodeRoutes } from './http/routes/nodes.ts';
import { opsRoutes } from './http/routes/ops.ts';
import { registerSessionRoutes } from './http/routes/sessions.ts';
import { registerLessonContentRoutes } from './http/routes/lesson-content.ts';
import { resourceRoutes } from './http/routes/resources.ts';
import { registerWebhookRoutes } from './http/routes/webhooks.ts';
import { registerRecordingRoutes } from './http/routes/recordings.ts';
import { registerRecordingPlaybackRoutes } from './http/routes/recording-playback.ts';
import { registerRecordingLifecycleRoutes } from './http/routes/recording-lifecycle.ts';
import { registerRecordingConsentRoutes } from './http/routes/recording-consent.ts';
import { registerErasureRoutes } from './http/routes/erasure.ts';
import { registerApiKeyRoutes } from './http/routes/api-keys.ts';
import { registerWebhookEndpointRoutes } from './http/routes/webhook-endpoints.ts';
import { registerQualityRoutes } from './http/routes/quality.ts';
import { webAppRoutes } from './http/routes/web-app.ts';
import { registerSecurity } from './http/security.ts';
import { routeScope } from './http/route-scopes.ts';
import { installIdempotency } from './http/idempotency.ts';
import { rejectNulCharacters } from './http/text-input.ts';
import { registerOpenApi } from './http/openapi.ts';
import { createWebhookDeliveryLoop } from './jobs/webhook-delivery-loop.ts';
import { createLessonJobs, runLessonJobsOnce, type LessonJobResult } from './jobs/lesson-jobs.ts';
import { runRetentionOnce } from './services/recording-lifecycle-service.ts';

export interface ApiServerOptions {
  /** Clock for lesson windows (tests); defaults to the wall clock. */
  now?: () => Date;
  /** Where log lines go (default stdout); tests capture them to check that no secret is logged. */
  logStream?: { write(line: string): void };
  /** Object storage to use instead of the one the storage config describes (tests, all-in-one). */
  objects?: ObjectStore;
  /** Run the lesson jobs on a timer (default true; tests drive them with runLessonJobs()). */
  lessonJobs?: boolean;
}

export interface ApiServer {
  app: FastifyInstance;
  start(): Promise<{ url: string }>;
  close(): Promise<void>;
  /** How long each step of the last close() took, in order (a shutdown that drags names its step). */
  readonly closeSteps: readonly { step: string; ms: number }[];
  /** The close step under way (null: none), so a close that hangs can say where. */
  readonly closingStep: string | null;
  /** The database connection (after start): for tests and operator tooling. */
  readonly sql: Sql;
  /** One pass of the no-show / auto-end job now (it also runs every LESSON_JOBS_INTERVAL_MS). */
  runLessonJobs(): Promise<LessonJobResult>;
  /** One pass of the RECORDING_RETENTION_DAYS job now (it also runs with the lesson jobs). */
  runRecordingRetention(): Promise<{ deleted: string[] }>;
}

/** Never log credentials: bearer tokens, API keys, hook signatures, cookies. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["duet-signature"]',
  'headers.authorization',
  'headers.cookie',
  'headers["duet-signature"]',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'credential',
  '*.credential',
  'password',
  '*.password',
  'sig',
  '*.sig',
];

/** An X-Request-Id the API adopts as its own (anything else is replaced, never logged raw). */
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Signed download URLs carry their credential in the query: log the URL with `sig` masked. */
export function scrubUrl(url: string): string {
  return url.replace(/([?&](?:sig|token|signature)=)[^&#]*/gi, '$1[redacted]');
}

function trustHops(n: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < n;
}

export function createApiServer(config: ApiConfig, options: ApiServerOptions = {}): ApiServer {
  // stdout is written asynchronously (a request never waits on the log pipe); pino flushes it on exit.
  const stdoutLog = !options.logStream && config.logLevel !== 'silent' ? pino.destination({ dest: 1, sync: false }) : null;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
          method: req.method,
          url: scrubUrl(req.url),
          hostname: req.hostname,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
      ...(options.logStream ? { stream: options.logStream } : stdoutLog ? { stream: stdoutLog } : {}),
    },
    bodyLimit: 256 * 1024,
    // Reject rather than silently coerce or drop: "true" is not a boolean, unknown fields are errors.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // TRUST_PROXY: the proxies (nginx) whose X-Forwarded-For names the client address (req.ip).
    // A hop count trusts that many proxies nearest to us (what Fastify does with a number).
    trustProxy: typeof config.limits.trustProxy === 'number' ? trustHops(config.limits.trustProxy) : config.limits.trustProxy,
    // Errors raised by the router itself (a path parameter that is too long, a bad URL encoding)
    // leave in the same `{error: {code, message}}` shape as everything else.
    frameworkErrors: (err, _req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      const code = status === 414 ? 'uri_too_long' : 'bad_request';
      void (reply as unknown as { code(n: number): { send(b: unknown): unknown } }).code(status).send(errorBody(code, err.message));
    },
    // Every log line of a request carries `request_id`: the caller's X-Request-Id when it is a
    // short plain token (nginx's $request_id, the marketplace's, a media node's hook id), so one
    // id follows a request across processes; otherwise a fresh one. Echoed in the response.
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID_RE.test(h) ? h : randomUUID();
    },
  });

  let db: Database | null = null;
  let listeningUrl: string | null = null;
  const objects = options.objects ?? createObjectStore(config.storage);
  const ctx: AppContext = {
    config,
    objects,
    get sql(): Sql {
      if (!db) throw new Error('the API server is not started');
      return db.sql;
    },
    log: app.log,
    now: options.now ?? (() => new Date()),
    publicUrl: () => config.publicUrl ?? listeningUrl ?? `http://${config.host}:${config.port}`,
    eventsCommitted: () => deliveries.kick(),
  };
  const deliveries = createWebhookDeliveryLoop(ctx);
  const lessonJobs = createLessonJobs(ctx);

  installErrorHandling(app);
  rejectNulCharacters(app);
  // JSON only: any other body type is answered 415 instead of failing validation as a string.
  app.removeContentTypeParser('text/plain');
  // Plugins first, routes after them (the rate limiter and helmet attach to routes as they are added).
  // Every /v1 route declares the API-key scope it needs (http/route-scopes.ts): fail closed at start.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return;
    for (const method of [route.method].flat()) {
      if (routeScope(method, route.url) === undefined) throw new Error(`route ${method} ${route.url} declares no scope in api/src/http/route-scopes.ts`);
    }
  });
  registerSecurity(app, ctx);
  registerOpenApi(app);
  installIdempotency(app, ctx);
  app.register(async (scope) => {
    registerHealthRoutes(scope);
    registerJoinKeyRoutes(scope, ctx.config);
    registerSessionRoutes(scope, ctx);
    registerLessonContentRoutes(scope, ctx);
    registerWebhookRoutes(scope, ctx);
    registerRecordingRoutes(scope, ctx, ctx.objects);
    registerRecordingPlaybackRoutes(scope, ctx, ctx.objects);
    registerRecordingLifecycleRoutes(scope, ctx);
    registerRecordingConsentRoutes(scope, ctx);
    registerErasureRoutes(scope, ctx);
    registerApiKeyRoutes(scope, ctx);
    registerWebhookEndpointRoutes(scope, ctx);
    registerQualityRoutes(scope, ctx);
  });
  app.register(resourceRoutes, { ctx });
  app.register(internalRoutes, { ctx });
  app.register(whiteboardRoutes, { ctx });
  app.register(nodeRoutes, { ctx });
  app.register(opsRoutes, { ctx });
  app.register(webAppRoutes, { ctx });

  let started = false;
  let closing: Promise<void> | null = null;

  const closeSteps: { step: string; ms: number }[] = [];
  let closingStep: string | null = null;
  async function timed(step: string, work: () => Promise<unknown>): Promise<void> {
    const t0 = performance.now();
    closingStep = step;
    try {
      await work();
    } finally {
      closingStep = null;
      closeSteps.push({ step, ms: Math.round(performance.now() - t0) });
    }
  }

  async function close(): Promise<void> {
    closing ??= (async () => {
      // In-flight requests first (jobs and deliveries keep running meanwhile), then the loops.
      // Fastify ends the keep-alive connections that are idle when close begins; one whose response
      // was still streaming goes idle later and would hold the close until its keep-alive timeout
      // (72 s). So idle connections are ended as they appear, until every request has finished.
      const idleSweep = setInterval(() => app.server.closeIdleConnections(), 250);
      try {
        await timed('http', () => app.close());
      } finally {
        clearInterval(idleSweep);
      }
      await timed('lesson jobs', () => lessonJobs.stop());
      await timed('webhook deliveries', () => deliveries.stop());
      const d = db;
      db = null;
      await timed('database', async () => d?.close());
      try {
        stdoutLog?.flush();
      } catch {
        // nothing buffered, or stdout already gone
      }
    })();
    return closing;
  }

  return {
    app,
    get sql() {
      return ctx.sql;
    },
    async start() {
      if (started) throw new Error('the API server was already started');
      started = true;
      try {
        db = await openDatabase(
          config.database,
          (step, waitedMs) => app.log.warn({ step, waitedMs }, 'database shutdown step did not finish in time; going on'),
          (message) => app.log.error(message),
        );
        const { applied } = await migrate(db.sql);
        if (applied.length > 0) app.log.info({ applied }, 'database migrated');
        await app.listen({ host: config.host, port: config.port });
        const addr = app.server.address() as AddressInfo;
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        listeningUrl = `http://${host}:${addr.port}`;
        deliveries.start();
        if (options.lessonJobs !== false) lessonJobs.start();
        return { url: listeningUrl };
      } catch (err) {
        await close().catch(() => {});
        throw err;
      }
    },
    close,
    closeSteps,
    get closingStep() {
      return closingStep;
    },
    runLessonJobs: () => runLessonJobsOnce(ctx),
    runRecordingRetention: () => runRetentionOnce(ctx),
  };
}
