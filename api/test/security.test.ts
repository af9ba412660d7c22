// Rate limits, security headers, CORS for the web origin only, and error bodies for bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, createLesson, mintToken, startApiOn, type TestApi } from './support/harness.ts';

describe.each(DB_KINDS)('HTTP security (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, {
      RATE_LIMIT_MAX: '3',
      RATE_LIMIT_WINDOW_MS: '60000',
      WEB_ORIGIN: 'https://app.example.test',
      FRAME_ANCESTORS: 'https://school.example.test https://tutors.example.test:8443',
      MEDIA_NODES: JSON.stringify([{ id: 'n1', signaling_url: 'wss://media-1.example.test/ws' }]),
    });
  });
  afterAll(() => api?.close());

  it('rate-limits token minting per lesson with a machine-readable 429', async () => {
    const lesson = await createLesson(api);
    const mint = () => api.request('POST', `/v1/sessions/${lesson.id}/tokens`, { token: API_KEY, body: { role: 'tutor' } });
    for (let i = 0; i < 3; i++) expect((await mint()).status).toBe(201);
    const limited = await mint();
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', message: expect.any(String), retry_after_seconds: expect.any(Number) });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another lesson has its own budget.
    const other = await createLesson(api);
    expect((await api.request('POST', `/v1/sessions/${other.id}/tokens`, { token: API_KEY, body: { role: 'tutor' } })).status).toBe(201);
  });

  it('rate-limits join, even for callers with bad tokens', async () => {
    const lesson = await createLesson(api);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: 'garbage' })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('sends security headers, with a CSP that lets the room reach its media nodes', async () => {
    const res = await api.request('GET', '/healthz');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/connect-src 'self' wss:\/\/media-1\.example\.test/);
    // Only the configured marketplace pages may embed the room.
    expect(csp).toContain("frame-ancestors 'self' https://school.example.test https://tutors.example.test:8443");
  });

  it('answers CORS for the web origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${api.url}/v1/sessions/x/join`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const ok = await preflight('https://app.example.test');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    const evil = await preflight('https://evil.example.test');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${api.url}/healthz`, { headers: { origin: 'https://evil.example.test' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers every kind of bad input with a 4xx error body', async () => {
    const lesson = await createLesson(api);
    const token = await mintToken(api, lesson.id, 'tutor');
    const cases: [Promise<any>, number, string][] = [
      [api.request('POST', '/v1/sessions', { token: API_KEY, rawBody: '{"title":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json'],
      [api.request('POST', '/v1/sessions', { token: API_KEY, rawBody: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type'],
      [api.request('POST', '/v1/sessions', { token: API_KEY, body: { title: 'x'.repeat(300 * 1024) } }), 413, 'payload_too_large'],
      [api.request('POST', '/v1/sessions', { token: API_KEY, body: [] }), 400, 'validation_failed'],
      [api.request('PUT', `/v1/sessions/${lesson.id}/notes`, { token, body: { text: 5 } }), 400, 'validation_failed'],
      [api.request('GET', `/v1/sessions/${'x'.repeat(200)}`, { token: API_KEY }), 414, 'uri_too_long'],
      [api.request('GET', '/v1/sessions/%E0%A4%A', { token: API_KEY }), 400, 'bad_request'],
      [api.request('DELETE', `/v1/sessions/${lesson.id}`, { token: API_KEY }), 404, 'not_found'],
      [api.request('GET', `/v1/sessions/${lesson.id}`, { token: 'a.b.c' }), 401, 'token_invalid'],
    ];
    for (const [p, status, code] of cases) {
      const res = await p;
      expect(res.status, `${code}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(status);
      expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
    }
  });
});
