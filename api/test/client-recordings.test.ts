// The marketplace client's recording and erasure calls against a real API.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuetApiError, DuetClient } from '../src/client/index.ts';
import { API_KEY, createLesson, sendHook, startApiOn, type TestApi } from './support/harness.ts';

describe('marketplace client: recordings and erasure', () => {
  let api: TestApi;
  let client: DuetClient;
  beforeAll(async () => {
    api = await startApiOn('pglite');
    client = new DuetClient({ baseUrl: api.url, apiKey: API_KEY });
  });
  afterAll(() => api?.close());

  const hook = (type: string, sessionId: string, data: Record<string, unknown>) =>
    sendHook(api, { id: `evt_${randomUUID()}`, type: type as never, created_at: new Date().toISOString(), session_id: sessionId, data });

  it('lists, reads, deletes a recording and erases the lesson and a user', async () => {
    const lesson = await createLesson(api, { recording: true });
    const id = randomUUID();
    await hook('recording.started', lesson.id, { recording_id: id });
    await hook('recording.ready', lesson.id, { recording_id: id, storage_key: `recordings/sessions/${lesson.id}/${id}/recording.mp4`, duration_seconds: 3, size_bytes: 10 });
    const page = await client.listRecordings({ user_id: lesson.student.id });
    expect(page).toMatchObject({ recordings: [{ id, session_id: lesson.id, status: 'ready' }], next_cursor: null });
    expect((await client.getRecording(id)).url).toEqual(expect.any(String));
    await expect(client.deleteRecording(id)).resolves.toBeUndefined();
    expect((await client.getRecording(id)).status).toBe('deleted');
    await expect(client.deleteRecording(id)).rejects.toMatchObject({ status: 409, code: 'recording_deleted' });
    await expect(client.eraseLesson(lesson.id)).rejects.toBeInstanceOf(DuetApiError);
    await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'x' } });
    expect((await client.eraseUser(lesson.student.id, 'ticket-1')).erase_id).toMatch(/^era_/);
    expect((await client.eraseLesson(lesson.id, 'ticket-2')).erase_id).toMatch(/^era_/);
  });
});
