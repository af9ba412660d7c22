// Recording hooks survive the recorder stopping while the API is unreachable: a hook still
// pending at close stays in the manifest and is delivered by the next start (nothing lost).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY, createLesson, eventually } from '../../api/test/support/harness.ts';
import { createLocalStore, recorderEnv, sleep, startRecorderInProcess, useRecorderTestBed } from './support/recorder-harness.ts';

describe('recorder hooks across a stop', () => {
  const bed = useRecorderTestBed();

  it('keeps a hook the API never acknowledged and delivers it after the next start', async () => {
    const api = bed.api;
    const work = await bed.dir('duet-rec-hooks-work-');
    const objects = await bed.dir('duet-rec-hooks-objects-');
    const store = createLocalStore(objects);
    const lesson = await createLesson(api, { recording: true });

    // The API is "down" for the first recorder: nothing listens on its hook target.
    const first = await startRecorderInProcess(recorderEnv(work, 'http://127.0.0.1:9'), store);
    const started = await first.call('POST', '/v1/recordings', { lessonId: lesson.id });
    expect(started.status).toBe(201);
    const rid = started.body.recordingId as string;
    await sleep(800); // a few failed delivery attempts
    await first.close();
    await sleep(2_500); // longer than the delivery loop's current backoff: it has seen the stop


    const manifest = JSON.parse(await readFile(join(work, rid, 'manifest.json'), 'utf8'));
    expect((manifest.pendingHooks ?? []).map((h: { type: string }) => h.type)).toContain('recording.started');
    const before = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
    expect(before.body.recordings ?? []).toHaveLength(0);

    // The next start, with the API reachable, delivers it: the API now knows the recording.
    const second = await startRecorderInProcess(recorderEnv(work, api.url), store);
    try {
      await eventually(async () => {
        const res = await api.request('GET', `/v1/sessions/${lesson.id}/recordings`, { token: API_KEY });
        return (res.body.recordings ?? []).some((r: { id: string }) => r.id === rid) ? true : undefined;
      }, 20_000);
    } finally {
      await second.close();
    }
  });
});
