// Issue 12, item 6: internal credentials are scoped. A media node holding only its own secret
// (HMAC(INTERNAL_HOOK_SECRET, node id)) acts for lessons placed on it and its own registry entry,
// never for another node's lessons.
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/events/signature.ts';
import { newEvent } from '../../src/events/event.ts';
import { DB_KINDS, HOOK_SECRET, createLesson, mintToken, startApiOn, type TestApi } from '../support/harness.ts';

const nodeSecret = (id: string) => createHmac('sha256', HOOK_SECRET).update(`duet-node-secret/v1:${id}`).digest('hex');
const credential = (id: string, secret = nodeSecret(id)) => `dn1:${id}:${secret}`;

describe.each(DB_KINDS)('per-node internal credentials (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  async function lessonOn(node: string) {
    const lesson = await createLesson(api);
    await api.server.sql`update sessions set media_node = ${node} where id = ${lesson.id}`;
    return lesson;
  }
  function hookFrom(node: string, secret: string, event: ReturnType<typeof newEvent>) {
    const raw = JSON.stringify(event);
    return api.request('POST', '/internal/hooks', {
      rawBody: raw,
      headers: { 'content-type': 'application/json', 'duet-node': node, 'duet-signature': sign(secret, raw) },
    });
  }

  it("accepts a node's hooks only for lessons placed on that node", async () => {
    const lesson = await lessonOn('node-a');
    const joined = () => newEvent('participant.joined', lesson.id, { role: 'tutor', user_id: lesson.tutor.id });
    const elsewhere = await hookFrom('node-b', nodeSecret('node-b'), joined());
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(403);
    expect(elsewhere.body.error.code).toBe('node_not_assigned');
    // node-b's secret cannot pass for node-a.
    expect((await hookFrom('node-a', nodeSecret('node-b'), joined())).status).toBe(401);
    const own = await hookFrom('node-a', nodeSecret('node-a'), joined());
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    // Nothing was applied by the refused hooks: one attendance interval, from node-a's hook.
    const rows = await api.server.sql`select count(*)::int as n from attendance_intervals where session_id = ${lesson.id}`;
    expect(rows[0]!.n).toBe(1);
  });

  it("lets a node read, seat-check and chat only for its own (or not yet placed) lessons", async () => {
    const lesson = await lessonOn('node-a');
    const token = await mintToken(api, lesson.id, 'student');
    const as = (node: string) => ({ token: credential(node) });
    expect((await api.request('GET', `/internal/sessions/${lesson.id}`, as('node-a'))).status).toBe(200);
    const read = await api.request('GET', `/internal/sessions/${lesson.id}`, as('node-b'));
    expect(read.status).toBe(403);
    expect(read.body.error.code).toBe('node_not_assigned');
    expect((await api.request('GET', `/internal/sessions/${lesson.id}/chat`, as('node-b'))).status).toBe(403);
    const chat = { id: randomUUID(), role: 'student', user_id: lesson.student.id, name: 'x', text: 'hi', sent_at: new Date().toISOString() };
    expect((await api.request('POST', `/internal/sessions/${lesson.id}/chat`, { ...as('node-b'), body: chat })).status).toBe(403);
    expect((await api.request('POST', `/internal/sessions/${lesson.id}/seat-check`, { ...as('node-b'), body: { token } })).status).toBe(403);
    // Asking for the room's facts with the seat check leaks nothing to another node either.
    const withFacts = await api.request('POST', `/internal/sessions/${lesson.id}/seat-check?include=lesson`, { ...as('node-b'), body: { token } });
    expect(withFacts.status).toBe(403);
    expect(withFacts.body.lesson).toBeUndefined();
    expect(withFacts.body.chat).toBeUndefined();
    expect((await api.request('POST', `/internal/sessions/${lesson.id}/seat-check`, { ...as('node-a'), body: { token } })).status).toBe(200);
    // A made-up secret for a node id is refused outright.
    expect((await api.request('GET', `/internal/sessions/${lesson.id}`, { token: credential('node-a', 'f'.repeat(64)) })).status).toBe(401);
  });

  it('keeps a node to its own registry entry', async () => {
    const body = (id: string) => ({
      id,
      signaling_url: `ws://127.0.0.1:1/${id}`,
      internal_url: 'http://127.0.0.1:1',
      media_address: '127.0.0.1',
      capacity: 10,
      heartbeat_interval_ms: 1000,
      boot_id: randomUUID(),
    });
    expect((await api.request('POST', '/internal/nodes/register', { token: credential('node-b'), body: body('node-a') })).status).toBe(403);
    const own = await api.request('POST', '/internal/nodes/register', { token: credential('node-a'), body: body('node-a') });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const drain = await api.request('POST', '/internal/nodes/node-a/drain', { token: credential('node-b'), body: { boot_id: 'x', deadline_seconds: 0, reason: 'forged' } });
    expect(drain.status).toBe(403);
    expect((await api.request('DELETE', '/internal/nodes/node-a', { token: credential('node-b') })).status).toBe(403);
    expect((await api.request('DELETE', '/internal/nodes/node-a', { token: credential('node-a') })).status).toBe(204);
  });
});
