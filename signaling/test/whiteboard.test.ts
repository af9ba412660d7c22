// The whiteboard through the real protocol, a real media node and the real API: strokes relayed
// both ways, late join and reconnect converging on identical Yjs state, the tutor's lock enforced
// by the node, bounds (update size, garbage, the lesson's budget) refused and counted, and the doc
// persisted through the API so a new node restores it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_BOARD_UPDATE_BASE64 } from '../src/protocol/constants.ts';
import { createSignalingServer, loadSignalingConfig, type SignalingServer } from '../src/index.ts';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { TestClient } from './support/ws-client.ts';

let stack: NodeStack;
const clients: TestClient[] = [];
const extraNodes: SignalingServer[] = [];
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

beforeAll(async () => {
  stack = await startNodeStack({ BOARD_MAX_DOC_BYTES: String(96 * 1024), BOARD_PERSIST_MS: '150' });
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const n of extraNodes) await n.close();
  await stack?.stop();
});

async function seat(url: string, token: string): Promise<TestClient> {
  const c = await TestClient.open(url, 'msgpack');
  clients.push(c);
  const res = await c.request('hello', { v: 1, token });
  expect(res, JSON.stringify(res)).toMatchObject({ ok: true });
  return c;
}

/** One side's board: a Yjs doc that sends each local change as `board.update`. */
function board(c: TestClient) {
  const doc = new Y.Doc();
  const sent: Promise<any>[] = [];
  doc.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin !== 'remote') sent.push(c.request('board.update', { update: b64(u) }));
  });
  const stroke = (page: string, points: number[]) =>
    doc.transact(() => {
      const m = new Y.Map<unknown>();
      m.set('tool', 'pen');
      m.set('points', points);
      doc.getArray<Y.Map<unknown>>(page).push([m]);
    });
  let seen = 0;
  const pull = () => {
    for (const n of c.notifications.slice(seen)) if (n.t === 'board.update') Y.applyUpdate(doc, bytes(n.update), 'remote');
    seen = c.notifications.length;
  };
  const sync = async () => {
    const res: any = await c.request('board.sync', { sv: b64(Y.encodeStateVector(doc)) });
    expect(res, JSON.stringify(res)).toMatchObject({ ok: true });
    Y.applyUpdate(doc, bytes(res.data.update), 'remote');
    return res.data;
  };
  return { doc, sent, stroke, pull, sync };
}

const strokes = (doc: Y.Doc, page = 'p1') => doc.getArray<Y.Map<unknown>>(page).toArray().map((m) => m.get('points'));

describe('whiteboard on the media node', () => {
  it('relays strokes both ways; a late joiner and a reconnect converge on identical state', async () => {
    const lesson = await stack.lesson();
    const tutor = await seat(stack.wsUrl, lesson.tutorToken);
    const student = await seat(stack.wsUrl, lesson.studentToken);
    const t = board(tutor);
    const s = board(student);
    await t.sync();
    await s.sync();
    t.stroke('p1', [1, 1, 5, 5]);
    await student.until(() => student.notifications.some((n) => n.t === 'board.update'));
    s.pull();
    expect(strokes(s.doc)).toEqual([[1, 1, 5, 5]]);
    s.stroke('p1', [9, 9, 2, 2]);
    s.stroke('p2', [3, 3]);
    await Promise.all(s.sent);
    await tutor.until(() => tutor.notifications.filter((n) => n.t === 'board.update').length >= 2);
    t.pull();
    expect(strokes(t.doc)).toEqual(strokes(s.doc));
    expect(b64(Y.encodeStateAsUpdate(t.doc))).toBe(b64(Y.encodeStateAsUpdate(s.doc)));

    // Late join: a fresh doc (another tab of the student) gets everything in one sync.
    const late = board(await seat(stack.wsUrl, lesson.studentToken));
    const state = await late.sync();
    expect(b64(Y.encodeStateAsUpdate(late.doc))).toBe(b64(Y.encodeStateAsUpdate(t.doc)));
    expect(state).toMatchObject({ locked: false, maxBytes: 96 * 1024 });

    // Reconnect with offline changes: the tutor drew while its socket was gone; after a sync it
    // sends what the node lacks (diff against the node's state vector); all three converge.
    const offline = new Y.Doc();
    Y.applyUpdate(offline, Y.encodeStateAsUpdate(t.doc));
    offline.getArray('p1').push(['offline-mark']);
    const tutor2 = await seat(stack.wsUrl, lesson.tutorToken);
    const res: any = await tutor2.request('board.sync', { sv: b64(Y.encodeStateVector(offline)) });
    Y.applyUpdate(offline, bytes(res.data.update));
    const missing = Y.encodeStateAsUpdate(offline, bytes(res.data.sv));
    expect(await tutor2.request('board.update', { update: b64(missing) })).toMatchObject({ ok: true });
    const again = board(await seat(stack.wsUrl, lesson.studentToken));
    await again.sync();
    expect(b64(Y.encodeStateAsUpdate(again.doc))).toBe(b64(Y.encodeStateAsUpdate(offline)));
  });

  it('the lock refuses the student at the node (not only in the UI); only the tutor may lock', async () => {
    const lesson = await stack.lesson();
    const tutor = await seat(stack.wsUrl, lesson.tutorToken);
    const student = await seat(stack.wsUrl, lesson.studentToken);
    const s = board(student);
    await s.sync();
    expect(await student.request('board.lock', { locked: true })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await tutor.request('board.lock', { locked: true })).toMatchObject({ ok: true, data: { locked: true } });
    expect(await student.next('board.lock')).toMatchObject({ locked: true });
    s.stroke('p1', [7, 7]);
    const [refused] = await Promise.all(s.sent);
    expect(refused).toMatchObject({ ok: false, error: { code: 'board_locked' } });
    // The node's doc does not hold it and the tutor was never sent it.
    const fresh = board(tutor);
    await fresh.sync();
    expect(strokes(fresh.doc)).toEqual([]);
    expect(tutor.notifications.some((n) => n.t === 'board.update')).toBe(false);
    await tutor.request('board.lock', { locked: false });
    const ok = await student.request('board.update', { update: b64(Y.encodeStateAsUpdate(s.doc)) });
    expect(ok).toMatchObject({ ok: true });
    const metrics = await (await fetch(`${stack.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/duet_node_rejections_total\{[^}]*reason="board_locked"[^}]*\} [1-9]/);
  });

  it('refuses an oversized update, garbage and a full board with clear errors, counted', async () => {
    const lesson = await stack.lesson();
    const tutor = await seat(stack.wsUrl, lesson.tutorToken);
    await seat(stack.wsUrl, lesson.studentToken);
    const tooBig = await tutor.request('board.update', { update: 'A'.repeat(MAX_BOARD_UPDATE_BASE64 + 4) });
    expect(tooBig).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
    const garbage = await tutor.request('board.update', { update: b64(randomBytes(600)) });
    expect(garbage).toMatchObject({ ok: false, error: { code: 'invalid_message', message: 'not a valid whiteboard update' } });
    // The budget (96 KB here): big strokes until the node says the board is full.
    const t = board(tutor);
    await t.sync();
    let full: any;
    for (let i = 0; i < 8 && !full; i++) {
      t.stroke('p1', [randomBytes(20_000).toString('base64')] as unknown as number[]);
      const res = await t.sent.at(-1);
      if (!res.ok) full = res;
    }
    expect(full).toMatchObject({ ok: false, error: { code: 'board_full', message: expect.stringContaining('full') } });
    expect(await tutor.request('ping')).toMatchObject({ ok: true }); // the socket stays
    const metrics = await (await fetch(`${stack.httpUrl}/metrics`)).text();
    for (const reason of ['board_full', 'board_invalid']) expect(metrics).toMatch(new RegExp(`duet_node_rejections_total\\{[^}]*reason="${reason}"[^}]*\\} [1-9]`));
  });

  it('persists through the API during the lesson: a new node restores the board', async () => {
    const lesson = await stack.lesson();
    const tutor = await seat(stack.wsUrl, lesson.tutorToken);
    const t = board(tutor);
    await t.sync();
    t.stroke('p1', [4, 2]);
    t.stroke('p3', [8, 8, 9, 9]);
    await Promise.all(t.sent);
    await tutor.request('board.lock', { locked: true });
    // Saved a moment later without the room closing (a node that dies now loses nothing).
    const want = b64(Y.encodeStateAsUpdate(t.doc));
    const poll = async () => {
      const res = await fetch(`${stack.apiUrl}/internal/sessions/${lesson.id}/whiteboard`, { headers: { authorization: `Bearer ${stack.env.INTERNAL_HOOK_SECRET}` } });
      if (res.status !== 200 || res.headers.get('duet-board-locked') !== 'true') return null;
      const doc = new Y.Doc();
      Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
      return b64(Y.encodeStateAsUpdate(doc)) === want ? doc : null;
    };
    let saved: Y.Doc | null = null;
    for (const deadline = Date.now() + 5_000; !saved && Date.now() < deadline; ) {
      saved = await poll();
      if (!saved) await new Promise((r) => setTimeout(r, 50));
    }
    expect(strokes(saved!)).toEqual([[4, 2]]);
    // Another node (same API) opens the lesson fresh: the board comes back, lock included.
    const node2 = await createSignalingServer(loadSignalingConfig({ ...process.env, ...stack.env, SIGNALING_PORT: '0' }), () => undefined);
    extraNodes.push(node2);
    const { wsUrl } = await node2.start();
    const student = await seat(wsUrl, lesson.studentToken);
    const s = board(student);
    const state = await s.sync();
    expect(state.locked).toBe(true);
    expect(b64(Y.encodeStateAsUpdate(s.doc))).toBe(want);
  });
});
