// Instant join in a P2P lesson against the real API and a real mediasoup worker: the newcomer's
// pre-join socket preconnects SFU transports while the other person waits (nobody is told), the
// join starts the lesson on the SFU for both (`instant_join`), both `sfu.ready` move it to P2P
// (`p2p_upgrade`, the SFU side kept), both `p2p.ready` drop the SFU side (`sfu.close`). A failed
// upgrade falls back to the SFU; a join without preconnect stays plain P2P.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { ClientPool, TestClient } from './support/ws-client.ts';

let stack: NodeStack;
const clients = new ClientPool();

const client = (framing: 'json' | 'msgpack' = 'json'): Promise<TestClient> => clients.open(stack.wsUrl, framing);

const modes = (c: TestClient) => c.notifications.filter((n) => n.t === 'mode').map((n) => `${(n as { mode: string }).mode}:${(n as { reason: string }).reason}`);

beforeAll(async () => {
  stack = await startNodeStack({ P2P_INSTANT_JOIN: 'true', P2P_ICE_TIMEOUT_MS: '1500' });
});
afterAll(async () => {
  clients.closeAll();
  await stack?.stop();
});

describe('P2P instant join', () => {
  it('starts on the SFU at the click, nothing before it, then moves to P2P make before break', async () => {
    const lesson = await stack.lesson();
    const roomState = async () => (await (await fetch(`${stack.httpUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${stack.env.INTERNAL_HOOK_SECRET}` } })).json()) as { mode: string; media: Record<string, number> | null };
    const tutor = await client('msgpack');
    expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true, data: { mode: 'waiting' } });

    const student = await client();
    const standby = (await student.request('standby', { v: 1, token: lesson.studentToken })) as any;
    const caps = standby.data.sfu.routerRtpCapabilities; // P2P lessons get them too now
    const pre = (await student.request('sfu.preconnect')) as any;
    expect(pre).toMatchObject({ ok: true, data: { send: { transportId: expect.any(String) }, recv: { transportId: expect.any(String) } } });
    // The tutor, waiting alone, holds its SFU side ready (web: MediaPath.holdSfu).
    expect(await tutor.request('sfu.createTransport', { direction: 'send' })).toMatchObject({ ok: true });

    // Nothing reached the tutor: no presence, no mode change, no hook; the room still waits.
    await new Promise((r) => setTimeout(r, 200));
    expect(tutor.notifications.filter((n) => n.t !== 'speaker')).toEqual([]);
    expect(await roomState()).toMatchObject({ mode: 'waiting', media: { transports: 3, producers: 0, consumers: 0 } });
    expect(stack.proxy.hooks.some((h) => h.session_id === lesson.id && h.type === 'participant.joined' && h.data.role === 'student')).toBe(false);

    // The click: the student's hello says SFU with its adopted transports; the tutor is told to use the SFU.
    const joined = (await student.request('join', { rtpCapabilities: caps, preconnected: true })) as any;
    expect(joined).toMatchObject({ ok: true, data: { mode: 'sfu', sfu: { prepared: { send: { transportId: pre.data.send.transportId }, recv: { transportId: pre.data.recv.transportId } } } } });
    await tutor.until(() => modes(tutor).length === 1, 5_000);
    expect(modes(tutor)).toEqual(['sfu:instant_join']);
    expect(await tutor.request('sfu.createTransport', { direction: 'recv' })).toMatchObject({ ok: true });
    expect(student.notifications.filter((n) => n.t === 'mode')).toEqual([]);

    // Both receive SFU media: P2P comes up behind it, the tutor offers; SFU calls still work meanwhile.
    await tutor.request('sfu.ready');
    await new Promise((r) => setTimeout(r, 100));
    expect(modes(tutor)).toEqual(['sfu:instant_join']); // one side alone changes nothing
    await student.request('sfu.ready');
    await tutor.until(() => modes(tutor).length === 2, 5_000);
    await student.until(() => modes(student).length === 1, 5_000);
    expect(tutor.notifications.filter((n) => n.t === 'mode').at(-1)).toEqual({ t: 'mode', mode: 'p2p', initiator: true, reason: 'p2p_upgrade' });
    expect(student.notifications.find((n) => n.t === 'mode')).toEqual({ t: 'mode', mode: 'p2p', initiator: false, reason: 'p2p_upgrade' });
    expect(await tutor.request('sfu.createTransport', { direction: 'send' })).toMatchObject({ ok: true });
    expect(await student.request('p2p.signal', { signal: { kind: 'offer', sdp: 'v=0' } })).toMatchObject({ ok: true });
    for (const c of [tutor, student]) await c.request('p2p.status', { state: 'connected' });

    // Both show P2P media: the SFU side goes (both told), P2P stays.
    await student.request('p2p.ready');
    expect(tutor.notifications.some((n) => n.t === 'sfu.close')).toBe(false);
    await tutor.request('p2p.ready');
    await Promise.all([tutor.next('sfu.close'), student.next('sfu.close')]);
    await expect.poll(async () => (await roomState()).media?.transports ?? 0, { timeout: 5_000 }).toBe(0);
    expect(await tutor.request('sfu.createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'wrong_mode' } });
    expect((await roomState()).mode).toBe('p2p');
    const hooked = () => stack.proxy.hooks.filter((h) => h.session_id === lesson.id && h.type === 'session.mode_changed').map((h) => `${h.data.mode}:${h.data.reason}`);
    await expect.poll(hooked, { timeout: 5_000 }).toEqual(['sfu:instant_join', 'p2p:p2p_upgrade']);
  });

  it('an upgrade that does not connect falls back to the SFU, which both still have', async () => {
    const lesson = await stack.lesson();
    const tutor = await client();
    await tutor.request('hello', { v: 1, token: lesson.tutorToken });
    const student = await client('msgpack');
    const caps = ((await student.request('standby', { v: 1, token: lesson.studentToken })) as any).data.sfu.routerRtpCapabilities;
    expect(await student.request('sfu.preconnect')).toMatchObject({ ok: true });
    expect(await student.request('join', { rtpCapabilities: caps, preconnected: true })).toMatchObject({ ok: true, data: { mode: 'sfu' } });
    await Promise.all([tutor.request('sfu.ready'), student.request('sfu.ready')]);
    // No p2p.status connected: the P2P deadline moves the room back to the SFU for good.
    await tutor.until(() => modes(tutor).length === 3, 5_000);
    expect(modes(tutor)).toEqual(['sfu:instant_join', 'p2p:p2p_upgrade', 'sfu:p2p_timeout']);
    expect(await student.request('sfu.createTransport', { direction: 'send' })).toMatchObject({ ok: true });
    // p2p.ready now is too late to close anything.
    await student.request('p2p.ready');
    await tutor.request('p2p.ready');
    await new Promise((r) => setTimeout(r, 100));
    expect(tutor.notifications.some((n) => n.t === 'sfu.close')).toBe(false);
  });

  it('a join without preconnected transports is plain P2P', async () => {
    const lesson = await stack.lesson();
    const roomMedia = async () => ((await (await fetch(`${stack.httpUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${stack.env.INTERNAL_HOOK_SECRET}` } })).json()) as { media: { transports: number } | null }).media;
    const tutor = await client();
    await tutor.request('hello', { v: 1, token: lesson.tutorToken });
    expect(await tutor.request('sfu.createTransport', { direction: 'recv' })).toMatchObject({ ok: true });
    const student = await client();
    const caps = ((await student.request('standby', { v: 1, token: lesson.studentToken })) as any).data.sfu.routerRtpCapabilities;
    expect(await student.request('join', { rtpCapabilities: caps })).toMatchObject({ ok: true, data: { mode: 'waiting' } });
    await tutor.until(() => modes(tutor).length === 1, 5_000);
    expect(modes(tutor)).toEqual(['p2p:both_present']);
    // The SFU side the tutor held while waiting goes; the SFU is closed to both in P2P.
    await expect.poll(async () => (await roomMedia())?.transports ?? 0, { timeout: 5_000 }).toBe(0);
    expect(await tutor.request('sfu.createTransport', { direction: 'recv' })).toMatchObject({ ok: false, error: { code: 'wrong_mode' } });
  });
});
