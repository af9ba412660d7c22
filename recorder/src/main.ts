// Runs the recorder next to a media node, from environment variables. SIGTERM/SIGINT drain
// (RECORDER_DRAIN_DEADLINE_MS): exit 0 once every live recording is closed and uploaded; exit 1 at
// the deadline or on a second signal. Local segments are never deleted on the way out: the next
// start adopts them (FFmpeg processes left running are stopped cleanly then).
import { loadRecorderConfig } from './config.ts';
import { createRecorderService, defaultRecorderLog } from './service.ts';
import { createObjectStore, loadStorageConfig } from './store.ts';
import { guardProcess } from '@duet/api/process-guard';

let config;
let store;
try {
  config = loadRecorderConfig(process.env);
  store = createObjectStore(loadStorageConfig(process.env));
} catch (err) {
  console.error(`recorder: invalid configuration: ${(err as Error).message}`);
  process.exit(2);
}
const log = defaultRecorderLog;
// A stray rejection is logged; an uncaught exception ends the process (segments and manifests on
// disk are adopted by the next start).
guardProcess((msg, extra) => log('error', msg, extra));
const service = createRecorderService(config, store);
await service.start();
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++signals > 1) {
      log('warn', 'second signal: exiting now; local segments are kept for the next start', { signal });
      process.exit(1);
    }
    void service.drain().then(
      (report) => process.exit(report.clean ? 0 : 1),
      (err: Error) => {
        log('error', 'drain failed', { error: err.message });
        process.exit(1);
      },
    );
  });
}
