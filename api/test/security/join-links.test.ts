// Issue 12, item 1: a join link means what the marketplace meant. A superseded link (the
// marketplace handed out a newer one that joined), a used one (JOIN_TOKEN_SINGLE_USE) or a revoked
// seat's link is refused on every participant route, not only on POST /join.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, HOOK_SECRET, MINUTE, createLesson, mintToken, startApiOn, type TestApi } from '../support/harness.ts';

type Call = [method: string, path: (id: string) => string, body?: unknown];

/** Every route a participant's join token opens, besides POST /join itself. */
const PARTICIPANT_ROUTES: Call[] = [
  ['GET', (id) => `/v1/sessions/${id}`],
  ['GET', (id) => `/v1/sessions/${id}/attendance`],
  ['GET', (id) => `/v1/sessions/${id}/chat`],
  ['GET', (id) => `/v1/sessions/${id}/notes`],
  ['PUT', (id) => `/v1/sessions/${id}/notes`, { text: 'mine' }],
  ['GET', (id) => `/v1/sessions/${id}/feedback`],
  ['POST', (id) => `/v1/sessions/${id}/feedback`, { rating: 5 }],
  ['POST', (id) => `/v1/sessions/${id}/analytics`, { type: 'page_view', at: new Date().toISOString(), data: {} }],
  ['GET', (id) => `/v1/sessions/${id}/resources`],
  ['POST', (id) => `/v1/sessions/${id}/resources`, {}],
  ['GET', (id) => `/v1/sessions/${id}/resources/${randomUUID()}/content`],
  ['GET', (id) => `/v1/sessions/${id}/recordings`],
  ['GET', (id) => `/v1/sessions/${id}/recordings/${randomUUID()}/file`],
  ['POST', (id) => `/v1/sessions/${id}/extend`, { minutes: 5 }],
];

const REFUSALS = new Set(['token_superseded', 'token_already_used', 'participant_revoked']);

describe.each(DB_KINDS)('superseded links are refused on every participant route (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  const join = (id: string, token: string) => api.request('POST', `/v1/sessions/${id}/join`, { token });

  it('refuses the old student link everywhere once a newer link joined; the current link still works', async () => {
    const lesson = await createLesson(api);
    const older = await mintToken(api, lesson.id, 'student');
    const tutor = await mintToken(api, lesson.id, 'tutor');
    expect((await join(lesson.id, older)).status).toBe(200);
    const newer = await mintToken(api, lesson.id, 'student');
    expect((await join(lesson.id, newer)).status).toBe(200);
    for (const [method, path, body] of PARTICIPANT_ROUTES) {
      const old = await api.request(method, path(lesson.id), { token: older, body });
      expect(old.status, `${method} ${path('…')}: ${JSON.stringify(old.body)}`).toBe(409);
      expect(old.body.error.code).toBe('token_superseded');
      const current = await api.request(method, path(lesson.id), { token: newer, body });
      expect(REFUSALS.has(current.body?.error?.code), `${method} ${path('…')} with the current link: ${JSON.stringify(current.body)}`).toBe(false);
      expect(current.status).not.toBe(401);
    }
    // The other seat is untouched.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/chat`, { token: tutor })).status).toBe(200);
  });

  it('stops minting download URLs for a superseded link (already minted ones live out SIGNED_URL_TTL_SECONDS)', async () => {
    const lesson = await createLesson(api);
    const older = await mintToken(api, lesson.id, 'student');
    await join(lesson.id, older);
    await join(lesson.id, await mintToken(api, lesson.id, 'student'));
    const list = await api.request('GET', `/v1/sessions/${lesson.id}/resources`, { token: older });
    expect(list.status).toBe(409);
    expect(list.body.resources).toBeUndefined();
  });

  it('answers the media node\'s seat check: current, superseded, revoked', async () => {
    const lesson = await createLesson(api);
    const older = await mintToken(api, lesson.id, 'student');
    await join(lesson.id, older);
    const newer = await mintToken(api, lesson.id, 'student');
    const check = (token: string) => api.request('POST', `/internal/sessions/${lesson.id}/seat-check`, { token: HOOK_SECRET, body: { token } });
    // A newer link that has not joined yet does not supersede the one that did.
    expect((await check(older)).status).toBe(200);
    await join(lesson.id, newer);
    const refused = await check(older);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('token_superseded');
    const ok = await check(newer);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, role: 'student' });
    // Without the internal secret nobody learns anything.
    expect((await api.request('POST', `/internal/sessions/${lesson.id}/seat-check`, { token: newer, body: { token: newer } })).status).toBe(401);
  });
});

describe.each(DB_KINDS)('revoking a participant (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  it('refuses every link of the seat issued so far, says so in a webhook, and lets a newly minted link in', async () => {
    const lesson = await createLesson(api);
    const first = await mintToken(api, lesson.id, 'student');
    const unused = await mintToken(api, lesson.id, 'student');
    const tutor = await mintToken(api, lesson.id, 'tutor');
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: first })).status).toBe(200);

    // Only the marketplace may revoke.
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/participants/student/revoke`, { token: tutor, body: {} })).status).toBe(401);
    const revoked = await api.request('POST', `/v1/sessions/${lesson.id}/participants/student/revoke`, { token: API_KEY, body: { reason: 'abuse' } });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body).toMatchObject({ role: 'student', user_id: expect.any(String), revoked_at: expect.any(String), node_notified: false });

    for (const token of [first, unused]) {
      const j = await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token });
      expect(j.status).toBe(403);
      expect(j.body.error.code).toBe('participant_revoked');
      for (const [method, path, body] of PARTICIPANT_ROUTES) {
        const res = await api.request(method, path(lesson.id), { token, body });
        expect(res.body.error?.code, `${method} ${path('…')}`).toBe('participant_revoked');
      }
      const check = await api.request('POST', `/internal/sessions/${lesson.id}/seat-check`, { token: HOOK_SECRET, body: { token } });
      expect(check.body.error.code).toBe('participant_revoked');
    }
    // The tutor's seat is not affected.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/chat`, { token: tutor })).status).toBe(200);
    // The marketplace may seat the student again with a new link.
    const fresh = await mintToken(api, lesson.id, 'student');
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: fresh })).status).toBe(200);

    const events = await api.request('GET', `/v1/sessions/${lesson.id}/events`, { token: API_KEY });
    const ev = (events.body.events as { type: string; data: Record<string, unknown> }[]).find((e) => e.type === 'participant.revoked');
    expect(ev?.data).toMatchObject({ role: 'student', reason: 'abuse', node_notified: false });
  });

  it('answers 404 for an unknown lesson and 400 for an unknown role', async () => {
    expect((await api.request('POST', `/v1/sessions/${randomUUID()}/participants/student/revoke`, { token: API_KEY, body: {} })).status).toBe(404);
    const lesson = await createLesson(api);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/participants/admin/revoke`, { token: API_KEY, body: {} })).status).toBe(400);
  });

  it('mints links that expire when the join window can close at the latest, not hours later', async () => {
    const lesson = await createLesson(api, {
      scheduled_start: new Date(Date.now() + 5 * MINUTE).toISOString(),
      scheduled_end: new Date(Date.now() + 35 * MINUTE).toISOString(),
    });
    const minted = await api.request('POST', `/v1/sessions/${lesson.id}/tokens`, { token: API_KEY, body: { role: 'tutor' } });
    const expires = Date.parse(minted.body.expires_at);
    // scheduled end + LESSON_MAX_EXTENSION_MINUTES (30), not the old fixed 4 hours.
    expect(expires).toBeLessThanOrEqual(Date.parse(lesson.scheduled_end) + 30 * MINUTE + 2000);
    expect(expires).toBeGreaterThan(Date.parse(lesson.scheduled_end));
  });
});

describe.each(DB_KINDS)('used links with JOIN_TOKEN_SINGLE_USE (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, { JOIN_TOKEN_SINGLE_USE: 'true' });
  });
  afterAll(() => api?.close());

  it('refuses a used link without the seat ticket its join handed out; the page that joined goes on', async () => {
    const lesson = await createLesson(api);
    const link = await mintToken(api, lesson.id, 'student');
    // Before its one use, the page may read the lesson (the pre-join screen).
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: link })).status).toBe(200);
    const joined = await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: link });
    expect(joined.status).toBe(200);
    const ticket = joined.body.seat_ticket as string;
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    for (const [method, path, body] of PARTICIPANT_ROUTES) {
      const stolen = await api.request(method, path(lesson.id), { token: link, body });
      expect(stolen.body.error?.code, `${method} ${path('…')}`).toBe('token_already_used');
      const wrong = await api.request(method, path(lesson.id), { token: link, body, headers: { 'x-duet-seat-ticket': 'x'.repeat(43) } });
      expect(wrong.body.error?.code).toBe('token_already_used');
      const page = await api.request(method, path(lesson.id), { token: link, body, headers: { 'x-duet-seat-ticket': ticket } });
      expect(REFUSALS.has(page.body?.error?.code), `${method} ${path('…')} with the ticket: ${JSON.stringify(page.body)}`).toBe(false);
    }
    const check = (body: Record<string, string>) => api.request('POST', `/internal/sessions/${lesson.id}/seat-check`, { token: HOOK_SECRET, body });
    expect((await check({ token: link })).body.error.code).toBe('token_already_used');
    expect((await check({ token: link, ticket })).status).toBe(200);
    // A link that never joined cannot take a seat on the media node directly.
    const other = await mintToken(api, lesson.id, 'tutor');
    expect((await check({ token: other })).body.error.code).toBe('token_not_redeemed');
  });
});
