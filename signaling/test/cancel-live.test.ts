// Issue 16 item 1: the marketplace cancels a lesson that is running. On the real media node and the
// real API: both participants are told (`session.ended {reason: 'cancelled'}`, close 4002) at once,
// the attendance closes (participant.left hooks accepted), no session.ended hook is sent (the API
// made that move itself), and the lesson cannot be entered again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { TestClient } from './support/ws-client.ts';

let stack: NodeStack;
const clients: TestClient[] = [];

beforeAll(async () => {
  stack = await startNodeStack();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await stack?.stop();
});

async function api(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
}

describe('cancelling a running lesson', () => {
  it('ends the room for both with the cancelled reason', async () => {
    const lesson = await stack.lesson();
    const key = stack.env.DUET_API_KEY!;
    const seated: TestClient[] = [];
    for (const token of [lesson.tutorToken, lesson.studentToken]) {
      const grant = await api('POST', `/v1/sessions/${lesson.id}/join`, token, {});
      const c = await TestClient.open(stack.wsUrl, 'msgpack');
      clients.push(c);
      expect(await c.request('hello', { v: 1, token, ticket: grant.body.seat_ticket })).toMatchObject({ ok: true });
      seated.push(c);
    }
    for (let i = 0; (await api('GET', `/v1/sessions/${lesson.id}`, key)).body.status !== 'live'; i++) {
      if (i > 100) throw new Error('the lesson never went live');
      await new Promise((r) => setTimeout(r, 50));
    }

    const started = Date.now();
    const res = await api('POST', `/v1/sessions/${lesson.id}/cancel`, key, { reason: 'tutor ill' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'cancelled', cancel_reason: 'tutor ill' });
    for (const c of seated) {
      await c.until(() => c.closed);
      expect(c.closed?.code).toBe(4002);
      expect(c.notifications).toContainEqual({ t: 'session.ended', reason: 'cancelled' });
    }
    expect(Date.now() - started).toBeLessThan(2000);
    await seated[0]!.until(() => stack.proxy.hooks.filter((h) => h.session_id === lesson.id && h.type === 'participant.left' && h.status === 200).length === 2 ? true : undefined);
    expect(stack.proxy.hooks.filter((h) => h.session_id === lesson.id && h.type === 'session.ended')).toEqual([]);
    expect((await api('GET', `/v1/sessions/${lesson.id}`, key)).body.status).toBe('cancelled');

    const again = await TestClient.open(stack.wsUrl, 'msgpack');
    clients.push(again);
    expect((await again.request('hello', { v: 1, token: lesson.tutorToken })).ok).toBe(false);
  });
});
