// A media node as one of many, against the real API and a real mediasoup worker: it registers,
// heartbeats its load, follows an operator's drain (participants told to reconnect at the
// deadline, new hellos refused, /readyz 503), undrain, and a graceful shutdown that leaves the registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { TestClient } from './support/ws-client.ts';

let stack: NodeStack;
const clients: TestClient[] = [];

async function client(): Promise<TestClient> {
  const c = await TestClient.open(stack.wsUrl, 'json');
  clients.push(c);
  return c;
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.env.DUET_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function seatBoth() {
  const lesson = await stack.lesson();
  const joins = [];
  for (const token of [lesson.tutorToken, lesson.studentToken]) {
    const res = await fetch(`${stack.apiUrl}/v1/sessions/${lesson.id}/join`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    joins.push((await res.json()) as any);
  }
  const tutor = await client();
  const student = await client();
  expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
  expect(await student.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });
  return { lesson, tutor, student, joins };
}

beforeAll(async () => {
  stack = await startNodeStack({ NODE_ID: 'node-under-test', NODE_HEARTBEAT_MS: '200', NODE_CAPACITY: '7', P2P_ENABLED: 'false' });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await stack?.stop();
});

describe('a registered media node', () => {
  it('registers, reports its load, and gets the lessons the API places', async () => {
    const node = await eventually(async () => {
      const list = await api('GET', '/v1/nodes');
      return list.body.nodes.find((n: any) => n.id === 'node-under-test');
    });
    expect(node).toMatchObject({
      signaling_url: stack.wsUrl,
      internal_url: stack.httpUrl,
      media_address: '127.0.0.1',
      capacity: 7,
      state: 'active',
      health: 'healthy',
    });
    expect((await fetch(`${stack.httpUrl}/readyz`)).status).toBe(200);

    const { joins, lesson } = await seatBoth();
    for (const j of joins) expect(j).toMatchObject({ media_node: 'node-under-test', signaling_url: stack.wsUrl });
    const loaded = await eventually(async () => {
      const n = (await api('GET', '/v1/nodes/node-under-test')).body;
      return n.load.lessons >= 1 && n.load.participants >= 2 ? n : undefined;
    });
    expect(loaded.load).toMatchObject({ lessons: 1, participants: 2, workers: 1 });
    expect(loaded.assigned_lessons).toBeGreaterThanOrEqual(1);
    expect(lesson.id).toBeTruthy();
  });

  it('serves Prometheus metrics that move with lessons, participants and SFU objects', async () => {
    const scrape = async () => {
      const res = await fetch(`${stack.httpUrl}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const value = (text: string, name: string, labels = '') => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    const before = await scrape();
    const lessons0 = value(before, 'duet_node_lessons')!;
    const { tutor, student } = await seatBoth();
    expect(await tutor.request('sfu.capabilities')).toMatchObject({ ok: true });
    expect(await tutor.request('sfu.createTransport', { direction: 'send' })).toMatchObject({ ok: true });
    expect(await student.request('sfu.createTransport', { direction: 'recv' })).toMatchObject({ ok: true });
    const after = await scrape();
    expect(value(after, 'duet_node_lessons')).toBe(lessons0 + 1);
    expect(value(after, 'duet_node_participants')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'duet_node_capacity')).toBe(7);
    expect(value(after, 'duet_node_draining')).toBe(0);
    expect(value(after, 'duet_mediasoup_workers')).toBe(1);
    expect(value(after, 'duet_mediasoup_worker_routers', 'worker="0"')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'duet_mediasoup_worker_transports', 'worker="0"')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'duet_mediasoup_worker_cpu_seconds', 'worker="0"')).toBeGreaterThan(0);
    expect(value(after, 'duet_media_streams', 'direction="inbound"')).toBe(0);
    expect(after).toContain('node="node-under-test"');
    tutor.close();
    student.close();
  });

  it('at the drain deadline tells both participants to reconnect, refuses new hellos, and takes lessons again after undrain', async () => {
    const { tutor, student, lesson } = await seatBoth();
    const drain = await api('POST', '/v1/nodes/node-under-test/drain', { deadline_seconds: 1, reason: 'test' });
    expect(drain.status).toBe(200);
    await eventually(async () => ((await fetch(`${stack.httpUrl}/readyz`)).status === 503 ? true : undefined));
    // Before the deadline the lesson keeps running here.
    expect(tutor.closed).toBeUndefined();
    for (const c of [tutor, student]) {
      expect(await c.next('reconnect', 8_000)).toEqual({ t: 'reconnect', reason: 'node_drained' });
      await c.until(() => c.closed, 5_000);
    }
    const again = await client();
    const refused = await again.request('hello', { v: 1, token: lesson.tutorToken });
    expect(refused).toMatchObject({ ok: false, error: { code: 'node_draining' } });
    // Both dropped at once (not a leave: the lesson goes on elsewhere), so attendance shows the gap from now.
    await eventually(async () => {
      const att = (await api('GET', `/v1/sessions/${lesson.id}/attendance`)).body;
      return att.participants.every((p: any) => p.intervals.length === 1 && p.intervals[0].left_at) ? att : undefined;
    });
    expect((await api('GET', `/v1/sessions/${lesson.id}`)).body.status).toBe('reconnecting');

    expect((await api('POST', '/v1/nodes/node-under-test/undrain')).status).toBe(200);
    await eventually(async () => ((await fetch(`${stack.httpUrl}/readyz`)).status === 200 ? true : undefined));
    const back = await client();
    expect(await back.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
    back.close();
  });

  it('shuts down gracefully: drains, moves the remaining lesson at the deadline, and leaves the registry', async () => {
    const { tutor, student } = await seatBoth();
    const started = Date.now();
    const done = stack.signaling.node.shutdown(1_500);
    await eventually(async () => ((await api('GET', '/v1/nodes/node-under-test')).body.state === 'draining' ? true : undefined), 5_000);
    for (const c of [tutor, student]) expect(await c.next('reconnect', 8_000)).toEqual({ t: 'reconnect', reason: 'node_shutdown' });
    await done;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect((await api('GET', '/v1/nodes')).body.nodes.map((n: any) => n.id)).not.toContain('node-under-test');
    expect((await fetch(`${stack.httpUrl}/readyz`)).status).toBe(503);
  });
});
