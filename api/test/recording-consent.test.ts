// Recording consent: a participant of a recorded lesson acknowledges the notice; the API keeps one
// `recording.consent` event per seat (role, user_id, at), which the marketplace reads in the
// lesson's events and receives as a webhook.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, createLesson, mintToken, startApiOn, type TestApi } from './support/harness.ts';

describe.each(DB_KINDS)('recording consent (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });

  const consent = (sessionId: string, token?: string, body: unknown = {}) =>
    api.request('POST', `/v1/sessions/${sessionId}/recording-consent`, { token, body });

  it('records each seat once, visible in the lesson events', async () => {
    const lesson = await createLesson(api, { recording: true });
    const student = await mintToken(api, lesson.id, 'student');
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const first = await consent(lesson.id, student);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ role: 'student', user_id: lesson.student.id, duplicate: false });
    const again = await consent(lesson.id, student);
    expect(again.body).toEqual({ ...first.body, duplicate: true });
    // Two clicks at once still give one event.
    await Promise.all([consent(lesson.id, tutor), consent(lesson.id, tutor)]);

    const { body } = await api.request('GET', `/v1/sessions/${lesson.id}/events`, { token: API_KEY });
    const consents = body.events.filter((e: { type: string }) => e.type === 'recording.consent');
    expect(consents.map((e: { data: Record<string, unknown> }) => [e.data.role, e.data.user_id])).toEqual(
      expect.arrayContaining([
        ['student', lesson.student.id],
        ['tutor', lesson.tutor.id],
      ]),
    );
    expect(consents).toHaveLength(2);
    expect(consents[0].data.at).toEqual(first.body.at);
  });

  it('answers clearly for the wrong lesson state, caller or body', async () => {
    const plain = await createLesson(api, { recording: false });
    const r1 = await consent(plain.id, await mintToken(api, plain.id, 'student'));
    expect([r1.status, r1.body.error.code]).toEqual([409, 'recording_off']);

    const recorded = await createLesson(api, { recording: true });
    const token = await mintToken(api, recorded.id, 'tutor');
    expect((await consent(recorded.id)).status).toBe(401);
    expect((await consent(recorded.id, API_KEY)).status).toBe(403); // participant-only route: API keys get insufficient_scope (issue 16)
    expect((await consent(plain.id, token)).status).toBe(403);
    const extra = await consent(recorded.id, token, { role: 'student' });
    expect([extra.status, extra.body.error.code]).toEqual([400, 'validation_failed']);

    expect((await api.request('POST', `/v1/sessions/${recorded.id}/cancel`, { token: API_KEY, body: { reason: 'sick' } })).status).toBe(200);
    const over = await consent(recorded.id, token);
    expect([over.status, over.body.error.code]).toEqual([409, 'session_over']);
  });
});
