// One participant tries to exhaust the SFU over a real signaling socket, against a real mediasoup
// worker: 200 concurrent requests of each kind (createTransport, produce, consume, resumeConsumer
// with its keyframe request, restartIce). What exists on the worker is counted from mediasoup's
// own observers (not from Duet's bookkeeping) and from GET /internal/load, and must stay within
// the caps; the other participant's media requests keep working throughout.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { startNodeStack, type NodeStack } from '../support/stack.ts';
import { TestClient } from '../support/ws-client.ts';
import { FAKE_DTLS } from '../../../sfu/test/support/fake-peer.ts';

const N = 200;
let stack: NodeStack;
let attacker: TestClient;
let student: TestClient;
let bystander: TestClient;
/** Live mediasoup objects on the worker, by the participant (transport appData.peerId) owning them. */
const live = { transports: new Map<string, types.Transport>(), producers: new Map<string, string>(), consumers: new Map<string, string>() };
let keyFrameRequests = 0;
let iceRestarts = 0;

const count = (m: Map<string, string>, peer: string) => [...m.values()].filter((p) => p === peer).length;
const transportsOf = (peer: string) => [...live.transports.values()].filter((t) => (t.appData as { peerId?: string }).peerId === peer).length;

function watchWorker(worker: types.Worker): void {
  worker.observer.on('newrouter', (router) => {
    router.observer.on('newtransport', (t) => {
      const peer = (t.appData as { peerId?: string }).peerId ?? 'server';
      live.transports.set(t.id, t);
      t.observer.once('close', () => live.transports.delete(t.id));
      // Counting calls into the real objects (each still goes to the worker).
      const web = t as types.WebRtcTransport;
      const restart = web.restartIce.bind(web);
      web.restartIce = () => (iceRestarts++, restart());
      t.observer.on('newproducer', (p) => {
        live.producers.set(p.id, peer);
        p.observer.once('close', () => live.producers.delete(p.id));
      });
      t.observer.on('newconsumer', (c) => {
        live.consumers.set(c.id, peer);
        c.observer.once('close', () => live.consumers.delete(c.id));
        const request = c.requestKeyFrame.bind(c);
        c.requestKeyFrame = () => (keyFrameRequests++, request());
      });
    });
  });
}

const dtls = FAKE_DTLS;
const rtp = (kind: 'audio' | 'video', i: number) => ({
  mid: String(i),
  codecs: kind === 'audio'
    ? [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }]
    : [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
  headerExtensions: [],
  encodings: [{ ssrc: 10_000 + i }],
  rtcp: { cname: `c${i}` },
});

async function all(client: TestClient, t: string, payload: (i: number) => Record<string, unknown>) {
  return Promise.all(Array.from({ length: N }, (_, i) => client.request(t, payload(i))));
}

async function load(): Promise<{ totals: Record<string, number> }> {
  const res = await fetch(`${stack.httpUrl}/internal/load`, { headers: { authorization: `Bearer ${stack.env.INTERNAL_HOOK_SECRET}` } });
  return (await res.json()) as { totals: Record<string, number> };
}

beforeAll(async () => {
  // The per-connection and per-kind rate limits are lifted so all 200 requests reach the SFU: the
  // caps under test must hold on their own.
  stack = await startNodeStack({ P2P_ENABLED: 'false', SIGNALING_RATE_PER_SEC: '100000', SIGNALING_RATE_BURST: '100000', SIGNALING_RATE_KIND_SCALE: '1000' });
  for (const w of stack.signaling.pool.workers()) watchWorker(w.worker);
  const lesson = await stack.lesson();
  attacker = await TestClient.open(stack.wsUrl, 'msgpack');
  student = await TestClient.open(stack.wsUrl, 'msgpack');
  expect(await attacker.request('hello', { v: 1, token: lesson.tutorToken })).toMatchObject({ ok: true, data: { mode: 'sfu' } });
  expect(await student.request('hello', { v: 1, token: lesson.studentToken })).toMatchObject({ ok: true, data: { mode: 'sfu' } });
  const other = await stack.lesson();
  bystander = await TestClient.open(stack.wsUrl, 'msgpack');
  expect(await bystander.request('hello', { v: 1, token: other.tutorToken })).toMatchObject({ ok: true });
}, 60_000);
afterAll(async () => {
  for (const c of [attacker, student, bystander]) c?.close();
  await stack?.stop();
});

it('200 concurrent requests of each kind stay within the caps on the worker; the other side keeps working', async () => {
  // Transports: at most 2 per direction, however many arrive at once.
  const transports = await all(attacker, 'sfu.createTransport', (i) => ({ direction: i % 2 ? 'recv' : 'send' }));
  expect(transportsOf('tutor')).toBeLessThanOrEqual(4);
  expect(transports.filter((r) => r.ok)).toHaveLength(4);
  expect(transports.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'rate_limited')).toBe(true);
  const sendId = (transports.find((r, i) => r.ok && i % 2 === 0) as { data: { transportId: string } }).data.transportId;
  const recvId = (transports.find((r, i) => r.ok && i % 2 === 1) as { data: { transportId: string } }).data.transportId;
  await attacker.request('sfu.connectTransport', { transportId: sendId, dtlsParameters: dtls });

  // A source carries only its own kind: a "microphone" cannot carry video.
  expect(await attacker.request('sfu.produce', { transportId: sendId, kind: 'video', source: 'microphone', rtpParameters: rtp('video', 999) })).toMatchObject({ ok: false, error: { code: 'media_error' } });
  expect(await attacker.request('sfu.produce', { transportId: sendId, kind: 'audio', source: 'screen', rtpParameters: rtp('audio', 998) })).toMatchObject({ ok: false });
  expect(count(live.producers, 'tutor')).toBe(0);

  // Producers: one per source (so one screen share), whatever the race.
  const sources = ['microphone', 'camera', 'screen'] as const;
  const produced = await all(attacker, 'sfu.produce', (i) => {
    const source = sources[i % 3]!;
    const kind = source === 'microphone' ? 'audio' : 'video';
    return { transportId: sendId, kind, source, rtpParameters: rtp(kind, i) };
  });
  expect(produced.filter((r) => r.ok)).toHaveLength(3);
  expect(count(live.producers, 'tutor')).toBe(3);

  // The student (the legit participant) sets up media normally meanwhile.
  const sSend = (await student.request('sfu.createTransport', { direction: 'send' })) as { ok: true; data: { transportId: string } };
  const sRecv = (await student.request('sfu.createTransport', { direction: 'recv' })) as { ok: true; data: { transportId: string } };
  expect(sSend.ok && sRecv.ok).toBe(true);
  const cam = (await student.request('sfu.produce', { transportId: sSend.data.transportId, kind: 'video', source: 'camera', rtpParameters: rtp('video', 5000) })) as { ok: true; data: { producerId: string } };
  expect(cam).toMatchObject({ ok: true });
  const caps = ((await attacker.request('sfu.capabilities')) as { data: { routerRtpCapabilities: Record<string, unknown> } }).data.routerRtpCapabilities;

  // Consumers: one per (participant, producer); asking again answers the same consumer.
  const consumed = await all(attacker, 'sfu.consume', () => ({ producerId: cam.data.producerId, rtpCapabilities: caps }));
  expect(count(live.consumers, 'tutor')).toBe(1);
  const consumerIds = new Set(consumed.filter((r) => r.ok).map((r) => (r as { data: { consumerId: string } }).data.consumerId));
  expect(consumerIds.size).toBe(1);
  const [consumerId] = [...consumerIds];

  // Resume / keyframe: each resume of a video consumer asks the student's encoder for a keyframe;
  // throttled to one per second per consumer.
  const kf0 = keyFrameRequests;
  const t0 = Date.now();
  await all(attacker, 'sfu.resumeConsumer', () => ({ consumerId }));
  expect(keyFrameRequests - kf0).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / 1000) + 1);

  // ICE restarts: throttled per transport.
  const ice0 = iceRestarts;
  const ice = await all(attacker, 'sfu.restartIce', () => ({ transportId: recvId }));
  expect(iceRestarts - ice0).toBeLessThanOrEqual(2);
  expect(ice.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'rate_limited')).toBe(true);

  // The node's own view agrees with the worker.
  const { totals } = await load();
  expect(totals.transports).toBe(live.transports.size);
  expect(totals.transports).toBeLessThanOrEqual(8);
  expect(totals.producers).toBeLessThanOrEqual(6);
  expect(totals.consumers).toBeLessThanOrEqual(4);

  // The legit participant's media path still works: it consumes the tutor's producers, resumes
  // them, and its requests (and another lesson's) are answered promptly.
  const tutorProducers = ((await student.request('sfu.capabilities')) as { data: { producers: { producerId: string }[] } }).data.producers;
  expect(tutorProducers).toHaveLength(3);
  for (const p of tutorProducers) {
    const c = (await student.request('sfu.consume', { producerId: p.producerId, rtpCapabilities: caps })) as { ok: boolean; data: { consumerId: string } };
    expect(c).toMatchObject({ ok: true });
    expect(await student.request('sfu.resumeConsumer', { consumerId: c.data.consumerId })).toMatchObject({ ok: true });
  }
  expect(count(live.consumers, 'student')).toBe(3);
  const p0 = Date.now();
  expect(await bystander.request('ping')).toMatchObject({ ok: true });
  expect(Date.now() - p0).toBeLessThan(1_000);
}, 120_000);
