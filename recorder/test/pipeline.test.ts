// The recorder on synthetic RTP (FFmpeg sending VP8 colour and Opus tone like mediasoup would):
// segments, uploads, manifest, finalize into one composed MP4, hooks to the real API, and FFmpeg
// crash recovery.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLesson, eventually, startApiOn, type TestApi } from '../../api/test/support/harness.ts';
import { audioLevel, isColour, probe, regionColour, runsWithMedia } from './support/media-checks.ts';
import { OPUS, sendAudio, sendVideo, VP8, type RtpSender } from './support/rtp-sender.ts';
import { createLocalStore, recorderEnv, sleep, startRecorderInProcess, tempDir } from './support/recorder-harness.ts';

describe('recorder pipeline (synthetic RTP)', () => {
  let api: TestApi;
  let dirs: { path: string; remove(): Promise<void> }[] = [];

  beforeAll(async () => {
    api = await startApiOn('pglite');
  });
  afterAll(async () => {
    await api?.close();
    if (!process.env.KEEP_TEST_DIRS) for (const d of dirs) await d.remove();
  });

  async function setup() {
    const work = await tempDir('duet-rec-work-');
    const objects = await tempDir('duet-rec-objects-');
    dirs.push(work, objects);
    const store = createLocalStore(objects.path);
    // The default: raw segments leave storage once the composed file is ready.
    const rec = await startRecorderInProcess(recorderEnv(work.path, api.url, { RECORDING_KEEP_SEGMENTS: '0' }), store);
    return { rec, store, objectsDir: objects.path };
  }

  it('records two participants, uploads segments as they close, and finalizes side by side with mixed audio', async () => {
    const { rec, objectsDir } = await setup();
    const lesson = await createLesson(api, { recording: true });
    const started = await rec.call('POST', '/v1/recordings', { lessonId: lesson.id });
    expect(started.status).toBe(201);
    const rid = started.body.recordingId as string;
    const senders: RtpSender[] = [];
    try {
      const tracks = [
        { trackId: 'tutor-cam', role: 'tutor', source: 'camera', kind: 'video', codec: VP8, send: (p: number) => sendVideo(p, 'red') },
        { trackId: 'tutor-mic', role: 'tutor', source: 'microphone', kind: 'audio', codec: OPUS, send: (p: number) => sendAudio(p, 440) },
        { trackId: 'student-cam', role: 'student', source: 'camera', kind: 'video', codec: VP8, send: (p: number) => sendVideo(p, 'blue') },
        { trackId: 'student-mic', role: 'student', source: 'microphone', kind: 'audio', codec: OPUS, send: (p: number) => sendAudio(p, 660) },
      ] as const;
      for (const t of tracks) {
        const res = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: t.trackId, role: t.role, source: t.source, kind: t.kind, codec: t.codec });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        senders.push(t.send(res.body.port));
      }
      // Segments are uploaded while the lesson is live.
      const prefix = `recordings/sessions/${lesson.id}/${rid}`;
      await eventually(async () => {
        const m = JSON.parse(await readFile(join(objectsDir, prefix, 'manifest.json'), 'utf8').catch(() => '{}'));
        const uploaded = (m.tracks ?? []).flatMap((t: any) => t.runs.flatMap((r: any) => r.segments.filter((s: any) => s.uploaded)));
        return uploaded.length >= 4 ? true : undefined;
      }, 20_000);
      // A screen share appears midway and ends before the lesson does.
      const screen = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'tutor-screen', role: 'tutor', source: 'screen', kind: 'video', codec: VP8 });
      expect(screen.status).toBe(201);
      const share = sendVideo(screen.body.port, 'green', { size: '640x360' });
      // Once FFmpeg has the share's first packet (the encoder may take a while to start here).
      await eventually(() => (rec.service.recorder.get(rid)!.manifest.tracks.find((t) => t.trackId === 'tutor-screen')?.runs[0]?.startMs ? true : undefined), 30_000);
      await sleep(5_000);
      await share.stop();
      expect((await rec.call('DELETE', `/v1/recordings/${rid}/tracks/tutor-screen`)).status).toBe(200);
      await sleep(3_000);
    } finally {
      for (const s of senders) await s.stop();
    }
    const stop = await rec.call('POST', `/v1/recordings/${rid}/stop`, { reason: 'ended_by_tutor' });
    expect(stop.status).toBe(202);
    const ready = await eventually(async () => {
      const m = JSON.parse(await readFile(join(objectsDir, `recordings/sessions/${lesson.id}/${rid}/manifest.json`), 'utf8').catch(() => '{}'));
      return m.state === 'ready' || m.state === 'failed' ? m : undefined;
    }, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${rec.logs.join('\n')}`);
    });
    expect(ready.state, JSON.stringify(ready.finalize)).toBe('ready');
    expect(ready.partial).toBe(false);
    // Every log line about this recording names its lesson as session_id (the key the API and the
    // media node use too: one grep finds the lesson in all three).
    const about = rec.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => JSON.stringify(r).includes(rid));
    expect(about.length).toBeGreaterThan(5);
    for (const r of about) expect(r.session_id, JSON.stringify(r)).toBe(lesson.id);
    const file = join(objectsDir, ready.finalize.outputKey);
    const p = await probe(file);
    expect(p.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    // One FFmpeg per lesson: every track change starts a new run; runs stopped before media flowed hold no segments.
    const runs = runsWithMedia(ready.tracks);
    const t0 = Math.min(...runs.map((r: any) => r.startMs));
    const mediaSeconds = Math.max(...runs.map((r: any) => (r.startMs - t0) / 1000 + r.segments.at(-1).endS));
    expect(new Set(runs.map((r: any) => r.index)).size).toBeGreaterThanOrEqual(2);
    // On failure: each run's start (s after the first) and its segments' span, to tell a gap from a drift.
    const timeline = runs.map((r: any) => `${r.trackId}#${r.index} at ${((r.startMs - t0) / 1000).toFixed(2)} s: ${r.segments.length} segments with media to ${r.segments.at(-1).endS} s`).join('; ');
    expect(Math.abs(p.duration - mediaSeconds), `file ${p.duration} s, media ${mediaSeconds.toFixed(2)} s; ${timeline}`).toBeLessThanOrEqual(1);
    expect(p.duration).toBeGreaterThan(8);
    expect(Math.abs(p.duration - ready.finalize.durationSeconds)).toBeLessThan(0.01);
    // Tutor's red on the left, student's blue on the right.
    const [left, right] = [await regionColour(file, p.duration / 2, { x: 160, y: 120, w: 320, h: 240 }), await regionColour(file, p.duration / 2, { x: 800, y: 120, w: 320, h: 240 })];
    expect(isColour(left, 'red'), `tutor tile at ${p.duration / 2} s: ${left}; ${timeline}`).toBe(true);
    expect(isColour(right, 'blue'), `student tile at ${p.duration / 2} s: ${right}; ${timeline}`).toBe(true);
    expect(await audioLevel(file, 1, p.duration - 1)).toBeGreaterThan(-30);
    // The screen share sits below the cameras while it lasted, black before and after.
    expect(p.streams.find((s) => s.codec_type === 'video'), JSON.stringify(ready.tracks.at(-1))).toMatchObject({ width: 1280, height: 1200 });
    const share = runs.find((r: any) => r.trackId === 'tutor-screen');
    const shareStart = (share.startMs - t0) / 1000;
    const screenRect = { x: 320, y: 480 + 180, w: 640, h: 360 };
    expect(isColour(await regionColour(file, shareStart + share.segments.at(-1).endS / 2, screenRect), 'green')).toBe(true);
    expect(isColour(await regionColour(file, Math.max(0.5, shareStart - 2), screenRect), 'black')).toBe(true);
    expect(isColour(await regionColour(file, p.duration - 0.5, screenRect), 'black')).toBe(true);
    // Raw segments: every one was uploaded (confirmed), and after ready each is gone from storage;
    // the composed file and the manifest stay.
    const segs = ready.tracks.flatMap((t: any) => t.runs.flatMap((r: any) => r.segments));
    expect(segs.length).toBeGreaterThanOrEqual(8);
    expect(segs.every((s: any) => s.uploaded)).toBe(true);
    const cleaned = await eventually(async () => {
      const m = JSON.parse(await readFile(join(objectsDir, `recordings/sessions/${lesson.id}/${rid}/manifest.json`), 'utf8'));
      const all = m.tracks.flatMap((t: any) => t.runs.flatMap((r: any) => r.segments));
      return all.every((s: any) => s.removed) ? all : undefined;
    }, 20_000);
    for (const s of cleaned) await expect(stat(join(objectsDir, s.key))).rejects.toThrow(/ENOENT/);
    expect((await stat(file)).size).toBe(ready.finalize.sizeBytes);
    await rec.close();
  }, 180_000);
});
