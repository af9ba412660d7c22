// Attack: a participant (or a compromised page) fills a lesson's storage — endless chat, a huge
// note, analytics spam that also crowds out the other participant, hundreds of files. Defence:
// per-lesson quotas (CHAT_MAX_MESSAGES_PER_LESSON, NOTES_MAX_CHARS, ANALYTICS_MAX_EVENTS_PER_SEAT,
// RESOURCES_MAX_PER_LESSON, RESOURCES_MAX_BYTES_PER_LESSON) answered `quota_exceeded` and counted.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiMetricsOf } from '../../src/http/routes/ops.ts';
import { API_KEY, DB_KINDS, HOOK_SECRET, createLesson, mintToken, startApiOn, type TestApi } from '../support/harness.ts';

describe.each(DB_KINDS)('per-lesson quotas (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, {
      CHAT_MAX_MESSAGES_PER_LESSON: '3',
      NOTES_MAX_CHARS: '100',
      ANALYTICS_MAX_EVENTS_PER_SEAT: '4',
      RESOURCES_MAX_PER_LESSON: '2',
      RESOURCES_MAX_BYTES_PER_LESSON: '1000',
      RESOURCE_MAX_BYTES: '800',
    });
  });
  afterAll(() => api?.close());

  const chat = (lesson: any, id = randomUUID()) =>
    api.request('POST', `/internal/sessions/${lesson.id}/chat`, {
      token: HOOK_SECRET,
      body: { id, role: 'student', user_id: lesson.student.id, name: 'Sam', text: 'spam', sent_at: new Date().toISOString() },
    });

  it('stops a lesson chat at its quota, keeps retries of stored messages idempotent', async () => {
    const lesson = await createLesson(api);
    const first = randomUUID();
    expect((await chat(lesson, first)).status).toBe(201);
    expect((await chat(lesson)).status).toBe(201);
    expect((await chat(lesson)).status).toBe(201);
    const full = await chat(lesson);
    expect(full.status).toBe(409);
    expect(full.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'chat_messages_per_lesson', limit: 3 });
    // The media node re-sending a message it already stored still gets its ack.
    expect((await chat(lesson, first)).status).toBe(200);
    // Another lesson has its own quota.
    expect((await chat(await createLesson(api))).status).toBe(201);
  });

  it('holds under concurrency: 20 messages at once on an empty lesson store exactly 3', async () => {
    const lesson = await createLesson(api);
    const statuses = await Promise.all(Array.from({ length: 20 }, () => chat(lesson).then((r) => r.status)));
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(17);
    const rows = await api.server.sql`select count(*)::int as n from chat_messages where session_id = ${lesson.id}`;
    expect(rows[0]!.n).toBe(3);
  });

  it('caps a note at NOTES_MAX_CHARS with 413', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    expect((await api.request('PUT', `/v1/sessions/${lesson.id}/notes`, { token: tutor, body: { text: 'n'.repeat(100) } })).status).toBe(200);
    const big = await api.request('PUT', `/v1/sessions/${lesson.id}/notes`, { token: tutor, body: { text: 'n'.repeat(101) } });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'notes_chars', limit: 100 });
  });

  it('counts analytics per seat, so one participant cannot use up the other one', async () => {
    const lesson = await createLesson(api);
    const student = await mintToken(api, lesson.id, 'student');
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const send = (token: string) => api.request('POST', `/v1/sessions/${lesson.id}/analytics`, { token, body: { type: 'spam', at: new Date().toISOString() } });
    const statuses = await Promise.all(Array.from({ length: 10 }, () => send(student).then((r) => r.status)));
    expect(statuses.filter((s) => s === 202)).toHaveLength(4);
    const over = await send(student);
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'analytics_events_per_seat', limit: 4 });
    expect((await send(tutor)).status).toBe(202);
  });

  async function upload(sessionId: string, token: string, bytes: number) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes).fill(65)], { type: 'text/plain' }), 'notes.txt');
    const res = await fetch(`${api.url}/v1/sessions/${sessionId}/resources`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, body: (await res.json()) as any };
  }

  it('bounds the total bytes of a lesson files', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    expect((await upload(lesson.id, tutor, 700)).status).toBe(201);
    // 700 + 400 > 1000: refused although the file itself is under RESOURCE_MAX_BYTES.
    const over = await upload(lesson.id, tutor, 400);
    expect(over.status).toBe(413);
    expect(over.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'resource_bytes_per_lesson', limit: 1000 });
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: tutor })).body.resources).toHaveLength(1);
  });

  it('bounds the number of a lesson files', async () => {
    const lesson = await createLesson(api);
    expect((await upload(lesson.id, API_KEY, 10)).status).toBe(201);
    expect((await upload(lesson.id, API_KEY, 10)).status).toBe(201);
    const third = await upload(lesson.id, API_KEY, 10);
    expect(third.status).toBe(409);
    expect(third.body.error).toMatchObject({ code: 'quota_exceeded', quota: 'resources_per_lesson', limit: 2 });
    const metrics = await apiMetricsOf(api.server.app)!.scrape();
    expect(metrics).toMatch(/duet_api_rejected_requests_total\{route="\/v1\/sessions\/:id\/resources",code="quota_exceeded"\} [1-9]/);
    expect(metrics).toMatch(/duet_api_rejected_requests_total\{route="\/internal\/sessions\/:id\/chat",code="quota_exceeded"\} [1-9]/);
  });
});
