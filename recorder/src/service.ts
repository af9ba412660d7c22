// A runnable recorder: recovery from disk, then the HTTP API. Used by main.ts, the all-in-one
// launcher and tests.
import type { AddressInfo } from 'node:net';
import type { RecorderConfig } from './config.ts';
import type { Log } from './hook-client.ts';
import { Recorder } from './recorder.ts';
import { createRecorderHttp } from './server.ts';
import type { ObjectStore } from './store.ts';

export interface RecorderService {
  recorder: Recorder;
  start(): Promise<{ url: string }>;
  close(): Promise<void>;
}

export const defaultRecorderLog: Log = (level, msg, extra) =>
  process.stdout.write(JSON.stringify({ level, time: new Date().toISOString(), service: 'recorder', msg, ...extra }) + '\n');

export function createRecorderService(config: RecorderConfig, store: ObjectStore, log: Log = defaultRecorderLog, opts: { uploadRetryMs?: number } = {}): RecorderService {
  const recorder = new Recorder(config, store, log, opts);
  const http = createRecorderHttp(recorder, log);
  return {
    recorder,
    async start() {
      await recorder.recover();
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => resolve());
      });
      const url = `http://${config.host}:${(http.address() as AddressInfo).port}`;
      log('info', 'recorder listening', { url, workDir: config.workDir, segmentSeconds: config.segmentSeconds });
      return { url };
    },
    async close() {
      await new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections();
      await recorder.close();
    },
  };
}
