// Private notes, feedback after the end, chat history for participants, and room analytics.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, HOOK_SECRET, createLesson, mintToken, sendHook, startApiOn, type TestApi } from './support/harness.ts';

describe.each(DB_KINDS)('notes, feedback, chat and analytics (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  const expectError = (res: { status: number; body: any }, status: number, code: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
  };
  const hook = (type: string, sessionId: string, data: Record<string, unknown>) =>
    sendHook(api, { id: `evt_${randomUUID()}`, type: type as any, created_at: new Date().toISOString(), session_id: sessionId, data });
  async function completedLesson() {
    const lesson = await createLesson(api);
    const tutor = { role: 'tutor', user_id: lesson.tutor.id };
    const student = { role: 'student', user_id: lesson.student.id };
    for (const [t, who] of [['participant.joined', tutor], ['participant.joined', student], ['participant.left', student], ['participant.left', tutor]] as const) {
      await hook(t, lesson.id, who);
    }
    return lesson;
  }

  it('keeps each participant\'s notes private', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const student = await mintToken(api, lesson.id, 'student');
    const url = `/v1/sessions/${lesson.id}/notes`;
    expect((await api.request('GET', url, { token: tutor })).body).toEqual({ role: 'tutor', text: '', updated_at: null });
    const put = await api.request('PUT', url, { token: tutor, body: { text: 'Sam struggles with fractions' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ role: 'tutor', text: 'Sam struggles with fractions', updated_at: expect.any(String) });
    await api.request('PUT', url, { token: student, body: { text: 'ask about homework' } });
    await api.request('PUT', url, { token: tutor, body: { text: 'fractions, then decimals' } });
    expect((await api.request('GET', url, { token: tutor })).body.text).toBe('fractions, then decimals');
    expect((await api.request('GET', url, { token: student })).body.text).toBe('ask about homework');
    expectError(await api.request('GET', `${url}?role=tutor`, { token: student }), 403, 'notes_private');
    expect((await api.request('GET', `${url}?role=student`, { token: API_KEY })).body.text).toBe('ask about homework');
    expectError(await api.request('GET', url, { token: API_KEY }), 400, 'validation_failed');
    expectError(await api.request('PUT', url, { token: API_KEY, body: { text: 'x' } }), 403, 'insufficient_scope'); // participant-only route: no API key (issue 16)
    expectError(await api.request('PUT', url, { token: tutor, body: { text: 'x'.repeat(20001) } }), 400, 'validation_failed');
    expectError(await api.request('PUT', url, { token: tutor, body: { txt: 'x' } }), 400, 'validation_failed');
    const other = await createLesson(api);
    expectError(await api.request('PUT', `/v1/sessions/${other.id}/notes`, { token: tutor, body: { text: 'x' } }), 403, 'token_wrong_session');
  });

  it('takes feedback once per participant, only after the lesson ended, and sends feedback.submitted', async () => {
    const open = await createLesson(api);
    const early = await mintToken(api, open.id, 'student');
    expectError(await api.request('POST', `/v1/sessions/${open.id}/feedback`, { token: early, body: { rating: 5 } }), 409, 'lesson_not_ended');

    const lesson = await completedLesson();
    const student = await mintToken(api, lesson.id, 'student');
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const url = `/v1/sessions/${lesson.id}/feedback`;
    for (const bad of [{ rating: 0 }, { rating: 6 }, { rating: 4.5 }, { rating: '5' }, {}, { rating: 5, comment: 'x'.repeat(2001) }, { rating: 5, extra: true }]) {
      expectError(await api.request('POST', url, { token: student, body: bad }), 400, 'validation_failed');
    }
    const res = await api.request('POST', url, { token: student, body: { rating: 4, comment: '  Great lesson  ' } });
    expect(res.status).toBe(201);
    expect(res.body.feedback).toMatchObject({ role: 'student', user_id: lesson.student.id, rating: 4, comment: 'Great lesson' });
    expectError(await api.request('POST', url, { token: student, body: { rating: 1 } }), 409, 'feedback_already_submitted');
    // Concurrent duplicates: one wins.
    const both = await Promise.all([1, 2].map(() => api.request('POST', url, { token: tutor, body: { rating: 5 } })));
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);

    const all = await api.request('GET', url, { token: API_KEY });
    expect(all.body.feedback.map((f: any) => [f.role, f.rating])).toEqual([['tutor', 5], ['student', 4]]);
    expect((await api.request('GET', url, { token: student })).body.feedback.map((f: any) => f.role)).toEqual(['student']);
    const events = await api.server.sql<{ data: any }[]>`
      select data from events where session_id = ${lesson.id} and type = 'feedback.submitted' order by created_at`;
    expect(events.map((e) => e.data.rating).sort()).toEqual([4, 5]);
  });

  it('shows the chat history to both participants and the marketplace', async () => {
    const lesson = await createLesson(api);
    const m = { id: randomUUID(), role: 'tutor', user_id: lesson.tutor.id, name: 'Ada', text: 'Page 12', sent_at: new Date().toISOString() };
    expect((await api.request('POST', `/internal/sessions/${lesson.id}/chat`, { token: HOOK_SECRET, body: m })).status).toBe(201);
    for (const token of [API_KEY, await mintToken(api, lesson.id, 'student')]) {
      expect((await api.request('GET', `/v1/sessions/${lesson.id}/chat`, { token })).body).toEqual({ messages: [m] });
    }
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/chat`)).status).toBe(401);
  });

  it('stores analytics events from the room and lists them to the API key', async () => {
    const lesson = await createLesson(api);
    const student = await mintToken(api, lesson.id, 'student');
    const url = `/v1/sessions/${lesson.id}/analytics`;
    const at = new Date().toISOString();
    const ok = await api.request('POST', url, { token: student, body: { type: 'ice.connected', at, data: { mode: 'p2p', rtt_ms: 12 } } });
    expect(ok).toMatchObject({ status: 202, body: { ok: true } });
    await api.request('POST', url, { token: student, body: { type: 'device.camera_denied', at } });
    const list = await api.request('GET', url, { token: API_KEY });
    expect(list.body.events).toEqual([
      { id: expect.any(String), type: 'ice.connected', at, role: 'student', user_id: lesson.student.id, data: { mode: 'p2p', rtt_ms: 12 }, received_at: expect.any(String) },
      expect.objectContaining({ type: 'device.camera_denied', data: {} }),
    ]);
    expect((await api.request('GET', `${url}?type=ice.connected`, { token: API_KEY })).body.events).toHaveLength(1);
    expectError(await api.request('GET', url, { token: student }), 401, 'api_key_invalid');
    expectError(await api.request('POST', url, { token: student, body: { type: 'Bad Type', at } }), 400, 'validation_failed');
    expectError(await api.request('POST', url, { token: student, body: { type: 'x', at: 'now' } }), 400, 'validation_failed');
    expectError(await api.request('POST', url, { token: student, body: { type: 'x', at: '2001-01-01T00:00:00Z' } }), 400, 'validation_failed');
    expectError(await api.request('POST', url, { token: student, body: { type: 'x', at, data: { big: 'x'.repeat(20000) } } }), 413, 'payload_too_large');
    expectError(await api.request('POST', url, { token: API_KEY, body: { type: 'x', at } }), 403, 'insufficient_scope');
  });
});
