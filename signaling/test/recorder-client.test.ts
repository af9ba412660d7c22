// The media node's recorder client against a real recorder service (in this process, next to a
// real API on PGlite): a recording is started, gets a track and loses it, reports its status and
// stops; refusals and an unreachable recorder come back as RecorderRequestError with the status.
import { describe, expect, it } from 'vitest';
import { HOOK_SECRET, createLesson, eventually } from '../../api/test/support/harness.ts';
import { createLocalStore, recorderEnv, startRecorderInProcess, useRecorderTestBed } from '../../recorder/test/support/recorder-harness.ts';
import { OPUS } from '../../recorder/test/support/rtp-sender.ts';
import { RecorderClient, RecorderRequestError, recorderClientFromEnv } from '../src/recording/recorder-client.ts';

describe('RecorderClient ↔ recorder', () => {
  const bed = useRecorderTestBed();
  const logs: string[] = [];
  const log = (_level: string, msg: string) => void logs.push(msg);

  it('starts a recording, adds and removes a track, reads its status and stops it', async () => {
    const rec = await startRecorderInProcess(recorderEnv(await bed.dir('duet-rc-work-'), bed.api.url), createLocalStore(await bed.dir('duet-rc-obj-')));
    try {
      const client = new RecorderClient(`${rec.url}/`, HOOK_SECRET, log);
      expect(client.baseUrl).toBe(rec.url);
      const lesson = await createLesson(bed.api, { recording: true });
      const started = await client.start(lesson.id);
      expect(started).toMatchObject({ lessonId: lesson.id, tracks: [] });
      const track = await client.addTrack(started.recordingId, { trackId: 'mic', role: 'student', source: 'microphone', kind: 'audio', codec: OPUS });
      // The answer carries the recorder's port for the track at once (gapless: its relay's); the
      // FFmpeg run that records it follows on its own.
      expect(track).toMatchObject({ trackId: 'mic', kind: 'audio' });
      expect(track.port).toBeGreaterThan(0);
      const live = await eventually(async () => (await client.status(started.recordingId)).tracks.find((t) => t.live), 10_000);
      expect(live).toMatchObject({ trackId: 'mic', port: track.port });
      expect((await client.status(started.recordingId)).tracks.map((t) => t.trackId)).toEqual(['mic']);
      await client.removeTrack(started.recordingId, 'mic');
      expect((await client.status(started.recordingId)).tracks.every((t) => !t.live)).toBe(true);
      await client.stop(started.recordingId, 'test over');
      // Stopping finishes in the background (segments uploaded, manifest written).
      const after = await eventually(async () => {
        const st = await client.status(started.recordingId);
        return st.state === 'recording' ? undefined : st.state;
      }, 20_000);
      expect(after).not.toBe('recording');
      // A recording that does not exist, and a track for it: the recorder's 404 comes through.
      const missing = await client.status('no-such-recording').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(RecorderRequestError);
      expect((missing as RecorderRequestError).status).toBe(404);
      await expect(client.detach('no-such-recording')).rejects.toMatchObject({ status: 404 });

      // The wrong secret is refused by the recorder.
      const intruder = new RecorderClient(rec.url, 'not-the-secret', log);
      await expect(intruder.start(lesson.id)).rejects.toMatchObject({ status: 401 });
    } finally {
      await rec.close();
    }
  });

  it('reports an unreachable recorder as 503, and reads RECORDER_URL', async () => {
    const rec = await startRecorderInProcess(recorderEnv(await bed.dir('duet-rc-work-'), bed.api.url), createLocalStore(await bed.dir('duet-rc-obj-')));
    const url = rec.url;
    await rec.close();
    const gone = new RecorderClient(url, HOOK_SECRET, log);
    const err = await gone.start('any').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecorderRequestError);
    expect(err).toMatchObject({ status: 503, message: expect.stringContaining('recorder unreachable') });

    expect(recorderClientFromEnv({}, HOOK_SECRET, log)).toBeUndefined();
    expect(recorderClientFromEnv({ RECORDER_URL: url }, HOOK_SECRET, log)?.baseUrl).toBe(url);
    expect(() => recorderClientFromEnv({ RECORDER_URL: 'not a url' }, HOOK_SECRET, log)).toThrow('RECORDER_URL must be a URL');
  });
});
