// Issue 16 item 1: what a marketplace needs to integrate lessons. external_id (unique per API key),
// Idempotency-Key on POSTs, bounded metadata returned on reads and in webhooks, changing a seat's
// person while scheduled (old links stop), cancelling a lesson that has started (the media node is
// told to end the room), and session.rescheduled on a new time.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../src/events/signature.ts';
import { API_KEY, DB_KINDS, HOOK_SECRET, MINUTE, createLesson, eventually, lessonBody, mintToken, sendHook, startApiOn, type TestApi } from './support/harness.ts';

const WEBHOOK_SECRET = 'lesson-integration-webhook-secret-0123';

/** A marketplace receiver and a media node stand-in on one loopback server. */
async function startPeer() {
  const webhooks: { raw: string; body: any; signature: string }[] = [];
  const nodeCalls: { path: string; auth: string | undefined }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/hooks') webhooks.push({ raw, body: JSON.parse(raw), signature: String(req.headers['duet-signature']) });
      else nodeCalls.push({ path: req.url ?? '', auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, webhooks, nodeCalls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe.each(DB_KINDS)('lesson integration (%s)', (kind) => {
  let api: TestApi;
  let peer: Awaited<ReturnType<typeof startPeer>>;
  let otherKey: string;
  const key = (token: string) => ({ request: (m: string, p: string, o: any = {}) => api.request(m, p, { ...o, token }) });

  beforeAll(async () => {
    peer = await startPeer();
    api = await startApiOn(kind, {
      SIGNALING_PUBLIC_URL: `ws://127.0.0.1:${peer.port}/ws`,
      WEBHOOK_ENDPOINTS: JSON.stringify([{ url: `http://127.0.0.1:${peer.port}/hooks`, secret: WEBHOOK_SECRET }]),
      WEBHOOK_POLL_MS: '50',
    });
    otherKey = (await api.request('POST', '/v1/api-keys', { token: API_KEY, body: { name: 'second marketplace', scopes: ['lessons'] } })).body.secret;
  });
  afterAll(async () => {
    await api?.close();
    await peer?.close();
  });

  it('external_id: a create with a known one answers 200 with that lesson; unique per API key', async () => {
    const external_id = `booking-${randomUUID()}`;
    const first = await api.request('POST', '/v1/sessions', { token: API_KEY, body: lessonBody({ external_id, metadata: { booking_id: 'bk_1' } }) });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ external_id, metadata: { booking_id: 'bk_1' } });
    const again = await api.request('POST', '/v1/sessions', { token: API_KEY, body: lessonBody({ external_id, title: 'something else' }) });
    expect(again.status).toBe(200);
    expect({ ...again.body, can_join: undefined }).toEqual({ ...(await api.request('GET', `/v1/sessions/${first.body.id}`, { token: API_KEY })).body, can_join: undefined });
    expect(again.body.id).toBe(first.body.id);
    const elsewhere = await api.request('POST', '/v1/sessions', { token: otherKey, body: lessonBody({ external_id }) });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.id).not.toBe(first.body.id);
    // Racing creates with one external_id make one lesson.
    const race = `booking-${randomUUID()}`;
    const answers = await Promise.all([0, 1, 2].map(() => api.request('POST', '/v1/sessions', { token: API_KEY, body: lessonBody({ external_id: race }) })));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
  });

  it('Idempotency-Key: same key and body replays the stored answer; another body is 409; keys are per API key', async () => {
    const k = randomUUID();
    const body = lessonBody();
    const first = await api.request('POST', '/v1/sessions', { token: API_KEY, body, headers: { 'idempotency-key': k } });
    expect(first.status).toBe(201);
    const replay = await api.request('POST', '/v1/sessions', { token: API_KEY, body, headers: { 'idempotency-key': k } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    const listed = await api.request('GET', `/v1/sessions?user_id=${encodeURIComponent(body.tutor.id)}`, { token: API_KEY });
    expect(listed.body.sessions).toHaveLength(1);
    const reused = await api.request('POST', '/v1/sessions', { token: API_KEY, body: { ...body, title: 'other' }, headers: { 'idempotency-key': k } });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    // Another key's namespace: the same Idempotency-Key runs anew there.
    const other = await api.request('POST', '/v1/sessions', { token: otherKey, body, headers: { 'idempotency-key': k } });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
    // Errors are answers too: a replayed cancel does not become 409 lesson_not_cancellable.
    const ck = randomUUID();
    const cancel = () => api.request('POST', `/v1/sessions/${first.body.id}/cancel`, { token: API_KEY, body: { reason: 'moved' }, headers: { 'idempotency-key': ck } });
    expect((await cancel()).status).toBe(200);
    const second = await cancel();
    expect(second.status).toBe(200);
    expect(second.body.status).toBe('cancelled');
    // Bounds on the key itself.
    for (const bad of ['has space', 'x'.repeat(256), 'quote"s ok but ' + 'y'.repeat(250)]) {
      const res = await api.request('POST', '/v1/sessions', { token: API_KEY, body: lessonBody(), headers: { 'idempotency-key': bad } });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    // A participant's POST is scoped to their seat: a retried analytics event is stored once.
    const seatLesson = await createLesson(api);
    const student = await mintToken(api, seatLesson.id, 'student');
    const event = { type: 'page_view', at: new Date().toISOString(), data: {} };
    const ak = randomUUID();
    for (let i = 0; i < 2; i++) {
      const r = await api.request('POST', `/v1/sessions/${seatLesson.id}/analytics`, { token: student, body: event, headers: { 'idempotency-key': ak } });
      expect(r.status).toBe(202);
      expect(r.headers.get('idempotent-replayed')).toBe(i === 0 ? null : 'true');
    }
    expect((await api.request('GET', `/v1/sessions/${seatLesson.id}/analytics`, { token: API_KEY })).body.events).toHaveLength(1);
    // Concurrent duplicates: one lesson; the other answer is the replay or 409 in flight.
    const ck2 = randomUUID();
    const b2 = lessonBody();
    const both = await Promise.all([0, 1].map(() => api.request('POST', '/v1/sessions', { token: API_KEY, body: b2, headers: { 'idempotency-key': ck2 } })));
    for (const r of both) expect([201, 409]).toContain(r.status);
    expect(both.filter((r) => r.status === 409).every((r) => r.body.error.code === 'idempotency_key_in_flight')).toBe(true);
    expect((await api.request('GET', `/v1/sessions?user_id=${encodeURIComponent(b2.tutor.id)}`, { token: API_KEY })).body.sessions).toHaveLength(1);
  });

  it('metadata: bounded, shown to the marketplace only, and sent in webhooks with api_version', async () => {
    const deep = (n: number): any => (n === 0 ? 1 : { a: deep(n - 1) });
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, { x: 1 }]));
    for (const metadata of [{ big: 'x'.repeat(5000) }, deep(6), many, [1, 2], { ['k'.repeat(101)]: 1 }]) {
      const res = await api.request('POST', '/v1/sessions', { token: API_KEY, body: lessonBody({ metadata }) });
      expect(res.status, JSON.stringify(metadata).slice(0, 60)).toBe(400);
    }
    // A nesting bomb is refused cleanly, never a 500.
    const bomb = `{"metadata":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;
    const bombed = await api.request('POST', '/v1/sessions', { token: API_KEY, rawBody: bomb, headers: { 'content-type': 'application/json' } });
    expect(bombed.status).toBe(400);

    const lesson = await createLesson(api, { metadata: { booking_id: 'bk_9', plan: { tier: 'trial' } } });
    expect(lesson.metadata).toEqual({ booking_id: 'bk_9', plan: { tier: 'trial' } });
    const asStudent = await api.request('GET', `/v1/sessions/${lesson.id}`, { token: await mintToken(api, lesson.id, 'student') });
    expect(asStudent.body.metadata).toEqual({});
    expect((await api.request('GET', `/v1/sessions?user_id=${lesson.tutor.id}`, { token: API_KEY })).body.sessions[0].metadata).toEqual(lesson.metadata);

    // A new time: session.rescheduled, delivered with the lesson's metadata.
    const start = new Date(Date.now() + 30 * MINUTE).toISOString();
    const end = new Date(Date.now() + 80 * MINUTE).toISOString();
    const patched = await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: API_KEY, body: { scheduled_start: start, scheduled_end: end, metadata: { booking_id: 'bk_9', moved: true } } });
    expect(patched.status).toBe(200);
    const hook = await eventually(() => peer.webhooks.find((w) => w.body.type === 'session.rescheduled' && w.body.session_id === lesson.id));
    expect(hook.body).toMatchObject({
      api_version: '2026-12-01',
      metadata: { booking_id: 'bk_9', moved: true },
      data: { scheduled_start: start, scheduled_end: end, previous: { scheduled_start: lesson.scheduled_start, scheduled_end: lesson.scheduled_end } },
    });
    expect(verify(WEBHOOK_SECRET, hook.raw, hook.signature).ok).toBe(true);
    // Metadata can change after the lesson is over; other fields cannot.
    await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'x' } });
    expect((await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: API_KEY, body: { metadata: { refunded: true } } })).body.metadata).toEqual({ refunded: true });
    expect((await api.request('PATCH', `/v1/sessions/${lesson.id}`, { token: API_KEY, body: { title: 'late' } })).status).toBe(409);
  });

  it("changes a scheduled lesson's student: the old student's links stop working everywhere", async () => {
    const lesson = await createLesson(api);
    const oldToken = await mintToken(api, lesson.id, 'student');
    const tutorToken = await mintToken(api, lesson.id, 'tutor');
    const seatCheck = (token: string) => api.request('POST', `/internal/sessions/${lesson.id}/seat-check`, { token: HOOK_SECRET, body: { token } });
    expect((await seatCheck(oldToken)).status).toBe(200);
    const changed = await api.request('PUT', `/v1/sessions/${lesson.id}/participants/student`, { token: API_KEY, body: { id: 'student-new', name: 'Kim Student' } });
    expect(changed.status).toBe(200);
    expect(changed.body.student).toEqual({ id: 'student-new', name: 'Kim Student', avatar_url: null });
    expect((await seatCheck(oldToken)).status).toBeGreaterThanOrEqual(400);
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: oldToken })).status).toBe(403);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: oldToken })).status).toBeGreaterThanOrEqual(400);
    const newToken = await mintToken(api, lesson.id, 'student');
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: newToken })).status).toBe(200);
    // The tutor's seat was not touched; a name-only change revokes nothing.
    expect((await api.request('PUT', `/v1/sessions/${lesson.id}/participants/tutor`, { token: API_KEY, body: { id: lesson.tutor.id, name: 'Ada T.' } })).status).toBe(200);
    expect((await seatCheck(tutorToken)).status).toBe(200);
    expect((await api.request('PUT', `/v1/sessions/${lesson.id}/participants/tutor`, { token: API_KEY, body: { id: 'student-new', name: 'Same' } })).status).toBe(400);
    const events = (await api.request('GET', `/v1/sessions/${lesson.id}/events`, { token: API_KEY })).body.events;
    expect(events.filter((e: any) => e.type === 'participant.changed').map((e: any) => e.data.links_revoked)).toEqual([true, false]);
  });

  it('cancels a live lesson: ends it for both on the media node, keeps the reason', async () => {
    const lesson = await createLesson(api, { scheduled_start: new Date(Date.now() - MINUTE).toISOString() });
    for (const role of ['tutor', 'student'] as const) {
      const res = await sendHook(api, { id: `evt_${randomUUID()}`, type: 'participant.joined', created_at: new Date().toISOString(), session_id: lesson.id, data: { role, user_id: lesson[role].id } });
      expect(res.status).toBe(200);
    }
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body.status).toBe('live');
    const cancelled = await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'tutor ill' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancel_reason: 'tutor ill' });
    expect(cancelled.body.ended_at).not.toBeNull();
    const call = peer.nodeCalls.find((c) => c.path === `/internal/sessions/${lesson.id}/cancel`);
    // The node's own credential (dn1:<node>:<NODE_SECRET derived from INTERNAL_HOOK_SECRET>).
    expect(call?.auth).toMatch(/^Bearer dn1:default:[0-9a-f]{64}$/);
    // The node's closing hooks are still taken (attendance closes), and change nothing.
    const left = await sendHook(api, { id: `evt_${randomUUID()}`, type: 'participant.left', created_at: new Date().toISOString(), session_id: lesson.id, data: { role: 'tutor', user_id: lesson.tutor.id, reason: 'ended' } });
    expect(left.status).toBe(200);
    expect((await api.request('GET', `/v1/sessions/${lesson.id}`, { token: API_KEY })).body.status).toBe('cancelled');
    const join = await api.request('POST', `/v1/sessions/${lesson.id}/join`, { token: await mintToken(api, lesson.id, 'student') });
    expect(join.body.error.code).toBe('lesson_cancelled');
    const event = (await api.request('GET', `/v1/sessions/${lesson.id}/events`, { token: API_KEY })).body.events.find((e: any) => e.data.to === 'cancelled');
    expect(event.data).toMatchObject({ from: 'live', cancel_reason: 'tutor ill', started: true });
  });
});
