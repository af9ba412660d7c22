// Where one recording's state lives: its manifest on local disk (every change written atomically,
// in order, before it is acted upon), its segments and manifests in object storage (uploads retried
// with backoff, local files kept until the upload is confirmed), and its hooks to the API (delivered
// in order, each removed from the manifest only once acknowledged, so a restart never loses one).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ComposeQueue } from './compose-queue.ts';
import type { DuetEvent } from '@duet/api/events';
import type { RecorderConfig } from './config.ts';
import type { HookClient, Log } from './hook-client.ts';
import { MANIFEST_FILE, manifestText, partKey, storagePrefix, writeManifestText, type Manifest } from './manifest.ts';
import type { RecorderMetrics } from './metrics.ts';
import type { ObjectStore } from './store.ts';

export interface RecordingDeps {
  config: RecorderConfig;
  store: ObjectStore;
  hooks: HookClient;
  log: Log;
  /** Upload retry schedule base (tests shorten it). */
  uploadRetryMs?: number;
  metrics?: RecorderMetrics;
  /** One per recorder: caps concurrent composes and lowers their priority. */
  composeQueue?: ComposeQueue;
  /** Sees each compose FFmpeg process once spawned (tests check its priority). */
  onComposeSpawn?: (child: ChildProcess) => void;
}

export class RecordingStorage {
  readonly manifest: Manifest;
  readonly dir: string;
  private readonly deps: RecordingDeps;
  private saving: Promise<void> = Promise.resolve();
  private uploads: Promise<void> = Promise.resolve();
  private hooksRunning = false;

  constructor(manifest: Manifest, dir: string, deps: RecordingDeps) {
    this.manifest = manifest;
    this.dir = dir;
    this.deps = deps;
  }

  private get id(): string {
    return this.manifest.recordingId;
  }

  /** The recorder's log with this recording's lesson bound (session_id, as in the API's and node's logs). */
  private log(level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>): void {
    this.deps.log(level, msg, { session_id: this.manifest.lessonId, ...extra });
  }

  save(): Promise<void> {
    // Serialized now (the state to persist), written in order.
    const snapshot = manifestText(this.manifest);
    const path = join(this.dir, MANIFEST_FILE);
    this.saving = this.saving.then(async () => {
      await writeManifestText(path, snapshot);
    }).catch((err: Error) => this.log('error', 'cannot write the manifest', { recordingId: this.id, error: err.message }));
    return this.saving;
  }

  /** This part's manifest (`parts/<partId>.json`, only this recorder writes it) and the recording's current one. */
  async uploadManifest(): Promise<void> {
    await this.save();
    const m = this.manifest;
    const path = join(this.dir, MANIFEST_FILE);
    if (m.partId) await this.deps.store.putFile(partKey(m.lessonId, m.recordingId, m.partId), path, { contentType: 'application/json' });
    if (m.state !== 'handed_over') await this.deps.store.putFile(`${storagePrefix(m.lessonId, m.recordingId)}/${MANIFEST_FILE}`, path, { contentType: 'application/json' });
  }

  /**
   * Uploads one closed segment, retrying with backoff through a storage outage for up to
   * RECORDER_UPLOAD_DEADLINE_HOURS; the local file is kept until the upload is confirmed (and
   * after: finalize composes from it), and is never deleted while unconfirmed.
   */
  queueUpload(path: string, seg: { key: string; uploaded: boolean }): void {
    this.uploads = this.uploads.then(async () => {
      const since = Date.now();
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0 && Date.now() - since >= this.deps.config.uploadDeadlineMs) {
          this.log('error', 'segment upload still failing at RECORDER_UPLOAD_DEADLINE_HOURS; the local file is kept (finalize uses it)', { key: seg.key, attempts: attempt });
          return;
        }
        try {
          await this.deps.store.putFile(seg.key, path, { contentType: seg.key.endsWith('.webm') ? 'video/webm' : 'video/x-matroska' });
          seg.uploaded = true;
          this.deps.metrics?.segmentsUploaded.inc();
          await this.uploadManifest().catch(() => undefined);
          return;
        } catch (err) {
          this.deps.metrics?.uploadFailures.inc();
          if (attempt === 0 || attempt % 5 === 0) this.log('warn', 'segment upload failed; keeping the local file and retrying', { key: seg.key, attempt, error: (err as Error).message });
          await new Promise((r) => setTimeout(r, Math.min(60_000, (this.deps.uploadRetryMs ?? 500) * 2 ** Math.min(attempt, 6))));
        }
      }
    });
  }

  /** Resolves once every upload queued so far is confirmed. */
  uploadsSettled(): Promise<void> {
    return this.uploads;
  }

  /** Re-queues segments whose upload was not confirmed before a restart. */
  resumeUploads(): void {
    for (const t of this.manifest.tracks) {
      for (const r of t.runs) for (const s of r.segments) if (!s.uploaded) this.queueUpload(join(this.dir, r.dir, s.file), s);
    }
  }

  emitHook(event: DuetEvent): void {
    (this.manifest.pendingHooks ??= []).push(event);
    void this.save().then(() => this.deliverHooks());
  }

  /** Delivers pending hooks in order; each is removed from the manifest only once acknowledged. */
  deliverHooks(): void {
    if (this.hooksRunning) return;
    this.hooksRunning = true;
    void (async () => {
      const pending = (this.manifest.pendingHooks ??= []);
      while (pending.length > 0) {
        const outcome = await this.deps.hooks.deliver(pending[0]!);
        if (outcome === 'stopped') break; // kept in the manifest: delivered after the next start
        if (outcome === 'rejected') {
          // Kept in the manifest (rejectedHooks) for an operator, never silently gone.
          this.log('error', 'recording hook refused by the API as malformed; set aside in the manifest (rejectedHooks)', { recordingId: this.id, type: pending[0]!.type, eventId: pending[0]!.id });
          (this.manifest.rejectedHooks ??= []).push(pending[0]!);
        }
        pending.shift();
        await this.save();
      }
      this.hooksRunning = false;
    })();
  }

  hasPendingHooks(): boolean {
    return (this.manifest.pendingHooks?.length ?? 0) > 0;
  }
}
