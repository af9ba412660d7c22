// Operating the recorder: SIGTERM drains (no new recordings, readyz fails, FFmpeg closes its open
// segments, every segment and the manifest reach storage, exit 0, and the recording finalizes
// later without being partial); a second SIGTERM or the drain deadline exits at once keeping every
// local segment; /readyz follows storage; /metrics counts segments, uploads, upload failures,
// FFmpeg exits, finalize time and failures.
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLesson, eventually } from '../../api/test/support/harness.ts';
import { OPUS, sendAudio, sendVideo, VP8, type RtpSender } from './support/rtp-sender.ts';
import { createLocalStore, recorderEnv, sleep, startRecorderInProcess, startRecorderProcess, useRecorderTestBed } from './support/recorder-harness.ts';
import type { ObjectStore } from '../src/store.ts';
import { promSample as sample } from '@duet/deploy/testing';

const manifestAt = async (path: string) => JSON.parse(await readFile(path, 'utf8').catch(() => '{}'));

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, signal) => r({ code, signal }));
  });

/**
 * Copies each file of `from` that `to` lacks into `to`, next to a recorder that may be creating
 * the same directories and files right then: directories with mkdir -p, files only if absent.
 * (fs.cp checks then creates each directory, so a directory the recorder makes in between fails it
 * with EEXIST.)
 */
async function mergeInto(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const target = join(to, relative(from, join(entry.parentPath, entry.name)));
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(entry.parentPath, entry.name), target, constants.COPYFILE_EXCL).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}

const segmentsOf = (m: any) => m.tracks.flatMap((t: any) => t.runs.flatMap((r: any) => r.segments.map((s: any) => ({ ...s, runDir: r.dir }))));

describe('recorder operability', () => {
  const bed = useRecorderTestBed();
  const dir = bed.dir;

  it('drains on SIGTERM mid-recording: not ready, no new recordings, every segment and the manifest uploaded, exit 0, finalized later', async () => {
    const work = await dir('duet-rec-work-');
    const objects = await dir('duet-rec-obj-');
    const env = { ...recorderEnv(work, bed.api.url), OBJECTS_DIR: objects, RECORDER_IDLE_STOP_MS: '60000', RECORDER_DRAIN_DEADLINE_MS: '60000' };
    let rec = await startRecorderProcess(env);
    const ready = await fetch(`${rec.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });
    const lesson = await createLesson(bed.api, { recording: true });
    const rid = (await rec.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId;
    const cam = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'cam', role: 'tutor', source: 'camera', kind: 'video', codec: VP8 });
    const mic = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'mic', role: 'tutor', source: 'microphone', kind: 'audio', codec: OPUS });
    expect(cam.status).toBe(201);
    expect(mic.status).toBe(201);
    const video = sendVideo(cam.body.port, 'green');
    const audio = sendAudio(mic.body.port, 440);
    const senders: RtpSender[] = [video, audio];
    try {
      await sleep(6_000);
      // Storage is out for a moment (the lesson's prefix is a file, so every upload fails and is
      // retried): that keeps the drain open long enough to watch it. The lesson's one FFmpeg
      // closes its segments at once.
      await audio.stop();
      const lessonPrefix = join(objects, `recordings/sessions/${lesson.id}`);
      await rename(lessonPrefix, `${lessonPrefix}.away`);
      await writeFile(lessonPrefix, 'storage outage (test)');
      const exit = exited(rec.child);
      rec.child.kill('SIGTERM');
      const during = await eventually(async () => {
        const r = await fetch(`${rec.url}/readyz`).catch(() => undefined);
        return r?.status === 503 ? ((await r.json()) as { reasons: string[] }) : undefined;
      }, 5_000);
      expect(during.reasons).toContain('draining');
      const refused = await rec.call('POST', '/v1/recordings', { lessonId: (await createLesson(bed.api, { recording: true })).id });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('draining');
      expect((await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'screen', role: 'tutor', source: 'screen', kind: 'video', codec: VP8 })).status).toBe(503);
      const metrics = await (await fetch(`${rec.url}/metrics`)).text();
      expect(sample(metrics, 'duet_recorder_draining')).toBe(1);
      expect(sample(metrics, 'duet_recorder_recordings', { state: 'recording' })).toBe(1);
      // Storage is back: the drain uploads what it holds and exits 0.
      await rm(lessonPrefix);
      // (The recorder may already be recreating the prefix: merge back without overwriting it.)
      await mergeInto(`${lessonPrefix}.away`, lessonPrefix);
      await rm(`${lessonPrefix}.away`, { recursive: true });
      expect(await exit).toEqual({ code: 0, signal: null });
    } finally {
      for (const s of senders) await s.stop();
    }
    expect(rec.logs.some((l) => l.includes('"recorder drained"'))).toBe(true);

    // Local manifest: both runs ended cleanly, every closed segment uploaded with its full size.
    const local = await manifestAt(join(work, rid, 'manifest.json'));
    expect(local.state).toBe('recording');
    expect(local.partial).toBe(false);
    for (const t of local.tracks) for (const r of t.runs) expect(r.end).toBe('stopped');
    const segs = segmentsOf(local);
    // (The mic joined the lesson's FFmpeg a moment after the camera: a new run, and ~5 s of audio.)
    expect(segs.filter((s: any) => s.runDir.includes('/cam/')).length).toBeGreaterThanOrEqual(2);
    expect(segs.filter((s: any) => s.runDir.includes('/mic/')).length).toBeGreaterThanOrEqual(2);
    for (const s of segs) {
      expect(s.uploaded, s.key).toBe(true);
      expect((await stat(join(objects, s.key))).size).toBe(s.size);
      expect((await stat(join(work, rid, s.runDir, s.file))).size).toBe(s.size); // nothing local deleted
    }
    // The manifest in storage says the same (another recorder could finalize from it).
    const stored = await manifestAt(join(objects, `recordings/sessions/${lesson.id}/${rid}/manifest.json`));
    expect(segmentsOf(stored).map((s: any) => s.key).sort()).toEqual(segs.map((s: any) => s.key).sort());
    expect(segmentsOf(stored).every((s: any) => s.uploaded)).toBe(true);

    // The next start adopts it; ended, it finalizes whole (a drain is not an interruption).
    rec = await startRecorderProcess(env);
    try {
      const st = await rec.call('GET', `/v1/recordings/${rid}`);
      expect(st.body.state).toBe('recording');
      expect(st.body.partial).toBe(false);
      await rec.call('POST', `/v1/recordings/${rid}/stop`, { reason: 'ended_by_tutor' });
      const m = await eventually(async () => {
        const x = await manifestAt(join(objects, `recordings/sessions/${lesson.id}/${rid}/manifest.json`));
        return x.state === 'ready' || x.state === 'failed' ? x : undefined;
      }, 120_000);
      expect(m.state, JSON.stringify(m.finalize)).toBe('ready');
      expect(m.partial).toBe(false);
      expect(m.finalize.durationSeconds).toBeGreaterThan(4);
      const metrics = await (await fetch(`${rec.url}/metrics`)).text();
      expect(sample(metrics, 'duet_recorder_finalize_duration_seconds_count')).toBe(1);
      expect(sample(metrics, 'duet_recorder_recordings', { state: 'ready' })).toBe(1);
    } finally {
      await rec.close();
    }
  }, 240_000);

  it('a second SIGTERM, or the drain deadline, exits 1 at once and keeps every local segment', async () => {
    for (const how of ['second-signal', 'deadline'] as const) {
      const work = await dir('duet-rec-work-');
      const objects = await dir('duet-rec-obj-');
      const env = { ...recorderEnv(work, bed.api.url), OBJECTS_DIR: objects, RECORDER_DRAIN_DEADLINE_MS: how === 'deadline' ? '1500' : '60000' };
      const rec = await startRecorderProcess(env);
      const lesson = await createLesson(bed.api, { recording: true });
      const rid = (await rec.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId;
      const mic = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'mic', role: 'student', source: 'microphone', kind: 'audio', codec: OPUS });
      const audio = sendAudio(mic.body.port, 300);
      const manifestPath = join(work, rid, 'manifest.json');
      await eventually(async () => (segmentsOf(await manifestAt(manifestPath)).length >= 2 ? true : undefined), 30_000);
      await audio.stop();
      // A drain that cannot finish: FFmpeg closes its segment at once (the recorder sends it an
      // RTCP BYE) and the local store would take the segment in milliseconds, so the store goes
      // away (a file where its directory was: even root cannot write under it) and uploads fail.
      await rename(objects, `${objects}.away`);
      await writeFile(objects, '');
      const exit = exited(rec.child);
      const t0 = Date.now();
      rec.child.kill('SIGTERM');
      if (how === 'second-signal') {
        await eventually(async () => ((await fetch(`${rec.url}/readyz`)).status === 503 ? true : undefined), 5_000);
        rec.child.kill('SIGTERM');
      }
      expect(await exit, how).toEqual({ code: 1, signal: null });
      expect(Date.now() - t0, how).toBeLessThan(9_000);
      expect(rec.logs.some((l) => l.includes(how === 'deadline' ? 'drain incomplete' : 'second signal')), how).toBe(true);
      const m = await manifestAt(manifestPath);
      const segs = segmentsOf(m);
      expect(segs.length, how).toBeGreaterThanOrEqual(2);
      for (const s of segs) expect((await stat(join(work, rid, s.runDir, s.file))).size).toBe(s.size);
      await rm(objects);
      await rename(`${objects}.away`, objects);
      // The FFmpeg left behind finishes its segment; the next start adopts and stops it.
      const pid = m.tracks[0].runs.at(-1).pid as number | undefined;
      if (pid) {
        const next = await startRecorderProcess(env);
        await next.close();
        // Stopping is a signal and an RTCP BYE: FFmpeg is gone within moments, well before its own
        // 10-s RTP timeout would end it.
        const gone = () => {
          try {
            process.kill(pid, 0);
            return undefined;
          } catch {
            return true;
          }
        };
        expect(await eventually(gone, 3_000).catch(() => false), `ffmpeg ${pid} still running`).toBe(true);
      }
    }
  }, 180_000);

  it('reports readiness from storage, and counts segments, uploads, upload failures, FFmpeg exits and failed recordings', async () => {
    const work = await dir('duet-rec-work-');
    const objects = await dir('duet-rec-obj-');
    const real = createLocalStore(objects);
    let storageDown = true;
    const flaky: ObjectStore = {
      ...real,
      put: (...a) => real.put(...a),
      get: (...a) => real.get(...a),
      list: (...a) => real.list(...a),
      delete: (...a) => real.delete(...a),
      async head(key) {
        if (storageDown) throw new Error('connect ECONNREFUSED (test)');
        return real.head(key);
      },
      async putFile(key, path, opts) {
        if (storageDown) throw new Error('connect ECONNREFUSED (test)');
        return real.putFile(key, path, opts);
      },
    };
    const rec = await startRecorderInProcess(recorderEnv(work, bed.api.url), flaky);
    try {
      const notReady = await fetch(`${rec.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as { reasons: string[] }).reasons.join()).toContain('storage unreachable');
      expect((await fetch(`${rec.url}/healthz`)).status).toBe(200);

      const lesson = await createLesson(bed.api, { recording: true });
      const rid = (await rec.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId;
      const mic = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'mic', role: 'tutor', source: 'microphone', kind: 'audio', codec: OPUS });
      const audio = sendAudio(mic.body.port, 660);
      const scrape = async () => (await fetch(`${rec.url}/metrics`)).text();
      try {
        const m1 = await eventually(async () => {
          const m = await scrape();
          return (sample(m, 'duet_recorder_segments_written_total') ?? 0) >= 2 && (sample(m, 'duet_recorder_upload_failures_total') ?? 0) >= 2 ? m : undefined;
        }, 30_000);
        expect(sample(m1, 'duet_recorder_segments_uploaded_total')).toBe(0);
        expect(sample(m1, 'duet_recorder_recordings', { state: 'recording' })).toBe(1);
        storageDown = false;
        expect((await fetch(`${rec.url}/readyz`)).status).toBe(200);
        await eventually(async () => ((sample(await scrape(), 'duet_recorder_segments_uploaded_total') ?? 0) >= 2 ? true : undefined), 30_000);
      } finally {
        await audio.stop();
      }
      await rec.call('POST', `/v1/recordings/${rid}/stop`, {});
      const done = await eventually(async () => {
        const m = await scrape();
        return sample(m, 'duet_recorder_recordings', { state: 'ready' }) === 1 ? m : undefined;
      }, 120_000);
      expect(sample(done, 'duet_recorder_ffmpeg_exits_total', { end: 'stopped' })).toBe(1);
      expect(sample(done, 'duet_recorder_ffmpeg_exits_total', { end: 'crashed' })).toBe(0);
      expect(sample(done, 'duet_recorder_finalize_duration_seconds_count')).toBe(1);
      expect(sample(done, 'duet_recorder_segments_uploaded_total')).toBe(sample(done, 'duet_recorder_segments_written_total'));

      // A recording that never got media fails with no_media.
      const empty = (await rec.call('POST', '/v1/recordings', { lessonId: (await createLesson(bed.api, { recording: true })).id })).body.recordingId;
      await rec.call('POST', `/v1/recordings/${empty}/stop`, {});
      const failed = await eventually(async () => {
        const m = await scrape();
        return sample(m, 'duet_recorder_recording_failures_total', { reason: 'no_media' }) === 1 ? m : undefined;
      }, 30_000);
      expect(sample(failed, 'duet_recorder_recordings', { state: 'failed' })).toBe(1);
      expect(sample(failed, 'duet_recorder_process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      await rec.close();
    }
  }, 240_000);
});
