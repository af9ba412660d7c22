// The recorder's plain-RTP copy of a producer, against a real mediasoup worker: RTP sent into a
// producer comes out of the tap to the recorder's address with the tap's payload type, a video tap
// asks for keyframes, and the tap closes itself when its producer goes away.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { loadMediaConfig, MEDIA_CODECS, RecordingTap, WorkerPool } from '../src/index.ts';

let pool: WorkerPool;
let router: types.Router;

beforeAll(async () => {
  pool = await WorkerPool.create(loadMediaConfig({ ...process.env, MEDIASOUP_WORKERS: '1', MEDIA_PORT_BASE: '0' }));
  router = await (await pool.acquire()).worker.createRouter({ mediaCodecs: MEDIA_CODECS });
});
afterAll(() => {
  router?.close();
  pool?.close();
});

const udp = async (): Promise<{ socket: Socket; port: number; packets: Buffer[] }> => {
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (m) => packets.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, packets };
};

/** An RTP packet (version 2, no extensions) with `payload`. */
function rtp(payloadType: number, seq: number, ssrc: number, payload: Buffer, marker = false): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | payloadType;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE((seq * 960) >>> 0, 4);
  h.writeUInt32BE(ssrc, 8);
  return Buffer.concat([h, payload]);
}

/** Whether a compound RTCP packet holds a keyframe request (PSFB: PLI fmt 1 or FIR fmt 4). */
function hasKeyframeRequest(packet: Buffer): boolean {
  for (let at = 0; at + 4 <= packet.length; at += (packet.readUInt16BE(at + 2) + 1) * 4) {
    if (packet[at + 1] === 206 && [1, 4].includes(packet[at]! & 0x1f)) return true;
  }
  return false;
}

/** A producer fed over plain RTP (comedia: it learns our address from the first packet). */
async function plainProducer(kind: 'audio' | 'video') {
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
  const ssrc = kind === 'audio' ? 1111 : 2222;
  const codec =
    kind === 'audio'
      ? { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }
      : { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }] };
  const producer = await transport.produce({ kind, rtpParameters: { codecs: [codec], encodings: [{ ssrc }] } });
  const sender = createSocket('udp4');
  // RTCP coming back to the sender (rtcpMux): where keyframe requests (PLI/FIR) arrive.
  const rtcpIn: Buffer[] = [];
  sender.on('message', (m) => rtcpIn.push(m));
  let seq = 1;
  const send = (payload: Buffer, marker = false) =>
    new Promise<void>((r) => sender.send(rtp(codec.payloadType, seq++, ssrc, payload, marker), transport.tuple.localPort, '127.0.0.1', () => r()));
  return { transport, producer, send, rtcpIn, close: () => (sender.close(), transport.close()) };
}

const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('RecordingTap', () => {
  it('copies an audio producer to the recorder address with its own payload type, and closes with it', async () => {
    const src = await plainProducer('audio');
    const ffmpeg = await udp();
    const rtcp = await udp();
    const tap = await RecordingTap.create(router, src.producer.id);
    try {
      expect(tap.kind).toBe('audio');
      expect(tap.producerId).toBe(src.producer.id);
      expect(tap.codec).toMatchObject({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });
      // Paused until connected: nothing reaches the recorder before.
      await src.send(Buffer.from([0xfc, 1, 2, 3]));
      await tap.connect({ ip: '127.0.0.1', port: ffmpeg.port, rtcpPort: rtcp.port });
      for (let i = 0; i < 20 && ffmpeg.packets.length === 0; i++) {
        await src.send(Buffer.from([0xfc, 4, 5, 6, i]));
        await new Promise((r) => setTimeout(r, 25));
      }
      await until(() => ffmpeg.packets.length > 0);
      const first = ffmpeg.packets[0]!;
      expect(first[0]! >> 6).toBe(2); // RTP version 2
      expect(first[1]! & 0x7f).toBe(tap.codec.payloadType);

      const closed = new Promise<void>((r) => tap.once('closed', () => r()));
      src.producer.close();
      await closed;
      expect(tap.closed).toBe(true);
      tap.close(); // idempotent
    } finally {
      tap.close();
      src.close();
      ffmpeg.socket.close();
      rtcp.socket.close();
    }
  });

  it('a video tap forwards packets, sends keyframe requests upstream until one passes, and refuses an unknown producer', async () => {
    const src = await plainProducer('video');
    const ffmpeg = await udp();
    const rtcp = await udp();
    const tap = await RecordingTap.create(router, src.producer.id);
    try {
      expect(tap.kind).toBe('video');
      expect(tap.codec.mimeType).toBe('video/VP8');
      await tap.connect({ ip: '127.0.0.1', port: ffmpeg.port, rtcpPort: rtcp.port }, 200);
      // A VP8 keyframe payload descriptor (S=1, PID 0) + keyframe header bit (P=0).
      const keyframe = Buffer.from([0x10, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00]);
      for (let i = 0; i < 40 && ffmpeg.packets.length === 0; i++) {
        await src.send(keyframe, true);
        await new Promise((r) => setTimeout(r, 25));
      }
      await until(() => ffmpeg.packets.length > 0);
      expect(ffmpeg.packets[0]![1]! & 0x7f).toBe(tap.codec.payloadType);
      // The tap asked the sender for a keyframe (FFmpeg cannot): PLI/FIR reached the producer's side.
      await until(() => src.rtcpIn.some(hasKeyframeRequest));
      // And keeps asking now and then (interval 200 ms here): another request arrives later.
      const seen = src.rtcpIn.filter(hasKeyframeRequest).length;
      await until(() => src.rtcpIn.filter(hasKeyframeRequest).length > seen, 3_000);
    } finally {
      tap.close();
      src.close();
      ffmpeg.socket.close();
      rtcp.socket.close();
    }
    expect(tap.closed).toBe(true);
    await expect(RecordingTap.create(router, 'no-such-producer')).rejects.toThrow();
  });
});
