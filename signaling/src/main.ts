// Runs one media node (signaling + SFU) from environment variables.
import { createSignalingServer, guardProcess, loadSignalingConfig } from './index.ts';

let config;
try {
  config = loadSignalingConfig(process.env);
} catch (err) {
  console.error(`signaling: invalid configuration: ${(err as Error).message}`);
  process.exit(2);
}
guardProcess((msg, extra) => console.error(JSON.stringify({ level: 'error', service: 'signaling', msg, ...extra })));
const server = await createSignalingServer(config);
await server.start();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
