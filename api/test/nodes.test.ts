// Media-node registry and placement: registration, heartbeats with load, least-loaded and
// round-robin placement, stickiness, exclusion of silent nodes (timeout and probe), re-placement
// with an attendance gap, drain/undrain, capacity, and today's behaviour with no node registered.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../src/events/event.ts';
import {
  API_KEY,
  DB_KINDS,
  HOOK_SECRET,
  createLesson,
  mintToken,
  sendHook,
  startApiOn,
  type TestApi,
} from './support/harness.ts';

/** A node's /healthz as the API probes it: a tiny real HTTP server. */
async function healthServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end('{"ok":true}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** An address nothing listens on (a dead node). */
const DEAD_URL = 'http://127.0.0.1:9';

describe.each(DB_KINDS)('media node registry (%s)', (kind) => {
  let api: TestApi;
  let health: Awaited<ReturnType<typeof healthServer>>;
  let clock = Date.now();
  beforeAll(async () => {
    health = await healthServer();
    api = await startApiOn(kind, { SIGNALING_PUBLIC_URL: 'ws://static.example.test/ws', NODE_HEARTBEAT_TIMEOUT_MS: '10000' }, { now: () => new Date(clock) });
  });
  afterAll(async () => {
    await api?.close();
    await health?.close();
  });
  afterEach(async () => {
    // Each test starts with an empty registry and the real time.
    await api.server.sql`delete from media_nodes`;
    clock = Date.now();
  });

  const internal = (method: string, path: string, body?: unknown, token = HOOK_SECRET) => api.request(method, path, { token, body });
  const load = (lessons = 0, extra: Record<string, number> = {}) => ({ lessons, participants: 0, consumers: 0, cpu_percent: 0, bitrate_bps: 0, workers: 2, ...extra });

  async function register(id: string, o: Record<string, unknown> = {}) {
    const boot = randomUUID();
    const res = await internal('POST', '/internal/nodes/register', {
      id,
      signaling_url: `ws://${id}.example.test/ws`,
      internal_url: health.url,
      media_address: '203.0.113.7',
      capacity: 10,
      heartbeat_interval_ms: 2000,
      boot_id: boot,
      load: load(),
      ...o,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { boot, res };
  }
  const beat = (id: string, boot: string, l = load()) => internal('POST', `/internal/nodes/${id}/heartbeat`, { boot_id: boot, load: l });

  async function joinAs(lessonId: string, role: 'tutor' | 'student' = 'tutor') {
    const res = await api.request('POST', `/v1/sessions/${lessonId}/join`, { token: await mintToken(api, lessonId, role) });
    return res;
  }

  it('keeps today\'s placement while no node is registered', async () => {
    const lesson = await createLesson(api);
    const res = await joinAs(lesson.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ signaling_url: 'ws://static.example.test/ws', media_node: 'default' });
  });

  it('registers nodes (internal secret only, validated) and lists them for operators', async () => {
    expect((await internal('POST', '/internal/nodes/register', { id: 'x' }, 'wrong-secret')).status).toBe(401);
    const bad = await internal('POST', '/internal/nodes/register', { id: 'bad id!', signaling_url: 'http://x', capacity: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');

    const { boot, res } = await register('media-1', { version: '1.2.3' });
    expect(res.body).toMatchObject({ state: 'active', drain_deadline: null, heartbeat_timeout_ms: 10000, node: { id: 'media-1', health: 'healthy' } });
    expect((await beat('media-1', boot, load(3, { consumers: 8, cpu_percent: 12.5, bitrate_bps: 4_000_000, participants: 6 }))).body).toEqual({
      state: 'active',
      drain_deadline: null,
      heartbeat_timeout_ms: 10000,
    });
    // A heartbeat from another boot of the node (it restarted) must register again.
    const stale = await beat('media-1', randomUUID());
    expect(stale.status).toBe(404);
    expect(stale.body.error.code).toBe('node_not_registered');
    expect((await beat('nobody', boot)).status).toBe(404);

    expect((await api.request('GET', '/v1/nodes')).status).toBe(401);
    expect((await api.request('GET', '/v1/nodes', { token: HOOK_SECRET })).status).toBe(401);
    const list = await api.request('GET', '/v1/nodes', { token: API_KEY });
    expect(list.status).toBe(200);
    expect(list.body.nodes).toEqual([
      expect.objectContaining({
        id: 'media-1',
        signaling_url: 'ws://media-1.example.test/ws',
        internal_url: health.url,
        media_address: '203.0.113.7',
        capacity: 10,
        state: 'active',
        health: 'healthy',
        version: '1.2.3',
        assigned_lessons: 0,
        load: { lessons: 3, participants: 6, consumers: 8, cpu_percent: 12.5, bitrate_bps: 4_000_000, workers: 2 },
      }),
    ]);
    expect((await api.request('GET', '/v1/nodes/nope', { token: API_KEY })).status).toBe(404);
  });

  it('places lessons on the least-loaded node and keeps each lesson there', async () => {
    const a = await register('media-a', { capacity: 10 });
    const b = await register('media-b', { capacity: 20 });
    await beat('media-a', a.boot, load(0, { cpu_percent: 5 }));
    await beat('media-b', b.boot, load(0, { cpu_percent: 50 }));
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const lesson = await createLesson(api);
      const res = await joinAs(lesson.id);
      expect(res.status).toBe(200);
      placed.push(res.body.media_node);
      // The second participant lands on the same node.
      const student = await joinAs(lesson.id, 'student');
      expect(student.body.media_node).toBe(res.body.media_node);
      expect(student.body.signaling_url).toBe(`ws://${res.body.media_node}.example.test/ws`);
    }
    // By share of capacity: a (10) ties b (20) at zero and wins on CPU, then b twice per a.
    expect(placed).toEqual(['media-a', 'media-b', 'media-b', 'media-a', 'media-b', 'media-b']);
    const list = await api.request('GET', '/v1/nodes', { token: API_KEY });
    expect(list.body.nodes.map((n: any) => [n.id, n.assigned_lessons])).toEqual([['media-a', 2], ['media-b', 4]]);
  });

  it('round-robin policy takes turns', async () => {
    const rr = await startApiOn(kind, { PLACEMENT_POLICY: 'round_robin' });
    try {
      for (const id of ['n1', 'n2', 'n3']) {
        const r = await rr.request('POST', '/internal/nodes/register', {
          token: HOOK_SECRET,
          body: { id, signaling_url: `ws://${id}/ws`, internal_url: health.url, media_address: '127.0.0.1', capacity: 100, heartbeat_interval_ms: 2000, boot_id: randomUUID() },
        });
        expect(r.status).toBe(200);
      }
      const placed: string[] = [];
      for (let i = 0; i < 6; i++) {
        const lesson = await createLesson(rr);
        const res = await rr.request('POST', `/v1/sessions/${lesson.id}/join`, { token: await mintToken(rr, lesson.id, 'tutor') });
        placed.push(res.body.media_node);
      }
      expect(placed).toEqual(['n1', 'n2', 'n3', 'n1', 'n2', 'n3']);
    } finally {
      await rr.close();
    }
  });

  it('refuses a bad PLACEMENT_POLICY at start', async () => {
    await expect(startApiOn(kind, { PLACEMENT_POLICY: 'random' })).rejects.toThrow(/PLACEMENT_POLICY/);
  });

  it('excludes a node that misses heartbeats and re-places its lessons with an attendance gap', async () => {
    const a = await register('media-a', { internal_url: DEAD_URL });
    const b = await register('media-b');
    await beat('media-b', b.boot, load(5)); // busier: the first lesson goes to a
    const lesson = await createLesson(api, { scheduled_start: new Date(clock - 60_000).toISOString() });
    expect((await joinAs(lesson.id)).body.media_node).toBe('media-a');
    // Both are in the room on media-a.
    const joinedAt = new Date(clock);
    for (const role of ['tutor', 'student'] as const) {
      const res = await sendHook(api, newEvent('participant.joined', lesson.id, { role, user_id: lesson[role].id }, joinedAt));
      expect(res.status).toBe(200);
    }
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body.status).toBe('live');
    const lastBeat = new Date(clock);
    await beat('media-a', a.boot, load(1));

    // media-a goes silent; b keeps beating. After the timeout, a is excluded and its lesson moves.
    clock += 11_000;
    await beat('media-b', b.boot, load(5));
    expect((await api.request('GET', '/v1/nodes/media-a', { token: API_KEY })).body.health).toBe('unresponsive');
    const other = await createLesson(api);
    expect((await joinAs(other.id)).body.media_node).toBe('media-b');
    const back = await joinAs(lesson.id, 'student');
    expect(back.status).toBe(200);
    expect(back.body.media_node).toBe('media-b');
    expect((await joinAs(lesson.id, 'tutor')).body.media_node).toBe('media-b');
    expect((await api.request('GET', '/v1/nodes/media-a', { token: API_KEY })).body.health).toBe('lost');

    // The drop is at media-a's last heartbeat: the lesson is reconnecting until they are back.
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body.status).toBe('reconnecting');
    const rejoined = new Date(clock);
    for (const role of ['tutor', 'student'] as const) {
      await sendHook(api, newEvent('participant.joined', lesson.id, { role, user_id: lesson[role].id }, rejoined));
    }
    const attendance = await api.request('GET', `/v1/sessions/${lesson.id}/attendance`, { token: API_KEY });
    expect(attendance.status).toBe(200);
    for (const p of attendance.body.participants) {
      expect(p.intervals).toEqual([
        { joined_at: joinedAt.toISOString(), left_at: lastBeat.toISOString() },
        { joined_at: rejoined.toISOString(), left_at: null },
      ]);
    }
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body.status).toBe('live');
    // A lost node that comes back (same id, new boot) is healthy again.
    await register('media-a');
    expect((await api.request('GET', '/v1/nodes/media-a', { token: API_KEY })).body.health).toBe('healthy');
  });

  it('probes a node that skipped a heartbeat: a dead one loses its lessons at once, a live one keeps them', async () => {
    await register('dead', { internal_url: DEAD_URL, heartbeat_interval_ms: 500 });
    const lesson = await createLesson(api);
    expect((await joinAs(lesson.id)).body.media_node).toBe('dead');
    await register('alive', { heartbeat_interval_ms: 500 });
    clock += 1_000; // one missed heartbeat, far below the 10 s timeout
    const again = await joinAs(lesson.id, 'student');
    expect(again.body.media_node).toBe('alive');

    // "alive" also skips one, but answers its probe: the lesson stays.
    clock += 1_000;
    expect((await joinAs(lesson.id, 'tutor')).body.media_node).toBe('alive');
  });

  it('drains: no new lessons, running ones stay until the deadline, then move; undrain restores', async () => {
    const a = await register('media-a');
    const b = await register('media-b');
    await beat('media-b', b.boot, load(3));
    const running = await createLesson(api);
    expect((await joinAs(running.id)).body.media_node).toBe('media-a');

    expect((await api.request('POST', '/v1/nodes/media-a/drain', { token: HOOK_SECRET, body: {} })).status).toBe(401);
    const bad = await api.request('POST', '/v1/nodes/media-a/drain', { token: API_KEY, body: { deadline_seconds: -1 } });
    expect(bad.status).toBe(400);
    expect((await api.request('POST', '/v1/nodes/ghost/drain', { token: API_KEY, body: {} })).status).toBe(404);
    const drained = await api.request('POST', '/v1/nodes/media-a/drain', { token: API_KEY, body: { deadline_seconds: 600, reason: 'kernel upgrade' } });
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({ state: 'draining', health: 'draining', drain_reason: 'kernel upgrade', drain_deadline: new Date(clock + 600_000).toISOString() });
    // The node hears it with its next heartbeat.
    expect((await beat('media-a', a.boot)).body).toMatchObject({ state: 'draining', drain_deadline: new Date(clock + 600_000).toISOString() });

    const fresh = await createLesson(api);
    expect((await joinAs(fresh.id)).body.media_node).toBe('media-b');
    expect((await joinAs(running.id, 'student')).body.media_node).toBe('media-a');

    clock += 601_000;
    await beat('media-a', a.boot);
    await beat('media-b', b.boot);
    expect((await api.request('GET', '/v1/nodes/media-a', { token: API_KEY })).body.health).toBe('drained');
    expect((await joinAs(running.id, 'student')).body.media_node).toBe('media-b');

    const undrained = await api.request('POST', '/v1/nodes/media-a/undrain', { token: API_KEY });
    expect(undrained.body).toMatchObject({ state: 'active', health: 'healthy', drain_deadline: null });
    expect((await beat('media-a', a.boot)).body).toMatchObject({ state: 'active', drain_deadline: null });
    const next = await createLesson(api);
    expect((await joinAs(next.id)).body.media_node).toBe('media-a');
  });

  it('a node drains itself on shutdown (an operator\'s earlier deadline stays) and deregisters', async () => {
    const a = await register('media-a');
    await api.request('POST', '/v1/nodes/media-a/drain', { token: API_KEY, body: { deadline_seconds: 5 } });
    const self = await internal('POST', '/internal/nodes/media-a/drain', { boot_id: a.boot, deadline_seconds: 30, reason: 'shutdown' });
    expect(self.status).toBe(200);
    expect(self.body).toMatchObject({ state: 'draining', drain_deadline: new Date(clock + 5_000).toISOString() });
    expect((await internal('POST', '/internal/nodes/media-a/drain', { boot_id: randomUUID(), deadline_seconds: 30, reason: 'x' })).status).toBe(404);
    expect((await internal('DELETE', '/internal/nodes/media-a')).status).toBe(204);
    expect((await api.request('GET', '/v1/nodes', { token: API_KEY })).body.nodes).toEqual([]);
  });

  it('answers 503 no_media_node_available when every node is full, draining or silent', async () => {
    await register('tiny', { capacity: 1 });
    const first = await createLesson(api);
    expect((await joinAs(first.id)).body.media_node).toBe('tiny');
    const second = await createLesson(api);
    const full = await joinAs(second.id);
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe('no_media_node_available');
    // The operator forgets the node: with no registered node, the static placement applies again.
    expect((await api.request('DELETE', '/v1/nodes/tiny', { token: API_KEY })).status).toBe(204);
    expect((await joinAs(second.id)).body.media_node).toBe('default');
  });
});
