// Runs the recorder next to a media node, from environment variables.
import { loadRecorderConfig } from './config.ts';
import { createRecorderService, defaultRecorderLog } from './service.ts';
import { createObjectStore, loadStorageConfig } from './store.ts';

let config;
let store;
try {
  config = loadRecorderConfig(process.env);
  store = await createObjectStore(loadStorageConfig(process.env));
} catch (err) {
  console.error(`recorder: invalid configuration: ${(err as Error).message}`);
  process.exit(2);
}
process.on('unhandledRejection', (err) => defaultRecorderLog('error', 'unhandled rejection', { error: String(err) }));
const service = createRecorderService(config, store);
await service.start();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void service.close().then(() => process.exit(0));
  });
}
