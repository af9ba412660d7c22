// `node api/src/main.ts`: the API alone, configured from the environment. With API_WORKERS > 1 this
// process supervises that many worker processes, each serving the API on the same port.
import cluster from 'node:cluster';
import { ConfigError, loadApiConfig } from './config.ts';
import { createApiServer } from './server.ts';
import { installGracefulShutdown } from './ops/graceful-shutdown.ts';
import { superviseWorkers } from './ops/workers.ts';
import { guardProcess } from './ops/process-guard.ts';

let config;
try {
  config = loadApiConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}

if (config.workers > 1 && cluster.isPrimary) {
  const log = (level: 'info' | 'error', msg: string, fields?: Record<string, unknown>) =>
    process.stdout.write(`${JSON.stringify({ level: level === 'error' ? 50 : 30, time: Date.now(), pid: process.pid, ...fields, msg })}\n`);
  guardProcess((msg, extra) => log('error', msg, extra));
  superviseWorkers(config.workers, log);
} else {
  if (config.workers > 1) {
    // Rate-limit counters live in each process: split the budget so N workers together allow
    // RATE_LIMIT_MAX per window (a client pinned to one worker by its connection gets its share).
    const share = (n: number) => Math.max(1, Math.ceil(n / config!.workers));
    config = {
      ...config,
      rateLimitMax: share(config.rateLimitMax),
      limits: { ...config.limits, keyMax: share(config.limits.keyMax), seatMax: share(config.limits.seatMax) },
    };
  }
  const server = createApiServer(config);
  // A stray rejection is logged; an uncaught exception ends this process (the supervisor, or the
  // cluster primary, starts a clean one) instead of serving from an unknown state.
  guardProcess((msg, extra) => server.app.log.error(extra, msg));
  const { url } = await server.start();
  server.app.log.info({ url, database: config.database.kind, worker: cluster.isWorker ? cluster.worker?.id : undefined }, 'duet api listening');
  installGracefulShutdown(server, config.ops.shutdownDeadlineMs);
}
