// After the lesson: one playable MP4 from every part's segments (compose.ts), uploaded, then
// `recording.ready` (or `recording.failed` with a reason). Each step is written to the manifest
// before it runs, so a recorder restarted mid-way resumes where it stopped; progress goes to the log.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { newEvent } from '@duet/api/events';
import { planCompose } from './compose.ts';
import { buildPlayback, playbackKey } from './playback.ts';
import { probeDuration, runFfmpeg } from './ffmpeg-run.ts';
import { storagePrefix, type TrackEntry } from './manifest.ts';
import { earlierTracks, loadParts } from './parts.ts';
import { removeUploadedSegments } from './segment-cleanup.ts';
import { ObjectNotFoundError } from './store.ts';
import type { RecordingDeps, RecordingStorage } from './recording-storage.ts';

/** Earlier parts' tracks (fetched once, when finalizing starts) and this part's. */
export function allTracks(storage: RecordingStorage): TrackEntry[] {
  return [...(storage.manifest.earlierTracks ?? []), ...storage.manifest.tracks];
}

export function markPartial(storage: RecordingStorage, reason: string): void {
  const m = storage.manifest;
  m.partial = true;
  if (!m.partialReasons.includes(reason)) m.partialReasons.push(reason);
}

/** After `ready` (or a hand-over) every byte is in storage: the local copies go, the manifest stays. */
export async function cleanupLocal(storage: RecordingStorage, deps: RecordingDeps): Promise<void> {
  if (deps.config.keepLocal) return;
  const allUploaded = allTracks(storage).every((t) => t.runs.every((r) => r.segments.every((s) => s.uploaded)));
  if (!allUploaded) return;
  await rm(join(storage.dir, 'tracks'), { recursive: true, force: true });
  await rm(join(storage.dir, 'final'), { recursive: true, force: true });
}

/**
 * Publishes playback.json once this part's segments are in storage (at most the last segment of
 * each track is still uploading when the lesson ends), so the lesson is watchable seconds after it.
 */
async function publishPlayback(storage: RecordingStorage, deps: RecordingDeps): Promise<void> {
  const m = storage.manifest;
  await storage.uploadsSettled();
  const playback = buildPlayback({ ...m, tracks: allTracks(storage) });
  if (!playback) return;
  const body = Buffer.from(JSON.stringify(playback));
  await deps.store.put(playbackKey(m.lessonId, m.recordingId), body, { contentType: 'application/json', contentLength: body.length });
  const readyS = m.stoppedAt ? (Date.now() - m.stoppedAt) / 1000 : undefined;
  if (readyS !== undefined) deps.metrics?.playbackReady.observe(readyS);
  deps.log('info', 'playback: ready', { recordingId: m.recordingId, session_id: m.lessonId, secondsAfterEnd: readyS, tracks: playback.tracks.length, mediaSeconds: playback.durationS });
}

/** Runs (or resumes) the finalize steps of a recording in state `finalizing`. */
export async function runFinalize(storage: RecordingStorage, deps: RecordingDeps): Promise<void> {
  const m = storage.manifest;
  if (m.state !== 'finalizing') return;
  const id = m.recordingId;
  const log = (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => deps.log(level, msg, { recordingId: id, session_id: m.lessonId, ...extra });
  m.finalize ??= { step: 'compose', attempts: 0 };
  const f = m.finalize;
  const output = join(storage.dir, 'final', 'recording.mp4');
  const outputKey = `${storagePrefix(m.lessonId, id)}/recording.mp4`;
  try {
    if (f.step === 'compose') {
      f.attempts++;
      f.startedAt = Date.now();
      await storage.save();
      // Reads from storage (earlier parts, segments recorded elsewhere) wait out an outage too.
      await withStorageRetry(storage, deps, 'merge earlier parts', () => mergeEarlierParts(storage, deps));
      // Watchable now, from the segments (playback.ts); the compose below may wait in the queue.
      void publishPlayback(storage, deps).catch((err: Error) => log('warn', 'playback manifest not published', { error: err.message }));
      await withStorageRetry(storage, deps, 'fetch segments', () => ensureLocalSegments(storage, deps));
      const tmp = join(storage.dir, 'final', 'recording.tmp.mp4');
      await mkdir(dirname(tmp), { recursive: true });
      const plan = await planCompose({ ...m, tracks: allTracks(storage) }, storage.dir, dirname(tmp), tmp);
      if (!plan) {
        await fail(storage, deps, 'no_media', 'no media reached the recorder');
        return;
      }
      const queue = deps.composeQueue;
      if (queue && queue.active >= deps.config.composeConcurrency) log('info', 'finalize: waiting for a compose slot', { queued: queue.depth + 1, running: queue.active });
      const compose = () => {
        log('info', 'finalize: composing', { step: 'compose', attempt: f.attempts, mediaSeconds: Number(plan.durationS.toFixed(1)), layout: `${plan.width}x${plan.height}` });
        const spawner = queue ? queue.spawnLowPriority.bind(queue) : undefined;
        return runFfmpeg(deps.config.ffmpegPath, plan.args, plan.durationS, (pct) => log('info', 'finalize: progress', { percent: pct }), spawner, deps.onComposeSpawn);
      };
      await (queue ? queue.run(compose) : compose());
      await rename(tmp, output);
      f.durationSeconds = await probeDuration(deps.config.ffprobePath, output);
      f.sizeBytes = (await stat(output)).size;
      f.outputKey = outputKey;
      f.step = 'upload';
      await storage.save();
      log('info', 'finalize: composed', { durationSeconds: f.durationSeconds, sizeBytes: f.sizeBytes, seconds: Math.round((Date.now() - f.startedAt) / 1000) });
    }
    if (f.step === 'upload') {
      // A storage outage is waited out (backoff) up to RECORDER_UPLOAD_DEADLINE_HOURS from the
      // first failure; the time of that failure is in the manifest, so a restart does not reset it.
      for (let attempt = 0; ; attempt++) {
        try {
          await deps.store.putFile(outputKey, output, { contentType: 'video/mp4' });
          break;
        } catch (err) {
          f.uploadFailingSince ??= Date.now();
          const failingMs = Date.now() - f.uploadFailingSince;
          if (failingMs >= deps.config.uploadDeadlineMs) throw new Error(`upload of the final file failed for ${Math.round(failingMs / 60_000)} min (RECORDER_UPLOAD_DEADLINE_HOURS): ${(err as Error).message}`);
          if (attempt === 0) await storage.save();
          if (attempt < 3 || attempt % 10 === 0) log('warn', 'finalize: upload failed, retrying until storage is back', { attempt, failingSeconds: Math.round(failingMs / 1000), error: (err as Error).message });
          await new Promise((r) => setTimeout(r, Math.min(60_000, (deps.uploadRetryMs ?? 500) * 2 ** Math.min(attempt, 6))));
        }
      }
      f.uploadFailingSince = undefined;
      f.step = 'done';
      if (f.startedAt) deps.metrics?.finalizeDuration.observe((Date.now() - f.startedAt) / 1000);
      m.state = 'ready';
      storage.emitHook(
        newEvent('recording.ready', m.lessonId, {
          recording_id: id,
          storage_key: outputKey,
          duration_seconds: f.durationSeconds,
          size_bytes: f.sizeBytes,
          partial: m.partial,
          content_type: 'video/mp4',
        }),
      );
      await storage.uploadsSettled();
      if (!deps.config.keepSegments) {
        const cleaned = await removeUploadedSegments(deps.store, allTracks(storage), log);
        log('info', 'finalize: raw segments removed from storage', { ...cleaned });
      }
      await storage.uploadManifest().catch((err: Error) => log('warn', 'manifest upload failed', { error: err.message }));
      log('info', 'finalize: ready', { storageKey: outputKey, durationSeconds: f.durationSeconds, partial: m.partial });
      await cleanupLocal(storage, deps);
    }
  } catch (err) {
    f.error = (err as Error).message;
    log('error', 'finalize failed', { step: f.step, attempt: f.attempts, error: f.error });
    if (f.step === 'compose' && f.attempts < 3) {
      // A segment FFmpeg could not finish (disk full, killed mid-write) must not sink the rest.
      await dropUnreadableSegments(storage, deps).catch((e: Error) => log('warn', 'segment check failed', { error: e.message }));
      await storage.save();
      await new Promise((r) => setTimeout(r, 1000));
      return runFinalize(storage, deps);
    }
    await fail(storage, deps, f.step === 'upload' ? 'storage_unavailable' : 'finalize_failed', f.error);
  }
}

async function fail(storage: RecordingStorage, deps: RecordingDeps, reason: string, detail: string): Promise<void> {
  const m = storage.manifest;
  m.state = 'failed';
  m.failureReason = reason;
  deps.metrics?.recordingFailures.inc({ reason });
  storage.emitHook(newEvent('recording.failed', m.lessonId, { recording_id: m.recordingId, reason, detail: detail.slice(0, 500), partial: m.partial }));
  deps.log('error', 'recording failed', { session_id: m.lessonId, recordingId: m.recordingId, reason, detail: detail.slice(0, 300) });
  await storage.save();
}

/** A recording continued from another media node: the earlier parts' segments join this one's. */
async function mergeEarlierParts(storage: RecordingStorage, deps: RecordingDeps): Promise<void> {
  const m = storage.manifest;
  if (!m.continues || m.earlierTracks) return;
  const { tracks, lost } = earlierTracks(await loadParts(deps.store, m.lessonId, m.recordingId), m);
  m.earlierTracks = tracks;
  for (const reason of lost) markPartial(storage, reason);
  await storage.save();
}

async function dropUnreadableSegments(storage: RecordingStorage, deps: RecordingDeps): Promise<void> {
  for (const t of allTracks(storage)) {
    for (const r of t.runs) {
      for (const s of r.segments) {
        if (s.invalid) continue;
        const ok = await probeDuration(deps.config.ffprobePath, join(storage.dir, r.dir, s.file)).then(() => true, () => false);
        if (!ok) {
          s.invalid = true;
          markPartial(storage, 'unreadable_segment');
          deps.log('warn', 'finalize: leaving out an unreadable segment', { session_id: storage.manifest.lessonId, recordingId: storage.manifest.recordingId, key: s.key });
        }
      }
    }
  }
}

/** Segments deleted locally (or recorded on another media node) are fetched back from storage. */
async function ensureLocalSegments(storage: RecordingStorage, deps: RecordingDeps): Promise<void> {
  for (const t of allTracks(storage)) {
    for (const r of t.runs) {
      for (const s of r.segments) {
        const path = join(storage.dir, r.dir, s.file);
        if (await stat(path).then(() => true, () => false)) continue;
        const obj = await deps.store.get(s.key);
        await mkdir(dirname(path), { recursive: true });
        // Through a temporary name: a download cut short must not pass for the segment next time.
        await pipeline(obj.body, createWriteStream(`${path}.part`));
        await rename(`${path}.part`, path);
      }
    }
  }
}

/**
 * Runs a step that reads object storage, retrying with backoff while it fails, up to
 * RECORDER_UPLOAD_DEADLINE_HOURS from the first failure (kept in the manifest across restarts).
 */
async function withStorageRetry(storage: RecordingStorage, deps: RecordingDeps, what: string, step: () => Promise<void>): Promise<void> {
  const f = storage.manifest.finalize!;
  for (let attempt = 0; ; attempt++) {
    try {
      await step();
      if (f.uploadFailingSince !== undefined) {
        f.uploadFailingSince = undefined;
        await storage.save();
      }
      return;
    } catch (err) {
      // A missing object is not an outage: the compose step handles it as before.
      if (err instanceof ObjectNotFoundError) throw err;
      f.uploadFailingSince ??= Date.now();
      const failingMs = Date.now() - f.uploadFailingSince;
      if (failingMs >= deps.config.uploadDeadlineMs) throw err;
      if (attempt === 0) await storage.save();
      if (attempt < 3 || attempt % 10 === 0) deps.log('warn', `finalize: ${what} failed, retrying until storage is back`, { session_id: storage.manifest.lessonId, recordingId: storage.manifest.recordingId, attempt, error: (err as Error).message });
      await new Promise((r) => setTimeout(r, Math.min(60_000, (deps.uploadRetryMs ?? 500) * 2 ** Math.min(attempt, 6))));
    }
  }
}
