// /metrics and /readyz of the API: the numbers move with what happens (lessons by status, joins
// and their latency, client-reported time to first frame, webhook deliveries, failures and lag,
// media nodes by health), and METRICS_TOKEN protects the endpoint.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../src/events/event.ts';
import { promSample as sample } from '@duet/deploy/testing';
import { API_KEY, DB_KINDS, HOOK_SECRET, createLesson, eventually, mintToken, sendHook, startApiOn, type TestApi } from './support/harness.ts';

describe.each(DB_KINDS)('API metrics (%s)', (kind) => {
  let api: TestApi;
  let receiver: Server;
  let failing = true;
  beforeAll(async () => {
    // A marketplace endpoint that fails until told otherwise.
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(failing ? 500 : 200).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    api = await startApiOn(kind, {
      METRICS_TOKEN: 'metrics-token-0123456789',
      WEBHOOK_ENDPOINTS: JSON.stringify([{ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/h`, secret: 'whsec-metrics-0123456789' }]),
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '100',
    });
  });
  afterAll(async () => {
    await api?.close();
    await new Promise((r) => receiver?.close(r));
  });

  const scrape = async () => {
    const res = await api.request('GET', '/metrics', { token: 'metrics-token-0123456789' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.body as string;
  };

  it('is ready, and protects /metrics with METRICS_TOKEN', async () => {
    expect((await api.request('GET', '/readyz')).body).toEqual({ ready: true, reasons: [] });
    expect((await api.request('GET', '/metrics')).status).toBe(401);
    expect((await api.request('GET', '/metrics', { token: API_KEY })).status).toBe(401);
  });

  it('counts lessons by status, joins with latency, and time to first frame', async () => {
    const before = await scrape();
    const scheduled0 = sample(before, 'duet_lessons', { status: 'scheduled' }) ?? 0;
    const joinsOk0 = sample(before, 'duet_joins_total', { result: 'ok' }) ?? 0;
    const latency0 = sample(before, 'duet_join_duration_seconds_count', { result: 'ok' }) ?? 0;

    const lesson = await createLesson(api);
    const other = await createLesson(api);
    const tutor = await mintToken(api, lesson.id, 'tutor');
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: tutor })).status).toBe(200);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: await mintToken(api, lesson.id, 'student') })).status).toBe(200);
    expect((await api.request('POST', `/v1/sessions/${other.id}/join`, { token: tutor })).status).toBe(403);
    const ttff = await api.request('POST', `/v1/sessions/${lesson.id}/analytics`, {
      token: tutor,
      body: { type: 'media.first_frame', at: new Date().toISOString(), data: { ms: 1234, mode: 'p2p' } },
    });
    expect(ttff.status, JSON.stringify(ttff.body)).toBeLessThan(300);

    const after = await scrape();
    expect(sample(after, 'duet_lessons', { status: 'scheduled' })).toBe(scheduled0 + 2);
    expect(sample(after, 'duet_joins_total', { result: 'ok' })).toBe(joinsOk0 + 2);
    expect(sample(after, 'duet_joins_total', { result: 'token_wrong_session' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'duet_join_duration_seconds_count', { result: 'ok' })).toBe(latency0 + 2);
    expect(sample(after, 'duet_time_to_first_frame_seconds_count', { mode: 'p2p' })).toBe(1);
    expect(sample(after, 'duet_time_to_first_frame_seconds_sum', { mode: 'p2p' })).toBeCloseTo(1.234, 3);
    expect(sample(after, 'duet_time_to_first_frame_seconds_bucket', { mode: 'p2p', le: '1' })).toBe(0);
    expect(sample(after, 'duet_time_to_first_frame_seconds_bucket', { mode: 'p2p', le: '1.5' })).toBe(1);
    expect(sample(after, 'duet_api_http_requests_total', { method: 'POST', route: '/v1/sessions', status: '201' })).toBeGreaterThanOrEqual(2);

    // Two hooks move the lesson to live.
    for (const role of ['tutor', 'student'] as const) {
      await sendHook(api, newEvent('participant.joined', lesson.id, { role, user_id: lesson[role].id }));
    }
    const live = await scrape();
    expect(sample(live, 'duet_lessons', { status: 'live' })).toBeGreaterThanOrEqual(1);
  });

  it('reports webhook deliveries, failed attempts and lag, which clear once the marketplace answers', async () => {
    const lesson = await createLesson(api);
    await sendHook(api, newEvent('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id }));
    const failingNow = await eventually(async () => {
      const m = await scrape();
      return (sample(m, 'duet_webhook_failed_attempts') ?? 0) > 0 && (sample(m, 'duet_webhook_deliveries_retrying') ?? 0) > 0 ? m : undefined;
    });
    expect(sample(failingNow, 'duet_webhook_deliveries', { status: 'pending' })).toBeGreaterThan(0);
    expect(sample(failingNow, 'duet_webhook_lag_seconds')).toBeGreaterThan(0);
    failing = false;
    // Each gauge is its own query at scrape time, so one scrape is not one snapshot: a delivery
    // enqueued between the two queries shows as lag next to a pending count read just before it
    // (seen once in the two-lane suite on PostgreSQL: pending 0, lag 0.30 s).
    // Healed = one scrape with nothing pending and no lag.
    const healed = await eventually(async () => {
      const m = await scrape();
      return sample(m, 'duet_webhook_deliveries', { status: 'pending' }) === 0 && sample(m, 'duet_webhook_lag_seconds') === 0 ? m : undefined;
    }, 20_000);
    expect(sample(healed, 'duet_webhook_deliveries', { status: 'delivered' })).toBeGreaterThan(0);
  });

  it('reports registered media nodes and their load', async () => {
    const boot = randomUUID();
    const reg = await api.request('POST', '/internal/nodes/register', {
      token: HOOK_SECRET,
      body: { id: 'metrics-node', signaling_url: 'ws://m/ws', internal_url: 'http://127.0.0.1:9', media_address: '127.0.0.1', capacity: 40, heartbeat_interval_ms: 2000, boot_id: boot },
    });
    expect(reg.status).toBe(200);
    await api.request('POST', '/internal/nodes/metrics-node/heartbeat', {
      token: HOOK_SECRET,
      body: { boot_id: boot, load: { lessons: 3, participants: 6, consumers: 12, cpu_percent: 37.5, bitrate_bps: 6_000_000, workers: 2 } },
    });
    const m = await scrape();
    expect(sample(m, 'duet_media_nodes', { health: 'healthy' })).toBe(1);
    expect(sample(m, 'duet_media_node_lessons', { node: 'metrics-node' })).toBe(3);
    expect(sample(m, 'duet_media_node_consumers', { node: 'metrics-node' })).toBe(12);
    expect(sample(m, 'duet_media_node_cpu_percent', { node: 'metrics-node' })).toBe(37.5);
    expect(sample(m, 'duet_media_node_capacity', { node: 'metrics-node' })).toBe(40);
    await api.request('POST', '/v1/nodes/metrics-node/drain', { token: API_KEY, body: {} });
    expect(sample(await scrape(), 'duet_media_nodes', { health: 'draining' })).toBe(1);
  });
});

describe('structured logs', () => {
  it('carry request_id and session_id on every line of a lesson request and of a hook, and honour X-Request-Id', async () => {
    const lines: string[] = [];
    const api = await startApiOn('pglite', { LOG_LEVEL: 'info' }, { logStream: { write: (l) => void lines.push(l) } });
    try {
      const lesson = await createLesson(api);
      const read = await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY, headers: { 'x-request-id': 'mkt-7f3a.1' } });
      expect(read.status).toBe(200);
      expect(read.headers.get('x-request-id')).toBe('mkt-7f3a.1');
      // Not a plain short token: replaced by the API's own id, never echoed.
      const odd = await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY, headers: { 'x-request-id': 'x'.repeat(65) } });
      expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect((await sendHook(api, newEvent('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id }))).status).toBe(200);
      const records = lines.map((l) => JSON.parse(l) as Record<string, any>);
      const byRequest = new Map<string, Record<string, any>[]>();
      for (const r of records) if (r.request_id) byRequest.set(r.request_id, [...(byRequest.get(r.request_id) ?? []), r]);
      // The marketplace's id follows its request: both lines (incoming, completed) carry it.
      expect(byRequest.get('mkt-7f3a.1')?.map((r) => r.msg)).toEqual(['incoming request', 'request completed']);
      expect(byRequest.get('mkt-7f3a.1')?.find((r) => r.msg === 'request completed')).toMatchObject({ session_id: lesson.id, res: { statusCode: 200 } });
      // The hook's completed line carries the lesson from its body; the status change too.
      const hookDone = records.find((r) => r.msg === 'request completed' && r.req === undefined && r.event_type === 'participant.joined');
      expect(hookDone).toMatchObject({ session_id: lesson.id, event_type: 'participant.joined', request_id: expect.any(String) });
      // Every line that names the lesson names it as session_id (one key across API, node, recorder).
      const mentioning = records.filter((r) => JSON.stringify(r).includes(lesson.id));
      expect(mentioning.length).toBeGreaterThan(3);
      for (const r of mentioning.filter((r) => r.msg !== 'incoming request')) expect(r.session_id, JSON.stringify(r)).toBe(lesson.id);
      expect(records.some((r) => 'sessionId' in r || 'reqId' in r)).toBe(false);
    } finally {
      await api.close();
    }
  });
});
