// Webhook endpoints per deployment (several, with type filters), the delivery log through the API,
// the maximum age, and re-queueing a delivery that was given up on.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, createLesson, eventually, mintToken, sendHook, startApiOn, type TestApi } from './support/harness.ts';

async function receiver(answer: (path: string) => number) {
  const got: { path: string; id: string; type: string }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const e = JSON.parse(raw);
      got.push({ path: req.url ?? '', id: e.id, type: e.type });
      res.writeHead(answer(req.url ?? '')).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.each(DB_KINDS)('webhook endpoints and delivery log (%s)', (kind) => {
  let api: TestApi;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let down = true;
  beforeAll(async () => {
    rx = await receiver((path) => (path === '/down' && down ? 503 : 200));
    api = await startApiOn(kind, {
      WEBHOOK_ENDPOINTS: JSON.stringify([
        { url: `${rx.base}/all`, secret: 'whsec-all-0123456789' },
        { url: `${rx.base}/ends`, secret: 'whsec-ends-0123456789', types: ['session.ended', 'session.no_show'] },
        { url: `${rx.base}/down`, secret: 'whsec-down-0123456789', types: ['session.status_changed'] },
      ]),
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_RETRY_MAX_MS: '100',
      WEBHOOK_MAX_ATTEMPTS: '2',
    });
  });
  afterAll(async () => {
    await api?.close();
    await rx?.close();
  });

  it('lists the endpoints without their secrets', async () => {
    const res = await api.request('GET', '/v1/webhooks/endpoints', { token: API_KEY });
    expect(res.body).toEqual({
      endpoints: [
        { url: `${rx.base}/all`, types: null },
        { url: `${rx.base}/ends`, types: ['session.ended', 'session.no_show'] },
        { url: `${rx.base}/down`, types: ['session.status_changed'] },
      ],
      max_age_seconds: 259200,
      max_attempts: 2,
    });
    expect(JSON.stringify(res.body)).not.toContain('whsec');
    expect((await api.request('GET', '/v1/webhooks/endpoints')).status).toBe(401);
  });

  it('sends each endpoint only its types, logs every delivery, and re-queues a failed one', async () => {
    const lesson = await createLesson(api);
    await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'test' } });
    const log = async (q = '') => (await api.request('GET', `/v1/webhooks/deliveries?session_id=${lesson.id}${q}`, { token: API_KEY })).body;
    const failed = await eventually(async () => {
      const d = (await log('&status=failed')).deliveries;
      return d.length === 1 ? d[0] : undefined;
    });
    expect(failed).toMatchObject({
      event_type: 'session.status_changed',
      endpoint_url: `${rx.base}/down`,
      status: 'failed',
      attempts: 2,
      last_error: 'HTTP 503',
      last_status_code: 503,
      next_attempt_at: null,
    });
    const all = (await log()).deliveries;
    expect(all.map((d: any) => [d.endpoint_url.slice(rx.base.length), d.status]).sort()).toEqual([
      ['/all', 'delivered'],
      ['/down', 'failed'],
    ]);
    expect(rx.got.filter((g) => g.path === '/ends')).toEqual([]);

    // The receiver is fixed: re-queue, and it goes out with the same event id.
    down = false;
    const retried = await api.request('POST', `/v1/webhooks/deliveries/${failed.id}/retry`, { token: API_KEY });
    expect(retried.body.delivery).toMatchObject({ id: failed.id, status: 'pending' });
    await eventually(async () => ((await log('&status=delivered')).deliveries.length === 2 ? true : undefined));
    expect(rx.got.filter((g) => g.path === '/down').map((g) => g.id)).toEqual([failed.event_id, failed.event_id, failed.event_id]);
    const again = await api.request('POST', `/v1/webhooks/deliveries/${failed.id}/retry`, { token: API_KEY });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('delivery_not_failed');
    expect((await api.request('POST', '/v1/webhooks/deliveries/999999999/retry', { token: API_KEY })).status).toBe(404);

    // The lesson's event log, as the marketplace sees it.
    const events = await api.request('GET', `/v1/sessions/${lesson.id}/events`, { token: API_KEY });
    expect(events.body.events).toEqual([
      { id: failed.event_id, type: 'session.status_changed', created_at: expect.any(String), session_id: lesson.id, data: expect.objectContaining({ to: 'cancelled' }) },
    ]);
  });

  it('pages the log and validates its filters', async () => {
    const lesson = await createLesson(api);
    for (let i = 0; i < 3; i++) {
      await sendHook(api, { id: `evt_${randomUUID()}`, type: 'session.warning', created_at: new Date().toISOString(), session_id: lesson.id, data: { minutes_left: 5 } });
    }
    const page1 = await api.request('GET', `/v1/webhooks/deliveries?session_id=${lesson.id}&limit=2`, { token: API_KEY });
    expect(page1.body.deliveries).toHaveLength(2);
    const page2 = await api.request('GET', `/v1/webhooks/deliveries?session_id=${lesson.id}&limit=2&before=${page1.body.next_before}`, { token: API_KEY });
    expect(page2.body.deliveries).toHaveLength(1);
    expect(page2.body.next_before).toBeNull();
    expect(Number(page2.body.deliveries[0].id)).toBeLessThan(Number(page1.body.deliveries[1].id));
    expect((await api.request('GET', '/v1/webhooks/deliveries?status=lost', { token: API_KEY })).status).toBe(400);
    expect((await api.request('GET', '/v1/webhooks/deliveries', { token: await mintToken(api, lesson.id, 'tutor') })).status).toBe(401);
  });

  it('gives up on a delivery older than the maximum age without sending it', async () => {
    down = true;
    const lesson = await createLesson(api);
    await api.server.sql`
      update sessions set scheduled_start = now() - interval '30 minutes', scheduled_end = now() + interval '30 minutes' where id = ${lesson.id}`;
    // Make the outbox row look three days and a bit old before the loop first sees it.
    const id = `evt_${randomUUID()}`;
    await api.server.sql.begin(async (tx) => {
      await tx`update sessions set status = 'cancelled' where id = ${lesson.id}`;
      await tx`insert into events (id, type, session_id, created_at, data) values (${id}, 'session.status_changed', ${lesson.id}, now(), '{}')`;
      await tx`insert into webhook_deliveries (event_id, endpoint_url, created_at) values (${id}, ${`${rx.base}/down`}, now() - interval '73 hours')`;
    });
    const row = await eventually(async () => {
      const d = (await api.request('GET', `/v1/webhooks/deliveries?session_id=${lesson.id}`, { token: API_KEY })).body.deliveries;
      return d[0]?.status === 'failed' ? d[0] : undefined;
    });
    expect(row).toMatchObject({ attempts: 0, last_error: 'not delivered within the maximum age of 259200 s' });
    // Not sent. (Only this event counts: the previous test's deliveries may still be arriving.)
    expect(rx.got.filter((g) => g.id === id)).toEqual([]);
  });
});
