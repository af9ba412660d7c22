// A runnable recorder: recovery from disk, then the HTTP API (with /readyz and /metrics), and the
// SIGTERM drain. Used by main.ts, the all-in-one launcher and tests.
import type { AddressInfo } from 'node:net';
import { ensureWritableDir } from '@duet/api/durable-file';
import { lowDiskReason } from '@duet/api/free-disk';
import type { RecorderConfig } from './config.ts';
import { createRecorderDrain, type DrainReport } from './drain.ts';
import type { Log } from './hook-client.ts';
import { createRecorderMetrics, type RecorderMetrics } from './metrics.ts';
import { Recorder } from './recorder.ts';
import type { RecordingDeps } from './recording-storage.ts';
import { createRecorderHttp } from './server.ts';
import type { ObjectStore } from './store.ts';

export interface RecorderService {
  recorder: Recorder;
  metrics: RecorderMetrics;
  start(): Promise<{ url: string }>;
  /** Shutdown path: no new recordings, live ones closed and uploaded, within `deadlineMs`. The HTTP API stays up. */
  drain(deadlineMs?: number): Promise<DrainReport>;
  close(): Promise<void>;
}

export const defaultRecorderLog: Log = (level, msg, extra) =>
  process.stdout.write(JSON.stringify({ level, time: new Date().toISOString(), service: 'recorder', msg, ...extra }) + '\n');

const STORAGE_PROBE_KEY = 'recordings/readyz-probe';
const STORAGE_PROBE_TIMEOUT_MS = 3_000;

export function createRecorderService(config: RecorderConfig, store: ObjectStore, log: Log = defaultRecorderLog, opts: { uploadRetryMs?: number; onComposeSpawn?: RecordingDeps['onComposeSpawn'] } = {}): RecorderService {
  let recorder: Recorder | undefined;
  const metrics = createRecorderMetrics({
    recordingsByState() {
      const by: Record<string, number> = {};
      for (const r of recorder?.all() ?? []) by[r.state] = (by[r.state] ?? 0) + 1;
      return by;
    },
    draining: () => drain.draining,
    composeLoad: () => recorder?.composeLoad() ?? { queued: 0, running: 0 },
    pendingHooks: () => (recorder?.all() ?? []).reduce((n, r) => n + (r.manifest.pendingHooks?.length ?? 0), 0),
  });
  recorder = new Recorder(config, store, log, { ...opts, metrics });
  const drain = createRecorderDrain(recorder, log);

  async function ready(): Promise<{ ready: boolean; reasons: string[] }> {
    const reasons: string[] = [];
    if (drain.draining) reasons.push('draining');
    if (!/^https?:$/.test(new URL(config.apiInternalUrl).protocol)) reasons.push('API_INTERNAL_URL is not an http(s) URL');
    const disk = await lowDiskReason(config.workDir, config.minFreeDiskMb, 'RECORDER_WORK_DIR');
    if (disk) reasons.push(disk);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([store.head(STORAGE_PROBE_KEY), new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('timed out')), STORAGE_PROBE_TIMEOUT_MS)))]);
    } catch (err) {
      reasons.push(`storage unreachable: ${(err as Error).message}`.slice(0, 200));
    } finally {
      clearTimeout(timer);
    }
    return { ready: reasons.length === 0, reasons };
  }

  const http = createRecorderHttp(recorder, log, { metrics, draining: () => drain.draining, ready });
  return {
    recorder,
    metrics,
    async start() {
      // Segments and manifests live here: refuse to start (clearly) rather than record into nothing.
      ensureWritableDir(config.workDir, 'RECORDER_WORK_DIR');
      await recorder.recover();
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => resolve());
      });
      const url = `http://${config.host}:${(http.address() as AddressInfo).port}`;
      log('info', 'recorder listening', { url, workDir: config.workDir, segmentSeconds: config.segmentSeconds });
      return { url };
    },
    drain: (deadlineMs = config.drainDeadlineMs) => drain.drain(deadlineMs),
    async close() {
      await new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections();
      await recorder.close();
    },
  };
}
