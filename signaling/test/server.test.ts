// The signaling server against the real API and a real mediasoup worker: authentication, bad
// input, presence, P2P relay, SFU mode and the lifecycle hooks that drive lesson status.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintJoinToken } from '@duet/api/tokens';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { ClientPool, TestClient } from './support/ws-client.ts';
import { freePort } from '@duet/deploy/testing';
import { createSignalingServer, loadSignalingConfig } from '../src/index.ts';

let stack: NodeStack;
const clients = new ClientPool();
const client = (framing: 'json' | 'msgpack' = 'json'): Promise<TestClient> => clients.open(stack.wsUrl, framing);

async function getJson(path: string): Promise<any> {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.env.DUET_API_KEY}` } });
  return res.json();
}

beforeAll(async () => {
  stack = await startNodeStack();
});
afterAll(async () => {
  clients.closeAll();
  await stack?.stop();
});

describe('authentication and bad input', () => {
  it('accepts nothing before hello, and rejects bad tokens with precise codes', async () => {
    const c = await client();
    expect(await c.request('ping')).toMatchObject({ ok: false, error: { code: 'not_authenticated' } });
    expect(await c.request('hello', { v: 1, token: 'not-a-jwt' })).toMatchObject({ ok: false, error: { code: 'token_invalid' } });

    const { tutorToken } = await stack.lesson();
    const [h, p, s] = tutorToken.split('.');
    const tampered = `${h}.${p}.${s!.slice(0, -3)}${s!.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    expect(await c.request('hello', { v: 1, token: tampered })).toMatchObject({ ok: false, error: { code: 'token_invalid' } });

    const { token: expired } = await mintJoinToken(stack.env.JOIN_TOKEN_SECRET!, { sessionId: 'x', userId: 'u', role: 'tutor', name: 'T' }, -60);
    expect(await c.request('hello', { v: 1, token: expired })).toMatchObject({ ok: false, error: { code: 'token_expired' } });

    const noneAlg = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    expect(await c.request('hello', { v: 1, token: noneAlg })).toMatchObject({ ok: false, error: { code: 'token_invalid' } });
    expect(await c.request('hello', { v: 2, token: tutorToken })).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });

  it('answers malformed frames with errors and keeps serving', async () => {
    const c = await client();
    c.sendRaw('{not json');
    expect(await c.next('error')).toMatchObject({ error: { code: 'bad_frame' } });
    c.sendRaw(JSON.stringify({ t: 'sfu.produce', id: 9, kind: 'smell' }));
    expect(await c.until(() => c.responses.get(9))).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
    c.sendRaw(JSON.stringify({ t: 'ping', id: 10, pad: 'x'.repeat(70_000) }));
    await c.until(() => c.notifications.find((n) => n.t === 'error' && n.error.code === 'frame_too_large'));

    const m = await client('msgpack');
    m.sendRaw(Buffer.from([0xc1, 0xff, 0x00]));
    expect(await m.next('error')).toMatchObject({ error: { code: 'bad_frame' } });
    m.sendRaw('text frame on the msgpack subprotocol');
    await m.until(() => m.notifications.filter((n) => n.t === 'error').length >= 2);

    // A burst of random garbage (bounded) neither crashes nor wedges the server: past the
    // per-connection rate cap it is answered with rate_limited, and the socket recovers.
    const g = await client('msgpack');
    for (let i = 0; i < 200; i++) g.sendRaw(Buffer.from(Array.from({ length: 1 + (i % 64) }, () => Math.floor(Math.random() * 256))));
    await g.until(() => g.notifications.filter((n) => n.t === 'error').length >= 200);
    expect(g.notifications.some((n) => n.t === 'error' && n.error.code === 'rate_limited')).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    // Served again (not rate limited): it has not said hello, so it is told exactly that.
    expect(await g.request('ping')).toMatchObject({ ok: false, error: { code: 'not_authenticated' } });
    expect(stack.signaling.stats().badFrames).toBeGreaterThan(0);
    expect((await fetch(`${stack.httpUrl}/healthz`)).status).toBe(200);
    expect(c.closed).toBeUndefined();
  });

  it('cuts off a client that keeps flooding', async () => {
    const f = await client('json');
    for (let i = 0; i < 400 && f.ws.readyState === f.ws.OPEN; i++) f.sendRaw(JSON.stringify({ t: 'ping', id: i }));
    await f.until(() => f.closed);
    expect(f.closed!.code).toBe(1008);
  });

  it('refuses a lesson that does not exist or has ended', async () => {
    const c = await client();
    const { token: forged } = await mintJoinToken(stack.env.JOIN_TOKEN_SECRET!, { sessionId: '00000000-0000-4000-8000-000000000000', userId: 'u', role: 'tutor', name: 'T' }, 300);
    expect(await c.request('hello', { v: 1, token: forged })).toMatchObject({ ok: false, error: { code: 'lesson_unavailable' } });
  });

  it('keeps the room closed before the join window opens, even with a valid token', async () => {
    const headers = { authorization: `Bearer ${stack.env.DUET_API_KEY}`, 'content-type': 'application/json' };
    const start = new Date(Date.now() + 2 * 3600_000);
    const created = await fetch(`${stack.apiUrl}/v1/sessions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        title: 'Later',
        scheduled_start: start.toISOString(),
        scheduled_end: new Date(start.getTime() + 3600_000).toISOString(),
        tutor: { id: 't-later', name: 'T' },
        student: { id: 's-later', name: 'S' },
      }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const { token } = await fetch(`${stack.apiUrl}/v1/sessions/${created.id}/tokens`, { method: 'POST', headers, body: '{"role":"student"}' }).then(
      (r) => r.json() as Promise<{ token: string }>,
    );
    const c = await client();
    const res = await c.request('hello', { v: 1, token });
    expect(res).toMatchObject({ ok: false, error: { code: 'lesson_unavailable', message: expect.stringContaining('opens at') } });
    const room = await fetch(`${stack.httpUrl}/internal/rooms/${created.id}`, { headers: { authorization: `Bearer ${stack.env.INTERNAL_HOOK_SECRET}` } });
    expect(room.status).toBe(404); // the refused hello left no room behind
  });
});

describe('when the API is down', () => {
  it('answers hello with service_unavailable (retryable) and keeps running', async () => {
    const env = { ...process.env, ...stack.env, API_INTERNAL_URL: `http://127.0.0.1:${await freePort()}`, SIGNALING_PORT: '0', HOOK_SPOOL_DIR: `${stack.spoolDir}-lonely` };
    const lonely = await createSignalingServer(loadSignalingConfig(env), () => undefined);
    const { wsUrl } = await lonely.start();
    try {
      const { tutorToken } = await stack.lesson();
      const c = await clients.open(wsUrl);
      expect(await c.request('hello', { v: 1, token: tutorToken })).toMatchObject({ ok: false, error: { code: 'service_unavailable' } });
      expect(await c.request('ping')).toMatchObject({ ok: false, error: { code: 'not_authenticated' } });
    } finally {
      await lonely.close();
      rmSync(`${stack.spoolDir}-lonely`, { recursive: true, force: true });
    }
  });
});

describe('a P2P lesson over signaling', () => {
  it('relays presence and SDP, reports hooks, and the API follows the lesson to completed', async () => {
    const lesson = await stack.lesson();
    const tutor = await client('msgpack');
    const hello = await tutor.request('hello', { v: 1, token: lesson.tutorToken });
    expect(hello).toMatchObject({ ok: true, data: { you: { role: 'tutor' }, peer: null, mode: 'waiting', lesson: { sessionId: lesson.id, recording: false } } });

    const student = await client('json');
    expect(await student.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true, data: { peer: { role: 'tutor' } } });
    expect(await tutor.next('peer.joined')).toMatchObject({ peer: { role: 'student', name: 'Sam Student' } });
    expect(await tutor.next('mode')).toEqual({ t: 'mode', mode: 'p2p', initiator: true, reason: 'both_present' });
    expect(await student.next('mode')).toEqual({ t: 'mode', mode: 'p2p', initiator: false, reason: 'both_present' });

    expect(await tutor.request('p2p.signal', { signal: { kind: 'offer', sdp: 'v=0 test offer' } })).toMatchObject({ ok: true });
    expect(await student.next('p2p.signal')).toEqual({ t: 'p2p.signal', signal: { kind: 'offer', sdp: 'v=0 test offer' } });
    expect(await tutor.request('sfu.capabilities')).toMatchObject({ ok: false, error: { code: 'wrong_mode' } });

    await student.request('media.state', { audio: false, video: true });
    expect(await tutor.next('peer.mediaState')).toEqual({ t: 'peer.mediaState', role: 'student', audio: false, video: true, screen: false });

    await expect.poll(async () => (await getJson(`/v1/sessions/${lesson.id}`)).status, { timeout: 5_000 }).toBe('live');

    expect(await student.request('leave')).toMatchObject({ ok: true });
    expect(await tutor.next('peer.left')).toEqual({ t: 'peer.left', role: 'student', reason: 'left' });
    expect(await tutor.until(() => tutor.notifications.find((n) => n.t === 'mode' && n.mode === 'waiting'))).toBeTruthy();
    tutor.close(); // a dropped socket counts as leaving once the reconnect grace is over
    await expect.poll(async () => (await getJson(`/v1/sessions/${lesson.id}`)).status, { timeout: 10_000 }).toBe('completed');
    const attendance = await getJson(`/v1/sessions/${lesson.id}/attendance`);
    expect(attendance.participants.map((p: any) => p.intervals.length)).toEqual([1, 1]);

    // A completed lesson cannot be re-entered with its old token.
    const late = await client();
    expect(await late.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: false, error: { code: 'lesson_unavailable', message: expect.stringContaining('completed') } });
  });

  it('a second connection of the same person replaces the first', async () => {
    const lesson = await stack.lesson();
    const first = await client();
    await first.request('hello', { v: 1, token: lesson.tutorToken });
    const second = await client();
    expect(await second.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
    expect(await first.next('session.ended')).toEqual({ t: 'session.ended', reason: 'replaced' });
    await first.until(() => first.closed);
    expect(first.closed!.code).toBe(4001);
    expect(await second.request('ping')).toMatchObject({ ok: true });
  });
});

describe('SFU mode', () => {
  it('recorded lessons use the SFU from the first publish, with loopback candidates', async () => {
    const lesson = await stack.lesson({ recording: true });
    const tutor = await client('msgpack');
    expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true, data: { mode: 'sfu' } });
    const caps = await tutor.request('sfu.capabilities');
    expect(caps).toMatchObject({ ok: true, data: { producers: [] } });
    const codecs = ((caps as any).data.routerRtpCapabilities.codecs as { mimeType: string }[]).map((c) => c.mimeType);
    // audio/red: Opus RED, which the worker build forwards (sfu/test/audio-red.test.ts).
    expect(codecs).toEqual(expect.arrayContaining(['audio/opus', 'audio/red', 'video/VP8', 'video/H264']));
    const t = (await tutor.request('sfu.createTransport', { direction: 'send' })) as any;
    expect(t.ok).toBe(true);
    expect(t.data.iceCandidates.every((c: { address: string }) => c.address === '127.0.0.1')).toBe(true);
    expect(await tutor.request('p2p.signal', { signal: { kind: 'offer', sdp: 'x' } })).toMatchObject({ ok: false, error: { code: 'wrong_mode' } });
    expect(await tutor.request('sfu.connectTransport', { transportId: 'nope', dtlsParameters: {} })).toMatchObject({ ok: false, error: { code: 'media_error' } });
    expect(await tutor.request('sfu.produce', { transportId: t.data.transportId, kind: 'audio', rtpParameters: { bogus: true }, source: 'microphone' })).toMatchObject({
      ok: false,
      error: { code: 'media_error' },
    });
  });
});

describe('P2P disabled by configuration', () => {
  it('puts every lesson on the SFU', async () => {
    const sfuOnly = await startNodeStack({ P2P_ENABLED: 'false' });
    try {
      const lesson = await sfuOnly.lesson();
      const c = await clients.open(sfuOnly.wsUrl);
      expect(await c.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true, data: { mode: 'sfu', lesson: { recording: false } } });
    } finally {
      await sfuOnly.stop();
    }
  });
});
