// Outbound webhooks: the outbox rows written with each status change reach a real HTTP receiver,
// signed per endpoint, retried with the same event id, and survive an API restart.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetEvent } from '../src/events/event.ts';
import { verify } from '../src/events/signature.ts';
import { retryDelayMs } from '../src/jobs/retry-backoff.ts';
import {
  DB_KINDS,
  createLesson,
  createTestDatabase,
  eventually,
  sendHook,
  startApi,
  startApiOn,
  type TestApi,
} from './support/harness.ts';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  event: DuetEvent;
}

/** A marketplace stand-in: records every request; `answer` decides the status per request. */
async function startReceiver(answer: (r: Received, seenBefore: number) => number) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const r: Received = { path: req.url ?? '', headers: req.headers, raw, event: JSON.parse(raw) };
      const seenBefore = received.filter((x) => x.path === r.path && x.event.id === r.event.id).length;
      received.push(r);
      res.writeHead(answer(r, seenBefore)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function hook(type: 'participant.joined' | 'participant.left', sessionId: string, data: Record<string, unknown>): DuetEvent {
  return { id: `evt_${randomUUID()}`, type, created_at: new Date().toISOString(), session_id: sessionId, data };
}

async function runLesson(api: TestApi, lesson: any): Promise<void> {
  const tutor = { role: 'tutor', user_id: lesson.tutor.id };
  const student = { role: 'student', user_id: lesson.student.id };
  for (const [type, who] of [
    ['participant.joined', tutor],
    ['participant.joined', student],
    ['participant.left', student],
    ['participant.left', tutor],
  ] as const) {
    expect((await sendHook(api, hook(type, lesson.id, who))).status).toBe(200);
  }
}

const OK_SECRET = 'whsec-ok-0123456789abcdef';
const FLAKY_SECRET = 'whsec-flaky-0123456789abcdef';

describe('retry backoff', () => {
  it('doubles from the base and is capped', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000, 300_000))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(10, 1000, 300_000)).toBe(300_000);
    expect(retryDelayMs(500, 1000, 300_000)).toBe(300_000);
  });
});

describe.each(DB_KINDS)('outbound webhooks (%s)', (kind) => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let api: TestApi;
  beforeAll(async () => {
    // /flaky fails the first attempt of every event, /ok always succeeds.
    receiver = await startReceiver((r, seenBefore) => (r.path === '/flaky' && seenBefore === 0 ? 500 : 204));
    api = await startApiOn(kind, {
      WEBHOOK_ENDPOINTS: JSON.stringify([
        { url: `${receiver.base}/ok`, secret: OK_SECRET },
        { url: `${receiver.base}/flaky`, secret: FLAKY_SECRET },
      ]),
      WEBHOOK_POLL_MS: '100',
      WEBHOOK_RETRY_BASE_MS: '200',
    });
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
  });

  it('delivers session.started and session.ended, signed with each endpoint secret, retrying failures', async () => {
    const lesson = await createLesson(api);
    await runLesson(api, lesson);
    const mine = (path: string, type: string) =>
      receiver.received.filter((r) => r.path === path && r.event.session_id === lesson.id && r.event.type === type);

    // Retries are jittered, so either event's second attempt may land last: wait for both.
    await eventually(() => (mine('/flaky', 'session.started').length >= 2 && mine('/flaky', 'session.ended').length >= 2 ? true : undefined));
    for (const type of ['session.started', 'session.ended']) {
      const ok = mine('/ok', type);
      expect(ok, `${type} to /ok`).toHaveLength(1);
      const [r] = ok as [Received];
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['duet-event-id']).toBe(r.event.id);
      expect(verify(OK_SECRET, r.raw, r.headers['duet-signature'] as string)).toEqual({ ok: true });
      expect(verify(FLAKY_SECRET, r.raw, r.headers['duet-signature'] as string).ok).toBe(false);
      expect(r.event).toMatchObject({ type, session_id: lesson.id, data: { to: type === 'session.started' ? 'live' : 'completed' } });

      // The failing receiver got the same event again, with the same id.
      const flaky = mine('/flaky', type);
      expect(flaky).toHaveLength(2);
      expect(flaky.map((f) => f.headers['duet-event-id'])).toEqual([r.event.id, r.event.id]);
      expect(flaky[1]!.raw).toBe(r.raw);
      for (const f of flaky) expect(verify(FLAKY_SECRET, f.raw, f.headers['duet-signature'] as string).ok).toBe(true);
    }

    const started = mine('/ok', 'session.started')[0]!.event;
    // The receiver answers before the API records the delivery: wait for the rows to say so.
    const rows = await eventually(async () => {
      const r = await api.server.sql`
        select endpoint_url, status, attempts, last_error, last_status_code, delivered_at
          from webhook_deliveries where event_id = ${started.id} order by endpoint_url`;
      return r.length === 2 && r.every((x) => x.status === 'delivered') ? r : undefined;
    });
    expect(rows).toEqual([
      expect.objectContaining({ endpoint_url: `${receiver.base}/flaky`, status: 'delivered', attempts: 2, last_error: 'HTTP 500', last_status_code: 204 }),
      expect.objectContaining({ endpoint_url: `${receiver.base}/ok`, status: 'delivered', attempts: 1, last_error: null }),
    ]);
    expect(rows[0]!.delivered_at).toBeInstanceOf(Date);

    // Every lifecycle event of the lesson went out: the participants' moves, first join, start, end.
    const types = receiver.received.filter((r) => r.path === '/ok' && r.event.session_id === lesson.id).map((r) => r.event.type);
    expect(types.sort()).toEqual([
      'participant.joined',
      'participant.joined',
      'participant.left',
      'participant.left',
      'session.ended',
      'session.started',
      'session.status_changed',
    ]);
  });
});

describe.each(DB_KINDS)('webhook outbox across a restart (%s)', (kind) => {
  it('keeps undelivered events in the database and sends them after a restart', async () => {
    let healthy = false;
    const receiver = await startReceiver(() => (healthy ? 200 : 503));
    const db = await createTestDatabase(kind, { persistent: true });
    const endpoint = { url: `${receiver.base}/hooks`, secret: OK_SECRET };
    const removed = { url: `${receiver.base}/removed`, secret: OK_SECRET };
    const env = { WEBHOOK_POLL_MS: '100', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_RETRY_MAX_MS: '200' };
    try {
      const first = await startApi(db.url, { ...env, WEBHOOK_ENDPOINTS: JSON.stringify([endpoint, removed]) });
      const lesson = await createLesson(first);
      await runLesson(first, lesson);
      await eventually(async () => {
        const rows = await first.server.sql`select attempts from webhook_deliveries where endpoint_url = ${endpoint.url}`;
        return rows.length === 7 && rows.every((r) => r.attempts >= 1) ? true : undefined;
      });
      // Not delivered yet: each row was tried, failed and waits for its next attempt.
      const pending = await first.server.sql`
        select status, attempts from webhook_deliveries where endpoint_url = ${endpoint.url}`;
      await first.close();
      expect(pending.length).toBe(7);
      for (const p of pending) {
        expect(p.status).toBe('pending');
        expect(p.attempts).toBeGreaterThanOrEqual(1);
      }

      healthy = true;
      const second = await startApi(db.url, { ...env, WEBHOOK_ENDPOINTS: JSON.stringify([endpoint]) });
      try {
        const rows = await eventually(async () => {
          const r = await second.server.sql`
            select endpoint_url, status, last_error from webhook_deliveries order by endpoint_url, id`;
          return r.every((x) => x.status !== 'pending') ? r : undefined;
        });
        const delivered = rows.filter((r) => r.endpoint_url === endpoint.url);
        expect(delivered.map((r) => r.status)).toEqual(Array(7).fill('delivered'));
        // An endpoint removed from the configuration is given up on, with the reason.
        const gone = rows.filter((r) => r.endpoint_url === removed.url);
        expect(gone.map((r) => [r.status, r.last_error])).toEqual(
          Array(7).fill(['failed', 'endpoint is no longer configured']),
        );
        const sent = receiver.received.filter((r) => r.path === '/hooks');
        expect(new Set(sent.map((r) => r.event.type))).toEqual(
          new Set(['participant.joined', 'participant.left', 'session.status_changed', 'session.started', 'session.ended']),
        );
      } finally {
        await second.close();
      }
    } finally {
      await receiver.close();
      await db.drop();
    }
  });
});
