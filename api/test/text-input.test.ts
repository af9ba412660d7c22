// Text that PostgreSQL cannot store (U+0000) is refused with a clear 400 wherever it comes in —
// path, query or JSON body — after authentication; before, each of these answered 500 (found by
// the OpenAPI fuzz in test/fuzz/).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, HOOK_SECRET, createLesson, startApiOn, type TestApi } from './support/harness.ts';

describe.each(DB_KINDS)('NUL characters in input (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  it('answers 400 invalid_characters naming where, for path, query and body', async () => {
    const lesson = await createLesson(api);
    const cases = [
      ['GET', '/internal/sessions/a%00b', HOOK_SECRET, undefined, 'params.id contains a NUL character (U+0000)'],
      ['POST', '/internal/nodes/n1/heartbeat', HOOK_SECRET, { boot_id: 'x\u0000', load: { lessons: 0, participants: 0 } }, 'body.boot_id contains'],
      ['POST', '/v1/nodes/n1/drain', API_KEY, { reason: '\u0000' }, 'body.reason contains'],
      ['PATCH', `/v1/sessions/${lesson.id}`, API_KEY, { title: 'Alg\u0000ebra' }, 'body.title contains'],
      ['GET', `/v1/webhooks/deliveries?session_id=%00`, API_KEY, undefined, 'query.session_id contains'],
    ] as const;
    for (const [method, path, token, body, message] of cases) {
      const res = await api.request(method, path, { token, body });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code).toBe('invalid_characters');
      expect(res.body.error.message).toContain(message);
    }
    // The lesson is unchanged, and the same request without the NUL goes through.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body.title).toBe(lesson.title);
    expect((await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: API_KEY, body: { title: 'Algebra' } })).status).toBe(200);
  });

  it('still asks for credentials first', async () => {
    const res = await api.request('GET', '/internal/sessions/a%00b');
    expect(res.status).toBe(401);
  });
});
