// Issue 12, items 1 and 6, on a real media node and the real API: a superseded link no longer
// takes a seat (standby, hello, join), the marketplace can remove a participant at once, resume
// after a drop still works, and a node refuses lessons the API placed on another node.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeStack, type NodeStack } from '../support/stack.ts';
import { TestClient } from '../support/ws-client.ts';

let stack: NodeStack;
let placed: NodeStack;
let scoped: NodeStack;
const clients: TestClient[] = [];

async function client(s: NodeStack = stack): Promise<TestClient> {
  const c = await TestClient.open(s.wsUrl, 'msgpack');
  clients.push(c);
  return c;
}

async function api(s: NodeStack, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${s.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
}
const mint = async (s: NodeStack, id: string, role: 'tutor' | 'student') =>
  (await api(s, 'POST', `/v1/sessions/${id}/tokens`, s.env.DUET_API_KEY!, { role })).body.token as string;
const join = (s: NodeStack, id: string, token: string) => api(s, 'POST', `/v1/sessions/${id}/join`, token, {});

beforeAll(async () => {
  const root = randomBytes(32).toString('base64url');
  const own = createHmac('sha256', root).update('duet-node-secret/v1:node-s').digest('hex');
  [stack, placed, scoped] = await Promise.all([
    startNodeStack(),
    startNodeStack({ NODE_ID: 'node-a', NODE_HEARTBEAT_MS: '200' }),
    // A node that holds only its own secret (the API derives it from the shared one).
    startNodeStack({ NODE_ID: 'node-s', NODE_SECRET: own, INTERNAL_HOOK_SECRET: root, NODE_HEARTBEAT_MS: '200' }),
  ]);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([stack?.stop(), placed?.stop(), scoped?.stop()]);
});

describe('superseded links on the media node', () => {
  it('refuses the old student link on hello: the real student keeps the seat (no 4001 "opened somewhere else")', async () => {
    const lesson = await stack.lesson();
    const older = lesson.studentToken;
    expect((await join(stack, lesson.id, older)).status).toBe(200);
    // The marketplace replaces the link; the real student joins with the new one.
    const newer = await mint(stack, lesson.id, 'student');
    const grant = await join(stack, lesson.id, newer);
    expect(grant.status).toBe(200);
    const student = await client();
    expect(await student.request('hello', { v: 1, token: newer, ticket: grant.body.seat_ticket })).toMatchObject({ ok: true });

    const attacker = await client();
    expect(await attacker.request('hello', { v: 1, token: older })).toMatchObject({ ok: false, error: { code: 'token_superseded' } });
    const standby = await client();
    expect(await standby.request('standby', { v: 1, token: older })).toMatchObject({ ok: false, error: { code: 'token_superseded' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(student.closed).toBeUndefined();
    expect(student.notifications.filter((n) => n.t === 'session.ended')).toEqual([]);
    // The chat over REST is closed to the old link too.
    expect((await api(stack, 'GET', `/v1/sessions/${lesson.id}/chat`, older)).body.error.code).toBe('token_superseded');
  });

  it('refuses `join` on a standby socket whose link was superseded while it waited', async () => {
    const lesson = await stack.lesson();
    const older = lesson.studentToken;
    await join(stack, lesson.id, older);
    const waiting = await client();
    expect(await waiting.request('standby', { v: 1, token: older })).toMatchObject({ ok: true });
    const newer = await mint(stack, lesson.id, 'student');
    expect((await join(stack, lesson.id, newer)).status).toBe(200);
    expect(await waiting.request('join')).toMatchObject({ ok: false, error: { code: 'token_superseded' } });
  });

  it('keeps resume after a network drop working', async () => {
    const lesson = await stack.lesson();
    const grant = await join(stack, lesson.id, lesson.studentToken);
    const first = await client();
    const hello = (await first.request('hello', { v: 1, token: lesson.studentToken, ticket: grant.body.seat_ticket })) as { ok: true; data: { resumeToken: string } };
    first.ws.terminate();
    await new Promise((r) => setTimeout(r, 100));
    const again = await client();
    expect(await again.request('hello', { v: 1, token: lesson.studentToken, ticket: grant.body.seat_ticket, resume: hello.data.resumeToken })).toMatchObject({
      ok: true,
      data: { resumed: true },
    });
  });

  it('resumes a kept seat during an API outage, but a fresh hello then waits for the API', async () => {
    const lesson = await stack.lesson();
    const first = await client();
    const hello = (await first.request('hello', { v: 1, token: lesson.studentToken })) as { ok: true; data: { resumeToken: string } };
    first.ws.terminate();
    await new Promise((r) => setTimeout(r, 100));
    stack.proxy.setDown(true);
    try {
      const again = await client();
      expect(await again.request('hello', { v: 1, token: lesson.studentToken, resume: hello.data.resumeToken })).toMatchObject({ ok: true, data: { resumed: true } });
      const tutor = await client();
      expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: false, error: { code: 'service_unavailable' } });
    } finally {
      stack.proxy.setDown(false);
    }
  });
});

describe('revocation', () => {
  it('closes the seat at once (4005 after a `removed` notification), refuses the links, tells the other side and the marketplace', async () => {
    const lesson = await stack.lesson();
    const tutor = await client();
    expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
    const student = await client();
    expect(await student.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });
    const secondTab = await client();
    expect(await secondTab.request('standby', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });

    const started = Date.now();
    const res = await api(stack, 'POST', `/v1/sessions/${lesson.id}/participants/student/revoke`, stack.env.DUET_API_KEY!, { reason: 'harassment' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.node_notified).toBe(true);
    await student.until(() => student.closed);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(student.closed?.code).toBe(4005);
    expect(student.notifications).toContainEqual({ t: 'removed', reason: 'revoked' });
    await secondTab.until(() => secondTab.closed);
    expect(secondTab.closed?.code).toBe(4005);
    await tutor.until(() => tutor.notifications.find((n) => n.t === 'peer.left'));
    await tutor.until(() => stack.proxy.hooks.find((h) => h.session_id === lesson.id && h.type === 'participant.left' && h.data.reason === 'removed'));

    const back = await client();
    expect(await back.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: false, error: { code: 'participant_revoked' } });
    // A link minted afterwards seats the student again (the marketplace decides).
    const fresh = await mint(stack, lesson.id, 'student');
    const seated = await client();
    expect(await seated.request('hello', { v: 1, token: fresh })).toMatchObject({ ok: true });
  });
});

describe('a node refuses lessons the API placed on another node', () => {
  it('answers lesson_elsewhere on standby and hello', async () => {
    const lesson = await placed.lesson();
    // Placed on this node by the join; then the API moves it (as when this node was lost).
    expect((await join(placed, lesson.id, lesson.tutorToken)).body.media_node).toBe('node-a');
    const here = await client(placed);
    expect(await here.request('standby', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
    await placed.api.sql`update sessions set media_node = 'node-b' where id = ${lesson.id}`;
    const moved = await client(placed);
    expect(await moved.request('standby', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: false, error: { code: 'lesson_elsewhere' } });
    const hello = await client(placed);
    expect(await hello.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: false, error: { code: 'lesson_elsewhere' } });
    expect(await here.request('join')).toMatchObject({ ok: false, error: { code: 'lesson_elsewhere' } });
  });
});

describe('a node with its own NODE_SECRET', () => {
  it('registers, reads its lessons, seats people, gets its hooks accepted and takes revocations', async () => {
    const lesson = await scoped.lesson();
    const grant = await join(scoped, lesson.id, lesson.tutorToken);
    expect(grant.body.media_node).toBe('node-s');
    const tutor = await client(scoped);
    expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken, ticket: grant.body.seat_ticket })).toMatchObject({ ok: true });
    await tutor.until(() => scoped.proxy.hooks.find((h) => h.session_id === lesson.id && h.type === 'participant.joined' && h.status === 200));
    const res = await api(scoped, 'POST', `/v1/sessions/${lesson.id}/participants/tutor/revoke`, scoped.env.DUET_API_KEY!, {});
    expect(res.body.node_notified).toBe(true);
    await tutor.until(() => tutor.closed);
    expect(tutor.closed?.code).toBe(4005);
  });
});
