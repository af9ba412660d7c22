// Runs one media node (signaling + SFU) from environment variables.
import { UnwritableDirError } from '@duet/api/durable-file';
import { createLog, createSignalingServer, guardProcess, loadSignalingConfig } from './index.ts';

let config;
try {
  config = loadSignalingConfig(process.env);
} catch (err) {
  console.error(`signaling: invalid configuration: ${(err as Error).message}`);
  process.exit(2);
}
const log = createLog({ level: config.logLevel });
guardProcess((msg, extra) => log.error(extra, msg));
let server: Awaited<ReturnType<typeof createSignalingServer>>;
try {
  server = await createSignalingServer(config, log);
  await server.start();
} catch (err) {
  // A clear line and a non-zero exit (the supervisor shows it), not a stack trace.
  const e = err as Error;
  log.fatal({ error: e.message }, 'cannot start');
  console.error(`signaling: cannot start: ${e.message}`);
  process.exit(e instanceof UnwritableDirError ? 2 : 1);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Graceful: no new lessons, running ones get SHUTDOWN_DRAIN_DEADLINE_MS, the rest move to another node.
    const hardStop = setTimeout(() => process.exit(1), config.shutdown.drainDeadlineMs + 15_000);
    hardStop.unref();
    void server.node
      .shutdown(config.shutdown.drainDeadlineMs)
      .then(() => server.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}
