// The recorder service: live recordings by id and by lesson, and recovery at startup (recordings
// found on disk are adopted: live ones wait for their media node to re-attach, then finalize;
// interrupted finalizations resume where the manifest says they stopped).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ComposeQueue } from './compose-queue.ts';
import type { RecorderConfig } from './config.ts';
import { HookClient, type Log } from './hook-client.ts';
import { MANIFEST_FILE, readManifest } from './manifest.ts';
import type { RecorderMetrics } from './metrics.ts';
import { findContinuable } from './parts.ts';
import { Recording, type RecordingDeps } from './recording.ts';
import type { ObjectStore } from './store.ts';

/**
 * How long a recording interrupted by a restart waits for its media node at least. Not the
 * emptied room's RECORDER_IDLE_STOP_MS (which may be 0): here the room is most likely still full,
 * and its node re-attaches at its next check (once a second) once this process answers again. In
 * a test with a 1.5-s idle stop, under load, the recovered recording finalized before the node
 * came back and the lesson's recording was split in two.
 */
export const RESTART_REATTACH_MS = 30_000;

export class Recorder {
  private readonly byId = new Map<string, Recording>();
  private readonly deps: RecordingDeps;
  private readonly hooks: HookClient;

  constructor(config: RecorderConfig, store: ObjectStore, log: Log, opts: { uploadRetryMs?: number; metrics?: RecorderMetrics; onComposeSpawn?: RecordingDeps['onComposeSpawn'] } = {}) {
    this.hooks = new HookClient(
      config.apiInternalUrl,
      config.internalHookSecret,
      log,
      { onRejected: () => opts.metrics?.hooksRejected.inc(), onClockSkew: () => opts.metrics?.hookClockSkew.inc() },
      undefined,
      config.hookNodeId,
    );
    this.deps = { config, store, hooks: this.hooks, log, composeQueue: new ComposeQueue({ concurrency: config.composeConcurrency, nice: config.composeNice }), ...opts };
  }

  get config(): RecorderConfig {
    return this.deps.config;
  }

  /** Composes waiting for a slot, and running. */
  composeLoad(): { queued: number; running: number } {
    const q = this.deps.composeQueue;
    return { queued: q?.depth ?? 0, running: q?.active ?? 0 };
  }

  get store(): ObjectStore {
    return this.deps.store;
  }

  /** Adopts what a previous process left on disk. */
  async recover(): Promise<void> {
    const { workDir } = this.deps.config;
    const entries = await readdir(workDir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const dir = join(workDir, e.name);
      let manifest;
      try {
        manifest = await readManifest(join(dir, MANIFEST_FILE));
      } catch {
        continue;
      }
      if (this.byId.has(manifest.recordingId)) continue;
      await stopOrphanedFfmpeg(manifest.tracks.flatMap((t) => t.runs.map((r) => r.pid)).filter((p): p is number => p !== undefined), dir);
      const rec = await Recording.adopt(manifest, dir, this.deps);
      this.byId.set(rec.id, rec);
      await rec.save();
      rec.resumeUploads();
      rec.deliverHooks();
      if (rec.state === 'recording') {
        this.deps.log('warn', 'recording interrupted by a recorder restart; waiting for its media node', { recordingId: rec.id, session_id: rec.lessonId });
        rec.detach(Math.max(this.deps.config.idleStopMs, RESTART_REATTACH_MS));
      } else if (rec.state === 'finalizing') {
        this.deps.log('info', 'resuming finalize', { session_id: rec.lessonId, recordingId: rec.id, step: manifest.finalize?.step ?? 'compose' });
        void rec.finalize();
      }
    }
  }

  get(recordingId: string): Recording | undefined {
    return this.byId.get(recordingId);
  }

  /** The lesson's live recording here, the one it had on another node (continued), or a new one. */
  async startForLesson(lessonId: string): Promise<Recording> {
    for (const r of this.byId.values()) {
      if (r.lessonId === lessonId && r.state === 'recording' && !r.isStopping) {
        r.attach();
        return r;
      }
    }
    // The lesson may have been recording on another media node (it died or was drained): continue
    // that recording rather than starting a second one.
    const continued = await findContinuable(this.deps.store, lessonId, (id) => this.byId.has(id)).catch((err: Error) => {
      this.deps.log('warn', 'cannot look for the lesson\'s recording in storage; starting a new one', { session_id: lessonId, error: err.message });
      return undefined;
    });
    const rec = await Recording.create(lessonId, this.deps, continued);
    this.byId.set(rec.id, rec);
    return rec;
  }

  forLesson(lessonId: string): Recording[] {
    return [...this.byId.values()].filter((r) => r.lessonId === lessonId);
  }

  all(): Recording[] {
    return [...this.byId.values()];
  }

  async close(): Promise<void> {
    this.hooks.stop();
    await Promise.all(this.all().map((r) => r.shutdown()));
  }
}

/** FFmpeg processes of a recorder that was killed keep running: end them cleanly (they close their segment). */
async function stopOrphanedFfmpeg(pids: number[], dir: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(dir)) continue; // not ours (pid reused)
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      continue;
    }
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
    }
  }
}
