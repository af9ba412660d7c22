// sender-cap.ts wired into a real MediaRoom (real mediasoup worker, no browser): a simulcast camera
// whose one consumer is capped to layer 0 gets `senderLayers` 0 for its owner; a recorder tap (a
// plain-transport consumer) lifts it to the top at once; a single-stream camera gets nothing.
// (The browser side, Chromium turning encodings off and on: web/test/e2e/sender-cap.e2e.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { loadMediaConfig, MediaRoom, WorkerPool } from '../src/index.ts';
import { SENDER_CAP } from '../src/sender-cap.ts';
import { FAKE_DTLS } from './support/fake-peer.ts';

let pool: WorkerPool;
const saved = { ...SENDER_CAP };

beforeAll(async () => {
  // Short intervals for the test (the policy's own timing: sender-cap.test.ts).
  Object.assign(SENDER_CAP, { everyMs: 50, holdMs: 300, repeatMs: 60_000 });
  pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0' }));
});
afterAll(() => {
  Object.assign(SENDER_CAP, saved);
  pool?.close();
});

const dtls = FAKE_DTLS;
const vp8 = (encodings: object[]) => ({
  mid: '1',
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
  headerExtensions: [],
  encodings,
  rtcp: { cname: 'test' },
});
const SIMULCAST = [{ ssrc: 1001, scalabilityMode: 'L1T3' }, { ssrc: 1002, scalabilityMode: 'L1T3' }, { ssrc: 1003, scalabilityMode: 'L1T3' }];

/** The mediasoup consumer behind a MediaRoom consumer id (the layer adapter's handle on it). */
const consumerOf = (room: MediaRoom, peerId: string, id: string) => (room as unknown as { peers: Map<string, { consumers: Map<string, types.Consumer> }> }).peers.get(peerId)!.consumers.get(id)!;

async function setup(encodings: object[]) {
  const room = await MediaRoom.create(pool, `lesson-cap-${Math.random()}`);
  const send = await room.createTransport('tutor', 'send');
  await room.connectTransport('tutor', send.transportId, dtls);
  const caps: Array<{ peerId: string; producerId: string; maxSpatialLayer: number }> = [];
  room.on('senderLayers', (s) => caps.push(s));
  const producerId = await room.produce('tutor', send.transportId, 'video', vp8(encodings), 'camera');
  await room.createTransport('student', 'recv');
  const c = await room.consume('student', producerId, room.rtpCapabilities);
  return { room, producerId, caps, consumer: consumerOf(room, 'student', c.consumerId) };
}

const until = async (what: string, ok: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('sender cap in a MediaRoom', () => {
  it('the one receiver capped to layer 0: its owner is told 0; a recorder tap: back to the top at once', async () => {
    const { room, producerId, caps, consumer } = await setup(SIMULCAST);
    try {
      await consumer.setPreferredLayers({ spatialLayer: 0, temporalLayer: 2 });
      await until('cap to 0', () => caps.length > 0);
      expect(caps).toEqual([{ peerId: 'tutor', producerId, maxSpatialLayer: 0 }]);
      const tap = await room.createRecordingTap(producerId);
      await until('cap back to 2', () => caps.length > 1);
      expect(caps[1]).toEqual({ peerId: 'tutor', producerId, maxSpatialLayer: 2 });
      tap.close();
      await until('cap to 0 again once the recorder is gone', () => caps.length > 2);
      expect(caps[2]!.maxSpatialLayer).toBe(0);
      // Said again after repeatMs (a message lost in a reconnect does not leave layers off).
      SENDER_CAP.repeatMs = 200;
      await until('the cap repeated', () => caps.length > 3);
      expect(caps[3]).toEqual(caps[2]);
    } finally {
      SENDER_CAP.repeatMs = 60_000;
      room.close();
    }
  });

  it('a single-stream camera (recorded lessons) is never capped', async () => {
    const { room, caps, consumer } = await setup([{ ssrc: 2001 }]);
    try {
      await consumer.setPreferredLayers({ spatialLayer: 0, temporalLayer: 0 }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 600));
      expect(caps).toEqual([]);
    } finally {
      room.close();
    }
  });
});
