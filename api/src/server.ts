// Assembles the API: Fastify app, database (opened and migrated on start), routes and the webhook
// delivery loop. `close()` undoes `start()` in reverse order and is safe to call twice.
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiConfig } from './config.ts';
import type { AppContext } from './context.ts';
import { openDatabase, type Database, type Sql } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { installErrorHandling } from './http/error-handling.ts';
import { registerHealthRoutes } from './http/routes/health.ts';
import { internalRoutes } from './http/routes/internal.ts';
import { nodeRoutes } from './http/routes/nodes.ts';
import { registerSessionRoutes } from './http/routes/sessions.ts';
import { webAppRoutes } from './http/routes/web-app.ts';
import { createWebhookDeliveryLoop } from './jobs/webhook-delivery-loop.ts';

export interface ApiServerOptions {
  /** Clock for lesson windows (tests); defaults to the wall clock. */
  now?: () => Date;
  /** Where log lines go (default stdout); tests capture them to check that no secret is logged. */
  logStream?: { write(line: string): void };
}

export interface ApiServer {
  app: FastifyInstance;
  start(): Promise<{ url: string }>;
  close(): Promise<void>;
  /** The database connection (after start): for tests and operator tooling. */
  readonly sql: Sql;
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
];

export function createApiServer(config: ApiConfig, options: ApiServerOptions = {}): ApiServer {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: 256 * 1024,
    // Reject rather than silently coerce or drop: "true" is not a boolean, unknown fields are errors.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    trustProxy: false,
  });

  let db: Database | null = null;
  let listeningUrl: string | null = null;
  const ctx: AppContext = {
    config,
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

  installErrorHandling(app);
  // JSON only: any other body type is answered 415 instead of failing validation as a string.
  app.removeContentTypeParser('text/plain');
  registerHealthRoutes(app);
  registerSessionRoutes(app, ctx);
  app.register(internalRoutes, { ctx });
  app.register(nodeRoutes, { ctx });
  app.register(webAppRoutes, { ctx });

  let started = false;
  let closing: Promise<void> | null = null;

  async function close(): Promise<void> {
    closing ??= (async () => {
      await deliveries.stop();
      await app.close();
      const d = db;
      db = null;
      await d?.close();
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
        db = await openDatabase(config.database);
        const { applied } = await migrate(db.sql);
        if (applied.length > 0) app.log.info({ applied }, 'database migrated');
        await app.listen({ host: config.host, port: config.port });
        const addr = app.server.address() as AddressInfo;
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        listeningUrl = `http://${host}:${addr.port}`;
        deliveries.start();
        return { url: listeningUrl };
      } catch (err) {
        await close().catch(() => {});
        throw err;
      }
    },
    close,
  };
}
