// The media node's LessonRecorder (signaling/src/recording/lesson-recorder.ts) checks the
// recorder once a second. A recorder that stops answering (here: its process stopped with
// SIGSTOP for 5 s, the real recorder, a real mediasoup producer tapped) must not pile up one
// reconcile per second behind the hanging call: at most one waits, so when the recorder answers
// again the node asks it twice, not once per second it was away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMediaConfig, MediaRoom, WorkerPool } from '@duet/sfu';
import { createLesson, eventually } from '../../api/test/support/harness.ts';
import { HOOK_SECRET } from '../../api/test/support/harness.ts';
import { LessonRecorder } from '../../signaling/src/recording/lesson-recorder.ts';
import { RecorderClient } from '../../signaling/src/recording/recorder-client.ts';
import { FAKE_DTLS, opusParameters } from '../../sfu/test/support/fake-peer.ts';
import { recorderEnv, sleep, startRecorderProcess, useRecorderTestBed } from './support/recorder-harness.ts';

let pool: WorkerPool;
beforeAll(async () => {
  pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0' }));
});
afterAll(() => pool?.close());

const dtls = FAKE_DTLS;
const opus = opusParameters(2001, 'pacing');

describe('LessonRecorder against a recorder that stops answering', () => {
  const bed = useRecorderTestBed();

  it('keeps at most one reconcile waiting: two status calls after a 5-s stall, not one per second', async () => {
    const work = await bed.dir('duet-rec-pacing-');
    const recorder = await startRecorderProcess(recorderEnv(work, bed.api.url));
    const room = await MediaRoom.create(pool, `lesson-pacing-${Math.random()}`);
    const lesson = await createLesson(bed.api, { recording: true });
    const calls: number[] = [];
    const client = new RecorderClient(recorder.url, HOOK_SECRET, () => undefined);
    const status = client.status.bind(client);
    client.status = (id: string) => {
      calls.push(Date.now());
      return status(id);
    };
    const lessonRecorder = new LessonRecorder(lesson.id, client);
    try {
      const send = await room.createTransport('tutor', 'send');
      await room.connectTransport('tutor', send.transportId, dtls);
      await room.produce('tutor', send.transportId, 'audio', opus, 'microphone');
      lessonRecorder.attach(room);
      // Recording, the track plumbed, the once-a-second check running.
      await eventually(async () => (lessonRecorder.id && calls.length >= 2 ? true : undefined), 20_000);

      recorder.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      await sleep(5_000);
      const before = calls.filter((t) => t >= stoppedAt).length;
      recorder.child.kill('SIGCONT');
      const resumedAt = Date.now();
      await sleep(700); // less than a tick: only what waited during the stall runs now
      const burst = calls.filter((t) => t >= resumedAt).length;
      // One call hung through the stall (started in it); after it, the one reconcile that waited.
      expect(before, `status calls started during the stall: ${before}`).toBeLessThanOrEqual(1);
      expect(burst, `status calls within 700 ms of the recorder answering again: ${burst}`).toBeLessThanOrEqual(2);
      // And the loop goes on once a second.
      const at = calls.length;
      await sleep(2_500);
      expect(calls.length - at).toBeGreaterThanOrEqual(2);
    } finally {
      recorder.child.kill('SIGCONT');
      lessonRecorder.stop('test_over');
      await sleep(500);
      room.close();
      recorder.child.kill('SIGKILL');
    }
  }, 60_000);
});
