// Connection floods against one media node: sockets per client address (X-Forwarded-For honoured
// only with TRUST_PROXY), sockets per seat (standby included), silent pre-auth sockets, and
// per-kind message floods (chat, app data) that must not stall another lesson. Every refusal is
// counted in duet_node_rejections_total.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SUBPROTOCOL_JSON } from '../../src/protocol/index.ts';
import { startNodeStack, type NodeStack } from '../support/stack.ts';
import { TestClient } from '../support/ws-client.ts';

let stack: NodeStack; // direct clients (no proxy trusted)
let proxied: NodeStack; // behind one proxy: TRUST_PROXY=1
const opened: WebSocket[] = [];

beforeAll(async () => {
  [stack, proxied] = await Promise.all([
    startNodeStack({ SIGNALING_MAX_SOCKETS_PER_ADDRESS: '8', SIGNALING_MAX_SOCKETS_PER_SEAT: '2', SIGNALING_HELLO_TIMEOUT_MS: '1000' }),
    startNodeStack({ SIGNALING_MAX_SOCKETS_PER_ADDRESS: '2', SIGNALING_MAX_PREAUTH_SOCKETS: '5', TRUST_PROXY: '1' }),
  ]);
}, 60_000);
afterAll(async () => {
  for (const ws of opened) ws.terminate();
  await Promise.all([stack?.stop(), proxied?.stop()]);
});

/** Opens a raw socket: 'open', or the HTTP status / close code that refused it. */
function attempt(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; result: 'open' | number }> {
  const ws = new WebSocket(url, [SUBPROTOCOL_JSON], { headers });
  opened.push(ws);
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ ws, result: 'open' }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, result: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ ws, result: -1 }));
  });
}

const closed = (ws: WebSocket) => new Promise<number>((r) => (ws.readyState === ws.CLOSED ? r(-1) : ws.once('close', (code) => r(code))));

async function metric(s: NodeStack, reason: string): Promise<number> {
  const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
  const m = new RegExp(`^duet_node_rejections_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('sockets per client address', () => {
  it('refuses sockets beyond the cap with HTTP 429; a closed one frees its place; X-Forwarded-For is ignored without TRUST_PROXY', async () => {
    const first = await Promise.all(Array.from({ length: 8 }, () => attempt(stack.wsUrl)));
    expect(first.map((a) => a.result)).toEqual(Array(8).fill('open'));
    expect((await attempt(stack.wsUrl)).result).toBe(429);
    // A spoofed header does not buy a new address when no proxy is trusted.
    expect((await attempt(stack.wsUrl, { 'x-forwarded-for': '203.0.113.9' })).result).toBe(429);
    first[0]!.ws.close();
    await closed(first[0]!.ws);
    await expect.poll(async () => (await attempt(stack.wsUrl)).result, { timeout: 3_000 }).toBe('open');
    expect(await metric(stack, 'sockets_per_address')).toBeGreaterThanOrEqual(2);
    // Silent sockets are closed by the hello timeout (4000), and counted.
    const codes = await Promise.all(first.slice(1).map((a) => closed(a.ws)));
    expect(codes.every((c) => c === 4000)).toBe(true);
    expect(await metric(stack, 'preauth_timeout')).toBeGreaterThanOrEqual(5);
  }, 30_000);

  it('behind a trusted proxy (TRUST_PROXY=1) the cap applies per X-Forwarded-For client', async () => {
    const a = [await attempt(proxied.wsUrl, { 'x-forwarded-for': '198.51.100.1' }), await attempt(proxied.wsUrl, { 'x-forwarded-for': '198.51.100.1' })];
    expect(a.map((x) => x.result)).toEqual(['open', 'open']);
    expect((await attempt(proxied.wsUrl, { 'x-forwarded-for': '198.51.100.1' })).result).toBe(429);
    // The client address is the last hop the proxy added, not what the client wrote before it.
    expect((await attempt(proxied.wsUrl, { 'x-forwarded-for': '10.9.9.9, 198.51.100.1' })).result).toBe(429);
    expect((await attempt(proxied.wsUrl, { 'x-forwarded-for': '198.51.100.2' })).result).toBe('open');
  });

  it('bounds sockets that have not authenticated yet, node-wide', async () => {
    // 3 pre-auth sockets are open from the test above; the cap is 5.
    const more = await Promise.all(Array.from({ length: 4 }, (_, i) => attempt(proxied.wsUrl, { 'x-forwarded-for': `198.51.100.${10 + i}` })));
    expect(more.filter((m) => m.result === 'open')).toHaveLength(2);
    expect(more.filter((m) => m.result === 429)).toHaveLength(2);
    expect(await metric(proxied, 'preauth_sockets')).toBeGreaterThanOrEqual(2);
  });
});

describe('sockets per seat', () => {
  it('a leaked link cannot pile up standby sockets: the oldest is closed (4008), the real participant still joins', async () => {
    const lesson = await stack.lesson();
    const standbys: TestClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await TestClient.open(stack.wsUrl, 'json');
      standbys.push(c);
      expect(await c.request('standby', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });
    }
    // Cap 2: the three oldest were closed as the newer ones came.
    await standbys[0]!.until(() => standbys.slice(0, 3).every((c) => c.closed), 3_000);
    expect(standbys.slice(0, 3).map((c) => c.closed?.code)).toEqual([4008, 4008, 4008]);
    expect(standbys.slice(3).every((c) => !c.closed)).toBe(true);
    // The seat itself is taken by a hello whatever the standby sockets.
    const real = await TestClient.open(stack.wsUrl, 'json');
    expect(await real.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });
    expect(await metric(stack, 'sockets_per_seat')).toBeGreaterThanOrEqual(3);
    for (const c of [...standbys, real]) c.close();
  });
});

describe('per-kind message rates', () => {
  it('chat and app data floods are cut per kind and another lesson stays responsive', async () => {
    const [l1, l2] = [await stack.lesson(), await stack.lesson()];
    const flooder = await TestClient.open(stack.wsUrl, 'json');
    const peer = await TestClient.open(stack.wsUrl, 'json');
    const other = await TestClient.open(stack.wsUrl, 'json');
    expect(await flooder.request('hello', { v: 1, token: l1.tutorToken })).toMatchObject({ ok: true });
    expect(await peer.request('hello', { v: 1, token: l1.studentToken })).toMatchObject({ ok: true });
    expect(await other.request('hello', { v: 1, token: l2.tutorToken })).toMatchObject({ ok: true });

    const chats = await Promise.all(Array.from({ length: 30 }, () => flooder.request('chat.send', { messageId: crypto.randomUUID(), text: 'spam' })));
    const limited = chats.filter((r) => !r.ok && r.error.code === 'rate_limited');
    expect(chats.filter((r) => r.ok).length).toBeLessThanOrEqual(12);
    expect(limited.length).toBeGreaterThanOrEqual(18);
    expect((limited[0] as { error: { message: string } }).error.message).toMatch(/chat\.send/);

    await new Promise((r) => setTimeout(r, 1_100)); // let the per-connection bucket refill
    const t0 = Date.now();
    const apps = await Promise.all(Array.from({ length: 75 }, (_, i) => flooder.request('app.data', { topic: 'cursor', data: { i } })));
    expect(apps.filter((r) => r.ok).length).toBeLessThanOrEqual(60 + Math.ceil(((Date.now() - t0) / 1000) * 30) + 1);
    expect(apps.filter((r) => !r.ok && r.error.code === 'rate_limited').length).toBeGreaterThan(0);
    const p0 = Date.now();
    expect(await other.request('ping')).toMatchObject({ ok: true });
    expect(Date.now() - p0).toBeLessThan(1_000);
    expect(await metric(stack, 'rate_limited_kind')).toBeGreaterThanOrEqual(18);
    for (const c of [flooder, peer, other]) c.close();
  }, 30_000);
});

describe('configuration', () => {
  it('refuses a TRUST_PROXY that would let any client choose its address, and caps out of range', async () => {
    const { loadSignalingConfig } = await import('../../src/config.ts');
    const base = { ...stack.env };
    expect(loadSignalingConfig({ ...base, TRUST_PROXY: '1' }).sockets.trustProxy).toBe(1);
    expect(loadSignalingConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).sockets.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => loadSignalingConfig({ ...base, TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY must be false, a hop count/);
    expect(() => loadSignalingConfig({ ...base, TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY/);
    expect(() => loadSignalingConfig({ ...base, SIGNALING_MAX_SOCKETS_PER_SEAT: '0' })).toThrow(/SIGNALING_MAX_SOCKETS_PER_SEAT must be an integer/);
  });
});

describe('client address', () => {
  it('walks X-Forwarded-For only through trusted proxies', async () => {
    const { clientAddress } = await import('../../src/transport/socket-limits.ts');
    const req = (remote: string, xff?: string) => ({ socket: { remoteAddress: remote }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as never;
    expect(clientAddress(req('::ffff:10.0.0.5', '1.2.3.4'), false)).toBe('10.0.0.5');
    expect(clientAddress(req('10.0.0.5', '9.9.9.9, 1.2.3.4'), 1)).toBe('1.2.3.4');
    expect(clientAddress(req('10.0.0.5', '9.9.9.9, 1.2.3.4'), 2)).toBe('9.9.9.9');
    expect(clientAddress(req('10.0.0.5'), 1)).toBe('10.0.0.5');
    // CIDR list: skip trusted hops from the right; the first untrusted one is the client.
    expect(clientAddress(req('10.0.0.5', '9.9.9.9, 1.2.3.4, 10.0.0.7'), ['10.0.0.0/8'])).toBe('1.2.3.4');
    // A direct client (not a trusted proxy) cannot name its address.
    expect(clientAddress(req('5.5.5.5', '1.2.3.4'), ['10.0.0.0/8'])).toBe('5.5.5.5');
  });
});
