// Runs the recorder next to a media node, from environment variables. SIGTERM/SIGINT drain
// (RECORDER_DRAIN_DEADLINE_MS): exit 0 once every live recording is closed and uploaded; exit 1 at
// the deadline or on a second signal. Local segments are never deleted on the way out: the next
// start adopts them (FFmpeg processes left running are stopped cleanly then).
import { loadRecorderConfig } from './config.ts';
import { createRecorderService, defaultRecorderLog } from './service.ts';
import { createObjectStore, loadStorageConfig } from './store.ts';
import { guardProcess } from '@duet/api/process-guard';
import { UnwritableDirError } from '@duet/api/durable-file';

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
try {
  await service.start();
} catch (err) {
  // A clear line and a non-zero exit (the supervisor shows it), not a stack trace.
  const e = err as Error;
  log('error', 'cannot start', { error: e.message });
  console.error(`recorder: cannot start: ${e.message}`);
  process.exit(e instanceof UnwritableDirError ? 2 : 1);
}
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
