// Faults: FFmpeg dying mid-lesson (restarted, a new run, the lesson continues), the recorder
// killed with SIGKILL mid-lesson (closed segments kept, recording marked partial, finalized from
// what exists plus what was recorded after the restart), and uploads failing (retried, local
// segments kept until confirmed).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLesson, eventually } from '../../api/test/support/harness.ts';
import { isColour, probe, regionColour } from './support/media-checks.ts';
import { OPUS, sendAudio, sendVideo, VP8, type RtpSender } from './support/rtp-sender.ts';
import { createLocalStore, recorderEnv, sleep, startRecorderInProcess, startRecorderProcess, useRecorderTestBed } from './support/recorder-harness.ts';
import type { ObjectStore } from '../src/store.ts';

const manifestAt = async (path: string) => JSON.parse(await readFile(path, 'utf8').catch(() => '{}'));

describe('recorder faults', () => {
  const bed = useRecorderTestBed();
  const dir = bed.dir;

  it('restarts FFmpeg when it dies and keeps recording the track', async () => {
    const work = await dir('duet-rec-work-');
    const objects = await dir('duet-rec-obj-');
    const rec = await startRecorderInProcess(recorderEnv(work, bed.api.url), createLocalStore(objects));
    const lesson = await createLesson(bed.api, { recording: true });
    const rid = (await rec.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId;
    const cam = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'cam', role: 'tutor', source: 'camera', kind: 'video', codec: VP8 });
    const video = sendVideo(cam.body.port, 'red');
    try {
      const manifestPath = join(work, rid, 'manifest.json');
      const firstRun = await eventually(async () => {
        const m = await manifestAt(manifestPath);
        const run = m.tracks?.[0]?.runs?.[0];
        return run?.pid && run.startMs ? run : undefined;
      }, 20_000);
      await sleep(3_000);
      process.kill(firstRun.pid, 'SIGKILL'); // FFmpeg crashes
      // A new run on the same port; the media node sees the run number change.
      await eventually(async () => {
        const st = await rec.call('GET', `/v1/recordings/${rid}`);
        return st.body.tracks[0]?.run === 1 && st.body.tracks[0].port === cam.body.port ? true : undefined;
      }, 20_000);
      await eventually(async () => ((await manifestAt(manifestPath)).tracks[0].runs[1]?.startMs ? true : undefined), 20_000);
      await sleep(4_000);
    } finally {
      await video.stop();
    }
    await rec.call('POST', `/v1/recordings/${rid}/stop`, {});
    const m = await eventually(async () => {
      const x = await manifestAt(join(objects, `recordings/sessions/${lesson.id}/${rid}/manifest.json`));
      return x.state === 'ready' || x.state === 'failed' ? x : undefined;
    }, 120_000);
    expect(m.state).toBe('ready');
    expect(m.partial).toBe(true);
    expect(m.partialReasons).toContain('ffmpeg_restarted');
    expect(m.tracks[0].runs[0].end).toBe('crashed');
    expect(m.tracks[0].runs[1].segments.length).toBeGreaterThan(0);
    const file = join(objects, m.finalize.outputKey);
    const p = await probe(file);
    // The picture after the restart is there (last second is red on the left).
    expect(isColour(await regionColour(file, p.duration - 1, { x: 160, y: 120, w: 320, h: 240 }), 'red')).toBe(true);
    await rec.close();
  }, 180_000);

  it('survives kill -9 of the recorder: closed segments kept, recording partial, finalized with both parts', async () => {
    const work = await dir('duet-rec-work-');
    const objects = await dir('duet-rec-obj-');
    const env = { ...recorderEnv(work, bed.api.url), OBJECTS_DIR: objects, RECORDER_IDLE_STOP_MS: '60000' };
    let rec = await startRecorderProcess(env);
    const lesson = await createLesson(bed.api, { recording: true });
    const rid = (await rec.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId;
    const addTracks = async () => {
      const cam = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'cam', role: 'student', source: 'camera', kind: 'video', codec: VP8 });
      const mic = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'mic', role: 'student', source: 'microphone', kind: 'audio', codec: OPUS });
      expect(cam.status).toBe(201);
      expect(mic.status).toBe(201);
      return [sendVideo(cam.body.port, 'blue'), sendAudio(mic.body.port, 500)];
    };
    let senders: RtpSender[] = await addTracks();
    await sleep(7_000);
    rec.child.kill('SIGKILL');
    await new Promise((r) => rec.child.once('exit', r));
    await sleep(1_000);
    for (const s of senders) await s.stop();
    // Restarted on the same work dir: it adopts the recording and waits for the media node.
    rec = await startRecorderProcess(env);
    const st = await rec.call('GET', `/v1/recordings/${rid}`);
    expect(st.status).toBe(200);
    expect(st.body.state).toBe('recording');
    expect(st.body.partial).toBe(true);
    // The media node re-plumbs its tracks into the same recording.
    senders = await addTracks();
    await sleep(5_000);
    for (const s of senders) await s.stop();
    await rec.call('POST', `/v1/recordings/${rid}/stop`, { reason: 'ended_by_tutor' });
    const m = await eventually(async () => {
      const x = await manifestAt(join(objects, `recordings/sessions/${lesson.id}/${rid}/manifest.json`));
      return x.state === 'ready' || x.state === 'failed' ? x : undefined;
    }, 120_000);
    expect(m.state, JSON.stringify(m.finalize)).toBe('ready');
    expect(m.partial).toBe(true);
    expect(m.partialReasons).toContain('recorder_restarted');
    const cam = m.tracks.find((t: any) => t.trackId === 'cam');
    // The lesson's FFmpeg run that was live when the recorder died (earlier runs ended when tracks were added).
    const killed = cam.runs.filter((r: any) => r.end === 'interrupted');
    expect(killed.length).toBe(1);
    expect(cam.runs.slice(0, cam.runs.indexOf(killed[0])).every((r: any) => r.end === 'stopped')).toBe(true);
    // Every segment of that run (closed before or when the orphaned FFmpeg was stopped) is kept.
    expect(killed[0].segments.length).toBeGreaterThanOrEqual(3);
    for (const s of cam.runs.flatMap((r: any) => r.segments)) expect((await stat(join(objects, s.key))).size).toBe(s.size);
    const file = join(objects, m.finalize.outputKey);
    const p = await probe(file);
    expect(p.duration).toBeGreaterThan(11);
    expect(isColour(await regionColour(file, 2, { x: 800, y: 120, w: 320, h: 240 }), 'blue')).toBe(true);
    // ...and the picture recorded after the restart, placed at its wall-clock time.
    const t0 = Math.min(...m.tracks.flatMap((t: any) => t.runs.filter((r: any) => r.startMs).map((r: any) => r.startMs)));
    const after = cam.runs.at(-1);
    const mid = (after.startMs - t0) / 1000 + after.segments.at(-1).endS / 2;
    expect(isColour(await regionColour(file, mid, { x: 800, y: 120, w: 320, h: 240 }), 'blue')).toBe(true);
    await rec.close();
  }, 180_000);

  it('retries failed uploads and never deletes a local segment before its upload is confirmed', async () => {
    const work = await dir('duet-rec-work-');
    const objects = await dir('duet-rec-obj-');
    const real = createLocalStore(objects);
    let failing = true;
    let failures = 0;
    const flaky: ObjectStore = {
      ...real,
      async putFile(key, path, opts) {
        if (failing) {
          failures++;
          throw new Error('storage unavailable (test)');
        }
        return real.putFile(key, path, opts);
      },
    };
    const rec = await startRecorderInProcess(recorderEnv(work, bed.api.url), flaky);
    const lesson = await createLesson(bed.api, { recording: true });
    const rid = (await rec.call('POST', '/v1/recordings', { lessonId: lesson.id })).body.recordingId;
    const mic = await rec.call('POST', `/v1/recordings/${rid}/tracks`, { trackId: 'mic', role: 'tutor', source: 'microphone', kind: 'audio', codec: OPUS });
    const audio = sendAudio(mic.body.port, 440);
    const manifestPath = join(work, rid, 'manifest.json');
    try {
      const segs = await eventually(async () => {
        const m = await manifestAt(manifestPath);
        const s = m.tracks?.[0]?.runs?.[0]?.segments ?? [];
        return s.length >= 2 && failures >= 2 ? s : undefined;
      }, 30_000);
      expect(segs.every((s: any) => s.uploaded === false)).toBe(true);
      for (const s of segs) expect((await stat(join(work, rid, 'tracks/mic/run-0', s.file))).size).toBe(s.size);
      failing = false;
      await eventually(async () => {
        const m = await manifestAt(manifestPath);
        return m.tracks[0].runs[0].segments.slice(0, 2).every((s: any) => s.uploaded) ? true : undefined;
      }, 30_000);
      for (const s of segs) expect((await stat(join(objects, s.key))).size).toBe(s.size);
    } finally {
      await audio.stop();
    }
    await rec.call('POST', `/v1/recordings/${rid}/stop`, {});
    const m = await eventually(async () => {
      const x = await manifestAt(manifestPath);
      return x.state === 'ready' || x.state === 'failed' ? x : undefined;
    }, 120_000);
    expect(m.state).toBe('ready');
    expect(m.partial).toBe(false);
    await rec.close();
  }, 180_000);
});
