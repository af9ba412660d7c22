// The media node's seat check (POST /internal/sessions/:id/seat-check): with `?include=lesson` the
// answer also carries what opening the lesson's room needs — the same facts as
// GET /internal/sessions/:id and the same chat as GET .../chat — and nothing for a refused token.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, HOOK_SECRET, createLesson, mintToken, startApiOn, type TestApi } from './support/harness.ts';

describe.each(DB_KINDS)('internal seat check (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  const seatCheck = (id: string, token: string, query = '') =>
    api.request('POST', `/internal/sessions/${id}/seat-check${query}`, { token: HOOK_SECRET, body: { token } });

  it('answers the lesson facts and chat with ?include=lesson, exactly as the separate reads do', async () => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'student');
    const t0 = Date.now();
    for (const [i, role] of (['student', 'tutor', 'student'] as const).entries()) {
      const m = { id: randomUUID(), role, user_id: role === 'tutor' ? lesson.tutor.id : lesson.student.id, name: role, text: `message ${i}`, sent_at: new Date(t0 + i * 1000).toISOString() };
      expect((await api.request('POST', `/internal/sessions/${lesson.id}/chat`, { token: HOOK_SECRET, body: m })).status).toBe(201);
    }
    const plain = await seatCheck(lesson.id, token);
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual({ ok: true, role: 'student', user_id: lesson.student.id, jti: expect.any(String), media_node: null });

    const full = await seatCheck(lesson.id, token, '?include=lesson');
    expect(full.status, JSON.stringify(full.body)).toBe(200);
    const facts = await api.request('GET', `/internal/sessions/${lesson.id}`, { token: HOOK_SECRET });
    const chat = await api.request('GET', `/internal/sessions/${lesson.id}/chat`, { token: HOOK_SECRET });
    expect(full.body).toEqual({ ...plain.body, lesson: facts.body, chat: chat.body.messages });
    expect(full.body.chat.map((m: { text: string }) => m.text)).toEqual(['message 0', 'message 1', 'message 2']);
    expect(full.body.lesson).toMatchObject({ id: lesson.id, status: 'scheduled', ends_at: lesson.scheduled_end });
  });

  it('refuses an unknown include, and gives no facts with a refused token', async () => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'tutor');
    const bad = await seatCheck(lesson.id, token, '?include=everything');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    // A newer token for the seat supersedes this one: refused, and the answer holds no lesson.
    await mintToken(api, lesson.id, 'tutor');
    await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: await mintToken(api, lesson.id, 'tutor') });
    const refused = await seatCheck(lesson.id, token, '?include=lesson');
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body.lesson).toBeUndefined();
    expect(refused.body.chat).toBeUndefined();
    // A lesson that does not exist: 404, nothing else.
    const missing = await seatCheck(randomUUID(), token, '?include=lesson');
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.body.lesson).toBeUndefined();
  });
});
