// One lesson's recording on this recorder: its live tracks (one FFmpeg per lesson, lesson-process.ts),
// the FFmpeg runs reflected in the manifest, and its lifecycle (recording → finalizing, or handed
// over when the lesson moved to another media node). Persistence, uploads and hooks live in
// recording-storage.ts, the finalize pipeline in finalize.ts. Every state change is written to the
// manifest before it is acted upon, so a recorder killed at any moment restarts from what is on disk.
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { newEvent } from '@duet/api/events';
import { cleanupLocal, markPartial, runFinalize } from './finalize.ts';
import { LessonProcess, parseSegmentRow, readStartMs, runDirs } from './lesson-process.ts';
import { storagePrefix, type Manifest, type Role, type Source, type TrackEntry } from './manifest.ts';
import { continuedElsewhere, loadParts, nextRunBase } from './parts.ts';
import { LiveTracks } from './live-tracks.ts';
import { RecordingStorage, type RecordingDeps } from './recording-storage.ts';
import type { RtpCodec } from './sdp.ts';

export type { RecordingDeps } from './recording-storage.ts';
export { probeDuration } from './ffmpeg-run.ts';

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
  /** Gapless: a video with no keyframe at the recorder yet, or none since its newest run started (that run shows no picture until one comes): the node keeps asking for one. */
  waitingForKeyframe?: boolean;
}

export class Recording {
  readonly manifest: Manifest;
  readonly dir: string;
  private readonly deps: RecordingDeps;
  /** Tracks being recorded now and their ports (live-tracks.ts). */
  private readonly liveTracks: LiveTracks;
  private readonly proc: LessonProcess;
  private readonly storage: RecordingStorage;
  private idleTimer: NodeJS.Timeout | undefined;
  private finalizing: Promise<void> | undefined;
  private stopped = false;

  /** The recorder's log with this recording's lesson bound (session_id, as in the API's and node's logs). */
  private log(level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>): void {
    this.deps.log(level, msg, { session_id: this.lessonId, ...extra });
  }

  private constructor(manifest: Manifest, dir: string, deps: RecordingDeps) {
    this.manifest = manifest;
    this.dir = dir;
    this.deps = deps;
    this.storage = new RecordingStorage(manifest, dir, deps);
    const firstRun = Math.max(manifest.runBase ?? 0, ...manifest.tracks.flatMap((t) => t.runs.map((r) => r.index + 1)));
    this.proc = new LessonProcess({
      dir,
      address: deps.config.rtpAddress,
      segmentSeconds: manifest.segmentSeconds,
      ffmpegPath: deps.config.ffmpegPath,
      firstRun,
      log: (level, msg, extra) => deps.log(level, msg, { recordingId: manifest.recordingId, session_id: manifest.lessonId, ...extra }),
    });
    this.liveTracks = new LiveTracks(this.proc, deps.config.rtpAddress, (id) => this.track(id)!, (msg, extra) => this.log('info', msg, { recordingId: this.id, ...extra }));
    this.wireProcess();
  }

  private get live(): Map<string, number> {
    return this.liveTracks.ports;
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
    await rec.uploadManifest().catch((err: Error) => deps.log('warn', 'manifest upload failed', { session_id: lessonId, recordingId, error: err.message }));
    if (continued) deps.log('info', 'recording continued from another media node', { session_id: lessonId, recordingId, part: manifest.partId, continues: continued.partId, runBase: manifest.runBase });
    else deps.log('info', 'recording started', { session_id: lessonId, recordingId });
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
    markPartial(this.storage, reason);
  }

  status(): { recordingId: string; lessonId: string; state: string; partial: boolean; tracks: TrackStatus[] } {
    const tracks: TrackStatus[] = [];
    const live = this.proc.pid !== undefined;
    for (const [trackId, port] of this.live) {
      if (port < 0) continue; // its run is starting
      const entry = this.track(trackId)!;
      const waiting = this.liveTracks.waitingForKeyframe(trackId);
      tracks.push({ trackId, kind: entry.kind, port, rtcpPort: port + 1, run: this.proc.currentRun, live, ...(waiting ? { waitingForKeyframe: true } : {}) });
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
    this.proc.on('runEnded', ({ run, end, ports }) => {
      // A replaced run's ports are free once it exited (never while an FFmpeg may hold them).
      this.liveTracks.releaseUnused(ports);
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

  private applyTracks(): Promise<void> {
    return this.liveTracks.apply();
  }

  /** The caller (media node) moves tracks to the ports the status names: track changes become gapless. */
  followPortChanges(): void {
    // Only before the first track: a recording whose FFmpeg already listens on the tracks' ports
    // keeps that way of working.
    if (this.liveTracks.gapless || this.live.size > 0 || this.proc.pid !== undefined) return;
    this.liveTracks.gapless = true;
    this.proc.useRelay(this.liveTracks.feed);
  }

  /** Adds a track (its port is returned once the lesson's new FFmpeg run listens on it). */
  async addTrack(spec: TrackSpec): Promise<TrackStatus> {
    if (this.state !== 'recording' || this.stopped) throw new Error(`recording ${this.id} is ${this.state}`);
    this.attach();
    if (this.live.has(spec.trackId)) {
      await this.liveTracks.settled(); // its run may still be starting
      const known = this.status().tracks.find((t) => t.trackId === spec.trackId);
      if (!known) throw new Error(`track ${spec.trackId} could not be recorded`);
      return known;
    }
    let entry = this.track(spec.trackId);
    if (!entry) {
      const container = spec.codec.mimeType.toLowerCase() === 'video/h264' ? 'matroska' : 'webm';
      entry = { ...spec, container, addedAt: Date.now(), runs: [] };
      this.manifest.tracks.push(entry);
    } else {
      delete entry.removedAt;
    }
    // Its port comes with the run that records it (applyTracks).
    this.live.set(spec.trackId, -1);
    try {
      await this.applyTracks();
    } catch (err) {
      this.live.delete(spec.trackId);
      void this.applyTracks().catch((e: Error) => this.log('error', 'ffmpeg restart failed', { recordingId: this.id, error: e.message }));
      throw err;
    }
    await this.save();
    this.log('info', 'recording track', { recordingId: this.id, trackId: spec.trackId, role: spec.role, source: spec.source, kind: spec.kind, port: this.live.get(spec.trackId), run: this.proc.currentRun });
    return this.status().tracks.find((t) => t.trackId === spec.trackId)!;
  }

  /** The producers are gone (camera off, left, replaced): the lesson's FFmpeg goes on without them. */
  async removeTracks(trackIds: string[]): Promise<boolean> {
    const removed = trackIds.filter((id) => this.live.delete(id));
    if (removed.length === 0) return false;
    // Their ports are released when the run that recorded them exits (runEnded).
    await this.applyTracks().catch((err: Error) => this.log('error', 'ffmpeg restart failed', { recordingId: this.id, error: err.message }));
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
  detach(windowMs = this.deps.config.idleStopMs): void {
    if (this.idleTimer || this.state !== 'recording') return;
    void this.removeTracks([...this.live.keys()]);
    this.idleTimer = setTimeout(() => void this.stop('idle'), windowMs);
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
      this.log('info', 'recording stopping', { recordingId: this.id, reason });
      this.liveTracks.stopRuns(); // the runs end with the recording: no new one for the tracks going away
      await this.removeTracks([...this.live.keys()]);
      await this.proc.stop();
      await this.liveTracks.changes;
      this.manifest.stoppedAt = Date.now();
      if (await this.continuedElsewhere()) {
        // The lesson moved to another media node, whose recorder continued this recording and
        // finalizes it: this part only makes sure its segments are in storage.
        this.manifest.state = 'handed_over';
        await this.storage.uploadsSettled();
        await this.uploadManifest().catch((err: Error) => this.log('warn', 'manifest upload failed', { recordingId: this.id, error: err.message }));
        this.log('info', 'recording handed over to another media node', { recordingId: this.id, session_id: this.lessonId });
        await cleanupLocal(this.storage, this.deps);
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
      this.log('warn', 'cannot read the recording parts in storage; finalizing here', { recordingId: this.id, error: (err as Error).message });
      return false;
    }
  }

  /** Stops FFmpeg and timers without finalizing (recorder shutdown: the next start resumes). */
  async shutdown(): Promise<void> {
    this.attach();
    this.stopped = true;
    await this.proc.stop();
    await this.storage.uploadsSettled();
    // In storage too (this part's manifest included): another node may continue the lesson.
    await this.uploadManifest().catch((err: Error) => this.log('warn', 'manifest upload failed', { recordingId: this.id, error: err.message }));
  }

  // ---- persistence, uploads, hooks (recording-storage.ts) and finalize (finalize.ts) ---------

  save(): Promise<void> {
    return this.storage.save();
  }

  private uploadManifest(): Promise<void> {
    return this.storage.uploadManifest();
  }

  private queueUpload(path: string, seg: { key: string; uploaded: boolean }): void {
    this.storage.queueUpload(path, seg);
  }

  resumeUploads(): void {
    this.storage.resumeUploads();
  }

  deliverHooks(): void {
    this.storage.deliverHooks();
  }

  hasPendingHooks(): boolean {
    return this.storage.hasPendingHooks();
  }

  /**
   * A failed recording finalizes again from what this recorder holds (operator retry once storage
   * or whatever failed is back: POST /v1/recordings/:id/retry on the API). False if not failed.
   */
  async retry(): Promise<boolean> {
    const m = this.manifest;
    if (m.state !== 'failed') return false;
    m.state = 'finalizing';
    m.failureReason = undefined;
    if (m.finalize) {
      m.finalize.attempts = 0;
      m.finalize.error = undefined;
      m.finalize.uploadFailingSince = undefined;
      if (m.finalize.step === 'done') m.finalize.step = 'compose';
    }
    await this.save();
    this.log('info', 'retrying a failed recording', { recordingId: this.id, step: m.finalize?.step ?? 'compose' });
    this.resumeUploads();
    void this.finalize();
    return true;
  }

  finalize(): Promise<void> {
    this.finalizing ??= runFinalize(this.storage, this.deps).finally(() => (this.finalizing = undefined));
    return this.finalizing;
  }
}

