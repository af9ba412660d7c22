// One lesson's recording: its tracks (one FFmpeg each), segment uploads, the manifest, and the
// finalize pipeline. Every state change is written to the manifest before it is acted upon, so
// a recorder killed at any moment restarts from what is on disk.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { newEvent, type DuetEvent } from '@duet/api/events';
import type { RecorderConfig } from './config.ts';
import { planCompose } from './compose.ts';
import type { HookClient, Log } from './hook-client.ts';
import { MANIFEST_FILE, partKey, storagePrefix, writeManifest, type Manifest, type Role, type Source, type TrackEntry } from './manifest.ts';
import type { RecorderMetrics } from './metrics.ts';
import { continuedElsewhere, earlierTracks, loadParts, nextRunBase } from './parts.ts';
import { allocatePortPair, releasePortPair } from './ports.ts';
import type { RtpCodec } from './sdp.ts';
import type { ObjectStore } from './store.ts';
import { LessonProcess, parseSegmentRow, readStartMs, runDirs } from './lesson-process.ts';

export interface TrackSpec {
  trackId: string;
  role: Role;
  source: Source;
  kind: 'audio' | 'video';
  codec: RtpCodec;
}

export interface TrackStatus {
  trackId: string;
  kind: 'audio' | 'video';
  port: number;
  rtcpPort: number;
  /** Increments on every FFmpeg (re)start: the media node requests a keyframe when it changes. */
  run: number;
  live: boolean;
}

export interface RecordingDeps {
  config: RecorderConfig;
  store: ObjectStore;
  hooks: HookClient;
  log: Log;
  /** Upload retry schedule base (tests shorten it). */
  uploadRetryMs?: number;
  metrics?: RecorderMetrics;
}

export class Recording {
  readonly manifest: Manifest;
  readonly dir: string;
  private readonly deps: RecordingDeps;
  /** Tracks being recorded now, with their RTP port (stable across FFmpeg runs). */
  private readonly live = new Map<string, number>();
  private readonly proc: LessonProcess;
  private saving: Promise<void> = Promise.resolve();
  private uploads: Promise<void> = Promise.resolve();
  private hooksRunning = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private finalizing: Promise<void> | undefined;
  private stopped = false;
  /** Track-set changes in flight; stop and finalize wait for them. */
  private changes: Promise<void> = Promise.resolve();

  private constructor(manifest: Manifest, dir: string, deps: RecordingDeps) {
    this.manifest = manifest;
    this.dir = dir;
    this.deps = deps;
    const firstRun = Math.max(manifest.runBase ?? 0, ...manifest.tracks.flatMap((t) => t.runs.map((r) => r.index + 1)));
    this.proc = new LessonProcess({
      dir,
      address: deps.config.rtpAddress,
      segmentSeconds: manifest.segmentSeconds,
      ffmpegPath: deps.config.ffmpegPath,
      firstRun,
      log: (level, msg, extra) => deps.log(level, msg, { recordingId: manifest.recordingId, lessonId: manifest.lessonId, ...extra }),
    });
    this.wireProcess();
  }

  /**
   * A new recording of the lesson, or, with `continued`, a new part of a recording that another
   * media node's recorder started (the lesson moved here): same recordingId, no second
   * `recording.started`, runs numbered after the earlier part's.
   */
  static async create(lessonId: string, deps: RecordingDeps, continued?: Manifest): Promise<Recording> {
    const recordingId = continued?.recordingId ?? randomUUID();
    const manifest: Manifest = {
      version: 1,
      recordingId,
      lessonId,
      state: 'recording',
      partial: false,
      partialReasons: [],
      createdAt: Date.now(),
      segmentSeconds: continued?.segmentSeconds ?? deps.config.segmentSeconds,
      partId: randomUUID(),
      ...(continued ? { continues: continued.partId, runBase: nextRunBase(continued) } : {}),
      tracks: [],
      pendingHooks: continued ? [] : [newEvent('recording.started', lessonId, { recording_id: recordingId })],
    };
    const rec = new Recording(manifest, join(deps.config.workDir, recordingId), deps);
    await rec.save();
    rec.deliverHooks();
    // In storage at once: a recorder on another node finds it if the lesson moves there.
    await rec.uploadManifest().catch((err: Error) => deps.log('warn', 'manifest upload failed', { recordingId, error: err.message }));
    if (continued) deps.log('info', 'recording continued from another media node', { lessonId, recordingId, part: manifest.partId, continues: continued.partId, runBase: manifest.runBase });
    else deps.log('info', 'recording started', { lessonId, recordingId });
    return rec;
  }

  /** A recording found on disk after a restart. Runs that were live when the recorder died are interrupted. */
  static async adopt(manifest: Manifest, dir: string, deps: RecordingDeps): Promise<Recording> {
    const rec = new Recording(manifest, dir, deps);
    // Segments FFmpeg closed after the last manifest write (or when its orphan was stopped).
    for (const t of manifest.tracks) {
      for (const run of t.runs) {
        const text = await readFile(join(dir, run.dir, 'segments.csv'), 'utf8').catch(() => '');
        for (const row of text.split('\n')) {
          const seg = parseSegmentRow(row);
          if (!seg || run.segments.some((s) => s.file === seg.file)) continue;
          const { file, startS, endS } = seg;
          const size = await stat(join(dir, run.dir, file)).then((s) => s.size, () => -1);
          if (size < 0) continue;
          run.segments.push({ file, startS, endS, size, key: `${storagePrefix(manifest.lessonId, manifest.recordingId)}/${run.dir}/${file}`, uploaded: false });
        }
        if (run.startMs === undefined && run.segments.length > 0) run.startMs = await readStartMs(join(dir, run.ffmpegDir ?? run.dir));
      }
    }
    if (manifest.state === 'recording') {
      let interrupted = false;
      for (const t of manifest.tracks) {
        for (const run of t.runs) {
          if (run.end === undefined) {
            run.end = 'interrupted';
            run.endedAt = Date.now();
            interrupted = true;
          }
        }
      }
      if (interrupted) rec.markPartial('recorder_restarted');
    }
    return rec;
  }

  get id(): string {
    return this.manifest.recordingId;
  }

  get lessonId(): string {
    return this.manifest.lessonId;
  }

  get isStopping(): boolean {
    return this.stopped;
  }

  get state(): Manifest['state'] {
    return this.manifest.state;
  }

  markPartial(reason: string): void {
    this.manifest.partial = true;
    if (!this.manifest.partialReasons.includes(reason)) this.manifest.partialReasons.push(reason);
  }

  status(): { recordingId: string; lessonId: string; state: string; partial: boolean; tracks: TrackStatus[] } {
    const tracks: TrackStatus[] = [];
    const live = this.proc.pid !== undefined;
    for (const [trackId, port] of this.live) {
      const entry = this.track(trackId)!;
      tracks.push({ trackId, kind: entry.kind, port, rtcpPort: port + 1, run: this.proc.currentRun, live });
    }
    return { recordingId: this.id, lessonId: this.lessonId, state: this.state, partial: this.manifest.partial, tracks };
  }

  private track(trackId: string): TrackEntry | undefined {
    return this.manifest.tracks.find((t) => t.trackId === trackId);
  }

  /** The lesson's FFmpeg runs, reflected in the manifest (written before anything else acts on them). */
  private wireProcess(): void {
    const runsOf = (run: number) => this.manifest.tracks.flatMap((t) => t.runs.filter((r) => r.index === run));
    this.proc.on('runStarted', ({ run, pid, trackIds, ffmpegDir }) => {
      for (const trackId of trackIds) {
        const t = this.track(trackId);
        if (t && !t.runs.some((r) => r.index === run)) t.runs.push({ index: run, dir: runDirs(run, trackId).track, ffmpegDir, pid, segments: [] });
      }
      void this.save();
    });
    this.proc.on('mediaStarted', ({ run, startMs }) => {
      for (const r of runsOf(run)) r.startMs = startMs;
      void this.save();
    });
    this.proc.on('segmentClosed', ({ run, trackId, segment }) => {
      const r = this.track(trackId)?.runs.find((x) => x.index === run);
      if (!r || r.segments.some((s) => s.file === segment.file)) return;
      const key = `${storagePrefix(this.lessonId, this.id)}/${r.dir}/${segment.file}`;
      const entrySeg = { ...segment, key, uploaded: false };
      r.segments.push(entrySeg);
      this.deps.metrics?.segmentsWritten.inc();
      void this.save();
      this.queueUpload(join(this.dir, r.dir, segment.file), entrySeg);
    });
    this.proc.on('runEnded', ({ run, end }) => {
      for (const r of runsOf(run)) {
        r.end = end;
        r.endedAt = Date.now();
        delete r.pid;
      }
      this.deps.metrics?.ffmpegExits.inc({ end });
      if (end === 'crashed') this.markPartial('ffmpeg_restarted');
      void this.save();
    });
  }

  /** Points the lesson's FFmpeg at the live tracks (a new run when the set changed). */
  private applyTracks(): Promise<void> {
    const inputs = [...this.live].map(([trackId, port]) => {
      const t = this.track(trackId)!;
      return { trackId, kind: t.kind, codec: t.codec, container: t.container, port };
    });
    const change = this.proc.setInputs(inputs);
    this.changes = this.changes.then(() => change).catch(() => undefined);
    return change;
  }

  /** Adds a track (its port is returned once the lesson's new FFmpeg run listens on it). */
  async addTrack(spec: TrackSpec): Promise<TrackStatus> {
    if (this.state !== 'recording' || this.stopped) throw new Error(`recording ${this.id} is ${this.state}`);
    this.attach();
    if (this.live.has(spec.trackId)) return this.status().tracks.find((t) => t.trackId === spec.trackId)!;
    let entry = this.track(spec.trackId);
    if (!entry) {
      const container = spec.codec.mimeType.toLowerCase() === 'video/h264' ? 'matroska' : 'webm';
      entry = { ...spec, container, addedAt: Date.now(), runs: [] };
      this.manifest.tracks.push(entry);
    } else {
      delete entry.removedAt;
    }
    const port = await allocatePortPair(this.deps.config.rtpAddress);
    this.live.set(spec.trackId, port);
    try {
      await this.applyTracks();
    } catch (err) {
      this.live.delete(spec.trackId);
      releasePortPair(port);
      void this.applyTracks().catch((e: Error) => this.deps.log('error', 'ffmpeg restart failed', { recordingId: this.id, error: e.message }));
      throw err;
    }
    await this.save();
    this.deps.log('info', 'recording track', { recordingId: this.id, trackId: spec.trackId, role: spec.role, source: spec.source, kind: spec.kind, port, run: this.proc.currentRun });
    return this.status().tracks.find((t) => t.trackId === spec.trackId)!;
  }

  /** The producers are gone (camera off, left, replaced): the lesson's FFmpeg goes on without them. */
  async removeTracks(trackIds: string[]): Promise<boolean> {
    const ports = trackIds.flatMap((id) => {
      const port = this.live.get(id);
      this.live.delete(id);
      return port === undefined ? [] : [port];
    });
    if (ports.length === 0) return false;
    await this.applyTracks().catch((err: Error) => this.deps.log('error', 'ffmpeg restart failed', { recordingId: this.id, error: err.message }));
    for (const p of ports) releasePortPair(p);
    for (const id of trackIds) {
      const entry = this.track(id);
      if (entry) entry.removedAt = Date.now();
    }
    await this.save();
    return true;
  }

  removeTrack(trackId: string): Promise<boolean> {
    return this.removeTracks([trackId]);
  }

  /** The media node's room emptied: its tracks end now; finalize unless it comes back within the idle window. */
  detach(): void {
    if (this.idleTimer || this.state !== 'recording') return;
    void this.removeTracks([...this.live.keys()]);
    this.idleTimer = setTimeout(() => void this.stop('idle'), this.deps.config.idleStopMs);
    this.idleTimer.unref();
  }

  attach(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Ends the live part and finalizes. Safe to call repeatedly. */
  async stop(reason: string): Promise<void> {
    this.attach();
    if (!this.stopped && this.state === 'recording') {
      this.stopped = true;
      this.deps.log('info', 'recording stopping', { recordingId: this.id, reason });
      await this.removeTracks([...this.live.keys()]);
      await this.proc.stop();
      await this.changes;
      this.manifest.stoppedAt = Date.now();
      if (await this.continuedElsewhere()) {
        // The lesson moved to another media node, whose recorder continued this recording and
        // finalizes it: this part only makes sure its segments are in storage.
        this.manifest.state = 'handed_over';
        await this.uploads;
        await this.uploadManifest().catch((err: Error) => this.deps.log('warn', 'manifest upload failed', { recordingId: this.id, error: err.message }));
        this.deps.log('info', 'recording handed over to another media node', { recordingId: this.id, lessonId: this.lessonId });
        await this.cleanupLocal();
        return;
      }
      this.manifest.state = 'finalizing';
      await this.save();
    }
    await this.finalize();
  }

  private async continuedElsewhere(): Promise<boolean> {
    if (!this.manifest.partId) return false;
    try {
      return continuedElsewhere(await loadParts(this.deps.store, this.lessonId, this.id), this.manifest);
    } catch (err) {
      this.deps.log('warn', 'cannot read the recording parts in storage; finalizing here', { recordingId: this.id, error: (err as Error).message });
      return false;
    }
  }

  /** Earlier parts' tracks (fetched once, when finalizing starts) and this part's. */
  private allTracks(): TrackEntry[] {
    return [...(this.manifest.earlierTracks ?? []), ...this.manifest.tracks];
  }

  private async mergeEarlierParts(): Promise<void> {
    const m = this.manifest;
    if (!m.continues || m.earlierTracks) return;
    const { tracks, lost } = earlierTracks(await loadParts(this.deps.store, this.lessonId, this.id), m);
    m.earlierTracks = tracks;
    for (const reason of lost) this.markPartial(reason);
    await this.save();
  }

  /** Stops FFmpeg and timers without finalizing (recorder shutdown: the next start resumes). */
  async shutdown(): Promise<void> {
    this.attach();
    this.stopped = true;
    await this.proc.stop();
    await this.uploads;
    await this.save();
  }

  // ---- persistence and uploads ------------------------------------------------------------

  save(): Promise<void> {
    const snapshot = JSON.stringify(this.manifest);
    const path = join(this.dir, MANIFEST_FILE);
    this.saving = this.saving.then(async () => {
      await writeManifest(path, JSON.parse(snapshot) as Manifest);
    }).catch((err: Error) => this.deps.log('error', 'cannot write the manifest', { recordingId: this.id, error: err.message }));
    return this.saving;
  }

  /** This part's manifest (`parts/<partId>.json`, only this recorder writes it) and the recording's current one. */
  private async uploadManifest(): Promise<void> {
    await this.save();
    const path = join(this.dir, MANIFEST_FILE);
    if (this.manifest.partId) await this.deps.store.putFile(partKey(this.lessonId, this.id, this.manifest.partId), path, { contentType: 'application/json' });
    if (this.manifest.state !== 'handed_over') await this.deps.store.putFile(`${storagePrefix(this.lessonId, this.id)}/${MANIFEST_FILE}`, path, { contentType: 'application/json' });
  }

  /** Uploads one closed segment, retrying with backoff; the local file is kept until then (and after). */
  private queueUpload(path: string, seg: { key: string; uploaded: boolean }): void {
    this.uploads = this.uploads.then(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.deps.store.putFile(seg.key, path, { contentType: seg.key.endsWith('.webm') ? 'video/webm' : 'video/x-matroska' });
          seg.uploaded = true;
          this.deps.metrics?.segmentsUploaded.inc();
          await this.uploadManifest().catch(() => undefined);
          return;
        } catch (err) {
          this.deps.metrics?.uploadFailures.inc();
          if (attempt === 0 || attempt % 5 === 0) this.deps.log('warn', 'segment upload failed; keeping the local file and retrying', { key: seg.key, attempt, error: (err as Error).message });
          await new Promise((r) => setTimeout(r, Math.min(30_000, (this.deps.uploadRetryMs ?? 500) * 2 ** Math.min(attempt, 6))));
        }
      }
    });
  }

  /** Re-queues segments whose upload was not confirmed before a restart. */
  resumeUploads(): void {
    for (const t of this.manifest.tracks) {
      for (const r of t.runs) for (const s of r.segments) if (!s.uploaded) this.queueUpload(join(this.dir, r.dir, s.file), s);
    }
  }

  private emitHook(event: DuetEvent): void {
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
        const ok = await this.deps.hooks.deliver(pending[0]!);
        if (!ok) this.deps.log('error', 'recording hook dropped', { recordingId: this.id, type: pending[0]!.type });
        pending.shift();
        await this.save();
      }
      this.hooksRunning = false;
    })();
  }

  // ---- finalize ---------------------------------------------------------------------------

  finalize(): Promise<void> {
    this.finalizing ??= this.runFinalize().finally(() => (this.finalizing = undefined));
    return this.finalizing;
  }

  private async runFinalize(): Promise<void> {
    const m = this.manifest;
    if (m.state !== 'finalizing') return;
    const log = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => this.deps.log(level, msg, { recordingId: this.id, lessonId: this.lessonId, ...extra });
    m.finalize ??= { step: 'compose', attempts: 0 };
    const f = m.finalize;
    const output = join(this.dir, 'final', 'recording.mp4');
    const outputKey = `${storagePrefix(this.lessonId, this.id)}/recording.mp4`;
    try {
      if (f.step === 'compose') {
        f.attempts++;
        f.startedAt = Date.now();
        await this.save();
        await this.mergeEarlierParts();
        await this.ensureLocalSegments();
        const tmp = join(this.dir, 'final', 'recording.tmp.mp4');
        await mkdir(dirname(tmp), { recursive: true });
        const plan = await planCompose({ ...m, tracks: this.allTracks() }, this.dir, dirname(tmp), tmp);
        if (!plan) {
          await this.fail('no_media', 'no media reached the recorder');
          return;
        }
        log('info', 'finalize: composing', { step: 'compose', attempt: f.attempts, mediaSeconds: Number(plan.durationS.toFixed(1)), layout: `${plan.width}x${plan.height}` });
        await runFfmpeg(this.deps.config.ffmpegPath, plan.args, plan.durationS, (pct) => log('info', 'finalize: progress', { percent: pct }));
        await rename(tmp, output);
        f.durationSeconds = await probeDuration(this.deps.config.ffprobePath, output);
        f.sizeBytes = (await stat(output)).size;
        f.outputKey = outputKey;
        f.step = 'upload';
        await this.save();
        log('info', 'finalize: composed', { durationSeconds: f.durationSeconds, sizeBytes: f.sizeBytes, seconds: Math.round((Date.now() - f.startedAt) / 1000) });
      }
      if (f.step === 'upload') {
        for (let attempt = 0; ; attempt++) {
          try {
            await this.deps.store.putFile(outputKey, output, { contentType: 'video/mp4' });
            break;
          } catch (err) {
            if (attempt >= 8) throw new Error(`upload of the final file failed: ${(err as Error).message}`);
            log('warn', 'finalize: upload failed, retrying', { attempt, error: (err as Error).message });
            await new Promise((r) => setTimeout(r, Math.min(30_000, (this.deps.uploadRetryMs ?? 500) * 2 ** attempt)));
          }
        }
        f.step = 'done';
        if (f.startedAt) this.deps.metrics?.finalizeDuration.observe((Date.now() - f.startedAt) / 1000);
        m.state = 'ready';
        this.emitHook(
          newEvent('recording.ready', this.lessonId, {
            recording_id: this.id,
            storage_key: outputKey,
            duration_seconds: f.durationSeconds,
            size_bytes: f.sizeBytes,
            partial: m.partial,
            content_type: 'video/mp4',
          }),
        );
        await this.uploads;
        await this.uploadManifest().catch((err: Error) => log('warn', 'manifest upload failed', { error: err.message }));
        log('info', 'finalize: ready', { storageKey: outputKey, durationSeconds: f.durationSeconds, partial: m.partial });
        await this.cleanupLocal();
      }
    } catch (err) {
      f.error = (err as Error).message;
      log('error', 'finalize failed', { step: f.step, attempt: f.attempts, error: f.error });
      if (f.step === 'compose' && f.attempts < 3) {
        // A segment FFmpeg could not finish (disk full, killed mid-write) must not sink the rest.
        await this.dropUnreadableSegments().catch((e: Error) => log('warn', 'segment check failed', { error: e.message }));
        await this.save();
        await new Promise((r) => setTimeout(r, 1000));
        return this.runFinalize();
      }
      await this.fail(f.step === 'upload' ? 'storage_unavailable' : 'finalize_failed', f.error);
    }
  }

  private async fail(reason: string, detail: string): Promise<void> {
    this.manifest.state = 'failed';
    this.manifest.failureReason = reason;
    this.deps.metrics?.recordingFailures.inc({ reason });
    this.emitHook(newEvent('recording.failed', this.lessonId, { recording_id: this.id, reason, detail: detail.slice(0, 500), partial: this.manifest.partial }));
    this.deps.log('error', 'recording failed', { recordingId: this.id, reason, detail: detail.slice(0, 300) });
    await this.save();
  }

  private async dropUnreadableSegments(): Promise<void> {
    for (const t of this.allTracks()) {
      for (const r of t.runs) {
        for (const s of r.segments) {
          if (s.invalid) continue;
          const ok = await probeDuration(this.deps.config.ffprobePath, join(this.dir, r.dir, s.file)).then(() => true, () => false);
          if (!ok) {
            s.invalid = true;
            this.markPartial('unreadable_segment');
            this.deps.log('warn', 'finalize: leaving out an unreadable segment', { recordingId: this.id, key: s.key });
          }
        }
      }
    }
  }

  /** Segments deleted locally (or recorded on another machine) are fetched back from storage. */
  private async ensureLocalSegments(): Promise<void> {
    for (const t of this.allTracks()) {
      for (const r of t.runs) {
        for (const s of r.segments) {
          const path = join(this.dir, r.dir, s.file);
          if (await stat(path).then(() => true, () => false)) continue;
          const obj = await this.deps.store.get(s.key);
          await mkdir(dirname(path), { recursive: true });
          await pipeline(obj.body, createWriteStream(path));
        }
      }
    }
  }

  /** After `ready` every byte is in storage: the local copies go, the manifest stays. */
  private async cleanupLocal(): Promise<void> {
    if (this.deps.config.keepLocal) return;
    const allUploaded = this.allTracks().every((t) => t.runs.every((r) => r.segments.every((s) => s.uploaded)));
    if (!allUploaded) return;
    await rm(join(this.dir, 'tracks'), { recursive: true, force: true });
    await rm(join(this.dir, 'final'), { recursive: true, force: true });
  }

  hasPendingHooks(): boolean {
    return (this.manifest.pendingHooks?.length ?? 0) > 0;
  }
}

function runFfmpeg(bin: string, args: string[], durationS: number, progress: (pct: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let lastLog = 0;
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-2000)));
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      const m = /out_time_us=(\d+)/.exec(c);
      if (m && Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        progress(Math.min(100, Math.round((Number(m[1]) / 1e6 / durationS) * 100)));
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${err.trim().slice(-500)}`))));
  });
}

export function probeDuration(ffprobe: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => {
      const d = Number(out.trim());
      if (code === 0 && Number.isFinite(d)) resolve(Math.round(d * 1000) / 1000);
      else reject(new Error(`ffprobe could not read ${path}`));
    });
  });
}
