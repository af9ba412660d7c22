// Runs one media node (signaling + SFU) from environment variables.
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
const server = await createSignalingServer(config, log);
await server.start();
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
