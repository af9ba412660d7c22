// MediaRoom caps against a real mediasoup worker, called concurrently (200 at once), the way a
// hostile participant's requests arrive: every cap must hold without races, counted on the
// worker through mediasoup's own observers rather than MediaRoom's bookkeeping.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { loadMediaConfig, MediaError, MediaLimitError, MediaRoom, WorkerPool, MEDIA_LIMITS } from '../../src/index.ts';

let pool: WorkerPool;
const live = { transports: new Set<string>(), producers: new Set<string>(), consumers: new Set<string>() };
let keyFrames = 0;

beforeAll(async () => {
  pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0' }));
  pool.workers()[0]!.worker.observer.on('newrouter', (router: types.Router) =>
    router.observer.on('newtransport', (t) => {
      live.transports.add(t.id);
      t.observer.once('close', () => live.transports.delete(t.id));
      t.observer.on('newproducer', (p) => (live.producers.add(p.id), p.observer.once('close', () => live.producers.delete(p.id))));
      t.observer.on('newconsumer', (c) => {
        live.consumers.add(c.id);
        c.observer.once('close', () => live.consumers.delete(c.id));
        const request = c.requestKeyFrame.bind(c);
        c.requestKeyFrame = () => (keyFrames++, request());
      });
    }),
  );
});
afterAll(() => pool?.close());

const N = 200;
const settle = <T>(ps: Promise<T>[]) => Promise.allSettled(ps);
const rtp = (kind: 'audio' | 'video', i: number) => ({
  mid: String(i),
  codecs: kind === 'audio'
    ? [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }]
    : [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }] }],
  headerExtensions: [],
  encodings: [{ ssrc: 50_000 + i }],
  rtcp: { cname: `x${i}` },
});

it('holds every cap under 200 concurrent calls of each kind', async () => {
  const room = await MediaRoom.create(pool, 'caps');
  const t = await settle(Array.from({ length: N }, (_, i) => room.createTransport('tutor', i % 2 ? 'recv' : 'send')));
  expect(t.filter((r) => r.status === 'fulfilled')).toHaveLength(2 * MEDIA_LIMITS.transportsPerDirection);
  expect(live.transports.size).toBe(2 * MEDIA_LIMITS.transportsPerDirection);
  // Beyond the queue bound, requests are refused at once (not queued without end).
  expect(t.some((r) => r.status === 'rejected' && r.reason instanceof MediaLimitError)).toBe(true);

  const send = await room.createTransport('student', 'send');
  const recv = (t.find((r, i) => i % 2 === 1 && r.status === 'fulfilled') as PromiseFulfilledResult<{ transportId: string }>).value;
  const tutorSend = (t.find((r, i) => i % 2 === 0 && r.status === 'fulfilled') as PromiseFulfilledResult<{ transportId: string }>).value;

  // Producing on a recv transport, or a kind its source does not carry, is refused.
  await expect(room.produce('tutor', recv.transportId, 'audio', rtp('audio', 1), 'microphone')).rejects.toBeInstanceOf(MediaError);
  await expect(room.produce('tutor', tutorSend.transportId, 'video', rtp('video', 2), 'microphone')).rejects.toThrow(/carries audio/);
  await expect(room.produce('tutor', tutorSend.transportId, 'audio', rtp('audio', 3), 'camera')).rejects.toThrow(/carries video/);

  const screens = await settle(Array.from({ length: N }, (_, i) => room.produce('student', send.transportId, 'video', rtp('video', 100 + i), 'screen')));
  expect(screens.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  expect(live.producers.size).toBe(1);
  const screenId = (screens.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<string>).value;

  const consumers = await settle(Array.from({ length: N }, () => room.consume('tutor', screenId, room.rtpCapabilities)));
  const ids = new Set(consumers.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ consumerId: string }>).value.consumerId));
  expect(ids.size).toBe(1);
  expect(live.consumers.size).toBe(1);

  const [consumerId] = [...ids];
  const k0 = keyFrames;
  const t0 = Date.now();
  await settle(Array.from({ length: N }, () => room.resumeConsumer('tutor', consumerId!)));
  expect(keyFrames - k0).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / MEDIA_LIMITS.keyFrameIntervalMs) + 1);

  const ice = await settle(Array.from({ length: N }, () => room.restartIce('tutor', recv.transportId)));
  expect(ice.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(2);

  expect(room.stats()).toMatchObject({ transports: live.transports.size, producers: live.producers.size, consumers: live.consumers.size });
  room.close();
}, 60_000);
