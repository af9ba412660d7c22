// SIGTERM/SIGINT for the API process: stop taking connections, let in-flight requests finish (new
// ones meet 503 meanwhile, /readyz already says not ready), then stop jobs and webhook delivery
// (an attempt in flight is released, never lost: outbox rows live in the database) and exit.
// A shutdown that overruns SHUTDOWN_DEADLINE_MS exits 1 rather than keep a supervisor waiting.
import type { ApiServer } from '../server.ts';
import { httpDrainOf } from '../http/routes/ops.ts';

export function installGracefulShutdown(server: ApiServer, deadlineMs: number, exit: (code: number) => void = (c) => process.exit(c)): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const started = Date.now();
      server.app.log.info({ signal, deadlineMs }, 'shutting down gracefully');
      setTimeout(() => {
        server.app.log.error({ deadlineMs }, 'shutdown deadline passed; exiting');
        exit(1);
      }, deadlineMs).unref();
      // New requests get 503 at once; those in flight finish; then the listener and the loops close.
      const drain = httpDrainOf(server.app);
      (drain ? drain.drain(Math.max(0, deadlineMs - 2_000)) : Promise.resolve())
        .then(() => server.close())
        .then(
        () => {
          server.app.log.info({ ms: Date.now() - started }, 'shut down');
          exit(0);
        },
        (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
    });
  }
}
