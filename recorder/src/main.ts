// Runs the recorder next to a media node, from environment variables.
import { createLocalStore } from './store.ts';
import { join } from 'node:path';
import { loadRecorderConfig } from './config.ts';
import { createRecorderService, defaultRecorderLog } from './service.ts';

let config;
try {
  config = loadRecorderConfig(process.env);
} catch (err) {
  console.error(`recorder: invalid configuration: ${(err as Error).message}`);
  process.exit(2);
}
process.on('unhandledRejection', (err) => defaultRecorderLog('error', 'unhandled rejection', { error: String(err) }));
const store = createLocalStore(process.env.OBJECTS_DIR || join(process.env.DUET_DATA_DIR || 'data', 'objects'));
const service = createRecorderService(config, store);
await service.start();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void service.close().then(() => process.exit(0));
  });
}
