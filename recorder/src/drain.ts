// Drain for shutdown (SIGTERM): the recorder stops taking recordings (readyz fails, new ones get 503),
// every live recording closes cleanly (FFmpeg gets SIGINT so the open segment is completed and
// listed), every closed segment is uploaded and the manifest is written locally and to storage, so
// the lesson can go on recording on another node and this recording can be finalized later (by this
// recorder's next start, which adopts it from disk). Finalizations already running are allowed to
// finish. Nothing local is deleted; whatever the deadline cuts short is resumed at the next start.
import { join } from 'node:path';
import type { Log } from './hook-client.ts';
import { MANIFEST_FILE, storagePrefix } from './manifest.ts';
import type { Recorder } from './recorder.ts';
import type { Recording } from './recording.ts';

export interface DrainReport {
  /** Everything closed, uploaded and written before the deadline. */
  clean: boolean;
  recordings: number;
  /** Segments still only on local disk (uploaded by the next start). */
  segmentsNotUploaded: number;
  elapsedMs: number;
}

export interface RecorderDrain {
  readonly draining: boolean;
  /** Starts (or joins) the drain; resolves when done or when the deadline passes. */
  drain(deadlineMs: number): Promise<DrainReport>;
}

export function createRecorderDrain(recorder: Recorder, log: Log): RecorderDrain {
  let running: Promise<DrainReport> | undefined;

  async function settle(rec: Recording, expired: () => boolean): Promise<void> {
    if (rec.state === 'recording') {
      await rec.shutdown(); // FFmpeg closes its segment; waits for the segment uploads
      const key = `${storagePrefix(rec.lessonId, rec.id)}/${MANIFEST_FILE}`;
      for (let attempt = 0; ; attempt++) {
        try {
          await recorder.store.putFile(key, join(rec.dir, MANIFEST_FILE), { contentType: 'application/json' });
          return;
        } catch (err) {
          if (expired()) throw err;
          if (attempt % 5 === 0) log('warn', 'drain: manifest upload failed, retrying', { session_id: rec.lessonId, recordingId: rec.id, attempt, error: (err as Error).message });
          await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** attempt)));
        }
      }
    }
    if (rec.state === 'finalizing') await rec.finalize();
  }

  async function run(deadlineMs: number): Promise<DrainReport> {
    const started = Date.now();
    const recs = recorder.all().filter((r) => r.state === 'recording' || r.state === 'finalizing');
    log('info', 'recorder draining', { recordings: recs.length, deadlineMs });
    let timer: NodeJS.Timeout | undefined;
    const expired = () => Date.now() - started >= deadlineMs;
    const deadline = new Promise<false>((r) => (timer = setTimeout(() => r(false), deadlineMs)));
    const all = Promise.all(
      recs.map((rec) =>
        settle(rec, expired).then(
          () => true,
          (err: Error) => {
            log('error', 'drain: recording not settled', { session_id: rec.lessonId, recordingId: rec.id, error: err.message });
            return false;
          },
        ),
      ),
    ).then((oks) => oks.every(Boolean));
    const settled = await Promise.race([all, deadline]);
    clearTimeout(timer);
    const segmentsNotUploaded = recs.reduce(
      (n, rec) => n + rec.manifest.tracks.reduce((m, t) => m + t.runs.reduce((k, run) => k + run.segments.filter((s) => !s.uploaded).length, 0), 0),
      0,
    );
    const report = { clean: settled && segmentsNotUploaded === 0, recordings: recs.length, segmentsNotUploaded, elapsedMs: Date.now() - started };
    log(report.clean ? 'info' : 'warn', report.clean ? 'recorder drained' : 'recorder drain incomplete; local files are kept for the next start', { ...report });
    return report;
  }

  return {
    get draining() {
      return running !== undefined;
    },
    drain(deadlineMs) {
      running ??= run(deadlineMs);
      return running;
    },
  };
}
