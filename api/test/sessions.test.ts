// Scheduling lessons, reading them, join tokens, error shapes and the served web app.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { verifyJoinToken } from '../src/tokens/join-token.ts';
import {
  API_KEY,
  DB_KINDS,
  HOOK_SECRET,
  JOIN_SECRET,
  MINUTE,
  createLesson,
  lessonBody,
  mintToken,
  startApiOn,
  type TestApi,
} from './support/harness.ts';

describe.each(DB_KINDS)('lessons API (%s)', (kind) => {
  let api: TestApi;
  let webDist: string;
  beforeAll(async () => {
    webDist = await mkdtemp(join(tmpdir(), 'duet-web-'));
    await mkdir(join(webDist, 'assets'));
    await writeFile(join(webDist, 'index.html'), '<!doctype html><title>Duet</title>');
    await writeFile(join(webDist, 'assets', 'app-abc123.js'), 'console.log("duet")');
    // The build's precompressed copies (web/build/precompress.ts).
    await writeFile(join(webDist, 'assets', 'app-abc123.js.gz'), gzipSync('console.log("duet")'));
    await writeFile(join(webDist, 'assets', 'app-abc123.js.br'), brotliCompressSync('console.log("duet")'));
    api = await startApiOn(kind, { PUBLIC_URL: 'https://lessons.example.test/', WEB_DIST_DIR: webDist });
  });
  afterAll(async () => {
    await api?.close();
    await rm(webDist, { recursive: true, force: true });
  });

  describe('POST /v1/sessions', () => {
    it('schedules a lesson', async () => {
      const body = lessonBody({ recording: true });
      const res = await api.request('POST', '/v1/sessions', { token: API_KEY, body });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        title: body.title,
        status: 'scheduled',
        recording: true,
        scheduled_start: body.scheduled_start,
        scheduled_end: body.scheduled_end,
        started_at: null,
        ended_at: null,
        can_join: true, // starts in 5 min, the room opens 15 min before
        tutor: { id: body.tutor.id, name: 'Ada Tutor', avatar_url: 'https://example.test/ada.png' },
        student: { id: body.student.id, name: 'Sam Student', avatar_url: null },
      });
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.join_opens_at).toBe(new Date(Date.parse(body.scheduled_start) - 15 * MINUTE).toISOString());
    });

    it('defaults recording to false', async () => {
      const { recording, ...body } = lessonBody();
      void recording;
      const res = await api.request('POST', '/v1/sessions', { token: API_KEY, body });
      expect(res.status).toBe(201);
      expect(res.body.recording).toBe(false);
    });

    it.each([
      ['no API key', undefined, 401, 'api_key_missing'],
      ['a wrong API key', 'not-the-api-key-0123456789', 401, 'api_key_invalid'],
      ['the internal secret', HOOK_SECRET, 401, 'api_key_invalid'],
    ])('refuses %s', async (_what, token, status, code) => {
      const res = await api.request('POST', '/v1/sessions', { token, body: lessonBody() });
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    });

    it('refuses a join token in place of the API key', async () => {
      const { id } = await createLesson(api);
      const token = await mintToken(api, id, 'tutor');
      const res = await api.request('POST', '/v1/sessions', { token, body: lessonBody() });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('api_key_invalid');
    });

    const soon = Date.now() + 10 * MINUTE;
    const at = (ms: number) => new Date(ms).toISOString();
    it.each([
      ['missing title', { title: undefined }],
      ['empty title', { title: '' }],
      ['not a date', { scheduled_start: 'tomorrow' }],
      ['end before start', { scheduled_start: at(soon + MINUTE), scheduled_end: at(soon) }],
      ['end equal to start', { scheduled_start: at(soon), scheduled_end: at(soon) }],
      ['longer than 8 hours', { scheduled_start: at(soon), scheduled_end: at(soon + 8 * 60 * MINUTE + 1000) }],
      ['entirely in the past', { scheduled_start: at(Date.now() - 120 * MINUTE), scheduled_end: at(Date.now() - 60 * MINUTE) }],
      ['the same person twice', { student: { id: 'same', name: 'S' }, tutor: { id: 'same', name: 'T' } }],
      ['a tutor without a name', { tutor: { id: 't' } }],
      ['an avatar that is not http(s)', { tutor: { id: 't', name: 'T', avatar_url: 'javascript:alert(1)' } }],
      ['recording as a string', { recording: 'true' }],
      ['an unknown field', { recordng: true }],
    ])('rejects %s with 400', async (_what, overrides) => {
      const body = { ...lessonBody(), ...overrides };
      const res = await api.request('POST', '/v1/sessions', { token: API_KEY, body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'validation_failed', message: expect.any(String) } });
    });

    it('accepts exactly 8 hours', async () => {
      const res = await api.request('POST', '/v1/sessions', {
        token: API_KEY,
        body: lessonBody({ scheduled_start: at(soon), scheduled_end: at(soon + 8 * 60 * MINUTE) }),
      });
      expect(res.status).toBe(201);
    });

    it('answers malformed JSON and other media types in the error shape', async () => {
      const bad = await api.request('POST', '/v1/sessions', {
        token: API_KEY,
        rawBody: '{"title":',
        headers: { 'content-type': 'application/json' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_json');
      const text = await api.request('POST', '/v1/sessions', {
        token: API_KEY,
        rawBody: 'title=x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
      expect(text.body.error.code).toBe('unsupported_media_type');
    });
  });

  describe('GET /v1/sessions/:id', () => {
    it('shows the lesson to the API key and to both participants', async () => {
      const lesson = await createLesson(api);
      const byKey = await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY });
      expect(byKey.status).toBe(200);
      expect(byKey.body).toEqual(lesson);
      for (const role of ['tutor', 'student'] as const) {
        const token = await mintToken(api, lesson.id, role);
        const res = await api.request('GET', `/v1/sessions/${lesson.id}`, { token });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: lesson.id, status: 'scheduled', can_join: true });
      }
    });

    it('says when the room opens for a later lesson', async () => {
      const start = Date.now() + 3 * 60 * MINUTE;
      const lesson = await createLesson(api, {
        scheduled_start: new Date(start).toISOString(),
        scheduled_end: new Date(start + 60 * MINUTE).toISOString(),
      });
      const token = await mintToken(api, lesson.id, 'student');
      const res = await api.request('GET', `/v1/sessions/${lesson.id}`, { token });
      expect(res.body.can_join).toBe(false);
      expect(res.body.join_opens_at).toBe(new Date(start - 15 * MINUTE).toISOString());
    });

    it('refuses missing, foreign and forged tokens', async () => {
      const a = await createLesson(api);
      const b = await createLesson(api);
      const tokenB = await mintToken(api, b.id, 'tutor');
      const cases: [string | undefined, number, string][] = [
        [undefined, 401, 'token_missing'],
        [tokenB, 403, 'token_wrong_session'],
        [tokenB.slice(0, -4) + 'AAAA', 401, 'token_invalid'],
        ['not-a-token', 401, 'token_invalid'],
      ];
      for (const [token, status, code] of cases) {
        const res = await api.request('GET', `/v1/sessions/${a.id}`, { token });
        expect(res.status, code).toBe(status);
        expect(res.body.error.code).toBe(code);
      }
    });

    it('404s an unknown lesson', async () => {
      const res = await api.request('GET', '/v1/sessions/does-not-exist', { token: API_KEY });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'session_not_found', message: expect.any(String) } });
    });
  });

  describe('POST /v1/sessions/:id/tokens', () => {
    it('mints a join token for each role with a join URL carrying it in the fragment', async () => {
      const lesson = await createLesson(api);
      for (const role of ['tutor', 'student'] as const) {
        const res = await api.request('POST', `/v1/sessions/${lesson.id}/tokens`, { token: API_KEY, body: { role } });
        expect(res.status).toBe(201);
        const { token, expires_at, join_url } = res.body;
        expect(join_url).toBe(`https://lessons.example.test/session/${lesson.id}#token=${token}`);
        const claims = await verifyJoinToken(JOIN_SECRET, token, lesson.id);
        expect(claims).toMatchObject({ sessionId: lesson.id, role, userId: lesson[role].id, name: lesson[role].name });
        expect(claims.expiresAt.toISOString()).toBe(expires_at);
        // Until the join window can close at the latest (end + LESSON_MAX_EXTENSION_MINUTES), at most 4 h.
        const closes = Date.parse(lesson.scheduled_end) + 30 * MINUTE;
        expect(Date.parse(expires_at)).toBeGreaterThan(Math.min(closes, Date.now() + 4 * 60 * MINUTE) - 5000);
        expect(Date.parse(expires_at)).toBeLessThanOrEqual(Math.min(closes, Date.now() + 4 * 60 * MINUTE) + 1000);
      }
    });

    it('needs the API key, a valid role and an existing lesson', async () => {
      const lesson = await createLesson(api);
      const student = await mintToken(api, lesson.id, 'student');
      const asStudent = await api.request('POST', `/v1/sessions/${lesson.id}/tokens`, {
        token: student,
        body: { role: 'tutor' },
      });
      expect(asStudent.status).toBe(401);
      const badRole = await api.request('POST', `/v1/sessions/${lesson.id}/tokens`, {
        token: API_KEY,
        body: { role: 'admin' },
      });
      expect(badRole.status).toBe(400);
      expect(badRole.body.error.code).toBe('validation_failed');
      const missing = await api.request('POST', '/v1/sessions/nope/tokens', { token: API_KEY, body: { role: 'tutor' } });
      expect(missing.status).toBe(404);
    });
  });

  describe('other routes', () => {
    it('GET /healthz', async () => {
      expect(await api.request('GET', '/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    });

    it('404s unknown routes in the error shape', async () => {
      const res = await api.request('GET', '/v1/nothing-here');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    });

    it('serves the web app for /session/:id and its assets', async () => {
      const page = await api.request('GET', '/session/anything');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.body).toContain('<title>Duet</title>');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const asset = await api.request('GET', '/assets/app-abc123.js');
      expect(asset.status).toBe(200);
      expect(asset.body).toBe('console.log("duet")');
      expect(asset.headers.get('cache-control')).toContain('immutable');
      // Compressed when the browser takes it (the build's copy, not compressed per request), plain otherwise.
      for (const [accept, encoding] of [['br, gzip', 'br'], ['gzip', 'gzip'], ['identity', null]] as const) {
        const got = await api.request('GET', '/assets/app-abc123.js', { headers: { 'accept-encoding': accept } });
        expect(got.status, accept).toBe(200);
        expect(got.headers.get('content-encoding'), accept).toBe(encoding);
        expect(got.body, accept).toBe('console.log("duet")');
      }
      expect((await api.request('GET', '/assets/missing.js')).status).toBe(404);
      expect((await api.request('GET', '/assets/..%2F..%2Fetc%2Fpasswd')).status).toBeGreaterThanOrEqual(400);
    });
  });
});

describe.each(DB_KINDS)('without a built web app (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, { WEB_DIST_DIR: join(tmpdir(), 'duet-no-such-dist') });
  });
  afterAll(() => api?.close());

  it('answers /session/:id with 503 saying the web app is not built', async () => {
    const res = await api.request('GET', '/session/abc');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('web_app_not_built');
    expect(res.body.error.message).toMatch(/web app is not built/);
    expect((await api.request('GET', '/assets/x.js')).status).toBe(503);
  });
});
