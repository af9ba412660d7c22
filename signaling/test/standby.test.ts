// The pre-join socket (`standby`, then `join` on the click) against the real API and a real
// mediasoup worker: no seat, no presence and no hook before the join; the seat, presence, hook
// and mode transition exactly at the join; the standby timeout; and in SFU lessons the join that
// comes back with transports and consumers made by the server, plus later producers pushed as
// ready consumers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeStack, type NodeStack } from './support/stack.ts';
import { TestClient } from './support/ws-client.ts';
import { describeRouteProbe, ROUTE_PROBE_ENV } from './support/route-probe-tests.ts';

let stack: NodeStack;
let sfuStack: NodeStack;
const clients: TestClient[] = [];

async function client(s: NodeStack = stack, framing: 'json' | 'msgpack' = 'json'): Promise<TestClient> {
  const c = await TestClient.open(s.wsUrl, framing);
  clients.push(c);
  return c;
}

const opusParameters = (ssrc: number) => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
  headerExtensions: [],
  encodings: [{ ssrc }],
  rtcp: { cname: `c${ssrc}`, reducedSize: true },
});

beforeAll(async () => {
  [stack, sfuStack] = await Promise.all([startNodeStack({ SIGNALING_STANDBY_TIMEOUT_MS: '1500', ...ROUTE_PROBE_ENV }), startNodeStack({ P2P_ENABLED: 'false' })]);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([stack?.stop(), sfuStack?.stop()]);
});

describe('standby then join', () => {
  it('takes no seat and tells nobody until the join, then does what hello does', async () => {
    const lesson = await stack.lesson();
    const tutor = await client();
    expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true, data: { mode: 'waiting', peer: null } });

    const student = await client(stack, 'msgpack');
    expect(await student.request('join')).toMatchObject({ ok: false, error: { code: 'not_authenticated' } });
    expect(await student.request('standby', { v: 1, token: 'not-a-jwt' })).toMatchObject({ ok: false, error: { code: 'token_invalid' } });
    const standby = await student.request('standby', { v: 1, token: lesson.studentToken });
    expect(standby).toMatchObject({ ok: true, data: { timeoutMs: 1500 } });
    expect((standby as { data: Record<string, unknown> }).data.sfu).toBeUndefined(); // a P2P lesson (P2P_INSTANT_JOIN off)
    // Standing by: ping works, nothing else does, and a second authentication is refused.
    expect(await student.request('ping')).toMatchObject({ ok: true });
    expect(await student.request('media.state', { audio: true, video: true })).toMatchObject({ ok: false, error: { code: 'not_authenticated' } });
    expect(await student.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: false, error: { code: 'already_authenticated' } });
    expect(await student.request('standby', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: false, error: { code: 'already_authenticated' } });

    // Nobody was told: no presence, no mode change, no participant.joined hook for the student.
    await new Promise((r) => setTimeout(r, 300));
    expect(tutor.notifications.filter((n) => n.t === 'peer.joined' || n.t === 'mode')).toEqual([]);
    const studentJoins = () => stack.proxy.hooks.filter((h) => h.session_id === lesson.id && h.type === 'participant.joined' && h.data.role === 'student');
    expect(studentJoins()).toEqual([]);

    // The click: the seat, presence, hook and P2P mode, exactly as with hello.
    const joined = await student.request('join');
    expect(joined).toMatchObject({ ok: true, data: { you: { role: 'student' }, peer: { role: 'tutor' }, mode: 'waiting', resumed: false, lesson: { sessionId: lesson.id } } });
    expect(await tutor.next('peer.joined')).toMatchObject({ peer: { role: 'student' } });
    expect(await tutor.next('mode')).toEqual({ t: 'mode', mode: 'p2p', initiator: true, reason: 'both_present' });
    expect(await student.next('mode')).toEqual({ t: 'mode', mode: 'p2p', initiator: false, reason: 'both_present' });
    await expect.poll(() => studentJoins().length, { timeout: 5_000 }).toBe(1);
    expect(await student.request('join')).toMatchObject({ ok: false, error: { code: 'already_authenticated' } });
    expect(await student.request('media.state', { audio: false, video: true })).toMatchObject({ ok: true });

    // Seated through join, the socket is an ordinary seat: a drop keeps it for the grace period.
    student.close();
    expect(await tutor.next('peer.presence')).toMatchObject({ role: 'student', presence: 'reconnecting' });
  });

  it('closes a standby socket that never joins (4003), and leave closes it at once', async () => {
    const lesson = await stack.lesson();
    const idle = await client();
    expect(await idle.request('standby', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });
    await idle.until(() => idle.closed, 5_000);
    expect(idle.closed).toEqual({ code: 4003, reason: 'standby expired' });

    const leaving = await client();
    expect(await leaving.request('standby', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
    expect(await leaving.request('leave')).toMatchObject({ ok: true });
    await leaving.until(() => leaving.closed);
    expect(leaving.closed!.code).toBe(1000);

    // A seated socket is not subject to the standby timeout.
    const seated = await client();
    expect(await seated.request('standby', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true });
    expect(await seated.request('join')).toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(seated.closed).toBeUndefined();
    expect(stack.proxy.hooks.some((h) => h.session_id === lesson.id && h.type === 'participant.joined' && h.data.role === 'student')).toBe(false);
  });

  it('refuses the join when the lesson became unavailable while standing by', async () => {
    const lesson = await stack.lesson();
    const tutor = await client();
    await tutor.request('hello', { v: 1, token: lesson.tutorToken });
    const student = await client();
    expect(await student.request('standby', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true });
    expect(await tutor.request('lesson.end')).toMatchObject({ ok: true });
    expect(await student.request('join')).toMatchObject({ ok: false, error: { code: 'lesson_unavailable' } });
  });
});

describe('standby and join in an SFU lesson', () => {
  it('loads the device at standby; join comes back with transports and consumers; later producers arrive consumed', async () => {
    const lesson = await sfuStack.lesson();
    const tutor = await client(sfuStack, 'msgpack');
    const tStandby = (await tutor.request('standby', { v: 1, token: lesson.tutorToken })) as any;
    const caps = tStandby.data.sfu.routerRtpCapabilities;
    expect(caps.codecs.map((c: { mimeType: string }) => c.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8', 'video/H264']));
    // The router's own capabilities are exactly what the standby said (the device loaded with them fits).
    const tJoin = (await tutor.request('join', { rtpCapabilities: caps })) as any;
    expect(tJoin).toMatchObject({ ok: true, data: { mode: 'sfu', sfu: { producers: [], prepared: { consumers: [] } } } });
    expect(tJoin.data.sfu.routerRtpCapabilities).toEqual(caps);
    const { send, recv } = tJoin.data.sfu.prepared;
    expect(send.transportId).not.toBe(recv.transportId);
    expect([...send.iceCandidates, ...recv.iceCandidates].every((c: { address: string }) => c.address === '127.0.0.1')).toBe(true);
    // The server-made transports are the tutor's own: producing on the send one works.
    const tProduced = (await tutor.request('sfu.produce', { transportId: send.transportId, kind: 'audio', rtpParameters: opusParameters(1111), source: 'microphone' })) as any;
    expect(tProduced.ok).toBe(true);

    const student = await client(sfuStack, 'json');
    await student.request('standby', { v: 1, token: lesson.studentToken });
    const sJoin = (await student.request('join', { rtpCapabilities: caps })) as any;
    expect(sJoin.ok).toBe(true);
    expect(sJoin.data.sfu.prepared.consumers).toEqual([
      expect.objectContaining({ producerId: tProduced.data.producerId, kind: 'audio', source: 'microphone', role: 'tutor', consumerId: expect.any(String) }),
    ]);
    const consumerId = sJoin.data.sfu.prepared.consumers[0].consumerId;
    expect(await student.request('sfu.resumeConsumer', { consumerId })).toMatchObject({ ok: true });

    // The student's producer reaches the tutor as a consumer made for it, not as an announcement.
    const sProduced = (await student.request('sfu.produce', { transportId: sJoin.data.sfu.prepared.send.transportId, kind: 'audio', rtpParameters: opusParameters(2222), source: 'microphone' })) as any;
    expect(await tutor.next('sfu.newConsumer')).toMatchObject({ producerId: sProduced.data.producerId, kind: 'audio', source: 'microphone', role: 'student', rtpParameters: { codecs: [expect.objectContaining({ mimeType: 'audio/opus' })] } });
    expect(tutor.notifications.some((n) => n.t === 'sfu.newProducer')).toBe(false);
    const room = await (await fetch(`${sfuStack.httpUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${sfuStack.env.INTERNAL_HOOK_SECRET}` } })).json();
    expect(room).toMatchObject({ media: { transports: 4, producers: 2, consumers: 2 } });
  });

  it('announces producers to a participant that joined without receive capabilities', async () => {
    const lesson = await sfuStack.lesson();
    const tutor = await client(sfuStack);
    expect(await tutor.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true, data: { mode: 'sfu' } });
    await tutor.request('sfu.createTransport', { direction: 'recv' });
    const student = await client(sfuStack);
    const caps = ((await student.request('standby', { v: 1, token: lesson.studentToken })) as any).data.sfu.routerRtpCapabilities;
    const sJoin = (await student.request('join', { rtpCapabilities: caps })) as any;
    await student.request('sfu.produce', { transportId: sJoin.data.sfu.prepared.send.transportId, kind: 'audio', rtpParameters: opusParameters(3333), source: 'microphone' });
    expect(await tutor.next('sfu.newProducer')).toMatchObject({ kind: 'audio', role: 'student' });
  });

  it('instant join: transports made and connected at pre-join, nobody told, adopted by the join, dropped with the socket', async () => {
    const lesson = await sfuStack.lesson();
    const roomMedia = async () => (await (await fetch(`${sfuStack.httpUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${sfuStack.env.INTERNAL_HOOK_SECRET}` } })).json()).media;
    const early = await client(sfuStack);
    await early.request('standby', { v: 1, token: lesson.studentToken });
    // Nobody in the lesson yet: no room is opened for a pre-join socket.
    expect(await early.request('sfu.preconnect')).toMatchObject({ ok: false, error: { code: 'wrong_mode' } });
    early.close();

    const tutor = await client(sfuStack, 'msgpack');
    const caps = ((await tutor.request('standby', { v: 1, token: lesson.tutorToken })) as any).data.sfu.routerRtpCapabilities;
    const tJoin = (await tutor.request('join', { rtpCapabilities: caps })) as any;
    expect(await tutor.request('sfu.preconnect')).toMatchObject({ ok: false, error: { code: 'already_authenticated' } });
    const tProduced = (await tutor.request('sfu.produce', { transportId: tJoin.data.sfu.prepared.send.transportId, kind: 'audio', rtpParameters: opusParameters(4444), source: 'microphone' })) as any;

    const student = await client(sfuStack);
    await student.request('standby', { v: 1, token: lesson.studentToken });
    const pre = (await student.request('sfu.preconnect')) as any;
    expect(pre).toMatchObject({ ok: true, data: { send: { transportId: expect.any(String) }, recv: { transportId: expect.any(String) } } });
    expect([...pre.data.send.iceCandidates, ...pre.data.recv.iceCandidates].every((c: { address: string }) => c.address === '127.0.0.1')).toBe(true);
    const dtlsParameters = { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') }] };
    expect(await student.request('sfu.connectTransport', { transportId: pre.data.recv.transportId, dtlsParameters })).toMatchObject({ ok: true });
    // Only its own two transports, only once, and still nothing else before the join.
    expect(await student.request('sfu.connectTransport', { transportId: tJoin.data.sfu.prepared.recv.transportId, dtlsParameters })).toMatchObject({ ok: false, error: { code: 'media_error' } });
    expect(await student.request('sfu.preconnect')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await student.request('sfu.produce', { transportId: pre.data.send.transportId, kind: 'audio', rtpParameters: opusParameters(5555), source: 'microphone' })).toMatchObject({ ok: false, error: { code: 'not_authenticated' } });

    // Nothing reached the other side: no presence, no mode change, no producer or consumer, no hook.
    await new Promise((r) => setTimeout(r, 200));
    expect(tutor.notifications).toEqual([]);
    expect(await roomMedia()).toMatchObject({ transports: 4, producers: 1, consumers: 0 });
    expect(sfuStack.proxy.hooks.some((h) => h.session_id === lesson.id && h.type === 'participant.joined' && h.data.role === 'student')).toBe(false);

    // A second pre-join socket of the same seat that goes away takes its transports along.
    const other = await client(sfuStack);
    await other.request('standby', { v: 1, token: lesson.studentToken });
    expect(await other.request('sfu.preconnect')).toMatchObject({ ok: true });
    expect(await roomMedia()).toMatchObject({ transports: 6 });
    other.close();
    await expect.poll(async () => (await roomMedia()).transports, { timeout: 5_000 }).toBe(4);

    // The click: the same (already connected) transports, the tutor's producer ready to consume.
    const sJoin = (await student.request('join', { rtpCapabilities: caps, preconnected: true })) as any;
    expect(sJoin.data.sfu.prepared).toMatchObject({
      send: { transportId: pre.data.send.transportId },
      recv: { transportId: pre.data.recv.transportId },
      consumers: [expect.objectContaining({ producerId: tProduced.data.producerId })],
    });
    expect(await tutor.next('peer.joined')).toMatchObject({ peer: { role: 'student' } });
    expect(await roomMedia()).toMatchObject({ transports: 4, producers: 1, consumers: 1 });
    const sProduced = (await student.request('sfu.produce', { transportId: pre.data.send.transportId, kind: 'audio', rtpParameters: opusParameters(6666), source: 'microphone' })) as any;
    expect(await tutor.next('sfu.newConsumer')).toMatchObject({ producerId: sProduced.data.producerId, role: 'student' });
  });
  it('instant join: a join that does not ask for the preconnected transports gets new ones; the old ones go, late calls on them are refused', async () => {
    // The client asks only when its own side of them is ready: a second client connection to a
    // transport its first one connected would never get DTLS (see `join` in the protocol).
    const lesson = await sfuStack.lesson();
    const roomMedia = async () => (await (await fetch(`${sfuStack.httpUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${sfuStack.env.INTERNAL_HOOK_SECRET}` } })).json()).media;
    const tutor = await client(sfuStack);
    const caps = ((await tutor.request('standby', { v: 1, token: lesson.tutorToken })) as any).data.sfu.routerRtpCapabilities;
    await tutor.request('join', { rtpCapabilities: caps });
    const student = await client(sfuStack, 'msgpack');
    await student.request('standby', { v: 1, token: lesson.studentToken });
    const pre = (await student.request('sfu.preconnect')) as any;
    const dtlsParameters = { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'CD').join(':') }] };
    expect(await student.request('sfu.connectTransport', { transportId: pre.data.send.transportId, dtlsParameters })).toMatchObject({ ok: true });
    expect(await roomMedia()).toMatchObject({ transports: 4 });

    const mic = { source: 'microphone', kind: 'audio', rtpParameters: opusParameters(7771) };
    const sJoin = (await student.request('join', { rtpCapabilities: caps, produce: [mic] })) as any;
    expect(sJoin.ok).toBe(true);
    const { send, recv, producers } = sJoin.data.sfu.prepared;
    expect([send.transportId, recv.transportId]).not.toContain(pre.data.send.transportId);
    expect([send.transportId, recv.transportId]).not.toContain(pre.data.recv.transportId);
    expect(producers).toBeUndefined(); // nothing made on transports it did not adopt
    await expect.poll(async () => (await roomMedia()).transports, { timeout: 5_000 }).toBe(4);
    // The pre-join side finishing late: its transports are gone, the socket's calls on them refused.
    expect(await student.request('sfu.connectTransport', { transportId: pre.data.recv.transportId, dtlsParameters })).toMatchObject({ ok: false, error: { code: 'media_error' } });
    expect(await student.request('sfu.produce', { transportId: pre.data.send.transportId, kind: 'audio', rtpParameters: opusParameters(7772), source: 'microphone' })).toMatchObject({ ok: false, error: { code: 'media_error' } });
    const other = await client(sfuStack);
    await other.request('standby', { v: 1, token: lesson.studentToken });
    expect(await other.request('join', { rtpCapabilities: caps, preconnected: 'yes' })).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
  });

  it('instant join: the join makes the producers prepared at pre-join, only on adopted transports, each one checked', async () => {
    const lesson = await sfuStack.lesson();
    const roomMedia = async () => (await (await fetch(`${sfuStack.httpUrl}/internal/rooms/${lesson.id}`, { headers: { authorization: `Bearer ${sfuStack.env.INTERNAL_HOOK_SECRET}` } })).json()).media;
    const tutor = await client(sfuStack);
    const caps = ((await tutor.request('standby', { v: 1, token: lesson.tutorToken })) as any).data.sfu.routerRtpCapabilities;
    // Without preconnected transports there is nothing to attach them to: `produce` is ignored
    // (no producer for the tutor, who produces the usual way).
    const tJoin = (await tutor.request('join', { rtpCapabilities: caps, produce: [{ source: 'microphone', kind: 'audio', rtpParameters: opusParameters(8881) }] })) as any;
    expect(tJoin).toMatchObject({ ok: true });
    expect(tJoin.data.sfu.prepared.producers).toBeUndefined();
    expect(await roomMedia()).toMatchObject({ producers: 0 });

    const student = await client(sfuStack, 'msgpack');
    await student.request('standby', { v: 1, token: lesson.studentToken });
    // The schema: at most two, never the screen, no extra fields.
    const mic = { source: 'microphone', kind: 'audio', rtpParameters: opusParameters(8882) };
    for (const produce of [[mic, mic, mic], [{ ...mic, source: 'screen', kind: 'video' }], [{ ...mic, transportId: 'x' }]]) {
      expect(await student.request('join', { rtpCapabilities: caps, produce })).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
    }
    const pre = (await student.request('sfu.preconnect')) as any;
    expect(pre).toMatchObject({ ok: true });
    expect(tutor.notifications.filter((n) => n.t !== 'speaker')).toEqual([]);

    // The click: the microphone is made with the join; the "camera" (audio parameters) is refused
    // by the SFU, counted, and left for the client to produce; the join itself succeeds.
    const sJoin = (await student.request('join', { rtpCapabilities: caps, produce: [mic, { source: 'camera', kind: 'audio', rtpParameters: opusParameters(8883) }], preconnected: true })) as any;
    expect(sJoin).toMatchObject({ ok: true, data: { sfu: { prepared: { send: { transportId: pre.data.send.transportId } } } } });
    const made = sJoin.data.sfu.prepared.producers;
    expect(made).toEqual([{ source: 'microphone', producerId: expect.any(String) }]);
    expect(await tutor.next('sfu.newConsumer')).toMatchObject({ producerId: made[0].producerId, kind: 'audio', source: 'microphone', role: 'student' });
    expect(await roomMedia()).toMatchObject({ producers: 1 });
    // A second microphone on the same seat is refused (one producer per source).
    expect(await student.request('sfu.produce', { transportId: pre.data.send.transportId, kind: 'audio', rtpParameters: opusParameters(8884), source: 'microphone' })).toMatchObject({ ok: false, error: { code: 'media_error' } });
    const metrics = await (await fetch(`${sfuStack.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/duet_node_rejections_total\{[^}]*reason="join_produce_refused"[^}]*\} [1-9]/);
  });
});

// sfu.probe (the pre-join route check) on the same stack.
describeRouteProbe(() => stack, clients);
