// Attack: flood a lesson from one address (bad or no tokens) so the two real participants — who
// may sit behind the same school NAT — can no longer join or read their own lesson; spoof
// X-Forwarded-For to dodge the per-address budget. Defence: limits by caller (API key, seat,
// anonymous address) and TRUST_PROXY deciding whose X-Forwarded-For counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiMetricsOf } from '../../src/http/routes/ops.ts';
import { API_KEY, DB_KINDS, createLesson, mintToken, startApiOn, type TestApi } from '../support/harness.ts';

const ANON_MAX = 4;
const SEAT_MAX = 12;
const KEY_MAX = 40;

describe.each(DB_KINDS)('rate limits by caller (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind, {
      RATE_LIMIT_MAX: String(ANON_MAX),
      RATE_LIMIT_SEAT_MAX: String(SEAT_MAX),
      RATE_LIMIT_KEY_MAX: String(KEY_MAX),
      RATE_LIMIT_WINDOW_MS: '60000',
    });
  });
  afterAll(() => api?.close());

  it('an anonymous flood from the participants own address never locks them out of join and reads', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const student = await mintToken(api, lesson.id, 'student');
    // The flood: bad tokens on join, no token and a forged token on the reads, all from 127.0.0.1.
    const flood: number[] = [];
    for (let i = 0; i < ANON_MAX + 6; i++) flood.push((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: `garbage-${i}` })).status);
    for (let i = 0; i < ANON_MAX + 6; i++) flood.push((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: `${tutor}x` })).status);
    for (let i = 0; i < ANON_MAX + 6; i++) flood.push((await api.request('GET', `/v1/sessions/${lesson.id}/chat`)).status);
    expect(flood.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3 * 6);
    const limited = await api.request('GET', `/v1/sessions/${lesson.id}/chat`);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', retry_after_seconds: expect.any(Number) });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);

    // The real participants, same address: join and read as if nothing happened.
    for (const token of [tutor, student]) {
      expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token })).status).toBe(200);
      expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token })).status).toBe(200);
      expect((await api.request('GET', `/v1/sessions/${lesson.id}/chat`, { token })).status).toBe(200);
      expect((await api.request('PUT', `/v1/sessions/${lesson.id}/notes`, { token, body: { text: 'still here' } })).status).toBe(200);
    }
    // And the marketplace is not throttled by it either.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).status).toBe(200);
  });

  it('limits each seat on its own: one participant hammering the API does not throttle the other', async () => {
    const lesson = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    const student = await mintToken(api, lesson.id, 'student');
    const statuses: number[] = [];
    for (let i = 0; i < SEAT_MAX + 3; i++) statuses.push((await api.request('GET', `/v1/sessions/${lesson.id}/chat`, { token: student })).status);
    expect(statuses.slice(0, SEAT_MAX).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(SEAT_MAX)).toEqual([429, 429, 429]);
    // A second link of the same seat shares the seat's budget (minting more links does not help).
    const again = await mintToken(api, lesson.id, 'student');
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: again })).status).toBe(429);
    // The tutor, same address, is untouched.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}/chat`, { token: tutor })).status).toBe(200);
  });

  it('limits the marketplace per API key, and counts every refusal by code', async () => {
    // Earlier tests spent some of the key's budget: spend the rest.
    let status = 0;
    let sent = 0;
    while (status !== 429 && sent <= KEY_MAX) {
      status = (await api.request('GET', '/v1/sessions?limit=1', { token: API_KEY })).status;
      sent++;
    }
    expect(status).toBe(429);
    const res = await api.request('GET', '/v1/sessions?limit=1', { token: API_KEY });
    expect(res.body.error.code).toBe('rate_limited');
    const metrics = await apiMetricsOf(api.server.app)!.scrape();
    expect(metrics).toMatch(/duet_api_rejected_requests_total\{route="\/v1\/sessions",code="rate_limited"\} [1-9]/);
    expect(metrics).toMatch(/duet_api_rejected_requests_total\{route="\/v1\/sessions\/:id\/join",code="rate_limited"\} [1-9]/);
  });
});

describe('TRUST_PROXY', () => {
  let behindProxy: TestApi;
  let direct: TestApi;
  beforeAll(async () => {
    // The test client connects from 127.0.0.1: that is "nginx" here.
    behindProxy = await startApiOn('pglite', { RATE_LIMIT_MAX: '3', TRUST_PROXY: '127.0.0.1/32' });
    direct = await startApiOn('pglite', { RATE_LIMIT_MAX: '3' });
  });
  afterAll(async () => {
    await behindProxy?.close();
    await direct?.close();
  });

  const anonRead = (api: TestApi, xff: string) => api.request('GET', '/v1/sessions/some-lesson/chat', { headers: { 'x-forwarded-for': xff } });

  it('behind the configured proxy, each client address (X-Forwarded-For) has its own anonymous budget', async () => {
    for (let i = 0; i < 3; i++) expect((await anonRead(behindProxy, '203.0.113.7')).status).toBe(401);
    expect((await anonRead(behindProxy, '203.0.113.7')).status).toBe(429);
    // Another client behind the same proxy is not punished for the first one's flood.
    expect((await anonRead(behindProxy, '198.51.100.9')).status).toBe(401);
    // Only the proxy's own entry counts: a client cannot pick its address by prepending one.
    expect((await anonRead(behindProxy, '10.9.9.9, 203.0.113.7')).status).toBe(429);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: rotating it does not escape the budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await anonRead(direct, `203.0.113.${i + 1}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
