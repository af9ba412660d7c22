// Whiteboard persistence through the internal API: the media node saves the merged Yjs doc and a
// new node reads it back; authenticated like every /internal route, bounded in size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, DB_KINDS, HOOK_SECRET, createLesson, startApiOn, type TestApi } from './support/harness.ts';
import { deriveNodeSecret } from '../src/services/node-credentials.ts';
import { MAX_STORED_BOARD_BYTES } from '../src/services/whiteboard-service.ts';

describe.each(DB_KINDS)('internal whiteboard API (%s)', (kind) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApiOn(kind);
  });
  afterAll(() => api?.close());

  const path = (id: string) => `${api.url}/internal/sessions/${id}/whiteboard`;
  const put = (id: string, body: Uint8Array | string, opts: { token?: string | null; type?: string; locked?: boolean } = {}) =>
    fetch(`${path(id)}${opts.locked === undefined ? '' : `?locked=${opts.locked}`}`, {
      method: 'PUT',
      headers: { ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? HOOK_SECRET}` }), 'content-type': opts.type ?? 'application/octet-stream' },
      body: body as BodyInit,
    });
  const get = (id: string, token: string | null = HOOK_SECRET) => fetch(path(id), { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('stores the doc bytes exactly and returns them with the lock; nothing saved is 204', async () => {
    const lesson = await createLesson(api);
    expect((await get(lesson.id)).status).toBe(204);
    const state = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
    expect((await put(lesson.id, state, { locked: true })).status).toBe(204);
    const res = await get(lesson.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('duet-board-locked')).toBe('true');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(state);
    // A later save replaces it (one row per lesson).
    expect((await put(lesson.id, new Uint8Array([1, 2, 3]), { locked: false })).status).toBe(204);
    const again = await get(lesson.id);
    expect(again.headers.get('duet-board-locked')).toBe('false');
    expect([...new Uint8Array(await again.arrayBuffer())]).toEqual([1, 2, 3]);
    const rows = await api.server.sql`select count(*)::int as n from whiteboards where session_id = ${lesson.id}`;
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses callers without the internal secret, and nodes the lesson is not placed on', async () => {
    const lesson = await createLesson(api);
    const none = await put(lesson.id, new Uint8Array([1]), { token: null });
    expect(none.status).toBe(401);
    expect((await get(lesson.id, null)).status).toBe(401);
    expect((await put(lesson.id, new Uint8Array([1]), { token: 'wrong-secret' })).status).toBe(401);
    const other = `dn1:node-b:${deriveNodeSecret(HOOK_SECRET, 'node-b')}`;
    const refused = await put(lesson.id, new Uint8Array([1]), { token: other });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as any;
    expect(body.error?.code ?? body.code, JSON.stringify(body)).toBe('node_not_assigned');
    expect((await get(lesson.id)).status).toBe(204);
  });

  it('bounds what it stores: empty, oversized, wrong type, unknown lesson', async () => {
    const lesson = await createLesson(api);
    const empty = await put(lesson.id, new Uint8Array(0));
    expect(empty.status).toBe(400);
    const big = await put(lesson.id, new Uint8Array(MAX_STORED_BOARD_BYTES + 1));
    expect(big.status).toBe(413);
    const text = await put(lesson.id, '{"a":1}', { type: 'application/json' });
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    expect((await put('no-such-lesson', new Uint8Array([1]))).status).toBe(404);
    expect((await get(lesson.id)).status).toBe(204);
  });

  it('goes with the lesson content on erasure, and is not stored again afterwards', async () => {
    const lesson = await createLesson(api);
    expect((await put(lesson.id, new Uint8Array([9, 9, 9]))).status).toBe(204);
    expect((await api.request('POST', `/v1/sessions/${lesson.id}/cancel`, { token: API_KEY, body: { reason: 'x' } })).status).toBe(200);
    const erased = await api.request('POST', `/v1/sessions/${lesson.id}/erase`, { token: API_KEY, body: {} });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect((await get(lesson.id)).status).toBe(204);
    const late = await put(lesson.id, new Uint8Array([1]));
    expect(late.status).toBe(409);
    expect(((await late.json()) as any).error.code).toBe('lesson_erased');
  });
});
