// Chat through the internal API (the media node stores and reads messages) and ends_at.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, HOOK_SECRET, createLesson, startApiOn, type TestApi } from './support/harness.ts';

describe.each(DB_KINDS)('internal chat API (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  const post = (id: string, body: unknown, token: string | null = HOOK_SECRET) =>
    api.request('POST', `/internal/sessions/${id}/chat`, { token: token ?? undefined, body });
  const msg = (lesson: any, over: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    role: 'student',
    user_id: lesson.student.id,
    name: 'Sam Student',
    text: 'hello 👋',
    sent_at: new Date().toISOString(),
    ...over,
  });

  it('stores a message once per id and lists them oldest first', async () => {
    const lesson = await createLesson(api);
    const t0 = Date.now();
    const a = msg(lesson, { sent_at: new Date(t0).toISOString() });
    const b = msg(lesson, { role: 'tutor', user_id: lesson.tutor.id, name: 'Ada', text: 'hi!', sent_at: new Date(t0 + 1000).toISOString() });
    const first = await post(lesson.id, a);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ message: a });
    // A retry stores nothing new.
    const again = await post(lesson.id, a);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ message: a });
    expect((await post(lesson.id, b)).status).toBe(201);
    const list = await api.request('GET', `/internal/sessions/${lesson.id}/chat`, { token: HOOK_SECRET });
    expect(list).toMatchObject({ status: 200, body: { messages: [a, b] } });
    const last = await api.request('GET', `/internal/sessions/${lesson.id}/chat?limit=1`, { token: HOOK_SECRET });
    expect(last.body.messages).toEqual([b]);
    // Messages survive in the database (not in memory).
    const rows = await api.server.sql`select count(*)::int as n from chat_messages where session_id = ${lesson.id}`;
    expect(rows[0]!.n).toBe(2);
  });

  it('refuses bad input with machine-readable errors', async () => {
    const lesson = await createLesson(api);
    const cases: [unknown, number, string][] = [
      [msg(lesson, { id: 'not-a-uuid' }), 400, 'validation_failed'],
      [msg(lesson, { text: '' }), 400, 'validation_failed'],
      [msg(lesson, { text: 'x'.repeat(2001) }), 400, 'validation_failed'],
      [msg(lesson, { text: '   ' }), 400, 'validation_failed'],
      [msg(lesson, { role: 'admin' }), 400, 'validation_failed'],
      [msg(lesson, { extra: 1 }), 400, 'validation_failed'],
      [msg(lesson, { sent_at: '2026-13-45Tbad' }), 400, 'validation_failed'],
      [msg(lesson, { user_id: lesson.tutor.id }), 400, 'participant_mismatch'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(lesson.id, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBe(code);
    }
    const raw = await api.request('POST', `/internal/sessions/${lesson.id}/chat`, {
      token: HOOK_SECRET,
      rawBody: '{"id":',
      headers: { 'content-type': 'application/json' },
    });
    expect(raw.status).toBe(400);
    expect(raw.body.error.code).toBe('invalid_json');
    const m = msg(lesson);
    await post(lesson.id, m);
    expect((await post(lesson.id, { ...m, text: 'changed' })).body.error.code).toBe('chat_id_conflict');
    expect((await post('no-such-lesson', msg(lesson))).status).toBe(404);
    for (const token of [null, API_KEY]) {
      expect((await post(lesson.id, msg(lesson), token)).status).toBe(401);
      expect((await api.request('GET', `/internal/sessions/${lesson.id}/chat`, { token: token ?? undefined })).status).toBe(401);
    }
    expect((await api.request('GET', `/internal/sessions/${lesson.id}/chat?limit=abc`, { token: HOOK_SECRET })).status).toBe(400);
  });

  it('GET /internal/sessions/:id includes ends_at', async () => {
    const lesson = await createLesson(api);
    const res = await api.request('GET', `/internal/sessions/${lesson.id}`, { token: HOOK_SECRET });
    expect(res.body).toMatchObject({ ends_at: lesson.scheduled_end, extension_seconds: 0 });
  });
});
